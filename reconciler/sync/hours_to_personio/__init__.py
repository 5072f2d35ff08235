"""Working hours MOCO → Personio: each MOCO presence becomes an approved Personio attendance
period, edits and deletions of past days included; with `personio_managed` nothing is written."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from reconciler.plan.snapshot import Need, Window
from reconciler.records import AttendanceDirection
from reconciler.spec import Spec
from reconciler.sync import sources
from reconciler.sync.direction import Direction
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


def describe(values: Mapping[str, Any]) -> str:
    """`{"start": "08:00", "end": "12:00"}` → "08:00–12:00"."""
    return f"{values['start']}–{values.get('end') or '…'}"


DIRECTION = Direction(
    name=NAME, title="working hours MOCO → Personio", system="personio", service="Personio", kind="attendance",
    off=off, window=window, reads=reads, plan=plan_attendances, describe=describe, steps=PersonioAttendanceSteps(),
    aliases=("attendances",),
)
