"""What changed in Personio since a moment, for an incremental run: per direction, the people and days to
plan again, from the events of a webhook subscription where one records them, else from Personio's lists.

Personio forbids repetitive polling where webhooks exist ("Where webhooks are available … repetitive
polling will not be permitted", developer.personio.de/docs/event-driven-data-from-personio), and keeps a
subscription's events 30 days, readable whether or not they were delivered (systems/personio/events.py).
So for each kind of Personio record a direction watches (sync/direction.py, `Watched`):

- when a readable subscription records its created and changed events, those events name the records, and
  the records are re-read by id (`Watched.reread`) for whose they are and on which day (`Watched.owner`):
  an event is a hint to re-read, never a change in itself (Personio's "updated" events also fire when
  nothing changed). A record named by an event that Personio no longer has was deleted since: its deletion
  event names it. No `updated_at` list is read.
- otherwise that kind's `updated_at` list is read (`Watched.polled`), as the only fallback, and the plan
  says so and how to enable the events.

Deletions (`<kind>.deleted`) are seen only through events: the person an event names, on the day its payload
names where the direction watches one, else over their whole window. A deletion that names no person is
never dropped: the direction is planned whole, or, where it declares that a full run handles it instead
(`Direction.untraced`), the plan says so. People (`person.*`, `employment.*` events, else the persons list
changed since the moment) are planned again over the whole window: a new person, a changed email, a person
who left.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from reconciler.plan.scope import ALL_DAYS, Touched
from reconciler.sync import registry
from reconciler.sync.direction import PERSONIO, Direction, Watched
from reconciler.systems.connect import Clients
from reconciler.systems.http import Record
from reconciler.systems.http.together import nothing, together
from reconciler.systems.personio import narrow
from reconciler.systems.personio.events import CHANGE_EVENTS, Events, event_day, event_person, events_since

PEOPLE = ("person", "employment")  # the kinds of Personio events that concern people


@dataclass(frozen=True)
class PersonioChanges:
    """What changed in Personio since a moment: per direction the people (and days) to plan again, the
    directions to plan whole (a deletion there names nobody), sentences for the plan, and how it was
    learnt: `deletions`: every deletion asked for was read from events; `polled`: the directions whose
    changes came from Personio's lists, not its events."""

    touched: Mapping[str, Touched] = field(default_factory=dict)
    whole: frozenset[str] = frozenset()
    notes: tuple[str, ...] = ()
    deletions: bool = False
    polled: frozenset[str] = frozenset()


def deleted(watched: Watched) -> str:
    """The name of the Personio event that says a record of this kind was deleted."""
    return f"{watched.name}.deleted"


def changes(kind: str) -> tuple[str, ...]:
    """The names of the events that say a record of `kind` was created or changed."""
    return tuple(f"{kind}.{suffix}" for suffix in CHANGE_EVENTS.get(kind, ("created", "updated")))


def _records(directions: Iterable[Direction]) -> dict[str, Watched]:
    return {direction.name: kind for direction in directions if (kind := direction.record_kind(PERSONIO))}


def _people(directions: Iterable[Direction]) -> list[str]:
    return [d.name for d in directions if any(w.system == PERSONIO and w.person for w in d.watches)]


def _names(directions: Collection[Direction]) -> tuple[list[str], list[str]]:
    """The event names an incremental run of `directions` reads: those of deletions (without them, deletions
    are seen only by a full run: the notes say so), and those of changes (without them, Personio's lists
    are polled, and the plan's first line says so)."""
    records = _records(directions).values()
    deletions = [deleted(kind) for kind in records]
    names = [name for kind in records for name in changes(kind.name)]
    if _people(directions):
        names += [name for kind in PEOPLE for name in (*changes(kind), f"{kind}.deleted")]
    return list(dict.fromkeys(deletions)), [name for name in dict.fromkeys(names) if name not in deletions]


def advised() -> list[str]:
    """Every event name reconcile reads from Personio's webhooks: what the README advises to enable."""
    deletions, names = _names(registry.DIRECTIONS)
    return [*deletions, *(name for name in names if not name.startswith("employment."))]


