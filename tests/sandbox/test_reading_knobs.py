"""The knobs that play what the public docs leave open about reads (issue 19): absence periods without their
`approval`, MOCO's employments under either reading of "`to` can be left blank for all open ended
employments", and person statuses beyond ACTIVE and INACTIVE, stored through the side door."""

from __future__ import annotations

import pytest

from tests.conftest import side_door


def knobs(sandbox, body: dict):
    return side_door(sandbox, "PATCH", "/knobs", json_body=body)


def test_absence_approval_off_drops_the_approval_object_from_every_listed_period(personio, sandbox):
    listed = personio("GET", "/v2/absence-periods").json()["_data"]
    assert listed and all(p["approval"]["status"] for p in listed)
    assert knobs(sandbox, {"personio": {"absence_approval": False}}).status == 200
    listed = personio("GET", "/v2/absence-periods").json()["_data"]
    assert listed and not any("approval" in p for p in listed)
    assert all(p.status for p in sandbox.world.personio.absence_periods.values())  # the stored records keep it


def test_employments_without_to_under_either_reading(moco, sandbox):
    employments = sandbox.world.moco.employments.values()
    ended = {e.id for e in employments if e.to_date is not None}
    assert ended, "the seeded company has a pattern change"

    def listed(query: str) -> set[int]:
        return {e["id"] for e in moco("GET", f"/users/employments?from=1970-01-01{query}&per_page=100").json()}

    every = {e.id for e in employments}
    assert listed("") == every  # "all": today's reading
    assert knobs(sandbox, {"moco": {"employments_without_to": "open_ended"}}).status == 200
    assert listed("") == every - ended  # only those whose `to` is null
    assert listed("&to=2999-12-31") == every  # with `to`: every employment overlapping from..to


@pytest.mark.parametrize(("body", "said"), [
    ({"moco": {"employments_without_to": "closed"}}, "knob 'employments_without_to' takes 'all' or 'open_ended', "
                                                     "not 'closed'"),
    ({"personio": {"absence_approval": "false"}}, "knob 'absence_approval' takes true or false, not 'false'"),
    ({"personio": {"absence_approvals": False}}, "unknown knob 'absence_approvals'"),
])
def test_a_value_a_knob_does_not_take_is_refused_and_changes_nothing(sandbox, body, said):
    before = side_door(sandbox, "GET", "/knobs").json()
    answer = knobs(sandbox, {**body, "moco": {"latency": 0.001, **body.get("moco", {})}})
    assert answer.status == 400 and said in answer.json()["error"]
    after = side_door(sandbox, "GET", "/knobs").json()
    assert after["moco"]["employments_without_to"] == "all" and after["personio"]["absence_approval"] is True
    assert after["moco"]["latency"] == before["moco"]["latency"]  # nothing of the refused request was set


@pytest.mark.parametrize("status", ["UNSPECIFIED", "ONBOARDING", "LEAVE", "SOMETHING_NEW"])
def test_any_person_status_can_be_stored_through_the_side_door(personio, sandbox, status):
    person = next(iter(sandbox.world.personio.persons.values()))
    assert side_door(sandbox, "PATCH", f"/records/personio/persons/{person.id}", json_body={"status": status}).status \
        == 200
    shown = personio("GET", f"/v2/persons?id={person.id}").json()["_data"]
    assert [p["status"] for p in shown] == [status]
