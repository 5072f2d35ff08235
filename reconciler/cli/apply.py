"""`reconcile apply`: make the changes a fresh plan shows, or exactly a saved plan's."""

from __future__ import annotations

import asyncio
import dataclasses
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import click

from reconciler import logs
from reconciler.apply import ApplyReport
from reconciler.cli.options import (
    EXIT_ERROR,
    color,
    config_option,
    load,
    only_names,
    reading,
    redact_stdout,
    run_options,
    run_scope_options,
    seal_secrets,
    subset_of,
)
from reconciler.errors import ReconcileError
from reconciler.plan.guard import Held, split
from reconciler.plan.model import Plan
from reconciler.plan.planfile import SavedPlan, compare_with_saved, load_saved_plan, spec_changed
from reconciler.plan.privacy import seal_key
from reconciler.plan.scope import Saved, Subset, asked_moment
from reconciler.render import render_chunks
from reconciler.render.progress import Watch
from reconciler.render.words import file_size
from reconciler.report import log_failure, log_held, log_plan
from reconciler.report import write_report as write_report_file
from reconciler.run import GuardRefused, plan_and_apply
from reconciler.spec import Spec
from reconciler.sync import registry

SHOWN_DIFFERENCES = 20  # of a refused saved plan; the rest are counted
PROGRESS_EVERY = 10.0  # seconds between progress lines in a log (no terminal)


@click.command()
@config_option
@click.option("--auto-approve", is_flag=True, help="Apply without asking (for pipelines).")
@click.option("--force", is_flag=True,
              help="Apply also the changes the mass-change guard holds: those in a system where the run deletes "
                   "or updates more of the records reconcile owns than safety.max_change_percent allows.")
@click.option("--report", "report_path", type=click.Path(dir_okay=False, path_type=Path), default=None,
              metavar="FILE",
              help="Write every change attempted and its outcome to FILE (JSON; changes of sensitive kinds sealed), "
                   "also when the run fails.")
