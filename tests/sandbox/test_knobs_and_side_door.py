"""Latency, faults, the request log and the side door: the knobs tests and benchmarks rely on."""

from __future__ import annotations

import dataclasses
import socket
import time
import urllib.error

import pytest

from reconciler.sandbox.knobs import (
    REFUSED_REQUESTS_COUNT,
    Fault,
    FaultPlan,
    MocoKnobs,
    PersonioKnobs,
    ServiceKnobs,
    SlidingWindow,
)
from tests.conftest import call, side_door


def schedule(sandbox) -> dict:
    user_id = next(u.id for u in sandbox.world.moco.users.values() if u.active)
    return {"date": "2026-12-10", "absence_code": 4, "user_id": user_id}


def test_request_log_counts_per_endpoint_and_skips_the_side_door(moco, personio, sandbox):
    side_door(sandbox, "DELETE", "/requests")
    moco("GET", "/users")
    moco("GET", "/users")
    moco("GET", "/schedules/123")
    personio("GET", "/v2/persons")
    log = side_door(sandbox, "GET", "/requests").json()
    assert log["counts"]["moco"] == {"GET /api/v1/users": 2, "GET /api/v1/schedules/{id}": 1}
    assert log["counts"]["personio"] == {"POST /v2/auth/token": 1, "GET /v2/persons": 1}
    assert log["total"] == 5
    assert all(not entry["path"].startswith("/_sandbox") for entry in log["requests"])
    assert [e["status"] for e in log["requests"] if e["service"] == "moco"] == [200, 200, 404]


def test_scripted_status_fault_hits_only_the_matching_requests(moco, sandbox):
    side_door(sandbox, "POST", "/faults", json_body={
        "service": "moco", "kind": "status", "method": "POST", "path": "/api/v1/schedules", "status": 502, "times": 2})
    assert moco("GET", "/users").status == 200
    answers = [moco("POST", "/schedules", json_body=schedule(sandbox)).status for _ in range(3)]
    assert answers == [502, 502, 200]
    # The failed attempts had no effect: exactly one schedule on that day.
    assert len([s for s in sandbox.world.moco.schedules.values() if s.date == "2026-12-10"]) == 1


def test_disconnect_fault_commits_the_write_but_the_caller_never_hears(moco, sandbox):
    sandbox.add_fault("moco", Fault(kind="disconnect", method="POST"))
    with pytest.raises((urllib.error.URLError, ConnectionError, OSError)):
        moco("POST", "/schedules", json_body=schedule(sandbox))
    assert len([s for s in sandbox.world.moco.schedules.values() if s.date == "2026-12-10"]) == 1
    entry = sandbox.log.entries[-1]
    assert entry.fault == "disconnect" and entry.status is None


def test_lost_response_fault_commits_then_hangs_past_the_callers_timeout(personio, sandbox):
    personio.token()
    sandbox.knobs["personio"].hang_seconds = 1  # past the caller's 0.5 s; the sandbox waits it out when it stops
    sandbox.add_fault("personio", Fault(kind="lost_response", method="POST", path="/v2/attendance-periods"))
    person = next(iter(sandbox.world.personio.persons))
    body = {"person": {"id": person}, "type": "WORK", "start": {"date_time": "2026-11-29T09:00:00"},
            "end": {"date_time": "2026-11-29T10:00:00"}}
    before = len(sandbox.world.personio.attendance_periods)
    with pytest.raises((urllib.error.URLError, socket.timeout, TimeoutError)):
        personio("POST", "/v2/attendance-periods?skip_approval=true", json_body=body, timeout=0.5)
    time.sleep(0.1)
    assert len(sandbox.world.personio.attendance_periods) == before + 1


def test_hang_fault_has_no_effect(moco, sandbox):
    sandbox.knobs["moco"].hang_seconds = 0.2
    sandbox.add_fault("moco", Fault(kind="hang", method="POST"))
    answer = moco("POST", "/schedules", json_body=schedule(sandbox))
    assert answer.status == 504
    assert not [s for s in sandbox.world.moco.schedules.values() if s.date == "2026-12-10"]


def test_error_rate_share_is_seeded_and_repeatable():
    knobs = ServiceKnobs(error_rate=0.3)
    plans = [FaultPlan(), FaultPlan()]
    rolls = [[plan.pick(knobs, "GET", "/x") is not None for _ in range(200)] for plan in plans]
    assert rolls[0] == rolls[1]
    assert 40 <= sum(rolls[0]) <= 80


def test_error_rate_one_fails_every_request(moco, sandbox):
    side_door(sandbox, "PATCH", "/knobs", json_body={"moco": {"error_rate": 1.0, "error_status": 503}})
    assert {moco("GET", "/users").status for _ in range(5)} == {503}


