"""Every list the directions can ask MOCO and Personio for, named once so that two directions
asking for the same list share one read (reconciler/read/). Lists of people's records can also be
read for some people only: MOCO by user id, Personio by person id."""

from __future__ import annotations

from reconciler.plan.snapshot import whole, windowed

MOCO_USERS = whole("moco.users", lambda clients: clients.moco.users())
MOCO_EMPLOYMENTS = whole("moco.employments", lambda clients: clients.moco.employments(),
                         lambda clients, who: clients.moco.employments(who), by="moco")
MOCO_SCHEDULES = windowed("moco.schedules", lambda clients, days: clients.moco.schedules(days.start, days.end),
                          lambda clients, days, who: clients.moco.schedules(days.start, days.end, who), by="moco")
MOCO_PRESENCES = windowed("moco.presences", lambda clients, days: clients.moco.presences(days.start, days.end),
                          lambda clients, days, who: clients.moco.presences(days.start, days.end, who), by="moco")

PERSONIO_PERSONS = whole("personio.persons", lambda clients: clients.personio.persons())
PERSONIO_ABSENCE_TYPES = whole("personio.absence_types", lambda clients: clients.personio.absence_types())
PERSONIO_ABSENCE_PERIODS = windowed(
    "personio.absence_periods", lambda clients, days: clients.personio.absence_periods(days.start, days.end),
    lambda clients, days, who: clients.personio.absence_periods(days.start, days.end, who), by="personio")
PERSONIO_ATTENDANCE_PERIODS = windowed(
    "personio.attendance_periods", lambda clients, days: clients.personio.attendance_periods(days.start, days.end),
    lambda clients, days, who: clients.personio.attendance_periods(days.start, days.end, who), by="personio")
# Personio lists holidays only for the people named (person.id is required): for everyone, after the persons
# (one read of them for both). Personio bounds the days by its own today, so the services' clock says it.
PERSONIO_HOLIDAYS = windowed(
    "personio.holidays",
    lambda clients, days, persons: clients.personio.holidays([p.id for p in persons], days.start, days.end,
                                                             today=clients.server_now().date()),
    lambda clients, days, who: clients.personio.holidays(who, days.start, days.end,
                                                         today=clients.server_now().date()),
    by="personio", after=PERSONIO_PERSONS)

# Who is who: every run reads both systems' people, whatever the directions.
IDENTITY = (MOCO_USERS, PERSONIO_PERSONS)
