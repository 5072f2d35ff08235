"""The doctor's judgements, pure: what each check makes of what it read, at the edges the sandbox does not reach."""

from __future__ import annotations

from datetime import timedelta

import pytest

from reconciler.doctor.clock import judge_clock
from reconciler.doctor.moco_access import judge_hooks, judge_pagination
from reconciler.doctor.moco_time import judge_employments, judge_schedules
from reconciler.doctor.model import Check, Report, worst
from reconciler.doctor.personio_access import judge_scopes, names
from reconciler.doctor.personio_people import judge_emails, judge_statuses
from reconciler.doctor.personio_time import UNIT_FIELDS, judge_attendances, judge_periods, judge_types
from reconciler.doctor.personio_webhooks import Config, Events, judge_webhooks
from reconciler.doctor.reads import Sample, trouble
from reconciler.errors import PermissionDenied, UnexpectedResponse
from reconciler.records import AbsenceKind, AbsenceType, AttendanceDirection
from reconciler.systems.http import Record, Source
from reconciler.systems.personio.client import PERSON_STATUSES, _hourly
from tests.factories import make_spec

SOURCE = Source("Personio", "GET /v2/absence-types")


# ------------------------------------------------------------------------------------------------ the model


def test_a_check_must_be_named_and_judged_as_the_report_knows():
    with pytest.raises(ValueError):
        Check("no-such-check", "pass", "")
    with pytest.raises(ValueError):
        Check("clock", "ok", "")  # type: ignore[arg-type]


def test_the_worst_finding_wins_and_a_report_lists_every_check():
    assert worst("clock", [("pass", "a"), ("warn", "b"), ("pass", "c")]).status == "warn"
    assert worst("clock", [("warn", "a"), ("fail", "b")]).detail == "a; b"
    report = Report.of({"clock": Check("clock", "fail", "x")})
    assert report.failed and report.summary["fail"] == 1 and report.summary["skip"] == len(report.checks) - 1


# ------------------------------------------------------------------------------------------------ the clock


@pytest.mark.parametrize("offsets, status", [
    ({"MOCO": timedelta(seconds=2), "Personio": timedelta(seconds=-1)}, "pass"),
    ({"MOCO": timedelta(seconds=90), "Personio": timedelta(0)}, "warn"),
    ({"MOCO": timedelta(seconds=-40), "Personio": timedelta(seconds=40)}, "warn"),  # 80 s apart from each other
    ({"MOCO": timedelta(minutes=6), "Personio": timedelta(0)}, "fail"),
    ({"MOCO": None, "Personio": None}, "warn"),
    ({"MOCO": None, "Personio": timedelta(seconds=1)}, "pass"),
    ({}, "skip"),
])
def test_the_clock_warns_past_a_minute_and_fails_past_the_margin(offsets, status):
    assert judge_clock(offsets).status == status


# ------------------------------------------------------------------------------------------------ scopes


def scoped(direction: AttendanceDirection = AttendanceDirection.MOCO_TO_PERSONIO, **outcome):
    spec = make_spec(direction=direction.value)
    reads = {f"personio:{name}:read": [error] for name, error in
             {"persons": None, "absences": None, "attendances": None, "webhooks": None, **outcome}.items()}
    return spec, reads


def denied(path: str) -> PermissionDenied:
    return PermissionDenied("Personio", "permission denied", status=403, call=f"GET {path}?limit=1")


def test_the_write_scope_is_read_from_the_token_singular_or_plural():
    spec, reads = scoped()
    singular = "personio:person:read personio:absence:read personio:attendance:read personio:attendance:write " \
               "personio:webhook:read"
    assert judge_scopes(spec, reads, singular).check.status == "pass"
    assert names("personio:persons:read, personio:attendances:write") == {"personio:person:read",
                                                                          "personio:attendance:write"}


def test_without_a_scope_list_the_write_scope_is_a_warning():
    spec, reads = scoped()
    check = judge_scopes(spec, reads, None).check
    assert check.status == "warn" and "cannot be seen without writing" in check.detail


def test_a_trusted_scope_list_without_the_write_scope_fails_and_an_untrusted_one_warns():
    spec, reads = scoped()
    reads_only = "personio:persons:read personio:absences:read personio:attendances:read personio:webhooks:read"
    assert judge_scopes(spec, reads, reads_only).check.status == "fail"
    assert judge_scopes(spec, reads, "personio:something:else").check.status == "warn"


def test_with_hours_managed_in_personio_no_attendance_scope_is_needed():
    spec, reads = scoped(AttendanceDirection.PERSONIO_MANAGED, attendances=denied("/v2/attendance-periods"))
    scopes = judge_scopes(spec, reads, None)
    assert scopes.check.status == "pass" and scopes.refused == {"personio:attendances:read"}


def test_a_refused_scope_names_the_call_and_the_commands():
    spec, reads = scoped(persons=denied("/v2/persons"))
    check = judge_scopes(spec, reads, None).check
    assert check.status == "fail"
    assert "persons:read refused: GET /v2/persons (403); needed by plan, apply, users and serve" in check.detail


