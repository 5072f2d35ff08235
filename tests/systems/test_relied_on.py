"""Fields reconcile relies on (issue 19): missing from every record of a list, the read stops, naming the
endpoint and the field, before anything is written; missing from some records, the read goes on as it
always did. MOCO's employments are read with and without `to` and merged by id; Personio's person statuses
beyond ACTIVE and INACTIVE."""

from __future__ import annotations

import asyncio
import copy
import re
from datetime import date
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from aioresponses import CallbackResult, aioresponses

from reconciler.errors import UnexpectedResponse
from reconciler.systems.http import Source, relied_on
from reconciler.systems.moco import MocoClient
from reconciler.systems.moco.client import EMPLOYMENTS_TO
from reconciler.systems.personio import PersonioClient
from tests.conftest import sample
from tests.systems.helpers import BASE, MOCO, PERSONIO, canned, paged, run_with_clients

WINDOW = (date(2026, 6, 1), date(2026, 12, 31))
PERIODS = sample("personio-v2-absence-periods-list.json")["body"]["_data"]
EMPLOYMENT = sample("moco-employments-list.json")["body"][0]
USERS = sample("moco-users-list.json")["body"]
PRESENCES = sample("moco-presences-list.json")["body"]
PERSON = sample("personio-v2-persons-list.json")["body"]["_data"][0]


def without(row: dict[str, Any], *names: str) -> dict[str, Any]:
    return {key: value for key, value in copy.deepcopy(row).items() if key not in names}


def personio_page(rows: list[dict[str, Any]]) -> dict[str, Any]:
    return {"_data": rows, "_meta": {"links": {}}}


def absence_periods(rows: list[dict[str, Any]], persons: Any = None) -> Any:
    def mock(m: aioresponses) -> None:
        m.get(re.compile(rf"{PERSONIO}/v2/absence-periods.*"), payload=personio_page(rows), repeat=True)

    return run_with_clients(lambda c, m: c.personio.absence_periods(*WINDOW, persons), mock=mock)


def moco_list(path: str, rows: list[dict[str, Any]], read: Any) -> Any:
    return run_with_clients(lambda c, m: read(c.moco),
                            mock=lambda m: m.get(re.compile(rf"{MOCO}{path}.*"), **paged(rows), repeat=True))


# ----------------------------------------------------------------------------- the helper


def test_the_helper_stops_only_a_list_none_of_whose_records_carries_the_field():
    source = Source("Acme", "GET /v1/things?page=2")

    def check(records: list[str]) -> None:
        relied_on(source, records, "colour", bool, kind="thing", purpose="to paint them")

    check([])  # nothing read: nothing to miss
    check(["", "red", ""])  # some carry it: the client reads the others as it always has
    with pytest.raises(UnexpectedResponse) as caught:
        check(["", ""])
    assert str(caught.value).startswith("Acme: GET /v1/things: no thing carries colour (2 read); reconcile relies "
                                        "on it to paint them, so the run stops before writing anything.")


# ----------------------------------------------------------------------------- Personio absence periods


@pytest.mark.parametrize("persons", [None, {"p1"}], ids=["everyone", "some-people"])
@pytest.mark.parametrize("gone", [("approval",), ("approval.status",), ("approval-null",)])
def test_absence_periods_none_of_which_carries_an_approval_status_stop_the_read(persons, gone):
    """Without it every period reads as not approved, and every synced MOCO absence would be planned away."""
    def strip(row: dict[str, Any]) -> dict[str, Any]:
        if gone == ("approval",):
            return without(row, "approval")
        if gone == ("approval-null",):
            return {**row, "approval": None}
        return {**row, "approval": {}}

    with pytest.raises(UnexpectedResponse) as caught:
        absence_periods([strip(row) for row in PERIODS], persons)
    message = str(caught.value)
    assert message.startswith(f"Personio: GET /v2/absence-periods: no absence period carries approval.status "
                              f"({len(PERIODS)} read); reconcile relies on it to tell approved absences from pending "
                              "and rejected ones")
    assert "?" not in message.split(":")[1]  # the endpoint without its query


def test_absence_periods_some_of_which_lack_an_approval_status_are_read_as_before():
    periods = absence_periods([without(PERIODS[0], "approval"), *PERIODS[1:]])
    assert {p.id: p.status for p in periods}[PERIODS[0]["id"]] == ""  # not approved, as it always read
    assert {p.status for p in periods if p.id != PERIODS[0]["id"]} == {"APPROVED"}


