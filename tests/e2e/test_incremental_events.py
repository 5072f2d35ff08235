"""Incremental runs that learn what changed in Personio from its webhook events, end to end against the sandbox
(issue 19): with a webhook recording every change event, no `updated_at` list is read from Personio (its
request log says so); a new person, in either system, and a changed email are seen, and planned as a full run
plans them; a period changed in Personio is read again by id."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from reconciler.sandbox.moco.records import MocoEmployment, MocoUser
from reconciler.sandbox.personio.records import CHANGE_EVENTS, PersonioAbsencePeriod, PersonioPerson
from reconciler.sandbox.personio.webhooks import record
from tests.conftest import TODAY, side_door
from tests.e2e.test_incremental import run, synced  # noqa: F401 (a fixture, asked for by name below)

LONG_AGO = (datetime.now(UTC) - timedelta(days=30)).strftime("%Y-%m-%dT%H:%M:%SZ")


@pytest.fixture
def listening(sandbox, synced) -> Any:  # noqa: F811 (the fixture imported above)
    """In sync, with the webhook config recording every change event reconcile reads (what the README advises)."""
    for config in sandbox.world.personio.webhooks.values():
        config.enabled_events = list(CHANGE_EVENTS)
    return synced


def vacation_of(sandbox, person_id: str, ident: str) -> PersonioAbsencePeriod:
    """An approved one-day vacation two weeks ahead, entered long ago (no event, not in any updated_at list)."""
    world = sandbox.world.personio
    vacation = next(t.id for t in world.absence_types.values() if t.name == "Paid vacation")
    day = TODAY + timedelta(days=14)
    while day.weekday() >= 5:
        day += timedelta(days=1)
    period = PersonioAbsencePeriod(id=ident, person_id=person_id, absence_type_id=vacation,
                                   starts_from=f"{day}T00:00:00", starts_type="FIRST_HALF",
                                   ends_at=f"{day + timedelta(days=1)}T00:00:00", ends_type="SECOND_HALF",
                                   created_at=LONG_AGO, updated_at=LONG_AGO)
    world.absence_periods[period.id] = period
    return period


def moco_user(sandbox, email: str, updated_at: str, pattern_at: str = LONG_AGO) -> MocoUser:
    world = sandbox.world.moco
    user = MocoUser(id=max(world.users) + 1000, firstname="New", lastname="Person", email=email,
                    created_at=updated_at, updated_at=updated_at)
    world.users[user.id] = user
    employment = MocoEmployment(id=user.id + 1, user_id=user.id, am=[4.0] * 5, pm=[4.0] * 5, from_date="2020-01-01",
                                created_at=pattern_at, updated_at=pattern_at)
    world.employments[employment.id] = employment
    return user


def nina(sandbox) -> PersonioPerson:
    """Hired, with no MOCO account yet (seed)."""
    return next(p for p in sandbox.world.personio.persons.values() if (p.email or "").startswith("nina."))


def plans(sandbox, spec) -> tuple[dict[str, Any], dict[str, Any], list[Any]]:
    """The incremental plan (the last 10 minutes), with the requests it sent, and the full plan."""
    sandbox.log.entries.clear()
    quick = run("plan", "-c", str(spec), "--format", "json", "--changed-since", "10m")
    assert quick.exit_code in (0, 2), quick.output
    sent = list(sandbox.log.entries)
    full = run("plan", "-c", str(spec), "--format", "json")
    return json.loads(quick.stdout), json.loads(full.stdout), sent


def polled(sent: list[Any]) -> list[str]:
    return [f"{e.path}?{e.query}" for e in sent if e.service == "personio" and "updated_at" in e.query]


def test_a_new_moco_user_for_a_person_with_absences_is_seen_without_polling_personio(sandbox, listening):
    """The user is new (`updated_after` on users), its work pattern is not (so that read does not bring it)."""
    vacation_of(sandbox, nina(sandbox).id, "nina-1")
    user = moco_user(sandbox, nina(sandbox).email.lower(), datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"))

    quick, full, sent = plans(sandbox, listening)

    assert quick["changes"] and quick["changes"] == full["changes"]
    assert {(c["action"], c["system"], c["user"]) for c in quick["changes"]} == {("create", "moco", user.email)}
    assert not polled(sent)
    assert quick["notes"][1].startswith("Personio: absence-period, attendance-period, person changes from the events")


def test_a_changed_email_in_personio_is_seen_and_planned_as_the_full_run_plans_it(sandbox, listening):
    vacation_of(sandbox, nina(sandbox).id, "nina-2")
    user = moco_user(sandbox, "nina@acme.example", LONG_AGO)  # in MOCO long since, matched by nobody
    before = json.loads(run("plan", "-c", str(listening), "--format", "json").stdout)
    assert not before["changes"]

    answer = side_door(sandbox, "PATCH", f"/records/personio/persons/{nina(sandbox).id}",
                       json_body={"email": "Nina@acme.example"})
    assert answer.status == 200
    quick, full, sent = plans(sandbox, listening)

    assert quick["changes"] and quick["changes"] == full["changes"]
    assert {(c["action"], c["user"]) for c in quick["changes"]} == {("create", user.email)}
    assert not polled(sent)
    events = [e for e in sent if "/events" in e.path]
    assert len(events) == 1 and "limit=" in events[0].query


def test_a_new_personio_person_is_seen_from_its_event(sandbox, listening):
    user = moco_user(sandbox, "paula@acme.example", LONG_AGO)
    state = sandbox.world.personio
    paula = PersonioPerson(id="990001", email="paula@acme.example", first_name="Paula", last_name="Neu",
                           employment_id="e-990001", created_at=LONG_AGO, updated_at=LONG_AGO)
    state.persons[paula.id] = paula
    vacation_of(sandbox, paula.id, "paula-1")
    record(state, "person.created", paula)  # as Personio's API raises it

    quick, full, sent = plans(sandbox, listening)

    assert {(c["action"], c["user"]) for c in quick["changes"]} == {("create", user.email)}
    assert quick["changes"] == full["changes"] and not polled(sent)


def test_a_period_changed_in_personio_is_read_again_by_id(sandbox, listening):
    world = sandbox.world
    synced_ids = {s.comment.split()[-1] for s in world.moco.schedules.values() if s.comment}
    period = next(p for p in sorted(world.personio.absence_periods.values(), key=lambda p: p.id)
                  if p.status == "APPROVED" and p.id in " ".join(synced_ids) and p.starts_from >= f"{TODAY}")
    answer = side_door(sandbox, "PATCH", f"/records/personio/absence_periods/{period.id}",
                       json_body={"status": "CANCELLED"})
    assert answer.status == 200

    quick, full, sent = plans(sandbox, listening)

    assert quick["changes"] and quick["changes"] == full["changes"]
    assert {c["action"] for c in quick["changes"]} == {"delete"}
    by_id = [e for e in sent if e.path == "/v2/absence-periods" and f"id={period.id}" in e.query]
    assert by_id and not polled(sent)


def test_a_changed_work_pattern_is_seen(sandbox, listening):
    vacation_of(sandbox, nina(sandbox).id, "nina-3")
    user = moco_user(sandbox, nina(sandbox).email.lower(), LONG_AGO, pattern_at=LONG_AGO)
    pattern = next(e for e in sandbox.world.moco.employments.values() if e.user_id == user.id)
    pattern.am, pattern.pm = [0.0] * 5, [0.0] * 5  # entered as never working: nothing to sync
    assert not json.loads(run("plan", "-c", str(listening), "--format", "json").stdout)["changes"]

    pattern.am, pattern.pm = [4.0] * 5, [4.0] * 5
    pattern.updated_at = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    quick, full, _sent = plans(sandbox, listening)

    assert {(c["action"], c["user"]) for c in quick["changes"]} == {("create", user.email)}
    assert quick["changes"] == full["changes"]
