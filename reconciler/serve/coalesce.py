"""Debounce webhook hints into few targeted reconciles: one pending batch per (direction, source, person).

Pure: no clock of its own, no I/O; the caller passes `now` (seconds, any monotonic clock) to `add` and
`due`. Batches are due once no hint at all has come for `quiet` seconds (a burst is over), or, each, once
its oldest hint is `max_wait` seconds old, so a steady stream cannot postpone any forever. A burst of
1,000 hints for 50 people is one batch per person and direction, all due together when the burst ends
(one targeted run, not 50); under steady traffic a run comes at least every `max_wait` seconds.

Days merge (ALL_DAYS absorbs any day). A hint that names nobody (a MOCO delete carries only an id)
joins the direction's whole batch (`person=None`: plan this direction whole, or trace `records`);
when that batch is due it takes along every pending batch of the same direction, which it covers.
Assumes hints were verified and read by events.py; it never looks at their content beyond the key.

Bounds (issue 20; BOUNDS below): at most PENDING_KEYS batches pending and RECORDS_PER_BATCH ids in each; a hint
beyond them is not queued and sets `overflowed`, and the runner brings its next incremental run forward, which
reads what changed by itself. A run that fails is split (`split`): its batches are planned again in halves, each
half in a run of its own, so one person's failure cannot hold back the others; a batch that fails alone
MAX_TRIES times is dropped, left to the interval and daily runs. `repeated` answers whether the same body came
from the same source within REPEAT_WINDOW seconds (a replay or a resend: dropped before any work).
"""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date

from reconciler.plan.scope import ALL_DAYS, merge_days
from reconciler.serve.events import Hint

QUIET = 3.0  # seconds without any new hint before the pending batches are planned
MAX_WAIT = 30.0  # seconds after a batch's first hint by which it is planned regardless
# BOUNDS: what pending webhook hints may hold, whatever arrives. Beyond them serve falls back to an incremental run.
PENDING_KEYS = 500  # batches pending at once: (direction, source, person), so people, not events (~1 KiB each)
RECORDS_PER_BATCH = 100  # record ids one batch keeps (one MOCO `ids` list request reads 100)
MAX_TRIES = 3  # runs a batch may fail alone before it is dropped (the interval and daily runs repair it)
REPEAT_WINDOW = 600.0  # seconds within which the same body from the same source is a repeat
REPEATS_KEPT = 50_000  # body hashes remembered for that (~100 bytes each); the oldest go first

Key = tuple[str, str, int | str | None]  # direction, source system, person (None: the whole direction)


@dataclass(frozen=True)
class Batch:
    """What one targeted reconcile plans: `direction` for `person` (None: whole) on `days`."""

    direction: str
    source: str
    person: int | str | None
    days: frozenset[date]
    records: frozenset[int | str]  # ids the hints named (a delete's only trace)
    first: float  # when its oldest hint arrived
    last: float  # when its newest hint arrived
    hints: int  # how many hints it stands for
    updated: frozenset[int | str] = frozenset()  # of `records`, those an update event named (may have moved)
    deleted: frozenset[int | str] = frozenset()  # of `records`, those a delete event named
    covered: tuple[Batch, ...] = ()  # a whole batch: the batches of its direction it took along
    created: int = 0  # of `hints`, those a create event sent (echoes.py counts reconcile's own creates)
    tries: int = 0  # runs it failed alone (split)

    @property
    def whole(self) -> bool:
        return self.person is None


