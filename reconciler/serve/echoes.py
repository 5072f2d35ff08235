"""reconcile's own writes coming back as webhooks. Personio's deliveries say nothing of who made a change,
so every attendance period serve writes returns as an event; MOCO's deletes carry only an id, so the
absences serve removes return as deletes of unknown origin. Planned, each echo costs a targeted run that
finds nothing to do, and a full sync of a company would return as thousands of events: one more read
of everyone. (A MOCO create or update of reconcile's own absence is told apart by events.py already:
`X-Moco-Origin: api` and the marker.)

`Echoes` remembers, for WINDOW seconds after a run, what it wrote: per kind of record (two directions may
write one: MOCO's absences are both the absences' and the holidays') the ids of the records it updated or
deleted, and, where its records lie on one day (sync/direction.py, `Watched.one_day`), the (person, day) of
each it wrote, since a created record's new id is not known (a Personio attendance period).
A hint naming such an id, or one whose person and days were all written then, is an echo and is not
planned. A create event that names its person but no day (Personio's dataless `attendance-period.created`,
issue 20) is an echo while reconcile created more records for that person in that window than such events
came back: each of its creates excuses one create event; one more, made by hand, is planned. The price: a
hand edit of that same record (or of that person's records that day) within WINDOW seconds of reconcile's
write waits for the next incremental run (every 15 minutes by default), which reads what changed by its own
filters.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date

from reconciler.apply import Outcome
from reconciler.serve.coalesce import Batch
from reconciler.serve.events import Hint
from reconciler.sync import registry
from reconciler.sync.direction import Person, Watched

WINDOW = 120.0  # seconds after a run during which its own writes' events are echoes


def _written(direction: str, source: str) -> Watched | None:
    """The kind of record `direction` writes, when it writes in `source`: its records' webhooks come from
    there (a direction's records are written in one system only)."""
    found = registry.find(direction)
    return found.record_kind(source) if found is not None and found.system == source else None


def _table(direction: str, source: str) -> str | None:
    """The kind of record `direction` writes in `source`, as one system names it ("moco Schedule"): what
    the echoes of its writes are remembered by. None when it writes nothing there."""
    kind = _written(direction, source)
    return f"{source} {kind.name}" if kind is not None else None


class Echoes:
    def __init__(self, window: float = WINDOW) -> None:
        self.window = window
        self._ids: dict[tuple[str, str], float] = {}  # (kind of record, record id) -> until when its events are echoes
        self._days: dict[tuple[str, str, date], float] = {}  # (kind of record, person, day) -> until when
        self._created: dict[tuple[str, str], list[float]] = {}  # (kind of record, person) -> until when, per create

    def remember(self, outcomes: Iterable[Outcome], person_of: Mapping[str, Mapping[str, Person]], now: float) -> None:
        """What a run wrote. `person_of`: per system, an email (lower-case) -> that person's id there."""
        until = now + self.window
        self._forget(now)
        for outcome in outcomes:
            change = outcome.change
            if outcome.status == "skipped":
                continue
            kind, table = _written(change.direction, change.system), _table(change.direction, change.system)
            for ident in (change.target, *(removal.id for removal in change.removes)):
                if ident is not None:
                    self._ids[(table or change.direction, str(ident))] = until
            person = person_of.get(change.system, {}).get(change.user.lower())
            if kind is not None and table is not None and kind.one_day and person is not None:
                self._days[(table, str(person), change.date)] = until
            if table is not None and person is not None and change.action == "create" and outcome.status == "applied":
                self._created.setdefault((table, str(person)), []).append(until)

    def covers(self, direction: str, source: str, person: int | str | None, days: frozenset[date],
               records: frozenset[int | str], now: float) -> bool:
        """Whether what a hint or a batch names was all written by reconcile moments ago: a direction's
        records are written in one system only, so its ids are those of the system `source` names."""
        kind, table = _written(direction, source), _table(direction, source)
        if kind is None or table is None:
            return False
        if records and all(self._ids.get((table, str(record)), 0.0) > now for record in records):
            return True
        return (kind.one_day and person is not None and bool(days) and date.min not in days
                and all(self._days.get((table, str(person), day), 0.0) > now for day in days))

    def batch(self, batch: Batch, now: float) -> bool:
        """Whether a pending batch (its hints came while the run that wrote was going) holds only echoes."""
        return self.covers(batch.direction, batch.source, batch.person, batch.days, batch.records, now) or (
            batch.created == batch.hints and date.min in batch.days
            and self._own_creates(batch.direction, batch.source, batch.person, batch.created, now))

    def _own_creates(self, direction: str, source: str, person: int | str | None, count: int, now: float) -> bool:
        """Whether `count` create events for `person` that name no day are reconcile's own creates coming back:
        it made at least that many for them within the window not yet matched; matched ones are used up."""
        table = _table(direction, source)
        if person is None or table is None:
            return False
        left = [until for until in self._created.get((table, str(person)), ()) if until > now]
        if len(left) < count:
            return False
        self._created[(table, str(person))] = left[count:]
        return True

    def hint(self, hint: Hint, now: float) -> str | None:
        """Why a hint is an echo (the reason /metrics counts as `ignored`), or None."""
        record = frozenset() if hint.record is None else frozenset({hint.record})
        if all(self.covers(direction, hint.source, hint.person, hint.days, record, now)
               for direction in hint.directions):
            return f"{hint.event}: reconcile's own write moments ago"
        if hint.event.endswith(".created") and len(hint.directions) == 1 and date.min in hint.days \
                and self._own_creates(hint.directions[0], hint.source, hint.person, 1, now):
            return f"{hint.event}: reconcile's own create moments ago"
        return None

    def _forget(self, now: float) -> None:
        self._ids = {key: until for key, until in self._ids.items() if until > now}
        self._days = {key: until for key, until in self._days.items() if until > now}
        self._created = {key: left for key, untils in self._created.items() if (left := [u for u in untils if u > now])}
