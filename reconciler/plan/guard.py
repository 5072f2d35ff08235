"""The mass-change guard (octoDNS's `Plan.raise_if_unsafe`, per system and told in numbers).

A run that would delete or update more than `safety.max_change_percent` of the records reconcile
owns in one system is unsafe: a typo in the spec or an empty answer from a service looks exactly
like that. `plan` shows the breach in every format; `apply` refuses it unless `--force`. The guard
applies once reconcile owns at least `safety.min_owned` records in the system and the run deletes or
updates at least `safety.min_changes` of them, so a first sync, a small company and the rerun after
an interrupted first sync are not stopped.

A run scoped by what changed (incremental, or `reconcile serve`'s targeted runs) plans again only the
people and days whose records changed: nearly every record it reads there is due an update, because
that is why it was read. Its updates in such a direction are therefore what the changes ask for and are
not counted (`by_changes`); its deletions are, as in any run, since an empty or partial answer shows up
as deletions. A direction such a run plans whole is guarded as in a full run.

A change whose source a webhook reported deleted (`announced`, e.g. "MOCO presence 123" for a presence
deleted in MOCO, named by `reconcile serve`'s targeted run) is not counted either: the service said so,
and the run's own read confirmed it, two signals an empty answer does not give.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from reconciler.errors import ReconcileError
from reconciler.plan.model import Change, Plan
from reconciler.spec import SafetySettings, Spec


@dataclass(frozen=True)
class Breach:
    system: str  # moco | personio
    service: str  # as messages name it: MOCO
    owned: int  # records reconcile owns there (synced, in the window read)
    updates: int
    deletes: int
    limit_percent: float

    @property
    def percent(self) -> float:
        return 100 * (self.updates + self.deletes) / self.owned

    def __str__(self) -> str:
        return (f"this run would delete {self.deletes} and update {self.updates} of the {self.owned} records "
                f"reconcile owns in {self.service} ({self.percent:.0f} %; the limit is {self.limit_percent:g} %, "
                "safety.max_change_percent)")

    def to_json(self) -> dict[str, Any]:
        return {"system": self.system, "owned": self.owned, "update": self.updates, "delete": self.deletes,
                "percent": round(self.percent, 1), "limit_percent": self.limit_percent}


def breaches(changes: Iterable[Change], owned: Mapping[str, tuple[str, int]], safety: SafetySettings,
             by_changes: frozenset[str] = frozenset(), announced: frozenset[str] = frozenset()
             ) -> tuple[Breach, ...]:
    """The systems where `changes` delete or update more than the allowed share of what is owned.
    `owned` maps a system to its name in messages and the records reconcile owns there; `by_changes`
    names the directions scoped to what changed, whose updates are not counted (see above)."""
    updates: dict[str, int] = {}
    deletes: dict[str, int] = {}
    for change in changes:
        if change.source and change.source in announced:
            continue
        counted = change.action == "update" and change.direction not in by_changes
        updates[change.system] = updates.get(change.system, 0) + counted
        deletes[change.system] = deletes.get(change.system, 0) + change.destroys
    found = []
    for system, (service, count) in sorted(owned.items()):
        changed = updates.get(system, 0) + deletes.get(system, 0)
        if count and count >= safety.min_owned and changed >= safety.min_changes and \
                100 * changed > safety.max_change_percent * count:
            found.append(Breach(system, service, count, updates.get(system, 0), deletes.get(system, 0),
                                safety.max_change_percent))
    return tuple(found)


class GuardRefused(ReconcileError):
    """The plan deletes or updates more of what reconcile owns than the spec allows; nothing was written."""

    def __init__(self, spec: Spec, plan: Plan) -> None:
        self.plan = plan
        limits = "; ".join(str(breach) for breach in plan.guard)
        super().__init__(f"refusing to apply: {limits}. Nothing was written. A typo in absences.types or an empty "
                         "answer from a service looks like this; check the plan. If these changes are intended, "
                         f"run `reconcile apply --force`, or raise safety.max_change_percent in {spec.source}.")
