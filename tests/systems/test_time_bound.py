"""`RetryPolicy.total_seconds` bounds one request's whole time, attempts and waits together: each
attempt's timeout is cut to what is left, no retry starts past it, and the error says which
service and call did not answer and for how long. Time queued behind the run's own pacing does not
count. Most tests run on the fake clock; two use a real listener that accepts and never answers."""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import date
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aioresponses import CallbackResult, aioresponses

from reconciler.errors import RateLimited, Unavailable
from reconciler.spec import parse_spec
from reconciler.systems.connect import Tuning, open_clients
from reconciler.systems.http import Hints, RetryPolicy, Timeouts
from tests.systems.helpers import BASE, CREDENTIALS, MOCO, SPEC, FakeTime, make_service, run

HINTS = Hints(unreachable="check moco.base_url or the network")
DOCS = Path(__file__).resolve().parents[2] / "docs" / "http.md"


def silent(fake: FakeTime, seen: list[aiohttp.ClientTimeout]) -> Any:
    """An answer that never comes: the attempt's clock runs until its first timeout fires."""

    def answer(url: Any, **kwargs: Any) -> CallbackResult:
        timeout = kwargs["timeout"]
        seen.append(timeout)
        fake.now += min(timeout.total, timeout.sock_read)
        raise asyncio.TimeoutError()

    return answer


def give_up_on_silence(retry: RetryPolicy, timeouts: Timeouts) -> tuple[str, float, list[aiohttp.ClientTimeout]]:
    """The error a silent service ends in, the fake seconds it took, and each attempt's timeouts."""
    fake = FakeTime()
    seen: list[aiohttp.ClientTimeout] = []

    async def scenario() -> None:
        with aioresponses() as mocked:
            mocked.get(f"{BASE}/users", callback=silent(fake, seen), repeat=True)
            async with aiohttp.ClientSession() as session:
                service = make_service(session, fake, retry=retry, hints=HINTS)
                service.timeouts = timeouts
                await service.request("GET", "/users")

    with pytest.raises(Unavailable) as caught:
        run(scenario)
    return str(caught.value), fake.now - 1000.0, seen


def test_five_seconds_give_up_at_five_seconds_with_the_last_attempt_cut_to_what_is_left():
    message, took, seen = give_up_on_silence(RetryPolicy(total_seconds=5), Timeouts(total=3, connect=3, read=3))
    assert message == "MOCO: GET /api/v1/users did not answer within 5 s (2 attempts); check moco.base_url or the network"
    assert took == pytest.approx(5.0)
    assert seen[0].total == 3 and 1.0 <= seen[1].total <= 1.5  # after a back-off of 0.5..1 s, what was left
    assert all(t.ceil_threshold == float("inf") for t in seen)  # aiohttp may not round a timeout up


def test_the_bound_cuts_every_timeout_of_an_attempt():
    message, took, seen = give_up_on_silence(RetryPolicy(total_seconds=5), Timeouts())
    assert message.startswith("MOCO: GET /api/v1/users did not answer within 5 s (1 attempt);")
    assert took == pytest.approx(5.0)
    assert (seen[0].total, seen[0].connect, seen[0].sock_read) == (5, 5, 5)


def test_the_default_bound_is_the_one_the_docs_state():
    assert RetryPolicy().total_seconds == 180
    assert "a request gives up after 6 attempts or 180 s" in " ".join(DOCS.read_text(encoding="utf-8").split())
    message, took, _seen = give_up_on_silence(RetryPolicy(), Timeouts())
    assert took == pytest.approx(180.0)  # not ~211 s, as when an attempt could start near the end
    assert message.startswith("MOCO: GET /api/v1/users did not answer within 180 s (")


def test_no_retry_starts_past_the_bound():
    fake = FakeTime()
    starts: list[float] = []

    def limited(url: Any, **kwargs: Any) -> CallbackResult:
        starts.append(fake.now)
        return CallbackResult(status=429, headers={"Retry-After": "2"})

    async def scenario() -> None:
        with aioresponses() as mocked:
            mocked.get(f"{BASE}/users", callback=limited, repeat=True)
            async with aiohttp.ClientSession() as session:
                await make_service(session, fake, retry=RetryPolicy(total_seconds=5)).request("GET", "/users")

    with pytest.raises(RateLimited, match=r"^MOCO: gave up after 3 attempts over 4 s: still rate-limited \(429\) on "
                                          r"GET /api/v1/users$"):
        run(scenario)
    assert [s - 1000.0 for s in starts] == [0.0, 2.0, 4.0]  # a fourth would have started at 6 s


def test_time_queued_behind_the_pacing_does_not_count():
    fake = FakeTime()

    async def scenario() -> list[int]:
        with aioresponses() as mocked:
            mocked.get(f"{BASE}/users", payload=[], repeat=True)
            async with aiohttp.ClientSession() as session:
                service = make_service(session, fake, requests=1, per_seconds=10.0, retry=RetryPolicy(total_seconds=5))
                answers = await asyncio.gather(*(service.request("GET", "/users") for _ in range(3)))
                return [answer.status for answer in answers]

    assert run(scenario) == [200, 200, 200]
    assert fake.now - 1000.0 > 20  # the third waited two windows for its turn, and was not given up on


def test_the_hint_names_the_spec_key_that_set_the_address():
    fake = FakeTime()

    async def scenario() -> None:
        with aioresponses() as mocked:
            mocked.get(re.compile(rf"{MOCO}/users.*"), exception=asyncio.TimeoutError(), repeat=True)
            tuning = Tuning(retry=RetryPolicy(total_seconds=5), sleep=fake.sleep, clock=fake.clock)
            async with open_clients(SPEC, CREDENTIALS, tuning) as clients:
                await clients.moco.users()

    with pytest.raises(Unavailable, match=r"did not answer within \d s \(\d attempts\); check moco.subdomain or the "
                                          r"network$"):
        asyncio.run(scenario())


# ----------------------------------------------------------------------------- on a real socket


@asynccontextmanager
async def listener_that_never_answers() -> AsyncIterator[str]:
    """A local address that accepts connections and reads requests, but never answers."""

    async def hold(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.read()  # until the client gives up and closes
        writer.close()

    server = await asyncio.start_server(hold, "127.0.0.1", 0)
    try:
        yield f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}"
    finally:
        server.close()
        await server.wait_closed()


def test_a_listener_that_never_answers_is_given_up_on_through_the_tuning_of_a_run():
    """What `--timeout 1` would set: both services give up after about a second, naming the spec key."""

    async def scenario() -> tuple[list[BaseException], float]:
        async with listener_that_never_answers() as address:
            spec = parse_spec(f"""\
version: 1
start_date: 2026-01-01
moco: {{base_url: "{address}/api/v1"}}
personio: {{base_url: "{address}"}}
absences: {{types: {{Paid vacation: holiday}}}}
attendances: {{direction: moco_to_personio}}
""", today=date(2026, 11, 25))
            started = time.monotonic()
            async with open_clients(spec, CREDENTIALS, Tuning(retry=RetryPolicy(total_seconds=1))) as clients:
                errors = await asyncio.gather(clients.moco.users(), clients.personio.persons(),
                                              return_exceptions=True)
            return list(errors), time.monotonic() - started

    errors, took = asyncio.run(scenario())
    assert took < 2.5
    assert [str(error) for error in errors] == [
        "MOCO: GET /api/v1/users?include_archived=true&per_page=100&page=1 did not answer within 1 s (1 attempt); "
        "check moco.base_url or the network",
        "Personio: POST /v2/auth/token did not answer within 1 s (1 attempt); check personio.base_url or the network",
    ]
