"""Whose record a webhook's bare id is: a MOCO delete carries only the record's id, and a Personio event may
name no person. `reconcile serve` learns, from what its runs read and from the hints it receives, which
person and day each synced record belongs to, so such a delete becomes a run for one person and day
instead of planning its direction whole.

Which lists teach the owners of which direction's records, and how a record's owner and day read, the
directions declare (sync/direction.py, `Watched.listed` and `owner`). Learnt from every run's snapshot
only (a full run replaces what was known: records gone since are forgotten; other runs add what they
read, e.g. a targeted run the presences it read by id). Not from the
hints themselves: an update hint names the record's new day, and the day it had before is what a move
needs (targets.py). An id not known (a record made and deleted between two runs, or outside the last
full run's window) is answered None: the caller plans the direction whole. Never a guess.

Memory: one packed int per record (the person's index and the day), 88 bytes a record with its key,
measured: 88 MB for a million presences and periods (2,000 people with a year of history).
"""

from __future__ import annotations

from datetime import date

from reconciler.plan.snapshot import Snapshot
from reconciler.sync import registry
from reconciler.sync.direction import Person

_DAY_BITS = 22  # date.max.toordinal() is 3,652,059 < 2**22
_DAY_MASK = (1 << _DAY_BITS) - 1
_NO_DAY = 0  # ordinals start at 1: 0 stands for "day not known"


def _key(record: int | str) -> int | str:
    """Ids as compact as they go: Personio's numeric string ids as ints (MOCO's are ints already)."""
    if isinstance(record, str) and record.isascii() and record.isdigit() and len(record) < 19 \
            and str(int(record)) == record:  # "0123" stays a string: it is not the id "123"
        return int(record)
    return record


def _listed(direction: str, source: str) -> str | None:
    """The list that teaches the owners of `direction`'s records in `source` (e.g. "moco.schedules"): two
    directions that watch one list (absences and holidays, MOCO's absences) share what it taught."""
    found = registry.find(direction)
    return next((w.listed.name for w in found.watches if w.system == source and w.listed is not None), None) \
        if found is not None else None


class Owners:
    """Per (list, source system): record id -> (person, day)."""

    def __init__(self) -> None:
        self._people: list[Person] = []
        self._index: dict[Person, int] = {}
        self._of: dict[tuple[str, str], dict[int | str, int]] = {}

    def __len__(self) -> int:
        return sum(len(known) for known in self._of.values())

    def _pack(self, person: Person, day: date | None) -> int:
        at = self._index.get(person)
        if at is None:
            at = self._index[person] = len(self._people)
            self._people.append(person)
        return (at << _DAY_BITS) | (day.toordinal() if day is not None else _NO_DAY)

    def remember(self, direction: str, source: str, record: int | str, person: Person, day: date | None) -> None:
        self._of.setdefault((_listed(direction, source) or direction, source), {})[_key(record)] = \
            self._pack(person, day)

    def learn(self, snapshot: Snapshot, *, whole: bool = False) -> None:
        """Remember the owner of every record `snapshot` holds, in the lists the directions watch
        (sync/direction.py, `Watched.listed`). `whole` (a full run's read): forget what it does not hold,
        for the lists it read."""
        taught: set[tuple[str, str]] = set()
        for direction in registry.DIRECTIONS:
            for watched in direction.watches:
                listed, owner = watched.listed, watched.owner
                if listed is None or owner is None or listed.name not in snapshot.lists:
                    continue
                key = (listed.name, watched.system)
                if key in taught:  # another direction watches this list too: learnt once
                    continue
                taught.add(key)
                known = {} if whole else self._of.setdefault(key, {})
                for record in snapshot.lists[listed.name]:
                    person, day = owner(record)
                    ident = getattr(record, "id", None)
                    if person is not None and ident is not None:
                        known[_key(ident)] = self._pack(person, day)
                self._of[key] = known

    def find(self, direction: str, source: str, record: int | str) -> tuple[Person, date | None] | None:
        """The person and day (None: not known) of a record, or None when its owner is not known."""
        packed = self._of.get((_listed(direction, source) or direction, source), {}).get(_key(record))
        if packed is None:
            return None
        ordinal = packed & _DAY_MASK
        return self._people[packed >> _DAY_BITS], date.fromordinal(ordinal) if ordinal != _NO_DAY else None
