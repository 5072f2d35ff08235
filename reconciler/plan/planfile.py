"""The saved plan (PLANFILE): written atomically by `plan --out`, read and compared by `apply PLANFILE`.

`apply PLANFILE` compares a saved plan's changes with a fresh plan's, every field included (what
apply would send and every record it would remove), and refuses when they differ. Plan files of
reconcile 0.1 to 0.3 also listed each change's removals by id (`also_delete`), which `removes` holds
too: read, and left out of the compare.

The direction names a file holds are checked against the caller's `Names` (sync/registry.py), so that
this module knows no direction.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import tempfile
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import IO, Any, Protocol, TypeVar

from reconciler.errors import ReconcileError
from reconciler.plan.digest import Fingerprint
from reconciler.plan.guard import held
from reconciler.plan.model import FORMAT_VERSION, Plan
from reconciler.plan.planstream import (
    Relayout,
    compared,
    fresh_fingerprint,
    saved_changes,
    saved_head,
    streamed_changes,
    whole_changes,
    write_plan,
)
from reconciler.plan.privacy import shared_changes
from reconciler.plan.scope import Scopes, Subset
from reconciler.spec import Spec


class Names(Protocol):
    """The directions a plan file may name (sync/registry.py is one)."""

    def names(self) -> tuple[str, ...]: ...

    def canonical(self, name: str) -> str:
        """A direction's name, from it or an older alias; ReconcileError when there is none."""
        ...

T = TypeVar("T")


@dataclass(frozen=True)
class SavedPlan:
    path: Path
    fingerprint: str  # of the changes it holds (planstream.py), read one at a time: they are not kept
    scope: tuple[str, ...] | None  # the directions it covered (sync/registry.py); None: not recorded
    subset: Subset = Subset()  # the people and days it covered (--user, --from, --to)
    # An incremental plan (--changed-since): the moment it looked back to, and each direction's scope.
    since: str = ""
    scopes: Scopes | None = None
    spec: SpecSeen | None = None  # the spec it was planned with; None: not recorded (plan files before 0.5)


@dataclass(frozen=True)
class SpecSeen:
    """The spec a plan was made with: its file, and a digest of what it says (comments and layout aside)."""

    path: str
    digest: str

    @classmethod
    def of(cls, spec: Spec) -> SpecSeen:
        said = json.dumps(_canonical(dataclasses.replace(spec, source="")), sort_keys=True, default=str)
        return cls(spec.source, "sha256:" + hashlib.sha256(said.encode()).hexdigest()[:16])

    def to_json(self) -> dict[str, str]:
        return {"path": self.path, "digest": self.digest}


