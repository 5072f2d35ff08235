"""Holidays Personio → MOCO: the public and company holidays of each person's Personio holiday calendars
(their office's or the company's) become MOCO public holidays, one per working day, marked as synced;
hand-made MOCO absences are never touched (but "not plannable"). Holidays send no webhook and carry no
time of change: full runs (and `serve`'s daily full reconcile) read them whole; incremental runs plan them
for the people and days something else touched."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from reconciler.plan.snapshot import Need, Window
from reconciler.records import MocoAbsence, halves
from reconciler.spec import Spec
from reconciler.sync import absences_to_moco, sources
from reconciler.sync.absences_to_moco.apply import MocoAbsenceSteps
from reconciler.sync.direction import MOCO, PERSONIO, Direction, Person, Watched
from reconciler.sync.holidays_to_moco.planner import NAME, HolidayPlanner
from reconciler.sync.ownership import HOLIDAY_MARKER


def off(spec: Spec) -> str | None:
    return None if spec.holidays.sync else "holidays: not synced (holidays.sync: false)"


def window(spec: Spec, today: date) -> Window:
    """The absences' window: from the start date to today + `absences.until_days`."""
    return absences_to_moco.window(spec, today)


def reads(spec: Spec, days: Window) -> tuple[Need, ...]:
    """The MOCO lists absences read too (one read for both), and the holidays (after Personio's persons)."""
    return (Need(sources.MOCO_EMPLOYMENTS), Need(sources.MOCO_SCHEDULES, days), Need(sources.PERSONIO_HOLIDAYS, days))


def _owner(absence: MocoAbsence) -> tuple[Person | None, date | None]:
    return absence.user_id, absence.day


# What it listens to: hand edits of MOCO absences (a hand-made record on a holiday, or one of ours deleted),
# and the people on both sides. Personio sends nothing when a holiday calendar changes.
WATCHES = (
    Watched(MOCO, "Schedule", listed=sources.MOCO_SCHEDULES, owner=_owner),
    Watched(MOCO, "User", person=True),
    Watched(PERSONIO, "person", person=True),
)


def describe(values: Mapping[str, Any]) -> str:
    """`{"absence_kind": "public_holiday", "am": False, "pm": True}` → "public_holiday, afternoon"."""
    return f"{values['absence_kind']}, {halves(values.get('am', True), values.get('pm', True))}"


DIRECTION = Direction(
    name=NAME, title="holidays Personio → MOCO", system="moco", service="MOCO", kind="absence", off=off,
    window=window, reads=reads, plan=HolidayPlanner, describe=describe, steps=MocoAbsenceSteps(),
    marker=HOLIDAY_MARKER, touched=absences_to_moco.touched, watches=WATCHES,
)
