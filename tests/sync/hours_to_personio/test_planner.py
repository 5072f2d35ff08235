"""The working-hours planner, rule by rule: MOCO presences → approved Personio attendance periods."""

from __future__ import annotations

from dataclasses import replace

import pytest

from reconciler.sync.ownership import attendance_comment
from tests.factories import Company, d, make_spec


def hours(company: Company, spec=None):
    return company.plan(spec, scope=("hours_to_personio",))


@pytest.fixture
def max_(company):
    return company.person("Max.Mustermann@ACME.example", moco_email="max.mustermann@acme.example")


def test_a_presence_becomes_an_approved_work_period_with_the_same_local_times(company, max_):
    user, person = max_
    presence = company.presence(user, "2026-11-02", "08:30", "12:00")
    (change,) = hours(company).changes
    assert (change.action, change.system, change.kind) == ("create", "personio", "attendance")
    assert change.user == "Max.Mustermann@ACME.example"  # as Personio knows the person
    assert change.person == "max.mustermann@acme.example"
    assert change.date == d("2026-11-02")
    assert change.after == {"start": "08:30", "end": "12:00", "comment": attendance_comment(presence.id),
                            "approval": "CONFIRMED"}
    assert change.send.to_json() == {"person_id": person.id, "start": "2026-11-02T08:30:00",
                                     "end": "2026-11-02T12:00:00", "comment": attendance_comment(presence.id)}


def test_a_day_with_a_break_gives_two_periods(company, max_):
    user, _ = max_
    company.presence(user, "2026-11-02", "08:00", "12:00")
    company.presence(user, "2026-11-02", "13:00", "17:00")
    assert [c.after["start"] for c in hours(company).changes] == ["08:00", "13:00"]


def test_a_presence_edited_on_a_past_day_patches_its_period(company, max_):
    user, person = max_
    presence = company.presence(user, "2026-10-05", "08:00", "17:00")
    synced = company.attendance(person, "2026-10-05T08:00:00", "2026-10-05T16:00:00", attendance_comment(presence.id))
    (change,) = hours(company).changes
    assert (change.action, change.target) == ("update", synced.id)
    assert change.before["end"] == "16:00" and change.after["end"] == "17:00"
    assert change.reason == "changed in MOCO: times"


def test_a_presence_moved_to_another_day_moves_its_period(company, max_):
    user, person = max_
    presence = company.presence(user, "2026-10-06", "08:00", "12:00")
    company.attendance(person, "2026-10-05T08:00:00", "2026-10-05T12:00:00", attendance_comment(presence.id))
    (change,) = hours(company).changes
    assert change.action == "update" and change.date == d("2026-10-06")
    assert change.reason == "changed in MOCO: moved from 2026-10-05"
    assert change.send.to_json()["start"] == "2026-10-06T08:00:00"


def test_a_presence_deleted_in_moco_deletes_its_period(company, max_):
    _, person = max_
    synced = company.attendance(person, "2026-10-05T08:00:00", "2026-10-05T12:00:00", attendance_comment(4242))
    (change,) = hours(company).changes
    assert (change.action, change.target, change.reason, change.date) == ("delete", synced.id, "deleted in MOCO",
                                                                          d("2026-10-05"))
    assert change.before == {"start": "08:00", "end": "12:00", "comment": attendance_comment(4242),
                             "approval": "CONFIRMED"}


def test_a_running_presence_is_not_written_until_it_ends(company, max_):
    user, _ = max_
    company.presence(user, "2026-11-25", "08:10", None)
    plan = hours(company)
    assert plan.changes == ()
    assert any("1 MOCO presence is still running" in note for note in plan.notes)


def test_a_synced_period_someone_unapproved_is_approved_again(company, max_):
    user, person = max_
    presence = company.presence(user, "2026-10-05", "08:00", "12:00")
    company.attendance(person, "2026-10-05T08:00:00", "2026-10-05T12:00:00", attendance_comment(presence.id),
                       status="REJECTED")
    (change,) = hours(company).changes
    assert change.action == "update" and change.reason == "rejected in Personio; approved again"


def test_a_handmade_period_is_never_touched(company, max_):
    _, person = max_
    company.attendance(person, "2026-10-03T10:00:00", "2026-10-03T14:00:00", "Messe")
    plan = hours(company)
    assert plan.changes == () and plan.conflicts == ()


