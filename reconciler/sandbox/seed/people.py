"""Seeding people: the roster of employees in both systems (names, emails, work patterns), their
MOCO users and Personio persons, the absence types, the API keys, the people in only one system, their Personio
employments, and with `SeedParams.lifecycle` the employee lifecycle's hires and leavers (LIFECYCLE)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from reconciler.sandbox.moco.records import MocoEmployment, MocoKey
from reconciler.sandbox.personio.calendars import BERLIN, MUNICH
from reconciler.sandbox.personio.records import ENGINEERING, SALES, PersonioAbsenceType
from reconciler.sandbox.seed.company import FULL_TIME, Company, Employee
from reconciler.sandbox.seed.params import (
    ABSENCE_TYPES,
    DOMAIN,
    MOCO_API_KEY,
    MOCO_USER_KEY,
    PERSONIO_CLIENT_ID,
    PERSONIO_CLIENT_SECRET,
)

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

PATTERNS = {
    "mon_thu": ([4.0, 4.0, 4.0, 4.0, 0.0], [4.0, 4.0, 4.0, 4.0, 0.0]),
    "mornings": ([5.0] * 5, [0.0] * 5),
    "wednesday_off": ([4.0, 4.0, 0.0, 4.0, 4.0], [4.0, 4.0, 0.0, 4.0, 4.0]),
}


def _ascii(name: str) -> str:
    for umlaut, plain in (("ä", "ae"), ("ö", "oe"), ("ü", "ue"), ("ß", "ss"), ("Ä", "Ae"), ("Ö", "Oe"), ("Ü", "Ue")):
        name = name.replace(umlaut, plain)
    return name.lower()


def roster(people: int) -> list[Employee]:
    employees: list[Employee] = []
    used: set[str] = set()
    for index in range(people):
        first = FIRST_NAMES[index % len(FIRST_NAMES)]
        last = LAST_NAMES[(index * 7 + index // len(FIRST_NAMES)) % len(LAST_NAMES)] if index else "Doe"
        local = f"{_ascii(first)}.{_ascii(last)}"
        while f"{local}@{DOMAIN}" in used:
            local += str(index)
        used.add(f"{local}@{DOMAIN}")
        email = f"{local}@{DOMAIN}"
        employees.append(Employee(first, last, personio_email=email, moco_email=email))
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


def seed_people(company: Company) -> list[Employee]:
    """Absence types, the employees in both systems, people in only one, and the credentials."""
    company.personio.clients[PERSONIO_CLIENT_ID] = PERSONIO_CLIENT_SECRET
    for name, (category, _kind, unit) in ABSENCE_TYPES.items():
        absence_type = PersonioAbsenceType(id=company.uuid(), name=name, category=category, unit=unit)
        company.personio.absence_types[absence_type.id] = absence_type
        company.type_ids[name] = absence_type.id

    employees = roster(company.p.people)
    for index, e in enumerate(employees):
        pattern_from = None if index == 0 else "2020-01-01"  # recorded MOCO data has from: null too
        e.moco_user = company.add_moco_user(e.first, e.last, e.moco_email, pattern=e.pattern,
                                            pattern_from=pattern_from)
        e.person = company.add_person(e.first, e.last, e.personio_email)
    if len(employees) > 4:  # the Wednesday-off part-timer went full-time two weeks ago
        e = employees[4]
        assert e.moco_user is not None  # added above
        old = next(x for x in company.moco.employments.values()
                   if x.user_id == e.moco_user.id)
        switch = company.p.today - timedelta(days=14)
        old.to_date = (switch - timedelta(days=1)).isoformat()
        new = MocoEmployment(id=company.moco_id(), user_id=old.user_id, am=list(FULL_TIME[0]),
                             pm=list(FULL_TIME[1]), from_date=switch.isoformat(), created_at=company.entered,
                             updated_at=company.entered)
        company.moco.employments[new.id] = new

    # People in only one system, an archived user, a robot.
    company.add_person("Nina", "Neumeyer", f"nina.neumeyer@{DOMAIN}")  # hired; no MOCO account yet
    company.add_moco_user("Frank", "Freiberger", "frank@freelance.example", extern=True)  # freelancer
    company.add_moco_user("Olaf", "Altmann", f"olaf.altmann@{DOMAIN}", active=False)  # left the company
    company.add_person("Olaf", "Altmann", f"olaf.altmann@{DOMAIN}", status="INACTIVE")
    robot = company.add_moco_user("Build", "Robot", f"robot@{DOMAIN}")

    company.moco.keys[MOCO_API_KEY] = MocoKey(owner_user_id=None, staff=True)
    company.moco.keys[MOCO_USER_KEY] = MocoKey(owner_user_id=robot.id, staff=False)
    return employees


def seed_offices(company: Company) -> None:
    """Every other Personio person (in the order they were added) works in Munich, the rest in Berlin: their
    offices' holiday calendars differ. By position, not by a random draw, so that every other seeded record
    stays as it was before persons had offices."""
    for index, person in enumerate(company.personio.persons.values()):
        person.office = MUNICH if index % 2 else BERLIN


HIRED_EVERY = 30  # days between two seeded hires, in the order persons were added, the last HIRED_BEFORE days …
HIRED_BEFORE = 365  # … before the seed's start date
LEFT_DAYS_AGO = 30  # an INACTIVE person's termination date: this many days before the sandbox's today


def seed_employments(company: Company, employees: list[Employee]) -> None:
    """Every Personio person's employment: hired HIRED_EVERY days apart, the last added HIRED_BEFORE days before
    the seed's start (everyone was employed before the first seeded day); an INACTIVE one terminated LEFT_DAYS_AGO days
    ago; weekly hours those of the MOCO pattern in force today (40 for a person without one); departments
    Engineering and Sales by turns of two. By position, not by a random draw, so that every other seeded record
    stays as it was before persons had employments."""
    hours = {e.person.id: _hours_today(company, e) for e in employees if e.person is not None}
    persons = list(company.personio.persons.values())
    for index, person in enumerate(persons):
        before = HIRED_BEFORE + HIRED_EVERY * (len(persons) - 1 - index)
        person.hire_date = (company.start - timedelta(days=before)).isoformat()
        if person.status == "INACTIVE":
            person.termination_date = (company.p.today - timedelta(days=LEFT_DAYS_AGO)).isoformat()
        person.weekly_hours = hours.get(person.id, 40.0)
        person.department_id = SALES if index // 2 % 2 else ENGINEERING
    if company.p.lifecycle:  # the last seeding step: on top, so that every record above stays as it was
        seed_lifecycle(company)


def _hours_today(company: Company, employee: Employee) -> float:
    """The weekly hours of the employee's MOCO employment that covers today (the last one when none does)."""
    user = employee.moco_user
    mine = [e for e in company.moco.employments.values() if user is not None and e.user_id == user.id]
    today = company.p.today.isoformat()
    current = [e for e in mine if (e.from_date or "") <= today and (e.to_date is None or today <= e.to_date)]
    chosen = (current or mine)[-1:] if mine else []
    return float(sum(chosen[0].am) + sum(chosen[0].pm)) if chosen else 40.0


