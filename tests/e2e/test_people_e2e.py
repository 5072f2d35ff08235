"""The employee lifecycle (people Personio → MOCO) end to end against the sandbox, as a user runs it: a company
with a hire due, a hire starting later, a hire without weekly hours, a leaver whose last day was yesterday and
one leaving later, a freelancer and an archived former employee (`SeedParams.lifecycle`)."""

from __future__ import annotations

import dataclasses
import json
import time
from datetime import date, timedelta

import pytest
from click.testing import CliRunner

from reconciler.apply import Pace
from reconciler.cli import cli
from reconciler.sandbox.knobs import Fault
from reconciler.sandbox.personio.records import EMPLOYMENT_EVENTS, PERIOD_EVENTS, PERSON_EVENTS
from reconciler.sandbox.seed import SeedParams
from reconciler.sandbox.seed.people import LIFECYCLE
from reconciler.sandbox.seed.ready import PEOPLE_SECTION
from reconciler.sandbox.server import Sandbox
from reconciler.sync.ownership import USER_TAG
from tests.conftest import TODAY, SandboxThread, side_door
from tests.e2e.serving import MOCO_SECRET, PERSONIO_TOKEN, fast_spec, start_serve, sync_directly, wait_for
from tests.e2e.test_absences_e2e import fast_options
from tests.e2e.test_incremental import written_long_ago

DOMAIN = "acme.example"
DEVELOPMENT, TEAM_1 = 909181618, 909181617
FAST = {"requests: 120, per_seconds: 120": "requests: 6000, per_seconds: 120",
        "requests: 600, per_seconds: 60": "requests: 6000, per_seconds: 60"}


def email(case: str) -> str:
    person = LIFECYCLE[case]
    return f"{person.first.lower()}.{person.last.lower()}@{DOMAIN}"


@pytest.fixture
def company():
    """The lifecycle company (seed 1, 12 employees and the lifecycle's cases)."""
    with SandboxThread(Sandbox(SeedParams(seed=1, people=12, today=TODAY, lifecycle=True))) as running:
        yield running


def spec_of(sandbox, tmp_path, monkeypatch, *, people: bool = True) -> str:
    sandbox.knobs["moco"].update({"rate_limit_requests": 6000, "rate_limit_seconds": 120})
    sandbox.knobs["personio"].update({"rate_limit_requests": 6000, "rate_limit_seconds": 60})
    text = sandbox.spec_yaml(people=people)
    for slow, fast in FAST.items():
        text = text.replace(slow, fast)
    path = tmp_path / "mapping.yaml"
    path.write_text(text)
    for name, value in sandbox.env().items():
        monkeypatch.setenv(name, value)
    return str(path)


def reconcile(*args: str, today: date = TODAY):
    return CliRunner().invoke(cli, [*args, "--today", today.isoformat()], catch_exceptions=False)


def user_writes(sandbox) -> list[str]:
    """Every write to MOCO's users and employments the sandbox was sent."""
    return [f"{e.method} {e.path}" for e in sandbox.log.entries
            if e.method in ("POST", "PUT", "PATCH", "DELETE") and e.path.startswith("/api/v1/users")]


def users_by_email(sandbox) -> dict[str, list]:
    found: dict[str, list] = {}
    for user in sandbox.world.moco.users.values():
        found.setdefault(user.email, []).append(user)
    return found


def employments_of(sandbox, user_id: int) -> list:
    return sorted((e for e in sandbox.world.moco.employments.values() if e.user_id == user_id), key=lambda e: e.id)


def snapshot(sandbox, *emails: str) -> list[dict]:
    """The MOCO users of these emails and their employments, field by field."""
    out = []
    for user in sandbox.world.moco.users.values():
        if user.email in emails:
            out.append({"user": dataclasses.asdict(user),
                        "employments": [dataclasses.asdict(e) for e in employments_of(sandbox, user.id)]})
    return sorted(out, key=lambda entry: entry["user"]["id"])