def test_a_handmade_period_overlapping_a_presence_is_a_conflict_not_a_write(company, max_):
    user, person = max_
    company.presence(user, "2026-11-19", "08:55", "12:45")
    company.presence(user, "2026-11-19", "18:00", "19:00")
    company.attendance(person, "2026-11-19T09:00:00", "2026-11-19T17:30:00", "Kundentermin")
    plan = hours(company)
    assert [c.after["start"] for c in plan.changes] == ["18:00"]
    (conflict,) = plan.conflicts
    assert (conflict.system, conflict.kind, conflict.date) == ("personio", "attendance", d("2026-11-19"))
    assert conflict.reason == ("hand-made Personio attendance (work 09:00–17:30 with a comment) overlaps MOCO "
                               "presence 08:55–12:45; not written")


def test_an_edit_into_a_handmade_period_is_a_conflict_and_the_synced_period_stays(company, max_):
    user, person = max_
    presence = company.presence(user, "2026-11-19", "08:00", "12:00")
    company.attendance(person, "2026-11-19T08:00:00", "2026-11-19T10:00:00", attendance_comment(presence.id))
    company.attendance(person, "2026-11-19T11:00:00", "2026-11-19T13:00:00", "by hand")
    plan = hours(company)
    assert plan.changes == () and len(plan.conflicts) == 1


def test_presences_before_start_date_are_left_out(company, max_):
    user, person = max_
    company.presence(user, "2026-09-30", "08:00", "12:00")
    company.attendance(person, "2026-09-29T08:00:00", "2026-09-29T12:00:00", attendance_comment(1))
    assert hours(company, make_spec(start="2026-10-01")).changes == ()


def test_personio_managed_writes_nothing_and_says_so_in_one_line(company, max_):
    user, _ = max_
    company.presence(user, "2026-11-02", "08:00", "12:00")
    plan = hours(company, make_spec(direction="personio_managed"))
    assert plan.changes == ()
    assert plan.notes == ("working hours: managed in Personio (attendances.direction: personio_managed); nothing is "
                          "written there",)


def test_a_second_synced_period_for_one_presence_is_removed(company, max_):
    user, person = max_
    presence = company.presence(user, "2026-11-02", "08:00", "12:00")
    company.attendance(person, "2026-11-02T08:00:00", "2026-11-02T12:00:00", attendance_comment(presence.id))
    company.attendance(person, "2026-11-02T08:00:00", "2026-11-02T12:00:00", attendance_comment(presence.id))
    (change,) = hours(company).changes
    assert change.action == "delete" and change.reason == "a second synced period for this presence"


def test_people_not_synced_keep_their_periods(company):
    user, person = company.person("robot@acme.example")
    company.attendance(person, "2026-11-02T08:00:00", "2026-11-02T12:00:00", attendance_comment(77))
    company.presence(user, "2026-11-03", "08:00", "12:00")
    plan = hours(company, make_spec("users:\n  exclude: [robot@acme.example]\n"))
    assert plan.changes == ()
    assert any("1 attendance period reconcile wrote earlier is left alone" in w for w in plan.warnings)


def test_only_attendances_is_a_partial_plan(company, max_):
    plan = hours(company)
    assert plan.partial and plan.scope == ("hours_to_personio",)


def test_both_directions_in_one_plan_group_by_person(company, max_):
    user, person = max_
    company.presence(user, "2026-11-02", "08:00", "12:00")
    company.period(person, "t-vac", "2026-12-02", "2026-12-02")
    plan = company.plan()
    assert list(plan.by_person()) == ["max.mustermann@acme.example"]
    assert {(c.system, c.kind) for c in plan.changes} == {("moco", "absence"), ("personio", "attendance")}
    assert not plan.partial


def test_applying_leaves_nothing_to_do(company, max_):
    user, person = max_
    edited = company.presence(user, "2026-10-05", "08:00", "17:00")
    company.attendance(person, "2026-10-05T08:00:00", "2026-10-05T16:00:00", attendance_comment(edited.id))
    company.attendance(person, "2026-10-06T08:00:00", "2026-10-06T12:00:00", attendance_comment(999))
    for day in ("2026-11-02", "2026-11-03"):
        company.presence(user, day, "08:00", "12:00")
        company.presence(user, day, "13:00", "17:00")
    company.presence(user, "2026-11-25", "08:00", None)
    company.attendance(person, "2026-11-03T12:30:00", "2026-11-03T13:30:00", "Mittag mit Kunde")
    first = hours(company)
    assert first.changes and first.conflicts
    company.apply(first)
    second = hours(company)
    assert second.changes == () and second.conflicts == first.conflicts
    assert any(p.comment == "Mittag mit Kunde" for p in company.attendances)


