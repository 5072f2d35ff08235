"""`reconcile doctor` against the sandbox: every check named, read-only, no person in any output; each knob
that makes the stand-in differ turns exactly its check to warn or fail, with the exit code that follows."""

from __future__ import annotations

import re
import uuid

import pytest

from reconciler.doctor import NAMES
from reconciler.sandbox.personio.records import DELETION_EVENTS, PersonioAttendancePeriod
from reconciler.sandbox.seed import MOCO_USER_KEY
from reconciler.systems.moco.client import EMPLOYMENTS_TO
from tests.conftest import TODAY, side_door
from tests.doctor.conftest import doctor

# What the seeded company shows: every check passes but these. The ready spec maps "Arztbesuch", a type
# measured in hours (the plan warns about it); what a read cannot show is skipped, saying why; so are the people
# direction's checks, which the ready spec leaves off (tests/doctor/test_people_checks.py turns it on).
BASELINE = {name: "pass" for name in NAMES} | {
    "absence-types": "warn",
    "personio-rate-limit": "skip", "personio-writes": "skip", "moco-rate-limit": "skip", "moco-writes": "skip",
    "webhook-deliveries": "skip", "moco-units": "skip", "personio-departments": "skip", "personio-leavers": "skip",
}


def changed(statuses: dict[str, str]) -> dict[str, str]:
    return {name: status for name, status in statuses.items() if BASELINE[name] != status}


def test_against_the_sandbox_every_check_runs_read_only_and_exits_0(setup, sandbox):
    sandbox.log.clear()
    ran = doctor(setup, "--format", "json")
    assert ran.code == 0, ran.output
    report = ran.report
    assert set(report) == {"checks", "summary"}
    assert [check["name"] for check in report["checks"]] == list(NAMES)
    assert all(set(check) == {"name", "status", "detail"} and check["detail"] for check in report["checks"])
    assert ran.statuses == BASELINE, changed(ran.statuses)
    statuses = list(ran.statuses.values())
    assert report["summary"] == {status: statuses.count(status) for status in ("pass", "warn", "fail", "skip")}
    sent = {(entry.method, entry.path) for entry in sandbox.log.entries}
    writes = {call for call in sent if call[0] != "GET"}
    assert writes == {("POST", "/v2/auth/token")}, writes  # the token, and no write at all
    assert len(sandbox.log.entries) < 80, sandbox.log.counts()


def test_the_text_report_is_a_line_a_check_and_a_summary(setup):
    ran = doctor(setup)
    assert ran.code == 0
    lines = ran.stdout.rstrip("\n").split("\n")
    assert [line.split()[1] for line in lines[:len(NAMES)]] == list(NAMES)
    assert [line.split()[0] for line in lines[:len(NAMES)]] == list(BASELINE.values())
    assert lines[-1].startswith("Doctor: 19 pass, 1 warn, 0 fail, 8 skip; no check failed")


def test_a_webhook_recording_deletions_only_warns_that_incremental_runs_poll(setup, sandbox):
    for config in sandbox.world.personio.webhooks.values():
        config.enabled_events = list(DELETION_EVENTS)  # the sandbox's own default
    ran = doctor(setup, "--format", "json")
    assert changed(ran.statuses) == {"personio-webhooks": "warn"} and ran.code == 0
    detail = ran.detail("personio-webhooks")
    assert "incremental runs poll Personio's updated_at lists" in detail and "person.created" in detail


def people(sandbox) -> tuple[set[str], set[str]]:
    """Everything that would name a person of the seeded world: (words, ids)."""
    words, ids = set(), set()
    for person in sandbox.world.personio.persons.values():
        words |= {person.email or "", person.first_name, person.last_name}
        ids.add(person.id)
    for user in sandbox.world.moco.users.values():
        words |= {user.email or "", user.firstname, user.lastname}
        ids.add(str(user.id))
    return {word for word in words if word}, ids


@pytest.mark.parametrize("fmt", ["text", "json"])
def test_no_person_and_no_date_of_one_in_any_output(setup, sandbox, fmt):
    sandbox.knobs["moco"].update({"assignment_code": False})  # the warnings' words too
    sandbox.world.personio.withheld_scopes.add("personio:webhooks:read")
    ran = doctor(setup, "--format", fmt)
    words, ids = people(sandbox)
    found = [word for word in words if re.search(rf"(?<![\w.]){re.escape(word)}(?![\w])", ran.output, re.I)]
    assert not found, found
    assert not [ident for ident in ids if re.search(rf"\b{ident}\b", ran.output)]
    assert set(re.findall(r"\d{4}-\d{2}-\d{2}", ran.output)) <= {EMPLOYMENTS_TO}
    for secret in sandbox.env().values():
        assert secret not in ran.output


