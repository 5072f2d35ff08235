"""Personio: its cursor-paged lists, its error bodies, its token, and the client on mocked HTTP
(recorded payloads in, domain records out)."""

from __future__ import annotations

import asyncio
import re
from datetime import date, datetime
from typing import Any

import aiohttp
import pytest
from aioresponses import CallbackResult, aioresponses

from reconciler.errors import AuthenticationFailed, PermissionDenied, UnexpectedResponse
from reconciler.systems.connect import Tuning, open_clients
from reconciler.systems.personio import created_id, cursor_pages, read_absence_period, read_personio_error
from tests.conftest import sample
from tests.systems.helpers import CREDENTIALS, PERSONIO, SPEC, TOKEN, FakeTime, make_service, run, run_with_clients

# ----------------------------------------------------------------------------- cursor pages


@pytest.mark.parametrize("style", ["absolute", "relative", "foreign-host"])
def test_cursor_pages_follow_next_href_on_the_configured_host(style):
    fake = FakeTime()
    prefix = {"absolute": PERSONIO, "relative": "", "foreign-host": "https://elsewhere.example"}[style]

    async def scenario() -> list:
        with aioresponses() as mocked:
            mocked.get(f"{PERSONIO}/v2/persons?limit=2", payload={
                "_data": [{"id": "1"}, {"id": "2"}],
                "_meta": {"links": {"next": {"href": f"{prefix}/v2/persons?cursor=abc"}}}})
            mocked.get(f"{PERSONIO}/v2/persons?cursor=abc", payload={"_data": [{"id": "3"}], "_meta": {"links": {}}})
            async with aiohttp.ClientSession() as session:
                service = make_service(session, fake, base=PERSONIO)
                result = await cursor_pages(service, "/v2/persons", {"limit": 2})
            assert not any("elsewhere" in str(url) for _m, url in mocked.requests)
            return result

    assert [r["id"] for r in run(scenario)] == ["1", "2", "3"]


def test_cursor_pages_accept_data_instead_of_underscore_data_and_an_empty_list():
    fake = FakeTime()

    async def scenario() -> list:
        with aioresponses() as mocked:
            mocked.get(f"{PERSONIO}/v2/absence-types", payload={"data": [], "meta": {"links": {"self": {"href": "x"}}}})
            async with aiohttp.ClientSession() as session:
                return await cursor_pages(make_service(session, fake, base=PERSONIO), "/v2/absence-types")

    assert run(scenario) == []


def test_cursor_pages_detect_a_loop():
    fake = FakeTime()

    async def scenario() -> None:
        with aioresponses() as mocked:
            loop = {"_data": [{"id": "1"}], "_meta": {"links": {"next": {"href": "/v2/persons?cursor=same"}}}}
            mocked.get(f"{PERSONIO}/v2/persons", payload=loop)
            mocked.get(f"{PERSONIO}/v2/persons?cursor=same", payload=loop, repeat=True)
            async with aiohttp.ClientSession() as session:
                await cursor_pages(make_service(session, fake, base=PERSONIO), "/v2/persons")

    with pytest.raises(UnexpectedResponse, match="loops"):
        run(scenario)


# ----------------------------------------------------------------------------- errors


def test_personio_problem_json_keeps_title_detail_and_trace_id():
    recorded = sample("personio-v2-error-403-scope-live.json")["body"]
    summary, fields, trace = read_personio_error(recorded)
    assert summary == "Insufficient access scope: Client scope insufficient to access resource"
    assert trace == "f9eddcad-e93c-4d7f-a6b3-76caf2eec677" and fields == {}
    for name in ("personio-v2-error.json", "personio-v2-error-404-live.json"):
        summary, _fields, trace = read_personio_error(sample(name)["body"])
        assert summary and trace


def test_flat_oauth_errors_are_read():
    summary, _fields, trace = read_personio_error(sample("personio-v2-auth-token-error.json")["body"])
    assert summary.startswith("invalid_client: Client authentication failed")
    assert trace == "baaaaaad-c0de-fade-baad-c000000000de"


def test_the_personio_reader_leaves_other_bodies_to_the_default_reader_and_keeps_the_trace_id():
    assert read_personio_error({"message": "Too many requests", "personio_trace_id": "t-1"}) == (
        "Too many requests", {}, "t-1")
    assert read_personio_error("<html><body>503</body></html>") == ("", {}, None)
    assert read_personio_error({"errors": [{"title": "Bad request"}, {"detail": None}, "plain"]}) == (
        "Bad request; plain", {}, None)
    assert read_personio_error({"error": "invalid_grant", "error_uri": "x", "trace_id": 7}) == (
        "invalid_grant", {}, "7")


