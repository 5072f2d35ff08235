"""How changes read, shared by the text and Markdown renderers. Each direction says how its own
records read (`Direction.describe`); nothing here guesses a record's kind from its fields."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from reconciler.plan.model import Change, Plan, summarise
from reconciler.sync import registry

SYMBOLS = {"create": "+", "update": "~", "delete": "-"}


@dataclass(frozen=True)
class Line:
    """One record a plan writes or removes, as a line of the text or Markdown plan."""

    action: str
    date: date
    target: str  # e.g. "MOCO absence"
    what: str  # e.g. "unplannable, morning → holiday, full day"
    reason: str


def describe(change: Change, values: Mapping[str, Any] | None) -> str:
    return registry.get(change.direction).describe(values) if values else ""


def what(change: Change) -> str:
    """The change's content in a few words, e.g. "unplannable, morning → holiday, full day"."""
    if change.action == "create":
        return describe(change, change.after)
    if change.action == "delete":
        return describe(change, change.before)
    before, after = describe(change, change.before), describe(change, change.after)
    return f"{before} → {after}" if before != after else after


def lines(change: Change) -> Iterator[Line]:
    """The change itself, then each further record it removes (each counted as a destroy)."""
    target = f"{registry.get(change.direction).service} {change.kind}"
    yield Line(change.action, change.date, target, what(change), change.reason)
    for removal in change.removes:
        yield Line("delete", change.date, target, describe(change, removal.before),
                   "surplus record on this day, removed with the change above")


def partial(plan: Plan) -> str:
    """What a partial plan covers: its directions, and the people and days of --user/--from/--to."""
    directions = ", ".join(registry.get(name).title for name in plan.scope)
    return f"{directions}; {plan.subset}" if plan.subset else directions


def totals(plan: Plan) -> str:
    s = plan.summary
    return f"Plan: {s['create']} to add, {s['update']} to change, {s['delete']} to destroy."


SECTION_TITLES = {
    "spec": "Caused by the spec change",
    "routine": "Routine sync, made with either spec",
}


def by_cause(plan: Plan) -> list[str]:
    """--base-spec: what the spec change causes, apart from routine sync, and what it drops."""
    if not plan.base:
        return []

    def counts(changes: Any) -> str:
        s = summarise(changes)
        return f"{s['create']} to add, {s['update']} to change, {s['delete']} to destroy"

    out = [f"{SECTION_TITLES[cause]}: " + counts(c for i, c in enumerate(plan.changes) if plan.causes[i] == cause)
           for cause in SECTION_TITLES]
    if plan.dropped:
        out.append(f"No longer made (the base spec {plan.base} would make them): {counts(plan.dropped)}")
    return out


def file_size(size: int) -> str:
    """A file's size as people read it: "812 bytes", "14 KiB", "661 MiB", "1.2 GiB"."""
    if size < 1024:
        return f"{size:,} byte{'s' if size != 1 else ''}"
    for unit, power in (("KiB", 1), ("MiB", 2), ("GiB", 3)):
        value = size / 1024 ** power
        if value < 1024 or unit == "GiB":
            return f"{value:,.1f} {unit}" if value < 10 else f"{value:,.0f} {unit}"
    raise AssertionError("unreachable")


def counted(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"


def also_known_as(person: str, changes: list[Change]) -> str:
    """" (Personio: Max.Mustermann@ACME.example)" when a system spells the person's email otherwise."""
    others = sorted({f"{registry.get(c.direction).service}: {c.user}" for c in changes if c.user != person})
    return f" ({', '.join(others)})" if others else ""
