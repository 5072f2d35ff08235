"""Working hours MOCO → Personio end to end against the sandbox, and both directions in one run."""

from __future__ import annotations

import dataclasses
import json

import pytest
from click.testing import CliRunner

from reconciler.apply import Pace
from reconciler.cli import cli
from reconciler.sandbox import Fault
from reconciler.sync.ownership import attendance_source, is_ours
from reconciler.systems.personio.client import window_slices
from tests.conftest import TODAY, Moco
from tests.e2e.test_absences_e2e import fast_options, writes


@pytest.fixture
def setup(sandbox, tmp_path, monkeypatch):
    sandbox.knobs["moco"].update({"rate_limit_requests": 1200, "rate_limit_seconds": 120})
    sandbox.knobs["personio"].update({"rate_limit_requests": 1200, "rate_limit_seconds": 60})
    spec = tmp_path / "mapping.yaml"
    spec.write_text(sandbox.spec_yaml())
    for name, value in sandbox.env().items():
        monkeypatch.setenv(name, value)
    return spec


def reconcile(*args: str, input: str | None = None):
    return CliRunner().invoke(cli, [*args, "--today", TODAY.isoformat()], input=input, catch_exceptions=False)


def hours_only(*args: str):
    return reconcile(*args, "--only", "hours_to_personio")


def synced_periods(sandbox) -> dict[int, list]:
    by_presence: dict[int, list] = {}
    for period in sandbox.world.personio.attendance_periods.values():
        source = attendance_source(period.comment)
        if source is not None:
            by_presence.setdefault(source, []).append(period)
    return by_presence


def matched_presences(sandbox) -> list:
    """Ended presences since the spec's start date of people both systems know (not the robot)."""
    start = sandbox.params.start_date.isoformat()
    persons = {(p.email or "").lower() for p in sandbox.world.personio.persons.values()} | {"jane@acme.example"}
    users = {u.id for u in sandbox.world.moco.users.values() if u.email in persons and u.active}
    return [p for p in sandbox.world.moco.presences.values()
            if p.user_id in users and p.to_time and start <= p.date <= TODAY.isoformat()]


def handmade_periods(sandbox) -> list[dict]:
    return sorted((dataclasses.asdict(p) for p in sandbox.world.personio.attendance_periods.values()
                   if not is_ours(p.comment)), key=lambda p: p["id"])


def test_the_plan_shows_creates_edits_deletes_and_the_overlap_conflict(sandbox, setup):
    result = hours_only("plan", "-c", str(setup))
    assert result.exit_code == 0, result.output
    out = result.output
    assert "# partial plan: only working hours MOCO → Personio" in out
    assert "Personio attendance" in out and "MOCO absence" not in out
    assert "max.mustermann@acme.example (Personio: Max.Mustermann@ACME.EXAMPLE)" in out
    assert "(changed in MOCO: times)" in out and "(deleted in MOCO)" in out
    assert "hand-made Personio attendance (work 09:00–17:30 with a comment) overlaps MOCO presence" in out
    assert "1 MOCO presence is still running; written once it ends" in out
    plan = json.loads(hours_only("plan", "-c", str(setup), "--format", "json").output)
    assert plan["scope"] == ["hours_to_personio"] and plan["partial"] is True
    first = plan["changes"][0]
    assert (first["system"], first["kind"]) == ("personio", "attendance")
    assert {"start", "end"} <= set(first["after"])
    assert writes(sandbox) == []


def test_apply_writes_confirmed_periods_with_equal_times_and_converges(sandbox, setup):
    handmade_before = handmade_periods(sandbox)
    result = hours_only("apply", "-c", str(setup), "--auto-approve")
    assert result.exit_code == 0, result.output
    synced = synced_periods(sandbox)
    conflicted = {p.id for p in matched_presences(sandbox) if p.date == "2026-11-19" and  # Leon's overlap
                  p.user_id == next(u.id for u in sandbox.world.moco.users.values()
                                    if u.email == "leon.krause@acme.example")}
    for presence in matched_presences(sandbox):
        if presence.id in conflicted:
            assert presence.id not in synced
            continue
        (period,) = synced[presence.id]
        assert period.start == f"{presence.date}T{presence.from_time}:00"
        assert period.end == f"{presence.date}T{presence.to_time}:00"
        assert period.status == "CONFIRMED" and period.type == "WORK"
    assert set(synced) <= {p.id for p in matched_presences(sandbox)}  # the deleted presence's period is gone
    assert handmade_periods(sandbox) == handmade_before

    sandbox.log.clear()
    again = hours_only("apply", "-c", str(setup), "--auto-approve")
    assert again.exit_code == 0 and "Nothing to apply." in again.output
    assert writes(sandbox) == []


