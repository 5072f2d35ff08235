"""The people direction's doctor checks (issue 24): `moco-units`, `personio-departments`, `personio-leavers`, and
`personio-employments` where the spec switches the direction on; against the sandbox, and their judgements pure."""

from __future__ import annotations

import re
from dataclasses import replace

import pytest

from reconciler.doctor.model import NAMES
from reconciler.doctor.people import judge_departments, judge_leavers, judge_units
from reconciler.doctor.personio_employments import judge
from reconciler.records import MocoUnit, PersonioEmployment
from reconciler.sandbox import Fault
from reconciler.spec.model import PEOPLE_OFF as OFF
from reconciler.spec.model import PeopleSettings
from tests.conftest import TODAY
from tests.doctor.conftest import doctor
from tests.doctor.test_doctor_sandbox import people as everyone_named

PEOPLE_CHECKS = ("moco-units", "personio-departments", "personio-leavers")
# The sandbox's teams are Team 1, Development and Sales (sandbox/moco/records.py), its departments Engineering
# and Sales (sandbox/personio/records.py); one person is INACTIVE, terminated 30 days before today.
ON = """
people:
  create_in_moco: {create}
  archive_in_moco: {archive}
  welcome_email: false
  unit:
    default: {default}
    by_department:
      {department}: {team}
"""


def with_people(spec, *, create="true", archive="true", default="Team 1", department="Engineering",
                team="Development"):
    spec.write_text(spec.read_text() + ON.format(create=create, archive=archive, default=default,
                                                 department=department, team=team))
    return spec


# ------------------------------------------------------------------------------------------------ the sandbox


def test_off_every_people_check_skips_saying_why(setup):
    ran = doctor(setup, "--format", "json")
    assert ran.code == 0
    for name in PEOPLE_CHECKS:
        assert ran.statuses[name] == "skip" and ran.detail(name) == OFF
    assert ran.statuses["personio-employments"] == "pass"


def test_on_against_the_seeded_company_every_people_check_passes(setup, sandbox):
    ran = doctor(with_people(setup), "--format", "json")
    assert ran.code == 0, ran.output
    assert {name: ran.statuses[name] for name in (*PEOPLE_CHECKS, "personio-employments")} == \
        dict.fromkeys((*PEOPLE_CHECKS, "personio-employments"), "pass"), \
        {name: ran.detail(name) for name in PEOPLE_CHECKS}
    assert ran.detail("moco-units") == ("3 teams; the 2 team names the spec gives (people.unit.default, "
                                        "people.unit.by_department) found")
    assert "the key of people.unit.by_department names one of them" in ran.detail("personio-departments")
    assert ran.detail("personio-leavers").startswith("the 1 inactive person has a termination date")
    assert ran.detail("personio-employments").endswith(
        "people.create_in_moco and people.archive_in_moco are true")
    words, ids = everyone_named(sandbox)
    text = " ".join(ran.detail(name) for name in NAMES)
    assert not [word for word in words if re.search(rf"(?<![\w.]){re.escape(word)}(?![\w])", text, re.I)]
    assert not [ident for ident in ids if re.search(rf"\b{ident}\b", text)]
    assert not re.search(r"\d{4}-\d{2}-\d{2}", " ".join(ran.detail(name) for name in PEOPLE_CHECKS))


def test_a_team_moco_does_not_have_fails_with_the_key_and_a_did_you_mean(setup):
    ran = doctor(with_people(setup, team="Developmnt"), "--format", "json")
    assert ran.code == 1 and ran.statuses["moco-units"] == "fail"
    assert "people.unit.by_department.Engineering: no MOCO team 'Developmnt' (did you mean 'Development'?)" in \
        ran.detail("moco-units")


def test_teams_are_only_read_where_hires_are_not_created(setup):
    ran = doctor(with_people(setup, create="false", default="Nowhere"), "--format", "json")
    assert ran.code == 0 and ran.statuses["moco-units"] == "pass"
    assert "people.create_in_moco is false: no team is looked up" in ran.detail("moco-units")
    assert ran.statuses["personio-departments"] == "skip"
    assert ran.statuses["personio-leavers"] == "pass"


