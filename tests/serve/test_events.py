"""A verified delivery becomes a hint (direction, person, days), is ignored with a reason, or is malformed."""

import json
from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from reconciler.plan.scope import ALL_DAYS
from reconciler.serve.events import MOCO, PERSONIO, Hint, Ignored, Malformed, moco_hint, personio_hint
from reconciler.sync.ownership import absence_comment, attendance_comment

ABSENCES, HOLIDAYS, HOURS = "absences_to_moco", "holidays_to_moco", "hours_to_personio"
PEOPLE = "people_to_moco"


def moco(target, event, record, **extra_headers):
    headers = {"X-Moco-Target": target, "X-Moco-Event": event, "X-Moco-User-Id": "999", **extra_headers}
    return moco_hint(json.dumps(record).encode(), headers)


PRESENCE = {"id": 982237015, "date": "2026-11-27", "from": "07:30", "to": "13:15", "is_home_office": True,
            "user": {"id": 933590696, "firstname": "John", "lastname": "Doe"}}
SCHEDULE = {"id": 123, "date": "2026-11-27", "comment": "", "am": True, "pm": True,
            "assignment": {"id": 789, "code": "4", "type": "Absence"}, "user": {"id": 567}}


def test_presence_edit_is_working_hours_for_its_owner_on_its_day():
    hint = moco("Presence", "update", PRESENCE)
    assert hint == Hint(MOCO, (HOURS,), 933590696, frozenset({date(2026, 11, 27)}), 982237015, "Presence update")


def test_the_person_is_the_records_owner_not_who_made_the_change():
    hint = moco("Presence", "create", PRESENCE, **{"X-Moco-User-Id": "42"})
    assert isinstance(hint, Hint) and hint.person == 933590696


def test_schedule_hand_edit_is_absences_for_the_whole_window():
    hint = moco("Schedule", "update", SCHEDULE)
    assert isinstance(hint, Hint)
    assert (hint.directions, hint.person, hint.days) == ((ABSENCES, HOLIDAYS), 567, ALL_DAYS)


def test_user_change_plans_that_person_in_both_directions():
    for event in ("update", "delete"):
        hint = moco("User", event, {"id": 567})
        assert isinstance(hint, Hint)
        assert (set(hint.directions), hint.person, hint.days) == ({ABSENCES, HOLIDAYS, HOURS, PEOPLE}, 567, ALL_DAYS)


@pytest.mark.parametrize("target, directions", [("Presence", (HOURS,)), ("Schedule", (ABSENCES, HOLIDAYS))])
def test_delete_without_person_is_a_whole_direction_hint_with_the_record_id(target, directions):
    hint = moco(target, "delete", {"id": 55, "custom_properties": {}})
    assert hint == Hint(MOCO, directions, None, ALL_DAYS, 55, f"{target} delete")


def test_our_own_marked_schedule_write_through_the_api_is_ignored():
    ours = {**SCHEDULE, "comment": absence_comment("abc-123")}
    outcome = moco("Schedule", "create", ours, **{"X-Moco-Origin": "api"})
    assert isinstance(outcome, Ignored) and "own write" in outcome.reason


def test_api_origin_alone_is_not_ours():
    # another API client (no marker), or our marker edited in MOCO's UI: both are changes to look at
    assert isinstance(moco("Schedule", "update", SCHEDULE, **{"X-Moco-Origin": "api"}), Hint)
    assert isinstance(moco("Schedule", "update", {**SCHEDULE, "comment": absence_comment("abc")}), Hint)
    # the other direction's marker on a schedule is not reconcile's absence write
    other = {**SCHEDULE, "comment": attendance_comment(7)}
    assert isinstance(moco("Schedule", "update", other, **{"X-Moco-Origin": "api"}), Hint)


def test_unsynced_targets_and_events_are_ignored_with_a_reason():
    outcome = moco("Project", "create", {"id": 1})
    assert isinstance(outcome, Ignored) and "Project" in outcome.reason
    assert isinstance(moco("Presence", "archive", PRESENCE), Ignored)