def test_edits_and_deletions_in_moco_follow_on_the_next_apply(sandbox, setup):
    assert hours_only("apply", "-c", str(setup), "--auto-approve").exit_code == 0
    moco = Moco(sandbox)
    afternoons = sorted((p for p in matched_presences(sandbox) if p.from_time >= "13:00"), key=lambda p: (p.date, p.id))
    edited, deleted = afternoons[0], afternoons[1]  # an afternoon can end later without overlapping anything
    assert moco("PATCH", f"/users/presences/{edited.id}", json_body={"to": "18:45"}).status == 200
    assert moco("DELETE", f"/users/presences/{deleted.id}").status == 204
    user_id = edited.user_id
    added = moco("POST", "/users/presences", headers={"X-IMPERSONATE-USER-ID": str(user_id)},
                 json_body={"date": "2026-11-21", "from": "10:00", "to": "12:30"}).json()  # a Saturday shift

    plan = json.loads(hours_only("plan", "-c", str(setup), "--format", "json").output)
    assert plan["summary"] == {"create": 1, "update": 1, "delete": 1}
    assert hours_only("apply", "-c", str(setup), "--auto-approve").exit_code == 0
    synced = synced_periods(sandbox)
    assert synced[edited.id][0].end.endswith("T18:45:00")
    assert deleted.id not in synced
    assert synced[added["id"]][0].start == "2026-11-21T10:00:00"
    assert "No changes." in hours_only("plan", "-c", str(setup)).output


def test_a_period_personio_refuses_to_change_is_reported_and_the_rest_goes_on(sandbox, setup):
    assert hours_only("apply", "-c", str(setup), "--auto-approve").exit_code == 0
    moco = Moco(sandbox)
    first, second = sorted((p for p in matched_presences(sandbox) if p.from_time >= "13:00"),
                           key=lambda p: (p.date, p.id))[:2]
    locked = synced_periods(sandbox)[first.id][0]
    locked.locked = True  # payroll closed for it
    assert moco("PATCH", f"/users/presences/{first.id}", json_body={"to": "18:00"}).status == 200
    assert moco("PATCH", f"/users/presences/{second.id}", json_body={"to": "18:30"}).status == 200
    result = hours_only("apply", "-c", str(setup), "--auto-approve")
    assert result.exit_code == 1
    assert "failed: update personio attendance" in result.output and "locked" in result.output
    assert "Apply finished with failures: 1 applied, 1 failed, 0 skipped." in result.output
    assert synced_periods(sandbox)[second.id][0].end.endswith("T18:30:00")
    left = json.loads(hours_only("plan", "-c", str(setup), "--format", "json").output)
    assert [c["id"] for c in left["changes"]] == [locked.id]  # reported again, not forgotten


def test_a_lost_answer_to_a_create_is_resolved_by_re_reading(sandbox, setup, monkeypatch):
    fast_options(monkeypatch, pace=Pace(verify_delay=0.05))
    sandbox.add_fault("personio", Fault(kind="disconnect", method="POST", path="/v2/attendance-periods", times=3))
    result = reconcile("apply", "-c", str(setup), "--auto-approve", "--only", "attendances")
    assert result.exit_code == 0, result.output
    assert all(len(periods) == 1 for periods in synced_periods(sandbox).values())
    assert "No changes." in hours_only("plan", "-c", str(setup)).output


def test_personio_managed_writes_nothing_there(sandbox, setup):
    setup.write_text(setup.read_text().replace("direction: moco_to_personio", "direction: personio_managed"))
    plan = reconcile("plan", "-c", str(setup))
    assert "# working hours: managed in Personio (attendances.direction: personio_managed); nothing is written" \
           in plan.output
    assert "Personio attendance" not in plan.output
    assert reconcile("apply", "-c", str(setup), "--auto-approve").exit_code == 0
    assert not [w for w in writes(sandbox) if w.startswith(("POST /v2", "PATCH /v2", "DELETE /v2"))]
    assert not [e for e in sandbox.log.entries if e.path == "/api/v1/users/presences"]  # not even read


def test_both_directions_in_one_run(sandbox, setup):
    plan = json.loads(reconcile("plan", "-c", str(setup), "--format", "json").output)
    assert {(c["system"], c["kind"]) for c in plan["changes"]} == {("moco", "absence"), ("personio", "attendance")}
    assert plan["partial"] is False
    result = reconcile("apply", "-c", str(setup), "--auto-approve")
    assert result.exit_code == 0, result.output
    assert f"Apply complete: {len(plan['changes'])} applied, 0 failed, 0 skipped." in result.output
    final = reconcile("plan", "-c", str(setup), "--detailed-exitcode")
    assert final.exit_code == 0 and "No changes." in final.output


def test_a_saved_partial_plan_is_applied_with_its_scope(sandbox, setup, tmp_path):
    planfile = tmp_path / "hours.json"
    assert hours_only("plan", "-c", str(setup), "--out", str(planfile)).exit_code == 0
    result = reconcile("apply", "-c", str(setup), str(planfile))  # no --only: the saved plan's scope
    assert result.exit_code == 0, result.output
    assert not [w for w in writes(sandbox) if "/schedules" in w]


def test_reads_are_once_per_list_never_per_person_or_day(sandbox, setup):
    reconcile("plan", "-c", str(setup))
    counts = sandbox.log.counts()
    start = sandbox.params.start_date.isoformat()
    in_window = [p for p in sandbox.world.moco.presences.values() if start <= p.date <= TODAY.isoformat()]
    assert counts["GET /api/v1/users/presences"] == -(-len(in_window) // 100)  # one request a page
    slices = window_slices(sandbox.params.start_date, TODAY)
    assert counts["GET /v2/attendance-periods"] == len(slices) == 2  # a slice a request: 45 days, two slices
    assert counts["GET /api/v1/users"] == 1 and counts["GET /v2/persons"] == 1
