"""Working hours MOCO → Personio: each MOCO presence becomes an approved Personio attendance
period, edits and deletions of past days included; with `personio_managed` nothing is written."""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

from reconciler.plan.snapshot import Need, Window
from reconciler.records import AttendanceDirection
from reconciler.spec import Spec
from reconciler.sync import sources
from reconciler.sync.direction import Direction, Touched
from reconciler.sync.hours_to_personio.apply import PersonioAttendanceSteps
from reconciler.sync.hours_to_personio.planner import NAME, plan_attendances


def off(spec: Spec) -> str | None:
    if spec.attendances.direction is AttendanceDirection.PERSONIO_MANAGED:
        return "working hours: managed in Personio (attendances.direction: personio_managed); nothing is written there"
    return None


def window(spec: Spec, today: date) -> Window:
    """From the start date to today: worked days only."""
    return Window(spec.start_date, today)


def reads(spec: Spec, days: Window) -> tuple[Need, ...]:
    return Need(sources.MOCO_PRESENCES, days), Need(sources.PERSONIO_ATTENDANCE_PERIODS, days)


async def touched(clients: Any, days: Window, since: datetime) -> Touched:
    """Presences created or edited in MOCO, and attendance periods created or changed in Personio
    (by hand, or by another integration), each on its day."""
    worked, periods = await asyncio.gather(clients.moco.changed("/users/presences", days.start, days.end, since),
                                           clients.personio.attendance_periods_changed(since))
    moco: dict[int, set[date]] = defaultdict(set)
    for user_id, day in worked:
        moco[user_id].add(day)
    personio: dict[str, set[date]] = defaultdict(set)
    for period in periods:
        personio[period.person_id].add(period.start.date())
    return Touched(moco={user: frozenset(found) for user, found in moco.items()},
                   personio={person: frozenset(found) for person, found in personio.items()})


def describe(values: Mapping[str, Any]) -> str:
    """`{"start": "08:00", "end": "12:00"}` → "08:00–12:00"."""
    return f"{values['start']}–{values.get('end') or '…'}"


DIRECTION = Direction(
    name=NAME, title="working hours MOCO → Personio", system="personio", service="Personio", kind="attendance",
    off=off, window=window, reads=reads, plan=plan_attendances, describe=describe, steps=PersonioAttendanceSteps(),
    aliases=("attendances",), touched=touched,
)
