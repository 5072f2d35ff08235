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
import traceback
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
    """Runs click in non-standalone mode so that every failure maps to the contract's codes."""

    def main(self, args: Any = None, prog_name: str | None = None, complete_var: str | None = None,
             standalone_mode: bool = True, **extra: Any) -> Any:
        try:
            code = super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
        except click.exceptions.Exit as exc:
            code = exc.exit_code
        except click.ClickException as exc:  # usage errors, bad option values
            if logs.machine():
                logs.error(exc.format_message())
            else:
                exc.show()
            code = EXIT_ERROR
        except click.Abort:
            click.echo("Aborted.", err=True)
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
        except Exception:
            trace = traceback.format_exc()
            logs.line("error", trace.rstrip() + "\ninternal error: this is a bug in reconcile; please report it "
                      "with the output above", level="error")
            code = EXIT_ERROR
        code = code if isinstance(code, int) else EXIT_OK
        if standalone_mode:
            sys.exit(code)
        return code


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
