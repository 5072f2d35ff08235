"""Figures derived from one measured run (a scenario's JSON as scenarios.py writes it): requests and the
minimum per service and endpoint, minutes at the standard limits, the scaled rate, fetch spans."""

from __future__ import annotations

import math
from typing import Any

SERVICES = ("moco", "personio")
NAMES = {"moco": "MOCO", "personio": "Personio"}
STANDARD = {"moco": (120, 120.0), "personio": (300, 60.0)}  # requests, seconds: MOCO's plan, the spec's default


def requests(scenario: dict[str, Any], service: str) -> int:
    run = scenario.get("run") or {}
    return int(run.get("services", {}).get(service, {}).get("requests", 0))


def by_endpoint(scenario: dict[str, Any], service: str) -> dict[str, int]:
    run = scenario.get("run") or {}
    return dict(run.get("services", {}).get(service, {}).get("counts", {}))


def minimum(scenario: dict[str, Any], service: str) -> int:
    return sum(row["pages"] for row in scenario["minimum"] if row["service"] == service)


def minimum_by_endpoint(scenario: dict[str, Any], service: str) -> dict[str, int]:
    found: dict[str, int] = {}
    for row in scenario["minimum"]:
        if row["service"] == service:
            found[row["endpoint"]] = found.get(row["endpoint"], 0) + row["pages"]
    return found


def ratio(scenario: dict[str, Any], service: str) -> float | None:
    least = minimum(scenario, service)
    return requests(scenario, service) / least if least else None


def standard_rate(service: str) -> float:
    limit, seconds = STANDARD[service]
    return limit / seconds


def minutes_at_standard(count: int, service: str) -> float:
    """Minutes `count` requests take at the service's standard rate (the steady pace, no first burst)."""
    return count / standard_rate(service) / 60


def scaled_rate(scenario: dict[str, Any], service: str) -> float:
    """Requests a second the run was allowed (its limits' windows shortened by the scenario's factor)."""
    limit, seconds = STANDARD[service]
    return limit / (seconds / scenario["rate_scale"])


def pacing_floor(count: int, service: str, scale: float = 1.0) -> float:
    """The least a sliding window lets `count` requests take: a full window for each after the first."""
    limit, seconds = STANDARD[service]
    return max(0, math.ceil(count / limit) - 1) * seconds / scale


def span(scenario: dict[str, Any], service: str) -> float:
    """Seconds from the service's first request to its last answer: its own fetch, as the sandbox saw it."""
    found = (scenario.get("run") or {}).get("services", {}).get(service)
    return found["last"] - found["first"] if found else 0.0


def after_last_answer(scenario: dict[str, Any]) -> float:
    """Seconds from the last answer of either service to the process's end: planning, output, exit."""
    run = scenario["run"]
    last = max((s["last"] for s in run["services"].values()), default=run["started"])
    return max(0.0, run["ended"] - last)


def refused(scenario: dict[str, Any]) -> int:
    run = scenario.get("run") or {}
    return sum(int(s.get("refused", 0)) for s in run.get("services", {}).values())


def number(value: float, digits: int = 0) -> str:
    return f"{value:,.{digits}f}"


def scenario_of(size: dict[str, Any], key: str) -> dict[str, Any] | None:
    return next((s for s in size["scenarios"] if s["key"] == key), None)


HOLIDAYS = "GET /v2/holidays"  # Personio's holidays (the client's holidays.PATH), read when holidays are synced


def before_of(run: dict[str, Any], people: int, key: str) -> dict[str, Any] | None:
    """The scenario `key` at `people` in the earlier run the JSON keeps as `before` (benchmark.py --before)."""
    return ((run.get("before") or {}).get("sizes", {}).get(str(people)) or {}).get(key)


def besides_holidays(scenario: dict[str, Any], earlier: dict[str, Any] | None) -> list[tuple[str, str, int, int, int]]:
    """The endpoints other than the holidays whose requests are not what they were in `earlier` (the same
    scenario before holidays were synced) nor within their minimum, once the service's 429s retried are taken
    off: (service, endpoint, requests, before, minimum). Empty: holidays added their pages and nothing more."""
    found = []
    for service in SERVICES:
        least = minimum_by_endpoint(scenario, service)
        counts = by_endpoint(scenario, service)
        then = (earlier or {}).get("counts", {}).get(service, {})
        retried = int(((scenario.get("run") or {}).get("services", {}).get(service) or {}).get("refused", 0))
        for endpoint in sorted({*counts, *then}):
            if endpoint == HOLIDAYS:
                continue
            count = counts.get(endpoint, 0)
            if count - retried > max(then.get(endpoint, 0), least.get(endpoint, 0)):
                found.append((service, endpoint, count, then.get(endpoint, 0), least.get(endpoint, 0)))
    return found
