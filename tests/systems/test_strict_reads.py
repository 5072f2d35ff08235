"""Reads that do not add up stop before any write, with one line naming the service, the endpoint
and the record: an entry that is no record, a record listed twice (read once more first), a count
that is not X-Total, a field of the wrong type. Fields MOCO documents as nullable skip their record
with a notice instead."""

from __future__ import annotations

import asyncio
import re
from datetime import date
from typing import Any

import aiohttp
import pytest
from aioresponses import aioresponses

from reconciler.errors import UnexpectedResponse
from reconciler.records import AbsenceKind
from reconciler.systems.moco import MocoClient, link_pages
from reconciler.systems.personio import PersonioClient, cursor_pages
from tests.conftest import sample
from tests.systems.helpers import (
    BASE,
    MOCO,
    PERSONIO,
    FakeTime,
    calls,
    canned,
    make_service,
    paged,
    run,
    run_with_clients,
    users,
)

WINDOW = (date(2020, 1, 1), date(2022, 12, 31))

# ----------------------------------------------------------------------------- entries that are no record


def moco_page_headers(total: int, page: int) -> dict[str, str]:
    return {"X-Total": str(total), "X-Page": str(page), "X-Per-Page": "100"}


@pytest.mark.parametrize(("entry", "said"), [(None, "null"), (7, "a number (7)"), ("x", 'a string ("x")'),
                                             ([1], "a list")])
def test_an_entry_of_a_moco_page_that_is_no_record_stops_the_read(entry, said):
    fake = FakeTime()
    second = [*users(2, 101), entry, *users(47, 103)]

    async def scenario() -> None:
        with aioresponses() as mocked:
            mocked.get(f"{BASE}/users?page=1&per_page=100", payload=users(100), headers=moco_page_headers(150, 1))
            mocked.get(f"{BASE}/users?page=2&per_page=100", payload=second, headers=moco_page_headers(150, 2))
            async with aiohttp.ClientSession() as session:
                await link_pages(make_service(session, fake), "/users")

    with pytest.raises(UnexpectedResponse) as caught:
        run(scenario)
    assert str(caught.value) == f"MOCO: GET /api/v1/users?per_page=100&page=2 (page 2): entry 3 is {said}, not a record"


def test_an_entry_of_a_personio_page_that_is_no_record_stops_the_read():
    fake = FakeTime()

    async def scenario() -> None:
        with aioresponses() as mocked:
            mocked.get(f"{PERSONIO}/v2/persons?limit=2", payload={
                "_data": [{"id": "1"}, {"id": "2"}], "_meta": {"links": {"next": {"href": "/v2/persons?cursor=c2"}}}})
            mocked.get(f"{PERSONIO}/v2/persons?cursor=c2", payload={"_data": [None], "_meta": {"links": {}}})
            async with aiohttp.ClientSession() as session:
                service = make_service(session, fake, base=PERSONIO)
                service.name = "Personio"
                await cursor_pages(service, "/v2/persons", {"limit": 2})

    with pytest.raises(UnexpectedResponse) as caught:
        run(scenario)
    assert str(caught.value) == "Personio: GET /v2/persons?cursor=c2 (page 2): entry 1 is null, not a record"


# ----------------------------------------------------------------------------- a record on two pages


def moco_list(mocked: aioresponses, second: list[dict[str, Any]], *, total: int = 200) -> None:
    url = f"{BASE}/users?include_archived=true&per_page=100"
    mocked.get(f"{url}&page=1", payload=users(100), headers=moco_page_headers(total, 1))
    mocked.get(f"{url}&page=2", payload=second, headers=moco_page_headers(total, 2))


