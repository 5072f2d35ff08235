"""What a sync direction is: everything the rest of reconcile needs to know about one flow of records.

A direction lives in one folder under `sync/` (its pure planner, its apply steps, how its records read)
and is listed once in `sync/registry.py`. Every kind of run asks the registry, never a direction by name:
the CLI's `--only` choices, the reading stage (what to read for which days, what changed since a moment),
the plan's scope, apply's dispatch, the renderers, and `reconcile serve` (which webhooks concern which
direction, whose record a deleted id was, which events are echoes of reconcile's own writes). As in
octoDNS, where the core names no provider, the core names no direction.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Protocol

from reconciler.plan.model import Change, PlannedPart
from reconciler.plan.scope import Subset, Touched
from reconciler.plan.snapshot import Need, Snapshot, Source, Window
from reconciler.spec import Spec
from reconciler.sync.identity import Matching, Pair
from reconciler.sync.ownership import Marker
from reconciler.systems.connect import Clients

MOCO, PERSONIO = "moco", "personio"  # the systems webhooks and change lists come from


@dataclass(frozen=True)
class PlanInput:
    """What a planner gets: the spec, the records read, who is who, and its window."""

    spec: Spec
    snapshot: Snapshot
    matching: Matching
    window: Window


class Planner(Protocol):
    """A direction's plan made a person at a time: a first sync plans about 500 changes a person, and
    sync/build.py packs each person's as they come (plan/packed.py) instead of holding a million. Made from
    a `PlanInput` (what concerns the whole run is worked out then); `person(pair)` plans one of its matched
    people, in the order of `matching.pairs`; `finish()`, once all are planned, gives the whole run's
    warnings (each person's among them, in order), notes and `owned`, and raises its `PlanError`s. Pure: no
    I/O, and the same calls give the same plan."""

    def person(self, pair: Pair) -> PlannedPart:
        """One person's changes and conflicts."""
        ...

    def finish(self) -> PlannedPart:
        """The rest: warnings, notes, `owned`."""
        ...


class Steps(Protocol):
    """How a direction's changes are made through the clients (`apply.py` runs them); each step gets the
    change's typed `send` as the planner made it."""

    async def create(self, clients: Clients, change: Change) -> None:
        """Send `change.send` as a new record."""

    async def update(self, clients: Clients, change: Change) -> None:
        """Send `change.send` onto the record `change.target`."""

    async def delete(self, clients: Clients, record_id: Any) -> bool:
        """Delete one record; False when it was already gone."""

    async def find_created(self, clients: Clients, change: Change) -> bool:
        """After a create whose answer was lost: re-read and say whether the record exists. A create made of
        several requests (a MOCO user and its employment) may finish the rest here, reading before each write."""


Person = int | str  # a MOCO user id, or a Personio person id


@dataclass(frozen=True)
class Watched:
    """A kind of record whose changes concern a direction, as one system names it: MOCO's webhook target
    (`X-Moco-Target`: "Presence", "User") or the kind in Personio's event names ("attendance-period" of
    `attendance-period.updated`, "person"). `reconcile serve` turns a webhook into the people and days to
    plan again by these declarations, and an incremental run reads Personio's deletion events of the record
    kinds declared there (serve/events.py, read/personio.py). A direction watches at most one kind of record
    per system, and any number of kinds of people."""

    system: str  # MOCO | PERSONIO
    name: str
    person: bool = False  # the record is a person (a MOCO user, a Personio person): it names itself, all days
    # Where an event's payload names the day the record lies on, e.g. ("date",) or ("start", "date_time"):
    # an edit is planned on that day. None: an edit is planned on every day of the person's window (it may
    # have moved the record from a day the payload no longer names).
    day: tuple[str, ...] | None = None
    # Whether a record lies on one day (a presence, a MOCO absence, an attendance period) or spans days (an
    # absence period): a deleted record whose owner is known is planned on its day, or on every day.
    one_day: bool = True
    # The list runs read these records from, and who and which day one of them belongs to: `reconcile serve`
    # learns from it whose record a deleted id was (a MOCO delete names only the id).
    listed: Source | None = None
    owner: Callable[[Any], tuple[Person | None, date | None]] | None = None
    # The direction reads changed records of this kind again by id in incremental runs (its followups): the
    # ids travel along (`Touched.moco_ids`), and an edit that may have moved one from another day is traced
    # to the day it was on. MOCO records only.
    by_id: bool = False
    # Personio records: how an incremental run learns which of them were created or changed since a moment.
    # From the events of a webhook subscription (Personio forbids polling where webhooks exist), re-reading
    # the records the events name by their ids (`reread`); where no subscription records those events, from
    # the list of records updated since then (`polled`). Either way `owner` says whose and which day.
    reread: Callable[[Clients, Collection[str]], Awaitable[Sequence[Any]]] | None = None
    polled: Callable[[Clients, datetime], Awaitable[Sequence[Any]]] | None = None

    def __post_init__(self) -> None:
        if self.system not in (MOCO, PERSONIO):
            raise ValueError(f"webhooks come from {MOCO} or {PERSONIO}, not {self.system!r}")
        if self.person and (self.day or self.listed or self.by_id):
            raise ValueError(f"{self.system} {self.name}: a person names itself; it has no day, list or id to trace")
        if self.by_id and self.system != MOCO:
            raise ValueError(f"{self.system} {self.name}: only MOCO records are read again by id")
        if (self.listed is None) != (self.owner is None):
            raise ValueError(f"{self.system} {self.name}: a list of these records comes with how to read its owner")
        if (self.reread or self.polled) and (self.system != PERSONIO or self.person or self.owner is None):
            raise ValueError(f"{self.system} {self.name}: only Personio records with an owner are re-read or polled")
        if (self.reread is None) != (self.polled is None):
            raise ValueError(f"{self.system} {self.name}: records re-read from events are polled without them")


@dataclass(frozen=True)
class Followup:
    """A list an incremental run reads once the direction's other lists are read: `read(clients, first,
    window, touched, pairs)` with `first` the snapshot so far, `touched` what changed and `pairs` the
    people in scope; it answers for those people only."""

    source: Source
    read: Callable[[Clients, Snapshot, Window, Touched, tuple[Pair, ...]], Awaitable[Sequence[Any]]]


@dataclass(frozen=True)
class Lifecycle:
    """A direction that creates and archives people's accounts rather than syncing their records: it also plans
    people who are only in Personio (a hire has no MOCO user yet), so `--user` and incremental runs may name
    them; its archivals always count in the mass-change guard, from `min_archivals` on (plan/guard.py)."""

    min_archivals: int = 3


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
    # Pure: the changes, conflicts and warnings, all at once (a direction whose plans are small) or a person at
    # a time (`Planner`: those whose first sync plans a change per person and day).
    plan: Callable[[PlanInput], PlannedPart | Planner]
    describe: Callable[[Mapping[str, Any]], str]  # how one of its records reads, e.g. "holiday, morning"
    steps: Steps
    marker: Marker  # the comment its records carry (sync/ownership.py): ours, not hand-made
    aliases: tuple[str, ...] = ()  # older names still accepted by `--only` and saved plans
    # Incremental runs (--changed-since): the people and days whose MOCO records changed since a moment
    # (UTC, aware), read with MOCO's `updated_after`. What changed in Personio is read for every direction
    # alike, from what it watches there (`Watched.reread`, `Watched.polled`; reconciler/read/personio.py).
    # None: the direction cannot tell, and an incremental run plans it in full.
    touched: Callable[[Clients, Window, datetime], Awaitable[Touched]] | None = None
    # Incremental runs: lists read after the others, from what those found and what changed, instead of
    # per person (e.g. MOCO presences by the ids that synced Personio periods name).
    followups: tuple[Followup, ...] = ()
    # What it listens to: the records whose webhooks (and Personio webhook events) concern it.
    watches: tuple[Watched, ...] = ()
    # A Personio deletion event that names no person, in an incremental run: None plans the direction whole
    # (its full read is small); else the words saying what the full run does about it instead.
    untraced: str | None = None
    lifecycle: Lifecycle | None = None  # people's accounts, not their records (see Lifecycle)

    def __post_init__(self) -> None:
        for system in (MOCO, PERSONIO):
            if sum(not watched.person for watched in self.watches if watched.system == system) > 1:
                raise ValueError(f"{self.name} watches more than one kind of {system} record")

    def days(self, spec: Spec, today: date, subset: Subset = Subset()) -> Window | None:
        """The days it syncs, within --from/--to; None when they leave none."""
        window = self.window(spec, today)
        start = max(window.start, subset.start) if subset.start else window.start
        end = min(window.end, subset.end) if subset.end else window.end
        return Window(start, end) if start <= end else None

    def record_kind(self, system: str) -> Watched | None:
        """The kind of record it watches in `system` (not people), if any."""
        return next((watched for watched in self.watches if watched.system == system and not watched.person), None)
