"""The one list of sync directions. Everything else asks it: the CLI's `--only` choices, the reads
of every kind of run, the plan's scope, apply's dispatch, the renderers, `reconcile serve`.

Adding a direction: one folder under `sync/` exporting a `DIRECTION`, and one line below.
"""

from __future__ import annotations

from collections.abc import Iterable

from reconciler.errors import ReconcileError
from reconciler.sync.absences_to_moco import DIRECTION as ABSENCES_TO_MOCO
from reconciler.sync.direction import Direction, Watched
from reconciler.sync.holidays_to_moco import DIRECTION as HOLIDAYS_TO_MOCO
from reconciler.sync.hours_to_personio import DIRECTION as HOURS_TO_PERSONIO
from reconciler.sync.people_to_moco import DIRECTION as PEOPLE_TO_MOCO

DIRECTIONS: tuple[Direction, ...] = (
    ABSENCES_TO_MOCO,
    HOLIDAYS_TO_MOCO,
    HOURS_TO_PERSONIO,
    PEOPLE_TO_MOCO,
)


def names() -> tuple[str, ...]:
    return tuple(direction.name for direction in DIRECTIONS)


def choices() -> tuple[str, ...]:
    """Every name `--only` accepts: the directions' names and their older aliases."""
    return names() + tuple(alias for direction in DIRECTIONS for alias in direction.aliases)


def find(name: str) -> Direction | None:
    """The direction called `name` (or an older alias of it), or None."""
    return next((d for d in DIRECTIONS if name == d.name or name in d.aliases), None)


def get(name: str) -> Direction:
    """The direction called `name` (or an older alias of it)."""
    direction = find(name)
    if direction is None:
        raise ReconcileError(f"no sync direction {name!r}; there are: {', '.join(choices())}")
    return direction


def canonical(name: str) -> str:
    """The name of the direction called `name` or an older alias of it (saved plans name both)."""
    return get(name).name


def select(wanted: Iterable[str] | None = None) -> tuple[Direction, ...]:
    """The directions named (all of them for None), in the registry's order."""
    if wanted is None:
        return DIRECTIONS
    chosen = {get(name).name for name in wanted}
    return tuple(direction for direction in DIRECTIONS if direction.name in chosen)


def watching(system: str, name: str) -> tuple[tuple[Direction, Watched], ...]:
    """The directions a change of `name` in `system` concerns (a MOCO webhook target, the kind of a
    Personio event), each with how it watches it, in the registry's order."""
    return tuple((direction, watched) for direction in DIRECTIONS for watched in direction.watches
                 if watched.system == system and watched.name == name)
