"""MOCO: its paged lists, its error bodies, and the client on mocked HTTP (recorded payloads in,
domain records out)."""

from __future__ import annotations

import re
from datetime import date, time
from typing import Any
from urllib.parse import parse_qs

import aiohttp
import pytest
from aioresponses import CallbackResult, aioresponses

from reconciler.errors import PermissionDenied, Rejected, Unavailable, UnexpectedResponse
from reconciler.records import AbsenceKind
from reconciler.systems.http import read_error_body
from reconciler.systems.moco import link_pages, read_moco_error
from tests.conftest import sample
from tests.systems.helpers import BASE, MOCO, FakeTime, calls, make_service, paged, run, run_with_clients, users

# ----------------------------------------------------------------------------- pages


def page_headers(total: int, page: int, per_page: int = 100, lower: bool = False) -> dict[str, str]:
    headers = {"X-Total": str(total), "X-Page": str(page), "X-Per-Page": str(per_page)}
    return {k.lower(): v for k, v in headers.items()} if lower else headers


@pytest.mark.parametrize("total", [0, 1, 100, 101, 250])
def test_link_pages_fetches_every_record_once(total):
    fake = FakeTime()
    records = users(total)

    async def scenario() -> list:
        with aioresponses() as mocked:
            pages = max(1, -(-total // 100))
            for page in range(1, pages + 1):
                mocked.get(f"{BASE}/users?page={page}&per_page=100", payload=records[(page - 1) * 100: page * 100],
                           headers=page_headers(total, page))
            async with aiohttp.ClientSession() as session:
                result = await link_pages(make_service(session, fake), "/users")
            assert calls(mocked, "GET", f"{BASE}/users") == pages
            return result

    assert [r["id"] for r in run(scenario)] == [r["id"] for r in records]


def test_link_pages_reads_lower_case_headers():
    fake = FakeTime()

    async def scenario() -> list:
        with aioresponses() as mocked:
            mocked.get(f"{BASE}/users?page=1&per_page=100", payload=users(100), headers=page_headers(150, 1, lower=True))
            mocked.get(f"{BASE}/users?page=2&per_page=100", payload=users(50, 101),
                       headers=page_headers(150, 2, lower=True))
            async with aiohttp.ClientSession() as session:
                return await link_pages(make_service(session, fake), "/users")

    assert len(run(scenario)) == 150


def test_link_pages_follows_rel_next_when_the_total_is_unknown():
    """The recorded Link header lists rel="last" before rel="next"; next is found by rel, not place."""
    fake = FakeTime()
    recorded = sample("moco-pagination-link.json")["headers"]["Link"]
    assert recorded.index('rel="last"') < recorded.index('rel="next"')
    link_1 = (f'<{BASE}/users?page=3>; rel="last", <{BASE}/users?page=2&per_page=100>; rel="next"')
    link_2 = f'<{BASE}/users?page=1>; rel="first", <{BASE}/users?page=3&per_page=100>; rel="next"'

    async def scenario() -> list:
        with aioresponses() as mocked:
            mocked.get(f"{BASE}/users?page=1&per_page=100", payload=users(2), headers={"Link": link_1})
            mocked.get(f"{BASE}/users?page=2&per_page=100", payload=users(2, 3), headers={"Link": link_2})
            mocked.get(f"{BASE}/users?page=3&per_page=100", payload=users(1, 5))
            async with aiohttp.ClientSession() as session:
                return await link_pages(make_service(session, fake), "/users")

    assert [r["id"] for r in run(scenario)] == [1, 2, 3, 4, 5]


def test_link_pages_rereads_a_list_that_changed_while_being_read():
    fake = FakeTime()

    async def scenario() -> list:
        with aioresponses() as mocked:
            # First read: a record was added between the two pages (X-Total moved from 101 to 102).
            mocked.get(f"{BASE}/users?page=1&per_page=100", payload=users(100), headers=page_headers(101, 1))
            mocked.get(f"{BASE}/users?page=2&per_page=100", payload=users(2, 100), headers=page_headers(102, 2))
            # Second read: consistent.
            mocked.get(f"{BASE}/users?page=1&per_page=100", payload=users(100), headers=page_headers(102, 1))
            mocked.get(f"{BASE}/users?page=2&per_page=100", payload=users(2, 101), headers=page_headers(102, 2))
            async with aiohttp.ClientSession() as session:
                return await link_pages(make_service(session, fake), "/users")

    result = run(scenario)
    assert [r["id"] for r in result] == list(range(1, 103))


def test_link_pages_reads_a_changing_list_once_more_then_stops():
    fake = FakeTime()

    async def scenario() -> None:
        with aioresponses() as mocked:
            for _ in range(2):
                mocked.get(f"{BASE}/users?page=1&per_page=100", payload=users(100), headers=page_headers(101, 1))
                mocked.get(f"{BASE}/users?page=2&per_page=100", payload=users(2, 101), headers=page_headers(102, 2))
            async with aiohttp.ClientSession() as session:
                try:
                    await link_pages(make_service(session, fake), "/users")
                finally:
                    assert calls(mocked, "GET", f"{BASE}/users") == 4  # two whole reads, no third

    with pytest.raises(Unavailable) as caught:
        run(scenario)
    assert str(caught.value) == ("MOCO: GET /api/v1/users kept changing while it was read (X-Total 101, then 102), "
                                 "also when read again; try again in a moment")


# ----------------------------------------------------------------------------- errors


@pytest.mark.parametrize(("body", "summary", "fields"), [
    pytest.param({"errors": ["Name can't be blank"]}, "Name can't be blank", {}, id="errors-list"),
    pytest.param({"errors": {"date": ["can't be blank"]}}, "date can't be blank", {"date": ("can't be blank",)},
                 id="errors-map"),
    pytest.param({"message": "Invalid payload"}, "Invalid payload", {}, id="message"),
    pytest.param({"from": ["range overlaps"]}, "from range overlaps", {"from": ("range overlaps",)}, id="bare-map"),
    pytest.param(sample("moco-error-422.json")["body"], "email ist bereits vergeben",
                 {"email": ("ist bereits vergeben",)}, id="recorded-german"),
    pytest.param(sample("moco-error-422-english.json")["body"], None, None, id="recorded-english"),
])
def test_every_moco_422_shape_becomes_rejected_with_fields(body, summary, fields):
    fake = FakeTime()

    async def scenario() -> None:
        with aioresponses() as mocked:
            mocked.post(f"{BASE}/schedules", status=422, payload=body)
            async with aiohttp.ClientSession() as session:
                await make_service(session, fake, error_reader=read_moco_error).request("POST", "/schedules", json={})

    with pytest.raises(Rejected) as caught:
        run(scenario)
    error = caught.value
    assert error.status == 422 and "POST /api/v1/schedules was refused (422)" in str(error)
    if summary is not None:
        assert str(error).endswith(summary) and error.fields == fields
    else:
        assert error.fields and all(error.fields.values())


def test_the_moco_reader_leaves_text_and_html_bodies_to_the_default_reader():
    text = sample("moco-error-500-employment-create.json")["body"]
    assert read_moco_error(text) == read_error_body(text) and read_moco_error(text).message
    assert read_moco_error("<html><body>502</body></html>") == ("", {}, None)
    assert read_moco_error({"errors": ["Name can't be blank", ""]}) == ("Name can't be blank", {}, None)
    assert read_moco_error({"base": ["Overlapping"], "date": "taken", "count": 3}) == (
        "Overlapping; date taken", {"base": ("Overlapping",), "date": ("taken",)}, None)
    assert read_moco_error({"trace_id": ["not", 1]}) == ("", {}, None)  # nothing readable, and no crash


def test_a_refused_write_keeps_the_fields_moco_named():
    refused = sample("moco-error-422.json")["body"]
    with pytest.raises(Rejected) as caught:
        run_with_clients(lambda c, m: c.moco.create_schedule(1, date(2026, 1, 5), AbsenceKind.HOLIDAY, am=True,
                                                             pm=True, comment=""),
                         mock=lambda m: m.post(f"{MOCO}/schedules", status=422, payload=refused))
    assert str(caught.value).endswith("was refused (422): email ist bereits vergeben")
    assert caught.value.fields == {"email": ("ist bereits vergeben",)}


# ----------------------------------------------------------------------------- the client


def test_users_from_recorded_payload_include_archived_and_lower_case_emails():
    recorded = sample("moco-users-list.json")["body"]

    async def body(clients, mocked) -> Any:
        users = await clients.moco.users()
        url = next(str(u) for m, u in mocked.requests if "users" in str(u))
        assert "include_archived=true" in url and "per_page=100" in url
        return users

    users = run_with_clients(body, mock=lambda m: m.get(re.compile(rf"{MOCO}/users\?.*"), **paged(recorded)))
    assert len(users) == len(recorded)
    assert all(u.email == u.email.lower() for u in users)


def test_sends_the_moco_token_header():
    seen = {}

    def answer(url: Any, **kwargs: Any) -> CallbackResult:
        seen.update(kwargs["headers"])
        return CallbackResult(payload=[], headers={"X-Total": "0"})

    run_with_clients(lambda c, m: c.moco.users(), mock=lambda m: m.get(re.compile(rf"{MOCO}/users.*"), callback=answer))
    assert seen["Authorization"] == "Token token=moco-SECRET"


def test_employments_keep_float_patterns_and_open_dates():
    rows = sample("moco-employments-list.json")["body"] + sample("moco-employments-list-from-null.json")["body"]
    employments = run_with_clients(lambda c, m: c.moco.employments(),
                                   mock=lambda m: m.get(re.compile(rf"{MOCO}/users/employments.*"), **paged(rows),
                                                                     repeat=True))
    assert len(employments) == len(rows)
    undated = [e for e in employments if e.start is None]
    assert undated and undated[0].end is None and undated[0].covers(date(1999, 1, 1))
    assert all(len(e.am) == 5 and isinstance(e.am[0], float) for e in employments)


def test_schedules_with_assignment_code_take_one_read():
    rows = [{**sample("moco-schedule-get.json")["body"], "id": i} for i in (1, 2)]
    for row in rows:
        row["assignment"] = {**row["assignment"], "code": "3"}

    async def body(clients, mocked) -> Any:
        result = await clients.moco.schedules(date(2026, 1, 1), date(2026, 12, 31))
        assert calls(mocked, "GET", f"{MOCO}/schedules") == 1
        return result

    absences = run_with_clients(body, mock=lambda m: m.get(re.compile(rf"{MOCO}/schedules\?.*"), **paged(rows)))
    assert {a.kind for a in absences} == {AbsenceKind.SICK_DAY}


def test_schedules_without_assignment_code_are_read_once_and_each_kind_probed():
    """Every recorded schedule lacks assignment.code; one schedule per kind (the absence_code filter, one
    per page) tells which assignment id is which kind, so the list itself is read once."""
    recorded = sample("moco-schedules-list.json")["body"][0]  # a sick half day, named "Krankheit"
    legacy = sample("moco-schedule-create-legacy-project.json")["body"]  # a pre-2020 project schedule

    def answer(url: Any, **kwargs: Any) -> CallbackResult:
        code = parse_qs(url.query_string).get("absence_code", [None])[0]
        rows = {None: [recorded, legacy], "3": [recorded]}.get(code, [])
        return CallbackResult(payload=rows, headers={"X-Total": str(len(rows))})

    async def body(clients, mocked) -> Any:
        result = await clients.moco.schedules(date(2019, 1, 1), date(2021, 12, 31))
        assert calls(mocked, "GET", f"{MOCO}/schedules") == 6  # the plain read, then a probe per kind
        return result

    absences = run_with_clients(body, mock=lambda m: m.get(re.compile(rf"{MOCO}/schedules\?.*"), callback=answer,
                                                           repeat=True))
    assert len(absences) == 1
    only = absences[0]
    assert (only.kind, only.am, only.pm, only.day) == (AbsenceKind.SICK_DAY, False, True, date(2020, 1, 1))


def test_an_ignored_absence_code_filter_is_detected_not_guessed_around():
    recorded = sample("moco-schedules-list.json")["body"]
    with pytest.raises(UnexpectedResponse, match="the filter seems ignored"):
        run_with_clients(lambda c, m: c.moco.schedules(date(2019, 1, 1), date(2021, 12, 31)),
                         mock=lambda m: m.get(re.compile(rf"{MOCO}/schedules\?.*"), repeat=True, **paged(recorded)))


def test_presences_parse_times_and_open_presences():
    rows = sample("moco-presences-list.json")["body"] + [sample("moco-presence-touch-open.json")["body"]]
    presences = run_with_clients(lambda c, m: c.moco.presences(date(2020, 1, 1), date(2022, 12, 31)),
                                 mock=lambda m: m.get(re.compile(rf"{MOCO}/users/presences.*"), **paged(rows)))
    assert presences[0].start == time(8, 30) and presences[0].end == time(10, 30)
    assert presences[-1].end is None


def test_create_schedule_sends_one_day_and_reads_the_200_answer():
    recorded = sample("moco-schedule-create.json")
    sent: dict[str, Any] = {}

    def answer(url: Any, **kwargs: Any) -> CallbackResult:
        sent.update(kwargs["json"])
        return CallbackResult(status=200, payload=recorded["body"])

    absence = run_with_clients(
        lambda c, m: c.moco.create_schedule(933638919, date(2018, 10, 1), AbsenceKind.HOLIDAY, am=True, pm=False,
                                            comment="[reconcile] x"),
        mock=lambda m: m.post(f"{MOCO}/schedules", callback=answer))
    assert sent == {"date": "2018-10-01", "absence_code": 4, "user_id": 933638919, "am": True, "pm": False,
                    "comment": "[reconcile] x"}
    assert absence.id == recorded["body"]["id"] and absence.kind is AbsenceKind.HOLIDAY


def test_am_false_with_pm_false_is_never_sent():
    with pytest.raises(ValueError, match="needs am or pm"):
        run_with_clients(lambda c, m: c.moco.create_schedule(1, date(2026, 1, 5), AbsenceKind.HOLIDAY, am=False,
                                                             pm=False, comment=""))


def test_delete_of_an_absence_already_gone_is_not_an_error():
    gone = run_with_clients(lambda c, m: c.moco.delete_schedule(5),
                            mock=lambda m: m.delete(f"{MOCO}/schedules/5", status=404, body=""))
    assert gone is False
    deleted = run_with_clients(lambda c, m: c.moco.delete_schedule(8587603),
                               mock=lambda m: m.delete(f"{MOCO}/schedules/8587603",
                                                       payload=sample("moco-schedule-delete.json")["body"]))
    assert deleted is True


def test_user_key_without_staff_rights_is_explained():
    with pytest.raises(PermissionDenied, match="account API key with full access"):
        run_with_clients(lambda c, m: c.moco.users(),
                         mock=lambda m: m.get(re.compile(rf"{MOCO}/users.*"), status=403, body=""))


def test_a_record_with_an_id_that_is_no_scalar_is_reported_not_a_crash():
    rows = [{"id": [1], "email": "a@x.example"}, {"id": [1], "email": "b@x.example"}]
    with pytest.raises(UnexpectedResponse, match=r"^MOCO: cannot read a user from GET /api/v1/users\?include_archived="
                                                 r"true: id is a list, expected a whole number$"):
        run_with_clients(lambda c, m: c.moco.users(),
                         mock=lambda m: m.get(re.compile(rf"{MOCO}/users.*"), **paged(rows)))
