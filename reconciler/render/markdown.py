"""The pull-request plan: the summary first, details per person folded in <details>, and never longer
than a pull-request comment may be (GitHub refuses comments over 65,536 characters).

The head (totals, a table per direction and system, the guard, conflict and warning counts) and the
last line (totals again) are always there. Then, as much as fits in `limit`, in this order: the
per-person table, the conflicts, the warnings, the notes, and each person's changes folded in
<details>; what does not fit is counted in a closing line that says where the full plan is.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from reconciler.plan.guard import holding
from reconciler.plan.model import Change, Plan, summarise
from reconciler.plan.privacy import Shown
from reconciler.render.words import (
    SECTION_TITLES,
    SYMBOLS,
    also_known_as,
    by_cause,
    counted,
    lines,
    partial,
    totals,
)
from reconciler.sync import registry

LIMIT = 65_000  # characters: GitHub's comment limit is 65,536, and a pipeline may add a line or two
OMISSION_ROOM = 600  # kept free for the line that says what was left out


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def render_markdown(plan: Plan, *, limit: int = LIMIT) -> str:
    """Always redacted: a pull-request comment is read by everyone who can read the repository."""
    shown = Shown.of(plan, redact=True)
    head, tail = _head(plan, shown), ["", f"**{totals(plan)}**"]
    budget = limit - _size(head) - _size(tail) - OMISSION_ROOM
    body: list[str] = []
    left_out: list[str] = []

    def fit(block: list[str]) -> bool:
        nonlocal budget
        if _size(block) > budget:
            return False
        body.extend(block)
        budget -= _size(block)
        return True

    sections = shown.sections()
    spec_caused = sections[0] if sections[0][0] == "spec" else None
    if spec_caused:  # what the spec change causes comes before everything else (--base-spec)
        left_out += _details(spec_caused[0], spec_caused[1], fit)
        sections = sections[1:]
    if shown.changes and not fit(_people_table(shown.people())):
        left_out.append("the table of people")
    for title, rows, header in (("Conflicts", _conflicts(shown), ["| person | date | reason |", "|---|---|---|"]),
                                ("Warnings", [f"- {_cell(w)}" for w in shown.warnings], [])):
        if rows:
            kept = _fit_rows(rows, budget - _size(_fold(title, header, [])))
            fit(_fold(title, header, rows[:kept]))
            if kept < len(rows):
                left_out.append(f"{len(rows) - kept} of {counted(len(rows), title.lower()[:-1])}")
    if plan.notes and not fit([f"<sub>{_cell(' · '.join(plan.notes))}</sub>", ""]):
        left_out.append("the notes")
    for cause, section in sections:
        left_out += _details(cause, section, fit)
    if left_out:
        body += [f"_Not shown, to fit a pull-request comment: {'; '.join(left_out)}. The full plan is in the plan "
                 "file (`reconcile plan --out plan.json`; keep it as a pipeline artifact) and in "
                 "`reconcile plan --format text`._", ""]
    return "\n".join(head + body + tail) + "\n"


def _details(cause: str, people: Iterable[tuple[str, list[Change]]], fit: Callable[[list[str]], bool]) -> list[str]:
    """Each person's changes folded in <details>, as many as fit; what was left out, if anything. The people
    come one at a time (a first sync's changes are a million) and are only counted once one does not fit."""
    if cause and not fit([f"#### {SECTION_TITLES[cause]}", ""] + ([] if people else ["None.", ""])):
        return [f"the {SECTION_TITLES[cause].lower()}"]
    shown = everyone = hidden = 0
    for person, changes in people:
        everyone += 1
        if everyone == shown + 1 and fit(_person(person, changes)):
            shown += 1
        else:
            hidden += len(changes)
    if shown == everyone:
        return []
    of = f" {SECTION_TITLES[cause].lower()}" if cause else ""
    return [f"the details{of} of {everyone - shown} of {everyone} people ({counted(hidden, 'change')})"]


def _size(block: list[str]) -> int:
    return sum(len(line) + 1 for line in block)


def _head(plan: Plan, shown: Shown) -> list[str]:
    s = plan.summary
    out = [f"### reconcile plan: {s['create']} to add, {s['update']} to change, {s['delete']} to destroy", ""]
    if plan.since:
        out += [f"_Incremental run: what changed since {plan.since} (`--changed-since`); a full run also sees "
                "deletions on days nothing else changed._", ""]
    elif plan.partial:
        out += [f"_Partial plan: only {partial(plan)}._", ""]
    if plan.cost is not None and plan.cost.worth_saying:  # what the apply costs, when it takes a while
        out += [f"⏱️ {_cell(str(plan.cost))}", ""]
    if plan.base:
        out += [f"Compared with the base spec `{_cell(plan.base)}`:", ""] + [f"- **{line}**" for line in by_cause(plan)]
        out += [""]
    for breach in plan.guard:
        out += [f"> ⚠️ **Mass-change guard**: {_cell(str(breach))}. {_cell(holding(plan, breach))}.", ""]
    flags = []
    if plan.conflicts:
        flags.append(f"⚠️ {counted(len(plan.conflicts), 'conflict')} (left alone)")
    if plan.warnings:
        flags.append(counted(len(plan.warnings), "warning"))
    if flags:
        out += [" · ".join(flags), ""]
    if shown.withheld():
        out += [f"🔒 {_cell(shown.withheld())}", ""]
    if not plan.changes:
        return out + ["No changes: MOCO and Personio agree on everything in scope.", ""]
    out += ["| direction | system | add | change | destroy | conflicts |", "|---|---|---:|---:|---:|---:|"]
    for name in plan.scope:
        direction = registry.get(name)
        counts = summarise(c for c in plan.changes if c.direction == name)
        conflicts = sum(1 for c in plan.conflicts if c.direction == name)
        out.append(f"| {direction.title} | {direction.service} | {counts['create']} | {counts['update']} | "
                   f"{counts['delete']} | {conflicts} |")
    return out + [""]


def _people_table(people: Iterable[tuple[str, list[Change]]]) -> list[str]:
    out = ["| person | add | change | destroy |", "|---|---:|---:|---:|"]
    for person, changes in people:
        counts = summarise(changes)
        out.append(f"| {_cell(person)} | {counts['create']} | {counts['update']} | {counts['delete']} |")
    return out + [""]


def _person(person: str, changes: list[Change]) -> list[str]:
    out = [f"<details><summary><code>{person}</code>{_cell(also_known_as(person, changes))}: "
           f"{counted(len(changes), 'change')}</summary>", "", "| | date | system | change | why |",
           "|---|---|---|---|---|"]
    for line in (line for change in changes for line in lines(change)):
        out.append(f"| `{SYMBOLS[line.action]}` | {line.date} | {line.target} | {_cell(line.what)} | "
                   f"{_cell(line.reason)} |")
    return out + ["", "</details>", ""]


def _conflicts(shown: Shown) -> list[str]:
    return [f"| {_cell(c.person)} | {c.date} | {_cell(c.reason)} |" for c in shown.conflicts]


def _fold(title: str, header: list[str], rows: list[str]) -> list[str]:
    return [f"<details><summary>{title}</summary>", "", *header, *rows, "", "</details>", ""] if rows else []


def _fit_rows(rows: list[str], room: int) -> int:
    """How many of `rows`, from the first, fit in `room` characters."""
    used = 0
    for count, row in enumerate(rows):
        used += len(row) + 1
        if used > room:
            return count
    return len(rows)
