"""The spec's people section: hires and leavers Personio → MOCO (issue 24), off by default; the MOCO team a
created user joins, by name, with a default and a team per Personio department."""

from __future__ import annotations

import pytest

from reconciler.spec import parse_spec
from reconciler.spec.defaults import defaults_of
from reconciler.spec.describe import describe_spec
from reconciler.spec.model import PeopleSettings, normalise_department_name
from tests.spec.test_spec import TODAY, VALID, problems_of

OFF = PeopleSettings(create_in_moco=False, archive_in_moco=False, welcome_email=False, default_team=None,
                     teams_by_department=())
NOT_SYNCED = "people: not synced (people.create_in_moco and people.archive_in_moco: false)"


def people_line(spec_text: str) -> str:
    lines = [line for line in describe_spec(parse_spec(spec_text, today=TODAY), TODAY) if line.startswith("people")]
    assert len(lines) == 1, lines
    return lines[0]


# ----------------------------------------------------------------------------- good specs


@pytest.mark.parametrize(
    "people",
    ["", "people:\n", "people: null\n", "people: {}\n", "people:\n  unit:\n", "people:\n  unit: {}\n",
     "people:\n  unit:\n    default:\n    by_department:\n"],
    ids=["absent", "empty", "null", "empty-mapping", "empty-unit", "empty-unit-mapping", "empty-unit-keys"])
def test_a_spec_without_people_settings_creates_and_archives_no_one(people):
    assert parse_spec(VALID + people, today=TODAY).people == OFF
    assert defaults_of("people") == {"create_in_moco": False, "archive_in_moco": False, "welcome_email": False,
                                     "unit": {"default": None, "by_department": {}}}


def test_every_setting_is_read_and_names_lose_their_surrounding_spaces():
    text = VALID + ("people:\n  create_in_moco: true\n  archive_in_moco: true\n  welcome_email: true\n  unit:\n"
                    "    default: ' Team Berlin '\n    by_department:\n      Engineering: Development\n"
                    "      ' Sales ': '  Sales & Marketing'\n")
    assert parse_spec(text, today=TODAY).people == PeopleSettings(
        create_in_moco=True, archive_in_moco=True, welcome_email=True, default_team="Team Berlin",
        teams_by_department=(("Engineering", "Development"), ("Sales", "Sales & Marketing")))


def test_one_setting_leaves_the_others_at_their_defaults():
    assert parse_spec(VALID + "people: {archive_in_moco: true}\n", today=TODAY).people == PeopleSettings(
        create_in_moco=False, archive_in_moco=True, welcome_email=False, default_team=None, teams_by_department=())
    spec = parse_spec(VALID + "people:\n  unit: {default: Staff}\n", today=TODAY)
    assert spec.people.default_team == "Staff" and not spec.people.create_in_moco


def test_teams_may_be_named_while_hires_are_not_created():
    """Only create_in_moco needs a default team; mapping departments without it is allowed (and unused)."""
    spec = parse_spec(VALID + "people:\n  unit:\n    by_department: {Engineering: Development}\n", today=TODAY)
    assert spec.people.teams_by_department == (("Engineering", "Development"),) and spec.people.default_team is None


def test_department_names_compare_ignoring_case_and_surrounding_spaces():
    assert normalise_department_name("  Engineering ") == normalise_department_name("ENGINEERING")


# ----------------------------------------------------------------------------- broken specs


