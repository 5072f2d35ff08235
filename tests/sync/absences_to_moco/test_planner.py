"""The absence planner, rule by rule. Pure: no HTTP, no sandbox; a company in a few lines."""

from __future__ import annotations

import pytest

from reconciler.errors import PlanError
from reconciler.records import AbsenceKind
from reconciler.sync.ownership import absence_comment
from tests.factories import d, make_spec

HOLIDAY, SICK, UNPLANNABLE, NEUTRAL, PUBLIC = (AbsenceKind.HOLIDAY, AbsenceKind.SICK_DAY, AbsenceKind.UNPLANNABLE,
                                               AbsenceKind.ABSENCE, AbsenceKind.PUBLIC_HOLIDAY)


def days(plan, action="create"):
    return [c.date.isoformat() for c in plan.changes if c.action == action]


def only_absences(company, spec=None):
    return company.plan(spec, scope=("absences_to_moco",))


@pytest.fixture
def jane(company):
    return company.person("jane@acme.example")


# ----------------------------------------------------------------------------- which days


def test_a_vacation_over_a_weekend_skips_saturday_and_sunday(company, jane):
    user, person = jane
    company.period(person, "t-vac", "2026-12-04", "2026-12-08")  # Friday .. Tuesday
    plan = only_absences(company)
    assert days(plan) == ["2026-12-04", "2026-12-07", "2026-12-08"]
    change = plan.changes[0]
    assert (change.system, change.kind, change.user) == ("moco", "absence", "jane@acme.example")
    assert change.after == {"absence_kind": "holiday", "am": True, "pm": True,
                            "comment": absence_comment(company.periods[0].id)}
    assert change.send.to_json() == {"user_id": user.id, "date": "2026-12-04", "absence_code": 4, "am": True,
                                     "pm": True, "comment": absence_comment(company.periods[0].id)}


def test_part_time_patterns_skip_days_without_hours(company):
    _, mon_thu = company.person("mo@acme.example", pattern=([4, 4, 4, 4, 0], [4, 4, 4, 4, 0]))
    _, mornings = company.person("am@acme.example", pattern=([5] * 5, [0] * 5))
    company.period(mon_thu, "t-vac", "2026-12-03", "2026-12-04")  # Thursday, Friday
    company.period(mornings, "t-vac", "2026-12-03", "2026-12-04")
    plan = only_absences(company)
    by_user = {u: [c.date.isoformat() for c in cs] for u, cs in plan.by_person().items()}
    assert by_user == {"mo@acme.example": ["2026-12-03"], "am@acme.example": ["2026-12-03", "2026-12-04"]}


def test_a_pattern_change_applies_from_its_first_day(company):
    from reconciler.records import Employment

    user, person = company.person("pt@acme.example")
    company.employments = [
        Employment(1, user.id, None, d("2026-11-30"), (4, 4, 0, 4, 4), (4, 4, 0, 4, 4)),  # Wednesday off ...
        Employment(2, user.id, d("2026-12-01"), None, (4,) * 5, (4,) * 5),  # ... then full time
    ]
    company.period(person, "t-vac", "2026-11-25", "2026-12-02")  # Wed .. Wed
    assert days(only_absences(company)) == ["2026-11-26", "2026-11-27", "2026-11-30", "2026-12-01", "2026-12-02"]


def test_public_holidays_in_moco_are_skipped(company, jane):
    user, person = jane
    company.absence(user, "2026-12-25", PUBLIC, comment="1. Weihnachtstag")
    company.absence(user, "2026-12-28", PUBLIC)
    company.period(person, "t-vac", "2026-12-24", "2026-12-29")
    plan = only_absences(company)
    assert days(plan) == ["2026-12-24", "2026-12-29"]
    assert not plan.conflicts


def test_half_days_at_both_ends(company, jane):
    _, person = jane
    company.period(person, "t-vac", "2026-12-02", "2026-12-04", pm_only_first=True, am_only_last=True)
    halves = [(c.date.isoformat(), c.after["am"], c.after["pm"]) for c in only_absences(company).changes]
    assert halves == [("2026-12-02", False, True), ("2026-12-03", True, True), ("2026-12-04", True, False)]


