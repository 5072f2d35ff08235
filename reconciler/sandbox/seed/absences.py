"""Seeding absences: Personio absence periods, MOCO schedules entered by hand (public holidays among
them), and the schedules an earlier reconcile run wrote that Personio has changed since."""

from __future__ import annotations

from datetime import date, timedelta

from reconciler.sandbox.personio.records import PersonioAbsencePeriod
from reconciler.sandbox.seed.company import Company, Employee
from reconciler.sync.ownership import absence_comment


def seed_absences(company: Company, employees: list[Employee]) -> None:
    rng, today, params = company.rng, company.p.today, company.p
    weekday = company.weekday_on_or_after
    for index, employee in enumerate(employees):
        # A vacation of one to two weeks, always spanning a weekend.
        begin = weekday(today + timedelta(days=rng.randrange(-20, max(-19, params.until_days - 20))))
        company.absence(employee, "Paid vacation", begin, begin + timedelta(days=rng.choice([4, 6, 8, 11])))
        if rng.random() < 0.6:  # sick for a few days in the past
            sick = weekday(company.start + timedelta(days=rng.randrange(0, max(1, params.history_days - 7))))
            if sick < today:
                company.absence(employee, "Sick leave", sick, sick + timedelta(days=rng.randrange(0, 3)))
        if index % 3 == 1:  # a long weekend with half days at both ends
            begin = weekday(today + timedelta(days=rng.randrange(5, 60)))
            company.absence(employee, "Paid vacation", begin, begin + timedelta(days=4), half_start=True,
                            half_end=True)
        if index % 4 == 2:  # a pending and a rejected request: neither reaches MOCO
            begin = weekday(today + timedelta(days=rng.randrange(30, 90)))
            company.absence(employee, "Paid vacation", begin, begin + timedelta(days=2), status="PENDING")
            begin = weekday(today + timedelta(days=rng.randrange(30, 90)))
            company.absence(employee, "Paid vacation", begin, begin + timedelta(days=1), status="REJECTED")
        if index % 5 == 3:  # overtime compensation on a single day
            day = weekday(today + timedelta(days=rng.randrange(1, 40)))
            company.absence(employee, "Overtime compensation", day, day)

    by_role = dict(enumerate(employees))
    if 5 in by_role:  # long sickness, open-ended
        company.absence(by_role[5], "Sick leave", weekday(today - timedelta(days=17)), None)
    if 3 in by_role:  # a one-day half absence: a training in the morning
        day = weekday(today + timedelta(days=9))
        company.absence(by_role[3], "Training", day, day, half_end=True)
    if 8 in by_role:  # reaches back before the sync start; only the part from start_date counts
        company.absence(by_role[8], "Paid vacation", company.start - timedelta(days=5),
                        company.start + timedelta(days=4))
    if 9 in by_role:  # parental leave: a type the ready spec does not map
        begin = weekday(today + timedelta(days=21))
        company.absence(by_role[9], "Parental leave", begin, begin + timedelta(days=13))
    if 10 in by_role:  # sick during a vacation: two approved periods overlap
        begin = weekday(today + timedelta(days=14))
        company.absence(by_role[10], "Paid vacation", begin, begin + timedelta(days=9))
        company.absence(by_role[10], "Sick leave", begin + timedelta(days=2), begin + timedelta(days=3))
    if 6 in by_role:  # two hours at the doctor's: an hourly absence
        day = weekday(today + timedelta(days=3))
        assert by_role[6].person is not None
        period = PersonioAbsencePeriod(
            id=company.uuid(), person_id=by_role[6].person.id, absence_type_id=company.type_ids["Arztbesuch"],
            starts_from=f"{day}T09:00:00", starts_type="FIRST_HALF", ends_at=f"{day}T11:00:00",
            ends_type="FIRST_HALF")
        company.personio.absence_periods[period.id] = period
    holiday = next((d for d in sorted(company.holidays) if today < d <= company.end and d.weekday() < 5), None)
    if holiday is not None and 11 in by_role:  # a vacation around a public holiday
        company.absence(by_role[11], "Paid vacation", holiday - timedelta(days=2), holiday + timedelta(days=2))


