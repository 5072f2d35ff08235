"""The plan: typed changes, conflicts and warnings, and its JSON form (CONTRACT.md §3).

A `Plan` is what the planners produce and what the renderers, `apply` and the saved PLANFILE all
share. Saving writes the JSON form; `apply PLANFILE` compares a saved plan's changes with a fresh
plan's, field by field, and refuses when they differ.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from reconciler import __version__
from reconciler.errors import ReconcileError

FORMAT_VERSION = "1"
ACTIONS = ("create", "update", "delete")


@dataclass(frozen=True)
class Change:
    action: str  # create | update | delete
    system: str  # moco | personio (the system written)
    kind: str  # absence | attendance
    user: str  # the person's email as the written system knows it
    date: date
    before: dict[str, Any] | None = None  # what is there now (update, delete)
    after: dict[str, Any] | None = None  # what will be there (create, update)
    reason: str = ""  # why, in a few words
    source: str = ""  # where the wanted state comes from, e.g. "Personio absence 3f2a..."
    target: Any = None  # id of the record updated or deleted
    also_delete: tuple[Any, ...] = ()  # ids of further records on the same day this change removes
    write: dict[str, Any] = field(default_factory=dict, compare=False)  # what apply sends besides `after`
    person: str = ""  # who, across both systems (their MOCO email); plans group changes by it

    @property
    def who(self) -> str:
        return self.person or self.user

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "action": self.action, "system": self.system, "kind": self.kind, "user": self.user,
            "date": self.date.isoformat(),
        }
        if self.person and self.person != self.user:
            out["person"] = self.person
        if self.before is not None:
            out["before"] = self.before
        if self.after is not None:
            out["after"] = self.after
        if self.target is not None:
            out["id"] = self.target
        if self.also_delete:
            out["also_delete"] = list(self.also_delete)
        if self.reason:
            out["reason"] = self.reason
        if self.source:
            out["source"] = self.source
        return out


@dataclass(frozen=True)
class Conflict:
    user: str
    date: date
    reason: str
    system: str = "moco"
    kind: str = "absence"
    person: str = ""  # as Change.person

    @property
    def who(self) -> str:
        return self.person or self.user

    def to_json(self) -> dict[str, Any]:
        out = {"user": self.user, "date": self.date.isoformat(), "reason": self.reason, "system": self.system,
               "kind": self.kind}
        if self.person and self.person != self.user:
            out["person"] = self.person
        return out


@dataclass(frozen=True)
class PlannedPart:
    """What one planner contributes to a plan."""

    changes: tuple[Change, ...] = ()
    conflicts: tuple[Conflict, ...] = ()
    warnings: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class Plan:
    changes: tuple[Change, ...] = ()
    conflicts: tuple[Conflict, ...] = ()
    warnings: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()  # facts about the run worth a line: windows, what is not synced and why
    scope: tuple[str, ...] = ("absences", "attendances")
    partial: bool = False  # --only: the plan covers part of the spec

    @property
    def summary(self) -> dict[str, int]:
        counts = Counter(change.action for change in self.changes)
        return {action: counts.get(action, 0) for action in ACTIONS}

    @property
    def has_changes(self) -> bool:
        return bool(self.changes)

    def by_person(self) -> dict[str, list[Change]]:
        grouped: dict[str, list[Change]] = {}
        for change in self.changes:
            grouped.setdefault(change.who, []).append(change)
        return grouped

    def to_json(self) -> dict[str, Any]:
        return {
            "format_version": FORMAT_VERSION,
            "changes": [change.to_json() for change in self.changes],
            "summary": self.summary,
            "conflicts": [conflict.to_json() for conflict in self.conflicts],
            "warnings": list(self.warnings),
            "notes": list(self.notes),
            "scope": list(self.scope),
            "partial": self.partial,
            "fingerprint": self.fingerprint(),
            "generator": f"reconcile {__version__}",
        }

    def fingerprint(self) -> str:
        """A digest of the changes alone: equal plans have equal fingerprints."""
        canonical = json.dumps([c.to_json() for c in self.changes], sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(canonical.encode()).hexdigest()[:16]


def sort_changes(changes: list[Change]) -> tuple[Change, ...]:
    order = {action: index for index, action in enumerate(ACTIONS)}
    def clock(change: Change) -> str:  # attendances list in the order of the day
        values = change.after or change.before or {}
        return values.get("start") or ""

    return tuple(sorted(changes, key=lambda c: (c.who, c.date, c.system, c.kind, clock(c), order[c.action])))


# --------------------------------------------------------------------------- PLANFILE


def save_plan(plan: Plan, path: Path) -> None:
    """Write the JSON plan atomically: a reader never sees half a file."""
    text = json.dumps(plan.to_json(), indent=2, ensure_ascii=False) + "\n"
    directory = path.parent if str(path.parent) else Path(".")
    try:
        handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=directory)
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(text)
        os.replace(temporary, path)
    except OSError as exc:
        raise ReconcileError(f"cannot write the plan to {path}: {exc.strerror or exc}") from None


def load_saved_changes(path: Path) -> tuple[list[dict[str, Any]], tuple[str, ...] | None]:
    """The changes of a saved plan, checked enough to compare them with a fresh plan, and its scope."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ReconcileError(f"plan file {path} not found") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ReconcileError(f"cannot read plan file {path}: {exc}") from None
    except json.JSONDecodeError as exc:
        raise ReconcileError(f"{path}:{exc.lineno}:{exc.colno}: not a JSON plan ({exc.msg}); write one with "
                             "`reconcile plan --out PLANFILE`") from None
    if not isinstance(data, dict) or "changes" not in data:
        raise ReconcileError(f"{path} is not a reconcile plan (no \"changes\"); write one with "
                             "`reconcile plan --out PLANFILE`")
    if data.get("format_version") != FORMAT_VERSION:
        raise ReconcileError(f"{path} has plan format_version {data.get('format_version')!r}; this reconcile reads "
                             f"format version {FORMAT_VERSION}")
    changes = data["changes"]
    if not isinstance(changes, list) or not all(isinstance(c, dict) for c in changes):
        raise ReconcileError(f"{path}: \"changes\" must be a list of objects")
    scope = data.get("scope")
    known = ("absences", "attendances")
    if scope is not None and (not isinstance(scope, list) or not scope
                              or not all(isinstance(part, str) and part in known for part in scope)):
        raise ReconcileError(f"{path}: \"scope\" must list some of {', '.join(known)}")
    return changes, tuple(s for s in known if s in scope) if scope else None


def compare_with_saved(saved: list[dict[str, Any]], fresh: Plan) -> list[str]:
    """Lines naming what differs between a saved plan and a fresh one; empty when they agree."""

    def key(change: dict[str, Any]) -> str:
        return json.dumps(change, sort_keys=True)

    def label(change: dict[str, Any]) -> str:
        return f"{change.get('action')} {change.get('system')} {change.get('kind')} {change.get('user')} " \
               f"{change.get('date')}"

    saved_keys = Counter(key(c) for c in saved)
    fresh_list = [c.to_json() for c in fresh.changes]
    fresh_keys = Counter(key(c) for c in fresh_list)
    lines = [f"  only in the saved plan: {label(c)}" for c in saved if saved_keys[key(c)] > fresh_keys[key(c)]]
    lines += [f"  only in a fresh plan:   {label(c)}" for c in fresh_list if fresh_keys[key(c)] > saved_keys[key(c)]]
    return lines