@pytest.mark.parametrize("body, headers, words", [
    (b"{not json", {"X-Moco-Target": "Presence", "X-Moco-Event": "update"}, "not JSON"),
    (b"[1, 2]", {"X-Moco-Target": "Presence", "X-Moco-Event": "update"}, "not a JSON object"),
    (b"{}", {"X-Moco-Event": "update"}, "missing X-Moco-Target"),
    (b'{"date": "2026-11-27"}', {"X-Moco-Target": "Presence", "X-Moco-Event": "update"}, "no record id"),
    (b'{"id": 1, "user": "567"}', {"X-Moco-Target": "Presence", "X-Moco-Event": "update"}, "no user.id"),
    (b'{"id": 1, "user": {"id": 5}, "date": "27.11.2026"}', {"X-Moco-Target": "Presence", "X-Moco-Event": "create"},
     "date is not"),
    (b'{"id": true}', {"X-Moco-Target": "Schedule", "X-Moco-Event": "delete"}, "no record id"),
    ('{"id": "²"}'.encode(), {"X-Moco-Target": "Schedule", "X-Moco-Event": "delete"}, "no record id"),
    (b'{"id": "' + b"9" * 5000 + b'"}', {"X-Moco-Target": "Schedule", "X-Moco-Event": "delete"}, "no record id"),
])
def test_malformed_moco_deliveries_give_a_reason_not_an_exception(body, headers, words):
    outcome = moco_hint(body, headers)
    assert isinstance(outcome, Malformed) and words in outcome.reason


def personio(event_name, payload):
    envelope = {"company_id": "1", "event_name": event_name, "occurred_at": "2026-11-30T10:00:00Z",
                "payload": payload, "meta": {}}
    return personio_hint(json.dumps(envelope).encode())


def test_personio_attendance_event_names_person_and_day_when_present():
    hint = personio("attendance-period.updated",
                    {"id": "a1", "person": {"id": 77}, "start": {"date_time": "2026-11-27T08:00:00"}})
    assert hint == Hint(PERSONIO, (HOURS,), "77", frozenset({date(2026, 11, 27)}), "a1", "attendance-period.updated")


def test_personio_dataless_deletion_names_nobody():
    hint = personio("absence-period.deleted", {"id": "p9"})
    assert isinstance(hint, Hint)
    assert (hint.directions, hint.person, hint.days, hint.record) == ((ABSENCES,), None, ALL_DAYS, "p9")


def test_personio_absence_event_is_the_whole_window_of_its_person():
    hint = personio("absence-period.updated.status", {"id": "p9", "person_id": "77", "start": {"date_time": "x"}})
    assert isinstance(hint, Hint) and (hint.person, hint.days) == ("77", ALL_DAYS)


def test_personio_person_event_plans_both_directions():
    hint = personio("person.updated", {"id": 77})
    assert isinstance(hint, Hint) and (set(hint.directions), hint.person) == ({ABSENCES, HOLIDAYS, HOURS, PEOPLE}, "77")


def test_personio_unsynced_event_is_ignored():
    assert isinstance(personio("document.created", {"id": 1}), Ignored)


def test_personio_employment_event_plans_its_person_in_both_directions_and_never_takes_its_id_for_one():
    hint = personio("employment.updated", {"id": "e-5", "person": {"id": 77}})
    assert isinstance(hint, Hint)
    assert (set(hint.directions), hint.person, hint.days) == ({ABSENCES, HOLIDAYS, HOURS, PEOPLE}, "77", ALL_DAYS)
    nobody = personio("employment.updated", {"id": 1})
    assert isinstance(nobody, Ignored) and "names no person" in nobody.reason


@pytest.mark.parametrize("body, words", [
    (b"\xff\xfe", "not JSON"),
    (b'{"payload": {}}', "no event_name"),
    (b'{"event_name": "attendance-period.created", "payload": []}', "payload is not an object"),
    (b'{"event_name": "attendance-period.created", "payload": {"person_id": "7", "start": {"date_time": 5}}}',
     "start.date_time"),
])
def test_malformed_personio_deliveries_give_a_reason(body, words):
    outcome = personio_hint(body)
    assert isinstance(outcome, Malformed) and words in outcome.reason


json_values = st.recursive(st.none() | st.booleans() | st.integers() | st.text(max_size=12),
                           lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner,
                                                                                       max_size=4), max_leaves=12)
records = st.fixed_dictionaries({}, optional={"id": json_values, "user": json_values, "date": json_values,
                                              "comment": json_values, "person": json_values,
                                              "person_id": json_values, "start": json_values})


@settings(max_examples=150, deadline=None)
@given(target=st.sampled_from(["Presence", "Schedule", "User", "Other"]),
       event=st.sampled_from(["create", "update", "delete"]), record=records | json_values,
       name=st.sampled_from(["attendance-period.created", "absence-period.deleted", "person.updated"]))
def test_no_payload_shape_makes_an_exception_escape(target, event, record, name):
    body = json.dumps(record).encode()
    headers = {"X-Moco-Target": target, "X-Moco-Event": event, "X-Moco-Origin": "api"}
    assert isinstance(moco_hint(body, headers), Hint | Ignored | Malformed)
    envelope = json.dumps({"event_name": name, "payload": record}).encode()
    assert isinstance(personio_hint(envelope), Hint | Ignored | Malformed)
