"""Small builders for planner tests: a company in a few lines, and a fake apply for idempotency."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time
from typing import Any

from reconciler.sync.ownership import absence_comment
from reconciler.records import (
    AbsenceKind,
    AbsencePeriod,
    AbsenceType,
    AttendancePeriod,
    Employment,
    MocoAbsence,
    MocoUser,
    Person,
    Presence,
)
from reconciler.plan import Plan
from reconciler.plan.build import build_plan
from reconciler.plan.snapshot import Snapshot
from reconciler.spec import Spec, parse_spec

TODAY = date(2026, 11, 25)  # a Wednesday
_ids = itertools.count(1000)

TYPES = (
    AbsenceType("t-vac", "Paid vacation"),
    AbsenceType("t-sick", "Sick leave"),
    AbsenceType("t-ot", "Overtime compensation"),
    AbsenceType("t-train", "Training"),
    AbsenceType("t-parental", "Parental leave"),
)


def make_spec(extra: str = "", *, start: str = "2026-10-01", until_days: int = 90, types: str | None = None,
              unmapped: str = "skip", direction: str = "moco_to_personio") -> Spec:
    types = types or ("    Paid vacation: holiday\n    Sick leave: sick_day\n    Overtime compensation: unplannable\n"
                      "    Training: absence\n")
    return parse_spec(f"""\
version: 1
start_date: {start}
moco: {{subdomain: acme}}
absences:
  until_days: {until_days}
  unmapped: {unmapped}
  types:
{types}attendances: {{direction: {direction}}}
{extra}""", today=TODAY)


def d(text: str) -> date:
    return date.fromisoformat(text)


@dataclass
class Company:
    """Mutable test company; `.snapshot()` freezes it for the planner."""

    users: list[MocoUser] = field(default_factory=list)
    persons: list[Person] = field(default_factory=list)
    employments: list[Employment] = field(default_factory=list)
    absences: list[MocoAbsence] = field(default_factory=list)
    periods: list[AbsencePeriod] = field(default_factory=list)
    presences: list[Presence] = field(default_factory=list)
    attendances: list[AttendancePeriod] = field(default_factory=list)
    types: tuple[AbsenceType, ...] = TYPES
    today: date = TODAY

    def person(self, email: str, *, moco_email: str | None = None, pattern: tuple[list[float], list[float]] | None
               = None, active: bool = True, moco_active: bool = True, in_moco: bool = True,
               in_personio: bool = True) -> tuple[MocoUser | None, Person | None]:
        user = person = None
        if in_moco:
            user = MocoUser(id=next(_ids), email=(moco_email or email).lower(), first_name=email.split("@")[0],
                            last_name="", active=moco_active)
            self.users.append(user)
            am, pm = pattern or ([4.0] * 5, [4.0] * 5)
            self.employments.append(Employment(id=next(_ids), user_id=user.id, start=None, end=None, am=tuple(am),
                                               pm=tuple(pm)))
        if in_personio:
            person = Person(id=str(next(_ids)), email=email, first_name=email.split("@")[0], last_name="",
                            active=active)
            self.persons.append(person)
        return user, person

    def period(self, person: Person, type_id: str, first: str, last: str | None, *, pm_only_first: bool = False,
               am_only_last: bool = False, status: str = "APPROVED", period_id: str | None = None) -> AbsencePeriod:
        period = AbsencePeriod(id=period_id or f"p{next(_ids)}", person_id=person.id, type_id=type_id,
                               first_day=d(first), last_day=d(last) if last else None,
                               first_day_pm_only=pm_only_first, last_day_am_only=am_only_last, status=status)
        self.periods.append(period)
        return period

    def absence(self, user: MocoUser, day: str, kind: AbsenceKind, *, am: bool = True, pm: bool = True,
                comment: str = "", period: AbsencePeriod | None = None) -> MocoAbsence:
        absence = MocoAbsence(id=next(_ids), user_id=user.id, day=d(day), kind=kind, am=am, pm=pm,
                              comment=absence_comment(period.id) if period else comment)
        self.absences.append(absence)
        return absence

    def presence(self, user: MocoUser, day: str, start: str, end: str | None) -> Presence:
        presence = Presence(id=next(_ids), user_id=user.id, day=d(day), start=time.fromisoformat(start),
                            end=time.fromisoformat(end) if end else None, updated_at="2026-11-01T10:00:00Z")
        self.presences.append(presence)
        return presence

    def attendance(self, person: Person, start: str, end: str | None, comment: str = "",
                   status: str = "CONFIRMED", kind: str = "WORK") -> AttendancePeriod:
        period = AttendancePeriod(id=f"a{next(_ids)}", person_id=person.id, kind=kind,
                                  start=datetime.fromisoformat(start),
                                  end=datetime.fromisoformat(end) if end else None, comment=comment, status=status)
        self.attendances.append(period)
        return period

    def snapshot(self) -> Snapshot:
        return Snapshot(
            today=self.today, moco_users=tuple(self.users), employments=tuple(self.employments),
            moco_absences=tuple(self.absences), presences=tuple(self.presences), persons=tuple(self.persons),
            absence_types=self.types, absence_periods=tuple(self.periods),
            attendance_periods=tuple(self.attendances),
        )

    def plan(self, spec: Spec | None = None, scope: tuple[str, ...] = ("absences", "attendances")) -> Plan:
        return build_plan(spec or make_spec(), self.snapshot(), scope)

    def apply(self, plan: Plan) -> None:
        """Do to this company what `reconcile apply` would do to MOCO and Personio."""
        for change in plan.changes:
            if change.system == "moco" and change.kind == "absence":
                self._apply_absence(change)
            elif change.system == "personio" and change.kind == "attendance":
                self._apply_attendance(change)

    def _apply_absence(self, change: Any) -> None:
        gone = {change.target, *change.also_delete} if change.action in ("update", "delete") else set()
        gone.discard(None)
        kept = [a for a in self.absences if a.id not in gone]
        if change.action == "update":
            old = next(a for a in self.absences if a.id == change.target)
            kept.append(replace(old, kind=AbsenceKind(change.after["absence_kind"]), am=change.after["am"],
                                pm=change.after["pm"], comment=change.after["comment"]))
        if change.action == "create":
            kept.append(MocoAbsence(id=next(_ids), user_id=change.write["user_id"], day=change.date,
                                    kind=AbsenceKind(change.after["absence_kind"]), am=change.after["am"],
                                    pm=change.after["pm"], comment=change.after["comment"]))
        self.absences = kept

    def _apply_attendance(self, change: Any) -> None:
        gone = {change.target, *change.also_delete} if change.action in ("update", "delete") else set()
        self.attendances = [a for a in self.attendances if a.id not in gone]
        if change.action in ("create", "update"):
            self.attendances.append(AttendancePeriod(
                id=change.target or f"a{next(_ids)}", person_id=change.write["person_id"], kind="WORK",
                start=datetime.fromisoformat(change.write["start"]), end=datetime.fromisoformat(change.write["end"]),
                comment=change.after["comment"], status="CONFIRMED"))
