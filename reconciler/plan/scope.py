"""The scope of a run: whom and which days it reads and plans, as one typed value (`Scope`).

- `Subset`: everyone (empty), or some people and days (`--user`, `--from`, `--to`).
- `ChangedSince`: an incremental run (`--changed-since`): the people and days whose records changed since
  a moment, as the services' updated-after filters and Personio's deletion events tell.
- `Saved`: the per-direction scope an incremental plan recorded (`apply PLANFILE` plans it again), or the
  one a run just planned, with what it learnt on the way (the read-back after apply).
- `Hinted`: a targeted run of `reconcile serve`: the people and days webhooks named.

Also what changed, as people and days (`Touched`), and how `--changed-since` reads. Pure; the reading
stage (reconciler/read/) turns a scope into a snapshot.

The moment an incremental run looks back to comes from the services' own clock (the `Date` header of
their answers: Personio's token answer, which every run needs, comes first) and is moved back by MARGIN:
clock skew, `>` against `>=`, writes landing while the last run read.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from reconciler.errors import ReconcileError
from reconciler.plan.snapshot import Snapshot

MARGIN = timedelta(minutes=5)
_DURATION = re.compile(r"^\s*(\d+)\s*([smhd])\s*$")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}

ALL_DAYS: frozenset[date] = frozenset({date.min})  # plan the whole window for this person


def merge_days(one: frozenset[date], other: frozenset[date]) -> frozenset[date]:
    """Both sets of days; ALL_DAYS when either is."""
    if date.min in one or date.min in other:
        return ALL_DAYS
    return one | other


@dataclass(frozen=True)
class Subset:
    """Some people, some days (`--user`, `--from`, `--to`); empty: everyone, every day of the spec."""

    users: tuple[str, ...] = ()  # emails as given (either system's, compared case-insensitively)
    start: date | None = None
    end: date | None = None

    def __bool__(self) -> bool:
        return bool(self.users or self.start or self.end)

    def to_json(self) -> dict[str, Any] | None:
        if not self:
            return None
        return {"users": list(self.users), "from": self.start.isoformat() if self.start else None,
                "to": self.end.isoformat() if self.end else None}

    def __str__(self) -> str:
        parts = []
        if self.users:
            parts.append(f"{len(self.users)} {'person' if len(self.users) == 1 else 'people'} "
                         f"({', '.join(self.users)})")
        if self.start or self.end:
            parts.append(f"days {self.start or 'from the start'} to {self.end or 'the end of the window'}")
        return " and ".join(parts)


@dataclass(frozen=True)
class Touched:
    """What changed, as (person, day): MOCO user ids and Personio person ids, each with the days to plan
    again (`ALL_DAYS`: the whole window, e.g. an absence period that may have moved)."""

    moco: Mapping[int, frozenset[date]] = field(default_factory=dict)
    personio: Mapping[str, frozenset[date]] = field(default_factory=dict)
    moco_ids: frozenset[int] = frozenset()  # the ids of the MOCO records that changed, where they are known
    # Of those, the edited ones that may have come from another day (sync/direction.py, `Watched.by_id`).
    moco_moved: frozenset[int] = frozenset()


Scopes = tuple[tuple[str, Subset | None], ...]  # per direction name: its people and days (None: not planned)


@dataclass(frozen=True)
class ChangedSince:
    """`--changed-since`, as given: a duration (`75m`) or a moment (`2026-11-30T08:00:00Z`)."""

    since: str


@dataclass(frozen=True)
class Saved:
    """An incremental run's scope per direction, planned again: from a saved plan (`apply PLANFILE`), or
    right after a run planned it (the read-back after apply), when `people` (who is who, as that run read
    it) and `touched` (what changed) come along and are not read again."""

    since: str  # the moment the run looked back to (UTC, ISO 8601)
    scopes: Scopes
    people: Snapshot | None = None
    touched: Mapping[str, Touched] | None = None


@dataclass(frozen=True)
class Hinted:
    """A targeted run (`reconcile serve`): per direction, what webhooks said changed (None: plan that direction
    whole); a direction not listed is not planned. `announced`: the sources of records webhooks reported
    deleted ("MOCO presence 123"), whose changes the mass-change guard does not count (plan/guard.py)."""

    touched: tuple[tuple[str, Touched | None], ...]
    announced: frozenset[str] = frozenset()


Scope = Subset | ChangedSince | Saved | Hinted
EVERYONE = Subset()


def duration(text: str) -> timedelta | None:
    """`75m`, `2h`, `1d`, `90s` as a length of time; None when `text` is not one (zero included)."""
    match = _DURATION.match(text)
    if not match or int(match.group(1)) <= 0:
        return None
    return timedelta(**{_UNITS[match.group(2)]: int(match.group(1))})


def parse_since(text: str, now: datetime) -> datetime:
    """`75m`, `2h`, `1d`, `90s` before `now`, or an ISO 8601 moment (UTC when it names no offset, not the spec's
    timezone nor this machine's); the run sends MARGIN earlier (`sent_bound`)."""
    if _DURATION.match(text):
        length = duration(text)
        if length is None:
            raise ReconcileError(f"--changed-since {text}: give a duration above zero, e.g. 75m")
        return now - length
    try:
        moment = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        raise ReconcileError(f"--changed-since {text!r}: not a duration (75m, 2h, 1d) nor an ISO 8601 time "
                             "(2026-11-30T08:00:00Z)") from None
    moment = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    if moment > now:
        raise ReconcileError(f"--changed-since {text}: that is after now ({now:%Y-%m-%dT%H:%M:%SZ} by the services' "
                             "clock)")
    return moment


def sent_bound(asked: str) -> str:
    """The bound an incremental run sends (ISO 8601): MARGIN before the moment it was asked for (`asked`), so that
    clocks that differ by less cannot hide a change. A plan shows this one, the moment it looked back to."""
    return (datetime.fromisoformat(asked) - MARGIN).isoformat(timespec="seconds")


def asked_moment(bound: str) -> str:
    """The moment asked for, from the bound a plan shows (`sent_bound`'s inverse): a saved plan's scope again."""
    return (datetime.fromisoformat(bound) + MARGIN).isoformat(timespec="seconds")


def describe(since: datetime, found: Mapping[str, Subset | None], titles: Mapping[str, str], *,
             personio_deletions: bool = False, targeted: bool = False) -> str:
    """One line: which kind of run it was, and what it covered. `personio_deletions`: Personio's deletions
    were read from its webhook events, so only MOCO's are left to a full run. `targeted`: a run of
    `reconcile serve` for what webhooks named, at `since`."""
    parts = [f"{titles[name]}: {subset if subset is not None else 'nothing changed'}" for name, subset in found.items()]
    if targeted:
        return (f"targeted run at {since.astimezone(UTC):%Y-%m-%dT%H:%M:%SZ}: what webhooks named; " + "; ".join(parts)
                + ". The interval and nightly runs see the rest")
    left = "Deletions in MOCO" if personio_deletions else "Deletions"
    return (f"incremental run: changes since {(since - MARGIN).astimezone(UTC):%Y-%m-%dT%H:%M:%SZ} (the bound sent: "
            f"{since.astimezone(UTC):%Y-%m-%dT%H:%M:%SZ} asked for, less {int(MARGIN.total_seconds() // 60)} min for "
            "clocks that differ); " + "; ".join(parts) + f". {left} on days nothing else changed are seen by a full "
            "run")