def seed_year_round_absences(company: Company, employees: list[Employee]) -> None:
    """With `absence_days_per_year` N > 0: approved vacations (3 to 10 working days) and, in the past, sick
    leave (1 to 3 days, about one absence in five) all over start_date .. today + until_days, until each
    employee is away about N working days a year there, the seeded cases above included. Nothing with N = 0,
    so the default companies stay exactly as they were."""
    per_year = company.p.absence_days_per_year
    if per_year <= 0:
        return
    rng, today, start, end = company.rng, company.p.today, company.start, company.end
    span = (end - start).days + 1
    target = round(per_year * span / 365)

    def workday(day: date) -> bool:
        return day.weekday() < 5 and day not in company.holidays

    for employee in employees:
        away = sum(1 for day in employee.absent if start <= day <= end and workday(day))
        for _attempt in range(4 * target):
            if away >= target:
                break
            first = company.free_weekday(employee, start + timedelta(days=rng.randrange(span)))
            sick = first < today and rng.random() < 0.2
            wanted = min(rng.randint(1, 3) if sick else rng.choice([3, 4, 5, 5, 8, 10]), target - away)
            days: list[date] = []
            day = first
            while len(days) < wanted and day <= end and day not in employee.absent:
                if workday(day):
                    days.append(day)
                day += timedelta(days=1)
            if len(days) < wanted or (sick and days[-1] >= today):
                continue  # runs into another absence, the window's end, or today: somewhere else
            company.absence(employee, "Sick leave" if sick else "Paid vacation", first, days[-1])
            away += len(days)


def seed_moco_schedules(company: Company, employees: list[Employee]) -> None:
    active = [u for u in company.moco.users.values() if u.active]
    for day, name in sorted(company.holidays.items()):
        if company.start - timedelta(days=30) <= day <= company.end and day.weekday() < 5:
            for user in active:
                company.schedule(user, day, 2, comment=name)
    by_role = dict(enumerate(employees))
    if 6 in by_role and (moco_user := by_role[6].moco_user):
        e = by_role[6]
        vacation = sorted(d for d, (am, pm) in e.absent.items() if am and pm and d.weekday() < 5
                          and d not in company.holidays and d >= company.p.today)
        if len(vacation) >= 2:  # hand-made entries on days Personio wants
            company.schedule(moco_user, vacation[0], 5, comment="Arzttermin (manuell)")
            company.schedule(moco_user, vacation[1], 1, comment="Überstundenabbau")
    if 2 in by_role and by_role[2].moco_user:  # "not plannable" on a free day: left alone
        free = company.free_weekday(by_role[2], company.p.today + timedelta(days=45))
        company.schedule(by_role[2].moco_user, free, 1, comment="Workshop-Vorbereitung", pm=False)
    if 4 in by_role and by_role[4].moco_user:  # an old manual vacation entry
        old = company.free_weekday(by_role[4], company.start + timedelta(days=3))
        company.schedule(by_role[4].moco_user, old, 4, comment="Brückentag", symbol=5)


def seed_earlier_sync(company: Company, employees: list[Employee]) -> None:
    """Absences an earlier reconcile run wrote, some of which Personio has since changed."""
    by_role = dict(enumerate(employees))

    def workdays(employee: Employee, first: date, count: int) -> list[date]:
        found: list[date] = []
        day = company.weekday_on_or_after(first)
        while len(found) < count and day <= company.end:
            hours = employee.pattern[0][day.weekday()] + employee.pattern[1][day.weekday()]
            if day not in company.holidays and day not in employee.absent and hours:
                found.append(day)
            day = company.weekday_on_or_after(day + timedelta(days=1))
        return found

    if 0 in by_role and (user := by_role[0].moco_user):  # an approved vacation synced as the wrong kind: update
        e = by_role[0]
        first = company.weekday_on_or_after(company.p.today + timedelta(days=30))
        days = workdays(e, first, 3)
        if len(days) == 3:
            company.absence(e, "Paid vacation", days[0], days[1])
            period = list(company.personio.absence_periods.values())[-1]
            company.schedule(user, days[0], 4, comment=absence_comment(period.id))
            company.schedule(user, days[1], 5, comment=absence_comment(period.id))  # was training
            company.schedule(user, days[2], 4, comment=absence_comment(period.id))  # since shortened
    if 1 in by_role and (user := by_role[1].moco_user):  # a vacation cancelled in Personio: delete
        e = by_role[1]
        for day in workdays(e, company.p.today + timedelta(days=10), 2):
            company.schedule(user, day, 4, comment=absence_comment(company.uuid()))
    if 2 in by_role and (user := by_role[2].moco_user):  # a request approved, synced, then rejected: delete
        e = by_role[2]
        days = workdays(e, company.p.today + timedelta(days=20), 1)
        if days:
            company.absence(e, "Paid vacation", days[0], days[0], status="REJECTED")
            period = list(company.personio.absence_periods.values())[-1]
            company.schedule(user, days[0], 4, comment=absence_comment(period.id))