def test_a_missing_scope_is_explained_with_the_trace_id():
    refused = sample("personio-v2-error-403-scope-live.json")["body"]
    with pytest.raises(PermissionDenied) as caught:
        run_with_clients(lambda c, m: c.personio.persons(),
                         mock=lambda m: m.get(re.compile(rf"{PERSONIO}/v2/persons.*"), status=403, payload=refused))
    message = str(caught.value)
    assert "permission denied (403) for GET /v2/persons?limit=50: Insufficient access scope" in message
    assert "personio:persons:read" in message and message.endswith("(trace id f9eddcad-e93c-4d7f-a6b3-76caf2eec677)")


# ----------------------------------------------------------------------------- the client


def test_token_is_fetched_once_with_form_encoded_credentials_and_app_id_goes_everywhere():
    seen: list[dict[str, Any]] = []

    def persons(url: Any, **kwargs: Any) -> CallbackResult:
        seen.append(kwargs["headers"])
        return CallbackResult(payload={"_data": [], "_meta": {"links": {}}})

    async def body(clients, mocked) -> None:
        await asyncio.gather(*(clients.personio.persons() for _ in range(3)))
        token_calls = [kw for (m, u), v in mocked.requests.items() if "auth/token" in str(u) for kw in v]
        assert len(token_calls) == 1
        assert token_calls[0].kwargs["data"] == {"grant_type": "client_credentials", "client_id": "client-id",
                                                 "client_secret": "client-SECRET"}

    run_with_clients(body, mock=lambda m: m.get(re.compile(rf"{PERSONIO}/v2/persons.*"), callback=persons,
                                                repeat=True))
    assert all(h["Authorization"] == "Bearer papi-token-1" and h["X-Personio-App-ID"] == "RECONCILE" for h in seen)


def test_refused_client_credentials_name_the_variables_not_the_secret():
    fake = FakeTime()

    async def scenario() -> None:
        with aioresponses() as mocked:
            mocked.post(f"{PERSONIO}/v2/auth/token", status=401,
                        payload=sample("personio-v2-auth-token-error.json")["body"])
            async with open_clients(SPEC, CREDENTIALS, Tuning(sleep=fake.sleep, clock=fake.clock)) as clients:
                await clients.personio.persons()

    with pytest.raises(AuthenticationFailed) as caught:
        asyncio.run(scenario())
    message = str(caught.value)
    assert "the client credentials were refused (invalid_client: Client authentication failed" in message
    assert "$PERSONIO_CLIENT_ID and $PERSONIO_CLIENT_SECRET" in message
    assert "client-SECRET" not in message and "baaaaaad-c0de" in message


def test_an_expired_token_is_renewed_once_on_401():
    tokens = iter([TOKEN, {**TOKEN, "access_token": "papi-token-2"}])

    def token(url: Any, **kwargs: Any) -> CallbackResult:
        return CallbackResult(payload=next(tokens))

    def persons(url: Any, **kwargs: Any) -> CallbackResult:
        if kwargs["headers"]["Authorization"] == "Bearer papi-token-1":
            return CallbackResult(status=401, payload=sample("personio-v2-error-403-scope-live.json")["body"])
        return CallbackResult(payload={"_data": [{"id": "1", "email": "a@x.example"}], "_meta": {"links": {}}})

    fake = FakeTime()

    async def scenario() -> Any:
        with aioresponses() as mocked:
            mocked.post(f"{PERSONIO}/v2/auth/token", callback=token, repeat=True)
            mocked.get(re.compile(rf"{PERSONIO}/v2/persons.*"), callback=persons, repeat=True)
            async with open_clients(SPEC, CREDENTIALS, Tuning(sleep=fake.sleep, clock=fake.clock)) as clients:
                result = await clients.personio.persons()
                assert clients.personio.service.auth.fetched == 2
                return result

    assert [p.email for p in asyncio.run(scenario())] == ["a@x.example"]


