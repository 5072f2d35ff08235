"""Every list the directions can ask MOCO and Personio for, named once so that two directions
asking for the same list share one read (see plan/snapshot.py)."""

from __future__ import annotations

from reconciler.plan.snapshot import Source

MOCO_USERS = Source("moco.users", lambda clients, window: clients.moco.users(), windowed=False)
MOCO_EMPLOYMENTS = Source("moco.employments", lambda clients, window: clients.moco.employments(), windowed=False)
MOCO_SCHEDULES = Source("moco.schedules", lambda clients, window: clients.moco.schedules(window.start, window.end))
MOCO_PRESENCES = Source("moco.presences", lambda clients, window: clients.moco.presences(window.start, window.end))

PERSONIO_PERSONS = Source("personio.persons", lambda clients, window: clients.personio.persons(), windowed=False)
PERSONIO_ABSENCE_TYPES = Source("personio.absence_types", lambda clients, window: clients.personio.absence_types(),
                                windowed=False)
PERSONIO_ABSENCE_PERIODS = Source(
    "personio.absence_periods", lambda clients, window: clients.personio.absence_periods(window.start, window.end))
PERSONIO_ATTENDANCE_PERIODS = Source(
    "personio.attendance_periods",
    lambda clients, window: clients.personio.attendance_periods(window.start, window.end))
