"""What a plan is computed from: the lists the directions declared they need, read concurrently.

A direction declares its needs as `Need(source, window)`: "MOCO schedules from March to June".
`fetch_snapshot` merges the needs of every direction in the run, so each list is read once, for the
union of the windows asked, and all lists at the same time. A scoped run (`--user`, an incremental
run) narrows the needs to some people (`narrowed`): sources that can be asked per person
(`Source.read_for`) then read only theirs; the others are read whole.
"""

from __future__ import annotations

import gc
from collections.abc import Awaitable, Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from reconciler.systems.http.together import together


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


@dataclass(frozen=True)
class Source:
    """A list one system can be asked for, e.g. MOCO's schedules; equal by name."""

    name: str  # e.g. "moco.schedules"
    read: Callable[[Any, Window | None], Awaitable[list[Any]]] = field(compare=False, repr=False)
    windowed: bool = field(default=True, compare=False)  # False: always read whole (users, types)
    # Read for some people only: (clients, window, ids) with MOCO user ids ("moco") or Personio person
    # ids ("personio") as `by` says; None: the source is always read for everyone.
    read_for: Callable[[Any, Window | None, frozenset[Any]], Awaitable[list[Any]]] | None = field(
        default=None, compare=False, repr=False)
    by: str = field(default="", compare=False)


@dataclass(frozen=True)
class Need:
    source: Source
    window: Window | None = None  # None for lists read whole
    who: frozenset[Any] | None = None  # the people to read (ids as `source.by` says); None: everyone

    def __post_init__(self) -> None:
        if self.source.windowed != (self.window is not None):
            raise ValueError(f"{self.source.name} is {'' if self.source.windowed else 'not '}read by window")
        if self.who is not None and self.source.read_for is None:
            raise ValueError(f"{self.source.name} cannot be read per person")

    async def read(self, clients: Any) -> list[Any]:
        if self.who is None:
            return await self.source.read(clients, self.window)
        return await self.source.read_for(clients, self.window, self.who)  # type: ignore[misc]


def narrowed(needs: Iterable[Need], users: frozenset[int], persons: frozenset[str]) -> tuple[Need, ...]:
    """The needs, read only for these people where the source can be asked per person."""
    ids = {"moco": users, "personio": persons}
    return tuple(Need(need.source, need.window, ids[need.source.by]) if need.source.read_for else need
                 for need in needs)


@dataclass(frozen=True)
class Snapshot:
    """The records read for one run, per source, and the day the run counts as today."""

    today: date
    lists: Mapping[str, tuple[Any, ...]] = field(default_factory=dict)
    notices: tuple[str, ...] = ()  # records the clients skipped or could read only in part, and why

    def __getitem__(self, source: Source) -> tuple[Any, ...]:
        return self.lists.get(source.name, ())


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


async def fetch_snapshot(clients: Any, today: date, needs: Iterable[Need]) -> Snapshot:
    """Read every needed list at once, each once."""
    merged = merge_needs(needs)
    with fewer_collections():
        results = await together(need.read(clients) for need in merged)  # one failing stops the others
    return Snapshot(today=today, lists={need.source.name: tuple(found) for need, found in zip(merged, results)},
                    notices=tuple(getattr(clients, "notices", ())))


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