def test_persons_from_the_documented_example_and_a_sparse_credential():
    full = sample("personio-v2-persons-list.json")["body"]
    sparse = sample("personio-v2-persons-list-sparse.json")["body"]
    full = {**full, "_meta": {"links": {"next": {"href": f"{PERSONIO}/v2/persons?cursor=c2"}}}}

    def mock(m: aioresponses) -> None:
        m.get(f"{PERSONIO}/v2/persons?limit=50", payload=full)
        m.get(f"{PERSONIO}/v2/persons?cursor=c2", payload=sparse)

    persons = run_with_clients(lambda c, m: c.personio.persons(), mock=mock)
    assert persons[0].email == "jen.doe@example.com" and persons[0].active
    assert [p.email for p in persons[1:]] == [None, None]


def test_absence_periods_are_read_into_days_with_exclusive_midnight_ends():
    recorded = sample("personio-v2-absence-periods-list.json")["body"]
    seen: list[str] = []

    def answer(url: Any, **kwargs: Any) -> CallbackResult:
        seen.append(str(url))
        return CallbackResult(payload=recorded)

    periods = run_with_clients(lambda c, m: c.personio.absence_periods(date(2026, 6, 1), date(2026, 12, 31)),
                               mock=lambda m: m.get(re.compile(rf"{PERSONIO}/v2/absence-periods.*"), callback=answer,
                                                    repeat=True))
    by_id = {p.id: p for p in periods}
    assert (by_id["x1"].first_day, by_id["x1"].last_day) == (date(2026, 6, 5), date(2026, 6, 5))
    assert (by_id["x2"].first_day, by_id["x2"].last_day) == (date(2026, 6, 10), date(2026, 6, 12))
    assert by_id["x3"].last_day is None
    assert not any(p.first_day_pm_only or p.last_day_am_only for p in periods)
    # One cursor, bounded on the start only (either reading of Personio's ranges returns every period
    # overlapping the window), reaching three years before the window, no further.
    (url,) = seen
    assert "Z" not in url and "ends_at" not in url
    assert "starts_from.date_time.gte=2023-05-30T00:00:00" in url
    assert "starts_from.date_time.lte=2026-12-31T23:59:59" in url


@pytest.mark.parametrize(("starts", "ends", "first", "last", "pm_only", "am_only"), [
    (("2026-06-05T00:00:00", "SECOND_HALF"), ("2026-06-06T00:00:00", "SECOND_HALF"), 5, 5, True, False),
    (("2026-06-05T00:00:00", "FIRST_HALF"), ("2026-06-05T12:00:00", "FIRST_HALF"), 5, 5, False, True),
    (("2026-06-05T00:00:00", "SECOND_HALF"), ("2026-06-09T12:00:00", "FIRST_HALF"), 5, 9, True, True),
])
def test_half_days_at_either_end(starts, ends, first, last, pm_only, am_only):
    period = read_absence_period({
        "id": "p", "person": {"id": "1"}, "absence_type": {"id": "t"}, "approval": {"status": "APPROVED"},
        "starts_from": {"date_time": starts[0], "type": starts[1]}, "ends_at": {"date_time": ends[0], "type": ends[1]},
    })
    assert (period.first_day, period.last_day) == (date(2026, 6, first), date(2026, 6, last))
    assert (period.first_day_pm_only, period.last_day_am_only) == (pm_only, am_only)


def test_attendance_periods_from_the_recorded_fixture():
    recorded = sample("personio-v2-attendance-periods-list.json")["body"]
    periods = run_with_clients(lambda c, m: c.personio.attendance_periods(date(2026, 6, 1), date(2026, 6, 30)),
                               mock=lambda m: m.get(re.compile(rf"{PERSONIO}/v2/attendance-periods.*"),
                                                    payload=recorded))
    kinds = [p.kind for p in periods]
    assert kinds.count("BREAK") == 1
    night = [p for p in periods if p.comment == "Night shift"][0]
    assert night.start == datetime(2026, 6, 2, 22) and night.end == datetime(2026, 6, 3, 2)


def test_create_attendance_skips_approval_and_sends_local_times():
    sent: dict[str, Any] = {}

    def answer(url: Any, **kwargs: Any) -> CallbackResult:
        sent["query"] = url.query_string
        sent["json"] = kwargs["json"]
        return CallbackResult(status=201, payload={"_data": {"id": "new-1"}})

    new_id = run_with_clients(
        lambda c, m: c.personio.create_attendance("7", datetime(2026, 3, 2, 8, 0), datetime(2026, 3, 2, 12, 15),
                                                  "[reconcile] MOCO presence 42"),
        mock=lambda m: m.post(re.compile(rf"{PERSONIO}/v2/attendance-periods.*"), callback=answer))
    assert new_id == "new-1" and sent["query"] == "skip_approval=true"
    assert sent["json"] == {"person": {"id": "7"}, "type": "WORK", "start": {"date_time": "2026-03-02T08:00:00"},
                            "end": {"date_time": "2026-03-02T12:15:00"}, "comment": "[reconcile] MOCO presence 42"}


