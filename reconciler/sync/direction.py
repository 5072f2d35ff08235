"""What a sync direction is: everything the rest of reconcile needs to know about one flow of records.

A direction lives in one folder under `sync/` (its pure planner, its apply steps, how its records
read) and is listed once in `sync/registry.py`. The CLI's `--only` choices, the snapshot's reads,
the plan's scope, apply's dispatch and the renderers all ask the registry, never a direction by name.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Protocol

from reconciler.plan.model import Change, PlannedPart
from reconciler.plan.snapshot import Need, Snapshot, Source, Window
from reconciler.spec import Spec
from reconciler.sync.identity import Matching, Pair


@dataclass(frozen=True)
class PlanInput:
    """What a planner gets: the spec, the records read, who is who, and its window."""

    spec: Spec
    snapshot: Snapshot
    matching: Matching
    window: Window


class Steps(Protocol):
    """How a direction's changes are made through the clients (`apply.py` runs them)."""

    async def create(self, clients: Any, change: Change) -> None:
        """Send `change.send` as a new record."""

    async def update(self, clients: Any, change: Change) -> None:
        """Send `change.send` onto the record `change.target`."""

    async def delete(self, clients: Any, record_id: Any) -> bool:
        """Delete one record; False when it was already gone."""

    async def find_created(self, clients: Any, change: Change) -> bool:
        """After a create whose answer was lost: re-read and say whether the record exists."""


@dataclass(frozen=True)
class Direction:
    name: str  # e.g. "absences_to_moco": the plan's scope and `--only` use it
    title: str  # e.g. "absences Personio → MOCO"
    system: str  # the system it writes: "moco" | "personio"
    service: str  # that system's name in messages: "MOCO"
    kind: str  # the kind of record it writes: "absence"
    off: Callable[[Spec], str | None]  # why the spec does not sync it (a note for the plan), or None
    window: Callable[[Spec, date], Window]  # the days it syncs, given today
    reads: Callable[[Spec, Window], tuple[Need, ...]]  # what it needs read for those days
    plan: Callable[[PlanInput], PlannedPart]  # pure: the changes, conflicts and warnings
    describe: Callable[[Mapping[str, Any]], str]  # how one of its records reads, e.g. "holiday, morning"
    steps: Steps
    aliases: tuple[str, ...] = ()  # older names still accepted by `--only` and saved plans
    # Incremental runs (--changed-since): the people and days whose records changed since a moment
    # (UTC, ISO 8601) in either system, read with the services' updated-after filters. None: the
    # direction cannot tell, and an incremental run plans it in full.
    touched: Callable[[Any, Window, datetime], Awaitable[Touched]] | None = None
    # Incremental runs: lists read after the others, from what those found and what changed, instead of
    # per person (e.g. MOCO presences by the ids that synced Personio periods name).
    followups: tuple[Followup, ...] = ()


@dataclass(frozen=True)
class Touched:
    """What changed since a moment, as (person, day): MOCO user ids and Personio person ids, each with
    the days to plan again (`ALL_DAYS`: the whole window, e.g. an absence period that may have moved)."""

    moco: Mapping[int, frozenset[date]] = field(default_factory=dict)
    personio: Mapping[str, frozenset[date]] = field(default_factory=dict)
    moco_ids: frozenset[int] = frozenset()  # the ids of the MOCO records that changed, where they are known
    # Of those, the edited ones that may have come from another day (hours_to_personio: `_moved`).
    moco_moved: frozenset[int] = frozenset()


@dataclass(frozen=True)
class Followup:
    """A list an incremental run reads once the direction's other lists are read: `read(clients, first,
    window, touched, pairs)` with `first` the snapshot so far, `touched` what changed and `pairs` the
    people in scope; it answers for those people only."""

    source: Source
    read: Callable[[Any, Snapshot, Window, Touched, tuple[Pair, ...]], Awaitable[list[Any]]]


ALL_DAYS: frozenset[date] = frozenset({date.min})  # plan the whole window for this person
