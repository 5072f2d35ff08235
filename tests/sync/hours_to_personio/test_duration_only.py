"""Duration-only attendance periods (Personio tracking a length a day, no times) in the working-hours planner:
a hand-made one holds its day, and `attendances.record_as: duration` writes presences as them."""

from __future__ import annotations

import asyncio
from datetime import date, timedelta
from types import SimpleNamespace

import pytest

from reconciler.errors import OutcomeUnknown, Rejected
from reconciler.plan.model import Change, creates
from reconciler.sync.hours_to_personio import describe
from reconciler.sync.hours_to_personio.apply import (
    DurationEdit,
    NewDurationPeriod,
    NewPeriod,
    PersonioAttendanceSteps,
    Recreate,
)
from reconciler.sync.ownership import attendance_comment
from tests.factories import Company, d, make_spec

HELD = ("Personio has a duration-only attendance on this day (tracked without times: {}); no period is written "
        "for it")


def hours(company: Company, record_as: str = "times"):
    return company.plan(make_spec(record_as=record_as), scope=("hours_to_personio",))


@pytest.fixture
def max_(company):
    return company.person("max@acme.example")


# ----------------------------------------------------------------------------- a hand-made one holds its day


def test_a_day_tracked_as_a_duration_in_personio_is_a_conflict_and_nothing_is_written_there(company, max_):
    user, person = max_
    company.presence(user, "2026-11-02", "08:00", "12:00")
    company.presence(user, "2026-11-02", "13:00", "16:30")
    company.presence(user, "2026-11-03", "08:00", "12:00")
    company.duration_attendance(person, "2026-11-02", "7:30", "Projektarbeit")
    plan = hours(company)
    assert [(c.action, c.date) for c in plan.changes] == [("create", d("2026-11-03"))]
    (conflict,) = plan.conflicts
    assert (conflict.system, conflict.kind, conflict.date, conflict.user) == ("personio", "attendance",
                                                                              d("2026-11-02"), "max@acme.example")
    assert conflict.reason == HELD.format("7:30 h with a comment")  # its words stay in Personio
    assert not conflict.sensitive and "sensitive" not in conflict.to_json()


def test_a_duration_only_period_on_a_day_moco_has_nothing_is_left_alone_without_a_word(company, max_):
    _, person = max_
    company.duration_attendance(person, "2026-11-02", "8:00")
    plan = hours(company)
    assert plan.changes == () and plan.conflicts == ()


def test_a_duration_only_period_is_no_open_period_running_into_the_next_days(company, max_):
    """Read with its start at midnight and no end, it must not pass for a period clocked in and never out."""
    user, person = max_
    company.duration_attendance(person, "2026-11-02", "8:00")
    company.presence(user, "2026-11-03", "08:00", "12:00")
    company.presence(user, "2026-11-04", "08:00", "12:00")
    plan = hours(company)
    assert [c.date for c in plan.changes] == [d("2026-11-03"), d("2026-11-04")] and plan.conflicts == ()


def test_what_reconcile_wrote_on_a_held_day_is_left_as_it_is_and_the_conflict_says_so(company, max_):
    user, person = max_
    edited = company.presence(user, "2026-11-02", "08:00", "12:30")  # was 08:00–12:00 when synced
    company.attendance(person, "2026-11-02T08:00:00", "2026-11-02T12:00:00", attendance_comment(edited.id))
    company.attendance(person, "2026-11-02T13:00:00", "2026-11-02T17:00:00", attendance_comment(4242))  # deleted
    company.duration_attendance(person, "2026-11-02", "8:00")
    plan = hours(company)
    assert plan.changes == ()
    (conflict,) = plan.conflicts
    assert conflict.reason == HELD.format("8:00 h") + (
        "; the 2 periods reconcile wrote here earlier (08:00–12:00, 13:00–17:00) are left as they are, so Personio "
        "counts the day twice until one side is removed there")


def test_a_presence_moved_off_a_held_day_leaves_its_period_there_and_is_not_written(company, max_):
    user, person = max_
    moved = company.presence(user, "2026-11-03", "08:00", "12:00")
    company.presence(user, "2026-11-02", "13:00", "17:00")
    company.attendance(person, "2026-11-02T08:00:00", "2026-11-02T12:00:00", attendance_comment(moved.id))
    company.duration_attendance(person, "2026-11-02", "8:00")
    plan = hours(company)
    assert plan.changes == ()
    assert [(c.date, c.reason) for c in plan.conflicts] == [
        (d("2026-11-02"), HELD.format("8:00 h") + "; the period reconcile wrote here earlier "
                          "(08:00–12:00) is left as it is, so Personio counts the day twice until one side is "
                          "removed there"),
        (d("2026-11-03"), "MOCO presence 08:00–12:00 was moved here from 2026-11-02, where Personio has a "
                          "duration-only attendance (tracked without times); its period there is left as it is, "
                          "and none is written here"),
    ]


