"""Reading lists: what a run of some directions needs (`needs`), and every needed list read at once,
each once, for the union of the windows asked (`fetch_snapshot`)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from reconciler.plan.scope import Subset
from reconciler.plan.snapshot import Need, Snapshot, fewer_collections, merge_needs
from reconciler.spec import Spec
from reconciler.sync.direction import Direction
from reconciler.sync.sources import IDENTITY
from reconciler.systems.connect import Clients
from reconciler.systems.http.together import together

PEOPLE = tuple(Need(source) for source in IDENTITY)  # who is who: every run reads both systems' people


def needs(spec: Spec, today: date, directions: Iterable[Direction], subset: Subset = Subset()) -> tuple[Need, ...]:
    """What a run of these directions reads: the people, and each synced direction's lists."""
    wanted = list(PEOPLE)
    for direction in directions:
        window = direction.days(spec, today, subset)
        if direction.off(spec) is None and window is not None:
            wanted += direction.reads(spec, window)
    return tuple(wanted)


async def fetch_snapshot(clients: Clients, today: date, needs: Iterable[Need]) -> Snapshot:
    """Read every needed list at once, each once."""
    merged = merge_needs(needs)
    with fewer_collections():
        results = await together(need.read(clients) for need in merged)  # one failing stops the others
    return Snapshot(today=today, lists={need.source.name: tuple(found) for need, found in zip(merged, results)},
                    notices=tuple(getattr(clients, "notices", ())))
