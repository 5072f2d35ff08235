"""Knobs for tests and benchmarks: latency, rate limits, faults, and the request log."""

from __future__ import annotations

import random
import time
from collections import Counter, deque
from dataclasses import asdict, dataclass, field, fields
from typing import Any, ClassVar

FAULT_KINDS = ("status", "hang", "lost_response", "disconnect")
WRITE_METHODS = ("POST", "PUT", "PATCH", "DELETE")

# ASSUMPTION (neither API documents it): a refused request (429) counts against the window like an
# accepted one. This is the conservative reading: a client that keeps retrying at its paced rate then
# keeps the window full and never gets out, so only one that pauses a whole window is sure to. It is
# also what the only limiter MOCO's organisation has published does (hundertzehn/caddy-ratelimit,
# ratelimit.go: `requestShouldBlock` counts the request first, then refuses it when over the limit).
# The knob `count_refused` turns it off for one service.
REFUSED_REQUESTS_COUNT = True


@dataclass
class ServiceKnobs:
    """How one stand-in behaves. Every field can be changed at run time through the side door."""

    latency: float = 0.0  # seconds added to every API answer
    rate_limit_requests: int = 120  # sliding window per key ...
    rate_limit_seconds: float = 120.0  # ... of this many seconds
    retry_after: int | None = None  # send Retry-After on 429 (neither API documents one)
    count_refused: bool = REFUSED_REQUESTS_COUNT  # a 429 counts against the window too
    error_rate: float = 0.0  # share of requests answered 5xx before any effect
    error_status: int = 503
    timeout_rate: float = 0.0  # share of requests that hang `hang_seconds` before any effect
    lost_response_rate: float = 0.0  # share of writes committed whose response never arrives
    hang_seconds: float = 30.0

    # Knobs that take one of a few values: name -> the values (checked by `update`, the side door's way in).
    choices: ClassVar[dict[str, tuple[str, ...]]] = {}

    def update(self, values: dict[str, Any]) -> None:
        """Set knobs; an unknown knob, a value a knob does not take, or a switch (a knob that is true or
        false) given anything else changes nothing and raises ValueError."""
        known = {f.name: f for f in fields(self)}
        for name, value in values.items():
            if name not in known:
                raise ValueError(f"unknown knob {name!r}; knobs: {', '.join(known)}")
            if name in self.choices and value not in self.choices[name]:
                raise ValueError(f"knob {name!r} takes {' or '.join(map(repr, self.choices[name]))}, not {value!r}")
            if isinstance(getattr(self, name), bool) and not isinstance(value, bool):
                raise ValueError(f"knob {name!r} takes true or false, not {value!r}")
        for name, value in values.items():
            setattr(self, name, value)


@dataclass
class MocoKnobs(ServiceKnobs):
    # MOCO's standard plan: 120 requests per 2 minutes.
    rate_limit_requests: int = 120
    rate_limit_seconds: float = 120.0
    # assignment.code was documented in 2024; all recorded traffic (2020-2022) lacks it.
    assignment_code: bool = True
    # Headers arrive lower-case over HTTP/2 (recorded in 2023): x-page, x-total, link.
    lowercase_headers: bool = False
    # What GET /users/employments without `to` lists. MOCO's docs: "`to` can be left blank for all open ended
    # employments". "all": every employment from `from` on, ended ones included (the reading the stand-in
    # followed until now); "open_ended": only those whose `to` is null, the other reading. With `to`, every
    # employment overlapping from..to either way.
    employments_without_to: str = "all"
    choices: ClassVar[dict[str, tuple[str, ...]]] = {"employments_without_to": ("all", "open_ended")}


@dataclass
class PersonioKnobs(ServiceKnobs):
    # Personio v2 publishes no general limit (only /v2/auth/token: 150 per minute). A third party
    # observed token buckets of 10-30 requests/s per endpoint; 600 per minute is a cautious stand-in.
    rate_limit_requests: int = 600
    rate_limit_seconds: float = 60.0
    token_rate_limit_requests: int = 150
    token_rate_limit_seconds: float = 60.0
    token_ttl: float = 86400.0
    # Pagination links were relative (/v2/...) before 2025-09-15 and absolute since.
    relative_links: bool = False
    # A credential without the email attribute gets persons with only id and employments.
    sparse_persons: bool = False
    # False: absence periods come without their `approval` object (never documented as optional; what a
    # changed API or a credential without that attribute might send).
    absence_approval: bool = True


