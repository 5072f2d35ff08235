"""Deletions in Personio since a moment, for an incremental run: what Personio's lists cannot show
(`updated_at.gte` lists no deleted record), read from its webhook events (systems/personio/events.py).

Each direction that watches a kind of Personio record (sync/direction.py, `Watched`) is told about the
deletions of that kind (`<kind>.deleted`): the person an event names, on the day its payload names where
the direction watches one (an attendance period's start), else over their whole window. A deletion that
names no person is never dropped: the direction is planned whole, or, where it declares that a full run
handles it instead (`Direction.untraced`), the plan says so. When the events cannot be read, the run goes
on as before and the plan says why.
"""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from reconciler.plan.scope import ALL_DAYS, Touched
from reconciler.sync import registry
from reconciler.sync.direction import PERSONIO, Direction, Watched
from reconciler.systems.personio.client import PersonioClient
from reconciler.systems.personio.events import Events, event_day, event_person, events_since


@dataclass(frozen=True)
class Deletions:
    """What was deleted in Personio since a moment: per direction the people (and days) to plan again,
    the directions to plan whole (a deletion there names no person), and sentences for the plan."""

    touched: Mapping[str, Touched] = field(default_factory=dict)
    whole: frozenset[str] = frozenset()
    notes: tuple[str, ...] = ()
    read: bool = False  # whether all of Personio's deletions asked for could be read (else `notes` say why)

    def add_to(self, touched: Mapping[str, Touched]) -> dict[str, Touched]:
        """`touched` (what each direction's updated-after reads found) with these deletions' people and
        days added; only for the directions in `touched`."""
        out = {}
        for name, found in touched.items():
            extra = self.touched.get(name, Touched()).personio
            personio = {person: frozenset(found.personio.get(person, frozenset()) | extra.get(person, frozenset()))
                        for person in {*found.personio, *extra}}
            out[name] = dataclasses.replace(found, personio=personio)
        return out


def deleted(watched: Watched) -> str:
    """The name of the Personio event that says a record of this kind was deleted."""
    return f"{watched.name}.deleted"


def _watched(directions: Collection[Direction]) -> dict[str, Watched]:
    return {direction.name: kind for direction in directions if (kind := direction.record_kind(PERSONIO))}


async def deleted_since(client: PersonioClient, since: datetime, directions: Collection[str] | None = None,
                        now: datetime | None = None) -> Deletions:
    """Personio's deletions at `since` (aware) or later, for the directions named (all for None)."""
    kinds = _watched(registry.select(directions))
    wanted = {name: deleted(kind) for name, kind in kinds.items()}
    advised = list(dict.fromkeys(deleted(kind) for kind in _watched(registry.DIRECTIONS).values()))
    events = await events_since(client, since, list(dict.fromkeys(wanted.values())), advised, now)
    if not events.found and not events.read:
        return Deletions(notes=events.notes)
    touched, whole, notes = {}, set(), list(events.notes)
    for name, event in wanted.items():
        if event not in events.found:
            continue
        persons, untraced = _persons(events, event, kinds[name])
        touched[name] = Touched(personio=persons)
        if untraced:
            direction = registry.get(name)
            notes.append(_untraced(direction, event, untraced))
            if direction.untraced is None:
                whole.add(name)
    return Deletions(touched=touched, whole=frozenset(whole), notes=tuple(notes), read=events.read)


def _persons(events: Events, name: str, kind: Watched) -> tuple[dict[str, frozenset[date]], int]:
    """The people the `name` events name, with their days (ALL_DAYS unless the kind lies on a day its
    payload names), and how many deletions named nobody (each period counted once)."""
    found: dict[str, set[date]] = defaultdict(set)
    untraced: set[Any] = set()
    for number, event in enumerate(events.named(name)):
        payload = event.obj("payload")
        person = event_person(payload) if payload else None
        if person is None:
            ident = payload.value("id") if payload else None
            untraced.add(ident if isinstance(ident, (str, int)) and not isinstance(ident, bool) else ("#", number))
            continue
        start = event_day(payload, kind.day) if kind.day and payload else None
        found[person] |= {start} if start else ALL_DAYS
    return {person: ALL_DAYS if ALL_DAYS <= days else frozenset(days) for person, days in found.items()}, \
        len(untraced)


def _untraced(direction: Direction, event: str, count: int) -> str:
    what = f"{count} {event} event{'s' if count != 1 else ''} in Personio name{'s' if count == 1 else ''} no person"
    return f"{what}: {direction.untraced or f'{direction.title} is planned whole'}"
