"""Options and small helpers that several `reconcile` commands share."""

from __future__ import annotations

import dataclasses
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from reconciler import logs
from reconciler.plan.scope import ChangedSince, Scope, Subset
from reconciler.run import RunOptions
from reconciler.spec import CONFIG_ENV, DEFAULT_CONFIG, Spec, load_spec
from reconciler.sync import registry
from reconciler.systems.connect import Credentials, read_credentials
from reconciler.systems.http import RetryPolicy

# Exit codes: 0 success; 1 any error, usage errors included; 2 only `plan --detailed-exitcode` with changes.
EXIT_OK, EXIT_ERROR, EXIT_CHANGES = 0, 1, 2

config_option = click.option(
    "-c", "--config", "config_path",
    type=click.Path(dir_okay=True, path_type=Path),
    envvar=CONFIG_ENV, default=DEFAULT_CONFIG, show_default=True, show_envvar=True,
    help="The spec file.",
)

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


def _configure_logs(ctx: click.Context, param: click.Parameter, value: str) -> str:
    # Not given: as the command line was read before click parsed it (cli.ReconcileGroup), e.g. the group's option.
    if param.name is None or ctx.get_parameter_source(param.name) is not click.core.ParameterSource.DEFAULT:
        logs.configure(value)
    return value


log_format_option = click.option(
    "--log-format", type=click.Choice(logs.FORMATS), default="text", show_default=True, envvar=logs.ENV,
    show_envvar=True, is_eager=True, expose_value=False, callback=_configure_logs,
    help="json: every line on stderr is one JSON object (time, level, event, counts, message), for containers; "
         "never a secret or health data.",
)


def subset_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """--user, --from and --to: a scoped run."""
    command = click.option("--to", "to_day", type=click.DateTime(["%Y-%m-%d"]), default=None, metavar="DATE",
                           help="Only days up to this one (YYYY-MM-DD). The plan says it is partial.")(command)
    command = click.option("--from", "from_day", type=click.DateTime(["%Y-%m-%d"]), default=None, metavar="DATE",
                           help="Only days from this one on (YYYY-MM-DD). The plan says it is partial.")(command)
    return click.option("--user", "users", multiple=True, metavar="EMAIL",
                        help="Only this person, by their MOCO or Personio email (repeatable). The plan says it is "
                             "partial.")(command)


changed_since_option = click.option(
    "--changed-since", "changed_since", default=None, metavar="DURATION|TIME",
    help="An incremental run: plan only the people and days whose records changed since then in MOCO or "
         "Personio (e.g. 75m, 2h, 2026-11-30T08:00:00Z), read by the services' clock; a time without a zone "
         "(2026-11-30T08:00) is UTC, not the spec's timezone. The bound sent, and shown in the plan, is 5 minutes "
         "earlier, for clocks that differ. Deletions on days nothing else changed need a full run (without this "
         "option): run one nightly.")


def run_scope_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """What `plan` and `apply` take alike: --only, --user, --from, --to, --changed-since, --timeout,
    --log-format and the hidden --today, in the order their help lists them."""
    for option in (today_option, log_format_option, timeout_option, changed_since_option, subset_options,
                   only_option):
        command = option(command)
    return command


def subset_of(users: tuple[str, ...], from_day: Any, to_day: Any) -> Subset:
    start, end = (from_day.date() if from_day else None), (to_day.date() if to_day else None)
    if start and end and start > end:
        raise click.BadParameter(f"--from {start} is after --to {end}", param_hint="'--from'")
    emails = tuple(dict.fromkeys(email.strip() for email in users))
    if any(not email for email in emails):
        raise click.BadParameter("an empty email", param_hint="'--user'")
    return Subset(users=emails, start=start, end=end)


def load(config_path: Path) -> tuple[Spec, Credentials]:
    spec = load_spec(config_path)
    return spec, read_credentials(spec, os.environ)


def run_options(spec: Spec, today: Any, only: tuple[str, ...] | None = None, timeout: float | None = None,
                subset: Subset = Subset(), changed_since: str | None = None) -> RunOptions:
    if changed_since and subset:
        raise click.UsageError("--changed-since finds the people and days itself; leave out --user, --from and --to, "
                               "or leave out --changed-since")
    scope: Scope = ChangedSince(changed_since) if changed_since else subset
    options = RunOptions(today=today.date() if today else spec.today(), only=only, scope=scope)
    if timeout is None:
        return options
    retry = dataclasses.replace(options.tuning.retry, total_seconds=timeout)  # one request's whole time
    return dataclasses.replace(options, tuning=dataclasses.replace(options.tuning, retry=retry))


def only_names(only: str | None) -> tuple[str, ...] | None:
    return (registry.get(only).name,) if only else None


def color() -> bool | None:
    return False if os.environ.get("NO_COLOR") else None  # None: colour only on a terminal


def redact_stdout() -> bool:
    """Whether a text plan on stdout goes to a log rather than a person: no terminal."""
    return not sys.stdout.isatty()


def reading(spec: Spec, command: str) -> None:
    message = f"Reading MOCO ({spec.moco.api_root}) and Personio ({spec.personio.base_url}) …" \
        if logs.stderr_is_terminal() else ""
    logs.line("run.start", message, command=command)


def seal_secrets(credentials: Credentials) -> tuple[str, ...]:
    return credentials.moco_api_key, credentials.personio_client_id, credentials.personio_client_secret
