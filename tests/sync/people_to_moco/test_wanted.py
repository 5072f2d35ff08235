"""The employee lifecycle's pure decisions: teams, patterns, who is hired and who left."""

from __future__ import annotations

from datetime import date

import pytest

from reconciler.errors import PlanError
from reconciler.records import MocoUnit, PersonioEmployment
from reconciler.spec.model import PeopleSettings
from reconciler.sync.people_to_moco.wanted import Hire, Leaver, find_team, hire, leaver, team_for, weekly_pattern

TODAY = date(2026, 12, 7)
UNITS = (MocoUnit(1, "Team 1"), MocoUnit(2, "Development"), MocoUnit(3, "Sales"))


def settings(default="Team 1", **by_department):
    return PeopleSettings(create_in_moco=True, archive_in_moco=True, welcome_email=False, default_team=default,
                          teams_by_department=tuple(by_department.items()))


def employment(start="2026-12-01", end=None, hours=40.0):
    return PersonioEmployment(id="e1", person_id="p1", start=date.fromisoformat(start) if start else None,
                              end=date.fromisoformat(end) if end else None, weekly_hours=hours, department_id=None,
                              fields=frozenset({"start_date", "termination_date", "weekly_working_hours"}))


@pytest.mark.parametrize(("hours", "am", "pm"), [
    (40, (4.0,) * 5, (4.0,) * 5),
    (37.5, (3.75,) * 5, (3.75,) * 5),
    (38.3, (3.83,) * 5, (3.83,) * 4 + (3.83,)),
    (38.37, (3.83,) * 5, (3.83,) * 4 + (3.9,)),
    (20, (2.0,) * 5, (2.0,) * 5),
])
def test_weekly_hours_spread_evenly_and_the_week_sums_exactly(hours, am, pm):
    pattern = weekly_pattern(hours)
    assert pattern == (am, pm)
    assert round(sum(pattern[0]) + sum(pattern[1]), 2) == hours


def test_no_hours_have_no_pattern():
    with pytest.raises(ValueError):
        weekly_pattern(0)


def test_teams_are_found_exactly_else_ignoring_case_else_an_error_with_a_hint():
    assert find_team("Development", UNITS, "k") == UNITS[1]
    assert find_team("development ", UNITS, "k") == UNITS[1]
    with pytest.raises(PlanError, match=r"people.unit.default: no MOCO team 'Developmnet' \(did you mean "
                                        r"'Development'\?\)"):
        find_team("Developmnet", UNITS, "people.unit.default")
    with pytest.raises(PlanError, match=r"k: no MOCO team 'Marketing' \(MOCO has: 'Development', 'Sales', 'Team 1'\)"):
        find_team("Marketing", UNITS, "k")
    with pytest.raises(PlanError, match="2 MOCO teams are called 'Sales'"):
        find_team("Sales", (*UNITS, MocoUnit(4, "Sales")), "k")


def test_a_department_maps_to_its_team_else_the_default():
    spec = settings(Engineering="Development")
    assert team_for(" engineering", spec, UNITS) == UNITS[1]
    assert team_for("Finance", spec, UNITS) == UNITS[0]
    assert team_for(None, spec, UNITS) == UNITS[0]
    with pytest.raises(PlanError, match="people.unit.by_department.Engineering: no MOCO team 'Devs'"):
        team_for("Engineering", settings(Engineering="Devs"), UNITS)


def test_a_hire_is_created_on_or_after_the_hire_date_never_before():
    made = hire([employment("2026-12-07")], TODAY)
    assert isinstance(made, Hire) and made.start == TODAY and made.pattern == ((4.0,) * 5, (4.0,) * 5)
    assert isinstance(hire([employment("2026-03-01")], TODAY), Hire)  # switched on later: from the real start
    assert hire([employment("2026-12-14")], TODAY) == "starts 2026-12-14: the MOCO user is created on that day"
    assert hire([employment("2026-01-01", end="2026-06-30")], TODAY) == "left on 2026-06-30"
    assert hire([], TODAY).startswith("Personio gives no hire date")
    assert hire([employment(None)], TODAY).startswith("Personio gives no hire date")


def test_a_hire_without_weekly_hours_gets_a_user_without_a_pattern():
    made = hire([employment(hours=None)], TODAY)
    assert isinstance(made, Hire) and made.pattern is None


def test_the_most_recent_employment_speaks():
    newer, older = employment("2026-12-01"), employment("2020-01-01", end="2025-12-31")
    assert isinstance(hire([newer, older], TODAY), Hire)


def test_a_leaver_is_archived_after_the_last_day():
    assert leaver([employment("2020-01-01", end="2026-12-06")], TODAY) == Leaver(date(2026, 12, 6), said=True)
    assert leaver([employment("2020-01-01", end="2026-12-07")], TODAY) == (
        "inactive in Personio, but employed until 2026-12-07: archived after that day")
    assert leaver([employment("2020-01-01")], TODAY) == Leaver(date(2026, 12, 6), said=False)
    assert leaver([], TODAY) == Leaver(date(2026, 12, 6), said=False)