def test_with_both_switches_off_no_user_is_ever_written_or_their_lists_read(company, tmp_path, monkeypatch):
    spec = spec_of(company, tmp_path, monkeypatch, people=False)
    company.log.clear()
    planned = reconcile("plan", "-c", spec, "--format", "json")
    assert planned.exit_code == 0, planned.output
    assert "people: not synced (people.create_in_moco and people.archive_in_moco: false)" in \
        json.loads(planned.output)["notes"]
    applied = reconcile("apply", "-c", spec, "--auto-approve")
    assert applied.exit_code == 0, applied.output
    assert user_writes(company) == []
    paths = {e.path for e in company.log.entries}
    assert "/api/v1/units" not in paths and not any(p.endswith("/employments") and p.startswith("/v2/") for p in paths)
    assert email("hire_due") not in users_by_email(company)


def test_hires_get_one_user_and_employment_and_leavers_are_archived(company, tmp_path, monkeypatch):
    spec = spec_of(company, tmp_path, monkeypatch)
    untouched = ("frank@freelance.example", f"olaf.altmann@{DOMAIN}", email("pending_leaver"))
    before = snapshot(company, *untouched)

    text = reconcile("plan", "-c", spec, "--only", "people_to_moco")
    assert text.exit_code == 0, text.output
    assert (f"+ {TODAY}  MOCO user           Hanna Hirsch <{email('hire_due')}>, team Development, 40 h a week from "
            f"{TODAY - timedelta(days=3)}") in text.output
    assert "# people: 1 hire starts later" in text.output and "Fiona" not in text.output.split("Warnings:")[0]
    markdown = reconcile("plan", "-c", spec, "--only", "people_to_moco", "--format", "markdown").output
    assert "Hanna Hirsch" in markdown and email("leaver") in markdown and "withheld" not in markdown
    planned = reconcile("plan", "-c", spec, "--only", "people_to_moco", "--format", "json")
    changes = json.loads(planned.output)["changes"]
    by_user = {c["user"]: c for c in changes}
    assert set(by_user) == {email("hire_due"), email("hourless_hire"), email("leaver"), f"nina.neumeyer@{DOMAIN}"}
    assert by_user[email("hire_due")]["send"]["tags"] == [USER_TAG]
    assert by_user[email("leaver")]["action"] == "update" and by_user[email("leaver")]["after"]["active"] is False

    applied = reconcile("apply", "-c", spec, "--auto-approve")
    assert applied.exit_code == 0, applied.output

    users = users_by_email(company)
    [hanna] = users[email("hire_due")]
    assert (hanna.firstname, hanna.lastname, hanna.unit_id, hanna.tags, hanna.welcome_email, hanna.active) == \
        ("Hanna", "Hirsch", DEVELOPMENT, [USER_TAG], False, True)
    [employment] = employments_of(company, hanna.id)
    assert (employment.from_date, employment.to_date) == ((TODAY - timedelta(days=3)).isoformat(), None)
    assert (employment.am, employment.pm) == ([4.0] * 5, [4.0] * 5)
    [hugo] = users[email("hourless_hire")]
    assert hugo.unit_id == TEAM_1 and employments_of(company, hugo.id) == []  # no weekly hours: no employment
    assert email("future_hire") not in users  # created on their first day, not before
    [lena] = users[email("leaver")]
    assert not lena.active
    ended, last = employments_of(company, lena.id)
    yesterday = (TODAY - timedelta(days=1)).isoformat()
    assert last.to_date == yesterday and ended.to_date < yesterday  # the open one ended on the last day
    assert snapshot(company, *untouched) == before  # freelancer, archived former employee, future leaver

    company.log.clear()
    again = reconcile("apply", "-c", spec, "--auto-approve")
    assert again.exit_code == 0, again.output
    assert user_writes(company) == []  # a second apply writes nothing
    assert json.loads(reconcile("plan", "-c", spec, "--only", "people_to_moco", "--format", "json").output)[
        "changes"] == []


