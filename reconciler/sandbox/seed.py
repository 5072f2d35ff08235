"""A deterministic generator of realistic companies for the stand-ins.

`generate_world(SeedParams(seed=1, people=12, today=...))` gives the same data for the same
parameters, every time. Around `today` it builds what a real company running both systems has:

- Work patterns with part-timers (Mon-Thu, mornings only, Wednesday off) and a pattern change.
- Public holidays (Germany, Berlin) entered in MOCO for every active user, as MOCO admins do.
- Approved vacations spanning weekends, half days at either end, a one-day half absence, sick
  leave (one open-ended), a vacation over a public holiday, overlapping periods, pending and
  rejected requests, an absence of a type the spec does not map, one reaching back before the
  sync start.
- Hand-made MOCO absences: some on days Personio also wants (conflicts), some "not plannable"
  ones there (which a synced absence replaces), some on other days (left alone).
- MOCO presences with a lunch break (two per day), home-office days, one still running today.
- Hand-made Personio attendance periods, one overlapping a presence.
- What an earlier reconcile run wrote and both systems have changed since: absences of the wrong
  kind, shortened, cancelled or rejected; attendance periods of presences since edited or deleted.
- A Personio email written in mixed case, a person whose email differs (a spec override), a
  person only in Personio, a freelancer only in MOCO, an archived MOCO user, a robot account.
"""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass, field
from datetime import date, timedelta

from reconciler.sync.ownership import absence_comment, attendance_comment
from .records import (
    MocoEmployment,
    MocoKey,
    MocoPresence,
    MocoSchedule,
    MocoState,
    MocoUser,
    PersonioAbsencePeriod,
    PersonioAbsenceType,
    PersonioAttendancePeriod,
    PersonioPerson,
    PersonioState,
    World,
)

DOMAIN = "acme.example"
MOCO_API_KEY = "sandbox-moco-account-key"
MOCO_USER_KEY = "sandbox-moco-user-key"  # a plain user key without staff rights (403 on /users)
PERSONIO_CLIENT_ID = "sandbox-client"
PERSONIO_CLIENT_SECRET = "sandbox-secret"

# Personio absence types of the seeded company: category, the MOCO kind the ready spec maps them to,
# and unit. "Parental leave" is left unmapped so plans show the unmapped-type warning; "Arztbesuch"
# is measured in hours, which MOCO's whole and half days cannot hold.
ABSENCE_TYPES = {
    "Paid vacation": ("paid_vacation", "holiday", "DAY"),
    "Sick leave": ("sick_leave", "sick_day", "DAY"),
    "Overtime compensation": ("other", "unplannable", "DAY"),
    "Training": ("offsite_work", "absence", "DAY"),
    "Arztbesuch": ("other", "absence", "HOUR"),
    "Parental leave": ("maternity_parental_leave", None, "DAY"),
}

FIRST_NAMES = [
    "Jane", "Max", "Erika", "Lukas", "Sophie", "Jonas", "Mia", "Leon", "Hannah", "Felix", "Lea", "Paul",
    "Emma", "Noah", "Lina", "Elias", "Clara", "Ben", "Ida", "Finn", "Maja", "Tom", "Nora", "Emil",
    "Greta", "Anton", "Frieda", "Oskar", "Marie", "Karl",
]
LAST_NAMES = [
    "Doe", "Mustermann", "Schmidt", "Weber", "Becker", "Wagner", "Hoffmann", "Koch", "Richter", "Klein",
    "Wolf", "Neumann", "Schwarz", "Zimmermann", "Braun", "Krüger", "Hartmann", "Lange", "Werner", "Krause",
    "Meier", "Lehmann", "Köhler", "Herrmann", "König", "Walter", "Mayer", "Huber", "Kaiser", "Fuchs",
]

FULL_TIME = ([4.0] * 5, [4.0] * 5)
PATTERNS = {
    "mon_thu": ([4.0, 4.0, 4.0, 4.0, 0.0], [4.0, 4.0, 4.0, 4.0, 0.0]),
    "mornings": ([5.0] * 5, [0.0] * 5),
    "wednesday_off": ([4.0, 4.0, 0.0, 4.0, 4.0], [4.0, 4.0, 0.0, 4.0, 4.0]),
}


