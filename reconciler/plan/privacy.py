"""Health data stays in MOCO and Personio: what outputs meant to be shared may show of a plan.

Who was sick when is special-category personal data (GDPR Art. 9). The planners mark every change
and conflict that writes, removes or leaves alone a record of a kind in `privacy.sensitive_kinds`
(`sensitive`), and word warnings that name people beside an absence type that may be health data
as `Withheld` (plan/model.py). Outputs meant to be shared — the Markdown plan, log lines, the saved
plan file and the apply report — then:

- list no sensitive change or conflict by person or date; they count in the totals, and one line
  says how many were withheld;
- show each warning in its shared form (people counted, not named);
- in files (plan, report), keep each sensitive change as a *seal*: its direction, system, kind and
  action, and an HMAC-SHA256 of everything it holds, keyed with a key derived from the run's
  credentials. `apply PLANFILE` seals a fresh plan's changes with the same key and compares, so it
  still sees every difference; a reader of the file without the credentials cannot tell whose
  change it is, nor test guesses (a person and a date) against it.

Where a withheld entry stands tells nothing either: plans are ordered by person and date, so a seal
left in its place would sit between its person's named changes (and their dates give the day). Files
list every change that is not sensitive first, in the plan's order, then all seals together, ordered
by the seal itself (`shared_order`); warnings list the named ones first, then the shared texts of the
`Withheld` ones, sorted (`shared_warnings`); failed changes are logged likewise (apply.py `shared_order`).

Free text of records reconcile did not write (a hand-made comment: "Arzttermin (manuell)") stays in
the two systems too: the planners never put it in a reason, and mark it `HandMade` where a change
shows such a record (`before`, `removes[].before`); files hold it as an HMAC (`seal_text`).

The text plan on a terminal and `--format json` on stdout keep full detail for the operator.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from reconciler.plan.model import Change, Conflict, HandMade, Plan, Withheld, shared_text
from reconciler.plan.packed import Where

SEAL_CONTEXT = b"reconcile: sealed plan changes, v1"
CAUSES = ("spec", "routine")  # --base-spec: caused by the spec change, or made with either spec


def seal_key(secrets: Iterable[str]) -> bytes:
    """The sealing key of a run: derived from its credentials, which every run that writes or reads a
    plan file has, and which a reader of the file does not."""
    digest = hashlib.sha256(SEAL_CONTEXT)
    for secret in secrets:
        digest.update(b"\0" + secret.encode())
    return digest.digest()


def seal(change: Change, key: bytes) -> dict[str, Any]:
    """A sensitive change as files meant to be shared keep it: no person, date, id or content."""
    return {"action": change.action, "direction": change.direction, "system": change.system, "kind": change.kind,
            "sensitive": True, "sealed": _hmac(key, change.to_json())}


def seal_text(text: str, record: Any, key: bytes) -> str:
    """A hand-made comment (`HandMade`) as files meant to be shared keep it: an HMAC-SHA256 of the record's
    id and the text, keyed as seals are. Not a fixed placeholder: `apply PLANFILE` compares a fresh plan's
    form with the saved one, and a comment edited by hand since the plan was made (on a record the change
    replaces or removes) must make it refuse, as any other edit does. Not the text's HMAC alone: two
    records with the same words would show so. Without the credentials, it reveals nothing, nor lets a
    guess of the words be tested."""
    return f"(hand-made comment, sealed {_hmac(key, [record, str(text)])[:32]})"


def shared_json(change: Change, key: bytes) -> dict[str, Any]:
    """A change as plan files and reports hold it: a sensitive one sealed; any other in full, but for the
    hand-made comments of the records it replaces or removes, each sealed (`seal_text`)."""
    if change.sensitive:
        return seal(change, key)
    out = change.to_json()
    if isinstance(change.before, dict):
        out["before"] = _free_text_sealed(change.before, change.target, key)
    if change.removes:
        out["removes"] = [{"id": removal.id, "before": _free_text_sealed(removal.before, removal.id, key)}
                          for removal in change.removes]
    return out


def shared_order(changes: Iterable[Change], key: bytes) -> Iterator[tuple[int, dict[str, Any]]]:
    """Each change's index in the plan and its shared form, in the order files list them: the changes that
    are not sensitive in the plan's order, then every seal, ordered by the seal. A seal's place then says
    nothing of its person or day (in the plan's order it would sit among its person's named changes). Made
    one at a time (a first sync plans a million): only the seals, a few per cent, are held to be sorted."""
    sealed: list[tuple[int, dict[str, Any]]] = []
    for index, change in enumerate(changes):
        data = shared_json(change, key)
        if data.get("sealed"):
            sealed.append((index, data))
        else:
            yield index, data
    yield from sorted(sealed, key=lambda pair: (pair[1]["sealed"], _canonical(pair[1])))


def shared_changes(changes: Iterable[Change], key: bytes) -> list[dict[str, Any]]:
    """Changes as plan files and reports hold them (`shared_json`), in `shared_order`."""
    return [data for _, data in shared_order(changes, key)]


def shared_warnings(warnings: Iterable[str]) -> tuple[str, ...]:
    """Warnings as outputs meant to be shared show them: those that name people as they are, in their order,
    then the shared texts of the `Withheld` ones, sorted, so that none stands beside its person's named ones."""
    warnings = tuple(warnings)
    named = tuple(warning for warning in warnings if not isinstance(warning, Withheld))
    return named + tuple(sorted(shared_text(warning) for warning in warnings if isinstance(warning, Withheld)))


