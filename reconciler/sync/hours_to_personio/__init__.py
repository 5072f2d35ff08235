"""Working hours MOCO → Personio: each MOCO presence becomes an approved Personio attendance
period, edits and deletions of past days included; with `personio_managed` nothing is written."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Mapping
from datetime import date, datetime
from typing import Any

from reconciler.plan.scope import Touched
from reconciler.plan.snapshot import Need, Snapshot, Window
from reconciler.records import AttendanceDirection, AttendancePeriod, Presence
from reconciler.spec import Spec
from reconciler.sync import sources
from reconciler.sync.direction import MOCO, PERSONIO, Direction, Followup, Person, Watched
from reconciler.sync.hours_to_personio.apply import PersonioAttendanceSteps
from reconciler.sync.hours_to_personio.planner import NAME, AttendancePlanner
from reconciler.sync.identity import Pair
from reconciler.sync.ownership import ATTENDANCE_MARKER, attendance_source
from reconciler.systems.connect import Clients
from reconciler.systems.http.together import nothing, together
from reconciler.systems.moco import narrow
from reconciler.systems.personio import narrow as personio_narrow
from reconciler.systems.personio.events import START_FIELD

# How far back `_moved` looks for the period of a presence moved from another day: any day.
EARLIEST = date(2000, 1, 1)


def off(spec: Spec) -> str | None:
    if spec.attendances.direction is AttendanceDirection.PERSONIO_MANAGED:
        return "working hours: managed in Personio (attendances.direction: personio_managed); nothing is written there"
    return None


def window(spec: Spec, today: date) -> Window:
    """From the start date to today: worked days only."""
    return Window(spec.start_date, today)


def reads(spec: Spec, days: Window) -> tuple[Need, ...]:
    return Need(sources.MOCO_PRESENCES, days), Need(sources.PERSONIO_ATTENDANCE_PERIODS, days)


async def touched(clients: Clients, days: Window, since: datetime) -> Touched:
    """Presences created or edited in MOCO, each on its day. Attendance periods created or changed in
    Personio (by hand, or by another integration) come from its events or list (read/personio.py), each on
    its day."""
    worked = await narrow.changed_presences(clients.moco, days.start, days.end, since)
    moco: dict[int, set[date]] = defaultdict(set)
    for presence, _ in worked:
        if presence.user_id is not None:
            moco[presence.user_id].add(presence.day)
    return Touched(moco={user: frozenset(found) for user, found in moco.items()},
                   moco_ids=frozenset(presence.id for presence, _ in worked),
                   moco_moved=frozenset(presence.id for presence, created in worked
                                        if _may_have_moved(presence, created, since)))


async def _reread(clients: Clients, ids: Collection[str]) -> list[AttendancePeriod]:
    return await personio_narrow.attendance_periods_by_ids(clients.personio, ids)


async def _polled(clients: Clients, since: datetime) -> list[AttendancePeriod]:
    return await clients.personio.attendance_periods_changed(since)


def _may_have_moved(presence: Presence, created: datetime | None, since: datetime) -> bool:
    """Whether an edited presence may come from another day: made before `since` (not new) and not on
    its own day (UTC). A presence clocked in and out on its day, the common edit, is not one: checking
    each would read its person's periods of every day (`_moved`). Missed: a presence made on one day for
    another and later moved to the day it was made on; the full run corrects the copy that leaves."""
    return created is None or (created <= since and created.date() != presence.day)


async def presences_of(clients: Clients, first: Snapshot, days: Window, touched: Touched, pairs: tuple[Pair, ...]
                       ) -> list[Presence]:
    """An incremental run's presences, without a read per person: those that changed and those the
    synced Personio periods of the people in scope name, read again by id (one request per
    MOCO_IDS_PER_REQUEST). A named presence MOCO no longer has was deleted, and its period is planned
    for deletion as a full run would. Not seen: a presence neither changed since the bound nor synced
    (one an earlier run failed to write); the nightly full run writes it. People whose Personio periods
    changed (by hand, or deleted: a presence whose synced period is gone is named by none) are read per
    person, whole over the days. An edited presence no period of these days names may have been moved
    here from another day, where its period still is: `_moved` leaves such a one to the full run."""
    persons = {pair.person.id for pair in pairs}
    whole = frozenset(pair.user.id for pair in pairs if pair.person.id in touched.personio)
    named = {ident for period in first[sources.PERSONIO_ATTENDANCE_PERIODS]
             if period.person_id in persons and period.start.date() in days
             and (ident := attendance_source(period.comment)) is not None}
    by_id, per_person = await together([
        narrow.presences_by_ids(clients.moco, named | touched.moco_ids, days.start, days.end),
        clients.moco.presences(days.start, days.end, whole) if whole else nothing()])
    users = {pair.user.id for pair in pairs}
    found = {p.id: p for p in by_id if (p.user_id in users and p.user_id not in whole) or p.id in named}
    found.update((p.id, p) for p in per_person)
    unnamed = [p for p in found.values() if p.id in touched.moco_moved and p.id not in named]
    for ident in await _moved(clients, days, unnamed, pairs):
        del found[ident]
    return sorted(found.values(), key=lambda p: (p.day, p.id))


async def _moved(clients: Clients, days: Window, unnamed: list[Presence], pairs: tuple[Pair, ...]) -> set[int]:
    """Of edited presences that no synced period of these days names, those a period on another day
    names: moved to another day in MOCO. Planned here, each would be written a second time (its period
    lies outside the days read), so they are left to the full run, which moves the period; a notice
    says so. Reads the owners' periods of every day, once, and only when there are such presences."""
    owners = {pair.user.id: pair.person.id for pair in pairs}
    persons = {owners[p.user_id] for p in unnamed if p.user_id in owners}
    if not persons:
        return set()
    periods = await clients.personio.attendance_periods(EARLIEST, days.end, persons)
    elsewhere = {ident for period in periods if period.start.date() not in days
                 and (ident := attendance_source(period.comment)) is not None}
    moved = {p.id for p in unnamed} & elsewhere
    for ident in sorted(moved):
        clients.moco.notices.append(f"MOCO presence {ident} was moved from a day outside this incremental run's "
                                    "days; the full run moves its Personio period")
    return moved