def read_moco_users(*reads: list[dict[str, Any]], total: int = 200) -> tuple[list[dict[str, Any]], int]:
    """link_pages over reads whose page 2 is each of `reads` in turn: the records and the GETs sent."""
    fake = FakeTime()
    sent: list[int] = []

    async def scenario() -> list[dict[str, Any]]:
        with aioresponses() as mocked:
            for second in reads:
                moco_list(mocked, second, total=total)
            async with aiohttp.ClientSession() as session:
                try:
                    return await link_pages(make_service(session, fake), "/users", {"include_archived": "true"})
                finally:
                    sent.append(calls(mocked, "GET", f"{BASE}/users"))

    try:
        return run(scenario), sent[0]
    except UnexpectedResponse as error:
        error.add_note(f"GETs sent: {sent[0]}")
        raise


DISPLACED = users(100, 100)  # record 100 again on page 2; record 200 is not there at all


def test_a_record_on_two_pages_is_read_again_once_and_then_stops_the_read():
    with pytest.raises(UnexpectedResponse) as caught:
        read_moco_users(DISPLACED, DISPLACED)
    assert str(caught.value) == (
        "MOCO: GET /api/v1/users?include_archived=true listed record 100 twice, also when read again: another record "
        "may be missing in its place, so the list cannot be trusted")
    assert caught.value.__notes__ == ["GETs sent: 4"]  # two whole reads, no third


def test_a_record_on_two_pages_that_the_second_read_gets_right_is_fine():
    records, sent = read_moco_users(DISPLACED, users(100, 101))
    assert [r["id"] for r in records] == list(range(1, 201)) and sent == 4


def test_fewer_records_than_x_total_are_read_again_once_and_then_stop_the_read():
    short = users(49, 101)  # X-Total says 150, yet only 149 records come, none twice
    with pytest.raises(UnexpectedResponse) as caught:
        read_moco_users(short, short, total=150)
    assert str(caught.value) == ("MOCO: GET /api/v1/users?include_archived=true said X-Total 150 but listed 149 "
                                 "records, also when read again: the list cannot be trusted")


def test_a_record_on_two_pages_without_x_total_stops_the_read_too():
    fake = FakeTime()
    nxt = f'<{BASE}/users?page=2&per_page=100>; rel="next"'

    async def scenario() -> None:
        with aioresponses() as mocked:
            for _ in range(2):
                mocked.get(f"{BASE}/users?page=1&per_page=100", payload=users(2), headers={"Link": nxt})
                mocked.get(f"{BASE}/users?page=2&per_page=100", payload=users(2, 2))
            async with aiohttp.ClientSession() as session:
                await link_pages(make_service(session, fake), "/users")

    with pytest.raises(UnexpectedResponse, match=r"^MOCO: GET /api/v1/users listed record 2 twice, also when read"):
        run(scenario)


@pytest.mark.parametrize("fixed", [False, True], ids=["still-repeated", "fixed-on-the-second-read"])
def test_a_personio_record_on_two_pages_is_read_again_once(fixed):
    fake = FakeTime()
    second = [{"id": "3"}] if fixed else [{"id": "2"}]

    async def scenario() -> list[dict[str, Any]]:
        with aioresponses() as mocked:
            for page_two in ([{"id": "2"}], second):
                mocked.get(f"{PERSONIO}/v2/persons?limit=2", payload={
                    "_data": [{"id": "1"}, {"id": "2"}],
                    "_meta": {"links": {"next": {"href": "/v2/persons?cursor=c2"}}}})
                mocked.get(f"{PERSONIO}/v2/persons?cursor=c2", payload={"_data": page_two, "_meta": {}})
            async with aiohttp.ClientSession() as session:
                service = make_service(session, fake, base=PERSONIO)
                service.name = "Personio"
                return await cursor_pages(service, "/v2/persons", {"limit": 2})

    if fixed:
        assert [r["id"] for r in run(scenario)] == ["1", "2", "3"]
        return
    with pytest.raises(UnexpectedResponse) as caught:
        run(scenario)
    assert str(caught.value) == ("Personio: GET /v2/persons?limit=2 listed record 2 twice, also when read again: "
                                 "another record may be missing in its place, so the list cannot be trusted")


