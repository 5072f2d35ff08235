"""Small builders for planner tests: a company in a few lines, read and written through fake
clients by the real snapshot and apply code."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta
from types import SimpleNamespace
from typing import Any

from reconciler.apply import ApplyReport, Pace, apply_changes
from reconciler.errors import ApiError, NotFound
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
    MocoUnit,
    MocoUser,
    Person,
    PersonioEmployment,
    Presence,
)
from reconciler.spec import Spec, parse_spec
from reconciler.sync import registry
from reconciler.sync.build import build_plan, matching_of
from reconciler.sync.direction import Direction
from reconciler.sync.ownership import absence_comment

TODAY = date(2026, 11, 25)  # a Wednesday
_ids = itertools.count(1000)
UNITS = (MocoUnit(1, "Team 1"), MocoUnit(2, "Development"))
# Every attribute of a Personio employment read (a sparse answer names fewer).
EMPLOYMENT_FIELDS = frozenset({"start_date", "termination_date", "weekly_working_hours", "department"})

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
    units: list[MocoUnit] = field(default_factory=lambda: list(UNITS))  # MOCO's teams
    person_employments: list[PersonioEmployment] = field(default_factory=list)  # Personio's, the most recent first
    departments: dict[str, str] = field(default_factory=dict)  # Personio's: org unit id -> name

    def person(self, email: str, *, moco_email: str | None = None, pattern: tuple[list[float], list[float]] | None
               = None, active: bool = True, moco_active: bool = True, in_moco: bool = True,
               in_personio: bool = True, last_name: str = "") -> tuple[MocoUser | None, Person | None]:
        user = person = None
        if in_moco:
            user = MocoUser(id=next(_ids), email=(moco_email or email).lower(), first_name=email.split("@")[0],
                            last_name="", active=moco_active)
            self.users.append(user)
            am, pm = pattern or ([4.0] * 5, [4.0] * 5)
            self.employments.append(Employment(id=next(_ids), user_id=user.id, start=None, end=None, am=tuple(am),
                                               pm=tuple(pm)))
        if in_personio:
            person = Person(id=str(next(_ids)), email=email, first_name=email.split("@")[0], last_name=last_name,
                            active=active)
            self.persons.append(person)
        return user, person

    def employment(self, person: Person, start: str | date | None, end: str | date | None = None,
                   hours: float | None = 40.0, department: str | None = None) -> PersonioEmployment:
        """A Personio employment of `person` (its start is the hire date, its end the last day employed), listed
        after the ones made before (Personio lists the most recent first: make the current one first)."""
        employment = PersonioEmployment(id=f"e{next(_ids)}", person_id=person.id, start=_day(start), end=_day(end),
                                        weekly_hours=hours, department_id=department, fields=EMPLOYMENT_FIELDS)
        self.person_employments.append(employment)
        return employment

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


def _day(day: str | date | None) -> date | None:
    return d(day) if isinstance(day, str) else day


@dataclass
class _FakeMoco:
    company: Company

    async def users(self) -> list[MocoUser]:
        return list(self.company.users)

    async def employments(self, users: Collection[int] | None = None) -> list[Employment]:
        return [e for e in self.company.employments if users is None or e.user_id in users]

    async def units(self) -> list[MocoUnit]:
        return list(self.company.units)

    async def user_by_email(self, email: str) -> MocoUser | None:
        """As MOCO's client: compared lower-cased, archived users included; two users with the email raise."""
        wanted = email.strip().lower()
        found = [u for u in self.company.users if u.email.strip().lower() == wanted]
        if len(found) > 1:
            raise ApiError("MOCO", f"GET /users lists {len(found)} users with the email {wanted}")
        return found[0] if found else None

    async def create_user(self, firstname: str, lastname: str, email: str, unit_id: int, *, tags: Sequence[str],
                          welcome_email: bool, active: bool = True) -> MocoUser:
        """A new user, whatever users there are (a second one with an email MOCO would take too: a duplicate shows).
        A team MOCO does not have is refused."""
        unit = next((u for u in self.company.units if u.id == unit_id), None)
        if unit is None:
            raise ApiError("MOCO", f"POST /users: no team {unit_id}")
        user = MocoUser(id=next(_ids), email=email.strip().lower(), first_name=firstname, last_name=lastname,
                        active=active, tags=tuple(tags), unit_id=unit.id, unit_name=unit.name)
        self.company.users.append(user)
        return user

    async def archive_user(self, user_id: int) -> MocoUser | None:
        index = self._index(self.company.users, user_id, f"/users/{user_id}")
        self.company.users[index] = replace(self.company.users[index], active=False)
        return self.company.users[index]

    async def create_employment(self, user_id: int, start: date, am: Sequence[float], pm: Sequence[float]
                                ) -> Employment:
        self._index(self.company.users, user_id, "/users/employments (its user)")
        if len(am) != 5 or len(pm) != 5 or any(hours < 0 for hours in (*am, *pm)):
            raise ApiError("MOCO", f"POST /users/employments: a pattern MOCO refuses: {am}, {pm}")
        employment = Employment(id=next(_ids), user_id=user_id, start=start, end=None, am=tuple(am), pm=tuple(pm))
        self.company.employments.append(employment)
        return employment

    async def end_employment(self, employment_id: int, last_day: date) -> Employment | None:
        index = self._index(self.company.employments, employment_id, f"/users/employments/{employment_id}")
        employment = self.company.employments[index]
        if employment.start is not None and last_day < employment.start:
            raise ApiError("MOCO", f"PUT /users/employments/{employment_id}: ends {last_day}, before its start "
                                   f"{employment.start}")
        self.company.employments[index] = replace(employment, end=last_day)
        return self.company.employments[index]

    @staticmethod
    def _index(records: list[Any], ident: int, path: str) -> int:
        index = next((i for i, r in enumerate(records) if r.id == ident), None)
        if index is None:
            raise NotFound("MOCO", f"{path}: not found", status=404)
        return index

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

    async def employments(self, person_ids: Collection[str]) -> list[PersonioEmployment]:
        return [e for e in self.company.person_employments if e.person_id in person_ids]

    async def departments(self) -> dict[str, str]:
        return dict(self.company.departments)

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
