"""Indexes of the stand-ins' stores for the benchmark's sandbox process (see fastlists.py).

The stand-ins' list handlers sort every stored record of a kind and then filter, for each list asked
for; at a million presences that is seconds for a list of one person's. Here the stores of people's
records (MOCO presences and schedules by user, Personio absence and attendance periods by person) keep
an index of their owners, and a list is built by the stand-in's own handler over a narrowed view:
only the records of the people a filter names (`user_id`, `person.id`), or only those changed since
the moment a filter names (`updated_after`, `updated_at.gte`; a superset, the handler filters exactly).
What the handler answers is the same, since its filter would have dropped everything left out.
"""

from __future__ import annotations

import copy
from collections import defaultdict
from collections.abc import Iterable, Mapping
from types import SimpleNamespace
from typing import Any

# The stores indexed, by service, with the attribute that names each record's owner.
INDEXED = {"moco": {"presences": "user_id", "schedules": "user_id"},
           "personio": {"attendance_periods": "person_id", "absence_periods": "person_id"}}
OWNER_FILTERS = {"moco": "user_id", "personio": "person.id"}
SINCE_FILTERS = {"moco": ("updated_after", "updated_at"), "personio": ("updated_at.gte", "updated_at")}


class Indexed(dict):
    """Records by id, with the ids of each owner's records alongside (`owner`: e.g. "user_id")."""

    def __init__(self, records: Mapping[Any, Any], owner: str) -> None:
        super().__init__(records)
        self.owner = owner
        self.index: defaultdict[Any, set[Any]] = defaultdict(set)
        for key, record in self.items():
            self.index[getattr(record, owner)].add(key)

    def __setitem__(self, key: Any, record: Any) -> None:
        old = self.get(key)
        if old is not None:
            self.index[getattr(old, self.owner)].discard(key)
        super().__setitem__(key, record)
        self.index[getattr(record, self.owner)].add(key)

    def __delitem__(self, key: Any) -> None:
        record = self[key]
        super().__delitem__(key)
        self.index[getattr(record, self.owner)].discard(key)

    def pop(self, key: Any, *default: Any) -> Any:
        if key in self:
            record = self[key]
            del self[key]
            return record
        if default:
            return default[0]
        raise KeyError(key)

    def of(self, owners: Iterable[Any]) -> dict[Any, Any]:
        """The records of `owners`, by id."""
        return {key: self[key] for owner in owners for key in self.index.get(owner, ())}


def index_world(world: Any) -> None:
    """Index the world's stores of people's records (after generating or replacing a world)."""
    for service, stores in INDEXED.items():
        state = getattr(world, service)
        for name, owner in stores.items():
            records = getattr(state, name)
            if not isinstance(records, Indexed):
                setattr(state, name, Indexed(records, owner))


def _owners(service: str, query: Mapping[str, str]) -> set[Any] | None:
    raw = query.get(OWNER_FILTERS[service])
    if not raw:
        return None
    parts = [part.strip() for part in raw.split(",") if part.strip()]
    if service == "moco":
        return {int(part) for part in parts if part.isdigit()} if len(parts) == 1 else None
    return set(parts)


def narrowed(state: Any, service: str, query: Mapping[str, str]) -> Any:
    """The store `state` as a list with these filters can see it: a shallow copy with the indexed stores
    cut down to the people or the moment the filters name; `state` itself when they name neither."""
    owners = _owners(service, query)
    since_filter, field = SINCE_FILTERS[service]
    since = query.get(since_filter)
    if owners is None and not since:
        return state
    view = copy.copy(state)
    for name in INDEXED[service]:
        records: Indexed = getattr(state, name)
        kept: Mapping[Any, Any] = records.of(owners) if owners is not None else records
        if since:  # a superset: "…21Z" sorts after "…21", and the handler compares exactly
            kept = {key: record for key, record in kept.items() if getattr(record, field) >= since}
        setattr(view, name, dict(kept))
    return view


def view_of(sandbox: Any, service: str, state: Any) -> Any:
    """What a handler sees of the sandbox: its knobs, and `state` as its service's store."""
    world = SimpleNamespace(moco=sandbox.world.moco, personio=sandbox.world.personio)
    setattr(world, service, state)
    return SimpleNamespace(world=world, knobs=sandbox.knobs)
