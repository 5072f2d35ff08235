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

The text plan on a terminal and `--format json` on stdout keep full detail for the operator.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from reconciler.plan.model import Change, Conflict, Plan, shared_text

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
    canonical = json.dumps(change.to_json(), sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return {"action": change.action, "direction": change.direction, "system": change.system, "kind": change.kind,
            "sensitive": True, "sealed": hmac.new(key, canonical.encode(), hashlib.sha256).hexdigest()}


def shared_changes(changes: Iterable[Change], key: bytes) -> list[dict[str, Any]]:
    """Changes as plan files and reports hold them: sensitive ones sealed, the others in full."""
    return [seal(change, key) if change.sensitive else change.to_json() for change in changes]


def shared_plan_json(plan: Plan, key: bytes) -> dict[str, Any]:
    """The JSON plan as a saved plan file holds it (the contract's format, redacted as above)."""
    data = plan.to_json()
    changes = shared_changes(plan.changes, key)
    shown = Shown.of(plan, redact=True)
    data["changes"] = [plan.with_cause(index, change) for index, change in enumerate(changes)]
    data["conflicts"] = [conflict.to_json() for conflict in shown.conflicts]
    data["warnings"] = list(shown.warnings)
    data["withheld"] = {"changes": shown.withheld_changes, "conflicts": shown.withheld_conflicts}
    canonical = json.dumps(changes, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    data["fingerprint"] = hashlib.sha256(canonical.encode()).hexdigest()[:16]
    return data


@dataclass(frozen=True)
class Shown:
    """What a renderer lists of a plan: all of it, or (redact) what outputs meant to be shared may show."""

    changes: tuple[Change, ...]
    conflicts: tuple[Conflict, ...]
    warnings: tuple[str, ...]
    withheld_changes: int = 0
    withheld_conflicts: int = 0
    causes: tuple[str, ...] = ()  # --base-spec: "spec" or "routine", one per shown change

    @classmethod
    def of(cls, plan: Plan, *, redact: bool) -> Shown:
        causes = plan.causes or ("",) * len(plan.changes)
        if not redact:
            return cls(plan.changes, plan.conflicts, plan.warnings, causes=plan.causes)
        kept = [(change, cause) for change, cause in zip(plan.changes, causes, strict=True) if not change.sensitive]
        conflicts = tuple(conflict for conflict in plan.conflicts if not conflict.sensitive)
        return cls(tuple(change for change, _ in kept), conflicts,
                   tuple(shared_text(warning) for warning in plan.warnings),
                   len(plan.changes) - len(kept), len(plan.conflicts) - len(conflicts),
                   tuple(cause for _, cause in kept) if plan.causes else ())

    def by_person(self, cause: str = "") -> dict[str, list[Change]]:
        """The shown changes (of one cause, with --base-spec) grouped by person."""
        grouped: dict[str, list[Change]] = {}
        for index, change in enumerate(self.changes):
            if not cause or self.causes[index] == cause:
                grouped.setdefault(change.person, []).append(change)
        return grouped

    def sections(self) -> list[tuple[str, dict[str, list[Change]]]]:
        """("", everyone) — or, with --base-spec, ("spec", …) and ("routine", …)."""
        if not self.causes:
            return [("", self.by_person())]
        return [(cause, self.by_person(cause)) for cause in CAUSES]

    def withheld(self) -> str:
        """The line that says what is not listed, or "" when nothing is withheld."""
        parts = [f"{count} {noun}{'' if count == 1 else 's'}" for count, noun in
                 ((self.withheld_changes, "change"), (self.withheld_conflicts, "conflict")) if count]
        if not parts:
            return ""
        return (f"{' and '.join(parts)} concern absences of a sensitive kind (privacy.sensitive_kinds): counted in "
                "the totals, not listed by person, as health data stays in MOCO and Personio. `reconcile plan` on a "
                "terminal, or `--format json`, shows them to whoever holds the credentials.")
