"""Personio's holidays (`GET /v2/holidays`) on mocked HTTP: the filters of a chunk's first request and the cursor
after it, person ids 50 to a request, the days bounded to what Personio takes, entries read into `Holiday`s, and
an entry that cannot be read named with its endpoint and field."""

from __future__ import annotations

import re
from datetime import date
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from aioresponses import CallbackResult

from reconciler.errors import UnexpectedResponse
from reconciler.records import Holiday
from reconciler.systems.personio.holidays import bounds
from tests.systems.helpers import PERSONIO, calls, run_with_clients

TODAY = date(2026, 11, 25)
HOLIDAYS = re.compile(rf"{PERSONIO}/v2/holidays.*")


def entry(ident: str, person: str, day: str, **fields: Any) -> dict[str, Any]:
    return {"id": ident, "person": {"id": person}, "date": day, "name": "Neujahr", "half_day": False,
            "type": "PUBLIC_HOLIDAY", **fields}


def read(person_ids: Any, start: date, end: date, pages: Any = None) -> tuple[list[Holiday], list[str]]:
    """The holidays read, and the URL of every request to /v2/holidays in order. `pages(url)` answers each
    (default: an empty last page)."""
    seen: list[str] = []

    def answer(url: Any, **kwargs: Any) -> CallbackResult:
        seen.append(str(url))
        body = pages(str(url)) if pages else {"_data": [], "_meta": {"links": {}}}
        return CallbackResult(payload=body)

    found = run_with_clients(lambda c, m: c.personio.holidays(person_ids, start, end, today=TODAY),
                             mock=lambda m: m.get(HOLIDAYS, callback=answer, repeat=True))
    return found, seen


def query(url: str) -> dict[str, list[str]]:
    return parse_qs(urlsplit(url).query)


def test_the_first_request_carries_all_three_filters_and_the_next_only_the_cursor():
    def pages(url: str) -> dict[str, Any]:
        if "cursor=" in url:
            return {"_data": [entry("h2", "7", "2026-12-26")], "_meta": {"links": {}}}
        return {"_data": [entry("h1", "3", "2026-12-25")],
                "_meta": {"links": {"next": {"href": f"{PERSONIO}/v2/holidays?cursor=c2"}}}}

    found, seen = read(["7", "3"], date(2026, 12, 1), date(2026, 12, 31), pages)
    first, second = seen
    assert query(first) == {"person.id": ["3,7"], "date.gte": ["2026-12-01"], "date.lte": ["2026-12-31"],
                            "limit": ["50"]}
    assert query(second) == {"cursor": ["c2"]}
    assert [(h.id, h.person_id, h.day) for h in found] == [("h1", "3", date(2026, 12, 25)),
                                                           ("h2", "7", date(2026, 12, 26))]


def test_person_ids_go_fifty_to_a_request():
    ids = [str(n) for n in range(1, 121)]
    _, seen = read(ids, date(2026, 12, 1), date(2026, 12, 31))
    chunks = [query(url)["person.id"][0].split(",") for url in seen]
    assert sorted(map(len, chunks)) == [20, 50, 50]
    assert sorted(n for chunk in chunks for n in chunk) == sorted(ids)
    assert all(query(url)["date.gte"] == ["2026-12-01"] and query(url)["date.lte"] == ["2026-12-31"]
               for url in seen)


def test_the_days_asked_for_are_bounded_to_ten_years_back_and_three_ahead():
    _, [url] = read(["1"], date(1990, 1, 1), date(2099, 12, 31))
    assert query(url)["date.gte"] == ["2016-11-25"] and query(url)["date.lte"] == ["2029-11-25"]


@pytest.mark.parametrize(("start", "end"), [
    pytest.param(date(1990, 1, 1), date(2016, 11, 24), id="all-before-the-range"),
    pytest.param(date(2029, 11, 26), date(2035, 1, 1), id="all-after-the-range"),
    pytest.param(date(2026, 12, 31), date(2026, 12, 1), id="start-after-end"),
])
def test_no_day_left_in_the_range_sends_nothing(start, end):
    assert read(["1"], start, end) == ([], [])