def test_a_one_day_half_absence(company, jane):
    _, person = jane
    company.period(person, "t-train", "2026-12-02", "2026-12-02", am_only_last=True)
    (change,) = only_absences(company).changes
    assert (change.after["absence_kind"], change.after["am"], change.after["pm"]) == ("absence", True, False)


def test_open_ended_sickness_runs_to_the_end_of_the_window(company, jane):
    _, person = jane
    company.period(person, "t-sick", "2027-02-19", None)
    spec = make_spec(until_days=90)  # window ends 2027-02-23
    assert days(only_absences(company, spec)) == ["2027-02-19", "2027-02-22", "2027-02-23"]


def test_window_edges_cut_periods_at_start_date_and_at_today_plus_until_days(company, jane):
    user, person = jane
    company.period(person, "t-vac", "2026-09-28", "2026-10-02")  # start_date is Thursday 2026-10-01
    company.period(person, "t-vac", "2027-02-22", "2027-02-26")  # window ends Tuesday 2027-02-23
    # Synced absences outside the window are not the plan's business (not read, never deleted).
    company.absence(user, "2026-09-30", HOLIDAY, comment=absence_comment("gone"))
    plan = only_absences(company, make_spec(start="2026-10-01", until_days=90))
    assert days(plan) == ["2026-10-01", "2026-10-02", "2027-02-22", "2027-02-23"]
    assert days(plan, "delete") == []


def test_only_approved_periods_count(company, jane):
    _, person = jane
    for status in ("PENDING", "REJECTED", "CANCELLED"):
        company.period(person, "t-vac", "2026-12-02", "2026-12-02", status=status)
    assert only_absences(company).changes == ()


def test_types_map_by_name_case_insensitively_or_by_id(company, jane):
    _, person = jane
    company.period(person, "t-vac", "2026-12-02", "2026-12-02")
    company.period(person, "t-ot", "2026-12-03", "2026-12-03")
    spec = make_spec(types="    paid  VACATION: holiday\n    t-ot: unplannable\n")
    kinds = [c.after["absence_kind"] for c in only_absences(company, spec).changes]
    assert kinds == ["holiday", "unplannable"]


def test_unmapped_types_are_skipped_with_a_warning(company, jane):
    _, person = jane
    company.period(person, "t-parental", "2026-12-02", "2026-12-04")
    plan = only_absences(company)
    assert plan.changes == ()
    assert any("'Parental leave' is not in absences.types: 1 approved absence skipped (jane@acme.example)" in w
               for w in plan.warnings)


def test_unmapped_error_stops_the_plan(company, jane):
    _, person = jane
    company.period(person, "t-parental", "2026-12-02", "2026-12-04")
    with pytest.raises(PlanError, match="'Parental leave' \\(1 absence of 1 person\\)"):
        only_absences(company, make_spec(unmapped="error"))


def test_hourly_absence_types_are_not_turned_into_days(company, jane):
    from reconciler.records import AbsenceType

    _, person = jane
    company.types = company.types + (AbsenceType("t-doc", "Arztbesuch", hourly=True),)
    company.period(person, "t-doc", "2026-12-02", "2026-12-02")
    plan = only_absences(company, make_spec(types="    Arztbesuch: absence\n"))
    assert plan.changes == ()
    assert any("'Arztbesuch' is measured in hours, and MOCO absences are whole or half days: 1 approved absence "
               "not synced (jane@acme.example)" in w for w in plan.warnings)


def test_a_spec_type_matching_nothing_is_a_warning(company, jane):
    plan = only_absences(company, make_spec(types="    Paid vacaton: holiday\n"))
    assert any("absences.types['Paid vacaton'] matches no Personio absence type" in w for w in plan.warnings)


def test_mapping_one_type_twice_to_different_kinds_is_an_error(company, jane):
    with pytest.raises(PlanError, match="maps the Personio absence type 'Paid vacation' twice"):
        only_absences(company, make_spec(types="    Paid vacation: holiday\n    t-vac: absence\n"))


# ----------------------------------------------------------------------------- overlaps


