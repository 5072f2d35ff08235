"""The mass-change guard (octoDNS's `Plan.raise_if_unsafe`, per system and kind of record, told in numbers).

A run that would delete or update more than `safety.max_change_percent` of the records reconcile
owns in one system (of one kind) is unsafe: a typo in the spec or an empty answer from a service looks
exactly like that. `plan` shows the breach in every format. A breach holds that pool's changes (of each
direction writing there: `held`), creates included, since a bad answer can cause those too; `apply`
makes the other directions' and systems' changes and holds the breached part unless `--force`, and says
what it held (`GuardRefused`, exit 1). The guard
applies once reconcile owns at least `safety.min_owned` records in the system and the run deletes or
updates at least `safety.min_changes` of them, so a first sync, a small company and the rerun after
an interrupted first sync are not stopped.

A run scoped by what changed (incremental, or `reconcile serve`'s targeted runs) plans again only the
people and days whose records changed: nearly every record it reads there is due an update, because
that is why it was read. Its updates in such a direction are therefore what the changes ask for and are
not counted (`by_changes`); its deletions are, as in any run, since an empty or partial answer shows up
as deletions. A direction such a run plans whole is guarded as in a full run.

Records are pooled per system and kind of record (MOCO absences, which two directions write; Personio
attendances; MOCO users): a breach holds the changes of its pool's directions, the others go ahead. The
employee lifecycle's pool (MOCO users, `Pool.lifecycle`) counts its archivals against the people matched, in
every kind of run (an archival is never what a change asks for: it is what Personio says), from
`Pool.lifecycle` archivals on instead of `safety.min_owned`/`min_changes`, so that four of six leaving at
once is stopped and one leaver is not.

A change whose source a webhook reported deleted (`announced`, e.g. "MOCO presence 123" for a presence
deleted in MOCO, named by `reconcile serve`'s targeted run) is not counted either: the service said so,
and the run's own read confirmed it, two signals an empty answer does not give.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from reconciler.errors import ReconcileError
from reconciler.plan.model import Change, Plan
from reconciler.plan.packed import Packed
from reconciler.spec import SafetySettings, Spec


@dataclass(frozen=True)
class Pool:
    """The records of one kind reconcile owns in one system, and the directions writing them."""

    system: str  # moco | personio
    service: str  # as messages name it: MOCO
    kind: str  # the kind of record: absence, attendance, user
    owned: int  # records reconcile owns there (synced, in the window read; for users: the people matched)
    directions: tuple[str, ...]
    lifecycle: int = 0  # > 0: users archived (updated) by the lifecycle, guarded from this many on (see above)


@dataclass(frozen=True)
class Breach:
    system: str  # moco | personio
    service: str  # as messages name it: MOCO
    owned: int  # records reconcile owns there (synced, in the window read)
    updates: int
    deletes: int
    limit_percent: float
    kind: str = ""  # the pool's kind of record
    directions: tuple[str, ...] = field(default=(), compare=False)  # whose changes it holds
    lifecycle: bool = False  # the employee lifecycle's pool: updates are archivals of matched users

    @property
    def percent(self) -> float:
        return 100 * (self.updates + self.deletes) / self.owned

    def __str__(self) -> str:
        limit = f"({self.percent:.0f} %; the limit is {self.limit_percent:g} %, safety.max_change_percent)"
        if self.lifecycle:
            return (f"this run would archive {self.updates} of the {self.owned} {self.service} users reconcile matches "
                    f"with Personio {limit}")
        return (f"this run would delete {self.deletes} and update {self.updates} of the {self.owned} records "
                f"reconcile owns in {self.service} {limit}")

    def to_json(self) -> dict[str, Any]:
        return {"system": self.system, "kind": self.kind, "owned": self.owned, "update": self.updates,
                "delete": self.deletes, "percent": round(self.percent, 1), "limit_percent": self.limit_percent}


def breaches(changes: Iterable[Change], pools: Iterable[Pool], safety: SafetySettings,
             by_changes: frozenset[str] = frozenset(), announced: frozenset[str] = frozenset()
             ) -> tuple[Breach, ...]:
    """The pools where `changes` delete or update more than the allowed share of what is owned;
    `by_changes` names the directions scoped to what changed, whose updates are not counted (see above)."""
    pool_of = {name: pool for pool in pools for name in pool.directions}
    updates: dict[Pool, int] = {}
    deletes: dict[Pool, int] = {}
    for change in changes:
        pool = pool_of.get(change.direction)
        if pool is None or (change.source and change.source in announced):
            continue
        counted = change.action == "update" and (pool.lifecycle > 0 or change.direction not in by_changes)
        updates[pool] = updates.get(pool, 0) + counted
        deletes[pool] = deletes.get(pool, 0) + change.destroys
    found = []
    for pool in sorted(set(pool_of.values()), key=lambda pool: (pool.system, pool.kind)):
        count = pool.owned
        changed = updates.get(pool, 0) + deletes.get(pool, 0)
        floors = (count >= 1 and changed >= pool.lifecycle) if pool.lifecycle else \
            (count >= safety.min_owned and changed >= safety.min_changes)
        if count and floors and 100 * changed > safety.max_change_percent * count:
            found.append(Breach(pool.system, pool.service, count, updates.get(pool, 0), deletes.get(pool, 0),
                                safety.max_change_percent, pool.kind, pool.directions, pool.lifecycle > 0))
    return tuple(found)


@dataclass(frozen=True)
class Held:
    """The changes of one direction in one system that a breach there holds back (names no person)."""

    direction: str
    system: str
    service: str  # as messages name it: MOCO
    count: int  # changes held
    percent: float  # of the records reconcile owns in the system, deleted or updated by the run
    limit_percent: float

    def __str__(self) -> str:
        return (f"{self.direction} in {self.service}: {self.count} change{'s' if self.count != 1 else ''} held "
                f"({self.percent:.0f} % of the records reconcile owns there; the limit is {self.limit_percent:g} %)")

    def to_json(self) -> dict[str, Any]:
        return {"direction": self.direction, "system": self.system, "count": self.count,
                "share": round(self.percent, 1), "threshold": self.limit_percent}


def _breached(plan: Plan) -> dict[str, Breach]:
    """The breach holding each direction's changes."""
    return {name: breach for breach in plan.guard if isinstance(breach, Breach) for name in breach.directions}


