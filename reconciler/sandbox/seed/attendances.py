"""Seeding working hours: MOCO presences, Personio attendance periods entered by hand, and the
periods an earlier reconcile run wrote whose presences MOCO has changed since."""

from __future__ import annotations

from datetime import date, timedelta

from reconciler.sandbox.seed.company import Company, Employee
from reconciler.sync.ownership import attendance_comment


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