def test_overlapping_periods_give_one_absence_a_day_and_sickness_wins(company, jane):
    _, person = jane
    company.period(person, "t-vac", "2026-12-07", "2026-12-11")
    company.period(person, "t-sick", "2026-12-09", "2026-12-10")
    plan = only_absences(company)
    kinds = {c.date.isoformat(): c.after["absence_kind"] for c in plan.changes}
    assert kinds == {"2026-12-07": "holiday", "2026-12-08": "holiday", "2026-12-09": "sick_day",
                     "2026-12-10": "sick_day", "2026-12-11": "holiday"}
    assert len({(c.user, c.date) for c in plan.changes}) == len(plan.changes)  # one change a day
    assert any("'Sick leave' and 'Paid vacation' overlap on 2026-12-09..2026-12-10 (2 days)" in w
               for w in plan.warnings)


def test_two_half_days_of_the_same_kind_make_a_full_day(company, jane):
    _, person = jane
    company.period(person, "t-vac", "2026-12-01", "2026-12-02", am_only_last=True)
    company.period(person, "t-vac", "2026-12-02", "2026-12-03", pm_only_first=True)
    day = next(c for c in only_absences(company).changes if c.date == d("2026-12-02"))
    assert (day.after["am"], day.after["pm"]) == (True, True)


# ----------------------------------------------------------------------------- changes over time


def test_a_type_change_updates_the_synced_absence(company, jane):
    user, person = jane
    period = company.period(person, "t-train", "2026-12-02", "2026-12-02")
    company.absence(user, "2026-12-02", HOLIDAY, period=period)
    (change,) = only_absences(company).changes
    assert change.action == "update" and change.target == company.absences[0].id
    assert change.before["absence_kind"] == "holiday" and change.after["absence_kind"] == "absence"
    assert change.reason == "changed in Personio: kind"


def test_a_cancelled_absence_is_deleted(company, jane):
    user, person = jane
    company.absence(user, "2026-12-02", HOLIDAY, comment=absence_comment("p-gone"))
    (change,) = only_absences(company).changes
    assert (change.action, change.target, change.reason) == ("delete", company.absences[0].id,
                                                             "no longer in Personio")
    assert change.before == {"absence_kind": "holiday", "am": True, "pm": True,
                             "comment": absence_comment("p-gone")}


def test_a_rejected_absence_is_deleted_with_its_status(company, jane):
    user, person = jane
    period = company.period(person, "t-vac", "2026-12-02", "2026-12-02", status="REJECTED")
    company.absence(user, "2026-12-02", HOLIDAY, period=period)
    (change,) = only_absences(company).changes
    assert change.action == "delete" and change.reason == "now rejected in Personio"


def test_a_shortened_absence_loses_its_last_days(company, jane):
    user, person = jane
    period = company.period(person, "t-vac", "2026-12-07", "2026-12-09")  # was .. 2026-12-11
    for day in ("2026-12-07", "2026-12-08", "2026-12-09", "2026-12-10", "2026-12-11"):
        company.absence(user, day, HOLIDAY, period=period)
    plan = only_absences(company)
    assert days(plan, "delete") == ["2026-12-10", "2026-12-11"] and len(plan.changes) == 2
    assert plan.changes[0].reason == "no longer covered by the absence in Personio"


def test_a_half_day_becoming_whole_is_an_update(company, jane):
    user, person = jane
    period = company.period(person, "t-vac", "2026-12-02", "2026-12-02")
    company.absence(user, "2026-12-02", HOLIDAY, am=True, pm=False, period=period)
    (change,) = only_absences(company).changes
    assert change.action == "update" and change.before["pm"] is False and change.after["pm"] is True


# ----------------------------------------------------------------------------- hand-made MOCO absences


def test_a_handmade_absence_on_a_wanted_day_is_a_conflict_and_left_alone(company, jane):
    user, person = jane
    company.period(person, "t-vac", "2026-12-02", "2026-12-03")
    company.absence(user, "2026-12-02", NEUTRAL, comment="Arzttermin")
    plan = only_absences(company)
    assert days(plan) == ["2026-12-03"]
    (conflict,) = plan.conflicts
    assert (conflict.user, conflict.date) == ("jane@acme.example", d("2026-12-02"))
    assert "hand-made MOCO absence (absence, full day, with a comment)" in conflict.reason
    assert "Arzttermin" not in conflict.reason  # its words stay in MOCO
    assert "Paid vacation (holiday); left alone" in conflict.reason