# ---------------------------------------------------------------------------------------------- the lifecycle

EMPLOYED_SINCE = date(2020, 1, 1)  # the hire date of the lifecycle's people who have a MOCO user


@dataclass(frozen=True)
class LifecyclePerson:
    """One of the employee lifecycle's cases (`SeedParams.lifecycle`): a Personio person and what MOCO has of
    them. Dates are days from the seed's today, or a fixed date."""

    first: str
    last: str
    status: str  # in Personio
    hired: int | date  # the hire date (the first day)
    left: int | None  # the termination date (the last day); None: none
    weekly_hours: float | None  # None: not set
    department_id: str | None  # ENGINEERING, SALES; None: none
    # "none": no MOCO user; "open": an active MOCO user, one open employment from EMPLOYED_SINCE; "changed": an
    # active MOCO user, one employment from EMPLOYED_SINCE ended on the day before `lifecycle_switch`, one open
    # from that day; every employment full time.
    moco: str

    @property
    def email(self) -> str:
        return f"{_ascii(self.first)}.{_ascii(self.last)}@{DOMAIN}"

    def hire_date(self, today: date) -> date:
        return self.hired if isinstance(self.hired, date) else today + timedelta(days=self.hired)

    def termination_date(self, today: date) -> date | None:
        return None if self.left is None else today + timedelta(days=self.left)


LIFECYCLE = {
    "hire_due": LifecyclePerson("Hanna", "Hirsch", "ACTIVE", -3, None, 40.0, ENGINEERING, "none"),
    "future_hire": LifecyclePerson("Fiona", "Future", "ACTIVE", 10, None, 32.0, SALES, "none"),
    "hourless_hire": LifecyclePerson("Hugo", "Hourless", "ACTIVE", -1, None, None, None, "none"),
    "leaver": LifecyclePerson("Lena", "Leaving", "INACTIVE", EMPLOYED_SINCE, -1, 40.0, ENGINEERING, "changed"),
    "pending_leaver": LifecyclePerson("Paul", "Pending", "ACTIVE", EMPLOYED_SINCE, 20, 40.0, SALES, "open"),
}


def lifecycle_switch(today: date) -> date:
    """The first day of the leaver's open MOCO employment: 1 July of the year before `today`."""
    return date(today.year - 1, 7, 1)


def seed_lifecycle(company: Company) -> None:
    """The employee lifecycle's people (LIFECYCLE), in its order, each in the Berlin office: their MOCO users
    and employments first, then their Personio persons with their employments."""
    today = company.p.today
    for case in LIFECYCLE.values():
        if case.moco != "none":
            user = company.add_moco_user(case.first, case.last, case.email, pattern_from=EMPLOYED_SINCE.isoformat())
            if case.moco == "changed":
                old = next(x for x in company.moco.employments.values() if x.user_id == user.id)
                switch = lifecycle_switch(today)
                old.to_date = (switch - timedelta(days=1)).isoformat()
                new = MocoEmployment(id=company.moco_id(), user_id=user.id, am=list(FULL_TIME[0]),
                                     pm=list(FULL_TIME[1]), from_date=switch.isoformat(),
                                     created_at=company.entered, updated_at=company.entered)
                company.moco.employments[new.id] = new
        person = company.add_person(case.first, case.last, case.email, status=case.status)
        person.office = BERLIN
        person.hire_date = case.hire_date(today).isoformat()
        left = case.termination_date(today)
        person.termination_date = None if left is None else left.isoformat()
        person.weekly_hours = case.weekly_hours
        person.department_id = case.department_id
