"""The company under construction: both systems' state, its seeded random source, and the builder's
primitives that add one record at a time (users, persons, absences, schedules, presences, attendances).

Every id and UUID comes from one seeded random source, so the order of the calls decides the data.
"""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from reconciler.sandbox.moco.records import MocoEmployment, MocoPresence, MocoSchedule, MocoState, MocoUser
from reconciler.sandbox.personio.records import (
    PersonioAbsencePeriod,
    PersonioAttendancePeriod,
    PersonioPerson,
    PersonioState,
)
from reconciler.sandbox.seed.holidays import german_public_holidays
from reconciler.sandbox.seed.params import SeedParams

FULL_TIME = ([4.0] * 5, [4.0] * 5)


@dataclass
class Employee:
    """One person in both systems, and the days the seeded absences keep them away."""

    first: str
    last: str
    personio_email: str
    moco_email: str
    pattern: tuple[list[float], list[float]] = FULL_TIME
    moco_user: MocoUser | None = None
    person: PersonioPerson | None = None
    absent: dict[date, tuple[bool, bool]] = field(default_factory=dict)  # day -> (am, pm) away


class Company:
    """The company being built: its random source, both systems' state, and the primitives that add
    one record each. The seeding steps (people.py, absences.py, attendances.py) call these in a fixed order."""

    def __init__(self, params: SeedParams) -> None:
        self.p = params
        # When the people and their work patterns were entered: long before any run reads what changed since
        # (MOCO's `updated_after`, Personio's `updated_at.gt` are asked of them), and the same for every world
        # built from these params on one day (midnight, 90 days before the earlier of `today` and the real one).
        first = min(params.today, datetime.now(UTC).date()) - timedelta(days=90)
        self.entered = f"{first.isoformat()}T00:00:00Z"
        self.rng = random.Random(params.seed)
        self.moco = MocoState()
        self.personio = PersonioState()
        self.start = params.start_date
        self.end = params.today + timedelta(days=params.until_days)
        self.holidays: dict[date, str] = {}
        for year in range(self.start.year - 1, self.end.year + 2):
            self.holidays.update(german_public_holidays(year))
        self.type_ids: dict[str, str] = {}

    # ------------------------------------------------------------------ ids and helpers

    def uuid(self) -> str:
        return str(uuid.UUID(int=self.rng.getrandbits(128), version=4))

    def moco_id(self) -> int:
        return self.rng.randrange(900_000_000, 999_999_999)

    def person_id(self) -> str:
        return str(self.rng.randrange(1_000_000, 9_999_999))

    def weekday_on_or_after(self, day: date) -> date:
        while day.weekday() >= 5:
            day += timedelta(days=1)
        return day

    def free_weekday(self, employee: Employee, day: date) -> date:
        """The first weekday on or after `day` that is no public holiday and on which `employee` is not away."""
        day = self.weekday_on_or_after(day)
        while day in self.holidays or day in employee.absent:
            day = self.weekday_on_or_after(day + timedelta(days=1))
        return day

    # ------------------------------------------------------------------ users and persons

    def add_moco_user(self, first: str, last: str, email: str, *, active: bool = True, extern: bool = False,
                      pattern: tuple[list[float], list[float]] = FULL_TIME, pattern_from: str | None = "2020-01-01"
                      ) -> MocoUser:
        user = MocoUser(id=self.moco_id(), firstname=first, lastname=last, email=email.lower(), active=active,
                        extern=extern, created_at=self.entered, updated_at=self.entered)
        self.moco.users[user.id] = user
        employment = MocoEmployment(id=self.moco_id(), user_id=user.id, am=list(pattern[0]), pm=list(pattern[1]),
                                    from_date=pattern_from, created_at=self.entered, updated_at=self.entered)
        self.moco.employments[employment.id] = employment
        return user

    def add_person(self, first: str, last: str, email: str | None, status: str = "ACTIVE") -> PersonioPerson:
        person = PersonioPerson(id=self.person_id(), email=email, first_name=first, last_name=last, status=status,
                                employment_id=self.uuid(), created_at=self.entered, updated_at=self.entered)
        self.personio.persons[person.id] = person
        return person

    # ------------------------------------------------------------------ absences

    def absence(self, employee: Employee, type_name: str, first: date, last: date | None, *,
                half_start: bool = False, half_end: bool = False, status: str = "APPROVED",
                comment: str = "") -> None:
        """An absence period from `first` to `last` (inclusive; None = open-ended)."""
        assert employee.person is not None
        if last is None:
            ends_at, ends_type = None, None
        elif half_end:
            ends_at, ends_type = f"{last.isoformat()}T12:00:00", "FIRST_HALF"
        else:  # day absences end at the exclusive midnight after the last day
            ends_at, ends_type = f"{(last + timedelta(days=1)).isoformat()}T00:00:00", "SECOND_HALF"
        period = PersonioAbsencePeriod(
            id=self.uuid(), person_id=employee.person.id, absence_type_id=self.type_ids[type_name],
            starts_from=f"{first.isoformat()}T00:00:00", starts_type="SECOND_HALF" if half_start else "FIRST_HALF",
            ends_at=ends_at, ends_type=ends_type, status=status, comment=comment,
        )
        self.personio.absence_periods[period.id] = period
        if status == "APPROVED":
            stop = last if last is not None else self.end
            day = first
            while day <= stop:
                am = not (half_start and day == first)
                pm = not (half_end and day == last)
                old = employee.absent.get(day, (False, False))
                employee.absent[day] = (old[0] or am, old[1] or pm)
                day += timedelta(days=1)

    # ------------------------------------------------------------------ MOCO schedules, presences; attendances

    def schedule(self, user: MocoUser, day: date, code: int, comment: str = "", am: bool = True,
                 pm: bool = True, symbol: int | None = None) -> MocoSchedule:
        record = MocoSchedule(id=self.moco_id(), user_id=user.id, date=day.isoformat(), absence_code=code,
                              comment=comment, am=am, pm=pm, symbol=symbol)
        self.moco.schedules[record.id] = record
        return record

    def presence(self, user: MocoUser, day: date, start: int, end: int | None, home: bool) -> None:
        def hhmm(minutes: int) -> str:
            return f"{minutes // 60:02d}:{minutes % 60:02d}"

        record = MocoPresence(id=self.moco_id(), user_id=user.id, date=day.isoformat(), from_time=hhmm(start),
                              to_time=None if end is None else hhmm(end), is_home_office=home)
        self.moco.presences[record.id] = record

    def attendance(self, person: PersonioPerson, start: str, end: str, comment: str) -> None:
        record = PersonioAttendancePeriod(id=self.uuid(), person_id=person.id, type="WORK", start=start, end=end,
                                          comment=comment)
        self.personio.attendance_periods[record.id] = record
