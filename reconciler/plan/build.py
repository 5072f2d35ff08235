"""(spec, snapshot, directions) → Plan: matches people once, runs each direction's planner and
merges what they say; and the reads those directions need (`needs`).

Pure, like the planners it calls: the same inputs always give the same plan.
"""

from __future__ import annotations

from datetime import date

from reconciler.plan.guard import breaches
from reconciler.plan.model import Plan, PlannedPart, merge
from reconciler.plan.snapshot import Need, Snapshot
from reconciler.spec import Spec
from reconciler.sync import sources
from reconciler.sync.direction import Direction, PlanInput
from reconciler.sync.identity import match_people

# Who is who: every run reads both systems' people, whatever the directions.
IDENTITY = (Need(sources.MOCO_USERS), Need(sources.PERSONIO_PERSONS))


def needs(spec: Spec, today: date, directions: tuple[Direction, ...]) -> tuple[Need, ...]:
    """What a run of these directions reads: the people, and each synced direction's lists."""
    wanted = list(IDENTITY)
    for direction in directions:
        if direction.off(spec) is None:
            wanted += direction.reads(spec, direction.window(spec, today))
    return tuple(wanted)


def build_plan(spec: Spec, snapshot: Snapshot, directions: tuple[Direction, ...], *, partial: bool = False) -> Plan:
    matching = match_people(snapshot[sources.MOCO_USERS], snapshot[sources.PERSONIO_PERSONS], spec.users)
    parts: list[PlannedPart] = []
    owned: dict[str, tuple[str, int]] = {}
    for direction in directions:
        why_not = direction.off(spec)
        if why_not:
            parts.append(PlannedPart(notes=(why_not,)))
            continue
        part = direction.plan(PlanInput(spec, snapshot, matching, direction.window(spec, snapshot.today)))
        parts.append(part)
        owned[direction.system] = (direction.service, owned.get(direction.system, ("", 0))[1] + part.owned)
    return merge(parts, warnings=snapshot.notices + matching.warnings, scope=tuple(d.name for d in directions),
                 partial=partial, guard=lambda changes: breaches(changes, owned, spec.safety))