def test_a_duration_only_period_another_direction_marked_holds_the_day_too(company, max_):
    user, person = max_
    company.presence(user, "2026-11-02", "08:00", "12:00")
    company.duration_attendance(person, "2026-11-02", "4:00", "[reconcile] something else 7")
    plan = hours(company)
    assert plan.changes == () and len(plan.conflicts) == 1


@pytest.mark.parametrize("record_as", ["times", "duration"])
def test_a_handmade_duration_only_period_is_never_changed_or_deleted(company, max_, record_as):
    user, person = max_
    company.presence(user, "2026-11-02", "08:00", "12:00")
    company.presence(user, "2026-11-03", "08:00", "12:00")
    handmade = [company.duration_attendance(person, day, "4:00") for day in ("2026-11-02", "2026-11-04")]
    plan = hours(company, record_as)
    touched = {c.target for c in plan.changes} | {r.id for c in plan.changes for r in c.removes}
    assert not touched & {p.id for p in handmade}
    company.apply(plan)
    assert all(p in company.attendances for p in handmade)
    assert hours(company, record_as).changes == ()


def test_the_held_day_is_planned_again_once_the_duration_only_period_is_gone(company, max_):
    user, person = max_
    company.presence(user, "2026-11-02", "08:00", "12:00")
    handmade = company.duration_attendance(person, "2026-11-02", "4:00")
    assert hours(company).changes == ()
    company.attendances.remove(handmade)  # removed in Personio
    assert [c.action for c in hours(company).changes] == ["create"]


# ----------------------------------------------------------------------------- record_as: duration


def test_record_as_duration_writes_each_presence_as_its_length_on_its_day(company, max_):
    user, person = max_
    presence = company.presence(user, "2026-11-02", "08:15", "12:45")
    (change,) = hours(company, "duration").changes
    assert (change.action, change.date, change.reason) == ("create", d("2026-11-02"), "worked in MOCO")
    assert change.after == {"duration": "4:30", "comment": attendance_comment(presence.id), "approval": "CONFIRMED"}
    assert change.send == NewDurationPeriod(date(2026, 11, 2), timedelta(hours=4, minutes=30),
                                            attendance_comment(presence.id), person_id=person.id)
    assert change.send.to_json() == {"person_id": person.id, "attribution_date": "2026-11-02", "duration": "PT4H30M",
                                     "comment": attendance_comment(presence.id)}
    assert describe(change.after) == "4:30 h without times"


def test_record_as_duration_counts_a_presence_over_midnight_on_its_own_day(company, max_):
    user, _ = max_
    company.presence(user, "2026-11-20", "22:00", "02:00")
    (change,) = hours(company, "duration").changes
    assert change.date == d("2026-11-20") and change.after["duration"] == "4:00"


def test_record_as_duration_updates_the_length_moves_the_day_and_deletes(company, max_):
    user, person = max_
    longer = company.presence(user, "2026-11-02", "08:00", "13:00")
    moved = company.presence(user, "2026-11-04", "08:00", "12:00")
    synced = [company.duration_attendance(person, "2026-11-02", "4:00", attendance_comment(longer.id)),
              company.duration_attendance(person, "2026-11-03", "4:00", attendance_comment(moved.id)),
              company.duration_attendance(person, "2026-11-05", "4:00", attendance_comment(999))]
    plan = hours(company, "duration")
    by_target = {c.target: c for c in plan.changes}
    assert set(by_target) == {p.id for p in synced}
    update = by_target[synced[0].id]
    assert (update.action, update.reason, update.before["duration"], update.after["duration"]) == (
        "update", "changed in MOCO: duration", "4:00", "5:00")
    assert update.send == DurationEdit(date(2026, 11, 2), timedelta(hours=5), attendance_comment(longer.id))
    assert by_target[synced[1].id].reason == "changed in MOCO: moved from 2026-11-03"
    assert (by_target[synced[2].id].action, by_target[synced[2].id].reason) == ("delete", "deleted in MOCO")
    company.apply(plan)
    assert hours(company, "duration").changes == ()