def test_a_future_hire_is_created_on_their_first_day_and_a_later_leaver_after_their_last(company, tmp_path,
                                                                                         monkeypatch):
    spec = spec_of(company, tmp_path, monkeypatch)
    assert reconcile("apply", "-c", spec, "--only", "people_to_moco", "--auto-approve").exit_code == 0
    start = LIFECYCLE["future_hire"].hire_date(TODAY)
    day_before = json.loads(reconcile("plan", "-c", spec, "--only", "people_to_moco", "--format", "json",
                                      today=start - timedelta(days=1)).output)
    assert day_before["changes"] == []
    on_the_day = json.loads(reconcile("plan", "-c", spec, "--only", "people_to_moco", "--format", "json",
                                      today=start).output)
    [hire] = on_the_day["changes"]
    assert (hire["user"], hire["send"]["employment"]["from"]) == (email("future_hire"), start.isoformat())
    assert hire["send"]["employment"]["pattern"] == {"am": [3.2] * 5, "pm": [3.2] * 5}  # 32 h a week


def test_four_of_six_people_leaving_at_once_is_refused_without_force(tmp_path, monkeypatch):
    with SandboxThread(Sandbox(SeedParams(seed=1, people=6, today=TODAY))) as sandbox:
        spec = spec_of(sandbox, tmp_path, monkeypatch)
        persons = [p for p in sandbox.world.personio.persons.values() if p.status == "ACTIVE"
                   and any(u.email == p.email.lower() for u in sandbox.world.moco.users.values())][:4]
        for person in persons:
            assert side_door(sandbox, "PATCH", f"/records/personio/persons/{person.id}", json_body={
                "status": "INACTIVE", "termination_date": (TODAY - timedelta(days=1)).isoformat()}).status == 200
        planned = reconcile("plan", "-c", spec, "--only", "people_to_moco")
        assert "Mass-change guard: this run would archive 4 of the 6 MOCO users reconcile matches" in planned.output
        sandbox.log.clear()
        refused = reconcile("apply", "-c", spec, "--only", "people_to_moco", "--auto-approve")
        assert refused.exit_code == 1
        assert "refusing to apply the 5 changes of people_to_moco in MOCO" in refused.output
        assert user_writes(sandbox) == []
        assert all(user.active for user in sandbox.world.moco.users.values() if user.email.endswith(DOMAIN)
                   and user.email != f"olaf.altmann@{DOMAIN}")
        forced = reconcile("apply", "-c", spec, "--only", "people_to_moco", "--auto-approve", "--force")
        assert forced.exit_code == 0, forced.output
        archived = {u.email for u in sandbox.world.moco.users.values() if not u.active}
        assert {p.email.lower() for p in persons} <= archived


def test_a_lost_answer_to_post_users_never_creates_a_second_user(company, tmp_path, monkeypatch):
    fast_options(monkeypatch, pace=Pace(verify_delay=0.05))
    spec = spec_of(company, tmp_path, monkeypatch)
    company.add_fault("moco", Fault(kind="disconnect", method="POST", path="/api/v1/users", times=4))
    applied = reconcile("apply", "-c", spec, "--only", "people_to_moco", "--auto-approve")
    assert applied.exit_code == 0, applied.output
    posts = sorted(e.path for e in company.log.entries if e.method == "POST" and e.path.startswith("/api/v1/users"))
    assert company.faults["moco"].scripted == []  # every answer to the first four was lost
    assert posts == ["/api/v1/users"] * 3 + ["/api/v1/users/employments"] * 2  # each sent once, none again
    users = users_by_email(company)
    for case in ("hire_due", "hourless_hire"):
        assert len(users[email(case)]) == 1
    [hanna] = users[email("hire_due")]
    assert len(employments_of(company, hanna.id)) == 1  # the employment finished after the re-read, once
    company.log.clear()
    assert reconcile("apply", "-c", spec, "--only", "people_to_moco", "--auto-approve").exit_code == 0
    assert user_writes(company) == []


