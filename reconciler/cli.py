"""The `reconcile` command line: turns options into calls and errors into exit codes.

Exit codes (CONTRACT.md §2): 0 success; 1 any error, including usage errors (click's own
default of 2 is reserved for `plan --detailed-exitcode`); 2 only from that plan option.
"""

from __future__ import annotations

import asyncio
import dataclasses
import errno
import os
import sys
import traceback
from pathlib import Path
from typing import Any

import click

from reconciler import __version__
from reconciler.cli_sandbox import demo, sandbox
from reconciler.errors import ReconcileError
from reconciler.plan.model import Plan
from reconciler.plan.planfile import SavedPlan, compare_with_saved, load_saved_plan, save_plan
from reconciler.render import FORMATS, render
from reconciler.render.users import render_users
from reconciler.run import GuardRefused, RunOptions, make_plan, plan_and_apply, read_people
from reconciler.spec import CONFIG_ENV, DEFAULT_CONFIG, Spec, load_spec
from reconciler.spec.describe import describe_spec
from reconciler.spec.schema import schema_text
from reconciler.sync import registry
from reconciler.systems.connect import Credentials, missing_variables, read_credentials
from reconciler.systems.http import RetryPolicy

EXIT_OK = 0
EXIT_ERROR = 1
EXIT_CHANGES = 2
SHOWN_DIFFERENCES = 20  # of a refused saved plan; the rest are counted


class ReconcileGroup(click.Group):
    """Runs click in non-standalone mode so that every failure maps to the contract's codes."""

    def main(self, args: Any = None, prog_name: str | None = None, complete_var: str | None = None,
             standalone_mode: bool = True, **extra: Any) -> Any:
        try:
            code = super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
        except click.exceptions.Exit as exc:
            code = exc.exit_code
        except click.ClickException as exc:  # usage errors, bad option values
            exc.show()
            code = EXIT_ERROR
        except click.Abort:
            click.echo("Aborted.", err=True)
            code = EXIT_ERROR
        except ReconcileError as exc:
            click.echo(f"error: {exc}", err=True)
            code = exc.exit_code
        except OSError as exc:
            if exc.errno == errno.EPIPE:
                # The reader went away (`reconcile schema | head`): silence the flush at exit.
                os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            else:  # the machine, not reconcile: a full disk, a closed terminal, ...
                where = f" ({exc.filename})" if exc.filename else ""
                click.echo(f"error: {exc.strerror or exc}{where}", err=True)
            code = EXIT_ERROR
        except Exception:
            traceback.print_exc()
            click.echo("internal error: this is a bug in reconcile; please report it with the output above",
                       err=True)
            code = EXIT_ERROR
        code = code if isinstance(code, int) else EXIT_OK
        if standalone_mode:
            sys.exit(code)
        return code


config_option = click.option(
    "-c", "--config", "config_path",
    type=click.Path(dir_okay=True, path_type=Path),
    envvar=CONFIG_ENV, default=DEFAULT_CONFIG, show_default=True, show_envvar=True,
    help="The spec file.",
)


@click.group(cls=ReconcileGroup, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, "-V", "--version", prog_name="reconcile", message="%(prog)s %(version)s")
def cli() -> None:
    """Keep Personio and MOCO in sync, declared in a YAML spec.

    Absences flow from Personio to MOCO; working hours flow from MOCO to Personio
    when the spec says so. Run `reconcile validate` to check a spec and
    `reconcile schema` to get its JSON Schema for your editor.

    \b
    Example:
      reconcile validate -c mapping.yaml
    """


@cli.command()
@config_option
def validate(config_path: Path) -> None:
    """Check the spec: its shape against the JSON Schema and its meaning.

    Reports every problem in the file at once, each with file, line, key path and
    what is allowed, and exits 1 if there is any. Makes no network calls; it only
    notes environment variables that plan and apply will need but are not set.

    \b
    Example:
      reconcile validate -c examples/mapping.yaml
    """
    spec = load_spec(config_path)
    click.echo(f"{config_path}: valid spec (version {spec.version})")
    for line in describe_spec(spec):
        click.echo(f"  {line}")
    for variable in missing_variables(spec, os.environ):
        click.echo(f"note: ${variable.name} is not set; plan and apply will need it", err=True)


@cli.command()
def schema() -> None:
    """Print the JSON Schema (draft 2020-12) of the spec file.

    Point your editor at it to get completion and checks while writing the spec;
    it is the same file as schemas/mapping.schema.json in the repository.

    \b
    Example:
      reconcile schema > mapping.schema.json
    """
    click.echo(schema_text(), nl=False)


only_option = click.option(
    "--only", type=click.Choice(registry.choices()), default=None,
    help="Plan or apply one direction only: " + ", ".join(f"{d.name} ({d.title})" for d in registry.DIRECTIONS)
         + "; the older names " + ", ".join(a for d in registry.DIRECTIONS for a in d.aliases)
         + " still work. The plan says it is partial.",
)

