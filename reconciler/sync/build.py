"""(spec, snapshot, who is who, directions) → Plan: runs each direction's planner over its scope and
merges what they say, with the mass-change guard's verdict.

Pure, like the planners it calls: the same inputs always give the same plan.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from datetime import date

from reconciler.plan.guard import breaches
from reconciler.plan.model import Plan, PlannedPart, merge
from reconciler.plan.scope import Subset
from reconciler.plan.snapshot import Snapshot, Window, fewer_collections
from reconciler.spec import Spec
from reconciler.sync import sources
from reconciler.sync.direction import Direction, PlanInput
from reconciler.sync.identity import Matching, match_people, only_people


def matching_of(spec: Spec, snapshot: Snapshot) -> Matching:
    """Who is who in a snapshot, by the spec's overrides and exclusions."""
    return match_people(snapshot[sources.MOCO_USERS], snapshot[sources.PERSONIO_PERSONS], spec.users)


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
    matching = only_people(everyone, subset.users) if subset.users else everyone
    parts: list[PlannedPart] = []
    owned: dict[str, tuple[str, int]] = {}
    by_changes: set[str] = set()  # directions scoped to what changed (incremental, targeted): plan/guard.py
    for direction in directions:
        scope = scopes.get(direction.name) if scopes is not None else subset
        why_not, window = _why_not(direction, spec, snapshot.today, scope)
        if why_not or scope is None or window is None:
            parts.append(PlannedPart(notes=(why_not,) if why_not else ()))
            continue
        matched = matching
        if scopes is not None and scope.users:
            matched = only_people(everyone, scope.users)
            by_changes.add(direction.name)
        part = direction.plan(PlanInput(spec, snapshot, matched, window))
        parts.append(part)
        owned[direction.system] = (direction.service, owned.get(direction.system, ("", 0))[1] + part.owned)
    plan = merge(parts, warnings=snapshot.notices + (matching.warnings if scopes is None else ()),
                 scope=tuple(d.name for d in directions), partial=partial or bool(subset) or scopes is not None,
                 guard=lambda changes: breaches(changes, owned, spec.safety, frozenset(by_changes), announced))
    return dataclasses.replace(plan, subset=subset)


def _why_not(direction: Direction, spec: Spec, today: date, scope: Subset | None) -> tuple[str | None, Window | None]:
    """Why a direction is not planned in this run (a note for the plan), or the days it is planned for."""
    why_not = direction.off(spec)
    if scope is None:
        return why_not or f"{direction.title}: nothing changed since the incremental run's bound", None
    window = direction.days(spec, today, scope)
    if window is None:
        return why_not or f"{direction.title}: no day of its window is within --from/--to", None
    return why_not, window