@pytest.mark.parametrize("service, knobs, expected, code", [
    ("personio", {"absence_approval": False}, {"absence-periods": "fail"}, 1),
    ("moco", {"employments_without_to": "open_ended"}, {"moco-employments": "warn"}, 0),
    ("moco", {"assignment_code": False}, {"moco-schedules": "warn"}, 0),
    # A credential without the email attribute: no email (matching is impossible), and no status either; its
    # employments come with id, person and status alone.
    ("personio", {"sparse_persons": True}, {"personio-person-emails": "fail", "personio-person-statuses": "warn",
                                            "personio-employments": "warn"}, 1),
], ids=["absence_approval", "employments_without_to", "assignment_code", "sparse_persons"])
def test_a_knob_turns_exactly_its_check(setup, sandbox, service, knobs, expected, code):
    sandbox.knobs[service].update(knobs)
    ran = doctor(setup, "--format", "json")
    assert changed(ran.statuses) == expected, {name: ran.detail(name) for name in changed(ran.statuses)}
    assert ran.code == code


def test_ended_employments_listed_only_with_to_are_said_so(setup, sandbox):
    sandbox.knobs["moco"].update({"employments_without_to": "open_ended"})
    detail = doctor(setup, "--format", "json").detail("moco-employments")
    assert "ended employments are listed only with `to`" in detail
    assert "reconcile reads both ways and merges by id" in detail


def test_absence_periods_without_approval_fail_naming_the_field(setup, sandbox):
    sandbox.knobs["personio"].update({"absence_approval": False})
    assert "none carries approval.status" in doctor(setup, "--format", "json").detail("absence-periods")


@pytest.mark.parametrize("scope, needing", [
    ("personio:persons:read", ["personio-person-emails", "personio-person-statuses", "personio-pagination",
                               "personio-holidays", "personio-employments", "personio-rate-limit"]),
    ("personio:absences:read", ["absence-types", "absence-periods", "personio-holidays"]),
    ("personio:attendances:read", ["attendance-periods"]),
])
def test_a_withheld_read_scope_fails_naming_it_and_skips_what_needs_it(setup, sandbox, scope, needing):
    sandbox.world.personio.withheld_scopes.add(scope)
    ran = doctor(setup, "--format", "json")
    assert ran.code == 1
    assert changed(ran.statuses) == {"personio-scopes": "fail", **{name: "skip" for name in needing
                                                                   if BASELINE[name] != "skip"}}
    short = scope.removeprefix("personio:")
    assert f"{short} refused" in ran.detail("personio-scopes") and "needed by" in ran.detail("personio-scopes")
    assert all(scope in ran.detail(name) for name in needing if BASELINE[name] != "skip")


def test_a_withheld_webhooks_scope_is_a_warning(setup, sandbox):
    sandbox.world.personio.withheld_scopes.add("personio:webhooks:read")
    ran = doctor(setup, "--format", "json")
    assert ran.code == 0
    assert changed(ran.statuses) == {"personio-scopes": "warn", "personio-webhooks": "warn"}
    assert "personio:webhooks:read" in ran.detail("personio-webhooks")


def test_a_token_without_the_write_scope_fails(setup, sandbox):
    sandbox.world.personio.withheld_scopes.add("personio:attendances:write")
    ran = doctor(setup, "--format", "json")
    assert ran.code == 1
    assert changed(ran.statuses) == {"personio-scopes": "fail"}
    assert "attendances:write is not among the token's scopes" in ran.detail("personio-scopes")


def test_a_webhook_config_without_enabled_events_is_a_warning_not_a_crash(setup, sandbox):
    webhook = next(iter(sandbox.world.personio.webhooks))
    answer = side_door(sandbox, "PATCH", f"/records/personio/webhooks/{webhook}", json_body={"enabled_events": None})
    assert answer.status == 200, answer.body
    ran = doctor(setup, "--format", "json")
    assert ran.code == 0
    assert changed(ran.statuses) == {"personio-webhooks": "warn"}
    assert "lists no enabled_events" in ran.detail("personio-webhooks")


def test_without_a_webhook_config_incremental_runs_poll(setup, sandbox):
    webhook = next(iter(sandbox.world.personio.webhooks))
    assert side_door(sandbox, "DELETE", f"/records/personio/webhooks/{webhook}").status == 204
    ran = doctor(setup, "--format", "json")
    assert changed(ran.statuses) == {"personio-webhooks": "warn"} and ran.code == 0
    assert "no Personio webhook config" in ran.detail("personio-webhooks")


