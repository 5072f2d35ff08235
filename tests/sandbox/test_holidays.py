"""The Personio stand-in's `GET /v2/holidays` (personio.md §13.2): public and company holidays per person, from
the calendars of their office and of the company."""

from __future__ import annotations

import hashlib
import json
import urllib.parse
from datetime import date

import pytest

from reconciler.sandbox.personio.calendars import BERLIN, MUNICH, easter_sunday, holidays_in
from reconciler.sandbox.seed import SeedParams, generate_world
from tests.conftest import TODAY, side_door

PATH = "/v2/holidays"

from tests.sandbox.test_personio_contract import walk


def query(**params: str) -> str:
    return PATH + "?" + urllib.parse.urlencode({k.replace("_", "."): v for k, v in params.items()})


def ask(personio, person_ids, gte="2026-01-01", lte="2026-12-31", **more):
    return personio("GET", query(person_id=",".join(person_ids), date_gte=gte, date_lte=lte, **more))


def office_person(sandbox, office):
    return next(p.id for p in sandbox.world.personio.persons.values() if p.office == office)


def days(answer) -> dict[str, dict]:
    return {entry["date"]: entry for entry in answer.json()["_data"]}


def error_detail(answer) -> str:
    return answer.json()["errors"][0]["detail"]


# ----------------------------------------------------------------------------- filters


@pytest.mark.parametrize("left_out", ["person_id", "date_gte", "date_lte"])
def test_each_filter_is_required_on_the_first_request(personio, sandbox, left_out):
    params = {"person_id": office_person(sandbox, BERLIN), "date_gte": "2026-01-01", "date_lte": "2026-12-31"}
    del params[left_out]
    answer = personio("GET", query(**params))
    assert answer.status == 400
    assert answer.header("Content-Type").startswith("application/problem+json")
    assert left_out.replace("_", ".") in error_detail(answer)


def test_the_range_reaches_at_most_ten_years_back_and_three_ahead(personio, sandbox):
    """The sandbox's today is 2026-11-25."""
    person = [office_person(sandbox, BERLIN)]
    assert ask(personio, person, gte="2016-11-25", lte="2016-12-31").status == 200
    too_early = ask(personio, person, gte="2016-11-24", lte="2016-12-31")
    assert too_early.status == 400 and "date.gte" in error_detail(too_early)
    assert ask(personio, person, gte="2029-01-01", lte="2029-11-25").status == 200
    too_late = ask(personio, person, gte="2029-01-01", lte="2029-11-26")
    assert too_late.status == 400 and "date.lte" in error_detail(too_late)
    for gte, lte, name in (("2026-1-1", "2026-12-31", "date.gte"), ("2026-01-01", "2026-12-31T00:00:00", "date.lte")):
        malformed = ask(personio, person, gte=gte, lte=lte)
        assert malformed.status == 400 and name in error_detail(malformed)


def test_at_most_fifty_person_ids(personio, sandbox):
    known = list(sandbox.world.personio.persons)
    fifty = known + [str(9_000_000 + n) for n in range(50 - len(known))]  # ids of nobody give no entries
    assert ask(personio, fifty).status == 200
    answer = ask(personio, [*fifty, "9999999"])
    assert answer.status == 400 and "person.id" in error_detail(answer)


def test_needs_the_absences_read_scope(personio, sandbox):
    sandbox.world.personio.withheld_scopes.add("personio:absences:read")
    assert ask(personio, [office_person(sandbox, BERLIN)]).status == 403


# ----------------------------------------------------------------------------- order and pages


