"""What an apply costs before it writes (issue 22): the write requests each system gets, and how long they
take at the spec's rate limits. Pure: from the changes and the spec's rates.

Requests are counted as apply makes each change (apply.py and each direction's steps): a create is one
POST, an update one PUT or PATCH, a delete one DELETE, each record a change `removes` one more DELETE, and
an update made by creating the record anew (`creates`, a duration-only recreate) a DELETE and a POST.
A create whose outcome is unknown is re-read after it, and apply reads back what it wrote once done: those
reads are not counted, so the cost is "at least". The time is the writes at the configured steady pace
(`requests` per `per_seconds`); both systems are written side by side, so the apply takes the longer.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from reconciler.plan.model import Change, Plan, creates
from reconciler.spec import Spec
from reconciler.spec.model import RateLimit

WORTH_SAYING = 60.0  # seconds at the configured rates from which the cost is worth a line
SERVICES = {"moco": "MOCO", "personio": "Personio"}  # systems as messages name them


def writes(change: Change) -> int:
    """The write requests apply sends for one change (the re-read of an unknown outcome aside); a send that
    makes several says how many (`writes`: a MOCO user and its employment)."""
    several = getattr(change.send, "writes", None)
    if isinstance(several, int):
        return several + len(change.removes)
    if change.action == "create":
        return 1
    if change.action == "update":
        return (2 if creates(change) else 1) + len(change.removes)  # a recreate: DELETE, then POST
    return 1 + len(change.removes)


@dataclass(frozen=True)
class Writes:
    """One system's writes and the rate they are paced at."""

    system: str  # moco | personio
    count: int
    rate: RateLimit

    @property
    def seconds(self) -> float:
        return self.count * self.rate.per_seconds / self.rate.requests

    def __str__(self) -> str:
        return (f"{self.count:,} {SERVICES.get(self.system, self.system)} write{'s' if self.count != 1 else ''} "
                f"≈ {duration(self.seconds)} at {rate_words(self.rate)}")

    def to_json(self) -> dict[str, Any]:
        return {"writes": self.count, "seconds": round(self.seconds)}


@dataclass(frozen=True)
class Cost:
    """The write requests per system and their time; `first_sync`: nothing of reconcile's own was read yet."""

    systems: tuple[Writes, ...]
    first_sync: bool

    @property
    def seconds(self) -> float:
        """How long the apply takes at least: the slower system's writes (both are written side by side)."""
        return max((each.seconds for each in self.systems), default=0.0)

    @property
    def worth_saying(self) -> bool:
        return self.seconds >= WORTH_SAYING

    def __str__(self) -> str:
        shown = sorted((each for each in self.systems if each.count), key=lambda each: -each.seconds)
        what = "first sync" if self.first_sync else "this apply"
        return f"{what}: at least " + "; ".join(str(each) for each in shown) if shown else f"{what}: no writes"

    def to_json(self) -> dict[str, Any]:
        return {**{each.system: each.to_json() for each in self.systems}, "first_sync": self.first_sync}


def rates(spec: Spec) -> dict[str, RateLimit]:
    """Each system's rate limit, as the spec gives it."""
    return {"moco": spec.moco.rate_limit, "personio": spec.personio.rate_limit}


def first_sync(plan: Plan) -> bool:
    """Whether a plan is (part of) a first sync: it read nothing of reconcile's own in the systems it writes.
    An incremental run reads only what changed, so it never says so."""
    return not plan.owned and not plan.since


def cost_of(changes: Iterable[Change], limits: Mapping[str, RateLimit], *, first_sync: bool) -> Cost:
    """The cost of making `changes` at `limits` (per system, `rates(spec)`)."""
    counts = dict.fromkeys(limits, 0)
    for change in changes:
        counts[change.system] = counts.get(change.system, 0) + writes(change)
    return Cost(tuple(Writes(system, count, limits[system]) for system, count in counts.items() if system in limits),
                first_sync)


def duration(seconds: float) -> str:
    """Seconds as a person reads them: `45 s`, `12 min`, `2.5 h`, `51 h`."""
    if seconds < 59.5:
        return f"{max(1, round(seconds))} s"
    if seconds < 90 * 60:
        return f"{round(seconds / 60)} min"
    hours = seconds / 3600
    return f"{hours:.1f} h".replace(".0 h", " h") if hours < 9.95 else f"{round(hours)} h"


def rate_words(rate: RateLimit) -> str:
    """A rate limit as the spec gives it: `300 per minute`, `120 per 2 min`, `5 per second`, `10 per 30 s`."""
    per = rate.per_seconds
    if per == 1:
        window = "second"
    elif per == 60:
        window = "minute"
    elif per == 3600:
        window = "hour"
    elif per % 3600 == 0:
        window = f"{per / 3600:g} h"
    elif per % 60 == 0:
        window = f"{per / 60:g} min"
    else:
        window = f"{per:g} s"
    return f"{rate.requests:,} per {window}"
