"""The holiday planner, rule by rule, and how it shares MOCO's days with the absences. Pure: no HTTP, no
sandbox; a company in a few lines, applied through the real apply code where a second plan must be empty."""

from __future__ import annotations

import pytest

from reconciler.records import AbsenceKind
from reconciler.sync.ownership import HOLIDAY_MARKER, holiday_comment
from tests.factories import d, make_spec

HOLIDAY, UNPLANNABLE, PUBLIC = AbsenceKind.HOLIDAY, AbsenceKind.UNPLANNABLE, AbsenceKind.PUBLIC_HOLIDAY
SYNCED = make_spec("holidays: {sync: true}\n")
BOTH = ("absences_to_moco", "holidays_to_moco")


def holidays_only(company, spec=SYNCED):
    return company.plan(spec, scope=("holidays_to_moco",))


def in_moco(company, user):
    """The user's MOCO absences by day: (kind, am, pm, whose)."""
    return {a.day.isoformat(): (a.kind.value, a.am, a.pm, "holiday" if HOLIDAY_MARKER.source(a.comment) else
                                "absence" if a.comment.startswith("[reconcile]") else "hand-made")
            for a in sorted(company.absences, key=lambda a: a.day) if a.user_id == user.id}


@pytest.fixture
def jane(company):
    return company.person("jane@acme.example")


# ----------------------------------------------------------------------------- what is written


def test_a_holiday_on_a_working_day_becomes_a_marked_public_holiday(company, jane):
    user, person = jane
    entry = company.holiday(person, "2026-12-25", "1. Weihnachtstag")  # a Friday
    plan = holidays_only(company)
    [change] = plan.changes
    assert (change.action, change.direction, change.user, change.date) == (
        "create", "holidays_to_moco", "jane@acme.example", d("2026-12-25"))
    assert change.after == {"absence_kind": "public_holiday", "am": True, "pm": True,
                            "comment": holiday_comment(entry.id)}
    assert change.send.to_json() == {"user_id": user.id, "date": "2026-12-25", "absence_code": 2, "am": True,
                                     "pm": True, "comment": f"[reconcile] Personio holiday {entry.id}"}
    assert change.reason == "1. Weihnachtstag: public holiday in Personio"
    assert change.source == f"Personio holiday {entry.id}"
    assert not change.sensitive and plan.sensitive == 0


def test_a_half_day_is_the_afternoon(company, jane):
    _, person = jane
    company.holiday(person, "2026-12-24", "Heiligabend", half_day=True, kind="company")
    [change] = holidays_only(company).changes
    assert (change.after["am"], change.after["pm"]) == (False, True)
    assert change.reason == "Heiligabend: company holiday in Personio, half a day"


def test_days_the_person_does_not_work_are_skipped(company):
    _, mon_thu = company.person("mo@acme.example", pattern=([4, 4, 4, 4, 0], [4, 4, 4, 4, 0]))
    for day in ("2026-12-25", "2026-12-26", "2026-12-27", "2026-12-28"):  # Friday .. Monday
        company.holiday(mon_thu, day)
    assert [c.date.isoformat() for c in holidays_only(company).changes] == ["2026-12-28"]


def test_without_a_moco_pattern_monday_to_friday_count_and_it_is_said(company, jane):
    user, person = jane
    company.employments = [e for e in company.employments if e.user_id != user.id]
    company.holiday(person, "2026-12-25")
    company.holiday(person, "2026-12-26")  # a Saturday
    plan = holidays_only(company)
    assert [c.date.isoformat() for c in plan.changes] == ["2026-12-25"]
    assert any("no MOCO employment pattern covers 1 holiday day (2026-12-25…)" in w for w in plan.warnings)


def test_only_the_kinds_asked_for_are_synced(company, jane):
    _, person = jane
    company.holiday(person, "2026-12-25", "Weihnachten")
    company.holiday(person, "2026-12-31", "Silvester", kind="company")
    spec = make_spec("holidays: {sync: true, kinds: [public]}\n")
    assert [c.date.isoformat() for c in holidays_only(company, spec).changes] == ["2026-12-25"]


def test_days_outside_the_window_are_not_written(company, jane):
    _, person = jane
    company.holiday(person, "2026-09-30")  # before start_date
    company.holiday(person, "2027-06-01")  # after today + until_days
    assert holidays_only(company).changes == ()


