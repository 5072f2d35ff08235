"""(spec, snapshot, directions) → Plan: matches people once, runs each direction's planner and
merges what they say; and the reads those directions need (`needs`).

Pure, like the planners it calls: the same inputs always give the same plan.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from datetime import date

from reconciler.errors import PlanError
from reconciler.plan.guard import breaches
from reconciler.plan.model import Plan, PlannedPart, Subset, merge
from reconciler.plan.snapshot import Need, Snapshot, Window, fewer_collections
from reconciler.spec import Spec
from reconciler.spec.model import normalise_email
from reconciler.sync import sources
from reconciler.sync.direction import Direction, PlanInput
from reconciler.sync.identity import Matching, match_people

# Who is who: every run reads both systems' people, whatever the directions.
IDENTITY = (Need(sources.MOCO_USERS), Need(sources.PERSONIO_PERSONS))


def needs(spec: Spec, today: date, directions: tuple[Direction, ...], subset: Subset = Subset()) -> tuple[Need, ...]:
    """What a run of these directions reads: the people, and each synced direction's lists."""
    wanted = list(IDENTITY)
    for direction in directions:
        window = window_of(direction, spec, today, subset)
        if direction.off(spec) is None and window is not None:
            wanted += direction.reads(spec, window)
    return tuple(wanted)


def window_of(direction: Direction, spec: Spec, today: date, subset: Subset = Subset()) -> Window | None:
    """The days a direction syncs, within --from/--to; None when they leave none."""
    window = direction.window(spec, today)
    start = max(window.start, subset.start) if subset.start else window.start
    end = min(window.end, subset.end) if subset.end else window.end
    return Window(start, end) if start <= end else None


def build_plan(spec: Spec, snapshot: Snapshot, directions: tuple[Direction, ...], *, partial: bool = False,
               subset: Subset = Subset(), scopes: Mapping[str, Subset | None] | None = None,
               announced: frozenset[str] = frozenset()) -> Plan:
    """The plan; `scopes` (an incremental run) gives each direction its own people and days, None for a
    direction where nothing changed. `announced`: the sources whose deletion webhooks reported, whose
    changes the mass-change guard does not count (plan/guard.py)."""
    with fewer_collections():  # planning makes objects by the million too
        return _build_plan(spec, snapshot, directions, partial=partial, subset=subset, scopes=scopes,
                           announced=announced)


def _build_plan(spec: Spec, snapshot: Snapshot, directions: tuple[Direction, ...], *, partial: bool,
                announced: frozenset[str],
                subset: Subset, scopes: Mapping[str, Subset | None] | None) -> Plan:
    everyone = match_people(snapshot[sources.MOCO_USERS], snapshot[sources.PERSONIO_PERSONS], spec.users)
    matching = only_people(everyone, subset.users) if subset.users else everyone
    parts: list[PlannedPart] = []
    owned: dict[str, tuple[str, int]] = {}
    by_changes: set[str] = set()  # directions scoped to what changed (incremental, targeted): plan/guard.py
    for direction in directions:
        why_not = direction.off(spec)
        scope = scopes.get(direction.name) if scopes is not None else subset
        window = window_of(direction, spec, snapshot.today, scope) if scope is not None else None
        if scope is None:
            why_not = why_not or f"{direction.title}: nothing changed since the incremental run's bound"
        elif window is None:
            why_not = why_not or f"{direction.title}: no day of its window is within --from/--to"
        if why_not:
            parts.append(PlannedPart(notes=(why_not,)))
            continue
        matched = only_people(everyone, scope.users) if scopes is not None and scope.users else matching
        if scopes is not None and scope.users:
            by_changes.add(direction.name)
        part = direction.plan(PlanInput(spec, snapshot, matched, window))
        parts.append(part)
        owned[direction.system] = (direction.service, owned.get(direction.system, ("", 0))[1] + part.owned)
    plan = merge(parts, warnings=snapshot.notices + (matching.warnings if scopes is None else ()),
                 scope=tuple(d.name for d in directions), partial=partial or bool(subset) or scopes is not None,
                 guard=lambda changes: breaches(changes, owned, spec.safety, frozenset(by_changes), announced))
    return dataclasses.replace(plan, subset=subset)


def only_people(matching: Matching, emails: tuple[str, ...]) -> Matching:
    """The matching cut down to the people `--user` names (by either system's email); the others stay
    managed, so nothing of theirs reads as left behind. An email that pairs nobody is an error."""
    wanted = {normalise_email(email) for email in emails}
    pairs = tuple(pair for pair in matching.pairs
                  if {normalise_email(pair.moco_email), normalise_email(pair.personio_email)} & wanted)
    found = {normalise_email(e) for pair in pairs for e in (pair.moco_email, pair.personio_email)}
    for email in sorted(wanted - found):
        why = next((why for why, listed in (("is excluded (users.exclude)", matching.excluded),
                                            ("is archived in MOCO", matching.archived),
                                            ("is only in Personio", matching.only_personio),
                                            ("is only in MOCO", matching.only_moco),
                                            ("is shared by several people", matching.shared))
                    if email in {normalise_email(e) for e in listed}), "matches nobody in MOCO or Personio")
        raise PlanError(f"--user {email}: {why}, so there is nothing to sync for it; `reconcile users` lists who "
                        "is matched to whom")
    return dataclasses.replace(matching, pairs=pairs, warnings=())