def test_no_absence_period_at_all_is_no_refusal():
    assert absence_periods([]) == []


# ----------------------------------------------------------------------------- MOCO employments, users, presences


def test_employments_none_of_which_carries_a_pattern_stop_the_read():
    rows = [without(EMPLOYMENT, "pattern"), {**without(EMPLOYMENT, "pattern"), "id": 2}]
    with pytest.raises(UnexpectedResponse) as caught:
        moco_list("/users/employments", rows, lambda moco: moco.employments())
    assert str(caught.value).startswith("MOCO: GET /api/v1/users/employments: no employment carries pattern (2 "
                                        "read); reconcile relies on it to tell a person's working days")


def test_employments_of_some_people_none_of_which_carries_a_pattern_stop_the_read_too():
    row = {**without(EMPLOYMENT, "pattern"), "user": {"id": 7}}
    with pytest.raises(UnexpectedResponse, match="no employment carries pattern"):
        moco_list("/users/employments", [row], lambda moco: moco.employments({7}))


def test_an_employment_without_a_pattern_beside_others_reads_as_before():
    employments = moco_list("/users/employments", [without(EMPLOYMENT, "pattern"), {**EMPLOYMENT, "id": 2}],
                            lambda moco: moco.employments())
    assert sorted((e.id, e.am) for e in employments) == [(2, (4.0,) * 5), (EMPLOYMENT["id"], ())]


def test_users_none_of_whom_carries_an_email_stop_the_read_but_some_without_are_read():
    with pytest.raises(UnexpectedResponse) as caught:
        moco_list("/users", [without(user, "email") for user in USERS], lambda moco: moco.users())
    assert str(caught.value).startswith(f"MOCO: GET /api/v1/users: no user carries email ({len(USERS)} read); "
                                        "reconcile relies on it to match people with Personio's")
    users = moco_list("/users", [without(USERS[0], "email"), *USERS[1:]], lambda moco: moco.users())
    assert [u.email for u in users][0] == "" and all(u.email for u in users[1:])


@pytest.mark.parametrize("field", ["date", "from"])
def test_presences_without_a_date_or_a_start_stop_the_read_on_the_fast_path_too(field):
    """A presence of the common shape is read without a `Record` (`_presence_fast`); one missing either field
    is not, and its reader names the field and the endpoint: the field is never taken for a null."""
    rows = [without(row, field) for row in PRESENCES]
    with pytest.raises(UnexpectedResponse) as caught:
        moco_list("/users/presences", rows, lambda moco: moco.presences(date(2020, 1, 1), date(2020, 12, 31)))
    message = str(caught.value)
    assert "GET /api/v1/users/presences" in message and f": {field} is missing" in message


def test_personio_persons_without_email_are_still_a_warning_not_a_refusal():
    """The sparse credential (persons with an id only) keeps its warning in the matching (sync/identity.py)."""
    sparse = sample("personio-v2-persons-list-sparse.json")["body"]
    persons = run_with_clients(lambda c, m: c.personio.persons(),
                               mock=lambda m: m.get(f"{PERSONIO}/v2/persons?limit=50", payload=sparse))
    assert [p.email for p in persons] == [None, None] and all(p.active for p in persons)


# ----------------------------------------------------------------------------- employments read both ways


def employment(ident: int, user: int, start: str | None, end: str | None, am: float = 4.0,
               updated: str = "2026-01-01T08:00:00Z") -> dict[str, Any]:
    return {**EMPLOYMENT, "id": ident, "user": {"id": user}, "from": start, "to": end, "updated_at": updated,
            "pattern": {"am": [am] * 5, "pm": [am] * 5}}


def read_both_ways(without_to: list[dict[str, Any]], with_to: list[dict[str, Any]], users: Any = None
                   ) -> tuple[list[Any], list[dict[str, list[str]]]]:
    asked: list[dict[str, list[str]]] = []

    def answer(url: Any, **kwargs: Any) -> CallbackResult:
        query = parse_qs(urlsplit(str(url)).query)
        asked.append(query)
        rows = with_to if "to" in query else without_to
        user = query.get("user_id", [None])[0]
        rows = [row for row in rows if user is None or str(row["user"]["id"]) == user]
        return CallbackResult(**paged(rows))

    employments = run_with_clients(
        lambda c, m: c.moco.employments(users),
        mock=lambda m: m.get(re.compile(rf"{MOCO}/users/employments.*"), callback=answer, repeat=True))
    return employments, asked


