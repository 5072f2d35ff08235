"""The terminal plan: terraform-like, grouped by person, ending with the totals line."""

from __future__ import annotations

import click

from ..plan import Plan
from .words import SYMBOLS, SYSTEMS, also_known_as, totals, what

COLORS = {"create": "green", "update": "yellow", "delete": "red"}


def render_text(plan: Plan, *, color: bool = False) -> str:
    def paint(text: str, fg: str | None = None, dim: bool = False, bold: bool = False) -> str:
        return click.style(text, fg=fg, dim=dim, bold=bold) if color else text

    lines: list[str] = []
    for note in plan.notes:
        lines.append(paint(f"# {note}", dim=True))
    if plan.partial:
        lines.append(paint(f"# partial plan: only {', '.join(plan.scope)}", dim=True))
    if lines:
        lines.append("")
    if not plan.changes:
        lines.append("No changes. MOCO and Personio agree on everything in scope.")
        lines.append("")
    for person, changes in plan.by_person().items():
        lines.append(paint(person, bold=True) + paint(also_known_as(person, changes), dim=True))
        for change in changes:
            symbol = paint(SYMBOLS[change.action], fg=COLORS[change.action], bold=True)
            target = f"{SYSTEMS[change.system]} {change.kind}"
            line = f"  {symbol} {change.date}  {target:<19} {what(change)}"
            if change.reason:
                line += paint(f"  ({change.reason})", dim=True)
            lines.append(line)
        lines.append("")
    if plan.conflicts:
        lines.append(paint(f"Conflicts (left alone: {len(plan.conflicts)}):", fg="magenta", bold=True))
        for conflict in plan.conflicts:
            lines.append(f"  ! {conflict.who} {conflict.date}: {conflict.reason}")
        lines.append("")
    if plan.warnings:
        lines.append(paint("Warnings:", fg="yellow", bold=True))
        for warning in plan.warnings:
            lines.append(f"  * {warning}")
        lines.append("")
    lines.append(paint(totals(plan), bold=True))
    return "\n".join(lines) + "\n"
