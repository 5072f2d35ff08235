"""(spec, snapshot, who is who, directions) → Plan: runs each direction's planner over its scope and
merges what they say, with the mass-change guard's verdict.

Pure, like the planners it calls: the same inputs always give the same plan.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from datetime import date

from reconciler.plan.guard import Pool, breaches
from reconciler.plan.model import Change, Conflict, Plan, PlannedPart, plan_order
from reconciler.plan.packed import Packed
from reconciler.plan.scope import Subset
from reconciler.plan.snapshot import Snapshot, Window, fewer_collections
from reconciler.spec import Spec
from reconciler.sync import sources
from reconciler.sync.direction import Direction, PlanInput, Planner
from reconciler.sync.identity import Matching, Pair, match_people, only_people


def matching_of(spec: Spec, snapshot: Snapshot) -> Matching:
    """Who is who in a snapshot, by the spec's overrides and exclusions."""
    return match_people(snapshot[sources.MOCO_USERS], snapshot[sources.PERSONIO_PERSONS], spec.users,
                        hiring=spec.people.create_in_moco)


def hiring(spec: Spec, directions: tuple[Direction, ...]) -> bool:
    """Whether a lifecycle direction (sync/direction.py) is planned: then `--user` and incremental runs may name
    a person without a MOCO user, whom it may hire."""
    return any(direction.lifecycle is not None and direction.off(spec) is None for direction in directions)


def build_plan(spec: Spec, snapshot: Snapshot, directions: tuple[Direction, ...], *, partial: bool = False,
               subset: Subset = Subset(), scopes: Mapping[str, Subset | None] | None = None,
               announced: frozenset[str] = frozenset(), matching: Matching | None = None) -> Plan:
    """The plan; `scopes` (an incremental or targeted run) gives each direction its own people and days,
    None for a direction where nothing changed. `announced`: the sources whose deletion webhooks reported,
    whose changes the mass-change guard does not count (plan/guard.py). `matching`: who is who, as the
    reading stage matched it (else matched here from the snapshot)."""
    with fewer_collections():  # planning makes objects by the million too
        everyone = matching if matching is not None else matching_of(spec, snapshot)
        return _build_plan(spec, snapshot, directions, everyone, partial=partial, subset=subset, scopes=scopes,
                           announced=announced)


def _build_plan(spec: Spec, snapshot: Snapshot, directions: tuple[Direction, ...], everyone: Matching, *,
                partial: bool, announced: frozenset[str], subset: Subset,
                scopes: Mapping[str, Subset | None] | None) -> Plan:
    hires = hiring(spec, directions)
    matching = only_people(everyone, subset.users, hires=hires) if subset.users else everyone
    made: list[tuple[PlannedPart | Planner, tuple[Pair, ...]]] = []
    planned: set[str] = set()  # the directions planned in this run
    by_changes: set[str] = set()  # directions scoped to what changed (incremental, targeted): plan/guard.py
    for direction in directions:
        scope = scopes.get(direction.name) if scopes is not None else subset
        why_not, window = _why_not(direction, spec, snapshot.today, scope)
        if why_not or scope is None or window is None:
            made.append((PlannedPart(notes=(why_not,) if why_not else ()), ()))
            continue
        matched = matching
        if scopes is not None and scope.users:
            matched = only_people(everyone, scope.users, hires=hires)
            by_changes.add(direction.name)
        made.append((direction.plan(PlanInput(spec, snapshot, matched, window)), matched.pairs))
        planned.add(direction.name)
    changes, conflicts = _person_by_person(made)
    parts = [planned if isinstance(planned, PlannedPart) else planned.finish() for planned, _ in made]
    guard = breaches(changes, _pools(directions, parts, planned), spec.safety, frozenset(by_changes), announced)
    return Plan(changes=changes, conflicts=tuple(sorted(conflicts, key=lambda c: (c.person, c.date))),
                warnings=snapshot.notices + (matching.warnings if scopes is None else ()) +
                tuple(w for part in parts for w in part.warnings),
                notes=tuple(n for part in parts for n in part.notes), scope=tuple(d.name for d in directions),
                partial=partial or bool(subset) or scopes is not None, guard=guard,
                owned=sum(part.owned for part in parts), subset=subset)


def _pools(directions: tuple[Direction, ...], parts: list[PlannedPart], planned: set[str]) -> tuple[Pool, ...]:
    """The guard's pools: the records each system owns of each kind, and the directions planned that write them."""
    pools: dict[tuple[str, str], Pool] = {}
    for direction, part in zip(directions, parts, strict=True):
        if direction.name not in planned:
            continue
        key = (direction.system, direction.kind)
        seen = pools.get(key, Pool(direction.system, direction.service, direction.kind, 0, ()))
        pools[key] = Pool(seen.system, seen.service, seen.kind, seen.owned + part.owned,
                          seen.directions + (direction.name,),
                          direction.lifecycle.min_archivals if direction.lifecycle else seen.lifecycle)
    return tuple(pools.values())


def _person_by_person(made: list[tuple[PlannedPart | Planner, tuple[Pair, ...]]]
                      ) -> tuple[Packed[Change], list[Conflict]]:
    """Every direction's changes and conflicts, a person at a time: each person's changes in the plan's order
    (`plan_order`), packed as they come (a first sync's are a million), so that no more than one person's are
    held unpacked. People follow each other by MOCO email, as `plan_order` has them."""
    whole: dict[str, list[tuple[int, Change]]] = defaultdict(list)  # the directions that plan all at once
    whole_conflicts: dict[str, list[tuple[int, Conflict]]] = defaultdict(list)
    pairs: dict[str, list[tuple[int, Pair]]] = defaultdict(list)
    for index, (planned, planned_pairs) in enumerate(made):
        if isinstance(planned, PlannedPart):
            for change in planned.changes:
                whole[change.person].append((index, change))
            for conflict in planned.conflicts:
                whole_conflicts[conflict.person].append((index, conflict))
        else:
            for pair in planned_pairs:
                pairs[pair.moco_email].append((index, pair))
    changes: Packed[Change] = Packed()
    conflicts: list[Conflict] = []
    for person in sorted(whole.keys() | whole_conflicts.keys() | pairs.keys()):
        theirs: list[Change] = []
        for index, (planned, _) in enumerate(made):  # in the directions' order: ties keep it, as `merge` does
            if isinstance(planned, PlannedPart):
                theirs += [change for at, change in whole.get(person, ()) if at == index]
                conflicts += [conflict for at, conflict in whole_conflicts.get(person, ()) if at == index]
                continue
            for at, pair in pairs.get(person, ()):
                if at == index:
                    part = planned.person(pair)
                    theirs += part.changes
                    conflicts += part.conflicts
        changes.extend(sorted(theirs, key=plan_order))
    return changes, conflicts


def _why_not(direction: Direction, spec: Spec, today: date, scope: Subset | None) -> tuple[str | None, Window | None]:
    """Why a direction is not planned in this run (a note for the plan), or the days it is planned for."""
    why_not = direction.off(spec)
    if scope is None:
        return why_not or f"{direction.title}: nothing changed since the incremental run's bound", None
    window = direction.days(spec, today, scope)
    if window is None:
        return why_not or f"{direction.title}: no day of its window is within --from/--to", None
    return why_not, window
