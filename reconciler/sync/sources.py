"""Every list the directions can ask MOCO and Personio for, named once so that two directions
asking for the same list share one read (see plan/snapshot.py). Lists of people's records can also
be read for some people only (`read_for`): MOCO by user id, Personio by person id."""

from __future__ import annotations

from reconciler.plan.snapshot import Source

MOCO_USERS = Source("moco.users", lambda clients, window: clients.moco.users(), windowed=False)
MOCO_EMPLOYMENTS = Source(
    "moco.employments", lambda clients, window: clients.moco.employments(), windowed=False,
    read_for=lambda clients, window, who: clients.moco.employments(who), by="moco")
MOCO_SCHEDULES = Source(
    "moco.schedules", lambda clients, window: clients.moco.schedules(window.start, window.end),
    read_for=lambda clients, window, who: clients.moco.schedules(window.start, window.end, who), by="moco")
MOCO_PRESENCES = Source(
    "moco.presences", lambda clients, window: clients.moco.presences(window.start, window.end),
    read_for=lambda clients, window, who: clients.moco.presences(window.start, window.end, who), by="moco")

PERSONIO_PERSONS = Source("personio.persons", lambda clients, window: clients.personio.persons(), windowed=False)
PERSONIO_ABSENCE_TYPES = Source("personio.absence_types", lambda clients, window: clients.personio.absence_types(),
                                windowed=False)
PERSONIO_ABSENCE_PERIODS = Source(
    "personio.absence_periods", lambda clients, window: clients.personio.absence_periods(window.start, window.end),
    read_for=lambda clients, window, who: clients.personio.absence_periods(window.start, window.end, who),
    by="personio")
PERSONIO_ATTENDANCE_PERIODS = Source(
    "personio.attendance_periods",
    lambda clients, window: clients.personio.attendance_periods(window.start, window.end),
    read_for=lambda clients, window, who: clients.personio.attendance_periods(window.start, window.end, who),
    by="personio")
