"""Deletions in Personio read from its webhook events, end to end against the sandbox: periods deleted
through its API or its side door name the right people; without the scope or a webhook, the run is told
that only a full run sees them."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from reconciler.plan.scope import ALL_DAYS
from reconciler.read.personio import personio_changes
from reconciler.sandbox.personio.records import CHANGE_EVENTS
from reconciler.spec import parse_spec
from reconciler.sync import registry
from reconciler.sync.ownership import absence_source, attendance_source
from reconciler.systems.connect import Tuning, open_clients, read_credentials
from reconciler.systems.personio.events import SCOPE

ABSENCES, HOURS = "absences_to_moco", "hours_to_personio"
from tests.conftest import TODAY, side_door
from tests.e2e.test_incremental import run, synced  # noqa: F401 (a fixture, asked for by name below)


def deletions(sandbox, since: datetime, every_event: bool = True) -> Any:
    """What changed in Personio since `since`; with `every_event`, its webhook records every change event, so
    that no updated_at list is read (the seeded periods were all written at the start of the test)."""
    spec = parse_spec(sandbox.spec_yaml(), today=TODAY)
    for config in sandbox.world.personio.webhooks.values():
        if every_event:
            config.enabled_events = list(CHANGE_EVENTS)

    async def scenario() -> Any:
        async with open_clients(spec, read_credentials(spec, sandbox.env()), Tuning()) as clients:
            return await personio_changes(clients, since, registry.DIRECTIONS)

    return asyncio.run(scenario())


def an_approved_absence(sandbox):
    return next(p for p in sorted(sandbox.world.personio.absence_periods.values(), key=lambda p: p.id)
                if p.status == "APPROVED")


def an_attendance_of_someone_else(sandbox, person_id: str):
    return next(p for p in sorted(sandbox.world.personio.attendance_periods.values(), key=lambda p: p.id)
                if p.person_id != person_id)


def just_before() -> datetime:
    return datetime.now(UTC) - timedelta(seconds=2)


def test_periods_deleted_through_the_api_name_their_people(sandbox, personio):
    since = just_before()
    absence = an_approved_absence(sandbox)
    attendance = an_attendance_of_someone_else(sandbox, absence.person_id)
    assert personio("DELETE", f"/v2/absence-periods/{absence.id}").status == 204
    assert personio("DELETE", f"/v2/attendance-periods/{attendance.id}").status == 204

    found = deletions(sandbox, since)

    assert found.deletions and len(found.notes) == 1 and not found.whole
    assert dict(found.touched[ABSENCES].personio) == {absence.person_id: ALL_DAYS}
    assert dict(found.touched[HOURS].personio) == {attendance.person_id: ALL_DAYS}


def test_periods_deleted_behind_the_api_raise_events_too_and_older_ones_are_not_read(sandbox, personio):
    absence = an_approved_absence(sandbox)
    attendance = an_attendance_of_someone_else(sandbox, absence.person_id)
    assert side_door(sandbox, "DELETE", f"/records/personio/absence_periods/{absence.id}").status == 204
    since = datetime.now(UTC) + timedelta(milliseconds=5)
    asyncio.run(asyncio.sleep(0.02))
    assert side_door(sandbox, "DELETE", f"/records/personio/attendance_periods/{attendance.id}").status == 204

    found = deletions(sandbox, since)

    assert dict(found.touched[ABSENCES].personio) == {}  # deleted before the bound
    assert dict(found.touched[HOURS].personio) == {attendance.person_id: ALL_DAYS}


def test_a_deletion_that_names_no_person_plans_absences_whole_and_says_so(sandbox, personio):
    for config in sandbox.world.personio.webhooks.values():
        config.names_person = False
    since = just_before()
    absence = an_approved_absence(sandbox)
    attendance = an_attendance_of_someone_else(sandbox, absence.person_id)
    personio("DELETE", f"/v2/absence-periods/{absence.id}")
    personio("DELETE", f"/v2/attendance-periods/{attendance.id}")

    found = deletions(sandbox, since)

    assert found.deletions and found.whole == {ABSENCES}
    assert not found.touched[ABSENCES].personio and not found.touched[HOURS].personio
    assert "Personio events of 1 absence-period name no person: absences Personio → MOCO is planned whole" \
        in found.notes
    assert any("Personio events of 1 attendance-period name no person" in n and "full run" in n for n in found.notes)


@pytest.mark.parametrize("how", ["scope withheld", "no webhook", "webhook disabled"])
def test_without_webhook_events_the_run_goes_on_and_is_told_how_to_see_deletions(sandbox, personio, how):
    state = sandbox.world.personio
    if how == "scope withheld":
        state.withheld_scopes.add(SCOPE)
    elif how == "no webhook":
        for webhook_id in list(state.webhooks):
            assert side_door(sandbox, "DELETE", f"/records/personio/webhooks/{webhook_id}").status == 204
    else:
        for webhook_id in list(state.webhooks):
            side_door(sandbox, "PATCH", f"/records/personio/webhooks/{webhook_id}", json_body={"status": "DISABLED"})
    absence = an_approved_absence(sandbox)
    personio("DELETE", f"/v2/absence-periods/{absence.id}")

    found = deletions(sandbox, just_before() - timedelta(minutes=5), every_event=False)

    assert not found.deletions and not found.whole and found.polled == {ABSENCES, HOURS}
    polled, note = found.notes
    assert polled.startswith("Personio: absence-period, attendance-period, person changes polled")
    assert note.startswith("deletions in Personio are seen only by a full run")
    assert "absence-period.deleted" in note and "attendance-period.deleted" in note and SCOPE in note
    assert {"scope withheld": "lacks the scope", "no webhook": "no enabled Personio webhook",
            "webhook disabled": "is not enabled"}[how] in note


def plans(setup) -> tuple[list[dict[str, Any]], list[dict[str, Any]], list[str]]:
    """The changes of an incremental plan (the last 10 minutes), of a full plan, and the incremental one's notes."""
    quick = run("plan", "-c", str(setup), "--format", "json", "--changed-since", "10m")
    assert quick.exit_code == 0, quick.output
    full = run("plan", "-c", str(setup), "--format", "json")
    return json.loads(quick.stdout)["changes"], json.loads(full.stdout)["changes"], json.loads(quick.stdout)["notes"]


