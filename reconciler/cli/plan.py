"""`reconcile plan`: read both systems, show the changes apply would make, optionally save them."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import click

from reconciler import logs
from reconciler.cli.options import (
    EXIT_CHANGES,
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
from reconciler.plan.planfile import save_plan
from reconciler.plan.privacy import seal_key
from reconciler.render import FORMATS, render_chunks
from reconciler.render.progress import EVERY as PROGRESS_EVERY
from reconciler.render.progress import Watch
from reconciler.render.words import file_size
from reconciler.report import log_plan
from reconciler.run import make_plan
from reconciler.spec import load_spec


@click.command()
@config_option
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="text", show_default=True,
              help="text for a terminal, markdown for a pull-request comment, json for scripts.")
@click.option("--out", "out", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Also save the plan (JSON) to this file, for `reconcile apply PLANFILE`.")
@click.option("--detailed-exitcode", is_flag=True,
              help="Exit 2 when there are changes, 0 when there are none (conflicts and warnings are not changes).")
@click.option("--base-spec", "base_path", type=click.Path(dir_okay=False, path_type=Path), default=None,
              metavar="FILE",
              help="The spec as on the target branch: mark which changes the spec change itself causes, apart from "
                   "routine sync that either spec makes. Both are planned against one read of MOCO and Personio.")
@run_scope_options
def plan(config_path: Path, fmt: str, out: Path | None, detailed_exitcode: bool, base_path: Path | None,
         only: str | None, users: tuple[str, ...], from_day: Any, to_day: Any, changed_since: str | None,
         timeout: float, today: Any) -> None:
    """Read both systems and show the changes apply would make. Writes nothing.

    Absences flow Personio → MOCO, working hours MOCO → Personio. The plan lists
    every change by person and date, what is left alone because someone entered it
    by hand (conflicts), and warnings such as people found in only one system.
    Changes of sensitive absence kinds (privacy.sensitive_kinds) are counted, not
    listed, in Markdown, in a text plan that goes to a log, and in the plan file.

    \b
    Example:
      reconcile plan -c mapping.yaml --format markdown --out plan.json
      reconcile plan --base-spec base-mapping.yaml --format markdown
      reconcile plan --user jane@acme.example --from 2026-03-01 --to 2026-03-31
      reconcile plan --changed-since 75m
    """
    subset = subset_of(users, from_day, to_day)
    spec, credentials = load(config_path)
    base = load_spec(base_path) if base_path else None
    reading(spec, "plan")
    options = run_options(spec, today, only_names(only), timeout, subset, changed_since)
    watch = Watch.on_stderr(PROGRESS_EVERY)  # the read's lines
    result = asyncio.run(make_plan(spec, credentials, options, base, watch))
    for chunk in render_chunks(result, fmt, color=fmt == "text", redact=redact_stdout()):
        click.echo(chunk, nl=False, color=color())
    log_plan(result)
    if out:
        save_plan(result, out, seal_key(seal_secrets(credentials)), spec)
        size = out.stat().st_size
        count = len(result.changes)
        held = f"{file_size(size)}, {count:,} change{'' if count == 1 else 's'}"  # "661 MiB, 1,000,284 changes"
        logs.line("plan.saved", f"Saved the plan to {out} ({held}); `reconcile apply {out}` makes exactly these "
                  "changes.", path=str(out), bytes=size, changes=len(result.changes))
    if detailed_exitcode and result.has_changes:
        raise click.exceptions.Exit(EXIT_CHANGES)

