"""The spec's holidays section: holidays Personio → MOCO, off by default, both kinds unless the file says which."""

from __future__ import annotations

from datetime import date

import pytest

from reconciler.spec import parse_spec
from reconciler.spec.defaults import defaults_of
from reconciler.spec.describe import HOLIDAY_YEARS_AHEAD, describe_spec, holiday_horizon
from reconciler.spec.model import HolidaySettings
from reconciler.systems.personio.holidays import YEARS_AHEAD, bounds
from tests.spec.test_spec import TODAY, VALID, problems_of


def holidays_line(spec_text: str, today: date = TODAY) -> str:
    lines = [line for line in describe_spec(parse_spec(spec_text, today=TODAY), today) if line.startswith("holidays")]
    assert len(lines) == 1, lines
    return lines[0]


# ----------------------------------------------------------------------------- good specs


@pytest.mark.parametrize("holidays", ["", "holidays:\n", "holidays: null\n", "holidays: {}\n"],
                         ids=["absent", "empty", "null", "empty-mapping"])
def test_a_spec_without_holiday_settings_syncs_no_holidays_and_would_take_both_kinds(holidays):
    spec = parse_spec(VALID + holidays, today=TODAY)
    assert spec.holidays == HolidaySettings(sync=False, kinds=frozenset({"public", "company"}))
    assert defaults_of("holidays") == {"sync": False, "kinds": ["public", "company"]}


def test_sync_and_kinds_are_read():
    spec = parse_spec(VALID + "holidays: {sync: true, kinds: [public]}\n", today=TODAY)
    assert spec.holidays == HolidaySettings(sync=True, kinds=frozenset({"public"}))


def test_one_setting_leaves_the_other_at_its_default():
    assert parse_spec(VALID + "holidays:\n  sync: true\n", today=TODAY).holidays.kinds == frozenset(
        {"public", "company"})
    assert not parse_spec(VALID + "holidays:\n  kinds: [company]\n", today=TODAY).holidays.sync


def test_holidays_may_be_synced_while_absences_are_not():
    text = VALID.replace("  types:\n    Paid vacation: holiday\n", "  enabled: false\n") + "holidays: {sync: true}\n"
    spec = parse_spec(text, today=TODAY)
    assert spec.holidays.sync and not spec.absences.enabled


# ----------------------------------------------------------------------------- broken specs


@pytest.mark.parametrize(
    ("extra", "where", "path", "words"),
    [
        pytest.param("holidays: {sync: true, kinds: [public, regional]}\n", "10:40", "holidays.kinds[1]",
                     "'regional' is not allowed here; allowed: public, company", id="unknown-kind"),
        pytest.param("holidays:\n  kinds:\n    - regional\n", "12:7", "holidays.kinds[0]",
                     "'regional' is not allowed here; allowed: public, company", id="unknown-kind-block-list"),
        pytest.param("holidays:\n  sync: true\n  kinds: []\n", "12:3", "holidays.kinds",
                     "must not be empty (which kinds of Personio holiday are synced", id="no-kinds"),
        pytest.param("holidays:\n  kinds: [public, company, public]\n", "11:28", "holidays.kinds[2]",
                     "'public' is already listed at holidays.kinds[0]; list each once", id="kind-twice"),
        pytest.param("holidays:\n  snyc: true\n", "11:3", "holidays.snyc",
                     "unknown key (did you mean 'sync'?); allowed here: sync, kinds", id="unknown-key"),
        pytest.param("holidays:\n  sync: yes please\n", "11:3", "holidays.sync",
                     "must be true or false, not 'yes please'", id="sync-not-a-flag"),
        pytest.param("holidays:\n  kinds: public\n", "11:3", "holidays.kinds", "must be a list, not 'public'",
                     id="kinds-not-a-list"),
        pytest.param("holidays: [public]\n", "10:1", "holidays", "must be a mapping (key: value lines), not a list",
                     id="not-a-mapping"),
        pytest.param("holiday:\n  sync: true\n", "10:1", "holiday", "unknown key (did you mean 'holidays'?)",
                     id="section-misspelt"),
    ],
)
def test_broken_holiday_settings_name_line_path_and_problem(extra, where, path, words):
    problems = problems_of(VALID + extra)
    assert any(p.startswith(f"spec.yaml:{where}: {path}: ") and words in p for p in problems), problems


def test_a_repeated_item_is_named_in_the_other_lists_too():
    problems = problems_of(VALID + "privacy:\n  sensitive_kinds: [sick_day, absence, sick_day]\n")
    assert problems == ["spec.yaml:11:40: privacy.sensitive_kinds[2]: 'sick_day' is already listed at "
                        "privacy.sensitive_kinds[0]; list each once"]


# ----------------------------------------------------------------------------- validate's description


def test_the_description_says_holidays_are_not_synced_by_default():
    assert holidays_line(VALID) == "holidays: not synced (holidays.sync: false)"


def test_the_description_names_the_kinds_and_the_absences_window():
    assert holidays_line(VALID + "holidays: {sync: true}\n") == (
        "holidays Personio → MOCO as public_holiday absences (public, company), over the absences' window "
        "(up to today + 365 days)")
    assert "absences (company), over" in holidays_line(VALID + "holidays: {sync: true, kinds: [company]}\n")


def test_the_description_comes_right_after_the_absences_line():
    lines = describe_spec(parse_spec(VALID, today=TODAY), TODAY)
    assert lines[lines.index("holidays: not synced (holidays.sync: false)") - 1].startswith("absences ")


def years_ahead_spec(until_days: int) -> str:
    return VALID.replace("  types:", f"  until_days: {until_days}\n  types:") + "holidays: {sync: true}\n"


def test_a_window_beyond_three_years_is_noted_not_refused():
    three_years = (holiday_horizon(TODAY) - TODAY).days  # 1,096 from 2026-11-25: 29 February 2028 lies between
    assert three_years == 1096 and holiday_horizon(TODAY) == date(2029, 11, 25)
    assert "note" not in holidays_line(years_ahead_spec(three_years))
    line = holidays_line(years_ahead_spec(three_years + 1))  # valid: parse_spec raised nothing
    assert line.endswith("; note: Personio serves holidays only up to 3 years ahead (2029-11-25), so the days after "
                         "it up to 2029-11-26 get no holiday")


def test_no_note_while_holidays_are_not_synced():
    text = VALID.replace("  types:", "  until_days: 3660\n  types:")
    assert holidays_line(text) == "holidays: not synced (holidays.sync: false)"


@pytest.mark.parametrize("today", [TODAY, date(2028, 2, 29), date(2027, 3, 1), date(2026, 1, 1)])
def test_the_horizon_is_the_last_day_the_personio_client_asks_for(today):
    """The spec (a lower layer) counts Personio's three years as systems/personio/holidays.py does."""
    assert HOLIDAY_YEARS_AHEAD == YEARS_AHEAD
    assert bounds(today, date(2100, 1, 1), today) == (today, holiday_horizon(today))
