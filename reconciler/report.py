"""`apply --report FILE`: every change attempted and its outcome, as JSON for the HR team's records.

Redacted as the saved plan is (plan/privacy.py): a change of a sensitive kind is kept as its seal,
with its outcome, so the file pairs no person with health data.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from reconciler import __version__
from reconciler.apply import ApplyReport
from reconciler.plan.model import FORMAT_VERSION, Plan, summarise
from reconciler.plan.privacy import seal


def report_json(*, spec: str, plan_file: str | None, plan: Plan | None, report: ApplyReport | None, key: bytes,
                started: datetime, finished: datetime, error: str = "") -> dict[str, Any]:
    outcomes = report.outcomes if report else []
    entries = []
    for outcome in outcomes:
        change = seal(outcome.change, key) if outcome.change.sensitive else outcome.change.to_json()
        entries.append(change | {"status": outcome.status, **({"detail": outcome.detail} if outcome.detail else {})})
    counts = {status: sum(1 for o in outcomes if o.status == status) for status in ("applied", "failed", "skipped")}
    if error:
        result = "error"
    elif report is None:
        result = "nothing to apply" if plan is not None and not plan.changes else "not applied"
    elif report.halted_by:
        result = "stopped"
    else:
        result = "complete" if report.ok else "failures"
    return {
        "format_version": FORMAT_VERSION,
        "generator": f"reconcile {__version__}",
        "started": started.isoformat(timespec="seconds"),
        "finished": finished.isoformat(timespec="seconds"),
        "spec": spec,
        "plan_file": plan_file,
        "scope": list(plan.scope) if plan else [],
        "subset": plan.subset.to_json() if plan else None,
        "result": result,
        "error": error or None,
        "planned": summarise(plan.changes) if plan else None,
        "outcomes": counts | {"settled": report.settled if report else 0},
        "halted_by": report.halted_by if report else "",
        "stopped_by": report.stopped_by if report else "",
        "unsettled": report.unsettled if report else "",
        "changes": entries,
    }
