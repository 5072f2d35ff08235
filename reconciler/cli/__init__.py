"""The `reconcile` command line: turns options into calls and errors into exit codes.

One module per command, siblings over the library (nothing below imports a command): `plan`, `apply`,
`doctor`, `serve`, `demo` and `sandbox` (sandbox.py); the small commands `validate`, `schema` and `users` are
here, with the group; options several commands share are in options.py.

Exit codes: 0 success; 1 any error, including usage errors (click's own default of 2 is reserved for
`plan --detailed-exitcode`); 2 only from that plan option.
"""

from __future__ import annotations

import asyncio
import errno
import os
import sys
from pathlib import Path
from typing import Any

import click

from reconciler import __version__, logs
from reconciler.cli import apply, doctor, plan, sandbox, serve
from reconciler.cli.options import (
    EXIT_ERROR,
    EXIT_OK,
    config_option,
    load,
    log_format_option,
    reading,
    run_options,
    timeout_option,
)
from reconciler.errors import ReconcileError
from reconciler.render.users import render_users
from reconciler.run import read_people
from reconciler.spec import load_spec
from reconciler.spec.describe import describe_spec
from reconciler.spec.schema import schema_text
from reconciler.systems.connect import missing_variables


class ReconcileGroup(click.Group):
    """Runs click in non-standalone mode so that every failure maps to the contract's codes and is said the same
    way: `error: …` lines (or JSON lines, logs.py), never click's usage block, never a traceback."""

    def main(self, args: Any = None, prog_name: str | None = None, complete_var: str | None = None,
             standalone_mode: bool = True, **extra: Any) -> Any:
        args = list(sys.argv[1:] if args is None else args)
        logs.configure(logs.chosen(args, os.environ))  # before parsing: a usage error comes before --log-format
        try:
            code = super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
        except click.exceptions.Exit as exc:
            code = exc.exit_code
        except click.ClickException as exc:  # usage errors, bad option values
            logs.error(usage_message(exc))
            code = EXIT_ERROR
        except click.Abort:  # Ctrl-C, or the end of input at a prompt
            logs.error("aborted")
            code = EXIT_ERROR
        except ReconcileError as exc:
            logs.error(str(exc))
            code = exc.exit_code
        except OSError as exc:
            if exc.errno == errno.EPIPE:
                # The reader went away (`reconcile schema | head`): silence the flush at exit.
                os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            else:  # the machine, not reconcile: a full disk, a closed terminal, ...
                where = f" ({exc.filename})" if exc.filename else ""
                logs.error(f"{exc.strerror or exc}{where}")
            code = EXIT_ERROR
        except Exception as exc:
            logs.bug(exc)
            code = EXIT_ERROR
        code = code if isinstance(code, int) else EXIT_OK
        if standalone_mode:
            sys.exit(code)
        return code


def usage_message(exc: click.ClickException) -> str:
    """click's message on one line, in reconcile's words: lower case after `error:`, and where the option's
    value was not the trouble (an unknown option or command, an argument missing or extra) the help to read."""
    message = " ".join(exc.format_message().split()).rstrip(".")
    ctx = getattr(exc, "ctx", None)
    if message == "Missing command":  # `reconcile`, `reconcile sandbox` (no_args_is_help=False: not click's help)
        return missing_command(ctx)
    if message[:1].isupper() and message[1:2].islower():
        message = message[0].lower() + message[1:]
    if isinstance(exc, click.UsageError) and not isinstance(exc, click.BadParameter) and ctx is not None:
        message = f"{message}; see `{ctx.command_path} --help`"
    return message


def missing_command(ctx: click.Context | None) -> str:
    group = ctx.command if ctx is not None else None
    if not isinstance(group, click.Group) or ctx is None:
        return "missing a command; see `reconcile --help`"
    names = sorted(name for name, command in group.commands.items() if not command.hidden)
    which = f"one of {', '.join(names)}" if len(names) > 1 else ", ".join(names)
    return f"missing a command: {which}; see `{ctx.command_path} --help`"


@click.group(cls=ReconcileGroup, no_args_is_help=False,  # no command: an error line, not click's help
             context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, "-V", "--version", prog_name="reconcile", message="%(prog)s %(version)s")
@log_format_option
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
@log_format_option
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
        logs.line("validate.unset", f"note: ${variable.name} is not set (nor ${variable.name}_FILE, naming a file "
                  "that holds it); plan and apply will need it", variable=variable.name)


@cli.command()
@log_format_option
def schema() -> None:
    """Print the JSON Schema (draft 2020-12) of the spec file.

    Point your editor at it to get completion and checks while writing the spec;
    it is the same file as schemas/mapping.schema.json in the repository.

    \b
    Example:
      reconcile schema > mapping.schema.json
    """
    click.echo(schema_text(), nl=False)


@cli.command()
@config_option
@click.option("--format", "fmt", type=click.Choice(("text", "json")), default="text", show_default=True,
              help="text for people, json for scripts.")
@timeout_option
@log_format_option
def users(config_path: Path, fmt: str, timeout: float) -> None:
    """Show who is matched to whom, and who is not synced and why. Writes nothing.

    Lists the matched pairs (both emails), people only in Personio or only in MOCO,
    excluded and archived people, shared emails, the overrides in use and those that
    match nobody, so emails can be fixed before the first apply.

    \b
    Example:
      reconcile users -c mapping.yaml --format json
    """
    spec, credentials = load(config_path)
    reading(spec, "users")
    matching = asyncio.run(read_people(spec, credentials, run_options(spec, None, timeout=timeout)))
    click.echo(render_users(matching, fmt), nl=False)


# one module a command
for command in (plan.plan, apply.apply, doctor.doctor, sandbox.demo, sandbox.sandbox, serve.serve):
    cli.add_command(command)


def main() -> None:
    cli.main(prog_name="reconcile")
