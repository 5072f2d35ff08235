"""What a targeted reconcile plans, from the batches of webhook hints that are due: per direction, the people
and days that changed (`Touched`, as an incremental run's `Direction.touched` answers), or None to plan
that direction whole. Pure: the owners of bare ids (owners.py) are passed in.

- A batch for a person: its days, for that MOCO user or Personio person. Where its direction reads the
  MOCO records it names again by id (`Watched.by_id`, e.g. presences), they travel along as `moco_ids`,
  and a record an update named may have moved from another day: when the day it was last seen on is
  known, that day is planned too (its synced period is read there and moved); when not known, it is
  marked `moco_moved`, as an incremental run marks it, and a moved one is left to the full run, which
  the plan says.
- A batch that names nobody (a MOCO delete carries only the record's id; a Personio event may name no
  person): each id's owner, on its day where the record lies on one (`Watched.one_day`). One id with no
  known owner: the direction is planned whole, never guessed. A whole batch carries the batches it took
  along (coalesce.py); their people are planned with it.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date

from reconciler.plan.scope import ALL_DAYS, Touched, merge_days
from reconciler.serve.coalesce import Batch
from reconciler.serve.owners import Owners
from reconciler.sync import registry
from reconciler.sync.direction import MOCO, Watched

Hinted = tuple[tuple[str, Touched | None], ...]


class _Found:
    """The people and days of one direction, gathered from its batches."""

    def __init__(self) -> None:
        self.moco: dict[int, frozenset[date]] = defaultdict(frozenset)
        self.personio: dict[str, frozenset[date]] = defaultdict(frozenset)
        self.ids: set[int] = set()
        self.moved: set[int] = set()
        self.whole = False

    def add(self, source: str, person: int | str, days: frozenset[date]) -> None:
        if source == MOCO:
            self.moco[int(person)] = merge_days(self.moco[int(person)], days)
        else:
            self.personio[str(person)] = merge_days(self.personio[str(person)], days)

    def touched(self) -> Touched | None:
        if self.whole:
            return None
        return Touched(moco=dict(self.moco), personio=dict(self.personio), moco_ids=frozenset(self.ids),
                       moco_moved=frozenset(self.moved))


def _kind(batch: Batch) -> Watched | None:
    """The kind of record the batch's direction watches in the batch's system."""
    direction = registry.find(batch.direction)
    return direction.record_kind(batch.source) if direction is not None else None


def _person_batch(found: _Found, batch: Batch, owners: Owners) -> None:
    assert batch.person is not None
    days = batch.days
    kind = _kind(batch)
    if kind is not None and kind.by_id:  # read again by id: the ids travel along, moves are traced
        found.ids |= {int(record) for record in batch.records}
        for record in batch.updated:
            known = owners.find(batch.direction, batch.source, record)
            if known is None or known[1] is None:
                found.moved.add(int(record))
            elif known[0] == batch.person:  # the day it was on before this update
                days = merge_days(days, frozenset({known[1]}))
            else:  # given to another user: plan theirs too, on that day
                found.add(batch.source, known[0], frozenset({known[1]}))
    found.add(batch.source, batch.person, days)


def _whole_batch(found: _Found, batch: Batch, owners: Owners) -> None:
    """A batch naming nobody: the owners of its ids, or the direction whole when one is not known."""
    if not batch.records:
        found.whole = True
        return
    kind = _kind(batch)
    for record in batch.records:
        known = owners.find(batch.direction, batch.source, record)
        if known is None:
            found.whole = True
            return
        person, day = known
        one_day = day is not None and kind is not None and kind.one_day
        found.add(batch.source, person, frozenset({day}) if one_day and day is not None else ALL_DAYS)
    for other in batch.covered:
        _person_batch(found, other, owners)


def announced(batches: list[Batch]) -> frozenset[str]:
    """The sources of the records the batches' webhooks reported deleted, e.g. "MOCO presence 123": the
    mass-change guard does not count the deletions that follow them (plan/guard.py). A direction's marker
    names the records it syncs from, those it watches in the system it does not write."""
    found: set[str] = set()
    for batch in batches:
        for each in (batch, *batch.covered):
            direction = registry.find(each.direction)
            if direction is not None and direction.system != each.source and _kind(each) is not None:
                found.update(f"{direction.marker.label} {record}" for record in each.deleted)
    return frozenset(found)


def hinted(batches: list[Batch], owners: Owners) -> Hinted:
    """Per direction the batches concern, what a targeted run plans (None: that direction whole)."""
    by_direction: dict[str, _Found] = {}
    for batch in batches:
        found = by_direction.setdefault(batch.direction, _Found())
        (_whole_batch if batch.whole else _person_batch)(found, batch, owners)
    return tuple((name, found.touched()) for name, found in sorted(by_direction.items()))