def test_an_incremental_run_removes_the_absences_of_a_period_deleted_in_personio(sandbox, personio, request):
    spec = request.getfixturevalue("synced")
    ours = {absence_source(s.comment) for s in sandbox.world.moco.schedules.values()}
    absence = next(p for p in sorted(sandbox.world.personio.absence_periods.values(), key=lambda p: p.id)
                   if p.id in ours)
    assert personio("DELETE", f"/v2/absence-periods/{absence.id}").status == 204

    quick, full, notes = plans(spec)

    assert quick and quick == full and {c["action"] for c in quick} == {"delete"}
    assert "Deletions in MOCO on days nothing else changed are seen by a full run" in notes[0]


def test_an_incremental_run_writes_again_an_attendance_period_deleted_in_personio(sandbox, personio, request):
    spec = request.getfixturevalue("synced")
    period = next(p for p in sorted(sandbox.world.personio.attendance_periods.values(), key=lambda p: p.id)
                  if attendance_source(p.comment) in sandbox.world.moco.presences)
    assert personio("DELETE", f"/v2/attendance-periods/{period.id}").status == 204

    quick, full, _notes = plans(spec)

    assert quick and quick == full and [c["action"] for c in quick] == ["create"]


def test_without_the_scope_an_incremental_run_says_how_to_see_deletions(sandbox, personio, request):
    spec = request.getfixturevalue("synced")
    sandbox.world.personio.withheld_scopes.add(SCOPE)
    ours = {absence_source(s.comment) for s in sandbox.world.moco.schedules.values()}
    absence = next(p for p in sandbox.world.personio.absence_periods.values() if p.id in ours)
    personio("DELETE", f"/v2/absence-periods/{absence.id}")

    quick, full, notes = plans(spec)

    assert not quick and full  # left to the full run, as before
    assert any(n.startswith("deletions in Personio are seen only by a full run: the API credential lacks the scope")
               for n in notes)