# ------------------------------------------------------------------------------------------------ persons


def test_emails_all_missing_fail_some_missing_or_shared_warn():
    assert judge_emails([{"id": "1"}, {"id": "2", "email": " "}]).status == "fail"
    assert judge_emails([]).status == "fail"
    assert judge_emails([{"id": "1", "email": 5}]).status == "fail"
    some = judge_emails([{"id": "1", "email": "a@x"}, {"id": "2"}])
    assert some.status == "warn" and "1 of 2 persons carry no email" in some.detail
    shared = judge_emails([{"id": "1", "email": "a@x"}, {"id": "2", "email": "A@x "}, {"id": "3", "email": "b@x"}])
    assert shared.status == "warn" and "2 persons share an email" in shared.detail
    assert judge_emails([{"id": "1", "email": "a@x"}]).status == "pass"


def test_statuses_are_counted_and_an_unknown_one_warns_as_reconcile_reads_it():
    rows = [{"status": "ACTIVE"}] * 3 + [{"status": "INACTIVE"}, {"status": "UNSPECIFIED"}, {}]
    check = judge_statuses(rows)
    assert check.status == "warn"
    assert check.detail.startswith("ACTIVE 3, INACTIVE 1, UNSPECIFIED 1, none 1: UNSPECIFIED 1, none 1 not a status")
    assert PERSON_STATUSES.get("UNSPECIFIED", True) and "taken as employed" in check.detail
    assert judge_statuses([{"status": "ACTIVE"}, {"status": "LEAVE"}]).status == "pass"
    assert judge_statuses([{"status": 3}]).status == "fail"


# ------------------------------------------------------------------------------------------------ absences


def test_the_unit_fields_are_those_the_client_reads():
    for name in UNIT_FIELDS:
        assert _hourly(Record(SOURCE, "absence type", {"id": "t", name: "HOUR"}))
    assert not _hourly(Record(SOURCE, "absence type", {"id": "t", "kind": "HOUR"}))


def test_a_key_naming_no_type_fails_with_a_did_you_mean_and_hourly_ones_warn():
    types = [AbsenceType("1", "Paid vacation", False), AbsenceType("2", "Arztbesuch", True)]
    raw = [{"id": "1", "name": "Paid vacation", "unit": "DAY"}, {"id": "2", "name": "Arztbesuch", "unit": "HOUR"}]
    typo = judge_types((("Paid vacaton", AbsenceKind.HOLIDAY),), raw, types)
    assert typo.status == "fail" and "did you mean 'Paid vacation'?" in typo.detail
    hourly = judge_types((("Arztbesuch", AbsenceKind.ABSENCE), ("1", AbsenceKind.HOLIDAY)), raw, types)
    assert hourly.status == "warn" and "'Arztbesuch'" in hourly.detail
    unitless = judge_types((("1", AbsenceKind.HOLIDAY),), [{"id": "1", "name": "Paid vacation"}], types[:1])
    assert unitless.status == "warn" and "cannot tell a type measured in hours" in unitless.detail


def period(start: str, end: str | None, status: str | None = "APPROVED", kind: str = "t") -> dict:
    row = {"id": start, "absence_type": {"id": kind}, "starts_from": {"date_time": start, "type": "FIRST_HALF"},
           "ends_at": None if end is None else {"date_time": end, "type": "SECOND_HALF"}}
    return row | ({"approval": {"status": status}} if status else {})


def sample(*rows: dict) -> Sample:
    return Sample(tuple(rows), 1, True)


def test_absence_periods_how_they_end_and_their_approval():
    ok = judge_periods(sample(period("2026-06-10T00:00:00", "2026-06-13T00:00:00"),
                              period("2026-06-15T00:00:00", "2026-06-15T23:59:59"),
                              period("2026-06-20T00:00:00", None, "PENDING"),
                              period("2026-06-20T09:00:00", "2026-06-20T11:00:00", kind="hours")), {"hours"}, "w")
    assert ok.status == "pass"
    assert "1 at 00:00 of a later day" in ok.detail and "1 at another time" in ok.detail and "1 open-ended" in ok.detail
    inclusive = judge_periods(sample(period("2026-06-10T00:00:00", "2026-06-10T00:00:00")), set(), "w")
    assert inclusive.status == "warn" and "inclusive end" in inclusive.detail
    assert judge_periods(sample(period("2026-06-10T00:00:00", None, None)), set(), "w").status == "fail"
    some = judge_periods(sample(period("2026-06-10T00:00:00", None, None), period("2026-06-11T00:00:00", None)),
                         set(), "w")
    assert some.status == "warn" and "1 carry no approval.status" in some.detail
    assert judge_periods(sample(), set(), "w").status == "skip"


