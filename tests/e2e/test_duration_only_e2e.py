"""Duration-only attendance periods end to end against the sandbox: days someone tracked in Personio as a
length without times are conflicts and stay untouched; `attendances.record_as: duration` writes presences as
such periods and converges."""

from __future__ import annotations

import dataclasses
import json
from datetime import timedelta

from reconciler.sync.ownership import attendance_source
from tests.e2e.test_absences_e2e import writes
from tests.e2e.test_attendances_e2e import hours_only, matched_presences, setup, synced_periods  # noqa: F401

HELD = "Personio has a duration-only attendance on this day (tracked without times: "




def periods_on(sandbox, days: set[tuple[str, str]]) -> list[dict]:
    """Every stored period of these (person, day) pairs, as stored."""
    return sorted((dataclasses.asdict(p) for p in sandbox.world.personio.attendance_periods.values()
                   if (p.person_id, p.day) in days), key=lambda p: p["id"])


def test_days_tracked_as_durations_are_conflicts_and_nothing_there_is_touched(sandbox, setup):  # noqa: F811
    sandbox.reset(dataclasses.replace(sandbox.params, duration_only_days=3))
    tracked = [p for p in sandbox.world.personio.attendance_periods.values() if p.duration_only]
    held = {(p.person_id, p.day) for p in tracked}
    assert len(held) == 3
    emails = {p.id: p.email for p in sandbox.world.personio.persons.values()}
    held_by_email = {(emails[person], day) for person, day in held}

    plan = json.loads(hours_only("plan", "-c", str(setup), "--format", "json").output)
    conflicts = [c for c in plan["conflicts"] if c["reason"].startswith(HELD)]
    assert {(c["user"], c["date"]) for c in conflicts} == held_by_email
    assert any("reconcile wrote here earlier" in c["reason"] and "left as" in c["reason"] for c in conflicts)
    assert not {(c["user"], c["date"]) for c in plan["changes"]} & held_by_email
    text = hours_only("plan", "-c", str(setup)).output
    assert HELD in text and "no period is written for it" in text

    before = periods_on(sandbox, held)
    result = hours_only("apply", "-c", str(setup), "--auto-approve")
    assert result.exit_code == 0, result.output
    assert periods_on(sandbox, held) == before  # the duration-only periods, and what reconcile wrote there earlier
    for presence in matched_presences(sandbox):  # every other day is synced as usual
        day_held = any(day == presence.date for _, day in held)
        assert presence.id in synced_periods(sandbox) or day_held or presence.date == "2026-11-19"

    sandbox.log.clear()
    again = hours_only("apply", "-c", str(setup), "--auto-approve")
    assert again.exit_code == 0 and "Nothing to apply." in again.output, again.output
    assert writes(sandbox) == []
    assert periods_on(sandbox, held) == before


def test_record_as_duration_writes_lengths_without_times_and_converges(sandbox, setup):  # noqa: F811
    setup.write_text(setup.read_text().replace("direction: moco_to_personio",
                                               "direction: moco_to_personio\n  record_as: duration"))
    plan = json.loads(hours_only("plan", "-c", str(setup), "--format", "json").output)
    recreated = [c for c in plan["changes"] if c["action"] == "update" and c["send"].get("recreate")]
    assert recreated  # the periods an earlier run wrote with times are replaced
    assert all("duration" in c["after"] and "start" not in c["after"] for c in plan["changes"] if "after" in c)
    result = hours_only("apply", "-c", str(setup), "--auto-approve")
    assert result.exit_code == 0, result.output

    synced = synced_periods(sandbox)
    for presence in matched_presences(sandbox):
        if presence.id not in synced:
            continue  # a conflict (Leon's hand-made period over his presence)
        (period,) = synced[presence.id]
        start, end = (int(t[:2]) * 60 + int(t[3:]) for t in (presence.from_time, presence.to_time))
        length = timedelta(minutes=(end - start) % (24 * 60))
        assert period.duration_only and period.day == presence.date and period.status == "CONFIRMED"
        assert period.duration == f"PT{length.seconds // 3600}H" + (
            f"{length.seconds // 60 % 60}M" if length.seconds // 60 % 60 else "")
    assert not [p for p in sandbox.world.personio.attendance_periods.values()
                if attendance_source(p.comment) is not None and not p.duration_only]

    sandbox.log.clear()
    second = json.loads(hours_only("plan", "-c", str(setup), "--format", "json").output)
    assert second["changes"] == [], second["changes"][:3]
    again = hours_only("apply", "-c", str(setup), "--auto-approve")
    assert again.exit_code == 0 and "Nothing to apply." in again.output
    assert writes(sandbox) == []
