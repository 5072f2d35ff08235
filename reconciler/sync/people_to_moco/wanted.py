"""What the employee lifecycle wants, decided from both systems' records (issue 24, work in progress: the
direction around it, its changes and apply steps, come next). Pure.

- A hire's MOCO team: the team their Personio department maps to (`people.unit.by_department`, departments
  compared ignoring case and surrounding spaces), else `people.unit.default`; team names are found in MOCO's
  `GET /units`, exactly, else ignoring case when that names one team; none, or two, is a `PlanError` naming the
  spec key, with a did-you-mean.
- A hire's MOCO work pattern: Personio's weekly hours spread evenly over Monday to Friday, half each morning
  and afternoon, to the hundredth of an hour; what rounding leaves goes to Friday afternoon, so the week sums
  to the hours Personio says.
- Who is hired, who left: `hire` and `leaver` below.
"""

from __future__ import annotations

import difflib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from reconciler.errors import PlanError
from reconciler.records import MocoUnit, PersonioEmployment
from reconciler.spec.model import PeopleSettings, normalise_department_name

WORKDAYS = 5
HUNDREDTH = 100  # hours are kept to the hundredth


def weekly_pattern(hours: float) -> tuple[tuple[float, ...], tuple[float, ...]]:
    """`hours` a week as MOCO's (mornings, afternoons) Monday to Friday: 40 → 4.0 each half day; 38.3 → 3.83
    everywhere but Friday afternoon, 3.83 + what rounding left (the week sums to 38.3 exactly, in hundredths)."""
    if hours <= 0:
        raise ValueError(f"a week of {hours:g} hours has no pattern")
    total = round(hours * HUNDREDTH)
    each = total // (2 * WORKDAYS)
    left = total - each * 2 * WORKDAYS
    am = tuple(each / HUNDREDTH for _ in range(WORKDAYS))
    pm = tuple((each + (left if day == WORKDAYS - 1 else 0)) / HUNDREDTH for day in range(WORKDAYS))
    return am, pm


def find_team(name: str, units: Sequence[MocoUnit], key: str) -> MocoUnit:
    """The MOCO team `name` (as `key` in the spec names it): exactly, else the one team equal ignoring case."""
    exact = [unit for unit in units if unit.name == name]
    if len(exact) == 1:
        return exact[0]
    alike = [unit for unit in units if unit.name.strip().casefold() == name.strip().casefold()]
    if len(exact) > 1 or len(alike) > 1:
        raise PlanError(f"{key}: {len(exact) or len(alike)} MOCO teams are called {name!r}; rename one in MOCO, "
                        "as reconcile finds teams by name")
    if alike:
        return alike[0]
    names = sorted({unit.name for unit in units})
    close = difflib.get_close_matches(name, names, n=1, cutoff=0.6)
    hint = f"did you mean {close[0]!r}?" if close else "MOCO has: " + (", ".join(map(repr, names)) or "no team")
    raise PlanError(f"{key}: no MOCO team {name!r} ({hint})")


def team_keys(settings: PeopleSettings) -> list[tuple[str, str]]:
    """Each team name the spec gives, with its key: the default first, then by department in file order."""
    named = [("people.unit.default", settings.default_team)] if settings.default_team is not None else []
    return named + [(f"people.unit.by_department.{department}", team)
                    for department, team in settings.teams_by_department]


def team_for(department: str | None, settings: PeopleSettings, units: Sequence[MocoUnit]) -> MocoUnit:
    """A hire's team: their department's, else the default (validate makes sure there is one)."""
    if department is not None:
        wanted = normalise_department_name(department)
        for name, team in settings.teams_by_department:
            if normalise_department_name(name) == wanted:
                return find_team(team, units, f"people.unit.by_department.{name}")
    if settings.default_team is None:
        raise PlanError("people.unit.default: not set, and a hire's department maps to no team")
    return find_team(settings.default_team, units, "people.unit.default")


def current(employments: Sequence[PersonioEmployment]) -> PersonioEmployment | None:
    """The employment that speaks for a person: Personio lists the most recent first."""
    return employments[0] if employments else None


@dataclass(frozen=True)
class Hire:
    """A MOCO user to create today, with an employment where Personio gives weekly hours."""

    employment: PersonioEmployment
    start: date
    pattern: tuple[tuple[float, ...], tuple[float, ...]] | None  # None: no weekly hours in Personio


def hire(employments: Sequence[PersonioEmployment], today: date) -> Hire | str:
    """Whether an employed person without a MOCO user is hired today: a `Hire`, or why not (a sentence without
    their name, which the caller adds). Created on or after the hire date, never before; never when the
    employment already ended."""
    employment = current(employments)
    if employment is None or employment.start is None:
        return "Personio gives no hire date (allow the credential to read employments' start_date)"
    if employment.start > today:
        return f"starts {employment.start}: the MOCO user is created on that day"
    if employment.end is not None and employment.end < today:
        return f"left on {employment.end}"
    hours = employment.weekly_hours
    return Hire(employment, employment.start, weekly_pattern(hours) if hours and hours > 0 else None)


@dataclass(frozen=True)
class Leaver:
    """A MOCO user to archive, their open employments ended on `last_day`."""

    last_day: date
    said: bool  # whether Personio gave the day (else: yesterday, the day before the run that saw them gone)


def leaver(employments: Sequence[PersonioEmployment], today: date) -> Leaver | str:
    """Whether a person Personio no longer employs (INACTIVE) is archived in MOCO now: after their last day."""
    employment = current(employments)
    end = employment.end if employment is not None else None
    if end is None:
        return Leaver(today - timedelta(days=1), said=False)
    if end >= today:
        return f"inactive in Personio, but employed until {end}: archived after that day"
    return Leaver(end, said=True)