def test_duration_only_periods_are_counted_and_said_what_reconcile_does(setup, sandbox):
    person = next(iter(sandbox.world.personio.persons))
    for days in (2, 3):
        ident = str(uuid.uuid4())
        sandbox.world.personio.attendance_periods[ident] = PersonioAttendancePeriod(
            id=ident, person_id=person, type="WORK", start=None, end=None, duration="PT7H30M",
            attribution_date=(TODAY.replace(day=TODAY.day - days)).isoformat())
    ran = doctor(setup, "--format", "json")
    assert changed(ran.statuses) == {"attendance-periods": "warn"} and ran.code == 0
    detail = ran.detail("attendance-periods")
    assert "2 duration-only periods in the last 31 days" in detail and "conflict" in detail


def test_refused_moco_key_fails_and_skips_every_moco_check(setup, sandbox, monkeypatch):
    monkeypatch.setenv("MOCO_API_KEY", "not-the-key")
    ran = doctor(setup, "--format", "json")
    assert ran.code == 1
    moco = [name for name in NAMES if name.startswith("moco-") and name not in ("moco-credentials", "moco-writes")]
    assert ran.statuses["moco-credentials"] == "fail" and "$MOCO_API_KEY" in ran.detail("moco-credentials")
    assert all(ran.statuses[name] == "skip" and "moco-credentials" in ran.detail(name) for name in moco)
    assert ran.statuses["personio-person-emails"] == "pass"  # the other side goes on
    assert "not-the-key" not in ran.output


def test_refused_personio_secret_fails_and_skips_every_personio_check(setup, sandbox, monkeypatch):
    monkeypatch.setenv("PERSONIO_CLIENT_SECRET", "not-the-secret")
    ran = doctor(setup, "--format", "json")
    assert ran.code == 1
    assert ran.statuses["personio-credentials"] == "fail"
    assert "$PERSONIO_CLIENT_SECRET" in ran.detail("personio-credentials")
    personio = ["personio-scopes", "personio-person-emails", "personio-person-statuses", "personio-filters",
                "personio-pagination", "absence-types", "absence-periods", "attendance-periods",
                "personio-holidays", "personio-employments", "personio-webhooks", "personio-rate-limit"]
    assert all(ran.statuses[name] == "skip" and "personio-credentials" in ran.detail(name) for name in personio)
    assert "not-the-secret" not in ran.output


def test_both_refused_skips_everything_else(setup, monkeypatch):
    monkeypatch.setenv("MOCO_API_KEY", "not-the-key")
    monkeypatch.setenv("PERSONIO_CLIENT_ID", "nobody")
    ran = doctor(setup, "--format", "json")
    assert ran.code == 1
    assert ran.report["summary"] == {"pass": 0, "warn": 0, "fail": 2, "skip": len(NAMES) - 2}


def test_a_key_without_staff_rights_fails_the_moco_credentials(setup, monkeypatch):
    monkeypatch.setenv("MOCO_API_KEY", MOCO_USER_KEY)
    ran = doctor(setup, "--format", "json")
    assert ran.code == 1 and ran.statuses["moco-credentials"] == "fail"
    assert "GET /api/v1/users was refused (403)" in ran.detail("moco-credentials")
    assert "account API key with full access" in ran.detail("moco-credentials")


def test_unset_variables_fail_the_credentials_naming_them(setup, monkeypatch):
    monkeypatch.delenv("PERSONIO_CLIENT_SECRET")
    ran = doctor(setup, "--format", "json")
    assert ran.code == 1
    assert ran.statuses["personio-credentials"] == "fail"
    assert "$PERSONIO_CLIENT_SECRET (the Personio API client secret; named by personio.client_secret_env" in \
        ran.detail("personio-credentials")
    assert ran.statuses["moco-credentials"] == "pass"


def test_a_bad_spec_exits_1_with_a_message(tmp_path):
    spec = tmp_path / "mapping.yaml"
    spec.write_text("version: 1\nstart_date: 2026-01-01\nmoco: {subdomain: acme}\nabsences: {typos: {}}\n")
    ran = doctor(spec)
    assert ran.code == 1
    assert "error:" in ran.output and "absences" in ran.output and "Traceback" not in ran.output
    assert ran.stdout == ""


def test_an_unreachable_service_fails_its_credentials_quickly(setup, monkeypatch):
    text = setup.read_text()
    setup.write_text(re.sub(r"base_url: http://127\.0\.0\.1:\d+/api/v1", "base_url: http://127.0.0.1:9/api/v1", text))
    ran = doctor(setup, "--format", "json", "--timeout", "2")
    assert ran.code == 1
    assert ran.statuses["moco-credentials"] == "fail" and "unreachable" in ran.detail("moco-credentials")


