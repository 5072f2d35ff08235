"""What a run says about itself, for every command that runs one (plan, apply, serve):

- `apply --report FILE`: every change attempted and its outcome, as JSON for the HR team's records;
  redacted as the saved plan is (plan/privacy.py): a change of a sensitive kind is kept as its seal,
  with its outcome, so the file pairs no person with health data;
- the log lines of a plan (`plan.ready`), of a failed change (`change.failed`), which name no person, date
  or record id beside a change of a sensitive kind, and of what the mass-change guard held (`guard.held`).

Seals in the report follow the changes that are not sensitive, ordered by the seal; failed changes of a
sensitive kind are logged after the others (plan/privacy.py: a withheld entry's place says nothing).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

from reconciler import __version__, logs
from reconciler.apply import ApplyReport, Outcome, shared_detail
from reconciler.plan.guard import Held, held
from reconciler.plan.model import FORMAT_VERSION, Plan
from reconciler.plan.planfile import write_file
from reconciler.plan.planstream import object_chunks
from reconciler.plan.privacy import Shown, shared_json


def report_json(*, spec: str, plan_file: str | None, plan: Plan | None, report: ApplyReport | None, key: bytes,
                started: datetime, finished: datetime, error: str = "", held: tuple[Held, ...] = ()
                ) -> dict[str, Any]:
    """The apply report as one JSON object (`write_report` writes the same a change at a time)."""
    head = _report_head(spec=spec, plan_file=plan_file, plan=plan, report=report, started=started, finished=finished,
                        error=error, held=held)
    return head | {"changes": list(_entries(report, key))}


def write_report(path: Path, *, key: bytes, **fields: Any) -> None:
    """`report_json(**fields)` as `path`, byte for byte, written a change at a time: a first sync's report lists a
    million outcomes (issue 22). Atomically, and only as a regular file (plan/planfile.py `write_file`)."""
    report: ApplyReport | None = fields.get("report")
    head = _report_head(**fields) | {"changes": []}
    entries = ((entry, entry) for entry in _entries(report, key))
    write_file(path, "the apply report", lambda out: out.writelines(object_chunks(head, entries, None)))


def _entries(report: ApplyReport | None, key: bytes) -> Iterator[dict[str, Any]]:
    """As in the plan file: those not sensitive in the order they were planned, then every seal, by the seal."""
    sealed = []
    for outcome in report.outcomes if report else ():
        detail = shared_detail(outcome)
        entry = shared_json(outcome.change, key) | {"status": outcome.status, **({"detail": detail} if detail else {})}
        if entry.get("sealed"):
            sealed.append(entry)
        else:
            yield entry
    yield from sorted(sealed, key=lambda entry: (entry["sealed"], json.dumps(entry, sort_keys=True,
                                                                             ensure_ascii=False)))


def _report_head(*, spec: str, plan_file: str | None, plan: Plan | None, report: ApplyReport | None,
                 started: datetime, finished: datetime, error: str = "", held: tuple[Held, ...] = ()
                 ) -> dict[str, Any]:
    counts = {status: report.count(status) if report else 0 for status in ("applied", "failed", "skipped")}
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
        "planned": plan.summary if plan else None,
        "outcomes": counts | {"settled": report.settled if report else 0},
        "halted_by": report.halted_by if report else "",
        "stopped_by": report.stopped_by if report else "",
        "unsettled": report.unsettled if report else "",
        "held": [part.to_json() for part in held],  # by the mass-change guard: not attempted
    }


def log_plan(plan: Plan) -> None:
    """The plan's counts as a log line for machines (the text format shows the plan itself)."""
    shown = Shown.of(plan, redact=True)
    fields: dict[str, Any] = {
        "summary": plan.summary, "conflicts": len(plan.conflicts), "warnings": len(plan.warnings),
        "withheld": shown.withheld_changes + shown.withheld_conflicts, "scope": list(plan.scope),
        "partial": plan.partial, "guard": [breach.to_json() for breach in plan.guard],
        "held": [part.to_json() for part in held(plan)],
    }
    if plan.subset:
        fields["subset"] = plan.subset.to_json()
    if plan.since:
        fields["incremental"] = {"since": plan.since, "people": {name: len(subset.users) if subset else 0
                                                                  for name, subset in plan.scopes}}
    fields |= plan.base_json()
    s = plan.summary
    logs.line("plan.ready", f"Plan: {s['create']} to add, {s['update']} to change, {s['delete']} to destroy.",
              text=False, **fields)


def log_failure(outcome: Outcome) -> None:
    """A change that failed, as a log line: without person and date when it is of a sensitive kind. Logged
    once apply is done, for the outcomes in `ApplyReport.failed()`'s order: those of a sensitive kind
    together at the end, in an order of what their lines show, so that none stands among its person's."""
    change = outcome.change
    fields: dict[str, Any] = {"action": change.action, "direction": change.direction, "system": change.system,
                              "kind": change.kind}
    if change.sensitive:  # health data: the person, the day and the record ids stay in the two systems
        who = "(a sensitive kind; person, date and record not shown)"
        fields["sensitive"] = True
    else:
        who = f"{change.user} {change.date}"
        fields |= {"user": change.user, "date": change.date.isoformat()}
    detail = shared_detail(outcome)
    logs.line("change.failed", f"  failed: {change.action} {change.system} {change.kind} {who}: {detail}",
              level="error", **fields, detail=detail)


def log_held(held: tuple[Held, ...]) -> None:
    """What the mass-change guard held, one line per direction and system (counts only, no person)."""
    for part in held:
        logs.line("guard.held", f"  held: {part}; `reconcile apply --force` applies it", level="error",
                  **part.to_json())