class Coalescer:
    """Pending batches by key; `add` hints as they come, take `due(now)` batches to plan."""

    def __init__(self, quiet: float = QUIET, max_wait: float = MAX_WAIT, *, keys: int = PENDING_KEYS,
                 records: int = RECORDS_PER_BATCH, tries: int = MAX_TRIES) -> None:
        if quiet <= 0 or max_wait < quiet:
            raise ValueError("coalescing needs 0 < quiet <= max_wait")
        self.quiet, self.max_wait = quiet, max_wait
        self.keys, self.records, self.tries = keys, records, tries
        self._pending: dict[Key, Batch] = {}
        self._alone: list[tuple[Batch, ...]] = []  # parts of failed runs, each to be planned in a run of its own
        self._newest = float("-inf")  # when the newest hint came
        self._repeats: OrderedDict[bytes, float] = OrderedDict()  # body hash -> when it came
        self.overflowed = False  # a hint was not queued (a bound): the next incremental run is brought forward

    def __len__(self) -> int:
        return len(self._pending) + sum(len(group) for group in self._alone)

    def repeated(self, source: str, body: bytes, now: float) -> bool:
        """Whether this body came from `source` within REPEAT_WINDOW seconds (then: drop it, no work);
        remembers it otherwise. Call it for authenticated deliveries only, so that nobody without the secret
        can make a real delivery look like a repeat."""
        digest = hashlib.blake2b(body, digest_size=16, person=source.encode()[:16]).digest()
        while self._repeats and next(iter(self._repeats.values())) <= now - REPEAT_WINDOW:
            self._repeats.popitem(last=False)
        if digest in self._repeats:
            return True
        self._repeats[digest] = now
        if len(self._repeats) > REPEATS_KEPT:
            self._repeats.popitem(last=False)
        return False

    def add(self, hint: Hint, now: float) -> None:
        """Let a hint join the batch of each direction it concerns (or start one)."""
        records = frozenset() if hint.record is None else frozenset({hint.record})
        updated = records if hint.event.endswith(" update") else frozenset()
        deleted = records if hint.event.endswith((" delete", ".deleted")) else frozenset()
        days = ALL_DAYS if hint.person is None else hint.days
        created = int(hint.event.endswith((" create", ".created")))
        self._newest = max(self._newest, now)
        for direction in hint.directions:
            self._join(Batch(direction, hint.source, hint.person, days, records, now, now, 1, updated, deleted,
                             created=created))

    def again(self, batches: list[Batch]) -> None:
        """Queue batches once more (their run failed), each keeping the moment of its first hint."""
        for batch in batches:
            self._join(batch)

    def split(self, batches: list[Batch]) -> list[Batch]:
        """The batches of a failed targeted run, to be planned again apart: several (a whole batch's covered
        ones counted apart) in two halves, each planned in a run of its own; one alone once more, unless it
        has failed alone `tries` times: then it is dropped. Answers the dropped batches."""
        parts = [replace(each, covered=()) for batch in batches for each in (batch, *batch.covered)]
        if len(parts) > 1:
            half = (len(parts) + 1) // 2
            self._alone += [tuple(parts[:half]), tuple(parts[half:])]
            return []
        failed = replace(parts[0], tries=parts[0].tries + 1)
        if failed.tries >= self.tries:
            return [failed]
        self._alone.append((failed,))
        return []

    def _join(self, batch: Batch) -> None:
        key: Key = (batch.direction, batch.source, batch.person)
        pending = self._pending.get(key)
        if pending is None:
            if len(self._pending) >= self.keys:  # full: the incremental run brought forward covers it
                self.overflowed = True
                return
            self._pending[key] = batch
            return
        records = pending.records | batch.records
        if len(records) > self.records:  # the ids beyond the bound: the incremental run reads what changed
            self.overflowed = True
            records = pending.records
            batch = replace(batch, updated=frozenset(), deleted=frozenset())
        self._pending[key] = replace(pending, days=merge_days(pending.days, batch.days),
                                     records=records, updated=pending.updated | batch.updated,
                                     deleted=pending.deleted | batch.deleted,
                                     covered=pending.covered + batch.covered,
                                     first=min(pending.first, batch.first), last=max(pending.last, batch.last),
                                     hints=pending.hints + batch.hints, created=pending.created + batch.created)

    def _is_due(self, batch: Batch, now: float) -> bool:
        return now - self._newest >= self.quiet or now - batch.first >= self.max_wait

    def due(self, now: float) -> list[Batch]:
        """Remove and answer the batches to plan now, oldest first. A due whole-direction batch takes
        along (and counts) the pending batches of its direction, whether due or not. A part of a failed run
        (`split`) comes first, alone."""
        if self._alone:
            return list(self._alone.pop(0))
        ready = [key for key, batch in self._pending.items() if self._is_due(batch, now)]
        taken = {key: self._pending.pop(key) for key in ready}
        for key, batch in list(taken.items()):
            if not batch.whole:
                continue
            covered = [other for other in (*self._pending, *taken)
                       if other[0] == batch.direction and other != key and other[2] is not None]
            for other in covered:
                gone = self._pending.pop(other, None) or taken.pop(other)
                batch = replace(batch, first=min(batch.first, gone.first), hints=batch.hints + gone.hints,
                                covered=batch.covered + (gone,))
            taken[key] = batch
        return sorted(taken.values(), key=lambda b: (b.first, b.direction, b.source, str(b.person)))

    def discard(self, unwanted: Callable[[Batch], bool]) -> int:
        """Drop the pending batches `unwanted` says need no run (echoes of reconcile's own writes); the
        number of hints dropped."""
        gone = [key for key, batch in self._pending.items() if unwanted(batch)]
        return sum(self._pending.pop(key).hints for key in gone)

    def drain(self) -> list[Batch]:
        """Everything pending, due or not (on shutdown: hand it to one last reconcile)."""
        alone = [batch for group in self._alone for batch in group]
        self._alone = []
        return alone + self.due(float("inf"))

    def next_due(self) -> float | None:
        """The moment the earliest pending batch becomes due (None: nothing pending), for a sleep."""
        if self._alone:
            return min(batch.first for batch in self._alone[0])
        if not self._pending:
            return None
        return min(self._newest + self.quiet, min(b.first for b in self._pending.values()) + self.max_wait)
