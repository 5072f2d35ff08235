"""What a plan is computed from: the lists the directions declared they need, as read for one run.

A direction declares its needs as `Need(source, window)`: "MOCO schedules from March to June". The
reading stage (reconciler/read/) merges the needs of every direction in the run (`merge_needs`), so each
list is read once, for the union of the windows asked, and all lists at the same time. A scoped run
(`--user`, an incremental run) narrows the needs to some people (`narrowed`): sources that can be asked
per person then read only theirs; the others are read whole. Pure: nothing here reads.
"""

from __future__ import annotations

import gc
from collections.abc import Awaitable, Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any


@dataclass(frozen=True)
class Window:
    """A span of days, both ends included."""

    start: date
    end: date

    def __contains__(self, day: object) -> bool:
        return isinstance(day, date) and self.start <= day <= self.end

    def days(self) -> Iterator[date]:
        day = self.start
        while day <= self.end:
            yield day
            day += timedelta(days=1)

    def span(self, other: Window) -> Window:
        """The smallest window holding both."""
        return Window(min(self.start, other.start), max(self.end, other.end))

    def __str__(self) -> str:
        return f"{self.start} to {self.end}"


Records = Awaitable[Sequence[Any]]
Who = frozenset[Any]  # the people to read: MOCO user ids or Personio person ids, as `Source.by` says


@dataclass(frozen=True, eq=False)
class Source:
    """A list one system can be asked for, e.g. MOCO's schedules; equal by name. Read whole (`every`:
    users, absence types) or for a window of days (`every_in`: schedules, presences); and, where the
    service can be asked per person (`some`, `some_in`), for some people only: MOCO by user id (`by`
    "moco"), Personio by person id ("personio"). A list that can only be asked for named people (Personio's
    holidays) is read for everyone `after` another list (its people): `every`/`every_in` then get that list's
    records as their last argument, and the two reads of a run share the other list's one read. A list whose
    people only who is who can tell (the employments of hires and leavers) is read `after=MATCHED`: `every`
    then gets the run's matchings, made from both systems' people as this run read them."""

    name: str  # e.g. "moco.schedules"
    every: Callable[..., Records] | None = field(default=None, repr=False)
    every_in: Callable[..., Records] | None = field(default=None, repr=False)
    some: Callable[[Any, Who], Records] | None = field(default=None, repr=False)
    some_in: Callable[[Any, Window, Who], Records] | None = field(default=None, repr=False)
    by: str = ""
    after: Source | None = None  # read for everyone with this list's records (see above)

    def __post_init__(self) -> None:
        if (self.every is None) == (self.every_in is None) or (self.some and not self.every) or \
                (self.some_in and not self.every_in) or bool(self.some or self.some_in) != bool(self.by):
            raise ValueError(f"{self.name}: read whole or by window, per person only with `by`")
        if self.after is not None and (self.after.after is not None or self.after.windowed):
            raise ValueError(f"{self.name}: read after a list read whole, which itself is read first")

    @property
    def windowed(self) -> bool:
        return self.every_in is not None

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Source) and other.name == self.name

    def __hash__(self) -> int:
        return hash(self.name)


def whole(name: str, every: Callable[..., Records], some: Callable[[Any, Who], Records] | None = None,
          by: str = "", after: Source | None = None) -> Source:
    """A list always read whole, or per person where `some` is given; `after` another list (or MATCHED),
    `every` gets its records (the matchings) as a second argument."""
    return Source(name, every=every, some=some, by=by, after=after)


def _matched(clients: Any) -> Records:
    raise ValueError("who is who is matched from the people read, not read itself")


# Read after who is who: a list `after` this is given the run's matchings (one per spec planned: --base-spec
# plans two), which the reading stage makes from both systems' people (read/fetch.py, `match`).
MATCHED = whole("who is who", _matched)


def windowed(name: str, every: Callable[..., Records],
             some: Callable[[Any, Window, Who], Records] | None = None, by: str = "",
             after: Source | None = None) -> Source:
    """A list read for a window of days, whole or per person where `some` is given; `after` another list
    read whole, `every` gets its records as a third argument."""
    return Source(name, every_in=every, some_in=some, by=by, after=after)


