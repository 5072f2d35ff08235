"""The HTTP core: pacing, retries, error mapping and both pagination styles (HTTP mocked)."""

from __future__ import annotations

import asyncio
import re
from typing import Any

import aiohttp
import pytest
from aioresponses import CallbackResult, aioresponses
from tests.conftest import sample

from reconciler.errors import (
    AuthenticationFailed,
    NotFound,
    OutcomeUnknown,
    PermissionDenied,
    RateLimited,
    Rejected,
    Unavailable,
    UnexpectedResponse,
)
from reconciler.systems.http.core import (
    Hints,
    RetryPolicy,
    Service,
    SlidingWindowLimiter,
    StaticAuth,
    describe_error_body,
)

BASE = "https://acme.mocoapp.com/api/v1"


class FakeTime:
    """A clock that only moves when somebody sleeps: retry waits cost no real time."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds
        await asyncio.sleep(0)


def run(scenario: Any) -> Any:
    return asyncio.run(scenario())


def make_service(session: aiohttp.ClientSession, fake: FakeTime, *, base: str = BASE, requests: int = 1000,
                 per_seconds: float = 1.0, retry: RetryPolicy = RetryPolicy(), auth: Any = None,
                 hints: Hints = Hints()) -> Service:
    return Service(
        name="MOCO", base_url=base, session=session,
        limiter=SlidingWindowLimiter(requests, per_seconds, clock=fake.clock, sleep=fake.sleep),
        auth=auth or StaticAuth({"Authorization": "Token token=SECRET-KEY-123"}), hints=hints, retry=retry,
        sleep=fake.sleep, clock=fake.clock,
    )


def calls(mocked: aioresponses, method: str, url_prefix: str) -> int:
    return sum(len(v) for (m, url), v in mocked.requests.items() if m == method and str(url).startswith(url_prefix))


def users(count: int, start: int = 1) -> list[dict[str, Any]]:
    return [{"id": i, "email": f"u{i}@x.example"} for i in range(start, start + count)]


# ----------------------------------------------------------------------------- pacing


def test_limiter_never_lets_more_than_n_start_in_any_window():
    fake = FakeTime()
    limiter = SlidingWindowLimiter(3, 1.0, clock=fake.clock, sleep=fake.sleep)
    starts: list[float] = []

    async def one() -> None:
        await limiter.acquire()
        starts.append(fake.now)

    async def scenario() -> None:
        await asyncio.gather(*(one() for _ in range(10)))

    run(scenario)
    assert len(starts) == 10
    assert max(sum(1 for s in starts if a <= s < a + 1.0) for a in starts) == 3
    assert starts[:3] == [1000.0] * 3  # a full window is available at once
    assert starts[3] >= 1001.0


# ----------------------------------------------------------------------------- MOCO-style pages


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
                result = await make_service(session, fake).link_pages("/users")
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
                return await make_service(session, fake).link_pages("/users")

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
                return await make_service(session, fake).link_pages("/users")

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
                return await make_service(session, fake).link_pages("/users")

    result = run(scenario)
    assert [r["id"] for r in result] == list(range(1, 103))


def test_link_pages_gives_up_on_a_list_that_never_holds_still():
    fake = FakeTime()

    async def scenario() -> None:
        with aioresponses() as mocked:
            for _ in range(3):
                mocked.get(f"{BASE}/users?page=1&per_page=100", payload=users(100), headers=page_headers(101, 1))
                mocked.get(f"{BASE}/users?page=2&per_page=100", payload=users(1, 100), headers=page_headers(101, 2))
            async with aiohttp.ClientSession() as session:
                await make_service(session, fake).link_pages("/users")

    with pytest.raises(Unavailable, match="kept changing while it was read"):
        run(scenario)


# ----------------------------------------------------------------------------- cursor pages

PERSONIO = "https://api.personio.de"


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
                result = await make_service(session, fake, base=PERSONIO).cursor_pages("/v2/persons", {"limit": 2})
            assert not any("elsewhere" in str(url) for _m, url in mocked.requests)
            return result

    assert [r["id"] for r in run(scenario)] == ["1", "2", "3"]


def test_cursor_pages_accept_data_instead_of_underscore_data_and_an_empty_list():
    fake = FakeTime()

    async def scenario() -> list:
        with aioresponses() as mocked:
            mocked.get(f"{PERSONIO}/v2/absence-types", payload={"data": [], "meta": {"links": {"self": {"href": "x"}}}})
            async with aiohttp.ClientSession() as session:
                return await make_service(session, fake, base=PERSONIO).cursor_pages("/v2/absence-types")

    assert run(scenario) == []


def test_cursor_pages_detect_a_loop():
    fake = FakeTime()

    async def scenario() -> None:
        with aioresponses() as mocked:
            loop = {"_data": [{"id": "1"}], "_meta": {"links": {"next": {"href": "/v2/persons?cursor=same"}}}}
            mocked.get(f"{PERSONIO}/v2/persons", payload=loop)
            mocked.get(f"{PERSONIO}/v2/persons?cursor=same", payload=loop, repeat=True)
            async with aiohttp.ClientSession() as session:
                await make_service(session, fake, base=PERSONIO).cursor_pages("/v2/persons")

    with pytest.raises(UnexpectedResponse, match="loops"):
        run(scenario)


# ----------------------------------------------------------------------------- retries


def test_429_then_success_backs_off_and_retries():
    fake = FakeTime()

    async def scenario() -> Any:
        with aioresponses() as mocked:
            mocked.get(f"{BASE}/users", status=429, body="")
            mocked.get(f"{BASE}/users", status=429, body="")
            mocked.get(f"{BASE}/users", payload=[{"id": 1}])
            async with aiohttp.ClientSession() as session:
                return await make_service(session, fake).request("GET", "/users")

    assert run(scenario).body == [{"id": 1}]
    assert len(fake.sleeps) == 2
    assert 0.5 <= fake.sleeps[0] <= 1.0 and 1.0 <= fake.sleeps[1] <= 2.0  # exponential ...
    assert fake.sleeps != [1.0, 2.0]  # ... and jittered, so many clients do not retry in step


def test_retry_after_is_honoured_in_seconds():
    fake = FakeTime()

    async def scenario() -> None:
        with aioresponses() as mocked:
            mocked.get(f"{BASE}/users", status=429, headers={"Retry-After": "7"})
            mocked.get(f"{BASE}/users", payload=[])
            async with aiohttp.ClientSession() as session:
                await make_service(session, fake).request("GET", "/users")

    run(scenario)
    assert fake.sleeps == [7.0]


def test_backoff_is_capped_and_attempts_are_bounded():
    fake = FakeTime()

    async def scenario() -> None:
        with aioresponses() as mocked:
            mocked.get(f"{BASE}/users", status=503, repeat=True)
            async with aiohttp.ClientSession() as session:
                await make_service(session, fake, retry=RetryPolicy(attempts=8, base_delay=1, max_delay=4,
                                                                    total_seconds=1000)).request("GET", "/users")

    with pytest.raises(Unavailable, match="gave up after 8 attempts"):
        run(scenario)
    assert len(fake.sleeps) == 7 and max(fake.sleeps) <= 4


def test_total_time_bound_stops_retrying():
    fake = FakeTime()

    async def scenario() -> None:
        with aioresponses() as mocked:
            mocked.get(f"{BASE}/users", status=429, headers={"Retry-After": "100"}, repeat=True)
            async with aiohttp.ClientSession() as session:
                await make_service(session, fake, retry=RetryPolicy(total_seconds=150)).request("GET", "/users")

    with pytest.raises(RateLimited, match=r"gave up after 2 attempts over 100 s: still rate-limited \(429\)"):
        run(scenario)


@pytest.mark.parametrize("status", [502, 503, 504])
def test_gateway_errors_on_reads_are_retried(status):
    fake = FakeTime()

    async def scenario() -> Any:
        with aioresponses() as mocked:
            mocked.get(f"{BASE}/users", status=status, body="<html>bad gateway</html>", content_type="text/html")
            mocked.get(f"{BASE}/users", payload=[{"id": 1}])
            async with aiohttp.ClientSession() as session:
                return await make_service(session, fake).request("GET", "/users")

    assert run(scenario).status == 200


def test_dropped_connection_on_a_read_is_retried():
    fake = FakeTime()

    async def scenario() -> Any:
        with aioresponses() as mocked:
            mocked.get(f"{BASE}/users", exception=aiohttp.ServerDisconnectedError())
            mocked.get(f"{BASE}/users", payload=[])
            async with aiohttp.ClientSession() as session:
                return await make_service(session, fake).request("GET", "/users")

    assert run(scenario).status == 200


@pytest.mark.parametrize("failure", [
    pytest.param({"exception": asyncio.TimeoutError()}, id="timeout"),
    pytest.param({"exception": aiohttp.ServerDisconnectedError()}, id="dropped"),
    pytest.param({"status": 503}, id="503"),
    pytest.param({"status": 502}, id="502"),
    pytest.param({"status": 500}, id="500"),
])
def test_a_create_whose_outcome_is_unknown_is_reported_and_never_resent(failure):
    fake = FakeTime()

    async def scenario() -> None:
        with aioresponses() as mocked:
            mocked.post(f"{BASE}/schedules", **failure)
            mocked.post(f"{BASE}/schedules", payload={"id": 1})
            async with aiohttp.ClientSession() as session:
                try:
                    await make_service(session, fake).request("POST", "/schedules", json={"date": "2026-01-05"})
                finally:
                    assert calls(mocked, "POST", f"{BASE}/schedules") == 1

    with pytest.raises(OutcomeUnknown, match="may or may not have taken effect"):
        run(scenario)


def test_a_create_refused_with_429_was_not_processed_and_is_retried():
    fake = FakeTime()

    async def scenario() -> Any:
        with aioresponses() as mocked:
            mocked.post(f"{BASE}/schedules", status=429)
            mocked.post(f"{BASE}/schedules", payload={"id": 1})
            async with aiohttp.ClientSession() as session:
                return await make_service(session, fake).request("POST", "/schedules", json={})

    assert run(scenario).body == {"id": 1}


def test_a_create_that_could_not_connect_was_never_sent_and_is_retried():
    fake = FakeTime()

    async def scenario() -> Any:
        with aioresponses() as mocked:
            refused = aiohttp.ClientConnectorError(aiohttp.client_reqrep.ConnectionKey(
                "acme.mocoapp.com", 443, True, None, None, None, None), ConnectionRefusedError(111, "refused"))
            mocked.post(f"{BASE}/schedules", exception=refused)
            mocked.post(f"{BASE}/schedules", payload={"id": 1})
            async with aiohttp.ClientSession() as session:
                return await make_service(session, fake).request("POST", "/schedules", json={})

    assert run(scenario).body == {"id": 1}


def test_unreachable_service_gives_a_clear_error_after_retries():
    fake = FakeTime()

    async def scenario() -> None:
        async with aiohttp.ClientSession() as session:
            service = make_service(session, fake, base="http://127.0.0.1:9/api/v1",
                                   retry=RetryPolicy(attempts=2))
            await service.request("GET", "/users")

    with pytest.raises(Unavailable, match=r"MOCO: gave up after 2 attempts .*cannot connect to http://127.0.0.1:9/api/v1"):
        run(scenario)


def test_an_unknown_host_fails_at_once():
    fake = FakeTime()

    async def scenario() -> None:
        async with aiohttp.ClientSession() as session:
            await make_service(session, fake, base="http://reconcile-no-such-host.invalid/api/v1").request("GET", "/x")

    with pytest.raises(Unavailable, match="cannot resolve the host"):
        run(scenario)
    assert fake.sleeps == []


# ----------------------------------------------------------------------------- errors


def test_401_and_403_say_what_to_check_and_never_show_the_key():
    fake = FakeTime()
    hints = Hints(unauthorized="check the API key in $MOCO_API_KEY", forbidden="use an account key")

    async def scenario(status: int) -> None:
        with aioresponses() as mocked:
            mocked.get(f"{BASE}/users", status=status, body="")
            async with aiohttp.ClientSession() as session:
                await make_service(session, fake, hints=hints).request("GET", "/users")

    with pytest.raises(AuthenticationFailed) as caught:
        asyncio.run(scenario(401))
    assert "check the API key in $MOCO_API_KEY" in str(caught.value) and "SECRET-KEY-123" not in str(caught.value)
    with pytest.raises(PermissionDenied, match="permission denied \\(403\\) for GET /api/v1/users; use an account key"):
        asyncio.run(scenario(403))


def test_404_is_not_found():
    fake = FakeTime()

    async def scenario() -> None:
        with aioresponses() as mocked:
            mocked.delete(f"{BASE}/schedules/5", status=404, body="")
            async with aiohttp.ClientSession() as session:
                await make_service(session, fake).request("DELETE", "/schedules/5")

    with pytest.raises(NotFound):
        run(scenario)


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
                await make_service(session, fake).request("POST", "/schedules", json={})

    with pytest.raises(Rejected) as caught:
        run(scenario)
    error = caught.value
    assert error.status == 422 and "POST /api/v1/schedules was refused (422)" in str(error)
    if summary is not None:
        assert str(error).endswith(summary) and error.fields == fields
    else:
        assert error.fields and all(error.fields.values())


def test_personio_problem_json_keeps_title_detail_and_trace_id():
    recorded = sample("personio-v2-error-403-scope-live.json")["body"]
    summary, fields, trace = describe_error_body(recorded)
    assert summary == "Insufficient access scope: Client scope insufficient to access resource"
    assert trace == "f9eddcad-e93c-4d7f-a6b3-76caf2eec677" and fields == {}
    for name in ("personio-v2-error.json", "personio-v2-error-404-live.json"):
        summary, _fields, trace = describe_error_body(sample(name)["body"])
        assert summary and trace


def test_flat_oauth_errors_are_read():
    summary, _fields, trace = describe_error_body(sample("personio-v2-auth-token-error.json")["body"])
    assert summary.startswith("invalid_client: Client authentication failed")
    assert trace == "baaaaaad-c0de-fade-baad-c000000000de"


def test_html_and_text_error_pages_do_not_flood_the_message():
    assert describe_error_body("<html><body><h1>502 Bad Gateway</h1></body></html>") == ("", {}, None)
    text = sample("moco-error-500-employment-create.json")["body"]
    assert describe_error_body(text)[0] == "500 Internal Server Error"


# ----------------------------------------------------------------------------- auth renewal


class CountingAuth:
    """Hands out token N; renewal bumps N once however many callers ask at the same time."""

    def __init__(self) -> None:
        self.token = 1
        self.renewals = 0
        self.lock = asyncio.Lock()

    async def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer t{self.token}"}

    async def renew(self, used: dict[str, str]) -> bool:
        async with self.lock:
            if used["Authorization"] == f"Bearer t{self.token}":
                self.token += 1
                self.renewals += 1
        return True


def test_401_renews_credentials_once_and_concurrent_callers_share_the_renewal():
    fake = FakeTime()
    auth = CountingAuth()

    def answer(url: Any, **kwargs: Any) -> CallbackResult:
        if kwargs["headers"]["Authorization"] == "Bearer t1":
            return CallbackResult(status=401, payload={"errors": [{"title": "Unauthorized"}]})
        return CallbackResult(payload={"_data": [], "_meta": {"links": {}}})

    async def scenario() -> None:
        with aioresponses() as mocked:
            mocked.get(re.compile(r".*/v2/persons.*"), callback=answer, repeat=True)
            async with aiohttp.ClientSession() as session:
                service = make_service(session, fake, base=PERSONIO, auth=auth)
                await asyncio.gather(*(service.request("GET", "/v2/persons") for _ in range(5)))

    run(scenario)
    assert auth.renewals == 1


def test_a_second_401_after_renewal_is_an_authentication_error():
    fake = FakeTime()
    auth = CountingAuth()

    async def scenario() -> None:
        with aioresponses() as mocked:
            mocked.get(f"{PERSONIO}/v2/persons", status=401, payload={"errors": [{"title": "Unauthorized"}]},
                       repeat=True)
            async with aiohttp.ClientSession() as session:
                await make_service(session, fake, base=PERSONIO, auth=auth).request("GET", "/v2/persons")

    with pytest.raises(AuthenticationFailed):
        run(scenario)
    assert auth.renewals == 1


def test_a_reset_keep_alive_connection_on_a_read_is_retried():
    fake = FakeTime()

    async def scenario() -> Any:
        with aioresponses() as mocked:
            mocked.get(f"{BASE}/users", exception=aiohttp.ClientConnectionResetError("Cannot write to closing transport"))
            mocked.get(f"{BASE}/users", payload=[])
            async with aiohttp.ClientSession() as session:
                return await make_service(session, fake).request("GET", "/users")

    assert run(scenario).status == 200


def test_any_other_client_error_on_a_create_is_an_unknown_outcome_not_a_crash():
    fake = FakeTime()

    async def scenario() -> None:
        with aioresponses() as mocked:
            mocked.post(f"{BASE}/schedules", exception=aiohttp.ClientConnectionResetError("Cannot write"))
            mocked.post(f"{BASE}/schedules", payload={"id": 1})
            async with aiohttp.ClientSession() as session:
                try:
                    await make_service(session, fake).request("POST", "/schedules", json={})
                finally:
                    assert calls(mocked, "POST", f"{BASE}/schedules") == 1

    with pytest.raises(OutcomeUnknown, match="failed on the way"):
        run(scenario)


def test_429_without_retry_after_waits_long_enough_for_the_window_to_slide():
    """MOCO names no wait and counts over 120 s; seven refusals in a row must not end the run."""
    fake = FakeTime()

    async def scenario() -> Any:
        with aioresponses() as mocked:
            for _ in range(7):
                mocked.get(f"{BASE}/users", status=429, body="")
            mocked.get(f"{BASE}/users", payload=[])
            async with aiohttp.ClientSession() as session:
                service = make_service(session, fake, requests=120, per_seconds=120.0)
                return await service.request("GET", "/users")

    assert run(scenario).status == 200
    assert len(fake.sleeps) == 7 and sum(fake.sleeps) > 60 and max(fake.sleeps) <= 60.6
