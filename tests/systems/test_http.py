"""The HTTP core: pacing, error mapping, credential renewal, and what a vendor plugs in (an error
reader, a pager). Retries are in test_retry.py. HTTP is mocked."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aioresponses import CallbackResult, aioresponses

import reconciler.systems.http as http_package
from reconciler.errors import AuthenticationFailed, NotFound, PermissionDenied, Rejected
from reconciler.systems.http import ErrorText, Hints, SlidingWindowLimiter, read_error_body
from tests.conftest import sample
from tests.systems.helpers import BASE, PERSONIO, FakeTime, make_service, run

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


def test_a_refusal_books_the_whole_budget_as_spent():
    """After a 429 without Retry-After nothing starts for a whole window, whatever this run counted;
    then the full budget is back, as at the start of a run."""
    fake = FakeTime()
    limiter = SlidingWindowLimiter(3, 10.0, clock=fake.clock, sleep=fake.sleep)  # window 10.1 s with the margin
    starts: list[float] = []

    async def scenario() -> None:
        await limiter.acquire()  # one of three used: the run thinks two are left
        assert limiter.refused() == 10.1 and limiter.paused_for() == pytest.approx(10.1)
        for _ in range(4):
            await limiter.acquire()
            starts.append(fake.now - 1000.0)

    run(scenario)
    assert starts == pytest.approx([10.1, 10.1, 10.1, 20.2])


def test_a_refusal_with_retry_after_pauses_that_long_then_paces_steadily():
    fake = FakeTime()
    limiter = SlidingWindowLimiter(4, 10.0, clock=fake.clock, sleep=fake.sleep)  # one start per 2.525 s
    starts: list[float] = []

    async def scenario() -> None:
        assert limiter.refused(3.0) == 3.0
        assert limiter.refused(1.0) == 3.0  # a shorter pause does not cut a longer one short
        assert limiter.refused() == 10.1  # a longer one replaces it
        assert limiter.refused(30.0) == 30.0
        for _ in range(3):
            await limiter.acquire()
            starts.append(round(fake.now - 1000.0, 3))

    run(scenario)
    assert starts == [30.0, 32.525, 35.05]


def test_a_pause_is_never_longer_than_asked_for():
    """A Retry-After of an hour must not hold every queued request for an hour: the transport caps
    the pause at the time bound, and the queued requests then meet the service and give up by theirs."""
    fake = FakeTime()
    limiter = SlidingWindowLimiter(4, 10.0, clock=fake.clock, sleep=fake.sleep)
    assert limiter.refused(3600.0, at_most=180.0) == 180.0
    assert limiter.refused(at_most=5.0) == 180.0  # the longer pause stays
    fresh = SlidingWindowLimiter(4, 10.0, clock=fake.clock, sleep=fake.sleep)
    assert fresh.refused(at_most=5.0) == 5.0 and fresh.paused_for() == pytest.approx(5.0)

    async def scenario() -> float:
        for _ in range(4):  # after the capped pause, the whole budget, as after a whole window
            await fresh.acquire()
        return fake.now - 1000.0

    assert run(scenario) == pytest.approx(5.0)


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


def test_html_and_text_error_pages_do_not_flood_the_message():
    assert read_error_body("<html><body><h1>502 Bad Gateway</h1></body></html>") == ("", {}, None)
    text = sample("moco-error-500-employment-create.json")["body"]
    assert read_error_body(text)[0] == "500 Internal Server Error"


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

    def secrets(self) -> list[str]:
        return [f"t{n}" for n in range(1, self.token + 1)]


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


# ----------------------------------------------------------------------------- what a vendor plugs in


def test_the_http_core_names_no_vendor():
    folder = Path(http_package.__file__).parent
    for module in sorted(folder.glob("*.py")):
        text = module.read_text(encoding="utf-8").replace("reconcile-moco-personio", "")  # the project's own URL
        assert not re.search(r"(?i)moco|personio", text), module.name


def test_a_refusal_is_worded_by_the_error_reader_the_service_was_given():
    fake = FakeTime()

    def reader(body: Any) -> ErrorText:
        return ErrorText(f"said {body['code']}", {"date": ("taken",)}, "trace-7")

    async def scenario() -> None:
        with aioresponses() as mocked:
            mocked.post(f"{BASE}/schedules", status=422, payload={"code": 17})
            async with aiohttp.ClientSession() as session:
                await make_service(session, fake, error_reader=reader).request("POST", "/schedules", json={})

    with pytest.raises(Rejected) as caught:
        run(scenario)
    assert str(caught.value) == "MOCO: POST /api/v1/schedules was refused (422): said 17 (trace id trace-7)"
    assert caught.value.fields == {"date": ("taken",)} and caught.value.detail == "said 17"


def test_the_default_error_reader_knows_only_plain_text_and_a_message():
    assert read_error_body({"message": "Invalid payload"}) == ("Invalid payload", {}, None)
    assert read_error_body({"errors": ["a vendor's shape"]}) == ("", {}, None)
    assert read_error_body(["x"]) == read_error_body(None) == read_error_body("  \n") == ("", {}, None)
    assert read_error_body("x" * 300 + "\nmore").message == "x" * 200


def test_pages_reads_a_list_with_the_pager_the_service_was_given():
    fake = FakeTime()
    seen: list[tuple[Any, ...]] = []

    async def pager(service: Any, path: str, params: dict[str, Any] | None = None) -> list[dict[str, Any]]:
        seen.append((service.name, path, params))
        return [{"id": 1}]

    async def scenario() -> Any:
        async with aiohttp.ClientSession() as session:
            return await make_service(session, fake, pager=pager).pages("/users", {"active": "true"})

    assert run(scenario) == [{"id": 1}]
    assert seen == [("MOCO", "/users", {"active": "true"})]


def test_pages_without_a_pager_is_a_programming_error():
    async def scenario() -> None:
        async with aiohttp.ClientSession() as session:
            await make_service(session, FakeTime()).pages("/users")

    with pytest.raises(TypeError, match="no pager"):
        run(scenario)
