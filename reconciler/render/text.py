"""The terminal plan: terraform-like, grouped by person, ending with the totals line."""

from __future__ import annotations

from collections.abc import Iterator

import click

from reconciler.plan.guard import holding
from reconciler.plan.model import Plan
from reconciler.plan.privacy import Shown
from reconciler.render.words import SECTION_TITLES, SYMBOLS, also_known_as, by_cause, lines, partial, totals

COLORS = {"create": "green", "update": "yellow", "delete": "red"}
CHUNK = 2000  # lines of text written at a time


def render_text(plan: Plan, *, color: bool = False, redact: bool = False) -> str:
    """The plan for a terminal; `redact` for a log (no terminal): sensitive changes and conflicts are
    counted, not listed (plan/privacy.py)."""
    return "".join(text_chunks(plan, color=color, redact=redact))


def text_chunks(plan: Plan, *, color: bool = False, redact: bool = False) -> Iterator[str]:
    """`render_text`, a person at a time (issue 22: a first sync lists a million changes, and its text is not
    held whole)."""
    shown = Shown.of(plan, redact=redact)

    def paint(text: str, fg: str | None = None, dim: bool = False, bold: bool = False) -> str:
        return click.style(text, fg=fg, dim=dim, bold=bold) if color else text

    out: list[str] = []
    for note in plan.notes:
        out.append(paint(f"# {note}", dim=True))
    if plan.cost is not None and plan.cost.worth_saying:  # what the apply costs, when it takes a while
        out.append(paint(f"# {plan.cost}", dim=True))
    if plan.partial:
        out.append(paint(f"# partial plan: only {partial(plan)}", dim=True))
    if plan.base:
        out.append(paint(f"# compared with the base spec {plan.base}", dim=True))
    if out:
        out.append("")
    for breach in plan.guard:
        out.append(paint(f"! Mass-change guard: {breach}. {holding(plan, breach)}.", fg="red", bold=True))
        out.append("")
    if not plan.changes:
        out.append("No changes. MOCO and Personio agree on everything in scope.")
        out.append("")
    for cause, people in shown.sections():
        if cause:
            out += [paint(f"── {SECTION_TITLES[cause]} " + "─" * 20, bold=True), ""]
            if not people:  # listed, with --base-spec
                out += ["  (none)", ""]
        for person, changes in people:
            if len(out) >= CHUNK:
                yield "\n".join(out) + "\n"
                out = []
            out.append(paint(person, bold=True) + paint(also_known_as(person, changes), dim=True))
            for line in (line for change in changes for line in lines(change)):
                symbol = paint(SYMBOLS[line.action], fg=COLORS[line.action], bold=True)
                text = f"  {symbol} {line.date}  {line.target:<19} {line.what}"
                if line.reason:
                    text += paint(f"  ({line.reason})", dim=True)
                out.append(text)
            out.append("")
    if shown.conflicts:
        out.append(paint(f"Conflicts (left alone: {len(shown.conflicts)}):", fg="magenta", bold=True))
        for conflict in shown.conflicts:
            out.append(f"  ! {conflict.person} {conflict.date}: {conflict.reason}")
        out.append("")
    if shown.warnings:
        out.append(paint("Warnings:", fg="yellow", bold=True))
        for warning in shown.warnings:
            out.append(f"  * {warning}")
        out.append("")
    if shown.withheld():
        out += [paint(f"# {shown.withheld()}", dim=True), ""]
    out += [paint(line, bold=True) for line in by_cause(plan)]
    out.append(paint(totals(plan), bold=True))
    yield "\n".join(out) + "\n"