def split(plan: Plan) -> tuple[Sequence[Change], Sequence[Change]]:
    """The plan's changes that go ahead and those the guard holds: every change of a breached pool's
    directions. Packed as the plan's are (a first sync's: plan/packed.py)."""
    breached = _breached(plan)
    if not breached:
        return plan.changes, ()
    going, holding = Packed[Change](), Packed[Change]()
    for change in plan.changes:
        (holding if change.direction in breached else going).append(change)
    return going, holding


def held(plan: Plan) -> tuple[Held, ...]:
    """What the guard holds of `plan`, per direction and system, in the plan's order of directions."""
    breached = _breached(plan)
    counts: dict[tuple[str, str], int] = {}
    for change in split(plan)[1]:
        counts[change.direction, change.system] = counts.get((change.direction, change.system), 0) + 1
    order = {name: index for index, name in enumerate(plan.scope)}
    return tuple(Held(direction, system, breached[direction].service, count, breached[direction].percent,
                      breached[direction].limit_percent)
                 for (direction, system), count in sorted(counts.items(),
                                                           key=lambda item: (order.get(item[0][0], 99), item[0])))


def holding(plan: Plan, breach: Breach) -> str:
    """What `reconcile apply` does about a breach, as the plan says it."""
    parts = [part for part in held(plan) if part.direction in breach.directions]
    count = sum(part.count for part in parts)
    which = ", ".join(part.direction for part in parts)
    rest = "; the other changes go ahead" if count < len(plan.changes) else ""
    return (f"`reconcile apply` holds the {count} change{'s' if count != 1 else ''} "
            f"in {breach.service}{f' ({which})' if which else ''} unless --force{rest}")


class GuardRefused(ReconcileError):
    """The mass-change guard held part of the plan (or all of it). `report` is what became of the rest
    (an ApplyReport of the run's layer; None: nothing else was applied)."""

    def __init__(self, spec: Spec, plan: Plan, report: Any = None) -> None:
        self.plan, self.report, self.held = plan, report, held(plan)
        limits = "; ".join(str(breach) for breach in plan.guard)
        what = " and ".join(f"the {part.count} change{'s' if part.count != 1 else ''} of {part.direction} in "
                            f"{part.service}" for part in self.held) or "the plan"
        if report is None:
            done = "Nothing was written"
        else:
            done = f"The other changes were applied ({report.summary().rstrip('.')})"
        looks = "Many leavers at once in Personio, a wrong status there" if \
            any(isinstance(b, Breach) and b.lifecycle for b in plan.guard) else "A typo in absences.types"
        super().__init__(f"refusing to apply {what}: the mass-change guard holds them, as {limits}. {done}. "
                         f"{looks} or an empty answer from a service looks like this; check the plan. "
                         "If these changes are intended, run `reconcile apply --force`, or raise "
                         f"safety.max_change_percent in {spec.source}.")

    def reason(self) -> str:
        """What is held, naming no person (for /readyz and metrics)."""
        return "; ".join(str(part) for part in self.held) or "the whole plan"