@pytest.mark.parametrize(
    ("extra", "where", "path", "words"),
    [
        pytest.param("people:\n  create_in_moco: true\n", "11:3", "people.create_in_moco",
                     "is true, but a hire whose department maps to no team needs a team: set people.unit.default",
                     id="create-without-default-team"),
        pytest.param("people:\n  create_in_moco: true\n  unit:\n    by_department: {Engineering: Development}\n",
                     "11:3", "people.create_in_moco", "set people.unit.default", id="create-with-departments-only"),
        pytest.param("people:\n  create_in_moco: true\n  unit:\n    default: null\n", "11:3",
                     "people.create_in_moco", "set people.unit.default", id="create-with-null-default"),
        pytest.param("people:\n  unit:\n    by_department:\n      Engineering: Development\n"
                     "      engineering: Platform\n", "14:7", "people.unit.by_department.engineering",
                     "names the same Personio department as 'Engineering' (names compare case-insensitively)",
                     id="department-twice"),
        pytest.param("people:\n  unit:\n    by_department:\n      Sales: Sales\n      ' SALES': Sales\n", "14:7",
                     "people.unit.by_department[\" SALES\"]", "names the same Personio department as 'Sales'",
                     id="department-twice-with-spaces"),
        pytest.param("people:\n  unit:\n    default: '   '\n", "12:5", "people.unit.default",
                     "is only spaces; write the name of a MOCO team", id="default-team-spaces"),
        pytest.param("people:\n  unit:\n    by_department: {Engineering: ' '}\n", "12:21",
                     "people.unit.by_department.Engineering", "is only spaces; write the name of a MOCO team",
                     id="department-team-spaces"),
        pytest.param("people:\n  unit:\n    by_department: {'  ': Development}\n", "12:21",
                     "people.unit.by_department[\"  \"]",
                     "'  ' is only spaces; write the name of a Personio department", id="department-spaces"),
        pytest.param("people:\n  unit:\n    default: ''\n", "12:5", "people.unit.default", "must not be empty",
                     id="default-team-empty"),
        pytest.param("people:\n  unit:\n    by_department: {Engineering: ''}\n", "12:21",
                     "people.unit.by_department.Engineering", "must not be empty", id="department-team-empty"),
        pytest.param("people:\n  unit:\n    by_department: {'': Development}\n", "12:5",
                     "people.unit.by_department", "must not be empty", id="department-empty"),
        pytest.param("people:\n  unit:\n    default: [Staff]\n", "12:5", "people.unit.default",
                     "must be text, not a list", id="default-team-not-text"),
        pytest.param("people:\n  unit: Staff\n", "11:3", "people.unit",
                     "must be a mapping (key: value lines), not 'Staff'", id="unit-not-a-mapping"),
        pytest.param("people:\n  create_in_moco: yes please\n", "11:3", "people.create_in_moco",
                     "must be true or false, not 'yes please'", id="create-not-a-flag"),
        pytest.param("people:\n  archive: true\n", "11:3", "people.archive",
                     "unknown key (did you mean 'archive_in_moco'?); allowed here: create_in_moco, archive_in_moco, "
                     "welcome_email, unit", id="unknown-key"),
        pytest.param("people:\n  unit:\n    teams: {}\n", "12:5", "people.unit.teams",
                     "unknown key; allowed here: default, by_department", id="unknown-unit-key"),
        pytest.param("people: [create_in_moco]\n", "10:1", "people", "must be a mapping (key: value lines), not a list",
                     id="not-a-mapping"),
    ],
)
def test_broken_people_settings_name_line_path_and_problem(extra, where, path, words):
    problems = problems_of(VALID + extra)
    assert any(p.startswith(f"spec.yaml:{where}: {path}: ") and words in p for p in problems), problems


def test_a_blank_default_team_is_one_problem_not_also_a_missing_one():
    assert problems_of(VALID + "people:\n  create_in_moco: true\n  unit: {default: ' '}\n") == [
        "spec.yaml:12:10: people.unit.default: is only spaces; write the name of a MOCO team"]


def test_create_with_a_default_team_is_valid_and_the_team_is_not_looked_up_offline():
    spec = parse_spec(VALID + "people: {create_in_moco: true, unit: {default: No Such Team}}\n", today=TODAY)
    assert spec.people.create_in_moco and spec.people.default_team == "No Such Team"


# ----------------------------------------------------------------------------- validate's description


def test_the_description_says_people_are_not_synced_by_default():
    assert people_line(VALID) == NOT_SYNCED
    assert people_line(VALID + "people: {welcome_email: true, unit: {default: Staff}}\n") == NOT_SYNCED


def test_the_description_names_both_halves_when_both_are_on():
    text = VALID + ("people:\n  create_in_moco: true\n  archive_in_moco: true\n  unit:\n    default: Team Berlin\n"
                    "    by_department: {Engineering: Development, Sales: Sales}\n")
    assert people_line(text) == ("people Personio → MOCO: hires become MOCO users (team Team Berlin; 2 departments "
                                 "mapped), leavers are archived after their last day")


def test_the_description_names_only_the_half_that_is_on():
    assert people_line(VALID + "people: {create_in_moco: true, unit: {default: Staff}}\n") == (
        "people Personio → MOCO: hires become MOCO users (team Staff)")
    assert people_line(VALID + "people: {create_in_moco: true, welcome_email: true, unit: {default: Staff, "
                               "by_department: {Engineering: Development}}}\n") == (
        "people Personio → MOCO: hires become MOCO users (team Staff; 1 department mapped; MOCO sends its welcome "
        "email)")
    assert people_line(VALID + "people: {archive_in_moco: true, unit: {default: Staff}}\n") == (
        "people Personio → MOCO: leavers are archived after their last day")


def test_the_description_comes_right_after_the_holidays_line():
    lines = describe_spec(parse_spec(VALID, today=TODAY), TODAY)
    assert lines[lines.index(NOT_SYNCED) - 1].startswith("holidays")
