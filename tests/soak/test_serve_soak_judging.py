"""What the serve soak counts as a hostile delivery that got through, and as a real change applied: pure checks of
bench/soak_hostile.py and bench/soak_changes.py, so that the soak cannot pass by judging nothing."""

from __future__ import annotations

import importlib
import sys

from tests.soak.conftest import HARNESS

sys.path.insert(0, str(HARNESS.parent))
hostile = importlib.import_module("soak_hostile")
changes = importlib.import_module("soak_changes")


def test_a_forged_delivery_accepted_or_any_5xx_or_no_answer_got_through():
    refused = hostile._judge("forged", ["401", "401"], frozenset({401}))
    accepted = hostile._judge("forged", ["401", "202"], frozenset({401}))
    crashed = hostile._judge("poison", ["200", "500", "error: RemoteDisconnected"], hostile.ANY_ANSWER)
    assert refused.got_through == []
    assert accepted.got_through == ["202"]
    assert crashed.got_through == ["500", "error: RemoteDisconnected"]
    assert "GOT THROUGH" in crashed.line()


def _state(periods: list[dict], schedules: list[dict]) -> dict:
    return {"personio": {"attendance_periods": periods}, "moco": {"schedules": schedules}}


def test_a_presence_counts_as_applied_only_with_exactly_its_times_and_a_deleted_one_only_when_gone():
    marker = "[reconcile] MOCO presence 42"
    synced = {"comment": marker, "start": "2026-11-20T09:00:00", "end": "2026-11-20T16:30:00"}
    edited = changes.Change("presence 42", "presence", "42", ("09:00", "16:30"))
    assert changes.arrived(edited, _state([synced], []))
    assert not changes.arrived(edited, _state([synced, dict(synced)], []))  # twice is not applied
    assert not changes.arrived(changes.Change("p", "presence", "42", ("09:00", "17:00")), _state([synced], []))
    deleted = changes.Change("presence 42", "presence", "42", None)
    assert not changes.arrived(deleted, _state([synced], []))
    assert changes.arrived(deleted, _state([], []))


def test_an_approved_absence_counts_as_applied_when_a_moco_absence_names_it():
    approved = changes.Change("absence p-1", "absence", "p-1")
    assert not changes.arrived(approved, _state([], [{"comment": "hand-made"}]))
    assert changes.arrived(approved, _state([], [{"comment": "[reconcile] Personio absence p-1"}]))