@dataclass(frozen=True)
class SeedParams:
    seed: int = 1
    people: int = 12  # employees in both systems; a few people in only one system come on top
    today: date = field(default_factory=date.today)
    history_days: int = 42  # the ready spec's start_date lies this far back (on a Monday)
    until_days: int = 120  # the ready spec's absences.until_days; absences are seeded that far ahead

    @property
    def start_date(self) -> date:
        start = self.today - timedelta(days=self.history_days)
        return start - timedelta(days=start.weekday())


def german_public_holidays(year: int) -> dict[date, str]:
    """Nation-wide German public holidays plus Berlin's Frauentag."""
    a, b, c = year % 19, year // 100, year % 100
    d, e = b // 4, b % 4
    f = (b + 8) // 25
    g = (b - f + 1) // 3
    h = (19 * a + b - d - g + 15) % 30
    i, k = c // 4, c % 4
    l_ = (32 + 2 * e + 2 * i - h - k) % 7
    m = (a + 11 * h + 22 * l_) // 451
    month = (h + l_ - 7 * m + 114) // 31
    day = (h + l_ - 7 * m + 114) % 31 + 1
    easter = date(year, month, day)
    return {
        date(year, 1, 1): "Neujahr",
        date(year, 3, 8): "Internationaler Frauentag",
        easter - timedelta(days=2): "Karfreitag",
        easter + timedelta(days=1): "Ostermontag",
        date(year, 5, 1): "Tag der Arbeit",
        easter + timedelta(days=39): "Christi Himmelfahrt",
        easter + timedelta(days=50): "Pfingstmontag",
        date(year, 10, 3): "Tag der Deutschen Einheit",
        date(year, 12, 25): "1. Weihnachtstag",
        date(year, 12, 26): "2. Weihnachtstag",
    }


def _ascii(name: str) -> str:
    for umlaut, plain in (("ä", "ae"), ("ö", "oe"), ("ü", "ue"), ("ß", "ss"), ("Ä", "Ae"), ("Ö", "Oe"), ("Ü", "Ue")):
        name = name.replace(umlaut, plain)
    return name.lower()


@dataclass
class _Employee:
    first: str
    last: str
    personio_email: str
    moco_email: str
    pattern: tuple[list[float], list[float]] = FULL_TIME
    moco_user: MocoUser | None = None
    person: PersonioPerson | None = None
    absent: dict[date, tuple[bool, bool]] = field(default_factory=dict)  # day -> (am, pm) away