def test_off_by_default(company, jane):
    _, person = jane
    company.holiday(person, "2026-12-25")
    plan = company.plan(make_spec())
    assert [c for c in plan.changes if c.direction == "holidays_to_moco"] == []
    assert "holidays: not synced (holidays.sync: false)" in plan.notes


# ----------------------------------------------------------------------------- neighbours in MOCO


def test_a_hand_made_public_holiday_means_nothing_to_write(company, jane):
    user, person = jane
    company.holiday(person, "2026-12-25")
    company.absence(user, "2026-12-25", PUBLIC, comment="Weihnachten")
    plan = holidays_only(company)
    assert plan.changes == () and plan.conflicts == ()


def test_a_hand_made_public_holiday_makes_ours_on_that_day_surplus(company, jane):
    user, person = jane
    entry = company.holiday(person, "2026-12-25")
    company.absence(user, "2026-12-25", PUBLIC, comment=holiday_comment(entry.id))
    company.absence(user, "2026-12-25", PUBLIC)
    [change] = holidays_only(company).changes
    assert change.action == "delete" and change.before["comment"] == holiday_comment(entry.id)
    assert change.reason == "a hand-made public holiday is on this day"


def test_other_hand_made_absences_are_a_conflict_and_left_alone(company, jane):
    user, person = jane
    company.holiday(person, "2026-12-25", "1. Weihnachtstag")
    company.absence(user, "2026-12-25", HOLIDAY, comment="my own note")
    plan = holidays_only(company)
    assert plan.changes == ()
    [conflict] = plan.conflicts
    assert conflict.reason == ("hand-made MOCO absence (holiday, full day, with a comment) on a day Personio says "
                               "is 1. Weihnachtstag (public holiday); left alone")
    assert "my own note" not in conflict.reason


def test_a_hand_made_not_plannable_is_replaced_in_place(company, jane):
    user, person = jane
    entry = company.holiday(person, "2026-12-25")
    kept = company.absence(user, "2026-12-25", UNPLANNABLE)
    [change] = holidays_only(company).changes
    assert (change.action, change.target) == ("update", kept.id)
    assert change.after["comment"] == holiday_comment(entry.id)
    assert "replaces a hand-made “not plannable” absence" in change.reason


def test_a_second_synced_copy_is_surplus(company, jane):
    user, person = jane
    entry = company.holiday(person, "2026-12-25")
    company.absence(user, "2026-12-25", PUBLIC, comment=holiday_comment(entry.id))
    company.absence(user, "2026-12-25", PUBLIC, comment=holiday_comment(entry.id))
    [change] = holidays_only(company).changes
    assert change.action == "delete" and change.surplus


def test_a_new_entry_id_for_the_same_day_rewrites_nothing(company, jane):
    """Whether Personio keeps an entry's id is unverified: the day and halves decide, not the id."""
    user, person = jane
    company.holiday(person, "2026-12-25", holiday_id="new")
    company.absence(user, "2026-12-25", PUBLIC, comment=holiday_comment("old"))
    assert holidays_only(company).changes == ()


def test_a_holiday_that_became_a_half_day_is_updated(company, jane):
    user, person = jane
    entry = company.holiday(person, "2026-12-24", "Heiligabend", half_day=True)
    ours = company.absence(user, "2026-12-24", PUBLIC, comment=holiday_comment(entry.id))
    [change] = holidays_only(company).changes
    assert (change.action, change.target, change.after["am"], change.after["pm"]) == ("update", ours.id, False, True)
    assert change.reason == "Heiligabend: public holiday in Personio, half a day; changed: morning"


def test_a_holiday_taken_out_of_the_calendar_removes_its_record(company, jane):
    user, person = jane
    company.absence(user, "2026-12-08", PUBLIC, comment=holiday_comment("gone"))  # Mariä Empfängnis, moved away
    [change] = holidays_only(company).changes
    assert change.action == "delete" and change.source == "Personio holiday gone"
    assert change.reason.startswith("no longer a holiday of this person in Personio")


def test_the_absences_records_are_not_the_holidays_and_back(company, jane):
    """Each direction claims its own marker only: a synced absence is never the holidays' to update, and a
    synced holiday never the absences'."""
    user, person = jane
    period = company.period(person, "t-vac", "2026-12-07", "2026-12-07")
    company.absence(user, "2026-12-07", HOLIDAY, period=period)
    company.absence(user, "2026-12-09", PUBLIC, comment=holiday_comment("h1"))
    company.holiday(person, "2026-12-09", holiday_id="h1")
    assert company.plan(SYNCED, scope=BOTH).changes == ()


