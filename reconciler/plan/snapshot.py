"""Everything a plan needs from both systems, fetched concurrently into one `Snapshot`.

Each list is read once for the whole window, never per person or per day.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import date
from typing import Any

from reconciler.records import (
    AbsencePeriod,
    AbsenceType,
    AttendanceDirection,
    AttendancePeriod,
    Employment,
    MocoAbsence,
    MocoUser,
    Person,
    Presence,
)


@dataclass(frozen=True)
class Snapshot:
    today: date
    moco_users: tuple[MocoUser, ...] = ()
    employments: tuple[Employment, ...] = ()
    moco_absences: tuple[MocoAbsence, ...] = ()
    presences: tuple[Presence, ...] = ()
    persons: tuple[Person, ...] = ()
    absence_types: tuple[AbsenceType, ...] = ()
    absence_periods: tuple[AbsencePeriod, ...] = ()
    attendance_periods: tuple[AttendancePeriod, ...] = ()


async def fetch_snapshot(spec: Any, clients: Any, today: date, scope: tuple[str, ...]) -> Snapshot:
    """Read what `scope` ("absences", "attendances") needs, all lists at once."""
    moco, personio = clients.moco, clients.personio
    reads: dict[str, Any] = {"moco_users": moco.users(), "persons": personio.persons()}
    if "absences" in scope and spec.absences.enabled:
        start, end = spec.absence_window(today)
        reads["employments"] = moco.employments()
        reads["moco_absences"] = moco.schedules(start, end)
        reads["absence_types"] = personio.absence_types()
        reads["absence_periods"] = personio.absence_periods(start, end)
    if "attendances" in scope and spec.attendances.direction is AttendanceDirection.MOCO_TO_PERSONIO:
        start, end = spec.attendance_window(today)
        reads["presences"] = moco.presences(start, end)
        reads["attendance_periods"] = personio.attendance_periods(start, end)
    results = await asyncio.gather(*reads.values())
    return Snapshot(today=today, **{name: tuple(value) for name, value in zip(reads, results)})