@click.argument("planfile", required=False, type=click.Path(dir_okay=False, path_type=Path))
@run_scope_options
def apply(config_path: Path, auto_approve: bool, force: bool, report_path: Path | None, planfile: Path | None,
          only: str | None, users: tuple[str, ...], from_day: Any, to_day: Any, changed_since: str | None,
          timeout: float, today: Any) -> None:
    """Make the changes a fresh plan shows.

    On a terminal it shows the plan and asks; --auto-approve skips the question;
    without a terminal and without --auto-approve it refuses. With PLANFILE (from
    `reconcile plan --out`) it makes exactly the saved plan's changes without
    asking, as Terraform applies a saved plan (the reviewed plan is the approval):
    it re-reads both systems and refuses, writing nothing, if a fresh plan (of the
    saved plan's scope) differs, naming the spec when another one is in use. A
    failed change does not stop the others;
    the run ends with how many were applied, failed and skipped, and exits 1 if
    any failed. Where a run would delete or update more than safety.max_change_percent
    (default 30 %) of the records reconcile owns in MOCO or Personio, the mass-change
    guard holds the changes in that system unless --force: the rest is applied, what
    was held is named, and the run exits 1.

    \b
    Example:
      reconcile apply -c mapping.yaml
      reconcile plan --out plan.json && reconcile apply plan.json
      reconcile apply --auto-approve --log-format json --report apply-report.json
    """
    started = datetime.now(UTC)
    try:
        saved, only_scope, subset = _checked(planfile, auto_approve, only, subset_of(users, from_day, to_day),
                                             changed_since)
        spec, credentials = load(config_path)
        options = dataclasses.replace(run_options(spec, today, only_scope, timeout, subset, changed_since),
                                      force=force)
    except (ReconcileError, click.ClickException) as exc:  # the spec does not load, the options do not fit, …
        if report_path:  # the report says so: an HR team's files show the run that never started too
            error = exc.format_message() if isinstance(exc, click.ClickException) else str(exc)
            write_report_file(report_path, spec=str(config_path), plan_file=str(planfile) if planfile else None,
                              plan=None, report=None, key=b"", started=started, finished=datetime.now(UTC), error=error)
            logs.line("report.saved", "", path=str(report_path), text=False)
        raise
    key = seal_key(seal_secrets(credentials))
    reading(spec, "apply")
    fresh: list[Plan] = []

    def show(plan: Plan) -> None:
        fresh[:] = [plan]
        log_plan(plan)
        if not logs.machine():
            for chunk in render_chunks(plan, "text", color=True, redact=redact_stdout()):
                click.echo(chunk, nl=False, color=color())

    def approve(plan: Plan) -> bool:
        show(plan)
        if saved is not None:
            _check_saved(saved, plan, key, spec)
            return True
        if auto_approve:
            return True
        going, held = (plan.changes, ()) if force else split(plan)
        also = f" ({len(held)} more held by the mass-change guard)" if held else ""
        these = "this change" if len(going) == 1 else f"these {len(going)} changes"
        answer = click.prompt(f"Apply {these}{also}? Only 'yes' is accepted", default="",
                              show_default=False)
        return answer.strip() == "yes"

    def write_report(report: ApplyReport | None, error: str = "", held: tuple[Held, ...] = ()) -> None:
        if report_path:
            write_report_file(report_path, spec=str(spec.source), plan_file=str(planfile) if planfile else None,
                              plan=fresh[0] if fresh else None, report=report, key=key, started=started,
                              finished=datetime.now(UTC), error=error, held=held)  # a change at a time
            logs.line("report.saved", "", path=str(report_path), text=False)

    if saved is not None and saved.scopes is not None:  # a saved incremental plan: its people and days again
        options = dataclasses.replace(options, scope=Saved(asked_moment(saved.since), saved.scopes))
    try:
        result, report = asyncio.run(plan_and_apply(spec, credentials, options, approve,
                                                    progress=_progress_printer()))
    except GuardRefused as refused:  # what it held makes the run a refusal (exit 1); the rest was applied
        if not fresh:
            show(refused.plan)
        if refused.report is not None:
            _log_outcome(refused.report)
        write_report(refused.report, str(refused), refused.held)
        log_held(refused.held)
        raise
    except asyncio.CancelledError:  # a second SIGTERM or Ctrl-C: stopped without waiting
        write_report(None, "stopped at once by a second signal")
        raise ReconcileError("apply stopped at once by a second signal; the changes that were in flight may or may "
                             "not have been made. `reconcile plan` shows where things stand; the next run picks up "
                             "the rest") from None
    except ReconcileError as exc:
        write_report(None, str(exc))
        raise
    if report is None:
        if saved is not None:
            _check_saved(saved, result, key, spec)
        if result.has_changes:
            write_report(None, "cancelled")
            raise ReconcileError("apply cancelled; nothing was written")
        show(result)
        write_report(None)
        logs.line("apply.done", "Nothing to apply.", applied=0, failed=0, skipped=0)
        return
    _log_outcome(report)
    write_report(report)
    if not report.ok:
        raise click.exceptions.Exit(EXIT_ERROR)


def _checked(planfile: Path | None, auto_approve: bool, only: str | None, subset: Subset, changed_since: str | None
             ) -> tuple[SavedPlan | None, tuple[str, ...] | None, Subset]:
    """The saved plan, if any, and the run's directions and subset; an error for options that do not fit."""
    saved = load_saved_plan(planfile, registry) if planfile else None
    if planfile is not None:  # read a change at a time when it is compared (a first sync's: hundreds of MiB)
        size = planfile.stat().st_size
        logs.line("plan.loaded", f"Reading the saved plan {planfile} ({file_size(size)}): applied if a fresh plan "
                  "makes exactly its changes.", path=str(planfile), bytes=size)
    if saved is not None and changed_since:
        raise ReconcileError(f"{planfile} keeps the scope it was planned with; apply it without --changed-since. "
                             "Nothing was written.")
    only_scope, subset = _scope(saved, only, subset)
    if saved is None and not auto_approve and not _interactive():
        raise ReconcileError("refusing to apply without confirmation: there is no terminal to ask. Pass "
                             "--auto-approve, or review a plan file: `reconcile plan --out plan.json`, then "
                             "`reconcile apply plan.json`. Nothing was written.")
    return saved, only_scope, subset