async def personio_changes(clients: Clients, since: datetime, directions: Collection[Direction],
                           now: datetime | None = None) -> PersonioChanges:
    """What changed in Personio at `since` (aware) or later, for `directions`."""
    kinds, people = _records(directions), _people(directions)
    if not kinds and not people:
        return PersonioChanges(deletions=True)  # nothing asked watches Personio
    deletions, names = _names(directions)
    events = await events_since(clients.personio, since, deletions, advised(), now, optional=names)
    ways = _ways(events, kinds)
    named = {name: _named(events, changes(kinds[name].name)) for name in ways.events}
    reads = {name: _reread(kinds[name], clients, named[name]) for name in ways.events}
    reads |= {name: _poll(kinds[name], clients, since) for name in ways.polled}
    *lists, polled_people = await together([*reads.values(), nothing() if ways.people or not people
                                            else narrow.persons_changed(clients.personio, since)])
    records = dict(zip(reads, lists, strict=True))
    touched: dict[str, dict[str, set[date]]] = {}
    whole, notes = set(ways.blind), list(events.notes)
    for name, kind in kinds.items():
        touched[name], untraced = _days_of(kind, events, records.get(name, ()), named.get(name))
        if untraced:
            direction = registry.get(name)
            notes.append(_untraced(direction, kind, untraced))
            whole |= {name} if direction.untraced is None else set()
    persons = _changed_people(events, ways.people, polled_people)
    for name in people:
        touched.setdefault(name, defaultdict(set)).update({person: {*ALL_DAYS} for person in persons.people})
    notes = [_source_line(events, kinds, ways, bool(people)), *notes, *persons.notes]
    return PersonioChanges(touched={name: Touched(personio=_days(days)) for name, days in touched.items()},
                           whole=frozenset(whole), notes=tuple(notes), deletions=events.read,
                           polled=ways.polled)


@dataclass(frozen=True)
class _Ways:
    """How an incremental run learns what changed in Personio, per direction: from events (those of its kind
    of record are all recorded), from the updated_at list (polled), or not at all (blind: it declares
    neither, and is planned whole); and whether people's changes come from events."""

    events: frozenset[str]
    polled: frozenset[str]
    blind: frozenset[str]
    people: bool


def _ways(events: Events, kinds: Mapping[str, Watched]) -> _Ways:
    recorded = frozenset(name for name, kind in kinds.items() if all(n in events.found for n in changes(kind.name)))
    blind = frozenset(name for name, kind in kinds.items() if kind.reread is None or kind.polled is None)
    return _Ways(recorded - blind, frozenset(kinds) - recorded - blind, blind,
                 all(name in events.found for name in changes("person")))


async def _reread(kind: Watched, clients: Clients, named: Mapping[str, str | None]) -> Sequence[Any]:
    """The records the events named, read again by id (none named: no request)."""
    return await kind.reread(clients, sorted(named)) if kind.reread and named else []


async def _poll(kind: Watched, clients: Clients, since: datetime) -> Sequence[Any]:
    return await kind.polled(clients, since) if kind.polled else []


def _days_of(kind: Watched, events: Events, records: Sequence[Any], named: Mapping[str, str | None] | None
             ) -> tuple[dict[str, set[date]], int]:
    """The people and days of one direction's changed `records` and of its kind's deletions (and, where the
    changes came from events, of the records they `named` that Personio no longer has); how many records
    deleted or gone name nobody."""
    days: dict[str, set[date]] = defaultdict(set)
    _add_owners(days, kind, records)
    untraced = _add_deletions(days, events, kind)
    if named is not None:  # a record gone since whose deletion event is read is counted there
        deleted_ids = {_id(event.obj("payload")) for event in events.named(deleted(kind))}
        untraced |= _add_gone(days, {i: p for i, p in named.items() if i not in deleted_ids},
                              {record.id for record in records})
    return days, len(untraced)


# ------------------------------------------------------------------------------------- from the events


def _named(events: Events, names: Sequence[str]) -> dict[str, str | None]:
    """The ids of the records the events `names` name, each with the person its payload names (or None)."""
    out: dict[str, str | None] = {}
    for name in names:
        for event in events.named(name):
            payload = event.obj("payload")
            ident = _id(payload)
            if ident is not None:
                out[ident] = out.get(ident) or (event_person(payload) if payload else None)
    return out


