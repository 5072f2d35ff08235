"""What changed, for an incremental or targeted run: each direction's people and days to plan again.

A full run reads every list of the sync window. An incremental run first asks each direction what
changed in MOCO since a moment (`Direction.touched`: MOCO's `updated_after`), MOCO which users changed
(a new user, a changed email: the whole window of each, in every direction that watches MOCO users), and
Personio what changed there (read/personio.py: its webhook events, else its `updated_at` lists); then it
reads who those people are and no one else (read/who.py), and plans them over the span of days touched
through the same planners, reading their records only (MOCO by user, Personio by person); a direction's
`followups` read what it names by id.

What it sees, within that scope, is what a full run sees there. What it cannot see: a record deleted in
MOCO on a day nothing else changed (MOCO reports deletions only by webhook) or in Personio when none of its
webhooks records them; a record neither changed since the bound nor synced (one an earlier run failed to
write); a spec change. A full run sees all of it: run one nightly.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from reconciler.plan.scope import ALL_DAYS, Subset, Touched, merge_days
from reconciler.plan.snapshot import Window
from reconciler.read.personio import PersonioChanges, personio_changes
from reconciler.spec import Spec
from reconciler.sync.direction import MOCO, Direction
from reconciler.sync.identity import Matching
from reconciler.systems.connect import Clients
from reconciler.systems.http.together import nothing, together
from reconciler.systems.moco import narrow


@dataclass(frozen=True)
class Changed:
    """What changed since a moment, per direction that can tell (`touched`); the directions to plan whole
    (they cannot tell, or a deletion there names nobody); what changed in Personio, as read."""

    touched: Mapping[str, Touched]
    whole: tuple[Direction, ...]
    personio: PersonioChanges


def windows(spec: Spec, today: date, directions: Iterable[Direction]) -> dict[str, Window | None]:
    """The window of each direction a run can narrow to what changed (None: off, or it cannot tell)."""
    return {d.name: (d.days(spec, today) if d.off(spec) is None and d.touched else None) for d in directions}


async def changed_since(clients: Clients, spec: Spec, directions: tuple[Direction, ...],
                        days: Mapping[str, Window | None], bound: datetime) -> Changed:
    """Each direction's MOCO updated-after reads, MOCO's changed users and what changed in Personio since
    `bound`, at once."""
    telling = [d for d in directions if d.touched is not None and days.get(d.name) is not None]
    asked = _moco_reads(clients, telling, days, bound)
    users = {d.name for d in telling if _watches_users(d)}
    *answers, changed_users, personio = await together([
        *asked.values(), narrow.changed_users(clients.moco, bound) if users else nothing(),
        personio_changes(clients, bound, telling)])
    everyone = Touched(moco={user: ALL_DAYS for user in changed_users})
    touched = {name: merge(merge(found, everyone if name in users else Touched()),
                           personio.touched.get(name, Touched()))
               for name, found in zip(asked, answers, strict=True)}
    whole = tuple(d for d in directions if d.off(spec) is None and (d.touched is None or d.name in personio.whole))
    return Changed(touched, whole, personio)


def _moco_reads(clients: Clients, directions: list[Direction], days: Mapping[str, Window | None], bound: datetime
                ) -> dict[str, Awaitable[Touched]]:
    """Each direction's reads of what changed in MOCO (`Direction.touched`), started. Directions that ask the
    same over the same days (absences and holidays: MOCO's absences and employments) share one read."""
    asked: dict[str, Awaitable[Touched]] = {}
    started: dict[tuple[Any, Window], asyncio.Future[Touched]] = {}
    for direction in directions:
        window = days.get(direction.name)
        if direction.touched is not None and window is not None:
            key = (direction.touched, window)
            if key not in started:
                started[key] = asyncio.ensure_future(direction.touched(clients, window, bound))
            asked[direction.name] = started[key]
    return asked


def _watches_users(direction: Direction) -> bool:
    """Whether a new or changed MOCO user (a changed email) concerns the direction."""
    return any(watched.system == MOCO and watched.person for watched in direction.watches)


def merge(one: Touched, other: Touched) -> Touched:
    """What changed by either."""
    return Touched(
        moco={user: merge_days(one.moco.get(user, frozenset()), other.moco.get(user, frozenset()))
              for user in {*one.moco, *other.moco}},
        personio={person: merge_days(one.personio.get(person, frozenset()), other.personio.get(person, frozenset()))
                  for person in {*one.personio, *other.personio}},
        moco_ids=one.moco_ids | other.moco_ids, moco_moved=one.moco_moved | other.moco_moved)


def scopes(touched: Mapping[str, Touched], matching: Matching, days: Mapping[str, Window | None],
           hiring: frozenset[str] = frozenset()) -> dict[str, Subset | None]:
    """Per direction, the people (by MOCO email) and the span of days to plan again; None: nothing of
    that direction changed. Pure. Records of people reconcile does not sync are left out; but for the
    directions `hiring` (a lifecycle: sync/direction.py), a changed person without a MOCO user, by the email
    their user would have."""
    out: dict[str, Subset | None] = {}
    for name, window in days.items():
        found = touched.get(name)
        out[name] = None if found is None or window is None else _scope(found, matching, window, name in hiring)
    return out


def _scope(found: Touched, matching: Matching, window: Window, hiring: bool) -> Subset | None:
    days_of: dict[str, set[date]] = {}
    for pair in matching.pairs:
        days = set(found.moco.get(pair.user.id, ())) | set(found.personio.get(pair.person.id, ()))
        if days:
            days_of[pair.moco_email] = days
    for person, target in matching.unmatched if hiring else ():
        if person.id in found.personio:
            days_of[target] = set(found.personio[person.id])
    if not days_of:
        return None
    every = set().union(*days_of.values())
    start = window.start if ALL_DAYS <= every else max(window.start, min(every - ALL_DAYS))
    end = window.end if ALL_DAYS <= every else min(window.end, max(every - ALL_DAYS))
    return Subset(users=tuple(sorted(days_of)), start=start, end=end) if start <= end else None


def people(touched: Iterable[Touched]) -> tuple[frozenset[int], frozenset[str]]:
    """The MOCO user ids and the Personio person ids whose records changed, in any direction."""
    found = list(touched)
    return (frozenset(user for each in found for user in each.moco),
            frozenset(person for each in found for person in each.personio))
