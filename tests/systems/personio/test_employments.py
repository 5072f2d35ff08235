"""Personio's employments (`GET /v2/persons/{id}/employments`) and departments (`GET /v2/org-units`) on mocked
HTTP: one request per person with `limit` 50 and the cursor after it, a person deleted meanwhile (404) with none,
the hours as a number or a numeric string, the termination date in either place, a sparse employment saying so
in `fields`, and an employment that cannot be read named with its endpoint, record and field."""

from __future__ import annotations

import re
from datetime import date
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from aioresponses import CallbackResult

from reconciler.errors import UnexpectedResponse
from reconciler.records import PersonioEmployment
from tests.systems.helpers import PERSONIO, run_with_clients

EMPLOYMENTS = re.compile(rf"{PERSONIO}/v2/persons/[^/]+/employments.*")
ORG_UNITS = re.compile(rf"{PERSONIO}/v2/org-units.*")
LAST = {"_meta": {"links": {}}}


def employment(ident: str, person: str, **fields: Any) -> dict[str, Any]:
    return {"id": ident, "person": {"id": person}, "status": "ACTIVE", **fields}


def full(ident: str, person: str, **fields: Any) -> dict[str, Any]:
    return employment(ident, person, **{"start_date": "2026-12-01", "termination_date": None,
                                        "weekly_working_hours": 40,
                                        "org_units": [{"id": "77", "type": "department"}, {"id": "88", "type": "team"}],
                                        **fields})


def read(person_ids: Any, answer: Any) -> tuple[list[PersonioEmployment], list[str]]:
    """The employments read, and the URL of every request to an employments list, in order. `answer(url)` gives
    a body, or an int for a status without one."""
    seen: list[str] = []

    def callback(url: Any, **kwargs: Any) -> CallbackResult:
        seen.append(str(url))
        body = answer(str(url))
        if isinstance(body, int):
            return CallbackResult(status=body, payload={"errors": [{"title": "Not found"}]})
        return CallbackResult(payload=body)

    found = run_with_clients(lambda c, m: c.personio.employments(person_ids),
                             mock=lambda m: m.get(EMPLOYMENTS, callback=callback, repeat=True))
    return found, seen


def person_of(url: str) -> str:
    return urlsplit(url).path.split("/")[3]


def query(url: str) -> dict[str, list[str]]:
    return parse_qs(urlsplit(url).query)


def test_one_request_per_person_with_limit_50_and_the_cursor_after_it():
    def answer(url: str) -> dict[str, Any]:
        person = person_of(url)
        if person == "7" and "cursor=" not in url:
            return {"_data": [full("e7b", "7")],
                    "_meta": {"links": {"next": {"href": f"{PERSONIO}/v2/persons/7/employments?cursor=c2"}}}}
        return {"_data": [full(f"e{person}", person)], **LAST}

    found, seen = read(["7", "3", "7"], answer)
    assert sorted((person_of(url), tuple(sorted(query(url).items()))) for url in seen) == [
        ("3", (("limit", ["50"]),)), ("7", (("cursor", ["c2"]),)), ("7", (("limit", ["50"]),))]
    # Each person's list in Personio's order (most recent first), persons by id.
    assert [(e.person_id, e.id) for e in found] == [("3", "e3"), ("7", "e7b"), ("7", "e7")]


def test_nobody_asked_for_sends_nothing():
    found, seen = read([], lambda url: {"_data": [], **LAST})
    assert found == [] and seen == []


def test_a_person_deleted_meanwhile_has_none():
    found, seen = read(["1", "2"], lambda url: 404 if person_of(url) == "1" else {"_data": [full("e2", "2")], **LAST})
    assert [e.id for e in found] == ["e2"] and len(seen) == 2


def test_an_employment_read_whole():
    found, _ = read(["3"], lambda url: {"_data": [full("e3", "3", termination_date="2027-03-31")], **LAST})
    assert found == [PersonioEmployment(id="e3", person_id="3", start=date(2026, 12, 1), end=date(2027, 3, 31),
                                        weekly_hours=40.0, department_id="77",
                                        fields=frozenset({"start_date", "termination_date", "weekly_working_hours",
                                                          "department"}))]


@pytest.mark.parametrize(("given", "read_as"), [
    (40, 40.0), ("40", 40.0), (" 37.5 ", 37.5), (32.5, 32.5), (0, 0.0), ("forty", None), (None, None), (True, None),
    (-1, None), ({"value": 40}, None),
])
def test_weekly_hours_a_number_or_a_numeric_string_else_none(given, read_as):
    found, _ = read(["3"], lambda url: {"_data": [employment("e3", "3", weekly_working_hours=given)], **LAST})
    assert found[0].weekly_hours == read_as
    assert "weekly_working_hours" in found[0].fields


