"""Reading lists: what a run of some directions needs (`needs`), and every needed list read at once,
each once, for the union of the windows asked (`fetch_snapshot`)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import date
from typing import Any

from reconciler.plan.scope import Subset
from reconciler.plan.snapshot import MATCHED, Need, Snapshot, Source, fewer_collections, merge_needs
from reconciler.spec import Spec
from reconciler.sync.direction import Direction
from reconciler.sync.sources import IDENTITY
from reconciler.systems.connect import Clients
from reconciler.systems.http.together import together

PEOPLE = tuple(Need(source) for source in IDENTITY)  # who is who: every run reads both systems' people
Match = Callable[[Mapping[str, Sequence[Any]]], Sequence[Any]]  # both systems' people → the run's matchings


def needs(spec: Spec, today: date, directions: Iterable[Direction], subset: Subset = Subset()) -> tuple[Need, ...]:
    """What a run of these directions reads: the people, and each synced direction's lists."""
    wanted = list(PEOPLE)
    for direction in directions:
        window = direction.days(spec, today, subset)
        if direction.off(spec) is None and window is not None:
            wanted += direction.reads(spec, window)
    return tuple(wanted)


async def fetch_snapshot(clients: Clients, today: date, needs: Iterable[Need],
                         known: Mapping[str, Sequence[Any]] | None = None, match: Match | None = None) -> Snapshot:
    """Read every needed list at once, each once. A list read `after` another (Personio's holidays, after
    its persons) waits for that one's read of this run, or takes it from `known` (lists read already: who
    is who), or else reads it first itself. One read `after` MATCHED waits for both systems' people so,
    and is given what `match` makes of them."""
    merged = merge_needs(needs)
    reads: dict[Source, asyncio.Future[Any]] = {}
    matched: list[asyncio.Future[Sequence[Any]]] = []  # who is who, matched once for every list after it

    async def matchings() -> Sequence[Any]:
        assert match is not None
        return match({source.name: await of(source) for source in IDENTITY})

    async def after(need: Need) -> Sequence[Any]:
        first = need.after
        assert first is not None
        if first != MATCHED:
            return await of(first)
        if match is None:
            raise ValueError(f"{need.source.name} is read after who is who, and this read matches nobody")
        if not matched:
            matched.append(asyncio.ensure_future(matchings()))
        return await asyncio.shield(matched[0])

    async def of(first: Source) -> Sequence[Any]:
        if first in reads:
            return await asyncio.shield(reads[first])  # shared: its own read's failure is raised by it
        if known is not None and first.name in known:
            return known[first.name]
        return await Need(first).read(clients)

    async def read(need: Need) -> Sequence[Any]:
        return await (need.read(clients, await after(need)) if need.after is not None else need.read(clients))

    for need in merged:
        reads[need.source] = asyncio.ensure_future(read(need))
    with fewer_collections():
        results = await together(reads.values())  # one failing stops the others
    return Snapshot(today=today, lists={need.source.name: tuple(found) for need, found in zip(merged, results)},
                    notices=tuple(getattr(clients, "notices", ())))
