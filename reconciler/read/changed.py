"""What changed, for an incremental or targeted run: each direction's people and days to plan again.

A full run reads every list of the sync window. An incremental run first asks each direction what
changed since a moment (`Direction.touched`: MOCO's `updated_after`, Personio's `updated_at.gte`) and
Personio what was deleted (read/deletions.py), then reads who those people are and no one else
(read/who.py), and plans them over the span of days touched through the same planners, reading their
records only (MOCO by user, Personio by person); a direction's `followups` read what it names by id.

What it sees, within that scope, is what a full run sees there. What it cannot see: a record deleted in
MOCO on a day nothing else changed (MOCO reports deletions only by webhook) or in Personio when none of its
webhooks records them; a record neither changed since the bound nor synced (one an earlier run failed to
write); a new person, a changed email or work pattern, a spec change. A full run sees all of it: run one
nightly.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime

from reconciler.plan.scope import ALL_DAYS, Subset, Touched
from reconciler.plan.snapshot import Window
from reconciler.read.deletions import Deletions, deleted_since
from reconciler.spec import Spec
from reconciler.sync.direction import Direction
from reconciler.sync.identity import Matching
from reconciler.systems.connect import Clients
from reconciler.systems.http.together import together


@dataclass(frozen=True)
class Changed:
    """What changed since a moment, per direction that can tell (`touched`); the directions to plan whole
    (they cannot tell, or a deletion there names nobody); Personio's deletions as read."""

    touched: Mapping[str, Touched]
    whole: tuple[Direction, ...]
    deletions: Deletions


def windows(spec: Spec, today: date, directions: Iterable[Direction]) -> dict[str, Window | None]:
    """The window of each direction a run can narrow to what changed (None: off, or it cannot tell)."""
    return {d.name: (d.days(spec, today) if d.off(spec) is None and d.touched else None) for d in directions}


async def changed_since(clients: Clients, spec: Spec, directions: tuple[Direction, ...],
                        days: Mapping[str, Window | None], bound: datetime) -> Changed:
    """Each direction's updated-after reads and Personio's deletion events since `bound`, at once."""
    asked = {d.name: d.touched(clients, window, bound) for d in directions
             if d.touched is not None and (window := days.get(d.name)) is not None}
    *answers, deletions = await together([*asked.values(), deleted_since(clients.personio, bound, list(asked))])
    touched = deletions.add_to(dict(zip(asked, answers, strict=True)))
    whole = tuple(d for d in directions if d.off(spec) is None and (d.touched is None or d.name in deletions.whole))
    return Changed(touched, whole, deletions)


def scopes(touched: Mapping[str, Touched], matching: Matching, days: Mapping[str, Window | None]
           ) -> dict[str, Subset | None]:
    """Per direction, the people (by MOCO email) and the span of days to plan again; None: nothing of
    that direction changed. Pure. Records of people reconcile does not sync are left out."""
    out: dict[str, Subset | None] = {}
    for name, window in days.items():
        found = touched.get(name)
        out[name] = None if found is None or window is None else _scope(found, matching, window)
    return out


def _scope(found: Touched, matching: Matching, window: Window) -> Subset | None:
    days_of: dict[str, set[date]] = {}
    for pair in matching.pairs:
        days = set(found.moco.get(pair.user.id, ())) | set(found.personio.get(pair.person.id, ()))
        if days:
            days_of[pair.moco_email] = days
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
