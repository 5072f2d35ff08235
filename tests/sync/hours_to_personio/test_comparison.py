"""How the working-hours planner compares a synced period with its presence: cheaply, and exactly as the
worded states compare; DeepDiff explains only the periods that differ."""

from __future__ import annotations

from datetime import datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from reconciler.records import ATTENDANCE_APPROVED, AttendancePeriod
from reconciler.sync import differences
from reconciler.sync.hours_to_personio.planner import _period_state, _same, _state
from reconciler.sync.ownership import attendance_comment
from tests.factories import Company
from tests.property.profiles import property_settings

MOMENTS = st.datetimes(min_value=datetime(2026, 1, 1), max_value=datetime(2026, 1, 4))
COMMENTS = st.sampled_from([attendance_comment(7), attendance_comment(8), ""])


@property_settings(max_examples=400)
@given(MOMENTS, st.one_of(st.none(), MOMENTS), COMMENTS, st.sampled_from(["", "CONFIRMED", "PENDING"]),
       MOMENTS, st.integers(min_value=1, max_value=60 * 30), COMMENTS)
def test_in_step_exactly_when_the_worded_states_agree(start, end, comment, status, wanted_start, minutes,
                                                      wanted_comment):
    period = AttendancePeriod(id="p", person_id="1", kind="WORK", start=start, end=end, comment=comment,
                              status=status)
    wanted_end = wanted_start + timedelta(minutes=minutes)
    worded = _period_state(period) == _state(wanted_start, wanted_end, wanted_comment, ATTENDANCE_APPROVED)
    assert _same(period, wanted_start, wanted_end, wanted_comment) is worded


def test_in_step_ignores_seconds_as_the_plan_shows_minutes():
    period = AttendancePeriod(id="p", person_id="1", kind="WORK", start=datetime(2026, 1, 2, 8, 0, 30),
                              end=datetime(2026, 1, 2, 12, 0, 59), comment=attendance_comment(7), status="")
    assert _same(period, datetime(2026, 1, 2, 8, 0), datetime(2026, 1, 2, 12, 0), attendance_comment(7))


def test_deepdiff_explains_the_period_that_differs_and_no_other(company: Company, monkeypatch):
    compared = []
    real = differences.DeepDiff
    monkeypatch.setattr(differences, "DeepDiff", lambda before, after: compared.append((before, after)) or
                        real(before, after))
    user, person = company.person("max@acme.example")
    for day in ("2026-10-05", "2026-10-06", "2026-10-07"):
        presence = company.presence(user, day, "08:00", "12:00")
        company.attendance(person, f"{day}T08:00:00", f"{day}T12:00:00", attendance_comment(presence.id))
    edited = company.presence(user, "2026-10-08", "08:00", "17:00")
    company.attendance(person, "2026-10-08T08:00:00", "2026-10-08T16:00:00", attendance_comment(edited.id))
    (change,) = company.plan(scope=("hours_to_personio",)).changes
    assert (change.action, change.reason) == ("update", "changed in MOCO: times")
    assert [(before["end"], after["end"]) for before, after in compared] == [("16:00", "17:00")]