def test_an_incremental_run_sees_a_hire_and_a_leaver_by_their_personio_events(company, tmp_path, monkeypatch):
    spec = spec_of(company, tmp_path, monkeypatch)
    assert reconcile("apply", "-c", spec, "--auto-approve").exit_code == 0
    written_long_ago(company)
    for user in company.world.moco.users.values():  # the full run's writes, too: nothing changed since
        user.updated_at = "2026-01-01T00:00:00Z"
    persons = {p.email.lower(): p for p in company.world.personio.persons.values()}
    # Fiona's start moves to yesterday; Paul leaves yesterday (HR sets the date and the status).
    fiona, paul = persons[email("future_hire")], persons[email("pending_leaver")]
    yesterday = (TODAY - timedelta(days=1)).isoformat()
    assert side_door(company, "PATCH", f"/records/personio/persons/{fiona.id}",
                     json_body={"hire_date": yesterday}).status == 200
    assert side_door(company, "PATCH", f"/records/personio/persons/{paul.id}",
                     json_body={"termination_date": yesterday, "status": "INACTIVE"}).status == 200
    company.log.clear()
    planned = reconcile("plan", "-c", spec, "--only", "people_to_moco", "--format", "json", "--changed-since", "10m")
    assert planned.exit_code == 0, planned.output
    changes = json.loads(planned.output)["changes"]
    assert sorted((c["action"], c["user"]) for c in changes) == [("create", email("future_hire")),
                                                                ("update", email("pending_leaver"))]
    employment_reads = [e.path for e in company.log.entries if e.path.endswith("/employments")
                        and e.path.startswith("/v2/")]
    assert sorted(employment_reads) == sorted(f"/v2/persons/{p.id}/employments" for p in (fiona, paul))
    applied = reconcile("apply", "-c", spec, "--only", "people_to_moco", "--auto-approve", "--changed-since", "10m")
    assert applied.exit_code == 0, applied.output
    users = users_by_email(company)
    assert len(users[email("future_hire")]) == 1 and not users[email("pending_leaver")][0].active


def test_user_plans_one_hire_alone_and_every_direction_takes_the_name(company, tmp_path, monkeypatch):
    spec = spec_of(company, tmp_path, monkeypatch)
    planned = reconcile("plan", "-c", spec, "--user", email("hire_due"), "--format", "json")
    assert planned.exit_code == 0, planned.output
    assert [(c["direction"], c["user"]) for c in json.loads(planned.output)["changes"]] == [
        ("people_to_moco", email("hire_due"))]
    off = spec_of(company, tmp_path, monkeypatch, people=False)
    refused = reconcile("plan", "-c", off, "--user", email("hire_due"))
    assert refused.exit_code == 1 and "is only in Personio" in refused.output


def test_under_serve_a_hire_has_a_moco_account_within_a_minute_of_their_personio_event(company, tmp_path):
    synced = tmp_path / "synced.yaml"
    fast_spec(company, synced)
    sync_directly(company, synced)  # absences and hours in sync before serve starts; people not yet
    spec = tmp_path / "mapping.yaml"
    spec.write_text(synced.read_text() + PEOPLE_SECTION)
    running = start_serve(company, spec, register=False)
    try:
        hooks = (({"service": "moco", "url": running.url + "/hooks/moco", "secret": MOCO_SECRET}),
                 {"service": "personio", "url": running.url + "/hooks/personio", "token": PERSONIO_TOKEN,
                  "events": [*PERIOD_EVENTS, *PERSON_EVENTS, *EMPLOYMENT_EVENTS]})
        for body in hooks:  # Personio's person and employment events as well as the periods'
            assert side_door(company, "POST", "/webhooks", json_body=body).status == 201
        wait_for(lambda: email("hire_due") in users_by_email(company), 60, "the start-up run's hires")
        fiona = next(p for p in company.world.personio.persons.values() if p.email.lower() == email("future_hire"))
        started = time.monotonic()
        answer = side_door(company, "PATCH", f"/records/personio/persons/{fiona.id}",
                           json_body={"hire_date": TODAY.isoformat()})
        assert answer.status == 200, answer.body
        [user] = wait_for(lambda: users_by_email(company).get(email("future_hire")), 60, "Fiona's MOCO user")
        assert time.monotonic() - started < 60 and user.tags == [USER_TAG]
    finally:
        code, log = running.stop()
        print(log[-6000:])  # shown when the test fails
    assert code == 0, log