def test_a_handmade_absence_is_a_conflict_even_when_it_looks_the_same(company, jane):
    user, person = jane
    company.period(person, "t-vac", "2026-12-02", "2026-12-02")
    company.absence(user, "2026-12-02", HOLIDAY)
    plan = only_absences(company)
    assert plan.changes == () and len(plan.conflicts) == 1


def test_handmade_absences_on_other_days_are_never_touched(company, jane):
    user, _person = jane
    company.absence(user, "2026-12-02", HOLIDAY, comment="Brückentag")
    company.absence(user, "2026-12-03", UNPLANNABLE, comment="Workshop")
    plan = only_absences(company)
    assert plan.changes == () and plan.conflicts == ()


def test_a_not_plannable_day_is_replaced_by_updating_it(company, jane):
    user, person = jane
    company.period(person, "t-vac", "2026-12-02", "2026-12-02")
    handmade = company.absence(user, "2026-12-02", UNPLANNABLE, am=True, pm=False, comment="Überstundenabbau")
    (change,) = only_absences(company).changes
    assert (change.action, change.target) == ("update", handmade.id)
    assert change.before == {"absence_kind": "unplannable", "am": True, "pm": False, "comment": "Überstundenabbau"}
    assert change.after["absence_kind"] == "holiday" and change.after["pm"] is True
    assert change.reason == "replaces a hand-made “not plannable” absence"
    assert not only_absences(company).conflicts


def test_two_records_on_a_day_are_folded_into_one_by_one_change(company, jane):
    user, person = jane
    period = company.period(person, "t-vac", "2026-12-02", "2026-12-02")
    ours = company.absence(user, "2026-12-02", HOLIDAY, period=period)
    extra = company.absence(user, "2026-12-02", UNPLANNABLE, pm=False, comment="by hand")
    (change,) = only_absences(company).changes
    assert (change.action, change.target, change.removes) == ("delete", extra.id, ())
    company.apply(only_absences(company))
    assert [a.id for a in company.absences] == [ours.id]


def test_a_duplicate_of_our_own_is_cleaned_up(company, jane):
    user, person = jane
    period = company.period(person, "t-vac", "2026-12-02", "2026-12-02")
    first = company.absence(user, "2026-12-02", HOLIDAY, period=period)
    second = company.absence(user, "2026-12-02", HOLIDAY, period=period)
    (change,) = only_absences(company).changes
    assert (change.action, change.target, change.reason) == ("delete", second.id, "a second synced absence on this day")
    company.apply(only_absences(company))
    assert [a.id for a in company.absences] == [first.id]


# ----------------------------------------------------------------------------- who is synced


def test_people_are_matched_by_email_ignoring_case_and_with_overrides(company):
    company.person("Max.Mustermann@ACME.example", moco_email="max.mustermann@acme.example")
    _, jane = company.person("jane.doe@acme.example", moco_email="jane@acme.example")
    company.period(company.persons[0], "t-vac", "2026-12-02", "2026-12-02")
    company.period(jane, "t-vac", "2026-12-02", "2026-12-02")
    spec = make_spec("users:\n  overrides: [{personio: jane.doe@acme.example, moco: jane@acme.example}]\n")
    plan = only_absences(company, spec)
    assert sorted(plan.by_person()) == ["jane@acme.example", "max.mustermann@acme.example"]
    assert not [w for w in plan.warnings if "has no" in w]


def test_a_moco_user_is_never_paired_with_two_personio_persons(company):
    """An override points jane.doe@ at jane@, and an old Personio record has jane@ itself."""
    user, jane = company.person("jane.doe@acme.example", moco_email="jane@acme.example")
    _, old = company.person("jane@acme.example", in_moco=False)
    company.period(jane, "t-vac", "2026-12-02", "2026-12-02")
    company.presence(user, "2026-11-02", "09:00", "17:00")
    spec = make_spec("users:\n  overrides: [{personio: jane.doe@acme.example, moco: jane@acme.example}]\n")
    plan = company.plan(spec)
    sent = [c.send.to_json().get("person_id") for c in plan.changes if c.kind == "attendance" and c.send]
    assert sent == [jane.id]  # once, to Jane
    assert any("Personio person jane@acme.example is not synced: MOCO user jane@acme.example is already paired "
               "with Personio person jane.doe@acme.example" in w for w in plan.warnings)
    company.apply(plan)
    assert company.plan(spec).changes == ()  # converges instead of flipping


