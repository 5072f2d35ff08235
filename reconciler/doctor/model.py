"""What `reconcile doctor` reports, as data: a named check with its status and one line of detail, and the
report of a whole run. Pure.

The names are stable identifiers: scripts name them, and so do the `doctor: <name>` tags beside the
assumptions the code marks as unverified. CHECKS lists every one, in the order a report shows them.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Literal

Status = Literal["pass", "warn", "fail", "skip"]
STATUSES: tuple[Status, ...] = ("pass", "warn", "fail", "skip")

# Every check, in report order, with what it looks at (docs/doctor.md says what each reads and how it judges).
CHECKS: tuple[tuple[str, str], ...] = (
    ("moco-credentials", "MOCO takes the API key and may list users"),
    ("personio-credentials", "Personio issues a token for the client id and secret"),
    ("personio-scopes", "the Personio credential has the scopes each command needs"),
    ("personio-person-emails", "Personio persons carry an email to be matched by"),
    ("personio-person-statuses", "the statuses of Personio persons, and what reconcile makes of each"),
    ("personio-filters", "Personio's list filters behave as reconcile's reads assume"),
    ("personio-pagination", "Personio's cursor pages link to the next one"),
    ("absence-types", "every key of absences.types names a Personio absence type; which are in hours"),
    ("absence-periods", "absence periods carry approval.status, and how day-based ones end"),
    ("attendance-periods", "attendance periods: their fields, approval, and duration-only ones"),
    ("personio-holidays", "Personio's holidays per person: available, and their entries' fields"),
    ("personio-employments", "Personio employments: available, and the attributes hires and leavers need"),
    ("personio-departments", "every department of people.unit.by_department is one Personio lists"),
    ("personio-leavers", "Personio's inactive persons carry the termination date leavers are archived after"),
    ("personio-webhooks", "Personio webhook configs and their events, for incremental runs"),
    ("personio-rate-limit", "what Personio says about its rate limit"),
    ("personio-writes", "what only a write to Personio would show"),
    ("moco-users", "MOCO users: emails, and the ids and email filters"),
    ("moco-pagination", "MOCO's page headers"),
    ("moco-schedules", "MOCO absences carry assignment.code; one assignment per absence kind"),
    ("moco-employments", "MOCO employments: ended ones with and without `to`"),
    ("moco-units", "MOCO teams: readable, and every team the people section names"),
    ("moco-presences", "MOCO presences: what a sample holds, and the from/to filters"),
    ("moco-webhooks", "MOCO web hooks, for reconcile serve"),
    ("moco-rate-limit", "what MOCO says about its rate limit"),
    ("moco-writes", "what only a write to MOCO would show"),
    ("webhook-deliveries", "what only a delivered webhook would show"),
    ("clock", "the services' clocks against this machine's"),
)
NAMES: tuple[str, ...] = tuple(name for name, _ in CHECKS)


@dataclass(frozen=True)
class Check:
    """One check's outcome: `detail` says in one line what was seen and what reconcile does about it, with
    counts, field names and ids of configuration only: never a person, nor a date of one."""

    name: str
    status: Status
    detail: str

    def __post_init__(self) -> None:
        if self.name not in NAMES:
            raise ValueError(f"no doctor check is named {self.name!r}")
        if self.status not in STATUSES:
            raise ValueError(f"a check's status is one of {', '.join(STATUSES)}, not {self.status!r}")


def passed(name: str, detail: str) -> Check:
    return Check(name, "pass", detail)


def warned(name: str, detail: str) -> Check:
    return Check(name, "warn", detail)


def failed(name: str, detail: str) -> Check:
    return Check(name, "fail", detail)


def skipped(name: str, detail: str) -> Check:
    return Check(name, "skip", detail)


def worst(name: str, verdicts: Iterable[tuple[Status, str]], *, joiner: str = "; ") -> Check:
    """One check from several findings: the worst status among them (fail, warn, pass; skip only when all
    are), the details joined in the order given."""
    found = list(verdicts)
    statuses = {status for status, _ in found}
    status: Status = next((s for s in ("fail", "warn", "pass") if s in statuses), "skip")
    return Check(name, status, joiner.join(text for _, text in found if text))


@dataclass(frozen=True)
class Report:
    checks: tuple[Check, ...]

    @classmethod
    def of(cls, found: Mapping[str, Check]) -> Report:
        """Every check in report order; one that `found` lacks is skipped (it never ran)."""
        return cls(tuple(found.get(name) or skipped(name, "not run") for name in NAMES))

    @property
    def summary(self) -> dict[str, int]:
        counts = Counter(check.status for check in self.checks)
        return {status: counts.get(status, 0) for status in STATUSES}

    @property
    def failed(self) -> bool:
        return any(check.status == "fail" for check in self.checks)


def counted(counts: Mapping[str, int] | Counter[str], *, empty: str = "none") -> str:
    """`ACTIVE 480, INACTIVE 20`: each value with its count, the most frequent first (then by name)."""
    items = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    return ", ".join(f"{value} {count}" for value, count in items) or empty


def plural(count: int, noun: str, many: str | None = None) -> str:
    """`1 person`, `3 persons` (`many` for an irregular plural)."""
    return f"{count} {noun if count == 1 else many or noun + 's'}"
