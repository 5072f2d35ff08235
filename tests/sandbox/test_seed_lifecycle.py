"""The seed's employee lifecycle (`SeedParams.lifecycle`, issue 24): hires without a MOCO user, a leaver and a
pending leaver with one, added on top of the seeded company; and the ready spec's section `people`
(`ready_spec(people=True)`, `Sandbox.spec_yaml(people=True)`)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import date, timedelta

import pytest

from reconciler.sandbox import Sandbox, SandboxThread
from reconciler.sandbox.personio.calendars import BERLIN
from reconciler.sandbox.personio.records import ENGINEERING, SALES
from reconciler.sandbox.seed import SeedParams, generate_world, ready_spec
from reconciler.sandbox.seed.people import EMPLOYED_SINCE, LIFECYCLE, lifecycle_switch
from reconciler.sandbox.seed.ready import PEOPLE_SECTION
from reconciler.spec import load_spec
from reconciler.spec.model import PeopleSettings
from tests.conftest import TODAY, Moco, Personio
from tests.sandbox.test_personio_contract import walk

PARAMS = SeedParams(seed=1, people=12, today=TODAY)
LIFECYCLE_PARAMS = replace(PARAMS, lifecycle=True)
EMAILS = {case.email for case in LIFECYCLE.values()}
MOCO_URL, PERSONIO_URL = "http://127.0.0.1:9001/api/v1", "http://127.0.0.1:9002"


def without_clock(dump: dict) -> dict:
    """A world's dump less the timestamps some records take from the wall clock."""
    return {service: {name: [{k: v for k, v in row.items() if not k.endswith("_at")} for row in rows]
                      for name, rows in collections.items()}
            for service, collections in dump.items()}


@pytest.fixture
def lifecycle_sandbox() -> Iterator[Sandbox]:
    with SandboxThread(Sandbox(LIFECYCLE_PARAMS)) as running:
        yield running


# ----------------------------------------------------------------------------- the seeded records


def test_lifecycle_is_off_by_default_and_off_adds_no_one():
    assert SeedParams().lifecycle is False
    world = generate_world(PARAMS)
    assert not EMAILS & {p.email for p in world.personio.persons.values()}
    assert not EMAILS & {u.email for u in world.moco.users.values()}
    assert (len(world.personio.persons), len(world.moco.users), len(world.moco.employments)) == (14, 15, 16)


def test_lifecycle_adds_its_people_after_every_other_record_and_changes_none():
    plain, grown = without_clock(generate_world(PARAMS).dump()), without_clock(generate_world(LIFECYCLE_PARAMS).dump())
    added = {f"{service}.{name}": len(grown[service][name]) - len(rows)
             for service, collections in plain.items() for name, rows in collections.items()}
    assert {name: n for name, n in added.items() if n} == {"moco.users": 2, "moco.employments": 3,
                                                           "personio.persons": 5}
    for service, collections in plain.items():
        for name, rows in collections.items():
            assert grown[service][name][:len(rows)] == rows, f"{service}.{name}"
    persons = list(generate_world(LIFECYCLE_PARAMS).personio.persons.values())[-5:]
    assert [(p.first_name, p.last_name, p.email) for p in persons] == \
        [(case.first, case.last, case.email) for case in LIFECYCLE.values()]
    assert {p.office for p in persons} == {BERLIN}


def test_the_cases_are_the_ones_the_lifecycle_decides_on():
    assert {key: (c.first, c.last, c.email) for key, c in LIFECYCLE.items()} == {
        "hire_due": ("Hanna", "Hirsch", "hanna.hirsch@acme.example"),
        "future_hire": ("Fiona", "Future", "fiona.future@acme.example"),
        "hourless_hire": ("Hugo", "Hourless", "hugo.hourless@acme.example"),
        "leaver": ("Lena", "Leaving", "lena.leaving@acme.example"),
        "pending_leaver": ("Paul", "Pending", "paul.pending@acme.example"),
    }


EXPECTED = {  # key: status, start_date, termination_date, weekly_working_hours, org_units
    "hire_due": ("ACTIVE", TODAY - timedelta(days=3), None, 40.0, [{"id": ENGINEERING, "type": "department"}]),
    "future_hire": ("ACTIVE", TODAY + timedelta(days=10), None, 32.0, [{"id": SALES, "type": "department"}]),
    "hourless_hire": ("ACTIVE", TODAY - timedelta(days=1), None, None, []),
    "leaver": ("INACTIVE", EMPLOYED_SINCE, TODAY - timedelta(days=1), 40.0,
               [{"id": ENGINEERING, "type": "department"}]),
    "pending_leaver": ("ACTIVE", EMPLOYED_SINCE, TODAY + timedelta(days=20), 40.0,
                       [{"id": SALES, "type": "department"}]),
}


