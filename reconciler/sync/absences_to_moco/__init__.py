"""Absences Personio → MOCO: approved Personio absence periods become MOCO absences, one per
working day, marked as synced; hand-made MOCO absences are never touched (but "not plannable")."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, timedelta
from typing import Any

from reconciler.plan.snapshot import Need, Window
from reconciler.records import halves
from reconciler.spec import Spec
from reconciler.sync import sources
from reconciler.sync.absences_to_moco.apply import MocoAbsenceSteps
from reconciler.sync.absences_to_moco.planner import NAME, plan_absences
from reconciler.sync.direction import Direction


def off(spec: Spec) -> str | None:
    return None if spec.absences.enabled else "absences: not synced (absences.enabled: false)"


def window(spec: Spec, today: date) -> Window:
    """From the start date to today + `absences.until_days`."""
    return Window(spec.start_date, today + timedelta(days=spec.absences.until_days))


def reads(spec: Spec, days: Window) -> tuple[Need, ...]:
    return (Need(sources.MOCO_EMPLOYMENTS), Need(sources.MOCO_SCHEDULES, days), Need(sources.PERSONIO_ABSENCE_TYPES),
            Need(sources.PERSONIO_ABSENCE_PERIODS, days))


def describe(values: Mapping[str, Any]) -> str:
    """`{"absence_kind": "holiday", "am": True, "pm": False}` → "holiday, morning"."""
    return f"{values['absence_kind']}, {halves(values.get('am', True), values.get('pm', True))}"


DIRECTION = Direction(
    name=NAME, title="absences Personio → MOCO", system="moco", service="MOCO", kind="absence", off=off,
    window=window, reads=reads, plan=plan_absences, describe=describe, steps=MocoAbsenceSteps(),
    aliases=("absences",),
)