def test_overlapping_presences_are_a_conflict_rather_than_a_write_personio_would_refuse(company, max_):
    user, _ = max_
    company.presence(user, "2026-10-28", "08:55", "13:05")
    company.presence(user, "2026-10-28", "13:00", "16:55")
    plan = hours(company)
    assert [c.after["start"] for c in plan.changes] == ["08:55"]
    (conflict,) = plan.conflicts
    assert conflict.reason.startswith("MOCO presences 08:55–13:05 and 13:00–16:55 overlap")


def test_a_presence_over_midnight_ends_the_next_day(company, max_):
    user, _ = max_
    company.presence(user, "2026-11-20", "22:00", "02:00")
    (change,) = hours(company).changes
    sent = change.send.to_json()
    assert sent["start"] == "2026-11-20T22:00:00" and sent["end"] == "2026-11-21T02:00:00"
    company.apply(hours(company))
    assert hours(company).changes == ()


def test_a_period_without_an_approval_status_is_not_re_approved_forever(company, max_):
    user, person = max_
    presence = company.presence(user, "2026-11-02", "08:00", "12:00")
    company.attendance(person, "2026-11-02T08:00:00", "2026-11-02T12:00:00", attendance_comment(presence.id),
                       status="")
    assert hours(company).changes == ()


def test_a_presence_moco_lists_without_start_or_user_is_not_written_and_its_period_stays(company, max_):
    """The MOCO OpenAPI spec allows `from: null` and `user: null` on presences."""
    user, person = max_
    no_start = company.presence(user, "2026-11-02", "08:00", "12:00")
    no_user = company.presence(user, "2026-11-03", "08:00", "12:00")
    company.attendance(person, "2026-11-02T08:00:00", "2026-11-02T12:00:00", attendance_comment(no_start.id))
    company.attendance(person, "2026-11-03T08:00:00", "2026-11-03T12:00:00", attendance_comment(no_user.id))
    company.presences = [replace(no_start, start=None), replace(no_user, user_id=None)]
    assert hours(company).changes == ()
    company.attendances.clear()
    assert hours(company).changes == ()  # and nothing is created from them either


def test_a_new_presence_over_one_synced_before_is_not_written_onto_it(company, max_):
    """Found by the property tests: Personio would refuse the new period beside the one that stays."""
    user, person = max_
    company.presence(user, "2026-11-10", "08:00", "12:00")
    synced = company.presence(user, "2026-11-10", "11:00", "13:00")
    company.attendance(person, "2026-11-10T11:00:00", "2026-11-10T13:00:00", attendance_comment(synced.id))
    plan = hours(company)
    assert plan.changes == ()
    (conflict,) = plan.conflicts
    assert conflict.reason == (f"MOCO presence 08:00–12:00 overlaps 11:00–13:00, synced from MOCO presence "
                               f"{synced.id}; not written")


def test_a_period_whose_end_moved_to_the_next_day_is_put_back(company, max_):
    """Found by the property tests: 08:00–17:00 and 08:00–(next day) 17:00 read alike as times."""
    user, person = max_
    presence = company.presence(user, "2026-11-10", "08:00", "17:00")
    company.attendance(person, "2026-11-10T08:00:00", "2026-11-11T17:00:00", attendance_comment(presence.id))
    (change,) = hours(company).changes
    assert change.action == "update" and change.reason == "changed in MOCO: times"
    assert change.send.to_json()["end"] == "2026-11-10T17:00:00"


def test_presences_overlapping_over_midnight_are_a_conflict(company, max_):
    user, _ = max_
    company.presence(user, "2026-11-10", "22:00", "02:00")
    company.presence(user, "2026-11-10", "23:00", "23:30")
    plan = hours(company)
    assert [c.after["start"] for c in plan.changes] == ["22:00"]
    assert plan.conflicts[0].reason.startswith("MOCO presences 22:00–2026-11-11 02:00 and 23:00–23:30 overlap")


def test_a_presence_of_no_length_is_not_written_as_a_whole_day(company, max_):
    user, _ = max_
    company.presence(user, "2026-11-10", "09:00", "09:00")
    plan = hours(company)
    assert plan.changes == ()
    assert plan.conflicts[0].reason == "MOCO presence 09:00–09:00 has no length; not written"
