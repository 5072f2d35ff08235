"""The Personio stand-in's employments (`GET /v2/persons/{id}/employments`) and departments (`GET /v2/org-units`):
their shape, pages, limits, errors and scope; the side door changing an employment and the event it raises; and
the real client reading what the stand-in serves."""

from __future__ import annotations

import asyncio
from datetime import date

import pytest

from reconciler.records import PersonioEmployment
from reconciler.sandbox.personio.records import EMPLOYMENT_EVENTS, ENGINEERING, SALES
from reconciler.sandbox.seed import SeedParams, generate_world
from reconciler.spec import parse_spec
from reconciler.systems.connect import open_clients, read_credentials
from tests.conftest import TODAY, side_door
from tests.sandbox.test_personio_contract import walk


def first(sandbox):
    return next(iter(sandbox.world.personio.persons.values()))


def detail(answer) -> str:
    return answer.json()["errors"][0]["detail"]


def test_an_employment_carries_the_fields_reconcile_reads(personio, sandbox):
    person = first(sandbox)
    answer = personio("GET", f"/v2/persons/{person.id}/employments")
    assert answer.status == 200
    [shown] = answer.json()["_data"]
    assert {k: v for k, v in shown.items() if k != "_meta"} == {
        "id": person.employment_id, "person": {"id": person.id}, "status": "ACTIVE",
        "start_date": person.hire_date, "termination_date": None, "weekly_working_hours": 40.0,
        "org_units": [{"id": ENGINEERING, "type": "department"}]}


def test_the_seeded_employments_follow_fixed_rules(sandbox):
    persons = list(sandbox.world.personio.persons.values())
    hires = [p.hire_date for p in persons]
    assert hires == sorted(hires) and all(h is not None and h < "2026-01-01" for h in hires)
    assert {p.termination_date is not None for p in persons if p.status == "INACTIVE"} == {True}
    assert all(p.termination_date is None for p in persons if p.status != "INACTIVE")
    assert [p.department_id for p in persons[:4]] == [ENGINEERING, ENGINEERING, SALES, SALES]
    assert {p.weekly_hours for p in persons} >= {40.0, 32.0, 25.0}  # the MOCO patterns in force today
    # Fixed rules, no random draw: another seed gives the same employments to the same positions.
    again = list(generate_world(SeedParams(seed=2, people=12, today=TODAY)).personio.persons.values())
    assert [(p.hire_date, p.weekly_hours, p.department_id) for p in again][:3] == \
        [(p.hire_date, p.weekly_hours, p.department_id) for p in persons][:3]


def test_an_unknown_person_is_404(personio):
    answer = personio("GET", "/v2/persons/999999999/employments")
    assert answer.status == 404
    assert answer.header("Content-Type").startswith("application/problem+json")


@pytest.mark.parametrize(("limit", "status"), [("1", 200), ("50", 200), ("51", 400), ("0", 400)])
def test_limit_is_one_to_fifty(personio, sandbox, limit, status):
    answer = personio("GET", f"/v2/persons/{first(sandbox).id}/employments?limit={limit}")
    assert answer.status == status
    if status == 400:
        assert "limit" in detail(answer)


def test_pages_by_cursor_and_filters_by_id(personio, sandbox):
    person = first(sandbox)
    items, pages = walk(personio, f"/v2/persons/{person.id}/employments?limit=1")
    assert [e["id"] for e in items] == [person.employment_id] and pages == 1
    none, _ = walk(personio, f"/v2/persons/{person.id}/employments?id=someone-else")
    assert none == []


def test_sparse_under_the_sparse_persons_knob(personio, sandbox):
    sandbox.knobs["personio"].update({"sparse_persons": True})
    [shown] = personio("GET", f"/v2/persons/{first(sandbox).id}/employments").json()["_data"]
    assert set(shown) == {"id", "person", "status", "_meta"}


def test_both_need_the_persons_read_scope(personio, sandbox):
    sandbox.world.personio.withheld_scopes.add("personio:persons:read")
    assert personio("GET", f"/v2/persons/{first(sandbox).id}/employments").status == 403
    assert personio("GET", "/v2/org-units?type=department").status == 403


def test_departments_are_listed_by_type(personio):
    items, _ = walk(personio, "/v2/org-units?type=DEPARTMENT&limit=1")
    assert items == [{"id": ENGINEERING, "name": "Engineering", "type": "department"},
                     {"id": SALES, "name": "Sales", "type": "department"}]
    assert walk(personio, "/v2/org-units?type=team")[0] == []
    missing = personio("GET", "/v2/org-units")
    assert missing.status == 400 and "type" in detail(missing)


def test_the_side_door_changes_an_employment_and_raises_employment_updated(personio, sandbox):
    state = sandbox.world.personio
    for config in state.webhooks.values():
        config.enabled_events = [*(config.enabled_events or ()), "person.updated", *EMPLOYMENT_EVENTS]
    person = first(sandbox)
    changed = side_door(sandbox, "PATCH", f"/records/personio/persons/{person.id}",
                        json_body={"termination_date": "2026-12-31", "weekly_hours": 32, "department_id": SALES})
    assert changed.status == 200
    [shown] = personio("GET", f"/v2/persons/{person.id}/employments").json()["_data"]
    assert (shown["termination_date"], shown["weekly_working_hours"], shown["org_units"]) == \
        ("2026-12-31", 32, [{"id": SALES, "type": "department"}])
    assert [(e.event_name, e.payload) for e in state.webhook_events] == [
        ("employment.updated", {"id": person.employment_id, "person": {"id": person.id}})]
    # A change of the person itself stays person.updated; both at once raise both.
    side_door(sandbox, "PATCH", f"/records/personio/persons/{person.id}",
              json_body={"first_name": "Janet", "hire_date": "2019-01-01"})
    assert [e.event_name for e in state.webhook_events][1:] == ["employment.updated", "person.updated"]


def test_the_client_reads_what_the_sandbox_serves(sandbox):
    spec = parse_spec(sandbox.spec_yaml(), today=TODAY)
    persons = list(sandbox.world.personio.persons.values())
    side_door(sandbox, "PATCH", f"/records/personio/persons/{persons[1].id}", json_body={"weekly_hours": None})

    async def scenario():
        async with open_clients(spec, read_credentials(spec, sandbox.env())) as clients:
            return (await clients.personio.employments([p.id for p in persons] + ["999999999"]),
                    await clients.personio.departments())

    found, departments = asyncio.run(scenario())
    assert departments == {ENGINEERING: "Engineering", SALES: "Sales"}
    by_person = {e.person_id: e for e in found}
    assert set(by_person) == {p.id for p in persons} and len(found) == len(persons)  # the unknown one: none
    olaf = next(p for p in persons if p.status == "INACTIVE")
    assert by_person[olaf.id] == PersonioEmployment(
        id=olaf.employment_id, person_id=olaf.id, start=date.fromisoformat(olaf.hire_date),
        end=date.fromisoformat(olaf.termination_date), weekly_hours=olaf.weekly_hours,
        department_id=olaf.department_id,
        fields=frozenset({"start_date", "termination_date", "weekly_working_hours", "department"}))
    assert by_person[persons[1].id].weekly_hours is None
    requests = [e for e in sandbox.log.entries if e.path.endswith("/employments")]
    assert len(requests) == len(persons) + 1  # one a person