def _canonical(value: Any) -> Any:
    """Every setting of a spec as loaded (defaults filled in) as JSON data, in an order that does not depend on
    the process (sets sorted), so that its digest does not either."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _canonical(getattr(value, f.name)) for f in dataclasses.fields(value) if f.repr}
    if isinstance(value, (set, frozenset)):
        return sorted((_canonical(each) for each in value), key=repr)
    if isinstance(value, (list, tuple)):
        return [_canonical(each) for each in value]
    if isinstance(value, dict):
        return {str(name): _canonical(each) for name, each in value.items()}
    return value


def save_plan(plan: Plan, path: Path, key: bytes, spec: Spec | None = None) -> None:
    """Write the JSON plan atomically, so a reader never sees half a file, and only as a regular file:
    never through a symbolic link (a link committed as plan.json could point a CI write anywhere), never
    over a read-only file, a device or a directory, with the permissions the user's umask gives a new
    file. Sensitive changes are sealed with `key` (plan/privacy.py). `spec`: the spec the plan was made
    with, recorded so that `apply PLANFILE` can say when another one is in use."""
    made_with = {"spec": SpecSeen.of(spec).to_json()} if spec is not None else {}
    extra = {"held": [part.to_json() for part in held(plan)]} | made_with
    write_file(path, "the plan", lambda out: write_plan(plan, key, extra, out))  # change by change (planstream.py)


def write_file(path: Path, what: str, write: Callable[[IO[str]], object]) -> None:
    """What `write` writes, as a file at `path`: atomically and only as a regular file (see save_plan)."""
    if path.is_symlink():
        raise ReconcileError(f"cannot write {what} to {path}: it is a symbolic link (to {os.readlink(path)}), and "
                             "reconcile does not write through links; remove the link or name another file. "
                             "Nothing was written there")
    target = Path(os.path.abspath(path))
    if target.exists() and not target.is_file():
        raise ReconcileError(f"cannot write {what} to {path}: it is not a regular file; name a file")
    if target.exists() and (not os.access(target, os.W_OK) or not target.stat().st_mode & 0o222):
        raise ReconcileError(f"cannot write {what} to {path}: it is read-only, and reconcile does not replace a "
                             "read-only file; make it writable or name another file")
    temporary = None
    try:
        handle, temporary = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent)
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            write(out)
            out.flush()
            os.fsync(out.fileno())
        os.chmod(temporary, 0o666 & ~_umask())
        os.replace(temporary, target)
    except OSError as exc:
        if temporary:
            Path(temporary).unlink(missing_ok=True)
        raise ReconcileError(f"cannot write {what} to {path}: {exc.strerror or exc}") from None


def _umask() -> int:
    current = os.umask(0o022)
    os.umask(current)
    return current


def load_saved_plan(path: Path, known: Names) -> SavedPlan:
    """The changes of a saved plan, checked enough to compare them with a fresh plan, and its scope;
    `known` checks the direction names it holds."""
    data = _reading(path, lambda: saved_head(path))  # all but the changes, in write_plan's layout; else whole
    if not isinstance(data, dict) or "changes" not in data:
        raise ReconcileError(f"{path} is not a reconcile plan (no \"changes\"); write one with "
                             "`reconcile plan --out PLANFILE`")
    if data.get("format_version") != FORMAT_VERSION:
        raise ReconcileError(f"{path} has plan format_version {data.get('format_version')!r}; this reconcile reads "
                             f"format version {FORMAT_VERSION}")
    if not isinstance(data["changes"], list):
        raise ReconcileError(f"{path}: \"changes\" must be a list of objects")
    try:
        fingerprint = _reading(path, lambda: _checked(path, streamed_changes(path), data))  # one at a time
    except Relayout:  # not in write_plan's layout throughout: read whole
        fingerprint = _reading(path, lambda: _checked(path, whole_changes(path), data))
    since, scopes = _incremental(path, data.get("incremental"), known)
    return SavedPlan(path=path, fingerprint=fingerprint, scope=_scope(path, data.get("scope"), known),
                     subset=_subset(path, data.get("subset")), since=since, scopes=scopes,
                     spec=_spec(path, data.get("spec")))


def _reading(path: Path, read: Callable[[], T]) -> T:
    """What `read` reads of a plan file, its failures said as the user's to fix."""
    try:
        return read()
    except FileNotFoundError:
        raise ReconcileError(f"plan file {path} not found") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ReconcileError(f"cannot read plan file {path}: {exc}") from None
    except json.JSONDecodeError as exc:
        raise ReconcileError(f"{path}:{exc.lineno}:{exc.colno}: not a JSON plan ({exc.msg}); write one with "
                             "`reconcile plan --out PLANFILE`") from None


def _checked(path: Path, changes: Iterator[Any], data: dict[str, Any]) -> str:
    """The fingerprint of a saved plan's changes, each checked to be one of this reconcile's."""
    print_ = Fingerprint()
    for change in changes:
        if not isinstance(change, dict):
            raise ReconcileError(f"{path}: \"changes\" must be a list of objects")
        if "direction" not in change:
            raise ReconcileError(f"{path} was written by an earlier reconcile ({data.get('generator', 'unknown')}), "
                                 "whose plans did not yet carry every record a change writes or removes; nothing "
                                 "was written. Make and review a new plan: `reconcile plan --out PLANFILE`")
        print_.add(compared(change))
    return print_.digest()


def _spec(path: Path, value: Any) -> SpecSeen | None:
    """The spec a saved plan was made with; none recorded (older plan files): None."""
    if value is None:
        return None
    if not isinstance(value, dict) or not isinstance(value.get("path"), str) or \
            not isinstance(value.get("digest"), str):
        raise ReconcileError(f"{path}: \"spec\" must be null or hold \"path\" and \"digest\"")
    return SpecSeen(value["path"], value["digest"])