def test_attendance_periods_duration_only_ones_and_what_cannot_be_read():
    timed = sample({"id": "a", "start": {"date_time": "x"}, "approval": {"status": "CONFIRMED"}})
    only = sample({"id": "d", "start": None, "duration": "PT7H"}, {"id": "e", "start": None, "duration": "7:30"})
    warned = judge_attendances(timed, only, "", "times")
    assert warned.status == "warn" and "2 duration-only periods" in warned.detail
    assert judge_attendances(timed, only, "", "duration").status == "pass"
    bad = judge_attendances(timed, sample({"id": "d", "start": None, "duration": "450"}), "", "times")
    assert bad.status == "fail" and "cannot read" in bad.detail
    refused = judge_attendances(timed, None, "duration_type=DURATION_ONLY was refused (400), and duration_type=ALL "
                                             "too (x)", "times")
    assert refused.status == "fail"


# ------------------------------------------------------------------------------------------------ webhooks


def test_webhook_configs_missing_without_events_or_of_the_wrong_shape():
    deletions = ["absence-period.deleted", "attendance-period.deleted"]
    assert judge_webhooks([], {}, deletions, []).status == "warn"
    unlisted = judge_webhooks([Config("w1", "ENABLED", None)], {}, deletions, [])
    assert unlisted.status == "warn" and "webhook w1 lists no enabled_events" in unlisted.detail
    assert judge_webhooks([Config("w1", "ENABLED", None, "not a list of event names")], {}, deletions,
                          []).status == "fail"
    disabled = judge_webhooks([Config("w1", "DISABLED", tuple(deletions))], {}, deletions, [])
    assert disabled.status == "warn" and "seen only by a full run" in disabled.detail
    events = Events(2, False, {"absence-period.deleted": 2}, ("event_name", "payload"), ("id", "person.id"))
    fine = judge_webhooks([Config("w1", "ENABLED", tuple(deletions))], {"w1": events}, deletions, [])
    assert fine.status == "pass" and "payload keys: id, person.id (the person is named" in fine.detail


# ------------------------------------------------------------------------------------------------ MOCO


def test_moco_pages_without_a_total_or_a_link_fail():
    assert judge_pagination(Sample((), 1, True, (), {}, None)).status == "fail"
    assert judge_pagination(Sample((), 1, False, (), {"link": '<u>; rel="next"'}, None)).status == "warn"
    assert judge_pagination(Sample((), 1, False, (), {"x-total": "5", "link": '<u>; rel="next"'}, 5)).status == "pass"


def test_moco_schedules_without_a_code_warn_and_say_how_reconcile_reads_them():
    rows = [{"id": 1, "date": "d", "user": {"id": 1}, "assignment": {"id": 9, "type": "Absence"}}]
    ids = {kind: index for index, kind in enumerate(AbsenceKind)}
    check = judge_schedules(Sample(tuple(rows), 1, True), ids)
    assert check.status == "warn" and "one request of one absence per kind" in check.detail
    shared = judge_schedules(Sample(tuple(rows), 1, True), {kind: 1 for kind in AbsenceKind})
    assert "5 times the pages" in shared.detail


def test_moco_employments_ended_only_with_to_warn():
    week = {"am": [4, 4, 4, 4, 4], "pm": [4, 4, 4, 4, 0]}
    open_ended = {"id": 1, "from": "2020-01-01", "to": None, "pattern": week}
    ended = {"id": 2, "from": "2019-01-01", "to": "2019-12-31", "pattern": week}
    assert judge_employments([open_ended], [open_ended, ended]).status == "warn"
    assert judge_employments([open_ended, ended], [open_ended, ended]).status == "pass"
    assert judge_employments([], []).status == "skip"
    empty = {**ended, "pattern": {"am": [0] * 5, "pm": [0] * 5}}
    assert judge_employments([open_ended, empty], [open_ended, empty]).status == "warn"
    assert judge_employments([{**open_ended, "pattern": None}], []).status == "fail"


def test_moco_hooks_show_ids_targets_and_field_names_never_the_address():
    check = judge_hooks([{"id": 7, "target": "Presence", "event": "create", "hook": "https://x.example/h?token=s"}])
    assert check.status == "pass" and "7 Presence create" in check.detail and "x.example" not in check.detail


# ------------------------------------------------------------------------------------------------ errors


def test_an_error_is_worded_without_what_the_service_said_or_the_query():
    error = UnexpectedResponse("Personio", "cannot read person 1234567 from GET /v2/persons?email=jane@acme.example: "
                                           "email is a number (5), expected a string")
    error.call = "GET /v2/persons?email=jane@acme.example"
    words = trouble(error)
    assert "jane" not in words and "1234567" not in words and "`email`" in words
    refused = PermissionDenied("Personio", "x jane@acme.example", status=403, call="GET /v2/persons?email=jane@x")
    assert trouble(refused) == "GET /v2/persons was refused (403): the API credential lacks the scope " \
                               "personio:persons:read"
    assert "bug in reconcile doctor" in trouble(KeyError("x"))