# ----------------------------------------------------------------------------- a vacation over a holiday


def test_a_vacation_over_a_holiday_leaves_that_day_to_the_holiday(company, jane):
    user, person = jane
    company.period(person, "t-vac", "2026-12-21", "2026-12-29")
    company.holiday(person, "2026-12-25", "1. Weihnachtstag")
    plan = company.plan(SYNCED, scope=BOTH)
    assert {(c.date.isoformat(), c.direction) for c in plan.changes if c.date == d("2026-12-25")} == {
        ("2026-12-25", "holidays_to_moco")}
    company.apply(plan)
    moco = in_moco(company, user)
    assert moco["2026-12-25"] == ("public_holiday", True, True, "holiday")
    assert [day for day, (kind, *_) in moco.items() if kind == "holiday"] == [
        "2026-12-21", "2026-12-22", "2026-12-23", "2026-12-24", "2026-12-28", "2026-12-29"]
    assert company.plan(SYNCED, scope=BOTH).changes == ()


def test_a_synced_vacation_on_a_new_holiday_is_swapped_in_one_apply(company, jane):
    user, person = jane
    period = company.period(person, "t-vac", "2026-12-24", "2026-12-24")
    company.absence(user, "2026-12-24", HOLIDAY, period=period)
    company.holiday(person, "2026-12-24", "Heiligabend", half_day=True, kind="company")
    plan = company.plan(SYNCED, scope=BOTH)
    by_direction = {c.direction: c for c in plan.changes}
    assert by_direction["absences_to_moco"].action == "delete"
    assert by_direction["absences_to_moco"].reason == "the day is a holiday in Personio (Heiligabend), synced as one"
    assert by_direction["holidays_to_moco"].action == "create"
    company.apply(plan)
    assert in_moco(company, user) == {"2026-12-24": ("public_holiday", False, True, "holiday")}
    assert company.plan(SYNCED, scope=BOTH).changes == ()


def test_a_holiday_taken_out_under_a_vacation_gives_the_day_back_in_one_apply(company, jane):
    user, person = jane
    company.period(person, "t-vac", "2026-12-07", "2026-12-09")
    company.absence(user, "2026-12-08", PUBLIC, comment=holiday_comment("gone"))
    plan = company.plan(SYNCED, scope=BOTH)
    assert plan.conflicts == ()
    company.apply(plan)
    assert in_moco(company, user) == {day: ("holiday", True, True, "absence")
                                      for day in ("2026-12-07", "2026-12-08", "2026-12-09")}
    assert company.plan(SYNCED, scope=BOTH).changes == ()


def test_with_absences_not_synced_their_old_records_stay_in_the_way(company, jane):
    user, person = jane
    period = company.period(person, "t-vac", "2026-12-24", "2026-12-24")
    company.absence(user, "2026-12-24", HOLIDAY, period=period)
    company.holiday(person, "2026-12-24")
    plan = company.plan(_spec_without_absences())
    assert plan.changes == ()
    [conflict] = plan.conflicts
    assert conflict.direction == "holidays_to_moco" and "holiday, full day, with a comment" in conflict.reason


def test_when_holidays_are_not_synced_a_synced_one_still_keeps_absences_off_its_day(company, jane):
    user, person = jane
    company.period(person, "t-vac", "2026-12-24", "2026-12-24")
    company.absence(user, "2026-12-24", PUBLIC, comment=holiday_comment("h1"))
    plan = company.plan(make_spec())
    assert plan.changes == () and plan.conflicts == ()


def test_when_holidays_are_not_synced_absences_ignore_personio_holidays(company, jane):
    _, person = jane
    company.period(person, "t-vac", "2026-12-24", "2026-12-24")
    company.holiday(person, "2026-12-24")
    assert [(c.direction, c.action) for c in company.plan(make_spec()).changes] == [("absences_to_moco", "create")]


# ----------------------------------------------------------------------------- the whole run


def test_holidays_of_people_no_longer_synced_are_left_alone_and_said(company, jane):
    gone, _ = company.person("gone@acme.example", in_personio=False)
    company.absence(gone, "2026-12-25", PUBLIC, comment=holiday_comment("h9"))
    plan = holidays_only(company)
    assert plan.changes == ()
    assert any(w.startswith("gone@acme.example is no longer synced") and "1 public holiday reconcile wrote" in w
               for w in plan.warnings)