def test_sorted_by_person_then_date_and_every_entry_on_exactly_one_page(personio, sandbox):
    persons = list(sandbox.world.personio.persons)
    whole = query(person_id=",".join(persons), date_gte="2025-01-01", date_lte="2026-12-31")
    items, pages = walk(personio, whole + "&limit=30")
    assert pages == -(-len(items) // 30) and pages > 1
    second = personio("GET", whole + "&limit=30").json()["_meta"]["links"]["next"]["href"]
    assert list(urllib.parse.parse_qs(urllib.parse.urlsplit(second).query)) == ["cursor"]  # as every v2 list
    keys = [(int(e["person"]["id"]), e["date"]) for e in items]
    assert keys == sorted(keys) and len(set(keys)) == len(keys)  # one entry per person and date
    assert {e["person"]["id"] for e in items} == set(persons)
    assert len({e["id"] for e in items}) == len(items)
    again, _ = walk(personio, whole)  # ids stay the same from one request to the next
    assert again == items
    assert personio("GET", whole + "&limit=101").status == 400  # the limits of the other v2 lists


def test_an_entry_has_the_agreed_fields(personio, sandbox):
    entry = ask(personio, [office_person(sandbox, BERLIN)]).json()["_data"][0]
    assert set(entry) == {"id", "person", "date", "name", "half_day", "type"}
    assert entry["type"] in ("PUBLIC_HOLIDAY", "COMPANY_HOLIDAY") and isinstance(entry["half_day"], bool)


# ----------------------------------------------------------------------------- calendars


def test_the_two_offices_have_their_own_public_holidays(personio, sandbox):
    berlin = days(ask(personio, [office_person(sandbox, BERLIN)]))
    munich = days(ask(personio, [office_person(sandbox, MUNICH)]))
    assert "2026-03-08" in berlin and "2026-03-08" not in munich  # Frauentag
    for only_bavarian in ("2026-01-06", "2026-06-04", "2026-08-15", "2026-11-01"):  # Fronleichnam: Easter + 60
        assert only_bavarian in munich and only_bavarian not in berlin
    # Easter 2026 is 5 April: Good Friday, Easter Monday, Ascension and Whit Monday in both
    for both in ("2026-01-01", "2026-04-03", "2026-04-06", "2026-05-01", "2026-05-14", "2026-05-25",
                 "2026-10-03", "2026-12-25", "2026-12-26"):
        assert berlin[both]["type"] == munich[both]["type"] == "PUBLIC_HOLIDAY"
        assert not berlin[both]["half_day"] and not munich[both]["half_day"]


def test_the_company_gives_both_offices_half_days_on_24_and_31_december(personio, sandbox):
    for office in (BERLIN, MUNICH):
        entries = days(ask(personio, [office_person(sandbox, office)]))
        for day in ("2026-12-24", "2026-12-31"):
            assert entries[day]["half_day"] is True and entries[day]["type"] == "COMPANY_HOLIDAY"


def test_easter_and_the_calendars_cover_every_year_of_the_window():
    assert [easter_sunday(y) for y in (2016, 2019, 2024, 2025, 2026, 2038)] == [
        date(2016, 3, 27), date(2019, 4, 21), date(2024, 3, 31), date(2025, 4, 20), date(2026, 4, 5),
        date(2038, 4, 25)]
    for year in range(TODAY.year - 10, TODAY.year + 4):
        berlin = {h.day for h in holidays_in("berlin", year)}
        bavaria = {h.day for h in holidays_in("bavaria", year)}
        assert easter_sunday(year) not in berlin  # Sunday itself is no listed holiday
        assert {d for d in berlin if d.month in (3, 4, 5, 6)} - bavaria <= {date(year, 3, 8), date(year, 5, 8)}
        assert len(holidays_in("company", year)) == 2


def test_offices_are_seeded_by_position_and_alternate(sandbox):
    offices = [p.office for p in sandbox.world.personio.persons.values()]
    assert offices == [BERLIN if i % 2 == 0 else MUNICH for i in range(len(offices))]


# ----------------------------------------------------------------------------- side door


def test_removing_a_holiday_from_a_calendar_and_moving_a_person_change_the_answer(personio, sandbox):
    person = office_person(sandbox, BERLIN)
    assert side_door(sandbox, "PATCH", "/records/personio/holiday-calendars/berlin",
                     json_body={"removed": ["2026-10-03"]}).status == 200
    berlin = days(ask(personio, [person]))
    assert "2026-10-03" not in berlin and "2026-12-25" in berlin
    assert "2026-10-03" in days(ask(personio, [office_person(sandbox, MUNICH)]))  # Bavaria's calendar keeps it

    moved = side_door(sandbox, "PATCH", f"/records/personio/persons/{person}", json_body={"office": MUNICH})
    assert moved.status == 200 and moved.json()["office"] == MUNICH
    munich = days(ask(personio, [person]))
    assert "2026-01-06" in munich and "2026-03-08" not in munich and "2026-10-03" in munich
    assert munich["2026-12-24"]["type"] == "COMPANY_HOLIDAY"


# ----------------------------------------------------------------------------- existing seeds


def seeded_digest(params: SeedParams) -> tuple[dict[str, int], str]:
    """Counts and a digest of every seeded record, less what holidays added (persons' `office`, the calendars),
    what people added (MOCO users' `tags`, `unit_id`, `welcome_email`, the units; persons' employments, the org
    units) and the timestamps that follow the clock."""
    dump = generate_world(params).dump()
    added = ("office", "tags", "unit_id", "welcome_email", "hire_date", "termination_date", "weekly_hours",
             "department_id")
    rows = {service: {name: [{k: v for k, v in row.items() if not k.endswith("_at") and k not in added}
                             for row in records]
                      for name, records in collections.items()
                      if name not in ("holiday_calendars", "units", "org_units")}
            for service, collections in dump.items()}
    counts = {f"{service}.{name}": len(records) for service, collections in rows.items()
              for name, records in collections.items()}
    return counts, hashlib.sha256(json.dumps(rows, sort_keys=True, default=str).encode()).hexdigest()


def test_holidays_leave_every_existing_seeded_record_as_it_was():
    """The values were taken before offices and calendars came into the world."""
    counts, digest = seeded_digest(SeedParams(seed=1, people=12, today=TODAY))
    assert counts == {"moco.users": 15, "moco.employments": 16, "moco.schedules": 52, "moco.presences": 748,
                      "personio.persons": 14, "personio.absence_types": 6, "personio.absence_periods": 42,
                      "personio.attendance_periods": 5}
    assert digest == "8a0d63f82aa32d549a670648514fe330716fbdae0a93e01c3587522ab3429f0d"
    year = SeedParams(seed=2, people=40, today=TODAY, history_days=365, absence_days_per_year=30,
                      duration_only_days=3)
    assert seeded_digest(year)[1] == "b2caba376cddd3157aa351a0a71bcd9cc8488de6218b7733dbcfeddbd4dc5563"