@dataclass(frozen=True)
class Need:
    source: Source
    window: Window | None = None  # None for lists read whole
    who: Who | None = None  # the people to read (ids as `source.by` says); None: everyone

    def __post_init__(self) -> None:
        if self.source.windowed != (self.window is not None):
            raise ValueError(f"{self.source.name} is {'' if self.source.windowed else 'not '}read by window")
        if self.who is not None and not self.per_person:
            raise ValueError(f"{self.source.name} cannot be read per person")

    @property
    def per_person(self) -> bool:
        return bool(self.source.some or self.source.some_in)

    @property
    def after(self) -> Source | None:
        """The list this read needs first: its source's `after`, unless it names its people."""
        return self.source.after if self.who is None or not self.per_person else None

    def read(self, clients: Any, before: Sequence[Any] | None = None) -> Records:
        """The list; `before` is the records of `after`, when there is one (fetch_snapshot gives them)."""
        source, window, who = self.source, self.window, self.who
        if (before is None) != (self.after is None):
            raise ValueError(f"{source.name} is read {'after' if self.after else 'without'} another list's records")
        first = (before,) if before is not None else ()
        if window is None:
            assert source.every is not None
            return source.every(clients, *first) if who is None or source.some is None else source.some(clients, who)
        assert source.every_in is not None
        return source.every_in(clients, window, *first) if who is None or source.some_in is None else \
            source.some_in(clients, window, who)


def narrowed(needs: Iterable[Need], users: frozenset[int], persons: frozenset[str]) -> tuple[Need, ...]:
    """The needs, read only for these people where the source can be asked per person."""
    ids = {"moco": users, "personio": persons}
    return tuple(Need(need.source, need.window, ids[need.source.by]) if need.per_person else need
                 for need in needs)


@dataclass(frozen=True)
class Snapshot:
    """The records read for one run, per source, and the day the run counts as today."""

    today: date
    lists: Mapping[str, tuple[Any, ...]] = field(default_factory=dict)
    notices: tuple[str, ...] = ()  # records the clients skipped or could read only in part, and why

    def __getitem__(self, source: Source) -> tuple[Any, ...]:
        return self.lists.get(source.name, ())

    def __repr__(self) -> str:  # counts only, as Plan's (a year of a big company's records)
        return f"Snapshot({self.today}, {', '.join(f'{name}: {len(rows)}' for name, rows in self.lists.items())})"


def merge_needs(needs: Iterable[Need]) -> tuple[Need, ...]:
    """One need per source, for the union of the windows asked."""
    merged: dict[Source, Need] = {}
    for need in needs:
        seen = merged.get(need.source)
        if seen is None:
            merged[need.source] = need
            continue
        window = seen.window.span(need.window) if seen.window is not None and need.window is not None else None
        who = None if seen.who is None or need.who is None else seen.who | need.who  # None: everyone
        merged[need.source] = Need(need.source, window, who)
    return tuple(merged.values())


# The cyclic garbage collector scans every object alive each time it runs a full collection, and it
# runs one every so many objects made: reading a full run's ~2M records (and planning them) made it
# rescan them again and again, a third of a plan's CPU. None of those records form cycles (refcounts
# free them), so while a run reads or plans, the collector waits for this many new objects, not 700.
FEWER_COLLECTIONS = 100_000
_open: list[tuple[int, ...]] = []  # per `fewer_collections` open (they may overlap): the thresholds before


@contextmanager
def fewer_collections() -> Iterator[None]:
    """The collector runs less often until the last of these open closes; then as before."""
    before = _open[0] if _open else gc.get_threshold()
    if not _open:
        gc.set_threshold(max(FEWER_COLLECTIONS, before[0]), *before[1:])
    _open.append(before)
    try:
        yield
    finally:
        _open.pop()
        if not _open:
            gc.set_threshold(*before)
