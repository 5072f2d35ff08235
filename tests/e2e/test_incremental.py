"""Incremental runs (`--changed-since`) end to end against the sandbox: what changed is planned, as a
full run would plan it, for far fewer requests; what only a full run can see is left to it."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta

import pytest
from click.testing import CliRunner

from reconciler.cli import cli
from reconciler.sandbox.common import utc_now
from reconciler.sync.ownership import attendance_source
from tests.conftest import TODAY, Moco
from tests.e2e.test_absences_e2e import writes


@pytest.fixture
def synced(sandbox, setup):
    """Both directions applied once: MOCO and Personio agree, as after a nightly full run."""
    sandbox.knobs["personio"].update({"rate_limit_requests": 6000, "rate_limit_seconds": 60})
    sandbox.knobs["moco"].update({"rate_limit_requests": 6000})
    setup.write_text(setup.read_text().replace("requests: 1200, per_seconds: 120", "requests: 6000, per_seconds: 120")
                     .replace("requests: 600, per_seconds: 60", "requests: 6000, per_seconds: 60"))
    assert run("apply", "-c", str(setup), "--auto-approve").exit_code == 0
    assert "No changes." in run("plan", "-c", str(setup)).stdout
    written_long_ago(sandbox)
    sandbox.log.entries.clear()
    return setup


def written_long_ago(sandbox) -> None:
    """Every record and event dated two hours ago: nothing changed since, as after a nightly full run."""
    past = (datetime.now(UTC) - timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M:%SZ")
    world = sandbox.world
    for records in (world.moco.presences, world.moco.schedules, world.personio.absence_periods,
                    world.personio.attendance_periods):
        for record in records.values():
            record.updated_at = past
    for event in world.personio.webhook_events:  # the periods the apply deleted, too
        event.occurred_at = past.replace("Z", ".000Z")


def run(*args: str):
    return CliRunner().invoke(cli, [*args, "--today", TODAY.isoformat()], catch_exceptions=False)


def requests(sandbox) -> dict[str, int]:
    counts = {"moco": 0, "personio": 0}
    for entry in sandbox.log.entries:
        if entry.path != "/v2/auth/token":
            counts[entry.service] += 1
    sandbox.log.entries.clear()
    return counts


def change_some_records(sandbox) -> dict[str, object]:
    """A presence edited and one added (two people), and an absence period moved in Personio."""
    moco = Moco(sandbox)
    presences = sorted((p for p in sandbox.world.moco.presences.values() if p.to_time and p.from_time >= "13:00"
                        and p.date >= "2026-11-02"), key=lambda p: (p.date, p.id))
    edited = presences[0]
    other = next(p for p in presences if p.user_id != edited.user_id)
    assert moco("PATCH", f"/users/presences/{edited.id}", json_body={"to": "18:45"}).status == 200
    added = moco("POST", "/users/presences", headers={"X-IMPERSONATE-USER-ID": str(other.user_id)},
                 json_body={"date": "2026-11-21", "from": "10:00", "to": "12:30"}).json()
    period = next(p for p in sandbox.world.personio.absence_periods.values()
                  if p.status == "APPROVED" and p.starts_from >= "2026-12-01" and p.ends_at
                  and p.ends_at[:10] > p.starts_from[:10])
    first = datetime.fromisoformat(period.starts_from).date()
    period.ends_at = f"{first + timedelta(days=1)}T00:00:00"  # shortened to its first day (exclusive midnight)
    period.updated_at = utc_now()
    return {"edited": edited, "added": added, "period": period}


def test_an_incremental_run_plans_what_changed_as_a_full_run_would_for_few_requests(sandbox, synced):
    change_some_records(sandbox)
    full = json.loads(run("plan", "-c", str(synced), "--format", "json").stdout)
    full_requests = requests(sandbox)
    quick = run("plan", "-c", str(synced), "--format", "json", "--changed-since", "10m")
    assert quick.exit_code == 0, quick.output
    data = json.loads(quick.stdout)
    people = [e for e in sandbox.log.entries if e.path in ("/api/v1/users", "/v2/persons")
              and "updated_a" not in e.query]  # who changed (`updated_after`, `updated_at.gt`), then who they are
    presences = [e for e in sandbox.log.entries if e.path == "/api/v1/users/presences"]
    quick_requests = requests(sandbox)
    # who is who for the people who changed only; their presences by id, not a read per person
    assert people and all(re.search(r"(^|&)(ids?|email)=", e.query) for e in people)
    assert len(presences) == 2 and "updated_after=" in presences[0].query and "ids=" in presences[1].query
    assert data["changes"] == full["changes"] and data["summary"]["delete"] >= 1  # the shortened absence
    assert data["partial"] and data["incremental"]["since"]
    touched = {name: scope["users"] for name, scope in data["incremental"]["scopes"].items() if scope}
    assert len(touched["hours_to_personio"]) == 2 and len(touched["absences_to_moco"]) == 1
    # 12 people over six weeks: Personio's whole lists are a page or two each, about as many as an incremental
    # run's reads of what changed (here polled: the sandbox's webhook records deletions only) and deleted
    # (test_incremental_cost.py measures a company where it pays)
    assert quick_requests["moco"] < full_requests["moco"]
    assert quick_requests["personio"] <= full_requests["personio"] + 1
    text = run("plan", "-c", str(synced), "--changed-since", "10m").stdout
    assert "# incremental run: changes since " in text and "Deletions in MOCO on days nothing else changed" in text
    markdown = run("plan", "-c", str(synced), "--changed-since", "10m", "--format", "markdown").stdout
    # each run takes its own bound from the services' clock, so the second may differ from the JSON run's
    moment = r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00"
    assert re.search(rf"_Incremental run: what changed since {moment} \(`--changed-since`\)", markdown), markdown[:400]


def test_a_saved_incremental_plan_applies_its_own_scope(sandbox, synced, tmp_path):
    change_some_records(sandbox)
    plan_file = tmp_path / "plan.json"
    assert run("plan", "-c", str(synced), "--changed-since", "10m", "--out", str(plan_file)).exit_code == 0
    assert json.loads(plan_file.read_text())["incremental"]["scopes"]["hours_to_personio"]["users"]
    refused = run("apply", "-c", str(synced), str(plan_file), "--changed-since", "10m")
    assert refused.exit_code == 1 and "apply it without --changed-since" in refused.output
    applied = run("apply", "-c", str(synced), str(plan_file))
    assert applied.exit_code == 0, applied.output
    assert "No changes." in run("plan", "-c", str(synced)).stdout  # a full run finds nothing left


def test_a_deletion_on_a_day_nothing_else_changed_waits_for_the_full_run(sandbox, synced):
    victim = next(p for p in sandbox.world.moco.presences.values() if p.to_time and p.date >= "2026-11-02")
    assert Moco(sandbox)("DELETE", f"/users/presences/{victim.id}").status == 204
    sandbox.log.entries.clear()
    quick = json.loads(run("plan", "-c", str(synced), "--format", "json", "--changed-since", "10m").stdout)
    assert quick["changes"] == []  # MOCO lists no deletions: nothing to see here
    full = json.loads(run("plan", "-c", str(synced), "--format", "json").stdout)
    assert [(c["action"], c["kind"]) for c in full["changes"]] == [("delete", "attendance")]
    assert writes(sandbox) == []


@pytest.mark.parametrize(("args", "message"), [
    (("soon",), "--changed-since 'soon': not a duration (75m, 2h, 1d) nor an ISO 8601 time"),
    (("0m",), "--changed-since 0m: give a duration above zero"),
    (((datetime.now(UTC) + timedelta(days=2)).strftime("%Y-%m-%dT%H:%M:%SZ"),), "that is after now"),
    (("10m", "--user", "jane@acme.example"), "--changed-since finds the people and days itself"),
])
def test_a_bad_bound_is_a_clear_error(setup, args, message):
    result = run("plan", "-c", str(setup), "--changed-since", *args)
    assert result.exit_code == 1 and message in result.output and "Traceback" not in result.output


def test_a_run_for_some_people_reads_only_their_records(sandbox, synced):
    jane = next(u for u in sandbox.world.moco.users.values() if u.email == "jane@acme.example")
    run("plan", "-c", str(synced))
    everyone = requests(sandbox)
    result = run("plan", "-c", str(synced), "--user", "jane@acme.example", "--format", "json")
    assert result.exit_code == 0, result.output
    reads = [e for e in sandbox.log.entries if e.method == "GET" and e.path != "/v2/auth/token"]
    per_person = [e for e in reads if e.path.endswith(("/schedules", "/presences", "/employments"))
                  or "periods" in e.path]
    assert per_person and all(f"user_id={jane.id}" in e.query or "person.id=" in e.query for e in per_person)
    assert len(reads) < sum(everyone.values())


def test_a_presence_moved_from_a_day_outside_the_run_is_left_to_the_full_run(sandbox, synced):
    """Its period lies on the old day, which the run does not read: writing the presence would copy it."""
    world = sandbox.world
    synced_ids = {attendance_source(a.comment) for a in world.personio.attendance_periods.values()}
    victim = min((p for p in world.moco.presences.values() if p.id in synced_ids and p.date >= "2026-11-02"),
                 key=lambda p: (p.date, p.id))
    victim.created_at = "2026-11-01T08:00:00Z"  # made long ago, as a synced presence is
    moved = {"date": "2026-11-21", "from": "06:00", "to": "07:00"}  # a Saturday nobody worked
    assert Moco(sandbox)("PATCH", f"/users/presences/{victim.id}", json_body=moved).status == 200
    quick = json.loads(run("plan", "-c", str(synced), "--format", "json", "--changed-since", "10m").stdout)
    assert quick["changes"] == []  # no second period for it
    assert any(f"MOCO presence {victim.id} was moved" in w for w in quick["warnings"])
    full = json.loads(run("plan", "-c", str(synced), "--format", "json").stdout)
    assert [(c["action"], c["date"]) for c in full["changes"]] == [("update", "2026-11-21")]


def test_a_presence_clocked_out_on_its_own_day_is_written_without_looking_for_it_elsewhere(sandbox, synced):
    """Made in the morning (before the bound) and ended now: new to Personio, and no sign of a move."""
    moco = Moco(sandbox)
    user = next(u for u in sandbox.world.moco.users.values() if u.email == "jane@acme.example")
    made = moco("POST", "/users/presences", headers={"X-IMPERSONATE-USER-ID": str(user.id)},
                json_body={"date": "2026-11-21", "from": "05:00"}).json()  # a Saturday, still running
    sandbox.world.moco.presences[made["id"]].created_at = "2026-11-21T04:00:00Z"
    assert moco("PATCH", f"/users/presences/{made['id']}", json_body={"to": "06:00"}).status == 200
    sandbox.log.entries.clear()
    quick = json.loads(run("plan", "-c", str(synced), "--format", "json", "--changed-since", "10m").stdout)
    assert [(c["action"], c["date"]) for c in quick["changes"]] == [("create", "2026-11-21")]
    assert not [e for e in sandbox.log.entries if "2000-01-01" in e.query]  # no read of every day