# ----------------------------------------------------------------------------- nullable fields: skipped, noted


def moco_on(rows: list[dict[str, Any]], answer: Any = None) -> MocoClient:
    """A MOCO client whose every list is `rows`, except absence_code reads other than sick days (3)."""
    def lists(path: str, params: dict[str, Any]) -> list[Any]:
        return rows if params.get("absence_code") in (None, 3) else []

    return MocoClient(canned("MOCO", BASE, lists, answer=answer))


def with_(row: dict[str, Any], **changes: Any) -> dict[str, Any]:
    return {**row, **changes}


PRESENCE = sample("moco-presences-list.json")["body"][0]
SCHEDULE = sample("moco-schedules-list.json")["body"][0]
EMPLOYMENT = sample("moco-employments-list.json")["body"][0]


def test_both_clients_start_without_notices():
    assert MocoClient(canned("MOCO", BASE)).notices == []
    assert PersonioClient(canned("Personio", PERSONIO)).notices == []


LEFT_ALONE = "not synced, and a period synced from it is left alone"


@pytest.mark.parametrize(("change", "reason"), [
    ({"from": None}, "has no start time (from: null)"),
    ({"user": None}, "belongs to no user (user: null)"),
])
def test_a_presence_without_a_start_or_a_user_is_kept_unreadable_with_a_notice(change, reason):
    """Kept, not skipped: a skipped presence would make the period synced from it look deleted."""
    client = moco_on([with_(PRESENCE, id=123, **change), PRESENCE])
    presences = asyncio.run(client.presences(*WINDOW))
    assert [(p.id, p.readable) for p in presences] == [(123, False), (PRESENCE["id"], True)]
    assert client.notices == [f"MOCO GET /api/v1/users/presences: presence 123 {reason}; {LEFT_ALONE}"]


@pytest.mark.parametrize(("row", "read", "notice"), [
    (with_(SCHEDULE, id=5), lambda c: c.schedules(*WINDOW), "MOCO GET /api/v1/schedules: schedule 5"),
    (with_(SCHEDULE, id=5, assignment={**SCHEDULE["assignment"], "code": "3"}), lambda c: c.schedules(*WINDOW),
     "MOCO GET /api/v1/schedules: schedule 5"),
    (with_(EMPLOYMENT, id=5), lambda c: c.employments(), "MOCO GET /api/v1/users/employments: employment 5"),
], ids=["schedule-read-per-kind", "schedule-with-code", "employment"])
def test_a_record_of_no_user_is_skipped_with_one_notice(row, read, notice):
    client = moco_on([with_(row, user=None)])
    assert asyncio.run(read(client)) == []
    assert client.notices == [f"{notice} belongs to no user (user: null); skipped"]


def test_a_run_s_clients_gather_the_notices_of_both():
    rows = [with_(PRESENCE, id=123, **{"from": None})]

    async def body(clients: Any, mocked: Any) -> list[str]:
        assert clients.notices == []
        await clients.moco.presences(*WINDOW)
        return clients.notices

    notices = run_with_clients(body, mock=lambda m: m.get(re.compile(rf"{MOCO}/users/presences.*"), **paged(rows)))
    assert notices == [f"MOCO GET /api/v1/users/presences: presence 123 has no start time (from: null); {LEFT_ALONE}"]


def test_a_written_schedule_of_no_user_is_an_error_not_a_notice():
    client = moco_on([], answer=with_(sample("moco-schedule-create.json")["body"], id=77, user=None))
    with pytest.raises(UnexpectedResponse) as caught:
        asyncio.run(client.create_schedule(1, date(2026, 1, 5), AbsenceKind.HOLIDAY, am=True, pm=True, comment=""))
    assert str(caught.value) == ("MOCO: cannot use schedule 77 from POST /api/v1/schedules: it belongs to no user "
                                 "(user: null)")
    assert client.notices == []


