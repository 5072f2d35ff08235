"""The plan: typed changes, conflicts and warnings, and its JSON form (CONTRACT.md §3).

A `Plan` is what the directions' planners produce and what the renderers, `apply` and the saved
PLANFILE all share. A `Change` carries every record it writes or removes, so what the plan shows,
counts and saves is exactly what apply does:

- `before`: the record updated or deleted, as the plan shows it; `target`: its id.
- `after`: the record created or what an update makes of it, as the plan shows it.
- `send`: exactly what apply sends for a create or an update, typed by its direction (`Send`): the step
  hands it to the client as it is, and its `to_json()` is what the plan shows.
- `removes`: further records on the same day that the change deletes too (surplus copies, a
  hand-made "not plannable" absence a synced one replaces); each counts as a destroy.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from functools import cached_property
from typing import TYPE_CHECKING, Any, Literal, Protocol, TypeVar

from reconciler import __version__
from reconciler.plan.digest import Fingerprint
from reconciler.plan.scope import Subset

if TYPE_CHECKING:
    from reconciler.plan.cost import Cost

FORMAT_VERSION = "1"
ACTIONS = ("create", "update", "delete")
Action = Literal["create", "update", "delete"]


class Send(Protocol):
    """What one create or update sends, typed by the direction that plans it (e.g. a MOCO absence)."""

    def to_json(self) -> dict[str, Any]:
        """Every field sent, as the plan shows it under `send`."""
        ...


S = TypeVar("S", bound=Send)


def creates(change: Change) -> bool:
    """Whether making the change creates a record: a create, or an update its direction makes by creating
    the record anew (its send says so with a true `creates`, e.g. a Personio period recreated without times)."""
    return change.action == "create" or getattr(change.send, "creates", False) is True


def sent_as(change: Change, kind: type[S]) -> S:
    """A change's `send`, as the type its direction's step expects (a TypeError, a bug, when it is not)."""
    if not isinstance(change.send, kind):
        raise TypeError(f"a {change.system} {change.kind} {change.action} sends {kind.__name__}, not {change.send!r}")
    return change.send


@dataclass(frozen=True)
class Removal:
    """A further record a change deletes: its id and what it holds."""

    id: Any
    before: dict[str, Any]

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "before": self.before}


@dataclass(frozen=True)
class Change:
    """One write to one system: a create, an update or a delete of one record, plus its removals.

    `user` is the person's email as the written system knows it (the contract's field); `person` is
    who it is across both systems (their MOCO email), which plans group by.
    """

    action: Action
    direction: str  # the direction that planned it and applies it (sync/registry.py)
    system: str  # moco | personio: the system written
    kind: str  # the kind of record written: absence | attendance
    user: str
    person: str
    date: date
    before: dict[str, Any] | None = None
    after: dict[str, Any] | None = None
    target: Any = None
    send: Send | None = None
    removes: tuple[Removal, ...] = ()
    reason: str = ""  # why, in a few words
    source: str = ""  # where the wanted state comes from, e.g. "Personio absence 3f2a..."
    surplus: bool = False  # a delete of second copies of a synced record that stays (what racing runs leave)
    sensitive: bool = False  # writes or removes a record of a kind in privacy.sensitive_kinds (health data)

    def __post_init__(self) -> None:
        shape = {
            "create": (self.after is not None and self.send is not None and self.before is None
                       and self.target is None),
            "update": (None not in (self.before, self.after, self.target) and self.send is not None),
            "delete": (self.before is not None and self.target is not None and self.after is None
                       and self.send is None),
        }
        if self.action not in shape:
            raise ValueError(f"unknown action {self.action!r}")
        if not shape[self.action] or (self.action == "create" and self.removes) or \
                (self.surplus and self.action != "delete"):
            raise ValueError(f"a {self.action} change cannot be built from {self!r}")

    @property
    def destroys(self) -> int:
        """How many records this change deletes: the target of a delete and every removal."""
        return (self.action == "delete") + len(self.removes)

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "action": self.action, "system": self.system, "kind": self.kind, "user": self.user,
            "date": self.date.isoformat(), "person": self.person, "direction": self.direction,
        }
        if self.before is not None:
            out["before"] = self.before
        if self.after is not None:
            out["after"] = self.after
        if self.target is not None:
            out["id"] = self.target
        if self.send is not None:
            out["send"] = self.send.to_json()
        if self.removes:
            out["removes"] = [removal.to_json() for removal in self.removes]
        if self.surplus:
            out["surplus"] = True
        if self.reason:
            out["reason"] = self.reason
        if self.source:
            out["source"] = self.source
        if self.sensitive:
            out["sensitive"] = True
        return out


@dataclass(frozen=True)
class Conflict:
    """Something a direction will not touch, and why (a hand-made record where it would write)."""

    direction: str
    system: str
    kind: str
    user: str
    person: str
    date: date
    reason: str
    sensitive: bool = False  # concerns a record of a kind in privacy.sensitive_kinds (health data)

    def to_json(self) -> dict[str, Any]:
        out = {"user": self.user, "date": self.date.isoformat(), "reason": self.reason, "system": self.system,
               "kind": self.kind, "person": self.person, "direction": self.direction}
        return out | ({"sensitive": True} if self.sensitive else {})


class Withheld(str):
    """A warning that names people beside an absence type that may be health data: the full text for the
    operator (text plan on a terminal, JSON on stdout), and `shared`, without the people, for outputs
    meant to be shared (Markdown, logs, plan files, reports). A plain `str` is shared as it is."""

    shared: str

    def __new__(cls, text: str, shared: str) -> Withheld:
        warning = super().__new__(cls, text)
        warning.shared = shared
        return warning


def shared_text(warning: str) -> str:
    """A warning as outputs meant to be shared may show it."""
    return warning.shared if isinstance(warning, Withheld) else warning


class HandMade(str):
    """Free text of a record reconcile did not write (a hand-made comment, "Arzttermin (manuell)"), as a
    planner puts it in a change's `before` or `removes[].before`: equal to the text, and shown in full to
    the operator (text plan on a terminal, JSON on stdout), but never in clear in outputs meant to be
    shared (plan/privacy.py `shared_json`). Marker comments reconcile wrote itself are plain `str`."""

    @classmethod
    def of(cls, text: str | None, ours: bool) -> str | None:
        """`text` marked as hand-made unless it is empty or `ours` (it carries reconcile's marker)."""
        return text if not text or ours else cls(text)


@dataclass(frozen=True)
class PlannedPart:
    """What one direction contributes to a plan."""

    changes: tuple[Change, ...] = ()
    conflicts: tuple[Conflict, ...] = ()
    warnings: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()
    owned: int = 0  # records of this direction's own that it read in the system it writes


@dataclass(frozen=True)
class Plan:
    # In the plan's order; a first sync's are `Packed` (plan/packed.py): a million, held a batch at a time.
    changes: Sequence[Change] = ()
    conflicts: tuple[Conflict, ...] = ()
    warnings: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()  # facts about the run worth a line: windows, what is not synced and why
    scope: tuple[str, ...] = ()  # the directions planned
    partial: bool = False  # --only: the plan covers part of the spec
    guard: tuple[Any, ...] = ()  # mass-change breaches (plan/guard.py): apply holds their systems' changes without --force
    subset: Subset = Subset()  # --user/--from/--to: the people and days planned
    causes: tuple[str, ...] = ()  # --base-spec: per change, "spec" (the spec change causes it) or "routine"
    dropped: tuple[Change, ...] = ()  # --base-spec: what the base spec would make and this one does not
    base: str = ""  # --base-spec: the file
    since: str = ""  # --changed-since: the moment (UTC, ISO 8601) an incremental run looked back to
    scopes: tuple[tuple[str, Subset | None], ...] = ()  # incremental: per direction, who and which days
    owned: int = 0  # records of reconcile's own read in the systems written (0: a first sync)
    cost: Cost | None = None  # the write requests and their time at the spec's rates (plan/cost.py)

    @cached_property
    def summary(self) -> dict[str, int]:  # counted once: a first sync's changes are read a batch at a time
        return summarise(self.changes)

    @cached_property
    def sensitive(self) -> int:
        """How many changes concern a record of a sensitive kind (outputs meant to be shared withhold them)."""
        return sum(change.sensitive for change in self.changes)

    def __repr__(self) -> str:
        """Counts only. A first sync plans a million changes, and Python formats a finished task's result with
        repr (asyncio.run, Python 3.11 and 3.12: twice, restoring its Ctrl-C handler): in full that was 1.2 GB
        and 11 s of CPU at 1,000 people (issue 22)."""
        return (f"Plan({len(self.changes)} changes {self.summary}, {len(self.conflicts)} conflicts, "
                f"{len(self.warnings)} warnings, scope={self.scope})")

    @property
    def has_changes(self) -> bool:
        return bool(self.changes)

    def by_person(self) -> dict[str, list[Change]]:
        grouped: dict[str, list[Change]] = {}
        for change in self.changes:
            grouped.setdefault(change.person, []).append(change)
        return grouped

    def cause(self, index: int) -> str:
        return self.causes[index] if self.causes else ""

    def to_json(self) -> dict[str, Any]:
        return {
            "format_version": FORMAT_VERSION,
            "changes": [self.with_cause(index, change.to_json()) for index, change in enumerate(self.changes)],
            "summary": self.summary,
            **({"cost": self.cost.to_json()} if self.cost is not None else {}),
            "conflicts": [conflict.to_json() for conflict in self.conflicts],
            "warnings": list(self.warnings),
            "notes": list(self.notes),
            "scope": list(self.scope),
            "partial": self.partial,
            "guard": [breach.to_json() for breach in self.guard],
            "subset": self.subset.to_json(),
            "incremental": {"since": self.since, "scopes": {
                name: None if subset is None else subset.to_json() or {"users": [], "from": None, "to": None}
                for name, subset in self.scopes}} if self.since else None,
            **self.base_json(),
            "fingerprint": self.fingerprint(),
            "generator": f"reconcile {__version__}",
        }

    def with_cause(self, index: int, change: dict[str, Any]) -> dict[str, Any]:
        """A change's JSON with `cause` (--base-spec); `apply PLANFILE` leaves it out of the compare."""
        return change | {"cause": self.causes[index]} if self.causes else change

    def base_json(self) -> dict[str, Any]:
        if not self.base:
            return {}
        return {"base_spec": self.base, "by_cause": {cause: summarise(c for i, c in enumerate(self.changes)
                                                                       if self.causes[i] == cause)
                                                     for cause in ("spec", "routine")},
                "dropped": summarise(self.dropped)}

    def fingerprint(self) -> str:
        """A digest of the changes alone, every field apply reads included: equal plans, equal prints."""
        print_ = Fingerprint(ascii=True)  # a change at a time (plan/digest.py)
        for change in self.changes:
            print_.add(change.to_json())
        return print_.digest()


def summarise(changes: Iterable[Change]) -> dict[str, int]:
    """Records added, changed and destroyed: a surplus copy an update removes counts as a destroy."""
    counts: Counter[str] = Counter()
    for change in changes:
        counts[change.action] += change.action != "delete"
        counts["delete"] += change.destroys
    return {action: counts[action] for action in ACTIONS}


_ACTION_ORDER = {action: index for index, action in enumerate(ACTIONS)}


def plan_order(change: Change) -> tuple[Any, ...]:
    """Where a change stands in a plan: by person, day, system, kind, time of day (attendances list in
    the order of the day), then deletes, updates, creates."""
    values = change.after or change.before or {}
    return change.person, change.date, change.system, change.kind, values.get("start") or "", \
        _ACTION_ORDER[change.action]


def merge(parts: list[PlannedPart], *, warnings: tuple[str, ...] = (), scope: tuple[str, ...] = (),
          partial: bool = False, guard: Callable[[tuple[Change, ...]], tuple[Any, ...]] = lambda changes: ()
          ) -> Plan:
    """One plan from the directions' parts, in a stable order."""
    changes = sorted((c for part in parts for c in part.changes), key=plan_order)
    conflicts = sorted((c for part in parts for c in part.conflicts), key=lambda c: (c.person, c.date))
    return Plan(
        changes=tuple(changes), conflicts=tuple(conflicts),
        warnings=warnings + tuple(w for part in parts for w in part.warnings),
        notes=tuple(n for part in parts for n in part.notes), scope=scope, partial=partial,
        guard=guard(tuple(changes)), owned=sum(part.owned for part in parts),
    )
