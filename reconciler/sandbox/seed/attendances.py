"""Seeding working hours: MOCO presences, Personio attendance periods entered by hand, and the
periods an earlier reconcile run wrote whose presences MOCO has changed since; with `duration_only_days`,
duration-only periods tracked in Personio on days MOCO has presences too."""

from __future__ import annotations

import random
from collections import defaultdict
from datetime import date, datetime, timedelta

from reconciler.sandbox.personio.records import PersonioAttendancePeriod, PersonioState
from reconciler.sandbox.seed.company import Company, Employee
from reconciler.sync.ownership import attendance_comment, attendance_source
from reconciler.systems.personio import durations


def seed_presences(company: Company, employees: list[Employee]) -> None:
    rng, today = company.rng, company.p.today
    first_day = company.start - timedelta(days=7)
    for employee in employees:
        user = employee.moco_user
        if user is None or not user.active:
            continue
        am_hours, pm_hours = employee.pattern
        day = first_day
        while day <= today:
            weekday = day.weekday()
            away_am, away_pm = employee.absent.get(day, (False, False))
            if weekday < 5 and day not in company.holidays:
                home = rng.random() < 0.3
                # Today only the first employee is at work so far, with a presence still running.
                running = day == today and employee is employees[0]
                lunch_from = 12 * 60
                if am_hours[weekday] and not away_am and (day < today or running):
                    start = 8 * 60 + rng.randrange(0, 60, 5)
                    end = None if running else start + int(am_hours[weekday] * 60) + rng.randrange(-10, 15, 5)
                    company.presence(user, day, start, end, home)
                    lunch_from = end or lunch_from
                if pm_hours[weekday] and not away_pm and day < today:
                    # MOCO refuses overlapping presences: the afternoon starts after the lunch break.
                    start = max(13 * 60 + rng.randrange(0, 35, 5), lunch_from + 20)
                    end = start + int(pm_hours[weekday] * 60) + rng.randrange(-10, 20, 5)
                    company.presence(user, day, start, end, home)
            day += timedelta(days=1)


def seed_handmade_attendances(company: Company, employees: list[Employee]) -> None:
    by_role = dict(enumerate(employees))
    today = company.p.today
    if 7 in by_role and (person := by_role[7].person):  # entered in Personio by hand on a day MOCO also has
        e = by_role[7]
        day = company.free_weekday(e, today - timedelta(days=6))
        company.attendance(person, f"{day}T09:00:00", f"{day}T17:30:00", "Kundentermin vor Ort")
    if 3 in by_role and by_role[3].person:  # a Saturday trade fair: nothing in MOCO that day
        saturday = today - timedelta(days=(today.weekday() - 5) % 7 or 7)
        company.attendance(by_role[3].person, f"{saturday}T10:00:00", f"{saturday}T14:00:00", "Messe")


def seed_earlier_attendance_sync(company: Company, employees: list[Employee]) -> None:
    """Periods an earlier run wrote: one still right, one whose presence was edited since, one whose
    presence was deleted since."""
    if not employees:
        return
    e = employees[0]
    if e.person is None or e.moco_user is None:
        return
    mine = sorted((p for p in company.moco.presences.values() if p.user_id == e.moco_user.id and p.to_time
                   and date.fromisoformat(p.date) >= company.start), key=lambda p: (p.date, p.from_time))
    if len(mine) < 3:
        return
    right, edited, deleted = mine[0], mine[1], mine[2]
    company.attendance(e.person, f"{right.date}T{right.from_time}:00", f"{right.date}T{right.to_time}:00",
                       attendance_comment(right.id))
    company.attendance(e.person, f"{edited.date}T{edited.from_time}:00", f"{edited.date}T16:00:00",
                       attendance_comment(edited.id))  # the presence ended later once corrected in MOCO
    company.attendance(e.person, f"{deleted.date}T{deleted.from_time}:00", f"{deleted.date}T{deleted.to_time}:00",
                       attendance_comment(deleted.id))
    del company.moco.presences[deleted.id]  # booked on the wrong day, removed in MOCO since


def add_duration_period(personio: PersonioState, period_id: str, person_id: str, day: date, length: timedelta,
                        comment: str = "") -> PersonioAttendancePeriod:
    """A confirmed duration-only WORK period (no times: `length` on `day`), straight into a Personio state: as
    Personio's own duration tracking, or a person, would enter it. For seeding and for tests."""
    record = PersonioAttendancePeriod(id=period_id, person_id=person_id, type="WORK", start=None, end=None,
                                      comment=comment, duration=durations.write(length),
                                      attribution_date=day.isoformat())
    personio.attendance_periods[record.id] = record
    return record


def seed_duration_only_attendances(company: Company, employees: list[Employee]) -> None:
    """`duration_only_days` days on which someone tracked their hours in Personio as a duration, by hand, while
    MOCO has that day's presences too: each a conflict in the plan, nothing written there. The first lies on a
    day an earlier run wrote a period (left as it is, and the conflict says so); the others are drawn from the
    days with presences. Nothing is drawn from the company's random source unless asked (0 leaves every seed
    as it was)."""
    wanted = company.p.duration_only_days
    if wanted <= 0:
        return
    rng = random.Random(f"duration-only {company.p.seed}")
    people: dict[int, str] = {}  # MOCO user id -> Personio person id
    for employee in employees:
        if employee.moco_user is not None and employee.person is not None:
            people[employee.moco_user.id] = employee.person.id
    worked: dict[tuple[int, str], timedelta] = defaultdict(timedelta)
    for presence in company.moco.presences.values():
        if presence.user_id in people and presence.to_time and company.start.isoformat() <= presence.date \
                < company.p.today.isoformat():
            worked[presence.user_id, presence.date] += _length(presence.from_time, presence.to_time)
    synced = {(p.person_id, p.day) for p in company.personio.attendance_periods.values()
              if attendance_source(p.comment) is not None}
    days = sorted(worked, key=lambda key: ((people[key[0]], key[1]) not in synced, key))  # a synced day first
    chosen = days[:1] + rng.sample(days[1:], min(wanted - 1, len(days) - 1)) if days else []
    for user_id, day in chosen:
        add_duration_period(company.personio, company.uuid(), people[user_id], date.fromisoformat(day),
                            worked[user_id, day], rng.choice(["", "Projektarbeit", "Homeoffice"]))


def _length(start: str, end: str) -> timedelta:
    length = datetime.strptime(end, "%H:%M") - datetime.strptime(start, "%H:%M")
    return length if length > timedelta(0) else length + timedelta(days=1)