@pytest.mark.parametrize("fields", [
    {"termination_date": "2027-01-31"},
    {"termination": {"termination_date": "2027-01-31", "last_working_date": "2027-01-28", "terminated_at": None,
                     "type": "QUIT"}},
    {"termination": {"termination_date": "2027-01-31T00:00:00"}},
    {"termination": {"date": "2027-01-31"}},
    {"termination_date": None, "termination": {"termination_date": "2027-01-31"}},
], ids=["top-level", "in-the-object", "date-time", "date", "null-then-object"])
def test_the_termination_date_from_either_place(fields):
    found, _ = read(["3"], lambda url: {"_data": [employment("e3", "3", **fields)], **LAST})
    assert found[0].end == date(2027, 1, 31) and "termination_date" in found[0].fields


def test_no_termination_reads_as_none_and_a_null_one_as_readable_but_unset():
    found, _ = read(["3", "4"], lambda url: {
        "_data": [employment("e3", "3", termination=None) if person_of(url) == "3" else employment("e4", "4")],
        **LAST})
    assert [(e.end, "termination_date" in e.fields) for e in found] == [(None, False), (None, False)]
    found, _ = read(["3"], lambda url: {"_data": [employment("e3", "3", termination={"termination_date": None})],
                                        **LAST})
    assert found[0].end is None and "termination_date" in found[0].fields


def test_when_the_termination_was_entered_is_never_taken_for_the_last_day():
    """`terminated_at` may be the moment the termination was entered, weeks before the last day: not read."""
    found, _ = read(["3"], lambda url: {"_data": [employment("e3", "3", termination={"terminated_at": "2026-11-02"})],
                                        **LAST})
    assert found[0].end is None and "termination_date" not in found[0].fields


@pytest.mark.parametrize(("fields", "department"), [
    ({"org_units": [{"id": "88", "type": "team"}, {"id": 77, "type": "DEPARTMENT"}]}, "77"),
    ({"org_units": [{"id": "88", "type": "team"}]}, None),
    ({"org_units": "77"}, None),
    ({"department": {"id": "55"}}, "55"),
    ({"org_units": [], "department": {"id": "55"}}, "55"),
    ({"org_units": [{"type": "department"}]}, None),
])
def test_the_department_from_the_org_units_or_a_department_object(fields, department):
    found, _ = read(["3"], lambda url: {"_data": [employment("e3", "3", **fields)], **LAST})
    assert found[0].department_id == department and "department" in found[0].fields


def test_a_sparse_employment_says_nothing_came():
    """Only id, person and status: a credential that may not read the employment's attributes."""
    found, _ = read(["3"], lambda url: {"_data": [employment("e3", "3")], **LAST})
    assert found == [PersonioEmployment(id="e3", person_id="3", start=None, end=None, weekly_hours=None,
                                        department_id=None, fields=frozenset())]


@pytest.mark.parametrize(("fields", "said"), [
    ({"id": None}, "cannot read an employment from GET /v2/persons/3/employments?limit=50: id is null, expected an "
                   "id (a string)"),
    ({"person": None}, "cannot read employment e3 from GET /v2/persons/3/employments?limit=50: person is null, "
                       "expected an object"),
    ({"start_date": "01.12.2026"}, "cannot read employment e3 from GET /v2/persons/3/employments?limit=50: "
                                   'start_date is a string ("01.12.2026"), expected a date (YYYY-MM-DD)'),
    ({"termination_date": 20270131}, "termination_date is a number (20270131), expected a date (YYYY-MM-DD)"),
    ({"termination": {"termination_date": "soon"}}, 'termination.termination_date is a string ("soon"), expected '
                                                    'a date'),
    ({"termination": "2027-01-31"}, "termination is a string (\"2027-01-31\"), expected an object"),
])
def test_an_employment_that_cannot_be_read_names_endpoint_record_and_field(fields, said):
    with pytest.raises(UnexpectedResponse) as raised:
        read(["3"], lambda url: {"_data": [{**employment("e3", "3"), **fields}], **LAST})
    assert said in str(raised.value)


def test_departments_are_listed_by_type_with_their_names():
    seen: list[str] = []

    def callback(url: Any, **kwargs: Any) -> CallbackResult:
        seen.append(str(url))
        if "cursor=" in str(url):
            return CallbackResult(payload={"_data": [{"id": 2, "name": "Sales ", "type": "department"}], **LAST})
        return CallbackResult(payload={"_data": [{"id": "1", "name": "Engineering", "type": "department"}],
                                       "_meta": {"links": {"next": {"href": f"{PERSONIO}/v2/org-units?cursor=n"}}}})

    found = run_with_clients(lambda c, m: c.personio.departments(),
                             mock=lambda m: m.get(ORG_UNITS, callback=callback, repeat=True))
    assert found == {"1": "Engineering", "2": "Sales"}
    assert query(seen[0]) == {"type": ["DEPARTMENT"], "limit": ["50"]} and query(seen[1]) == {"cursor": ["n"]}


def test_a_department_without_a_name_is_named_in_the_error():
    with pytest.raises(UnexpectedResponse, match=r"cannot read org unit 1 from GET /v2/org-units\?type=DEPARTMENT"
                                                 r"&limit=50: name is missing, expected a string"):
        run_with_clients(lambda c, m: c.personio.departments(),
                         mock=lambda m: m.get(ORG_UNITS, payload={"_data": [{"id": "1"}], **LAST}))