@pytest.mark.parametrize("body", [{"id": "a"}, {"_data": {"id": "a"}}, {"data": {"id": "a"}}])
def test_created_id_accepts_each_envelope(body):
    assert created_id(body) == "a"


def test_created_id_without_an_id_is_unexpected():
    with pytest.raises(UnexpectedResponse):
        created_id({"success": True})


def test_periods_outside_the_window_are_dropped_here():
    rows = sample("personio-v2-absence-periods-list.json")["body"]
    periods = run_with_clients(lambda c, m: c.personio.absence_periods(date(2026, 6, 11), date(2026, 6, 30)),
                               mock=lambda m: m.get(re.compile(rf"{PERSONIO}/v2/absence-periods.*"), payload=rows))
    assert sorted(p.id for p in periods) == ["x2", "x3"]  # x1 (5 June) ended before the window


@pytest.mark.parametrize(("row", "hourly"), [
    ({"id": "a", "name": "Vacation", "unit": "DAY"}, False),
    ({"id": "b", "name": "Doctor", "unit": "HOUR"}, True),
    ({"id": "c", "name": "Doctor", "time_unit": "hours"}, True),
    ({"id": "d", "name": "Doctor", "measurement_unit": "hour"}, True),
    ({"id": "e", "name": "Unknown"}, False),
])
def test_absence_types_say_whether_they_are_measured_in_hours(row, hourly):
    types = run_with_clients(lambda c, m: c.personio.absence_types(),
                             mock=lambda m: m.get(re.compile(rf"{PERSONIO}/v2/absence-types.*"),
                                                  payload={"_data": [row], "_meta": {"links": {}}}))
    assert types[0].hourly is hourly


@pytest.mark.parametrize("meta", [
    pytest.param({"links": ["next"]}, id="links-not-an-object"),
    pytest.param({"links": {"next": "/v2/persons?cursor=c2"}}, id="next-not-an-object"),
    pytest.param({"links": {"next": {"href": 7}}}, id="href-not-a-string"),
    pytest.param("next", id="meta-not-an-object"),
])
def test_an_unreadable_next_link_is_an_error_not_a_last_page(meta):
    with pytest.raises(UnexpectedResponse, match="unreadable `_meta.links.next.href`"):
        run_with_clients(lambda c, m: c.personio.persons(),
                         mock=lambda m: m.get(re.compile(rf"{PERSONIO}/v2/persons.*"),
                                              payload={"_data": [{"id": "1"}], "_meta": meta}))



@pytest.mark.parametrize(("start", "end", "count"), [
    (date(2026, 11, 1), date(2026, 11, 30), 1), (date(2026, 1, 1), date(2026, 12, 31), 12),
    (date(2000, 1, 1), date(2100, 1, 1), 12),
])
def test_a_window_is_read_in_consecutive_slices_that_cover_it(start, end, count):
    from datetime import timedelta

    from reconciler.systems.personio.client import window_slices

    slices = window_slices(start, end)
    assert len(slices) == count and slices[0][0] == start and slices[-1][1] == end
    assert all(later[0] == earlier[1] + timedelta(days=1) for earlier, later in zip(slices, slices[1:]))


def test_a_few_peoples_periods_are_read_in_one_cursor_not_in_slices():
    seen: list[str] = []

    def answer(url: Any, **kwargs: Any) -> CallbackResult:
        seen.append(str(url))
        return CallbackResult(payload={"_data": [], "_meta": {"links": {}}})

    run_with_clients(lambda c, m: c.personio.attendance_periods(date(2026, 1, 1), date(2026, 12, 31), {"7", "3"}),
                     mock=lambda m: m.get(re.compile(rf"{PERSONIO}/v2/attendance-periods.*"), callback=answer,
                                          repeat=True))
    [url] = seen
    assert "person.id=3%2C7" in url or "person.id=3,7" in url
    assert "attribution_date.gte=2026-01-01" in url and "attribution_date.lte=2026-12-31" in url
    assert "duration_type=ALL" in url