@pytest.mark.parametrize("key", list(EXPECTED))
def test_each_persons_employment_as_personio_serves_it(lifecycle_sandbox, key):
    case = LIFECYCLE[key]
    person = next(p for p in lifecycle_sandbox.world.personio.persons.values() if p.email == case.email)
    assert (person.status, person.office) == (EXPECTED[key][0], BERLIN)
    answer = Personio(lifecycle_sandbox)("GET", f"/v2/persons/{person.id}/employments")
    assert answer.status == 200
    [shown] = answer.json()["_data"]
    status, start, end, hours, units = EXPECTED[key]
    assert (shown["status"], shown["start_date"], shown["termination_date"], shown["weekly_working_hours"],
            shown["org_units"]) == (status, start.isoformat(), end and end.isoformat(), hours, units)


def moco_users(sandbox: Sandbox, email: str) -> list[dict]:
    return moco_list(sandbox, f"/users?include_archived=true&email={email}")


def moco_list(sandbox: Sandbox, path: str) -> list[dict]:
    """A MOCO list that fits on one page."""
    answer = Moco(sandbox)("GET", path + ("&" if "?" in path else "?") + "per_page=100")
    assert answer.status == 200 and answer.header("Link") is None, answer.body
    return answer.json()


def moco_employments(sandbox: Sandbox, user_id: int) -> list[dict]:
    return moco_list(sandbox, f"/users/employments?user_id={user_id}")


def test_the_hires_have_no_moco_user(lifecycle_sandbox):
    for key in ("hire_due", "future_hire", "hourless_hire"):
        assert moco_users(lifecycle_sandbox, LIFECYCLE[key].email) == [], key


def test_the_leaver_has_an_active_moco_user_with_an_ended_and_an_open_employment(lifecycle_sandbox):
    [user] = moco_users(lifecycle_sandbox, LIFECYCLE["leaver"].email)
    assert (user["active"], user["extern"], user["firstname"], user["lastname"]) == (True, False, "Lena", "Leaving")
    ended, open_ = sorted(moco_employments(lifecycle_sandbox, user["id"]), key=lambda e: e["from"])
    switch = lifecycle_switch(TODAY)
    assert switch.year == TODAY.year - 1
    assert (ended["from"], ended["to"]) == (EMPLOYED_SINCE.isoformat(), (switch - timedelta(days=1)).isoformat())
    assert (open_["from"], open_["to"]) == (switch.isoformat(), None)
    assert date.fromisoformat(ended["to"]) < date(TODAY.year, 1, 1) <= TODAY
    assert {e["weekly_target_hours"] for e in (ended, open_)} == {40.0}


def test_the_pending_leaver_has_an_active_moco_user_with_one_open_employment(lifecycle_sandbox):
    [user] = moco_users(lifecycle_sandbox, LIFECYCLE["pending_leaver"].email)
    assert user["active"] is True
    [employment] = moco_employments(lifecycle_sandbox, user["id"])
    assert (employment["from"], employment["to"], employment["weekly_target_hours"]) == \
        (EMPLOYED_SINCE.isoformat(), None, 40.0)


# ----------------------------------------------------------------------------- the ready spec's people


def test_a_ready_spec_without_people_is_as_it_was():
    plain = ready_spec(PARAMS, MOCO_URL, PERSONIO_URL, (120, 120))
    assert ready_spec(PARAMS, MOCO_URL, PERSONIO_URL, (120, 120), people=False) == plain
    assert "people:" not in plain and plain.endswith("holidays:\n  sync: false\n")
    with_people = ready_spec(PARAMS, MOCO_URL, PERSONIO_URL, (120, 120), people=True)
    assert with_people == plain + PEOPLE_SECTION
    both = ready_spec(PARAMS, MOCO_URL, PERSONIO_URL, (120, 120), holidays=True, people=True)
    assert both == with_people.replace("holidays:\n  sync: false\n", "holidays:\n  sync: true\n")


def test_a_ready_spec_with_people_loads_and_creates_and_archives(tmp_path):
    path = tmp_path / "mapping.yaml"
    path.write_text(ready_spec(LIFECYCLE_PARAMS, MOCO_URL, PERSONIO_URL, (120, 120), people=True), encoding="utf-8")
    spec = load_spec(path, today=TODAY)
    assert spec.people == PeopleSettings(create_in_moco=True, archive_in_moco=True, welcome_email=False,
                                         default_team="Team 1", teams_by_department=(("Engineering", "Development"),))
    path.write_text(ready_spec(LIFECYCLE_PARAMS, MOCO_URL, PERSONIO_URL, (120, 120)), encoding="utf-8")
    assert load_spec(path, today=TODAY).people.create_in_moco is False


def test_the_sandboxs_spec_names_teams_and_departments_it_serves(lifecycle_sandbox, tmp_path):
    assert lifecycle_sandbox.spec_yaml(people=False) == lifecycle_sandbox.spec_yaml()
    path = tmp_path / "mapping.yaml"
    path.write_text(lifecycle_sandbox.spec_yaml(people=True), encoding="utf-8")
    people = load_spec(path, today=TODAY).people
    teams = moco_list(lifecycle_sandbox, "/units")
    departments, _ = walk(Personio(lifecycle_sandbox), "/v2/org-units?type=department")
    named = {people.default_team, *(team for _department, team in people.teams_by_department)}
    assert named <= {team["name"] for team in teams}
    assert {d for d, _team in people.teams_by_department} <= {d["name"] for d in departments}