def _id(payload: Record | None) -> str | None:
    value = payload.value("id") if payload else None
    return str(value) if isinstance(value, (str, int)) and not isinstance(value, bool) and str(value) else None


def _add_owners(days: dict[str, set[date]], kind: Watched, records: Iterable[Any]) -> None:
    """Each record's person, on its day (every day for a kind that spans days)."""
    for record in records:
        person, day = kind.owner(record) if kind.owner else (None, None)
        if person is not None:
            days[str(person)] |= {day} if kind.one_day and day else ALL_DAYS


def _add_gone(days: dict[str, set[date]], named: Mapping[str, str | None], found: set[str]) -> set[Any]:
    """The records events named that Personio no longer has (deleted since): their person, from the payload,
    over every day; the ids of those that name nobody."""
    nobody: set[Any] = set()
    for ident, person in named.items():
        if ident in found:
            continue
        if person is None:
            nobody.add(ident)
        else:
            days[person] |= ALL_DAYS
    return nobody


def _add_deletions(days: dict[str, set[date]], events: Events, kind: Watched) -> set[Any]:
    """The people the deletion events of `kind` name, on their day where the payload names one; the ids of
    the deleted records that name nobody."""
    untraced: set[Any] = set()
    for number, event in enumerate(events.named(deleted(kind))):
        payload = event.obj("payload")
        person = event_person(payload) if payload else None
        if person is None:
            untraced.add(_id(payload) or ("#", number))
            continue
        start = event_day(payload, kind.day) if kind.day and payload else None
        days[person] |= {start} if start else ALL_DAYS
    return untraced


@dataclass(frozen=True)
class _People:
    people: frozenset[str]
    notes: tuple[str, ...]


def _changed_people(events: Events, from_events: bool, polled: Sequence[Any]) -> _People:
    """The persons created, changed or deleted, or whose employment changed: from their events, else from the
    persons list changed since the moment (which lists no deleted person: the full run sees those)."""
    if not from_events:
        return _People(frozenset(person.id for person in polled), ())
    found: set[str] = set()
    nobody = 0
    for kind in PEOPLE:
        for name in (*changes(kind), f"{kind}.deleted"):
            for event in events.named(name):
                payload = event.obj("payload")
                person = (_id(payload) if kind == "person" else event_person(payload) if payload else None)
                if person is None:
                    nobody += 1
                else:
                    found.add(person)
    notes = (f"{nobody} Personio person or employment event{'s' if nobody != 1 else ''} name{'s' if nobody == 1 else ''}"
             " no person: a full run sees what changed",) if nobody else ()
    return _People(frozenset(found), notes)


def _days(found: Mapping[str, set[date]]) -> dict[str, frozenset[date]]:
    return {person: ALL_DAYS if ALL_DAYS <= days else frozenset(days) for person, days in found.items() if days}


# ------------------------------------------------------------------------------------------- notes


def _untraced(direction: Direction, kind: Watched, count: int) -> str:
    what = f"Personio events of {count} {kind.name}{'s' if count != 1 else ''} name no person"
    return f"{what}: {direction.untraced or f'{direction.title} is planned whole'}"


def _source_line(events: Events, kinds: Mapping[str, Watched], ways: _Ways, people: bool) -> str:
    """Which way the run learnt what changed in Personio: events (of which webhook) or its lists."""
    read = sorted({kinds[name].name for name in ways.events} | ({"person"} if people and ways.people else set()))
    polled = sorted({kinds[name].name for name in ways.polled} | ({"person"} if people and not ways.people else set()))
    parts = []
    if read:
        parts.append(f"{', '.join(read)} changes from the events of webhook {', '.join(events.webhooks)}")
    if polled:
        parts.append(f"{', '.join(polled)} changes polled from Personio's updated_at lists, which Personio permits "
                     "only where no webhook records them: enable a webhook for "
                     f"{', '.join(name for kind in polled for name in changes(kind))} (POST /v2/webhooks)")
    blind = sorted(kinds[name].name for name in ways.blind)
    if blind:
        parts.append(f"{', '.join(blind)} changes cannot be read: planned whole")
    return "Personio: " + "; ".join(parts)