def test_latency_knob_delays_answers(moco, sandbox):
    sandbox.knobs["moco"].latency = 0.2
    started = time.monotonic()
    moco("GET", "/users")
    assert time.monotonic() - started >= 0.2


def test_unknown_knob_is_refused(sandbox):
    answer = side_door(sandbox, "PATCH", "/knobs", json_body={"moco": {"latencee": 1}})
    assert answer.status == 400 and "unknown knob 'latencee'" in answer.json()["error"]


def test_reset_restores_the_seeded_company(moco, sandbox):
    moco("POST", "/schedules", json_body=schedule(sandbox))
    before = len(sandbox.world.moco.schedules)
    assert side_door(sandbox, "POST", "/reset").status == 200
    assert len(sandbox.world.moco.schedules) == before - 1
    assert sandbox.log.entries == []


def test_reset_can_change_the_company(sandbox):
    answer = side_door(sandbox, "POST", "/reset", json_body={"people": 3, "seed": 9, "today": "2026-06-01"})
    assert answer.json() == {"seed": 9, "people": 3, "today": "2026-06-01"}
    assert len([p for p in sandbox.world.personio.persons.values() if p.status == "ACTIVE"]) == 4


def test_reset_keeps_what_it_was_not_told_to_change(sandbox):
    sandbox.params = dataclasses.replace(sandbox.params, absence_days_per_year=30, history_days=90)
    assert side_door(sandbox, "POST", "/reset", json_body={"seed": 4}).status == 200
    assert (sandbox.params.absence_days_per_year, sandbox.params.history_days, sandbox.params.seed) == (30, 90, 4)


def test_state_dump_and_record_edits(sandbox):
    state = side_door(sandbox, "GET", "/state").json()
    assert set(state) == {"moco", "personio"}
    presence = state["moco"]["presences"][0]
    edited = side_door(sandbox, "PATCH", f"/records/moco/presences/{presence['id']}", json_body={"to_time": "18:00"})
    assert edited.json()["to_time"] == "18:00"
    assert side_door(sandbox, "PATCH", f"/records/moco/presences/{presence['id']}",
                     json_body={"bogus": 1}).status == 400
    assert side_door(sandbox, "DELETE", f"/records/moco/presences/{presence['id']}").status == 204
    assert presence["id"] not in sandbox.world.moco.presences


def test_side_door_serves_a_ready_spec(sandbox):
    answer = call("GET", sandbox.moco_url.replace("/api/v1", "/_sandbox/spec"))
    text = answer.body.decode()
    assert f"base_url: {sandbox.moco_url}" in text and f"base_url: {sandbox.personio_url}" in text


def test_sliding_window_counts_refused_requests_too():
    """The conservative assumption (REFUSED_REQUESTS_COUNT): a refused request counts, so a client
    that keeps knocking keeps the window full; only a whole window of silence empties it."""
    assert REFUSED_REQUESTS_COUNT and MocoKnobs().count_refused and PersonioKnobs().count_refused
    now = [0.0]
    window = SlidingWindow(clock=lambda: now[0])
    assert [window.allow("k", 2, 10) for _ in range(3)] == [True, True, False]
    for knock in range(3, 45, 3):  # every 3 s, long after the two let through have left: still full
        now[0] = float(knock)
        assert not window.allow("k", 2, 10), knock
    now[0] = 51.9  # the window holds the knock at 42 only
    assert window.allow("k", 2, 10)
    assert window.allow("other", 2, 10)


def test_sliding_window_can_count_only_what_it_lets_through():
    now = [0.0]
    window = SlidingWindow(clock=lambda: now[0])
    assert [window.allow("k", 2, 10, count_refused=False) for _ in range(3)] == [True, True, False]
    now[0] = 9.9
    assert not window.allow("k", 2, 10, count_refused=False)
    now[0] = 10.0
    assert window.allow("k", 2, 10, count_refused=False)


def test_the_count_refused_knob_reaches_the_window(moco, sandbox):
    """Through the API, on the window's clock (moved by the test, not waited for)."""
    now = [0.0]
    sandbox.limiter = SlidingWindow(clock=lambda: now[0])
    side_door(sandbox, "PATCH", "/knobs", json_body={"moco": {"rate_limit_requests": 2, "rate_limit_seconds": 0.6}})

    def statuses(count: int) -> list[int]:
        return [moco("GET", "/users?per_page=1").status for _ in range(count)]

    assert statuses(4) == [200, 200, 429, 429]
    now[0] = 0.3
    assert statuses(2) == [429, 429]
    now[0] = 0.66
    assert statuses(1) == [429]  # the two let through have left; the two refused at 0.3 s keep it full
    sandbox.knobs["moco"].update({"count_refused": False})
    now[0] = 1.36
    assert statuses(3) == [200, 200, 429]
    now[0] = 1.66
    assert statuses(1) == [429]
    now[0] = 2.06
    assert statuses(1) == [200]  # only the two let through counted
