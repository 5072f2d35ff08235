"""`plan --base-spec`: which changes the spec change itself causes, apart from routine sync.

Both specs are planned against the same snapshot (read once). A change the base spec (the spec as on
the target branch) would make too is routine: the scheduled job makes it whichever spec is merged.
A change only the new spec makes is caused by the spec change; a change only the base spec makes is
one the spec change drops. Pure.
"""

from __future__ import annotations

import dataclasses
import json
from collections import Counter

from reconciler.plan.model import Change, Plan


def _key(change: Change) -> str:
    data = change.to_json()
    data.pop("sensitive", None)  # a change of privacy.sensitive_kinds is still the same write
    return json.dumps(data, sort_keys=True)


def against_base(plan: Plan, base_plan: Plan, base: str) -> Plan:
    """`plan` with each change's cause ("spec" or "routine") and the base plan's changes it drops."""
    left = Counter(_key(change) for change in base_plan.changes)
    causes = []
    for change in plan.changes:
        key = _key(change)
        causes.append("routine" if left[key] else "spec")
        left[key] -= bool(left[key])
    dropped = []
    for change in base_plan.changes:
        key = _key(change)
        if left[key] > 0:
            dropped.append(change)
            left[key] -= 1
    return dataclasses.replace(plan, causes=tuple(causes), dropped=tuple(dropped), base=base)
