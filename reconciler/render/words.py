"""How changes read, shared by the text and Markdown renderers."""

from __future__ import annotations

from typing import Any

from reconciler.records import halves
from ..plan import Change, Plan

SYMBOLS = {"create": "+", "update": "~", "delete": "-"}
SYSTEMS = {"moco": "MOCO", "personio": "Personio"}


def describe(values: dict[str, Any] | None) -> str:
    """`{"absence_kind": "holiday", "am": True, "pm": False}` → "holiday, morning"."""
    if not values:
        return ""
    if "absence_kind" in values:
        return f"{values['absence_kind']}, {halves(values.get('am', True), values.get('pm', True))}"
    if "start" in values:
        return f"{values['start']}–{values.get('end') or '…'}"
    return ", ".join(f"{k} {v}" for k, v in values.items() if k != "comment")


def what(change: Change) -> str:
    """The change's content in a few words, e.g. "unplannable, morning → holiday, full day"."""
    if change.action == "create":
        return describe(change.after)
    if change.action == "delete":
        return describe(change.before)
    before, after = describe(change.before), describe(change.after)
    return f"{before} → {after}" if before != after else after


def totals(plan: Plan) -> str:
    s = plan.summary
    return f"Plan: {s['create']} to add, {s['update']} to change, {s['delete']} to destroy."


def counted(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"


def also_known_as(person: str, changes: list[Change]) -> str:
    """" (Personio: Max.Mustermann@ACME.example)" when a system spells the person's email otherwise."""
    others = sorted({f"{SYSTEMS[c.system]}: {c.user}" for c in changes if c.user != person})
    return f" ({', '.join(others)})" if others else ""