def _presence_owner(presence: Presence) -> tuple[Person | None, date | None]:
    return presence.user_id, presence.day


def _period_owner(period: AttendancePeriod) -> tuple[Person | None, date | None]:
    return period.person_id, period.start.date()


# What it listens to (`reconcile serve`, Personio's deletion events): MOCO presences, each on its `date`,
# read again by id in incremental runs; Personio attendance periods, each on the day it starts; and the
# people on both sides.
WATCHES = (
    Watched(MOCO, "Presence", day=("date",), listed=sources.MOCO_PRESENCES, owner=_presence_owner, by_id=True),
    Watched(MOCO, "User", person=True),
    Watched(PERSONIO, "attendance-period", day=START_FIELD, listed=sources.PERSONIO_ATTENDANCE_PERIODS,
            owner=_period_owner, reread=_reread, polled=_polled),
    Watched(PERSONIO, "person", person=True),
)
# A Personio deletion event that names nobody: presences and attendance periods are nearly all of a full
# run's reads (issue 12), so such an incremental run does not plan working hours whole; the full run does.
UNTRACED = "the working hours those periods held are written again by a full run (without --changed-since)"


def describe(values: Mapping[str, Any]) -> str:
    """`{"start": "08:00", "end": "12:00"}` → "08:00–12:00"; a duration-only period's `{"duration": "7:30"}` →
    "7:30 h without times"."""
    if values.get("duration") is not None:
        return f"{values['duration']} h without times"
    return f"{values['start']}–{values.get('end') or '…'}"


DIRECTION = Direction(
    name=NAME, title="working hours MOCO → Personio", system="personio", service="Personio", kind="attendance",
    off=off, window=window, reads=reads, plan=AttendancePlanner, describe=describe, steps=PersonioAttendanceSteps(),
    marker=ATTENDANCE_MARKER, aliases=("attendances",), touched=touched,
    followups=(Followup(sources.MOCO_PRESENCES, presences_of),), watches=WATCHES, untraced=UNTRACED,
)