def _free_text_sealed(values: dict[str, Any], record: Any, key: bytes) -> dict[str, Any]:
    return {name: seal_text(value, record, key) if isinstance(value, HandMade) else value
            for name, value in values.items()}


def _canonical(data: Any) -> str:
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def _not_sensitive(change: Change) -> bool:
    return not change.sensitive


def _hmac(key: bytes, data: Any) -> str:
    return hmac.new(key, _canonical(data).encode(), hashlib.sha256).hexdigest()


def shared_plan_json(plan: Plan, key: bytes) -> dict[str, Any]:
    """The JSON plan as a saved plan file holds it (the contract's format, redacted as above); `cause` goes
    with each change wherever `shared_order` puts it."""
    data = plan.to_json()
    ordered = list(shared_order(plan.changes, key))
    changes = [change for _, change in ordered]
    shown = Shown.of(plan, redact=True)
    data["changes"] = [plan.with_cause(index, change) for index, change in ordered]
    data["conflicts"] = [conflict.to_json() for conflict in shown.conflicts]
    data["warnings"] = list(shown.warnings)
    data["withheld"] = {"changes": shown.withheld_changes, "conflicts": shown.withheld_conflicts}
    canonical = json.dumps(changes, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    data["fingerprint"] = hashlib.sha256(canonical.encode()).hexdigest()[:16]
    return data


@dataclass(frozen=True)
class Shown:
    """What a renderer lists of a plan: all of it, or (redact) what outputs meant to be shared may show."""

    changes: Sequence[Change]  # a first sync's: read as they are listed (plan/packed.py)
    conflicts: tuple[Conflict, ...]
    warnings: tuple[str, ...]
    withheld_changes: int = 0
    withheld_conflicts: int = 0
    causes: tuple[str, ...] = ()  # --base-spec: "spec" or "routine", one per shown change

    @classmethod
    def of(cls, plan: Plan, *, redact: bool) -> Shown:
        if not redact:
            return cls(plan.changes, plan.conflicts, plan.warnings, causes=plan.causes)
        conflicts = tuple(conflict for conflict in plan.conflicts if not conflict.sensitive)
        withheld = plan.sensitive
        kept: Sequence[Change] = Where(plan.changes, _not_sensitive, len(plan.changes) - withheld) \
            if withheld else plan.changes
        causes = tuple(cause for change, cause in zip(plan.changes, plan.causes, strict=True)
                       if not change.sensitive) if plan.causes else ()
        return cls(kept, conflicts, shared_warnings(plan.warnings), withheld, len(plan.conflicts) - len(conflicts),
                   causes)

    def people(self, cause: str = "") -> Iterator[tuple[str, list[Change]]]:
        """The shown changes (of one cause, with --base-spec) grouped by person, a person at a time, as the
        plan's order has them (by person): a first sync's are not all unpacked at once."""
        person, theirs = "", list[Change]()
        for index, change in enumerate(self.changes):
            if cause and self.causes[index] != cause:
                continue
            if change.person != person and theirs:
                yield person, theirs
                theirs = []
            person = change.person
            theirs.append(change)
        if theirs:
            yield person, theirs

    def sections(self) -> list[tuple[str, Iterable[tuple[str, list[Change]]]]]:
        """("", everyone, a person at a time) — or, with --base-spec, ("spec", …) and ("routine", …), listed."""
        if not self.causes:
            return [("", self.people())]
        return [(cause, list(self.people(cause))) for cause in CAUSES]

    def withheld(self) -> str:
        """The line that says what is not listed, or "" when nothing is withheld."""
        parts = [f"{count} {noun}{'' if count == 1 else 's'}" for count, noun in
                 ((self.withheld_changes, "change"), (self.withheld_conflicts, "conflict")) if count]
        if not parts:
            return ""
        return (f"{' and '.join(parts)} concern absences of a sensitive kind (privacy.sensitive_kinds): counted in "
                "the totals, not listed by person, as health data stays in MOCO and Personio. `reconcile plan` on a "
                "terminal, or `--format json`, shows them to whoever holds the credentials.")
