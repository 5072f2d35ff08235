"""The pull-request plan: the summary first, details per person folded in <details>."""

from __future__ import annotations

from reconciler.plan.model import Plan, summarise
from reconciler.render.words import SYMBOLS, also_known_as, counted, lines, partial, totals


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def render_markdown(plan: Plan) -> str:
    s = plan.summary
    out = [f"### reconcile plan: {s['create']} to add, {s['update']} to change, {s['delete']} to destroy", ""]
    if plan.partial:
        out += [f"_Partial plan: only {partial(plan)}._", ""]
    for breach in plan.guard:
        out += [f"> ⚠️ **Mass-change guard**: {_cell(str(breach))}. `reconcile apply` refuses this run unless "
                "`--force`.", ""]
    flags = []
    if plan.conflicts:
        flags.append(f"⚠️ {counted(len(plan.conflicts), 'conflict')} (left alone)")
    if plan.warnings:
        flags.append(counted(len(plan.warnings), "warning"))
    if flags:
        out += [" · ".join(flags), ""]
    if not plan.changes:
        out += ["No changes: MOCO and Personio agree on everything in scope.", ""]
    else:
        out += ["| person | add | change | destroy |", "|---|---:|---:|---:|"]
        for person, changes in plan.by_person().items():
            counts = summarise(changes)
            out.append(f"| {_cell(person)} | {counts['create']} | {counts['update']} | {counts['delete']} |")
        out.append("")
        for person, changes in plan.by_person().items():
            out += [f"<details><summary><code>{person}</code>{_cell(also_known_as(person, changes))}: "
                    f"{counted(len(changes), 'change')}</summary>", "",
                    "| | date | system | change | why |", "|---|---|---|---|---|"]
            for line in (line for change in changes for line in lines(change)):
                out.append(f"| `{SYMBOLS[line.action]}` | {line.date} | {line.target} | {_cell(line.what)} | "
                           f"{_cell(line.reason)} |")
            out += ["", "</details>", ""]
    if plan.conflicts:
        out += ["<details><summary>Conflicts</summary>", "", "| person | date | reason |", "|---|---|---|"]
        out += [f"| {_cell(c.person)} | {c.date} | {_cell(c.reason)} |" for c in plan.conflicts]
        out += ["", "</details>", ""]
    if plan.warnings:
        out += ["<details><summary>Warnings</summary>", ""]
        out += [f"- {_cell(w)}" for w in plan.warnings]
        out += ["", "</details>", ""]
    if plan.notes:
        out += [f"<sub>{_cell(' · '.join(plan.notes))}</sub>", ""]
    out.append(f"**{totals(plan)}**")
    return "\n".join(out) + "\n"