@dataclass
class Fault:
    """A scripted fault: the next `times` requests matching method and path prefix get `kind`.

    kind: status (answer `status` before any effect), hang (sleep before any effect),
    lost_response (commit the write, then hang so the caller never hears back),
    disconnect (commit the write, then drop the connection).
    """

    kind: str = "status"
    method: str | None = None
    path: str | None = None  # prefix of the request path, e.g. /api/v1/schedules
    status: int = 503
    times: int = 1

    def __post_init__(self) -> None:
        if self.kind not in FAULT_KINDS:
            raise ValueError(f"unknown fault kind {self.kind!r}; kinds: {', '.join(FAULT_KINDS)}")

    def matches(self, method: str, path: str) -> bool:
        return (self.method is None or self.method.upper() == method) and (
            self.path is None or path.startswith(self.path)
        )


@dataclass
class LoggedRequest:
    service: str
    method: str
    path: str
    endpoint: str  # method + route template, e.g. "GET /api/v1/schedules/{id}"
    query: str
    status: int | None  # None when the response was lost
    started: float  # seconds since the sandbox started (monotonic)
    finished: float
    fault: str | None = None


@dataclass
class RequestLog:
    entries: list[LoggedRequest] = field(default_factory=list)
    epoch: float = field(default_factory=time.monotonic)

    def now(self) -> float:
        return time.monotonic() - self.epoch

    def add(self, entry: LoggedRequest) -> None:
        self.entries.append(entry)

    def clear(self) -> None:
        self.entries.clear()

    def counts(self, service: str | None = None) -> dict[str, int]:
        return dict(Counter(e.endpoint for e in self.entries if service in (None, e.service)))

    def as_json(self) -> dict[str, Any]:
        return {
            "total": len(self.entries),
            "counts": {service: self.counts(service) for service in sorted({e.service for e in self.entries})},
            "requests": [asdict(e) for e in self.entries],
        }


class SlidingWindow:
    """A sliding-window rate limit per key: at most `limit` requests in any `seconds`.

    Counted are the requests let through and, with `count_refused` (REFUSED_REQUESTS_COUNT, the
    default), the refused ones too. `clock` is injectable for tests.
    """

    def __init__(self, clock: Any = time.monotonic) -> None:
        self._arrivals: dict[str, deque[float]] = {}
        self._clock = clock

    def allow(self, key: str, limit: int, seconds: float, *, count_refused: bool = REFUSED_REQUESTS_COUNT) -> bool:
        now = self._clock()
        window = self._arrivals.setdefault(key, deque())
        while window and window[0] <= now - seconds:
            window.popleft()
        allowed = len(window) < limit
        if allowed or count_refused:
            window.append(now)
        return allowed

    def reset(self) -> None:
        self._arrivals.clear()


@dataclass
class FaultPlan:
    """Scripted faults first, then the random shares of the service's knobs (seeded, repeatable)."""

    scripted: list[Fault] = field(default_factory=list)
    rng: random.Random = field(default_factory=lambda: random.Random(0))

    def pick(self, knobs: ServiceKnobs, method: str, path: str) -> Fault | None:
        for fault in self.scripted:
            if fault.times > 0 and fault.matches(method, path):
                fault.times -= 1
                if fault.times == 0:
                    self.scripted.remove(fault)
                return fault
        write = method in WRITE_METHODS
        roll = self.rng.random()
        if roll < knobs.error_rate:
            return Fault(kind="status", status=knobs.error_status)
        roll -= knobs.error_rate
        if roll < knobs.timeout_rate:
            return Fault(kind="hang")
        roll -= knobs.timeout_rate
        if write and roll < knobs.lost_response_rate:
            return Fault(kind="lost_response")
        return None