def _scope(saved: SavedPlan | None, only: str | None, subset: Subset) -> tuple[tuple[str, ...] | None, Subset]:
    """The directions and subset of the run: a saved plan keeps its own, and options that ask for
    another are an error."""
    if saved is None:
        return only_names(only), subset
    if only and saved.scope and only_names(only) != saved.scope:
        raise ReconcileError(f"{saved.path} covers {', '.join(saved.scope)}, but --only asks for "
                             f"{registry.canonical(only)}: apply the saved plan without --only, or make a plan of that "
                             f"direction with `reconcile plan --only {only} --out PLANFILE`. Nothing was written.")
    if subset and subset != saved.subset:
        raise ReconcileError(f"{saved.path} was planned for {saved.subset or 'everyone and every day'}, but the "
                             f"options ask for {subset}: apply the saved plan without --user/--from/--to (it keeps "
                             "its own), or make a plan of that scope. Nothing was written.")
    return saved.scope, saved.subset


def _log_outcome(report: ApplyReport) -> None:
    for outcome in report.failed():  # those of a sensitive kind together, last (apply.py shared_order)
        log_failure(outcome)
    if report.stopped_by:
        logs.line("apply.stopped", f"  stopped starting changes after: {report.stopped_by}", level="error",
                  reason=report.stopped_by)
    if report.unsettled:
        logs.line("apply.unsettled", f"  warning: {report.unsettled}", level="warning")
    level = "info" if report.ok else "error"
    if logs.machine():
        logs.line("apply.done", report.summary(), level=level, applied=report.count("applied"),
                  failed=report.count("failed"), skipped=report.count("skipped"), settled=report.settled,
                  halted_by=report.halted_by or None)
    else:
        click.echo(report.summary())


def _interactive() -> bool:
    """Whether a person can be asked: both stdin and stdout are a terminal."""
    return sys.stdin.isatty() and sys.stdout.isatty()


def _check_saved(saved: SavedPlan, fresh: Plan, key: bytes, spec: Spec) -> None:
    differences = compare_with_saved(saved, fresh, key)
    if differences:
        sealed = any("sealed" in line for line in differences)
        why = spec_changed(saved, spec) or "so MOCO or Personio changed since it was made"
        raise ReconcileError(
            f"refusing to apply {saved.path}: a fresh plan differs from the saved one, {why}. Nothing was written. "
            "What differs:\n" + "\n".join(differences[:SHOWN_DIFFERENCES])
            + (f"\n  … and {len(differences) - SHOWN_DIFFERENCES} more"
               if len(differences) > SHOWN_DIFFERENCES else "")
            + ("\nChanges of sensitive kinds are compared by a seal keyed with the credentials: if they were "
               "rotated since the plan was made, every such change differs." if sealed else "")
            + "\nMake and review a new plan: `reconcile plan --out PLANFILE`."
        )


def _progress_printer() -> Watch:
    """What apply shows while it runs (render/progress.py): on a terminal, a progress bar updated in place, with
    the rate, the time left and a rate limit it waits for; in a log (CI, Kubernetes) or with JSON logs, a line
    every PROGRESS_EVERY seconds: while reading, while applying (done of total, failures, rate, time left,
    rate limits waited for) and while reading back what was written; and the cost line before the first
    write when the apply takes a minute or more."""
    return Watch.on_stderr(PROGRESS_EVERY)
