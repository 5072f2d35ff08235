"""Small builders for planner tests: a company in a few lines, read and written through fake
clients by the real snapshot and apply code."""

from __future__ import annotations

import asyncio
import itertools
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta
from types import SimpleNamespace
from typing import Any

from reconciler.apply import ApplyReport, Pace, apply_changes
from reconciler.plan import Plan
from reconciler.plan.snapshot import Snapshot
from reconciler.read.fetch import fetch_snapshot, needs
from reconciler.records import (
    AbsenceKind,
    AbsencePeriod,
    AbsenceType,
    AttendancePeriod,
    Employment,
    Holiday,
    MocoAbsence,
    MocoUser,
    Person,
    Presence,
)
from reconciler.spec import Spec, parse_spec
from reconciler.sync import registry
from reconciler.sync.build import build_plan, matching_of
from reconciler.sync.direction import Direction
from reconciler.sync.ownership import absence_comment

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
              unmapped: str = "skip", direction: str = "moco_to_personio", record_as: str = "times") -> Spec:
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
{types}attendances: {{direction: {direction}, record_as: {record_as}}}
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
    holidays: list[Holiday] = field(default_factory=list)
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

    def duration_attendance(self, person: Person, day: str, length: str, comment: str = "",
                            status: str = "CONFIRMED") -> AttendancePeriod:
        """A duration-only period: `length` "H:MM" on `day`, no times (its start is midnight of the day)."""
        hours, minutes = length.split(":")
        period = AttendancePeriod(id=f"a{next(_ids)}", person_id=person.id, kind="WORK",
                                  start=datetime.fromisoformat(f"{day}T00:00:00"), end=None, comment=comment,
                                  status=status, duration=timedelta(hours=int(hours), minutes=int(minutes)))
        self.attendances.append(period)
        return period

    def holiday(self, person: Person, day: str, name: str = "Feiertag", *, half_day: bool = False,
                kind: str = "public", holiday_id: str | None = None) -> Holiday:
        """A day of `person`'s Personio holiday calendars."""
        holiday = Holiday(id=holiday_id or f"h{next(_ids)}", person_id=person.id, day=d(day), name=name,
                          half_day=half_day, kind=kind)
        self.holidays.append(holiday)
        return holiday

    def clients(self) -> SimpleNamespace:
        """Fake MOCO and Personio clients over this company's lists, with the real clients' methods."""
        return SimpleNamespace(moco=_FakeMoco(self), personio=_FakePersonio(self),
                               server_now=lambda: datetime.combine(self.today, time(12)))

    def snapshot(self, directions: tuple[Direction, ...] | None = None, spec: Spec | None = None) -> Snapshot:
        """What a run reads from this company, through the real snapshot code."""
        chosen, spec = directions or registry.DIRECTIONS, spec or make_spec()
        return asyncio.run(fetch_snapshot(self.clients(), self.today, needs(spec, self.today, chosen),
                                          match=lambda lists: (matching_of(spec, Snapshot(self.today, lists)),)))

    def plan(self, spec: Spec | None = None, scope: tuple[str, ...] | None = None) -> Plan:
        spec = spec or make_spec()
        directions = registry.select(scope)
        return build_plan(spec, self.snapshot(directions, spec), directions,
                          partial=directions != registry.DIRECTIONS)

    def apply(self, plan: Plan) -> ApplyReport:
        """Do to this company what `reconcile apply` does to MOCO and Personio: the real apply code."""
        report = asyncio.run(apply_changes(plan.changes, self.clients(), Pace(verify_delay=0)))
        assert report.ok, [o.detail for o in report.outcomes if o.status != "applied"]
        return report


def _within(day: date, start: date, end: date) -> bool:
    return start <= day <= end


