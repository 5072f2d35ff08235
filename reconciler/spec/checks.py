"""What the JSON Schema cannot say about a spec: URLs, time zone, sync window, duplicates, team names.

`semantic_problems` reads data that `spec.defaults.with_defaults` completed, so every setting with a
default is there to read. It tolerates values of the wrong type (the schema reports those) and
returns (key path, sentence) pairs; the loader turns them into located problems.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import Any
from urllib.parse import SplitResult, urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from reconciler.spec.defaults import defaults_of
from reconciler.spec.limits import cut, quote
from reconciler.spec.model import normalise_department_name, normalise_email, normalise_type_name
from reconciler.spec.schema import JsonPath

Finding = tuple[JsonPath, str]


def semantic_problems(data: dict[str, Any], today: date | None) -> list[Finding]:
    """Every problem of meaning in `data` (filled with defaults); `today` defaults to today in its zone."""
    out: list[Finding] = []
    if isinstance(data.get("moco"), dict):
        out += _check_moco(data["moco"])
    out += _check_personio(_section(data, "personio"))
    out += _check_users(_section(data, "users"))
    absences = _section(data, "absences")
    out += _check_absence_types(absences)
    out += _check_people(_section(data, "people"))
    zone = _check_timezone(data["timezone"], out)
    out += _check_window(data.get("start_date"), absences["until_days"], zone, today)
    return out


def _section(data: dict[str, Any], key: str) -> dict[str, Any]:
    """The section at `key`, or its defaults alone where the file has no mapping there."""
    value = data.get(key)
    return value if isinstance(value, dict) else defaults_of(key)


def _url_problem(value: Any, path_problem: Callable[[str, SplitResult], str | None]) -> str | None:
    """What is wrong with the http(s) URL `value`, if anything; `path_problem` judges its path.

    Values that are not http(s) text are the schema's to report.
    """
    if not isinstance(value, str) or not value.startswith(("http://", "https://")):
        return None
    try:
        parts = urlsplit(value)
        port = parts.port
    except ValueError as exc:
        return f"{quote(value)} is not a valid URL ({exc})"
    if not parts.hostname:
        return f"{quote(value)} has no host name"
    if port == 0:
        return f"{quote(value)} has port 0; use a port from 1 to 65535"
    problem = path_problem(value, parts)
    if problem is None and (parts.query or parts.fragment):
        problem = f"{quote(value)} must not carry a query (?...) or fragment (#...)"
    return problem


def _moco_api_root_problem(url: str, parts: SplitResult) -> str | None:
    if parts.path.rstrip("/").endswith("/api/v1"):
        return None
    return f"{quote(url)} must be the API root ending in /api/v1, e.g. {quote(f'{parts.scheme}://{parts.netloc}/api/v1')}"


def _personio_host_problem(url: str, parts: SplitResult) -> str | None:
    if not parts.path.rstrip("/").endswith(("/v1", "/v2")):
        return None
    root = url.rstrip("/").rsplit("/", 1)[0]
    return f"{quote(url)} must be the host only, without /v1 or /v2 (reconcile appends /v2/...); write {quote(root)}"


def _check_moco(moco: dict[str, Any]) -> list[Finding]:
    out: list[Finding] = []
    if not moco["subdomain"] and not moco["base_url"]:
        out.append((("moco",), "needs subdomain (acme for https://acme.mocoapp.com) or base_url (the API root)"))
    if problem := _url_problem(moco["base_url"], _moco_api_root_problem):
        out.append((("moco", "base_url"), problem))
    return out


def _check_personio(personio: dict[str, Any]) -> list[Finding]:
    out: list[Finding] = []
    if problem := _url_problem(personio["base_url"], _personio_host_problem):
        out.append((("personio", "base_url"), problem))
    client_id, client_secret = personio["client_id_env"], personio["client_secret_env"]
    if isinstance(client_id, str) and client_id == client_secret:
        out.append((("personio", "client_secret_env"), f"names the same environment variable as client_id_env "
                                                       f"({cut(client_id)}); the id and the secret are two values"))
    return out


def _email(value: Any) -> str | None:
    return normalise_email(value) if isinstance(value, str) else None


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _check_users(users: dict[str, Any]) -> list[Finding]:
    out: list[Finding] = []
    excluded: dict[str, int] = {}
    for index, value in enumerate(_list(users["exclude"])):
        email = _email(value)
        if email is None:
            continue
        if email in excluded:
            out.append((("users", "exclude", index), f"{quote(value)} is already excluded at "
                                                     f"users.exclude[{excluded[email]}] "
                                                     "(emails compare case-insensitively)"))
        else:
            excluded[email] = index

    seen: dict[str, dict[str, int]] = {"personio": {}, "moco": {}}
    for index, entry in enumerate(_list(users["overrides"])):
        if not isinstance(entry, dict):
            continue
        for side in ("personio", "moco"):
            email = _email(entry.get(side))
            if email is None:
                continue
            path = ("users", "overrides", index, side)
            if email in seen[side]:
                system = "MOCO" if side == "moco" else "Personio"
                out.append((path, f"{cut(email)} is already overridden at users.overrides[{seen[side][email]}].{side}; "
                                  f"each {system} email may appear in one override only"))
            else:
                seen[side][email] = index
            if email in excluded:
                out.append((path, f"{cut(email)} is both overridden here and excluded at "
                                  f"users.exclude[{excluded[email]}]; keep one of the two"))
    return out


def _check_absence_types(absences: dict[str, Any]) -> list[Finding]:
    out: list[Finding] = []
    types = absences.get("types")  # no default: required while absences are enabled
    if not isinstance(types, dict):
        return out
    seen: dict[str, str] = {}
    for name in types:
        key = normalise_type_name(name)
        if not key:
            continue
        if key in seen:
            out.append((("absences", "types", name), f"names the same Personio absence type as {quote(seen[key])} "
                                                     "(names compare case-insensitively)"))
        else:
            seen[key] = name
    return out


def _check_people(people: dict[str, Any]) -> list[Finding]:
    """Team and department names that are only spaces, a department mapped twice, and hires switched on without
    the team they fall back to. Whether a team exists in MOCO is checked at plan time (`GET /units`)."""
    out: list[Finding] = []
    unit = people.get("unit")
    if not isinstance(unit, dict):
        unit = defaults_of("people", "unit")
    default = unit.get("default")
    if _blank(default):
        out.append((("people", "unit", "default"), "is only spaces; write the name of a MOCO team"))
    if people.get("create_in_moco") is True and default is None:
        out.append((("people", "create_in_moco"), "is true, but a hire whose department maps to no team needs a "
                                                  "team: set people.unit.default (a MOCO team name)"))
    by_department = unit.get("by_department")
    if not isinstance(by_department, dict):
        return out
    seen: dict[str, str] = {}
    for name, team in by_department.items():
        path = ("people", "unit", "by_department", name)
        if _blank(name):
            out.append((path, f"{quote(name)} is only spaces; write the name of a Personio department"))
        elif (key := normalise_department_name(name)) in seen:
            out.append((path, f"names the same Personio department as {quote(seen[key])} "
                              "(names compare case-insensitively)"))
        elif name:
            seen[key] = name
        if _blank(team):
            out.append((path, "is only spaces; write the name of a MOCO team"))
    return out


def _blank(value: Any) -> bool:
    """Text that is not empty (the schema reports that) but only spaces."""
    return isinstance(value, str) and bool(value) and not value.strip()


def _check_timezone(name: Any, out: list[Finding]) -> ZoneInfo | None:
    """The zone `name` names, or None (after adding a problem if it is text but no known zone)."""
    if not isinstance(name, str) or not name:
        return None
    try:
        if name.startswith(("/", ".")) or ".." in name:
            raise ValueError(name)
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        close = difflib.get_close_matches(name, sorted(available_timezones()), n=1, cutoff=0.6)
        example = defaults_of()["timezone"]
        hint = f"; did you mean {close[0]!r}?" if close else f"; use an IANA name such as {example}"
        out.append((("timezone",), f"{quote(name)} is not a known IANA time zone{hint}"))
        return None


def _check_window(start: Any, until_days: Any, zone: ZoneInfo | None, today: date | None) -> list[Finding]:
    """Whether `start_date` lies after today + `until_days`, so that nothing would ever be synced."""
    if not isinstance(start, str):
        return []
    try:
        start_date = date.fromisoformat(start)
    except ValueError:
        return []  # the schema reports the format
    if not isinstance(until_days, int) or isinstance(until_days, bool) or until_days < 0:
        return []
    if today is None:
        today = datetime.now(zone or ZoneInfo(defaults_of()["timezone"])).date()
    last = today + timedelta(days=until_days)
    if start_date > last:
        return [(("start_date",), f"{start} lies after the end of the sync window (today {today} + "
                                  f"absences.until_days {until_days} = {last}), so nothing would ever be synced")]
    return []