class _Builder:
    def __init__(self, params: SeedParams) -> None:
        self.p = params
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

    # ------------------------------------------------------------------ people

    def roster(self) -> list[_Employee]:
        employees: list[_Employee] = []
        used: set[str] = set()
        for index in range(self.p.people):
            first = FIRST_NAMES[index % len(FIRST_NAMES)]
            last = LAST_NAMES[(index * 7 + index // len(FIRST_NAMES)) % len(LAST_NAMES)] if index else "Doe"
            local = f"{_ascii(first)}.{_ascii(last)}"
            while f"{local}@{DOMAIN}" in used:
                local += str(index)
            used.add(f"{local}@{DOMAIN}")
            email = f"{local}@{DOMAIN}"
            employees.append(_Employee(first, last, personio_email=email, moco_email=email))
        if employees:  # Jane's MOCO login predates the naming rule: a spec override matches her.
            employees[0].moco_email = f"jane@{DOMAIN}"
        if len(employees) > 1:  # entered in Personio with capitals; MOCO stores emails lower-cased
            e = employees[1]
            e.first, e.last = "Max", "Mustermann"
            e.personio_email = f"Max.Mustermann@{DOMAIN.upper()}"
            e.moco_email = f"max.mustermann@{DOMAIN}"
        for index, name in ((2, "mon_thu"), (3, "mornings"), (4, "wednesday_off")):
            if len(employees) > index:
                employees[index].pattern = PATTERNS[name]
        return employees

    def add_moco_user(self, first: str, last: str, email: str, *, active: bool = True, extern: bool = False,
                      pattern: tuple[list[float], list[float]] = FULL_TIME, pattern_from: str | None = "2020-01-01"
                      ) -> MocoUser:
        user = MocoUser(id=self.moco_id(), firstname=first, lastname=last, email=email.lower(), active=active,
                        extern=extern)
        self.moco.users[user.id] = user
        employment = MocoEmployment(id=self.moco_id(), user_id=user.id, am=list(pattern[0]), pm=list(pattern[1]),
                                    from_date=pattern_from)
        self.moco.employments[employment.id] = employment
        return user

    def add_person(self, first: str, last: str, email: str | None, status: str = "ACTIVE") -> PersonioPerson:
        person = PersonioPerson(id=self.person_id(), email=email, first_name=first, last_name=last, status=status,
                                employment_id=self.uuid())
        self.personio.persons[person.id] = person
        return person

    # ------------------------------------------------------------------ absences

    def absence(self, employee: _Employee, type_name: str, first: date, last: date | None, *,
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

    def seed_absences(self, employees: list[_Employee]) -> None:
        rng, today = self.rng, self.p.today
        for index, employee in enumerate(employees):
            # A vacation of one to two weeks, always spanning a weekend.
            begin = self.weekday_on_or_after(today + timedelta(days=rng.randrange(-20, max(-19, self.p.until_days - 20))))
            self.absence(employee, "Paid vacation", begin, begin + timedelta(days=rng.choice([4, 6, 8, 11])))
            if rng.random() < 0.6:  # sick for a few days in the past
                sick = self.weekday_on_or_after(self.start + timedelta(days=rng.randrange(0, max(1, self.p.history_days - 7))))
                if sick < today:
                    self.absence(employee, "Sick leave", sick, sick + timedelta(days=rng.randrange(0, 3)))
            if index % 3 == 1:  # a long weekend with half days at both ends
                begin = self.weekday_on_or_after(today + timedelta(days=rng.randrange(5, 60)))
                self.absence(employee, "Paid vacation", begin, begin + timedelta(days=4), half_start=True, half_end=True)
            if index % 4 == 2:  # a pending and a rejected request: neither reaches MOCO
                begin = self.weekday_on_or_after(today + timedelta(days=rng.randrange(30, 90)))
                self.absence(employee, "Paid vacation", begin, begin + timedelta(days=2), status="PENDING")
                begin = self.weekday_on_or_after(today + timedelta(days=rng.randrange(30, 90)))
                self.absence(employee, "Paid vacation", begin, begin + timedelta(days=1), status="REJECTED")
            if index % 5 == 3:  # overtime compensation on a single day
                day = self.weekday_on_or_after(today + timedelta(days=rng.randrange(1, 40)))
                self.absence(employee, "Overtime compensation", day, day)

        by_role = dict(enumerate(employees))
        if 5 in by_role:  # long sickness, open-ended
            self.absence(by_role[5], "Sick leave", self.weekday_on_or_after(today - timedelta(days=17)), None)
        if 3 in by_role:  # a one-day half absence: a training in the morning
            day = self.weekday_on_or_after(today + timedelta(days=9))
            self.absence(by_role[3], "Training", day, day, half_end=True)
        if 8 in by_role:  # reaches back before the sync start; only the part from start_date counts
            self.absence(by_role[8], "Paid vacation", self.start - timedelta(days=5), self.start + timedelta(days=4))
        if 9 in by_role:  # parental leave: a type the ready spec does not map
            begin = self.weekday_on_or_after(today + timedelta(days=21))
            self.absence(by_role[9], "Parental leave", begin, begin + timedelta(days=13))
        if 10 in by_role:  # sick during a vacation: two approved periods overlap
            begin = self.weekday_on_or_after(today + timedelta(days=14))
            self.absence(by_role[10], "Paid vacation", begin, begin + timedelta(days=9))
            self.absence(by_role[10], "Sick leave", begin + timedelta(days=2), begin + timedelta(days=3))
        if 6 in by_role:  # two hours at the doctor's: an hourly absence
            day = self.weekday_on_or_after(today + timedelta(days=3))
            assert by_role[6].person is not None
            period = PersonioAbsencePeriod(
                id=self.uuid(), person_id=by_role[6].person.id, absence_type_id=self.type_ids["Arztbesuch"],
                starts_from=f"{day}T09:00:00", starts_type="FIRST_HALF", ends_at=f"{day}T11:00:00",
                ends_type="FIRST_HALF")
            self.personio.absence_periods[period.id] = period
        holiday = next((d for d in sorted(self.holidays) if today < d <= self.end and d.weekday() < 5), None)
        if holiday is not None and 11 in by_role:  # a vacation around a public holiday
            self.absence(by_role[11], "Paid vacation", holiday - timedelta(days=2), holiday + timedelta(days=2))

    # ------------------------------------------------------------------ MOCO schedules

    def schedule(self, user: MocoUser, day: date, code: int, comment: str = "", am: bool = True,
                 pm: bool = True, symbol: int | None = None) -> MocoSchedule:
        record = MocoSchedule(id=self.moco_id(), user_id=user.id, date=day.isoformat(), absence_code=code,
                              comment=comment, am=am, pm=pm, symbol=symbol)
        self.moco.schedules[record.id] = record
        return record

    def seed_moco_schedules(self, employees: list[_Employee]) -> None:
        active = [u for u in self.moco.users.values() if u.active]
        for day, name in sorted(self.holidays.items()):
            if self.start - timedelta(days=30) <= day <= self.end and day.weekday() < 5:
                for user in active:
                    self.schedule(user, day, 2, comment=name)
        by_role = dict(enumerate(employees))
        if 6 in by_role and by_role[6].moco_user:
            e = by_role[6]
            vacation = sorted(d for d, (am, pm) in e.absent.items() if am and pm and d.weekday() < 5
                              and d not in self.holidays and d >= self.p.today)
            if len(vacation) >= 2:  # hand-made entries on days Personio wants
                self.schedule(e.moco_user, vacation[0], 5, comment="Arzttermin (manuell)")
                self.schedule(e.moco_user, vacation[1], 1, comment="Überstundenabbau")
        if 2 in by_role and by_role[2].moco_user:  # "not plannable" on a free day: left alone
            free = self.weekday_on_or_after(self.p.today + timedelta(days=45))
            while free in by_role[2].absent or free in self.holidays:
                free = self.weekday_on_or_after(free + timedelta(days=1))
            self.schedule(by_role[2].moco_user, free, 1, comment="Workshop-Vorbereitung", pm=False)
        if 4 in by_role and by_role[4].moco_user:  # an old manual vacation entry
            old = self.weekday_on_or_after(self.start + timedelta(days=3))
            while old in by_role[4].absent or old in self.holidays:
                old = self.weekday_on_or_after(old + timedelta(days=1))
            self.schedule(by_role[4].moco_user, old, 4, comment="Brückentag", symbol=5)

    def seed_earlier_sync(self, employees: list[_Employee]) -> None:
        """Absences an earlier reconcile run wrote, some of which Personio has since changed."""
        by_role = dict(enumerate(employees))

        def workdays(employee: _Employee, first: date, count: int) -> list[date]:
            found, day = [], self.weekday_on_or_after(first)
            while len(found) < count and day <= self.end:
                hours = employee.pattern[0][day.weekday()] + employee.pattern[1][day.weekday()]
                if day not in self.holidays and day not in employee.absent and hours:
                    found.append(day)
                day = self.weekday_on_or_after(day + timedelta(days=1))
            return found

        if 0 in by_role and by_role[0].moco_user:  # an approved vacation synced as the wrong kind: update
            e = by_role[0]
            first = self.weekday_on_or_after(self.p.today + timedelta(days=30))
            days = workdays(e, first, 3)
            if len(days) == 3:
                self.absence(e, "Paid vacation", days[0], days[1])
                period = list(self.personio.absence_periods.values())[-1]
                self.schedule(e.moco_user, days[0], 4, comment=absence_comment(period.id))
                self.schedule(e.moco_user, days[1], 5, comment=absence_comment(period.id))  # was training
                self.schedule(e.moco_user, days[2], 4, comment=absence_comment(period.id))  # since shortened
        if 1 in by_role and by_role[1].moco_user:  # a vacation cancelled in Personio: delete
            e = by_role[1]
            for day in workdays(e, self.p.today + timedelta(days=10), 2):
                self.schedule(e.moco_user, day, 4, comment=absence_comment(self.uuid()))
        if 2 in by_role and by_role[2].moco_user:  # a request approved, synced, then rejected: delete
            e = by_role[2]
            days = workdays(e, self.p.today + timedelta(days=20), 1)
            if days:
                self.absence(e, "Paid vacation", days[0], days[0], status="REJECTED")
                period = list(self.personio.absence_periods.values())[-1]
                self.schedule(e.moco_user, days[0], 4, comment=absence_comment(period.id))

    # ------------------------------------------------------------------ presences

    def seed_presences(self, employees: list[_Employee]) -> None:
        rng, today = self.rng, self.p.today
        first_day = self.start - timedelta(days=7)
        for employee in employees:
            user = employee.moco_user
            if user is None or not user.active:
                continue
            am_hours, pm_hours = employee.pattern
            day = first_day
            while day <= today:
                weekday = day.weekday()
                away_am, away_pm = employee.absent.get(day, (False, False))
                if weekday < 5 and day not in self.holidays:
                    home = rng.random() < 0.3
                    # Today only the first employee is at work so far, with a presence still running.
                    running = day == today and employee is employees[0]
                    lunch_from = 12 * 60
                    if am_hours[weekday] and not away_am and (day < today or running):
                        start = 8 * 60 + rng.randrange(0, 60, 5)
                        end = None if running else start + int(am_hours[weekday] * 60) + rng.randrange(-10, 15, 5)
                        self.presence(user, day, start, end, home)
                        lunch_from = end or lunch_from
                    if pm_hours[weekday] and not away_pm and day < today:
                        # MOCO refuses overlapping presences: the afternoon starts after the lunch break.
                        start = max(13 * 60 + rng.randrange(0, 35, 5), lunch_from + 20)
                        end = start + int(pm_hours[weekday] * 60) + rng.randrange(-10, 20, 5)
                        self.presence(user, day, start, end, home)
                day += timedelta(days=1)

    def presence(self, user: MocoUser, day: date, start: int, end: int | None, home: bool) -> None:
        def hhmm(minutes: int) -> str:
            return f"{minutes // 60:02d}:{minutes % 60:02d}"

        record = MocoPresence(id=self.moco_id(), user_id=user.id, date=day.isoformat(), from_time=hhmm(start),
                              to_time=None if end is None else hhmm(end), is_home_office=home)
        self.moco.presences[record.id] = record

    # ------------------------------------------------------------------ Personio attendances

    def seed_handmade_attendances(self, employees: list[_Employee]) -> None:
        by_role = dict(enumerate(employees))
        if 7 in by_role and by_role[7].person:  # entered in Personio by hand on a day MOCO also has
            e = by_role[7]
            day = self.weekday_on_or_after(self.p.today - timedelta(days=6))
            while day in self.holidays or day in e.absent:
                day = self.weekday_on_or_after(day + timedelta(days=1))
            self.attendance(e.person, f"{day}T09:00:00", f"{day}T17:30:00", "Kundentermin vor Ort")
        if 3 in by_role and by_role[3].person:  # a Saturday trade fair: nothing in MOCO that day
            saturday = self.p.today - timedelta(days=(self.p.today.weekday() - 5) % 7 or 7)
            self.attendance(by_role[3].person, f"{saturday}T10:00:00", f"{saturday}T14:00:00", "Messe")

    def attendance(self, person: PersonioPerson, start: str, end: str, comment: str) -> None:
        record = PersonioAttendancePeriod(id=self.uuid(), person_id=person.id, type="WORK", start=start, end=end,
                                          comment=comment)
        self.personio.attendance_periods[record.id] = record

    def seed_earlier_attendance_sync(self, employees: list[_Employee]) -> None:
        """Periods an earlier run wrote: one still right, one whose presence was edited since, one whose
        presence was deleted since."""
        if not employees or employees[0].person is None or employees[0].moco_user is None:
            return
        e = employees[0]
        mine = sorted((p for p in self.moco.presences.values() if p.user_id == e.moco_user.id and p.to_time
                       and date.fromisoformat(p.date) >= self.start), key=lambda p: (p.date, p.from_time))
        if len(mine) < 3:
            return
        right, edited, deleted = mine[0], mine[1], mine[2]
        self.attendance(e.person, f"{right.date}T{right.from_time}:00", f"{right.date}T{right.to_time}:00",
                        attendance_comment(right.id))
        self.attendance(e.person, f"{edited.date}T{edited.from_time}:00", f"{edited.date}T16:00:00",
                        attendance_comment(edited.id))  # the presence ended later once corrected in MOCO
        self.attendance(e.person, f"{deleted.date}T{deleted.from_time}:00", f"{deleted.date}T{deleted.to_time}:00",
                        attendance_comment(deleted.id))
        del self.moco.presences[deleted.id]  # booked on the wrong day, removed in MOCO since

    # ------------------------------------------------------------------ all of it

    def build(self) -> World:
        self.personio.clients[PERSONIO_CLIENT_ID] = PERSONIO_CLIENT_SECRET
        for name, (category, _kind, unit) in ABSENCE_TYPES.items():
            absence_type = PersonioAbsenceType(id=self.uuid(), name=name, category=category, unit=unit)
            self.personio.absence_types[absence_type.id] = absence_type
            self.type_ids[name] = absence_type.id

        employees = self.roster()
        for index, e in enumerate(employees):
            pattern_from = None if index == 0 else "2020-01-01"  # recorded MOCO data has from: null too
            e.moco_user = self.add_moco_user(e.first, e.last, e.moco_email, pattern=e.pattern, pattern_from=pattern_from)
            e.person = self.add_person(e.first, e.last, e.personio_email)
        if len(employees) > 4:  # the Wednesday-off part-timer went full-time two weeks ago
            e = employees[4]
            old = next(x for x in self.moco.employments.values() if x.user_id == e.moco_user.id)  # type: ignore[union-attr]
            switch = self.p.today - timedelta(days=14)
            old.to_date = (switch - timedelta(days=1)).isoformat()
            new = MocoEmployment(id=self.moco_id(), user_id=old.user_id, am=list(FULL_TIME[0]), pm=list(FULL_TIME[1]),
                                 from_date=switch.isoformat())
            self.moco.employments[new.id] = new

        # People in only one system, an archived user, a robot.
        self.add_person("Nina", "Neumeyer", f"nina.neumeyer@{DOMAIN}")  # hired; no MOCO account yet
        self.add_moco_user("Frank", "Freiberger", "frank@freelance.example", extern=True)  # freelancer
        self.add_moco_user("Olaf", "Altmann", f"olaf.altmann@{DOMAIN}", active=False)  # left the company
        self.add_person("Olaf", "Altmann", f"olaf.altmann@{DOMAIN}", status="INACTIVE")
        robot = self.add_moco_user("Build", "Robot", f"robot@{DOMAIN}")

        self.moco.keys[MOCO_API_KEY] = MocoKey(owner_user_id=None, staff=True)
        self.moco.keys[MOCO_USER_KEY] = MocoKey(owner_user_id=robot.id, staff=False)

        self.seed_absences(employees)
        self.seed_moco_schedules(employees)
        self.seed_earlier_sync(employees)
        self.seed_presences(employees)
        self.seed_handmade_attendances(employees)
        self.seed_earlier_attendance_sync(employees)
        return World(moco=self.moco, personio=self.personio)


def generate_world(params: SeedParams) -> World:
    return _Builder(params).build()


def ready_spec(params: SeedParams, moco_api_root: str, personio_url: str, moco_rate: tuple[int, float],
               personio_rate: tuple[int, float] = (600, 60.0)) -> str:
    """A spec for the seeded company, pointing at the running stand-ins."""
    types = "\n".join(f"    {name}: {kind}" for name, (_c, kind, _u) in ABSENCE_TYPES.items() if kind)
    return f"""\
# A ready spec for the reconcile sandbox (seed {params.seed}, {params.people} people, today {params.today}).
version: 1
start_date: {params.start_date.isoformat()}
timezone: Europe/Berlin

moco:
  base_url: {moco_api_root}
  api_key_env: MOCO_API_KEY
  rate_limit: {{requests: {moco_rate[0]}, per_seconds: {moco_rate[1]:g}}}

personio:
  base_url: {personio_url}
  client_id_env: PERSONIO_CLIENT_ID
  client_secret_env: PERSONIO_CLIENT_SECRET
  rate_limit: {{requests: {personio_rate[0]}, per_seconds: {personio_rate[1]:g}}}

users:
  overrides:
    - personio: jane.doe@{DOMAIN}
      moco: jane@{DOMAIN}
  exclude:
    - robot@{DOMAIN}

absences:
  enabled: true
  until_days: {params.until_days}
  types:
{types}
  unmapped: skip

attendances:
  direction: moco_to_personio
"""


def sandbox_env() -> dict[str, str]:
    """The environment variables the ready spec names, with the sandbox's credentials."""
    return {
        "MOCO_API_KEY": MOCO_API_KEY,
        "PERSONIO_CLIENT_ID": PERSONIO_CLIENT_ID,
        "PERSONIO_CLIENT_SECRET": PERSONIO_CLIENT_SECRET,
    }