@dataclass
class _FakeMoco:
    company: Company

    async def users(self) -> list[MocoUser]:
        return list(self.company.users)

    async def employments(self) -> list[Employment]:
        return list(self.company.employments)

    async def schedules(self, start: date, end: date) -> list[MocoAbsence]:
        return [a for a in self.company.absences if _within(a.day, start, end)]

    async def presences(self, start: date, end: date) -> list[Presence]:
        return [p for p in self.company.presences if _within(p.day, start, end)]

    async def create_schedule(self, user_id: int, day: date, kind: AbsenceKind, *, am: bool, pm: bool,
                              comment: str) -> MocoAbsence:
        absence = MocoAbsence(id=next(_ids), user_id=user_id, day=day, kind=kind, am=am, pm=pm, comment=comment)
        self.company.absences.append(absence)
        return absence

    async def update_schedule(self, schedule_id: int, *, kind: AbsenceKind, am: bool, pm: bool,
                              comment: str) -> MocoAbsence:
        index = next(i for i, a in enumerate(self.company.absences) if a.id == schedule_id)
        updated = replace(self.company.absences[index], kind=kind, am=am, pm=pm, comment=comment)
        self.company.absences[index] = updated
        return updated

    async def delete_schedule(self, schedule_id: int) -> bool:
        before = len(self.company.absences)
        self.company.absences = [a for a in self.company.absences if a.id != schedule_id]
        return len(self.company.absences) < before


@dataclass
class _FakePersonio:
    company: Company

    async def persons(self) -> list[Person]:
        return list(self.company.persons)

    async def absence_types(self) -> list[AbsenceType]:
        return list(self.company.types)

    async def absence_periods(self, start: date, end: date) -> list[AbsencePeriod]:
        return [p for p in self.company.periods if p.overlaps(start, end)]

    async def attendance_periods(self, start: date, end: date) -> list[AttendancePeriod]:
        return [p for p in self.company.attendances if _within(p.start.date(), start, end)]

    async def holidays(self, person_ids: list[str], start: date, end: date, *, today: date) -> list[Holiday]:
        assert today == self.company.today
        return [h for h in self.company.holidays if h.person_id in person_ids and _within(h.day, start, end)]

    async def create_attendance(self, person_id: str, start: datetime, end: datetime, comment: str) -> str:
        period = AttendancePeriod(id=f"a{next(_ids)}", person_id=person_id, kind="WORK", start=start, end=end,
                                  comment=comment, status="CONFIRMED")
        self.company.attendances.append(period)
        return period.id

    async def update_attendance(self, period_id: str, start: datetime, end: datetime, comment: str) -> None:
        index = next(i for i, p in enumerate(self.company.attendances) if p.id == period_id)
        self.company.attendances[index] = replace(self.company.attendances[index], start=start, end=end,
                                                  comment=comment, status="CONFIRMED")

    async def create_duration_attendance(self, person_id: str, day: date, length: timedelta, comment: str) -> str:
        period = AttendancePeriod(id=f"a{next(_ids)}", person_id=person_id, kind="WORK",
                                  start=datetime.combine(day, time()), end=None, comment=comment,
                                  status="CONFIRMED", duration=length)
        self.company.attendances.append(period)
        return period.id

    async def update_duration_attendance(self, period_id: str, day: date, length: timedelta, comment: str) -> None:
        index = next(i for i, p in enumerate(self.company.attendances) if p.id == period_id)
        self.company.attendances[index] = replace(self.company.attendances[index], start=datetime.combine(day, time()),
                                                  end=None, duration=length, comment=comment, status="CONFIRMED")

    async def delete_attendance(self, period_id: str) -> bool:
        before = len(self.company.attendances)
        self.company.attendances = [p for p in self.company.attendances if p.id != period_id]
        return len(self.company.attendances) < before


@dataclass(frozen=True)
class Sent:
    """What a change sends, as any `Send` shows it: for tests of code that never looks inside (renderers,
    plan files, the guard, serve's echoes); the directions' own sends are typed (sync/*/apply.py)."""

    fields: dict[str, Any]

    def to_json(self) -> dict[str, Any]:
        return dict(self.fields)
