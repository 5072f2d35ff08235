"""What a targeted reconcile plans, from the batches of webhook hints that are due: per direction, the people
and days that changed (`Touched`, as an incremental run's `Direction.touched` answers); never a
direction whole. Pure: the owners of bare ids (owners.py) are passed in.

- A batch for a person: its days, for that MOCO user or Personio person. Where its direction reads the
  MOCO records it names again by id (`Watched.by_id`, e.g. presences), they travel along as `moco_ids`,
  and a record an update named may have moved from another day: when the day it was last seen on is
  known, that day is planned too (its synced period is read there and moved); when not known, it is
  marked `moco_moved`, as an incremental run marks it, and a moved one is left to the full run, which
  the plan says.
- A batch that names nobody (a MOCO delete carries only the record's id; a Personio event may name no
  person): each id's owner, on its day where the record lies on one (`Watched.one_day`). An id with no
  known owner is never guessed and never plans a direction whole (issue 20: a replayed delete planned the
  whole hours direction, 29 requests a replay): it is left to the interval runs (`Targets.left`), and
  where those can see it (a Personio deletion) the next incremental run is brought forward
  (`Targets.forward`). A MOCO record serve never read was never synced by it, or was made and deleted
  between two runs: the daily full run removes any copy of it. A whole batch carries the batches it took
  along (coalesce.py); their people are planned with it.
- Reads of ids serve does not know (a create, or an id nobody made: each one MOCO does not answer in its
  `ids` list is asked for alone) are capped: at most UNKNOWN_IDS_PER_RUN a run; the rest are left to the
  incremental run, brought forward.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date

from reconciler.plan.scope import ALL_DAYS, Touched, merge_days
from reconciler.serve.coalesce import Batch
from reconciler.serve.owners import Owners
from reconciler.sync import registry
from reconciler.sync.direction import MOCO, Watched

Hinted = tuple[tuple[str, Touched | None], ...]
# BOUNDS (see coalesce.py): MOCO ids serve has not seen read by id in one targeted run, one `ids` list request.
UNKNOWN_IDS_PER_RUN = 100


@dataclass(frozen=True)
class Targets:
    """What a targeted run plans (`touched`, as `hinted` answers), and what it leaves to the interval runs."""

    touched: Hinted
    left: int = 0  # ids (or events naming no id) not planned: unknown owners, or unknown ids beyond the cap
    forward: bool = False  # the next incremental run should come now: it sees what was left

    def __bool__(self) -> bool:
        return bool(self.touched)


class _Budget:
    """Unknown ids still allowed in this run, and what was left."""

    def __init__(self, unknown: int) -> None:
        self.unknown, self.left, self.forward = unknown, 0, False


class _Found:
    """The people and days of one direction, gathered from its batches."""

    def __init__(self) -> None:
        self.moco: dict[int, frozenset[date]] = defaultdict(frozenset)
        self.personio: dict[str, frozenset[date]] = defaultdict(frozenset)
        self.ids: set[int] = set()
        self.moved: set[int] = set()

    def add(self, source: str, person: int | str, days: frozenset[date]) -> None:
        if source == MOCO:
            self.moco[int(person)] = merge_days(self.moco[int(person)], days)
        else:
            self.personio[str(person)] = merge_days(self.personio[str(person)], days)

    def touched(self) -> Touched | None:
        return Touched(moco=dict(self.moco), personio=dict(self.personio), moco_ids=frozenset(self.ids),
                       moco_moved=frozenset(self.moved))


def _kind(batch: Batch) -> Watched | None:
    """The kind of record the batch's direction watches in the batch's system."""
    direction = registry.find(batch.direction)
    return direction.record_kind(batch.source) if direction is not None else None


def _person_batch(found: _Found, batch: Batch, owners: Owners, budget: _Budget) -> None:
    assert batch.person is not None
    days = batch.days
    kind = _kind(batch)
    if kind is not None and kind.by_id:  # read again by id: the ids travel along, moves are traced
        travel = set()
        for record in sorted(batch.records, key=str):
            if owners.find(batch.direction, batch.source, record) is not None:
                travel.add(record)
            elif budget.unknown > 0:
                budget.unknown -= 1
                travel.add(record)
            else:
                budget.left, budget.forward = budget.left + 1, True
        found.ids |= {int(record) for record in travel}
        for record in batch.updated & travel:
            known = owners.find(batch.direction, batch.source, record)
            if known is None or known[1] is None:
                found.moved.add(int(record))
            elif known[0] == batch.person:  # the day it was on before this update
                days = merge_days(days, frozenset({known[1]}))
            else:  # given to another user: plan theirs too, on that day
                found.add(batch.source, known[0], frozenset({known[1]}))
    found.add(batch.source, batch.person, days)


def _whole_batch(found: _Found, batch: Batch, owners: Owners, budget: _Budget) -> None:
    """A batch naming nobody: the owners of its ids; those not known are left to the interval runs."""
    kind = _kind(batch)
    if not batch.records:
        budget.left += 1
        budget.forward = True
    for record in batch.records:
        known = owners.find(batch.direction, batch.source, record)
        if known is None:
            budget.left += 1
            budget.forward = budget.forward or batch.source != MOCO  # MOCO's deletions: incremental runs see none
            continue
        person, day = known
        one_day = day is not None and kind is not None and kind.one_day
        found.add(batch.source, person, frozenset({day}) if one_day and day is not None else ALL_DAYS)
    for other in batch.covered:
        _person_batch(found, other, owners, budget)


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


def targets(batches: list[Batch], owners: Owners, unknown: int = UNKNOWN_IDS_PER_RUN) -> Targets:
    """Per direction the batches concern, what a targeted run plans; a direction with nothing left to plan
    is not listed. Never a direction whole."""
    by_direction: dict[str, _Found] = {}
    budget = _Budget(unknown)
    for batch in batches:
        found = by_direction.setdefault(batch.direction, _Found())
        (_whole_batch if batch.whole else _person_batch)(found, batch, owners, budget)
    touched = tuple((name, found.touched()) for name, found in sorted(by_direction.items())
                    if found.moco or found.personio)
    return Targets(touched, budget.left, budget.forward)


def hinted(batches: list[Batch], owners: Owners) -> Hinted:
    """Per direction the batches concern, what a targeted run plans (`targets`, without what it left)."""
    return targets(batches, owners).touched
