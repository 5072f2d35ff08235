"""Absences Personio → MOCO: approved Personio absence periods become MOCO absences, one per
working day, marked as synced; hand-made MOCO absences are never touched (but "not plannable")."""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import Collection, Mapping
from datetime import date, datetime, timedelta
from typing import Any

from reconciler.plan.scope import ALL_DAYS, Touched
from reconciler.plan.snapshot import Need, Window
from reconciler.records import AbsencePeriod, MocoAbsence, halves
from reconciler.spec import Spec
from reconciler.sync import sources
from reconciler.sync.absences_to_moco.apply import MocoAbsenceSteps
from reconciler.sync.absences_to_moco.planner import NAME, AbsencePlanner
from reconciler.sync.direction import MOCO, PERSONIO, Direction, Person, Watched
from reconciler.sync.ownership import ABSENCE_MARKER
from reconciler.systems.connect import Clients
from reconciler.systems.moco import narrow
from reconciler.systems.personio import narrow as personio_narrow


def off(spec: Spec) -> str | None:
    return None if spec.absences.enabled else "absences: not synced (absences.enabled: false)"


def window(spec: Spec, today: date) -> Window:
    """From the start date to today + `absences.until_days`."""
    return Window(spec.start_date, today + timedelta(days=spec.absences.until_days))


def reads(spec: Spec, days: Window) -> tuple[Need, ...]:
    """Where holidays are synced, their days too (they belong to the holiday): the same read as theirs."""
    holidays = (Need(sources.PERSONIO_HOLIDAYS, days),) if spec.holidays.sync else ()
    return (Need(sources.MOCO_EMPLOYMENTS), Need(sources.MOCO_SCHEDULES, days), Need(sources.PERSONIO_ABSENCE_TYPES),
            Need(sources.PERSONIO_ABSENCE_PERIODS, days), *holidays)


async def touched(clients: Clients, days: Window, since: datetime) -> Touched:
    """MOCO absences edited by hand (that day), and users whose work pattern (employment) changed (the whole
    window: days that were not working days may be now). Personio's absence periods created or changed
    come from its events or list (read/personio.py): each over the whole window (a period that moved or
    shrank leaves synced days elsewhere)."""
    edited, patterns = await asyncio.gather(clients.moco.changed("/schedules", days.start, days.end, since),
                                            narrow.changed_employments(clients.moco, since))
    moco: dict[int, set[date]] = defaultdict(set)
    for user_id, day in edited:
        moco[user_id].add(day)
    return Touched(moco={**{user: frozenset(found) for user, found in moco.items()},
                         **{user: ALL_DAYS for user in patterns}})


async def _reread(clients: Clients, ids: Collection[str]) -> list[AbsencePeriod]:
    return await personio_narrow.absence_periods_by_ids(clients.personio, ids)


async def _polled(clients: Clients, since: datetime) -> list[AbsencePeriod]:
    return await clients.personio.absence_periods_changed(since)


def _absence_owner(absence: MocoAbsence) -> tuple[Person | None, date | None]:
    return absence.user_id, absence.day


def _period_owner(period: AbsencePeriod) -> tuple[Person | None, date | None]:
    return period.person_id, period.first_day


# What it listens to (`reconcile serve`, Personio's deletion events): hand edits of MOCO absences (a whole
# window: an edit may have moved one from a day the payload no longer names), Personio absence periods
# (each spans days), and the people on both sides.
WATCHES = (
    Watched(MOCO, "Schedule", listed=sources.MOCO_SCHEDULES, owner=_absence_owner),
    Watched(MOCO, "User", person=True),
    Watched(PERSONIO, "absence-period", one_day=False, listed=sources.PERSONIO_ABSENCE_PERIODS, owner=_period_owner,
            reread=_reread, polled=_polled),
    Watched(PERSONIO, "person", person=True),
)


def describe(values: Mapping[str, Any]) -> str:
    """`{"absence_kind": "holiday", "am": True, "pm": False}` → "holiday, morning"."""
    return f"{values['absence_kind']}, {halves(values.get('am', True), values.get('pm', True))}"


DIRECTION = Direction(
    name=NAME, title="absences Personio → MOCO", system="moco", service="MOCO", kind="absence", off=off,
    window=window, reads=reads, plan=AbsencePlanner, describe=describe, steps=MocoAbsenceSteps(), marker=ABSENCE_MARKER,
    touched=touched, watches=WATCHES, aliases=("absences",),
)