# ----------------------------------------------------------------------------- fields of the wrong type

ATTENDANCE = sample("personio-v2-attendance-periods-list.json")["body"]["_data"][0]
PERIOD = sample("personio-v2-absence-periods-list.json")["body"]["_data"][0]
PERSON = sample("personio-v2-persons-list.json")["body"]["_data"][0]


def personio_on(rows: list[dict[str, Any]]) -> PersonioClient:
    return PersonioClient(canned("Personio", PERSONIO, rows))


@pytest.mark.parametrize(("read", "message"), [
    pytest.param(lambda: moco_on([with_(PRESENCE, id=333, **{"from": 930})]).presences(*WINDOW),
                 "MOCO: cannot read presence 333 from GET /api/v1/users/presences?from=2020-01-01&to=2022-12-31: "
                 'from is a number (930), expected a time ("HH:MM")', id="presence-from-a-number"),
    pytest.param(lambda: moco_on([with_(EMPLOYMENT, id=333, pattern=[1, 2])]).employments(),
                 "MOCO: cannot read employment 333 from GET /api/v1/users/employments?from=1970-01-01: pattern is a "
                 "list, expected an object", id="employment-pattern-a-list"),
    pytest.param(lambda: moco_on([with_(SCHEDULE, id=333, assignment="Urlaub")]).schedules(*WINDOW),
                 "MOCO: cannot read schedule 333 from GET /api/v1/schedules?from=2020-01-01&to=2022-12-31: "
                 'assignment is a string ("Urlaub"), expected an object', id="schedule-assignment-a-string"),
    pytest.param(lambda: moco_on([with_(PRESENCE, id=333, user={"id": "abc"})]).presences(*WINDOW),
                 "MOCO: cannot read presence 333 from GET /api/v1/users/presences?from=2020-01-01&to=2022-12-31: "
                 'user.id is a string ("abc"), expected a whole number', id="moco-user-id-not-a-number"),
    pytest.param(lambda: personio_on([with_(ATTENDANCE, id="333", end="2026-06-01T12:00:00")]).attendance_periods(
                     *WINDOW),
                 "Personio: cannot read attendance period 333 from GET /v2/attendance-periods?attribution_date.gte="
                 "2020-01-01&attribution_date.lte=2020-04-01&duration_type=ALL&limit=100: end is a string "
                 '("2026-06-01T12:00:00"), expected an object', id="attendance-end-a-string"),
    pytest.param(lambda: personio_on([with_(PERIOD, id="333", ends_at="2026-06-06")]).absence_periods(*WINDOW),
                 "Personio: cannot read absence period 333 from GET /v2/absence-periods?starts_from.date_time.gte="
                 "2016-12-29T00:00:00&starts_from.date_time.lte=2022-12-31T23:59:59&limit=100: ends_at is a string "
                 '("2026-06-06"), expected an object',
                 id="absence-period-ends-at-a-string"),
    pytest.param(lambda: personio_on([with_(PERSON, id=[3003])]).persons(),
                 "Personio: cannot read a person from GET /v2/persons?limit=50: id is a list, expected an id "
                 "(a string)", id="personio-id-a-list"),
    pytest.param(lambda: personio_on([with_(PERIOD, id="333", person={"id": True})]).absence_periods(*WINDOW),
                 "Personio: cannot read absence period 333 from GET /v2/absence-periods?starts_from.date_time.gte="
                 "2016-12-29T00:00:00&starts_from.date_time.lte=2022-12-31T23:59:59&limit=100: person.id is a boolean "
                 "(true), expected an id (a string)",
                 id="personio-person-id-a-boolean"),
])
def test_a_field_of_the_wrong_type_names_service_endpoint_record_and_field(read, message):
    with pytest.raises(UnexpectedResponse) as caught:
        asyncio.run(read())
    assert str(caught.value) == message