timeout_option = click.option(
    "--timeout", type=click.FloatRange(min=1), default=RetryPolicy().total_seconds, show_default=True,
    metavar="SECONDS",
    help="The most time one request to MOCO or Personio may take, retries and waits included; a service that "
         "does not answer within it fails the run with a line saying which and how long was waited.",
)

today_option = click.option(
    "--today", type=click.DateTime(["%Y-%m-%d"]), default=None, hidden=True,
    help="Plan as if today were this date (tests, reproducing an earlier plan).",
)


def _load(config_path: Path) -> tuple[Spec, Credentials]:
    spec = load_spec(config_path)
    return spec, read_credentials(spec, os.environ)


def _options(spec: Spec, today: Any, only: tuple[str, ...] | None = None) -> RunOptions:
    return RunOptions(today=today.date() if today else spec.today(), only=only)


def _timed(options: RunOptions, timeout: float) -> RunOptions:
    """The options with `--timeout` as the bound of one request's whole time."""
    retry = dataclasses.replace(options.tuning.retry, total_seconds=timeout)
    return dataclasses.replace(options, tuning=dataclasses.replace(options.tuning, retry=retry))


def _only(only: str | None) -> tuple[str, ...] | None:
    return (registry.get(only).name,) if only else None


def _color() -> bool | None:
    return False if os.environ.get("NO_COLOR") else None  # None: colour only on a terminal


def _reading(spec: Spec) -> None:
    if sys.stderr.isatty():
        click.echo(f"Reading MOCO ({spec.moco.api_root}) and Personio ({spec.personio.base_url}) …", err=True)


@cli.command()
@config_option
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="text", show_default=True,
              help="text for a terminal, markdown for a pull-request comment, json for scripts.")
