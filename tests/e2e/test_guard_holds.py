"""Issue 20, finding 6: the mass-change guard holds what breached, not everything. A breach in MOCO's
absences (an empty answer from Personio) holds those changes; the working hours (the other direction,
the other system) still reach Personio, `apply` names what it held and exits 1, and `--force` applies all."""

from __future__ import annotations

import json

from reconciler.sync.ownership import is_ours
from tests.conftest import Moco
from tests.e2e.test_absences_e2e import writes
from tests.e2e.test_attendances_e2e import matched_presences, reconcile, setup, synced_periods

__all__ = ["setup"]  # the fixture of the hours tests: both directions against the sandbox


def ours(sandbox) -> list:
    return [s for s in sandbox.world.moco.schedules.values() if is_ours(s.comment)]


def storm(sandbox) -> tuple[int, int]:
    """Personio answers no absence (a revoked scope, an outage) while someone edits a presence in MOCO:
    the synced MOCO absences and the presence's period are due to change."""
    sandbox.world.personio.absence_periods.clear()
    presence = sorted((p for p in matched_presences(sandbox) if p.from_time >= "13:00"), key=lambda p: (p.date, p.id))[0]
    assert Moco(sandbox)("PATCH", f"/users/presences/{presence.id}", json_body={"to": "18:45"}).status == 200
    sandbox.log.entries.clear()
    return presence.id, len(ours(sandbox))


def test_a_breach_in_absences_holds_them_and_hours_still_reach_personio(sandbox, setup, tmp_path):
    assert reconcile("apply", "-c", str(setup), "--auto-approve").exit_code == 0
    presence, synced = storm(sandbox)
    assert synced >= 10

    plan = json.loads(reconcile("plan", "-c", str(setup), "--format", "json").output)
    assert plan["held"] == [{"direction": "absences_to_moco", "system": "moco", "count": synced, "share": 100.0,
                             "threshold": 30}]
    text = reconcile("plan", "-c", str(setup)).output
    assert f"`reconcile apply` holds the {synced} changes in MOCO (absences_to_moco) unless --force; the other " \
           "changes go ahead." in text

    report = tmp_path / "report.json"
    result = reconcile("apply", "-c", str(setup), "--auto-approve", "--report", str(report))
    assert result.exit_code == 1, result.output
    assert "Apply complete: 1 applied, 0 failed, 0 skipped." in result.output  # the hours went on
    assert f"held: absences_to_moco in MOCO: {synced} changes held (100 % of the records reconcile owns there; " \
           "the limit is 30 %)" in result.output
    assert f"error: refusing to apply the {synced} changes of absences_to_moco in MOCO: the mass-change guard " \
           "holds them, as this run would delete" in result.output
    assert "The other changes were applied (Apply complete: 1 applied" in result.output
    assert synced_periods(sandbox)[presence][0].end.endswith("T18:45:00")
    assert len(ours(sandbox)) == synced and not [w for w in writes(sandbox) if "/schedules" in w]
    saved = json.loads(report.read_text())
    assert saved["held"] == plan["held"] and saved["outcomes"]["applied"] == 1

    forced = reconcile("apply", "-c", str(setup), "--auto-approve", "--force")
    assert forced.exit_code == 0, forced.output
    assert f"Apply complete: {synced} applied" in forced.output and ours(sandbox) == []


def test_a_saved_plan_holds_what_the_plan_said_it_would(sandbox, setup, tmp_path):
    assert reconcile("apply", "-c", str(setup), "--auto-approve").exit_code == 0
    presence, synced = storm(sandbox)
    planfile = tmp_path / "plan.json"
    assert reconcile("plan", "-c", str(setup), "--out", str(planfile)).exit_code == 0
    assert json.loads(planfile.read_text())["held"][0]["count"] == synced

    result = reconcile("apply", "-c", str(setup), str(planfile))
    assert result.exit_code == 1 and "Apply complete: 1 applied" in result.output, result.output
    assert synced_periods(sandbox)[presence][0].end.endswith("T18:45:00") and len(ours(sandbox)) == synced


def test_when_everything_breached_nothing_is_written(sandbox, setup):
    assert reconcile("apply", "-c", str(setup), "--auto-approve").exit_code == 0
    sandbox.world.personio.absence_periods.clear()
    sandbox.log.entries.clear()
    result = reconcile("apply", "-c", str(setup), "--auto-approve")
    assert result.exit_code == 1 and "Nothing was written." in result.output, result.output
    assert writes(sandbox) == []


def test_the_question_counts_what_goes_and_what_is_held(sandbox, setup, monkeypatch):
    monkeypatch.setattr("reconciler.cli.apply._interactive", lambda: True)
    assert reconcile("apply", "-c", str(setup), "--auto-approve").exit_code == 0
    presence, synced = storm(sandbox)
    result = reconcile("apply", "-c", str(setup), input="yes\n")
    assert f"Apply this change ({synced} more held by the mass-change guard)?" in result.output
    assert result.exit_code == 1 and synced_periods(sandbox)[presence][0].end.endswith("T18:45:00")
