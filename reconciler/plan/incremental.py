"""Incremental runs (`--changed-since`): plan again only the people and days whose records changed.

A full run reads every list of the sync window. An incremental run first asks each direction what
changed since a moment (`Direction.touched`: MOCO's `updated_after`, Personio's `updated_at.gte`),
then reads who those people are and no one else (plan/who.py: MOCO users by `ids` and `email`,
Personio persons by `id` and `email`, the whole Personio list when an email finds nobody), and plans
them over the span of days touched through the same planners, reading their records only (MOCO by
user, Personio by person). MOCO presences are not read per person: those that changed and those the
people's synced Personio periods name are read again by id (`Direction.followups`).

What it sees, within that scope, as a full run would: every Personio record of those people and days;
every MOCO absence and employment of those people; every MOCO presence that changed since the bound
or that a synced period names, so a synced presence deleted in MOCO on a day that changed is planned
for deletion (people whose Personio periods changed have their presences read whole). What it cannot
see: a MOCO presence neither changed since the bound nor synced (one an earlier run failed to write);
a record deleted on a day nothing else changed, in MOCO (it reports deletions only by webhook) or in
Personio when none of its webhooks records them (see systems/personio/events.py); a new person,
a changed email or work pattern, a spec change. A presence moved in MOCO from a day outside the run's
days is left alone (its period there is not read; writing it would copy it), and the plan says so. A
full run (no `--changed-since`) sees and does all of it: run one nightly. After an incremental apply,
the read-back for copies made by a concurrent run plans the same scope from the same who-is-who.

The moment comes from the services' own clock (the `Date` header of their answers: Personio's token
answer, which every run needs, comes first) and is moved back by MARGIN: clock skew, `>` against
`>=`, writes landing while the last run read.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from datetime import UTC, date, datetime, timedelta

from reconciler.errors import ReconcileError
from reconciler.plan.model import Subset
from reconciler.plan.snapshot import Window
from reconciler.sync.direction import ALL_DAYS, Touched
from reconciler.sync.identity import Matching

MARGIN = timedelta(minutes=5)
_DURATION = re.compile(r"^\s*(\d+)\s*([smhd])\s*$")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}


def duration(text: str) -> timedelta | None:
    """`75m`, `2h`, `1d`, `90s` as a length of time; None when `text` is not one (zero included)."""
    match = _DURATION.match(text)
    if not match or int(match.group(1)) <= 0:
        return None
    return timedelta(**{_UNITS[match.group(2)]: int(match.group(1))})


def parse_since(text: str, now: datetime) -> datetime:
    """`75m`, `2h`, `1d`, `90s` before `now`, or an ISO 8601 moment (UTC when it names no offset)."""
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


def scopes(touched: Mapping[str, Touched], matching: Matching, windows: Mapping[str, Window | None]
           ) -> dict[str, Subset | None]:
    """Per direction, the people (by MOCO email) and the span of days to plan again; None: nothing of
    that direction changed. Pure. Records of people reconcile does not sync are left out."""
    out: dict[str, Subset | None] = {}
    for name, window in windows.items():
        found = touched.get(name)
        if found is None or window is None:
            out[name] = None
            continue
        days_of: dict[str, set[date]] = {}
        for pair in matching.pairs:
            days = set(found.moco.get(pair.user.id, ())) | set(found.personio.get(pair.person.id, ()))
            if days:
                days_of[pair.moco_email] = days
        if not days_of:
            out[name] = None
            continue
        every = set().union(*days_of.values())
        start = window.start if ALL_DAYS <= every else max(window.start, min(every - ALL_DAYS))
        end = window.end if ALL_DAYS <= every else min(window.end, max(every - ALL_DAYS))
        out[name] = Subset(users=tuple(sorted(days_of)), start=start, end=end) if start <= end else None
    return out


def people(touched: Iterable[Touched]) -> tuple[frozenset[int], frozenset[str]]:
    """The MOCO user ids and the Personio person ids whose records changed, in any direction."""
    found = list(touched)
    return (frozenset(user for each in found for user in each.moco),
            frozenset(person for each in found for person in each.personio))


def describe(since: datetime, found: Mapping[str, Subset | None], titles: Mapping[str, str], *,
             personio_deletions: bool = False, targeted: bool = False) -> str:
    """One line: which kind of run it was, and what it covered. `personio_deletions`: Personio's deletions
    were read from its webhook events (systems/personio/events.py), so only MOCO's are left to a full run.
    `targeted`: a run of `reconcile serve` for what webhooks named, at `since`."""
    parts = [f"{titles[name]}: {subset if subset is not None else 'nothing changed'}" for name, subset in found.items()]
    if targeted:
        return (f"targeted run at {since.astimezone(UTC):%Y-%m-%dT%H:%M:%SZ}: what webhooks named; " + "; ".join(parts)
                + ". The interval and nightly runs see the rest")
    left = "Deletions in MOCO" if personio_deletions else "Deletions"
    return (f"incremental run: changes since {since.astimezone(UTC):%Y-%m-%dT%H:%M:%SZ} (the bound moved back "
            f"{int(MARGIN.total_seconds() // 60)} min); " + "; ".join(parts) + f". {left} on days nothing else "
            "changed are seen by a full run")