def test_units_refused_fail_naming_the_rights(setup, sandbox):
    sandbox.add_fault("moco", Fault(method="GET", path="/api/v1/units", status=403, times=1))
    ran = doctor(with_people(setup), "--format", "json")
    assert ran.code == 1 and ran.statuses["moco-units"] == "fail"
    assert ran.detail("moco-units").startswith("GET /api/v1/units was refused (403)")
    assert "staff rights" in ran.detail("moco-units")


def test_a_department_personio_does_not_list_warns(setup):
    ran = doctor(with_people(setup, department="Marketing", team="Sales"), "--format", "json")
    assert ran.code == 0 and ran.statuses["personio-departments"] == "warn"
    assert "('Marketing'; compared ignoring case): hires in it get the default team" in \
        ran.detail("personio-departments")


def test_departments_compare_ignoring_case(setup):
    ran = doctor(with_people(setup, department="engineering"), "--format", "json")
    assert ran.statuses["personio-departments"] == "pass"


def test_a_leaver_without_a_termination_date_warns(setup, sandbox):
    for person in sandbox.world.personio.persons.values():
        if person.status == "INACTIVE":
            person.termination_date = None
    ran = doctor(with_people(setup), "--format", "json")
    assert ran.code == 0 and ran.statuses["personio-leavers"] == "warn"
    assert ran.detail("personio-leavers").startswith(
        "1 of 1 inactive person has no termination date readable: their MOCO users are archived with the "
        "employment ended the day before the run")


def test_leavers_whose_employments_are_refused_fail_without_the_persons_id(setup, sandbox):
    leaver = next(p for p in sandbox.world.personio.persons.values() if p.status == "INACTIVE")
    sandbox.add_fault("personio", Fault(method="GET", path=f"/v2/persons/{leaver.id}/employments", status=500,
                                        times=20))
    ran = doctor(with_people(setup), "--format", "json")
    assert ran.statuses["personio-leavers"] == "fail", ran.detail("personio-leavers")
    assert "/v2/persons/{id}/employments" in ran.detail("personio-leavers")
    assert leaver.id not in ran.detail("personio-leavers")


def test_employments_refused_fail_where_the_direction_is_on(setup, sandbox):
    person = min(sandbox.world.personio.persons, key=int)
    sandbox.add_fault("personio", Fault(method="GET", path=f"/v2/persons/{person}/employments", status=403, times=1))
    ran = doctor(with_people(setup, archive="false"), "--format", "json")
    assert ran.statuses["personio-employments"] == "fail" and ran.code == 1
    assert ran.detail("personio-employments").startswith("GET /v2/persons/{id}/employments was refused (403")
    assert "people.create_in_moco is true" in ran.detail("personio-employments")


@pytest.mark.parametrize("drop, create, archive, status, says", [
    ("start_date", "true", "false", "fail", "start_date missing: no hire is created"),
    ("start_date", "false", "true", "warn", "start_date missing (people.create_in_moco is false: not read yet)"),
    ("termination_date", "false", "true", "warn", "termination_date missing: leavers' MOCO users are archived"),
    ("termination_date", "true", "false", "warn", "termination_date missing (people.archive_in_moco is false"),
    ("weekly_working_hours", "true", "true", "warn", "weekly_working_hours missing: hires are created without an "
                                                     "employment"),
])
def test_a_missing_attribute_fails_where_it_makes_the_direction_wrong(setup, monkeypatch, drop, create, archive,
                                                                      status, says):
    from reconciler.sandbox.personio import employments as stand_in

    shown = stand_in.employment_json
    monkeypatch.setattr(stand_in, "employment_json", lambda person, *, sparse=False: {
        key: value for key, value in shown(person, sparse=sparse).items() if key != drop})
    ran = doctor(with_people(setup, create=create, archive=archive), "--format", "json")
    assert ran.statuses["personio-employments"] == status, ran.detail("personio-employments")
    assert says in ran.detail("personio-employments")
    assert ran.code == (1 if status == "fail" else 0)


