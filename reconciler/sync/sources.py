"""Every list the directions can ask MOCO and Personio for, named once so that two directions
asking for the same list share one read (reconciler/read/). Lists of people's records can also be
read for some people only: MOCO by user id, Personio by person id."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from reconciler.plan.snapshot import MATCHED, whole, windowed
from reconciler.records import PersonioEmployment
from reconciler.sync.identity import Matching

MOCO_USERS = whole("moco.users", lambda clients: clients.moco.users())
MOCO_EMPLOYMENTS = whole("moco.employments", lambda clients: clients.moco.employments(),
                         lambda clients, who: clients.moco.employments(who), by="moco")
MOCO_SCHEDULES = windowed("moco.schedules", lambda clients, days: clients.moco.schedules(days.start, days.end),
                          lambda clients, days, who: clients.moco.schedules(days.start, days.end, who), by="moco")
MOCO_UNITS = whole("moco.units", lambda clients: clients.moco.units())
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


# The employee lifecycle reads Personio's employments (a request a person) only of the people who may be hired or
# may have left, which only who is who can tell: read after it (MATCHED), given the run's matchings.
def hires(matchings: Sequence[Matching]) -> frozenset[str]:
    """Employed persons without a MOCO user (by any spec planned)."""
    return frozenset(person.id for matching in matchings for person, _ in matching.unmatched)


def leavers(matchings: Sequence[Matching]) -> frozenset[str]:
    """Persons Personio no longer employs whose MOCO user is active (matched, so active)."""
    return frozenset(pair.person.id for matching in matchings for pair in matching.pairs if not pair.person.active)


async def _employments(clients: Any, persons: frozenset[str]) -> list[PersonioEmployment]:
    return await clients.personio.employments(sorted(persons)) if persons else []


async def _departments(clients: Any) -> list[tuple[str, str]]:
    return sorted((await clients.personio.departments()).items())


PERSONIO_HIRES = whole("personio.employments_of_hires",
                       lambda clients, matchings: _employments(clients, hires(matchings)), after=MATCHED)
PERSONIO_LEAVERS = whole("personio.employments_of_leavers",
                         lambda clients, matchings: _employments(clients, leavers(matchings)), after=MATCHED)
PERSONIO_DEPARTMENTS = whole("personio.departments", _departments)  # (org unit id, name)

# Who is who: every run reads both systems' people, whatever the directions.
IDENTITY = (MOCO_USERS, PERSONIO_PERSONS)
