"""`reconcile doctor`: check, read-only, every assumption reconcile makes about the accounts the spec names."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path
from typing import Any

import click

from reconciler.cli.options import (
    color,
    config_option,
    log_format_option,
    run_options,
    timeout_option,
    today_option,
)
from reconciler.doctor import FORMATS, diagnose, render_report
from reconciler.errors import ReconcileError
from reconciler.spec import load_spec


@click.command()
@config_option
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="text", show_default=True,
              help="text for people, json for scripts.")
@timeout_option
@log_format_option
@today_option
def doctor(config_path: Path, fmt: str, timeout: float, today: Any) -> None:
    """Check every assumption reconcile makes about your MOCO and Personio accounts. Writes nothing.

    Each check reads a little of one account (credentials, scopes, the fields
    reconcile relies on, filters, pages, webhooks, the services' clocks) and says
    pass, warn, fail or skip, with what it saw and what reconcile does about it:
    counts, field names and configuration ids, never a person. Run it before the
    first apply, and after changing the API credentials. Exits 1 when a check
    fails (warnings alone exit 0), and for a bad spec.

    \b
    Example:
      reconcile doctor -c mapping.yaml
      reconcile doctor --format json | jq '.checks[] | select(.status != "pass")'
    """
    spec = load_spec(config_path)
    options = run_options(spec, today, timeout=timeout)
    report = asyncio.run(diagnose(spec, os.environ, options.today, options.tuning))
    click.echo(render_report(report, fmt, color=fmt == "text"), nl=False, color=color())
    if report.failed:
        failed = report.summary["fail"]
        raise ReconcileError(f"{failed} check{'s' if failed != 1 else ''} failed; the report says what "
                             f"{'each' if failed != 1 else 'it'} saw and what to do")
