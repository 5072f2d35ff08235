"""Ours or hand-made, decided once for every direction."""

from __future__ import annotations

from dataclasses import dataclass

from reconciler.sync.ownership import ABSENCE_MARKER, ATTENDANCE_MARKER, claim, is_ours, left_alone


@dataclass(frozen=True)
class Record:
    id: int
    comment: str | None


def test_markers_name_their_source_and_read_it_back():
    assert ABSENCE_MARKER.comment("3f2a") == "[reconcile] Personio absence 3f2a"
    assert ABSENCE_MARKER.source("  [reconcile] Personio absence 3f2a") == "3f2a"
    assert ATTENDANCE_MARKER.source("[reconcile] MOCO presence 42 (edited)") == 42
    assert ATTENDANCE_MARKER.source("[reconcile] MOCO presence abc") is None
    assert ABSENCE_MARKER.source("[reconcile] MOCO presence 42") is None
    assert not is_ours("vacation, see [reconcile]") and is_ours("[reconcile] anything")


def test_records_are_claimed_by_their_directions_marker_oldest_copy_first():
    records = [Record(3, ATTENDANCE_MARKER.comment(7)), Record(1, ATTENDANCE_MARKER.comment(7)),
               Record(2, "entered by hand"), Record(4, None), Record(5, ABSENCE_MARKER.comment("p1"))]
    owned = claim(records, ATTENDANCE_MARKER)
    assert owned.ours == {7: [Record(1, ATTENDANCE_MARKER.comment(7)), Record(3, ATTENDANCE_MARKER.comment(7))]}
    assert owned.handmade == [Record(2, "entered by hand"), Record(4, None)]
    # another direction's record is neither ours to change nor hand-made: never touched
    assert owned.foreign == [Record(5, ABSENCE_MARKER.comment("p1"))]


def test_records_left_behind_are_warned_about_once_per_person():
    assert left_alone({"max@acme.example": 2, "mia@acme.example": 0, "Personio person 7": 1}, "absence") == [
        "max@acme.example is no longer synced (excluded, unmatched or archived): 2 absences reconcile wrote earlier "
        "are left alone",
        "Personio person 7 is no longer synced (excluded, unmatched or archived): 1 absence reconcile wrote earlier "
        "is left alone"]