def spec_changed(saved: SavedPlan, spec: Spec) -> str:
    """Why a saved plan may differ from a fresh one because of the spec: a sentence naming both specs when
    another spec, or the same file saying something else, is in use; "" when the same spec is (or the plan
    file does not say)."""
    if saved.spec is None:
        return ""
    now = SpecSeen.of(spec)
    if now.digest == saved.spec.digest:
        return ""
    if os.path.abspath(now.path) == os.path.abspath(saved.spec.path):
        return f"the spec {now.path} changed since the plan was made ({saved.spec.digest}, now {now.digest})"
    return f"the plan was made with spec {saved.spec.path} ({saved.spec.digest}), this run uses {now.path} " \
           f"({now.digest})"


def _incremental(path: Path, value: Any, known: Names) -> tuple[str, Scopes | None]:
    if value is None:
        return "", None
    if not isinstance(value, dict) or not isinstance(value.get("since"), str) or \
            not isinstance(value.get("scopes"), dict):
        raise ReconcileError(f"{path}: \"incremental\" must be null or hold \"since\" and \"scopes\"")
    try:
        datetime.fromisoformat(value["since"])
    except ValueError:
        raise ReconcileError(f"{path}: \"incremental\": \"since\" must be an ISO 8601 time") from None
    scopes = tuple((known.canonical(name), None if subset is None else _subset(path, subset))
                   for name, subset in value["scopes"].items())
    return value["since"], scopes


def _subset(path: Path, subset: Any) -> Subset:
    """The people and days a saved plan covered (--user, --from, --to); none recorded: all of them."""
    if subset is None:
        return Subset()
    try:
        users, start, end = subset["users"], subset["from"], subset["to"]
        if not isinstance(users, list) or not all(isinstance(email, str) for email in users):
            raise TypeError
        return Subset(users=tuple(users), start=date.fromisoformat(start) if start else None,
                      end=date.fromisoformat(end) if end else None)
    except (TypeError, KeyError, ValueError):
        raise ReconcileError(f"{path}: \"subset\" must be null or hold \"users\" (a list of emails), \"from\" "
                             "and \"to\" (dates or null)") from None


def _scope(path: Path, scope: Any, known: Names) -> tuple[str, ...] | None:
    """The directions a saved plan covered; plans written before directions had names say
    "absences" and "attendances", which the registry still knows."""
    if scope is None:
        return None
    if not isinstance(scope, list) or not scope or not all(isinstance(name, str) for name in scope):
        raise ReconcileError(f"{path}: \"scope\" must list some of {', '.join(known.names())}")
    try:
        return tuple(known.canonical(name) for name in scope)
    except ReconcileError as exc:
        raise ReconcileError(f"{path}: \"scope\": {exc}") from None


def compare_with_saved(saved: SavedPlan, fresh: Plan, seal: bytes) -> list[str]:
    """Lines naming what differs between a saved plan and a fresh one; empty when they agree. Sensitive
    changes are compared by their seals (the fresh plan's sealed with the same credentials' key)."""

    def key(change: dict[str, Any]) -> str:
        return json.dumps(compared(change), sort_keys=True)

    def label(change: dict[str, Any]) -> str:
        if change.get("sealed"):
            return f"{change.get('action')} {change.get('system')} {change.get('kind')} of a sensitive kind " \
                   "(person and date sealed)"
        return f"{change.get('action')} {change.get('system')} {change.get('kind')} {change.get('user')} " \
               f"{change.get('date')}"

    if saved.fingerprint == fresh_fingerprint(fresh.changes, seal):  # the same changes, in the same order
        return []
    saved_list = _reading(saved.path, lambda: saved_changes(saved.path))  # they differ (or in order only): all
    saved_keys = Counter(key(c) for c in saved_list)
    fresh_list = shared_changes(fresh.changes, seal)
    fresh_keys = Counter(key(c) for c in fresh_list)
    lines = [f"  only in the saved plan: {label(c)}" for c in saved_list
             if saved_keys[key(c)] > fresh_keys[key(c)]]
    lines += [f"  only in a fresh plan:   {label(c)}" for c in fresh_list if fresh_keys[key(c)] > saved_keys[key(c)]]
    return lines