# ------------------------------------------------------------------------------------------------ judgements

SETTINGS = PeopleSettings(create_in_moco=True, archive_in_moco=True, welcome_email=False, default_team="Team 1",
                          teams_by_department=(("Engineering", "Development"), ("Sales", "Sales")))
UNITS = [MocoUnit(1, "Team 1"), MocoUnit(2, "Development"), MocoUnit(3, "Sales")]


def employment(person: str, end: str | None, fields: frozenset[str] = frozenset({"termination_date"})
               ) -> PersonioEmployment:
    from datetime import date

    return PersonioEmployment(id=f"e{person}", person_id=person, start=None,
                              end=date.fromisoformat(end) if end else None, weekly_hours=None, department_id=None,
                              fields=fields)


def test_units_found_exactly_or_ignoring_case_pass():
    assert judge_units(UNITS, SETTINGS).status == "pass"
    assert judge_units(UNITS, replace(SETTINGS, default_team="team 1")).status == "pass"


def test_units_two_of_one_name_or_none_fail_naming_each_key():
    check = judge_units([*UNITS, MocoUnit(4, "Sales")], replace(SETTINGS, default_team="Tem 1"))
    assert check.status == "fail"
    assert "people.unit.default: no MOCO team 'Tem 1' (did you mean 'Team 1'?)" in check.detail
    assert "people.unit.by_department.Sales: 2 MOCO teams are called 'Sales'" in check.detail
    assert judge_units([], SETTINGS).detail.startswith("0 teams; people.unit.default: no MOCO team 'Team 1' "
                                                       "(MOCO has: no team)")


def test_departments_missing_warn_and_listed_pass():
    assert judge_departments({"1": "Engineering", "2": " sales "}, SETTINGS).status == "pass"
    check = judge_departments({"1": "Engineering"}, SETTINGS)
    assert check.status == "warn" and "1 of the 2 keys of people.unit.by_department names none" in check.detail
    assert "'Sales'" in check.detail
    assert "hires in it get the default team" in check.detail


def test_leavers_judged_by_their_most_recent_employment():
    assert judge_leavers(10, 0, [], []).detail == "no inactive person among 10 persons: nobody to archive in MOCO"
    ended = [employment("1", "2026-10-31"), employment("2", "2026-09-30")]
    assert judge_leavers(10, 2, ["1", "2"], ended).status == "pass"
    # Person 2's most recent employment (listed first) has no end; person 3 has none at all.
    mixed = [employment("1", "2026-10-31"), employment("2", None), employment("2", "2020-01-31")]
    check = judge_leavers(10, 7, ["1", "2", "3"], mixed)
    assert check.status == "warn"
    assert check.detail.startswith("2 of 3 inactive persons have no termination date readable")
    assert "1 of them without the attribute" in check.detail and "the first 3 of 7 inactive persons" in check.detail
    assert "2026" not in check.detail and TODAY.isoformat() not in check.detail


def test_the_employment_judgement_off_is_unchanged_and_on_fails_what_the_direction_needs():
    row = {"id": "e1", "person": {"id": "1"}, "status": "ACTIVE", "start_date": "2020-01-01",
           "termination_date": None, "weekly_working_hours": 40, "org_units": []}
    assert judge([row]).status == "pass" and "no direction" not in judge([row]).detail
    sparse = {"id": "e1", "person": {"id": "1"}, "status": "ACTIVE"}
    assert judge([sparse]).status == "warn" and "no direction syncs people yet" in judge([sparse]).detail
    on = judge([sparse], "", SETTINGS)
    assert on.status == "fail" and "start_date missing" in on.detail and "termination_date missing" in on.detail
    unreadable = {**row, "start_date": "soon"}
    assert judge([unreadable]).status == "warn" and judge([unreadable], "", SETTINGS).status == "fail"
    assert judge([], "", SETTINGS).status == "warn"
    refused = "the departments list (GET /v2/org-units?type=DEPARTMENT) was refused (403)"
    assert judge([row], refused, SETTINGS).status == "warn"