def test_switching_to_duration_replaces_the_periods_with_times_and_back(company, max_):
    user, person = max_
    presence = company.presence(user, "2026-11-02", "08:00", "12:00")
    timed = company.attendance(person, "2026-11-02T08:00:00", "2026-11-02T12:00:00", attendance_comment(presence.id))
    (change,) = hours(company, "duration").changes
    assert (change.action, change.target) == ("update", timed.id)
    assert change.before["start"] == "08:00" and change.after == {
        "duration": "4:00", "comment": attendance_comment(presence.id), "approval": "CONFIRMED"}
    assert isinstance(change.send, Recreate) and isinstance(change.send.new, NewDurationPeriod)
    assert change.send.to_json()["recreate"] is True
    assert creates(change)  # apply reads back after it, as after a create: a second run may have made one too
    assert change.reason == ("attendances.record_as: duration; the period with times is deleted and created anew "
                             "without times")
    company.apply(hours(company, "duration"))
    (now,) = company.attendances
    assert now.duration_only and now.duration == timedelta(hours=4) and now.id != timed.id
    assert hours(company, "duration").changes == ()

    (back,) = hours(company, "times").changes
    assert isinstance(back.send, Recreate) and isinstance(back.send.new, NewPeriod)
    assert back.reason == ("attendances.record_as: times; the duration-only period is deleted and created anew "
                           "with times")
    company.apply(hours(company, "times"))
    (again,) = company.attendances
    assert not again.duration_only and again.end is not None and hours(company, "times").changes == ()


def test_record_as_duration_still_keeps_off_a_handmade_period_with_times_over_the_presence(company, max_):
    """No overlap refusal for a length without times; but the hours would count twice, as with times."""
    user, person = max_
    company.presence(user, "2026-11-19", "08:55", "12:45")
    company.attendance(person, "2026-11-19T09:00:00", "2026-11-19T17:30:00", "Kundentermin")
    plan = hours(company, "duration")
    assert plan.changes == () and len(plan.conflicts) == 1


def test_record_as_duration_from_scratch_converges(company, max_):
    user, person = max_
    for day in ("2026-11-02", "2026-11-03", "2026-11-04"):
        company.presence(user, day, "08:00", "12:00")
        company.presence(user, day, "13:00", "17:00")
    company.presence(user, "2026-11-25", "08:00", None)  # still running: not written
    company.duration_attendance(person, "2026-11-03", "8:00", "von Hand")
    first = hours(company, "duration")
    assert [c.action for c in first.changes] == ["create"] * 4 and len(first.conflicts) == 1
    company.apply(first)
    second = hours(company, "duration")
    assert second.changes == () and second.conflicts == first.conflicts


# ----------------------------------------------------------------------------- replacing: delete, then create


class _Personio:
    """A Personio client that records what the steps send, refusing or losing what it is told to."""

    def __init__(self, refuse_delete: bool = False, lose_create: bool = False) -> None:
        self.calls: list[str] = []
        self.refuse_delete, self.lose_create = refuse_delete, lose_create

    async def delete_attendance(self, period_id: str) -> bool:
        self.calls.append(f"delete {period_id}")
        if self.refuse_delete:
            raise Rejected("Personio", "The attendance period is locked and can no longer be changed.", status=422)
        return True

    async def create_duration_attendance(self, person_id: str, day: date, length: timedelta, comment: str) -> str:
        self.calls.append(f"create {day} {length}")
        if self.lose_create:
            raise OutcomeUnknown("Personio", "POST /v2/attendance-periods: the connection dropped")
        return "new"


def _replacing(company: Company, max_) -> Change:
    user, person = max_
    presence = company.presence(user, "2026-11-02", "08:00", "12:00")
    company.attendance(person, "2026-11-02T08:00:00", "2026-11-02T12:00:00", attendance_comment(presence.id))
    (change,) = hours(company, "duration").changes
    return change


def test_a_replacement_deletes_first_and_creates_nothing_when_the_delete_is_refused(company, max_):
    change = _replacing(company, max_)
    refused = _Personio(refuse_delete=True)
    with pytest.raises(Rejected):
        asyncio.run(PersonioAttendanceSteps().update(SimpleNamespace(personio=refused), change))
    assert refused.calls == [f"delete {change.target}"]  # the day never holds the hours twice
    fine = _Personio()
    asyncio.run(PersonioAttendanceSteps().update(SimpleNamespace(personio=fine), change))
    assert fine.calls == [f"delete {change.target}", "create 2026-11-02 4:00:00"]


def test_a_replacement_whose_create_is_lost_says_so_and_is_not_sent_again(company, max_):
    change = _replacing(company, max_)
    lost = _Personio(lose_create=True)
    with pytest.raises(OutcomeUnknown) as caught:
        asyncio.run(PersonioAttendanceSteps().update(SimpleNamespace(personio=lost), change))
    assert str(caught.value) == ("Personio: POST /v2/attendance-periods: the connection dropped (the period it "
                                 "replaces was deleted; not re-sent, the next plan shows whether it exists)")
    assert lost.calls == [f"delete {change.target}", "create 2026-11-02 4:00:00"]
