"""What a plan is computed from: the lists the directions declared they need, read concurrently.

A direction declares its needs as `Need(source, window)`: "MOCO schedules from March to June".
`fetch_snapshot` merges the needs of every direction in the run, so each list is read once, for the
union of the windows asked, never per person or per day, and all lists at the same time.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterable, Iterator, Mapping
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


@dataclass(frozen=True)
class Source:
    """A list one system can be asked for, e.g. MOCO's schedules; equal by name."""

    name: str  # e.g. "moco.schedules"
    read: Callable[[Any, Window | None], Awaitable[list[Any]]] = field(compare=False, repr=False)
    windowed: bool = field(default=True, compare=False)  # False: always read whole (users, types)


@dataclass(frozen=True)
class Need:
    source: Source
    window: Window | None = None  # None for lists read whole

    def __post_init__(self) -> None:
        if self.source.windowed != (self.window is not None):
            raise ValueError(f"{self.source.name} is {'' if self.source.windowed else 'not '}read by window")


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
        elif seen.window is not None and need.window is not None:
            merged[need.source] = Need(need.source, seen.window.span(need.window))
    return tuple(merged.values())


async def fetch_snapshot(clients: Any, today: date, needs: Iterable[Need]) -> Snapshot:
    """Read every needed list at once, each once."""
    merged = merge_needs(needs)
    reads = [asyncio.ensure_future(need.source.read(clients, need.window)) for need in merged]
    try:
        results = await asyncio.gather(*reads)
    except BaseException:
        # One read failed (refused credentials, an unreachable service): stop the others and wait
        # for them, so no request is left running on a session about to close.
        for read in reads:
            read.cancel()
        await asyncio.gather(*reads, return_exceptions=True)
        raise
    return Snapshot(today=today, lists={need.source.name: tuple(found) for need, found in zip(merged, results)},
                    notices=tuple(getattr(clients, "notices", ())))