def test_a_29_february_today_bounds_inside_the_range():
    assert bounds(date(2000, 1, 1), date(2100, 1, 1), date(2028, 2, 29)) == (date(2018, 3, 1), date(2031, 2, 28))


def test_nobody_asked_for_sends_nothing():
    found = run_with_clients(
        lambda c, m: _with_calls(c.personio.holidays([], date(2026, 1, 1), date(2026, 12, 31), today=TODAY), m),
        mock=lambda m: m.get(HOLIDAYS, payload={"_data": [], "_meta": {"links": {}}}, repeat=True))
    assert found == ([], 0)


async def _with_calls(reading: Any, mocked: Any) -> tuple[list[Holiday], int]:
    result = await reading
    return result, calls(mocked, "GET", f"{PERSONIO}/v2/holidays")


def test_entries_read_full_and_half_days_of_both_kinds_and_only_what_was_asked():
    rows = [entry("h1", "3", "2026-12-24", name="Heiligabend", half_day=True, type="COMPANY_HOLIDAY"),
            entry("h2", "3", "2026-12-25", name="1. Weihnachtstag"),
            entry("h3", "9", "2026-12-25"),  # a person not asked for: a filter Personio ignored
            entry("h4", "3", "2027-01-01")]  # a day not asked for
    found, _ = read(["3"], date(2026, 12, 1), date(2026, 12, 31), lambda url: {"_data": rows, "_meta": {}})
    assert found == [Holiday(id="h1", person_id="3", day=date(2026, 12, 24), name="Heiligabend", half_day=True,
                             kind="company"),
                     Holiday(id="h2", person_id="3", day=date(2026, 12, 25), name="1. Weihnachtstag", half_day=False,
                             kind="public")]


ENDPOINT = "GET /v2/holidays?date.lte=2026-12-31&limit=50&date.gte=2026-12-01&person.id=3"


@pytest.mark.parametrize(("fields", "said"), [
    pytest.param({"half_day": "yes"}, 'half_day is a string ("yes"), expected true or false', id="half-day-a-string"),
    pytest.param({"half_day": None}, "half_day is null, expected true or false", id="half-day-null"),
    pytest.param({"date": "25.12.2026"}, 'date is a string ("25.12.2026"), expected a date (YYYY-MM-DD)',
                 id="date-not-iso"),
    pytest.param({"person": "3"}, 'person is a string ("3"), expected an object', id="person-not-an-object"),
    pytest.param({"name": 7}, "name is a number (7), expected a string", id="name-a-number"),
    pytest.param({"type": "BANK_HOLIDAY"}, 'type is a string ("BANK_HOLIDAY"), expected PUBLIC_HOLIDAY or '
                                           "COMPANY_HOLIDAY", id="type-unknown"),
])
def test_an_entry_that_cannot_be_read_names_endpoint_entry_and_field(fields, said):
    rows = [{**entry("h1", "3", "2026-12-25"), **fields}]
    with pytest.raises(UnexpectedResponse) as caught:
        read(["3"], date(2026, 12, 1), date(2026, 12, 31), lambda url: {"_data": rows, "_meta": {}})
    assert str(caught.value) == f"Personio: cannot read holiday h1 from {ENDPOINT}: {said}"


def test_a_missing_field_is_an_error_not_a_default():
    row = entry("h1", "3", "2026-12-25")
    del row["half_day"]
    with pytest.raises(UnexpectedResponse) as caught:
        read(["3"], date(2026, 12, 1), date(2026, 12, 31), lambda url: {"_data": [row], "_meta": {}})
    assert str(caught.value) == f"Personio: cannot read holiday h1 from {ENDPOINT}: half_day is missing, expected " \
                                "true or false"