def test_employments_are_read_without_to_and_with_a_far_to_and_merged_by_id():
    """Under the docs' other reading a read without `to` lists only open-ended employments: the ended one
    comes from the read with `to`. Under a literal `to`, the open-ended one comes from the read without."""
    ended, current = employment(1, 7, "2020-01-01", "2026-05-31", am=2.0), employment(2, 7, "2026-06-01", None)
    employments, asked = read_both_ways([current], [ended])
    assert sorted((e.id, e.end) for e in employments) == [(1, date(2026, 5, 31)), (2, None)]
    assert sorted(sorted(q.items()) for q in asked) == sorted([
        sorted({"from": ["1970-01-01"], "per_page": ["100"], "page": ["1"]}.items()),
        sorted({"from": ["1970-01-01"], "to": [EMPLOYMENTS_TO], "per_page": ["100"], "page": ["1"]}.items())])
    both, _ = read_both_ways([ended, current], [ended, current])
    assert sorted(e.id for e in both) == [1, 2]  # listed by both reads: once


def test_an_employment_that_changed_between_the_two_reads_is_taken_at_its_latest():
    old = employment(1, 7, "2020-01-01", None, am=2.0, updated="2026-01-01T08:00:00Z")
    new = employment(1, 7, "2020-01-01", "2026-05-31", am=2.0, updated="2026-01-01T08:00:05Z")
    for first, second in ((old, new), (new, old)):
        (found,), _ = read_both_ways([first], [second])
        assert found.end == date(2026, 5, 31)


def test_an_employment_listed_differently_under_one_stamp_stops_the_read():
    one = employment(1, 7, "2020-01-01", None, am=2.0)
    other = employment(1, 7, "2020-01-01", None, am=3.0)
    said = f"listed employment 1 differently with and without to={EMPLOYMENTS_TO}"
    with pytest.raises(UnexpectedResponse, match=said):
        read_both_ways([one], [other])


def test_a_read_for_some_people_asks_both_ways_for_each():
    rows = [employment(1, 7, "2020-01-01", "2026-05-31"), employment(2, 7, "2026-06-01", None),
            employment(3, 8, None, None)]
    employments, asked = read_both_ways([r for r in rows if r["to"] is None], rows, users={7, 8})
    assert sorted(e.id for e in employments) == [1, 2, 3]
    assert sorted((q["user_id"][0], "to" in q) for q in asked) == [("7", False), ("7", True), ("8", False),
                                                                   ("8", True)]


def test_an_unreadable_employment_is_reported_from_the_read_without_to_first():
    row = {**EMPLOYMENT, "id": 333, "pattern": [1, 2]}
    client = MocoClient(canned("MOCO", BASE, [row]))
    with pytest.raises(UnexpectedResponse) as caught:
        asyncio.run(client.employments())
    assert "GET /api/v1/users/employments?from=1970-01-01: pattern is a list" in str(caught.value)


# ----------------------------------------------------------------------------- Personio person statuses


@pytest.mark.parametrize(("status", "active", "noted"), [
    ("ACTIVE", True, False), ("ONBOARDING", True, False), ("LEAVE", True, False), ("INACTIVE", False, False),
    ("UNSPECIFIED", True, True), (None, True, True), ("SOMETHING_NEW", True, True), ("", True, True),
])
def test_person_statuses(status, active, noted):
    """ACTIVE, ONBOARDING and LEAVE are employed, INACTIVE not; anything else is taken as employed, and the
    client's notices (the plan's warnings) say how many came so, naming nobody."""
    row = without(PERSON, "status") if status is None else {**PERSON, "status": status}
    client = PersonioClient(canned("Personio", PERSONIO, [row, {**row, "id": "2", "email": "b@x.example"}]))
    persons = asyncio.run(client.persons())
    assert [p.active for p in persons] == [active, active]
    if noted:
        assert client.notices == ["Personio GET /v2/persons: 2 persons come with status UNSPECIFIED, with none or "
                                  "with one reconcile does not know; taken as employed: their absences sync, and "
                                  "one without a MOCO user is named in these warnings"]
        assert "@" not in client.notices[0]
    else:
        assert client.notices == []