def test_unmatched_active_people_are_warnings_not_crashes(company):
    company.person("nina@acme.example", in_moco=False)
    company.person("frank@freelance.example", in_personio=False)
    company.person("gone@acme.example", in_moco=False, active=False)  # inactive: not worth a warning
    plan = only_absences(company)
    assert plan.changes == ()
    assert any(w.startswith("Personio person nina@acme.example has no MOCO user") for w in plan.warnings)
    assert any(w.startswith("MOCO user frank@freelance.example has no Personio person") for w in plan.warnings)
    assert not any("gone@" in w for w in plan.warnings)


def test_excluded_people_are_never_synced_and_their_synced_absences_stay(company, jane):
    user, person = jane
    company.period(person, "t-vac", "2026-12-02", "2026-12-02")
    company.absence(user, "2026-12-09", HOLIDAY, comment=absence_comment("old"))
    plan = only_absences(company, make_spec("users:\n  exclude: [JANE@acme.example]\n"))
    assert plan.changes == ()
    assert any("jane@acme.example is no longer synced" in w and "1 absence reconcile wrote earlier is left alone" in w
               for w in plan.warnings)


def test_archived_moco_users_get_nothing(company):
    _, person = company.person("olaf@acme.example", moco_active=False)
    company.period(person, "t-vac", "2026-12-02", "2026-12-02")
    plan = only_absences(company)
    assert plan.changes == () and not [w for w in plan.warnings if "olaf" in w and "has no" in w]


def test_no_employment_pattern_means_monday_to_friday_with_a_warning(company, jane):
    user, person = jane
    company.employments = []
    company.period(person, "t-vac", "2026-12-04", "2026-12-07")
    plan = only_absences(company)
    assert days(plan) == ["2026-12-04", "2026-12-07"]
    assert any("no MOCO employment pattern covers 2 absence days" in w for w in plan.warnings)


def test_a_day_two_periods_cover_is_counted_once_in_the_pattern_warning(company, jane):
    user, person = jane
    company.employments = []
    company.period(person, "t-vac", "2026-12-04", "2026-12-04")
    company.period(person, "t-train", "2026-12-04", "2026-12-04")
    assert any("no MOCO employment pattern covers 1 absence day (2026-12-04…)" in w
               for w in only_absences(company).warnings)


# ----------------------------------------------------------------------------- convergence


def test_applying_a_plan_leaves_nothing_to_do(company):
    user, person = company.person("jane@acme.example")
    other, person2 = company.person("mo@acme.example", pattern=([4, 4, 4, 4, 0], [4, 4, 4, 4, 0]))
    company.absence(user, "2026-12-25", PUBLIC)
    company.period(person, "t-vac", "2026-12-21", "2027-01-08", pm_only_first=True)
    company.period(person, "t-sick", "2026-12-29", "2026-12-30")
    company.period(person2, "t-sick", "2026-11-30", None)
    company.absence(other, "2026-12-03", UNPLANNABLE)
    company.absence(other, "2026-12-04", HOLIDAY, comment=absence_comment("cancelled"))
    company.absence(user, "2027-01-05", NEUTRAL, comment="by hand")
    first = only_absences(company)
    assert first.changes and first.conflicts
    company.apply(first)
    second = only_absences(company)
    assert second.changes == ()
    assert second.conflicts == first.conflicts  # hand-made entries are still reported, never touched
    assert any(a.comment == "by hand" for a in company.absences)


def test_personio_managed_working_hours_plan_nothing_there_and_say_so(company, jane):
    plan = company.plan(make_spec(direction="personio_managed"))
    assert any("managed in Personio" in n and "nothing is written" in n for n in plan.notes)
