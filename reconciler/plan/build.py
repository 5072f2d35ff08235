"""(spec, snapshot) → Plan: matches people, runs the planners in scope and merges what they say.

Pure, like the planners it calls: the same inputs always give the same plan.
"""

from __future__ import annotations

from reconciler.sync.absences_to_moco.planner import plan_absences
from reconciler.sync.hours_to_personio.planner import plan_attendances
from reconciler.sync.identity import match_people
from reconciler.plan import Plan, PlannedPart, sort_changes
from reconciler.plan.snapshot import Snapshot
from reconciler.spec import Spec

SCOPES = ("absences", "attendances")


def build_plan(spec: Spec, snapshot: Snapshot, scope: tuple[str, ...] = SCOPES) -> Plan:
    matching = match_people(snapshot.moco_users, snapshot.persons, spec.users)
    parts: list[PlannedPart] = []
    if "absences" in scope:
        parts.append(plan_absences(spec, snapshot, matching))
    if "attendances" in scope:
        parts.append(plan_attendances(spec, snapshot, matching))
    return Plan(
        changes=sort_changes([c for part in parts for c in part.changes]),
        conflicts=tuple(sorted((c for part in parts for c in part.conflicts), key=lambda c: (c.who, c.date))),
        warnings=tuple(matching.warnings) + tuple(w for part in parts for w in part.warnings),
        notes=tuple(n for part in parts for n in part.notes),
        scope=tuple(s for s in SCOPES if s in scope),
        partial=tuple(scope) != SCOPES,
    )