@click.option("--out", "out", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Also save the plan (JSON) to this file, for `reconcile apply PLANFILE`.")
@click.option("--detailed-exitcode", is_flag=True,
              help="Exit 2 when there are changes, 0 when there are none (conflicts and warnings are not changes).")
@only_option
@timeout_option
@today_option
def plan(config_path: Path, fmt: str, out: Path | None, detailed_exitcode: bool, only: str | None, timeout: float,
         today: Any) -> None:
    """Read both systems and show the changes apply would make. Writes nothing.

    Absences flow Personio → MOCO, working hours MOCO → Personio. The plan lists
    every change by person and date, what is left alone because someone entered it
    by hand (conflicts), and warnings such as people found in only one system.

    \b
    Example:
      reconcile plan -c mapping.yaml --format markdown --out plan.json
    """
    spec, credentials = _load(config_path)
    _reading(spec)
    options = _timed(_options(spec, today, _only(only)), timeout)
    result = asyncio.run(make_plan(spec, credentials, options))
    click.echo(render(result, fmt, color=fmt == "text"), nl=False, color=_color())
    if out:
        save_plan(result, out)
        click.echo(f"Saved the plan to {out}; `reconcile apply {out}` makes exactly these changes.", err=True)
    if detailed_exitcode and result.has_changes:
        raise click.exceptions.Exit(EXIT_CHANGES)


@cli.command()
@config_option
@click.option("--auto-approve", is_flag=True, help="Apply without asking (for pipelines).")
@click.option("--force", is_flag=True,
              help="Apply even when the run deletes or updates more of the records reconcile owns than the "
                   "mass-change guard allows (safety.max_change_percent in the spec).")
@click.argument("planfile", required=False, type=click.Path(dir_okay=False, path_type=Path))
@only_option
@timeout_option
@today_option
def apply(config_path: Path, auto_approve: bool, force: bool, planfile: Path | None, only: str | None,
          timeout: float, today: Any) -> None:
    """Make the changes a fresh plan shows.

    On a terminal it shows the plan and asks; --auto-approve skips the question.
    With PLANFILE (from `reconcile plan --out`) it makes exactly the saved plan's
    changes: it re-reads both systems and refuses, writing nothing, if a fresh plan
    (of the saved plan's scope) differs. A failed change does not stop the others;
    the run ends with how many were applied, failed and skipped, and exits 1 if
    any failed. A run that would delete or update more than safety.max_change_percent
    (default 30 %) of the records reconcile owns in MOCO or Personio is refused
    unless --force.

    \b
    Example:
      reconcile apply -c mapping.yaml
      reconcile plan --out plan.json && reconcile apply plan.json
    """
    saved = load_saved_plan(planfile) if planfile else None
    if saved is not None and only and saved.scope and _only(only) != saved.scope:
        raise ReconcileError(f"{planfile} covers {', '.join(saved.scope)}, but --only asks for {_only(only)[0]}: "
                             "apply the saved plan without --only, or make a plan of that direction with "
                             f"`reconcile plan --only {only} --out PLANFILE`. Nothing was written.")
    scope = _only(only) if only or saved is None else saved.scope  # a saved plan keeps its scope
    if saved is None and not auto_approve and not _interactive():
        raise ReconcileError("refusing to apply without confirmation: there is no terminal to ask. Pass "
                             "--auto-approve, or review a plan file: `reconcile plan --out plan.json`, then "
                             "`reconcile apply plan.json`. Nothing was written.")
    spec, credentials = _load(config_path)
    _reading(spec)

    def approve(fresh: Plan) -> bool:
        click.echo(render(fresh, "text", color=True), nl=False, color=_color())
        if saved is not None:
            _check_saved(saved, fresh)
            return True
        if auto_approve:
            return True
        answer = click.prompt(f"Apply these {len(fresh.changes)} changes? Only 'yes' is accepted", default="",
                              show_default=False)
        return answer.strip() == "yes"

    options = dataclasses.replace(_timed(_options(spec, today, scope), timeout), force=force)
    progress, heartbeat = _progress_printer()
    try:
        result, report = asyncio.run(plan_and_apply(spec, credentials, options, approve, progress=progress,
                                                    heartbeat=heartbeat))
    except GuardRefused as refused:
        click.echo(render(refused.plan, "text", color=True), nl=False, color=_color())
        raise
    except asyncio.CancelledError:  # a second SIGTERM or Ctrl-C: stopped without waiting
        raise ReconcileError("apply stopped at once by a second signal; the changes that were in flight may or may "
                             "not have been made. `reconcile plan` shows where things stand; the next run picks up "
                             "the rest") from None
    if report is None:
        if saved is not None:
            _check_saved(saved, result)
        if result.has_changes:
            raise ReconcileError("apply cancelled; nothing was written")
        click.echo(render(result, "text", color=True), nl=False, color=_color())
        click.echo("Nothing to apply.")
        return
    for outcome in report.outcomes:
        if outcome.status == "failed":
            change = outcome.change
            click.echo(f"  failed: {change.action} {change.system} {change.kind} {change.user} {change.date}: "
                       f"{outcome.detail}", err=True)
    if report.stopped_by:
        click.echo(f"  stopped starting changes after: {report.stopped_by}", err=True)
    if report.unsettled:
        click.echo(f"  warning: {report.unsettled}", err=True)
    click.echo(report.summary())
    if not report.ok:
        raise click.exceptions.Exit(EXIT_ERROR)


def _interactive() -> bool:
    """Whether a person can be asked: both stdin and stdout are a terminal."""
    return sys.stdin.isatty() and sys.stdout.isatty()


def _check_saved(saved: SavedPlan, fresh: Plan) -> None:
    differences = compare_with_saved(saved, fresh)
    if differences:
        raise ReconcileError(
            f"refusing to apply {saved.path}: a fresh plan differs from the saved one, so MOCO or Personio changed "
            "since it was made. Nothing was written. What differs:\n" + "\n".join(differences[:SHOWN_DIFFERENCES])
            + (f"\n  … and {len(differences) - SHOWN_DIFFERENCES} more"
               if len(differences) > SHOWN_DIFFERENCES else "")
            + "\nMake and review a new plan: `reconcile plan --out PLANFILE`."
        )


PROGRESS_EVERY = 10.0  # seconds between progress lines in a log (no terminal)


def _progress_printer() -> tuple[Any, float | None]:
    """On a terminal, a counter updated in place; in a log (CI, Kubernetes), a plain line every
    PROGRESS_EVERY seconds while apply runs: done of total and the failures so far."""
    failed = 0

    def count(outcome: Any) -> None:
        nonlocal failed
        failed += outcome is not None and outcome.status == "failed"

    def on_terminal(outcome: Any, done: int, total: int) -> None:
        count(outcome)
        if outcome is not None:
            click.echo(f"\r  applying {done}/{total} …", nl=done == total, err=True)

    def in_a_log(outcome: Any, done: int, total: int) -> None:
        count(outcome)
        if outcome is None:
            click.echo(f"  applying: {done} of {total} done, {failed} failed so far", err=True)

    return (on_terminal, None) if sys.stderr.isatty() else (in_a_log, PROGRESS_EVERY)


@cli.command()
@config_option
@click.option("--format", "fmt", type=click.Choice(("text", "json")), default="text", show_default=True,
              help="text for people, json for scripts.")
@timeout_option
def users(config_path: Path, fmt: str, timeout: float) -> None:
    """Show who is matched to whom, and who is not synced and why. Writes nothing.

    Lists the matched pairs (both emails), people only in Personio or only in MOCO,
    excluded and archived people, shared emails, the overrides in use and those that
    match nobody, so emails can be fixed before the first apply.

    \b
    Example:
      reconcile users -c mapping.yaml --format json
    """
    spec, credentials = _load(config_path)
    _reading(spec)
    matching = asyncio.run(read_people(spec, credentials, _timed(_options(spec, None), timeout)))
    click.echo(render_users(matching, fmt), nl=False)


cli.add_command(demo)
cli.add_command(sandbox)


def main() -> None:
    cli.main(prog_name="reconcile")