def test_holidays_are_read_as_reconcile_reads_them_and_a_wrong_shape_names_the_field(setup, sandbox, monkeypatch):
    ran = doctor(setup, "--format", "json")
    detail = ran.detail("personio-holidays")
    assert ran.statuses["personio-holidays"] == "pass" and "read as reconcile reads them" in detail
    assert "public" in detail and "company" in detail and "half days" in detail
    from reconciler.sandbox.personio import holidays as stand_in

    shown = stand_in.entry_json
    monkeypatch.setattr(stand_in, "entry_json", lambda person_id, holiday: {
        **{k: v for k, v in shown(person_id, holiday).items() if k != "half_day"}, "halfDay": holiday.half_day})
    ran = doctor(setup, "--format", "json")
    detail = ran.detail("personio-holidays")
    assert ran.statuses["personio-holidays"] == "warn" and ran.code == 0
    assert "half_day is missing" in detail and "halfDay" in detail and "holidays.sync is false" in detail
    assert not re.search(r"[0-9a-f]{8}-[0-9a-f]{4}-", detail)  # not the entry's id (one per person and day)
    # Where the spec syncs holidays, every run would stop on that entry: a failure, exit code 1.
    setup.write_text(setup.read_text().replace("holidays:\n  sync: false", "holidays:\n  sync: true"))
    ran = doctor(setup, "--format", "json")
    assert ran.statuses["personio-holidays"] == "fail" and ran.code == 1
    assert "half_day is missing" in ran.detail("personio-holidays")
    assert "holidays.sync is true" in ran.detail("personio-holidays")


@pytest.mark.parametrize(("status", "says"), [
    (404, "GET /v2/holidays is not available to this account (404)"),
    (400, "GET /v2/holidays answered 400 to the parameters reconcile sends (person.id, date.gte, date.lte, limit; "
          "the page size 50 is a guess)"),
])
def test_holidays_not_answered_fail_only_where_they_are_synced(setup, sandbox, status, says):
    from reconciler.sandbox import Fault

    for synced, verdict, code in (("false", "warn", 0), ("true", "fail", 1)):
        setup.write_text(re.sub(r"holidays:\n  sync: \w+", f"holidays:\n  sync: {synced}", setup.read_text()))
        sandbox.add_fault("personio", Fault(method="GET", path="/v2/holidays", status=status, times=1))
        ran = doctor(setup, "--format", "json")
        assert ran.statuses["personio-holidays"] == verdict and ran.code == code
        assert ran.detail("personio-holidays").startswith(says)


def test_employments_pass_with_the_fields_found_and_warn_on_a_renamed_one(setup, sandbox, monkeypatch):
    ran = doctor(setup, "--format", "json")
    detail = ran.detail("personio-employments")
    assert ran.statuses["personio-employments"] == "pass", detail
    assert detail == ("an employment reads with start_date, termination_date, weekly_working_hours, department; "
                      "the departments list answers")
    from reconciler.sandbox.personio import employments as stand_in

    shown = stand_in.employment_json

    def renamed(person, *, sparse=False):
        moved = shown(person, sparse=sparse)
        moved["termination"] = {"termination_date": moved.pop("termination_date")}
        moved["weeklyHours"] = moved.pop("weekly_working_hours")
        return moved

    monkeypatch.setattr(stand_in, "employment_json", renamed)
    ran = doctor(setup, "--format", "json")
    detail = ran.detail("personio-employments")
    assert ran.statuses["personio-employments"] == "warn" and ran.code == 0
    assert "termination_date (as termination.termination_date)" in detail
    assert "missing: weekly_working_hours (hires would get no MOCO employment)" in detail
    assert "no direction syncs people yet" in detail
    persons = sandbox.world.personio.persons.values()
    assert not any(p.id in detail or (p.hire_date or "-") in detail or p.employment_id in detail for p in persons)


def test_employments_sparse_or_refused_warn(setup, sandbox):
    from reconciler.sandbox import Fault

    sandbox.knobs["personio"].update({"sparse_persons": True})
    ran = doctor(setup, "--format", "json")
    detail = ran.detail("personio-employments")
    assert ran.statuses["personio-employments"] == "warn" and "an employment reads with none; missing: start_date" \
        in detail, detail
    sandbox.knobs["personio"].update({"sparse_persons": False})
    person = min(sandbox.world.personio.persons, key=int)  # the first the persons list names
    sandbox.add_fault("personio", Fault(method="GET", path=f"/v2/persons/{person}/employments", status=403, times=1))
    ran = doctor(setup, "--format", "json")
    assert ran.statuses["personio-employments"] == "warn" and ran.code == 0
    assert ran.detail("personio-employments").startswith("GET /v2/persons/{id}/employments was refused (403")
    sandbox.add_fault("personio", Fault(method="GET", path="/v2/org-units", status=404, times=1))
    ran = doctor(setup, "--format", "json")
    assert ran.statuses["personio-employments"] == "warn"
    assert "the departments list (GET /v2/org-units?type=DEPARTMENT) was refused (404)" in \
        ran.detail("personio-employments")