def test_the_note_names_the_window_and_kinds(company, jane):
    plan = holidays_only(company, make_spec("holidays: {sync: true, kinds: [company]}\n"))
    assert "holidays Personio → MOCO from 2026-10-01 to 2027-02-23 (1 person matched; kinds: company)" in plan.notes


def _spec_without_absences():
    from reconciler.spec import parse_spec
    from tests.factories import TODAY

    return parse_spec("version: 1\nstart_date: 2026-10-01\nmoco: {subdomain: acme}\nabsences: {enabled: false}\n"
                      "attendances: {direction: moco_to_personio}\nholidays: {sync: true}\n", today=TODAY)


# ----------------------------------------------------------------------------- why a record goes


@pytest.mark.parametrize(("listed", "spec", "says"), [
    (None, SYNCED, "no longer a holiday of this person in Personio (taken out of the calendar, or another office's)"),
    ("company", make_spec("holidays: {sync: true, kinds: [public]}\n"),
     "Silvester is a company holiday in Personio, which holidays.kinds does not sync"),
    ("public", SYNCED, "Silvester falls on a day the person does not work in MOCO"),
])
def test_a_synced_holiday_that_goes_says_why(company, listed, spec, says):
    user, person = company.person("thu@acme.example", pattern=([4, 4, 4, 0, 4], [4, 4, 4, 0, 4]))  # no Thursdays
    company.absence(user, "2026-12-31", PUBLIC, comment=holiday_comment("h1"))  # a Thursday
    if listed:
        company.holiday(person, "2026-12-31", "Silvester", kind=listed, holiday_id="h1")
    [change] = holidays_only(company, spec).changes
    assert change.action == "delete" and change.reason == says


def test_a_synced_absence_on_a_public_holiday_in_moco_goes_saying_so(company, jane):
    user, person = jane
    period = company.period(person, "t-vac", "2026-12-24", "2026-12-24")
    company.absence(user, "2026-12-24", HOLIDAY, period=period)
    company.absence(user, "2026-12-24", PUBLIC, comment=holiday_comment("h1"))  # synced earlier, holidays now off
    [change] = company.plan(make_spec()).changes
    assert (change.direction, change.action, change.reason) == (
        "absences_to_moco", "delete", "the day is a public holiday in MOCO")


# ----------------------------------------------------------------------------- privacy


def test_a_conflict_with_a_hand_made_sick_day_is_sensitive(company, jane):
    """The holiday is not health data; a hand-made sick day on it is: the conflict naming it is withheld."""
    user, person = jane
    company.holiday(person, "2026-12-25")
    company.absence(user, "2026-12-25", AbsenceKind.SICK_DAY)
    plan = holidays_only(company)
    [conflict] = plan.conflicts
    assert conflict.sensitive and "sick_day" in conflict.reason


def test_a_replaced_not_plannable_is_sensitive_where_the_spec_says_so(company, jane):
    user, person = jane
    company.holiday(person, "2026-12-25")
    company.absence(user, "2026-12-25", UNPLANNABLE)
    spec = make_spec("holidays: {sync: true}\nprivacy: {sensitive_kinds: [sick_day, unplannable]}\n")
    [change] = holidays_only(company, spec).changes
    assert change.action == "update" and change.sensitive
    [plain] = holidays_only(company).changes
    assert not plain.sensitive


def test_a_leaver_gets_no_holiday_from_today_on_and_loses_the_synced_ones_after_their_last_day(company):
    """Personio employs them no more (INACTIVE: their last day has passed), while their MOCO user is still active
    (the people direction archives it in the same apply): holidays before today stay, later ones go."""
    user, person = company.person("lena@acme.example", active=False)
    company.holiday(person, "2026-11-19", "Buß- und Bettag")  # before today (2026-11-25): a day they worked
    company.holiday(person, "2026-12-25", "1. Weihnachtstag")
    company.absence(user, "2027-01-01", PUBLIC, comment=holiday_comment("neujahr"))  # synced while employed
    plan = holidays_only(company)
    assert [(c.action, c.date.isoformat()) for c in plan.changes] == [("create", "2026-11-19"),
                                                                     ("delete", "2027-01-01")]
    assert plan.changes[1].reason == "after the person's last day (inactive in Personio)"
