"""The Personio stand-in's duration-only attendance periods (personio.md §13.1): left out of the list unless
asked for, never matched by start/end filters, created from a duration and an attribution_date; and the
seeding knob that makes some."""

from __future__ import annotations

import dataclasses
from datetime import timedelta

import pytest

from reconciler.sandbox.seed import generate_world
from reconciler.sandbox.seed.attendances import add_duration_period
from reconciler.sync.ownership import attendance_source
from tests.conftest import side_door
from tests.sandbox.test_personio_contract import a_person, period

DAY = "2026-11-29"


def duration_period(person_id: str, duration: object = "PT7H30M", day: str = DAY) -> dict:
    return {"person": {"id": person_id}, "type": "WORK", "attribution_date": day, "duration": duration,
            "comment": "by the hour"}


def ids(personio, query: str) -> set[str]:
    return {row["id"] for row in personio("GET", f"/v2/attendance-periods?{query}").json()["_data"]}


@pytest.fixture
def both(personio, sandbox) -> tuple[str, str]:
    """A person's period with times and their duration-only period, on the same day: (timed id, duration id)."""
    person = a_person(sandbox)
    timed = personio("POST", "/v2/attendance-periods?skip_approval=true", json_body=period(person, day=DAY))
    tracked = personio("POST", "/v2/attendance-periods?skip_approval=true", json_body=duration_period(person))
    assert (timed.status, tracked.status) == (201, 201)
    return timed.json()["id"], tracked.json()["id"]


def test_a_duration_only_period_lists_with_start_null_its_day_and_its_duration(personio, both):
    _, tracked = both
    row = personio("GET", f"/v2/attendance-periods/{tracked}").json()
    assert (row["start"], row["end"], row["attribution_date"], row["duration"]) == (None, None, DAY, "PT7H30M")
    assert row["approval"]["status"] == "CONFIRMED"


def test_the_list_leaves_them_out_unless_duration_type_asks(personio, both):
    timed, tracked = both
    day = f"attribution_date.gte={DAY}&attribution_date.lte={DAY}"
    assert timed in ids(personio, day) and tracked not in ids(personio, day)
    assert tracked in ids(personio, f"{day}&duration_type=DURATION_ONLY")
    assert timed not in ids(personio, f"{day}&duration_type=DURATION_ONLY")
    assert {timed, tracked} <= ids(personio, f"{day}&duration_type=ALL")
    for other in ("TIMED", "all", ""):
        assert personio("GET", f"/v2/attendance-periods?duration_type={other}").status == 400


def test_start_and_end_filters_never_return_them(personio, both):
    timed, tracked = both
    for name in ("start.date_time.gte", "start.date_time.lte", "end.date_time.gte", "end.date_time.lte"):
        bound = f"{DAY}T00:00:00" if name.endswith("gte") else f"{DAY}T23:59:59"
        found = ids(personio, f"{name}={bound}&duration_type=ALL")
        assert timed in found and tracked not in found, name


@pytest.mark.parametrize(("duration", "status"), [
    ("PT24H", 201), ("PT0S", 201), ("PT24H1M", 422), ("PT25H", 422), ("7:30", 400), (450, 400), (None, 400),
])
def test_a_duration_of_0_to_24_hours_in_iso_8601_is_taken(personio, sandbox, duration, status):
    answer = personio("POST", "/v2/attendance-periods?skip_approval=true",
                      json_body=duration_period(a_person(sandbox), duration))
    assert answer.status == status, answer.json()


def test_a_period_is_either_timed_or_duration_only(personio, sandbox):
    person = a_person(sandbox)
    both_kinds = {**period(person), "duration": "PT1H", "attribution_date": DAY}
    assert personio("POST", "/v2/attendance-periods?skip_approval=true", json_body=both_kinds).status == 400
    without_day = {**duration_period(person)}
    del without_day["attribution_date"]
    assert personio("POST", "/v2/attendance-periods?skip_approval=true", json_body=without_day).status == 400


def test_patch_changes_the_length_but_never_turns_one_kind_into_the_other(personio, both):
    timed, tracked = both
    assert personio("PATCH", f"/v2/attendance-periods/{tracked}?skip_approval=true",
                    json_body={"duration": "PT8H", "attribution_date": "2026-11-28"}).status == 204
    row = personio("GET", f"/v2/attendance-periods/{tracked}").json()
    assert (row["duration"], row["attribution_date"]) == ("PT8H", "2026-11-28")
    assert personio("PATCH", f"/v2/attendance-periods/{tracked}", json_body={
        "start": {"date_time": f"{DAY}T08:00:00"}, "end": {"date_time": f"{DAY}T12:00:00"}}).status == 422
    assert personio("PATCH", f"/v2/attendance-periods/{timed}", json_body={"duration": "PT1H"}).status == 422
    assert personio("PATCH", f"/v2/attendance-periods/{timed}", json_body={"start": None}).status == 422


def test_a_duration_only_period_overlaps_no_period_with_times(personio, sandbox, both):
    person = a_person(sandbox)
    another = personio("POST", "/v2/attendance-periods?skip_approval=true",
                       json_body=period(person, day=DAY, start="13:00:00", end="17:00:00"))
    second = personio("POST", "/v2/attendance-periods?skip_approval=true", json_body=duration_period(person, "PT1H"))
    assert (another.status, second.status) == (201, 201)


def test_the_side_door_seeds_duration_only_days_on_reset(sandbox, personio):
    assert side_door(sandbox, "POST", "/reset", json_body={"duration_only_days": 3}).status == 200
    tracked = [p for p in sandbox.world.personio.attendance_periods.values() if p.duration_only]
    assert len(tracked) == 3 and all(attendance_source(p.comment) is None for p in tracked)
    assert {p.day for p in tracked} <= {p.date for p in sandbox.world.moco.presences.values()}  # the plan: e2e
    synced_days = {(p.person_id, p.day) for p in sandbox.world.personio.attendance_periods.values()
                   if attendance_source(p.comment) is not None}
    assert any((p.person_id, p.day) in synced_days for p in tracked)  # one lies where an earlier run wrote
    assert side_door(sandbox, "POST", "/reset", json_body={"duration_only_days": 0}).status == 200
    assert not any(p.duration_only for p in sandbox.world.personio.attendance_periods.values())


def _unclocked(dump):
    """A world's dump without the stamps that follow the clock (two builds may straddle a second)."""
    if isinstance(dump, dict):
        return {key: _unclocked(value) for key, value in dump.items() if not key.endswith("_at")}
    if isinstance(dump, list):
        return [_unclocked(value) for value in dump]
    return dump


def test_the_knob_at_0_seeds_exactly_the_company_it_always_did(sandbox):
    plain = _unclocked(generate_world(sandbox.params).dump())
    assert _unclocked(generate_world(dataclasses.replace(sandbox.params, duration_only_days=0)).dump()) == plain
    more = _unclocked(generate_world(dataclasses.replace(sandbox.params, duration_only_days=2)).dump())
    assert more["moco"] == plain["moco"]
    assert {p["id"] for p in plain["personio"]["attendance_periods"]} < \
        {p["id"] for p in more["personio"]["attendance_periods"]}


def test_tests_add_one_straight_into_the_world(sandbox, personio):
    person = a_person(sandbox)
    add_duration_period(sandbox.world.personio, "dur-1", person, sandbox.params.today, timedelta(hours=6), "von Hand")
    (row,) = personio("GET", "/v2/attendance-periods?id=dur-1&duration_type=ALL").json()["_data"]
    assert (row["start"], row["duration"], row["comment"]) == (None, "PT6H", "von Hand")
