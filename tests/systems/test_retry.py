"""The HTTP core's retries: what is tried again and how long it waits, and that a create whose
outcome is unknown is never re-sent (HTTP mocked, time faked)."""

from __future__ import annotations

import asyncio
import random
import time
from typing import Any

import aiohttp
import pytest
from aioresponses import CallbackResult, aioresponses

from reconciler.errors import OutcomeUnknown, RateLimited, Unavailable
from reconciler.systems.http import Response, Retryable, RetryPolicy
from tests.systems.helpers import BASE, FakeTime, RealTime, calls, make_service, run

# ----------------------------------------------------------------------------- retries


def test_429_without_retry_after_pauses_a_whole_window_then_retries():
    """A 429 that names no wait: the service's budget is spent, so the retry waits one whole window
    (here 10 s, plus the limiter's margin), not a short back-off that would meet the full window again."""
    fake = FakeTime()

    async def scenario() -> Any:
        with aioresponses() as mocked:
            mocked.get(f"{BASE}/users", status=429, body="")
            mocked.get(f"{BASE}/users", status=429, body="")
            mocked.get(f"{BASE}/users", payload=[{"id": 1}])
            async with aiohttp.ClientSession() as session:
                return await make_service(session, fake, requests=5, per_seconds=10.0,
                                          retry=RetryPolicy(total_seconds=60)).request("GET", "/users")

    assert run(scenario).body == [{"id": 1}]
    assert fake.sleeps == [10.1, 10.1]


def test_a_503_backs_off_exponentially_with_jitter():
    fake = FakeTime()

    async def scenario() -> Any:
        with aioresponses() as mocked:
            mocked.get(f"{BASE}/users", status=503, body="")
            mocked.get(f"{BASE}/users", status=503, body="")
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


@pytest.mark.parametrize("failure", [
    *(pytest.param({"status": status, "body": "<html>bad gateway</html>", "content_type": "text/html"},
                   id=f"gateway-{status}") for status in (502, 503, 504)),
    pytest.param({"exception": aiohttp.ServerDisconnectedError()}, id="dropped-connection"),
    pytest.param({"exception": aiohttp.ClientConnectionResetError("Cannot write to closing transport")},
                 id="reset-keep-alive-connection"),
])
def test_a_read_that_failed_on_the_way_is_retried(failure):
    fake = FakeTime()

    async def scenario() -> Any:
        with aioresponses() as mocked:
            mocked.get(f"{BASE}/users", **failure)
            mocked.get(f"{BASE}/users", payload=[{"id": 1}])
            async with aiohttp.ClientSession() as session:
                return await make_service(session, fake).request("GET", "/users")

    assert run(scenario).status == 200


def send_create(failure: dict[str, Any], sent: list[int]) -> Response:
    """One create answered first with `failure`, then with success; `sent` gets how many were sent."""
    fake = FakeTime()

    async def scenario() -> Response:
        with aioresponses() as mocked:
            mocked.post(f"{BASE}/schedules", **failure)
            mocked.post(f"{BASE}/schedules", payload={"id": 1})
            async with aiohttp.ClientSession() as session:
                try:
                    return await make_service(session, fake).request("POST", "/schedules", json={"date": "2026-01-05"})
                finally:
                    sent.append(calls(mocked, "POST", f"{BASE}/schedules"))

    return run(scenario)


@pytest.mark.parametrize(("failure", "words"), [
    pytest.param({"exception": asyncio.TimeoutError()}, "timed out after it was sent", id="timeout"),
    pytest.param({"exception": aiohttp.ServerDisconnectedError()}, "the connection dropped after", id="dropped"),
    pytest.param({"status": 503}, "answered 503 after it was sent", id="503"),
    pytest.param({"status": 502}, "answered 502 after it was sent", id="502"),
    pytest.param({"status": 500}, "answered 500 after it was sent", id="500"),
    # Any other client error on a create is an unknown outcome too, not a crash.
    pytest.param({"exception": aiohttp.ClientConnectionResetError("Cannot write")}, "failed on the way",
                 id="other-client-error"),
])
def test_a_create_whose_outcome_is_unknown_is_reported_and_never_resent(failure, words):
    sent: list[int] = []
    with pytest.raises(OutcomeUnknown, match="may or may not have taken effect") as caught:
        send_create(failure, sent)
    assert sent == [1] and words in str(caught.value)


CONNECTION_REFUSED = aiohttp.ClientConnectorError(
    aiohttp.client_reqrep.ConnectionKey("acme.mocoapp.com", 443, True, None, None, None, None),
    ConnectionRefusedError(111, "refused"))


@pytest.mark.parametrize("failure", [
    pytest.param({"status": 429}, id="refused-with-429-was-not-processed"),
    pytest.param({"exception": CONNECTION_REFUSED}, id="could-not-connect-was-never-sent"),
])
def test_a_create_the_service_never_processed_is_retried(failure):
    sent: list[int] = []
    assert send_create(failure, sent).body == {"id": 1} and sent == [2]


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


def test_a_429_is_given_up_on_by_time_not_by_attempts():
    """MOCO names no wait and counts over 120 s: each 429 pauses a whole window (121 s), so within
    the default bound of 180 s a request meets at most two, and the error is the clear one."""
    fake = FakeTime()

    async def scenario() -> Any:
        with aioresponses() as mocked:
            mocked.get(f"{BASE}/users", status=429, body="", repeat=True)
            async with aiohttp.ClientSession() as session:
                service = make_service(session, fake, requests=120, per_seconds=120.0)
                return await service.request("GET", "/users")

    with pytest.raises(RateLimited, match=r"^MOCO: gave up after 2 attempts over 121 s: still rate-limited \(429\) "
                                          r"on GET /api/v1/users$"):
        run(scenario)
    assert fake.sleeps == [121.0]

    fake = FakeTime()

    async def short_retry_after() -> Any:
        with aioresponses() as mocked:
            mocked.get(f"{BASE}/users", status=429, headers={"Retry-After": "1"}, repeat=True)
            async with aiohttp.ClientSession() as session:
                return await make_service(session, fake, retry=RetryPolicy(total_seconds=30)).request("GET", "/users")

    with pytest.raises(RateLimited, match=r"gave up after 30 attempts over 29 s"):  # far more than `attempts`
        run(short_retry_after)


def test_the_retry_decision_is_bounded_in_attempts_and_time_and_waits_the_pause_after_429():
    policy = RetryPolicy(attempts=3, base_delay=1, max_delay=4, total_seconds=10)
    rng = random.Random(1)
    failure = Retryable("503")
    assert policy.wait(failure, 2, 0.0, rng=rng) is not None
    assert policy.wait(failure, 3, 0.0, rng=rng) is None  # attempts used up
    assert policy.wait(Retryable("503", retry_after=11.0), 1, 0.0, rng=rng) is None  # over the time
    assert policy.wait(Retryable("503", retry_after=10.0), 1, 0.0, rng=rng) is None  # would start at it
    assert policy.wait(failure, 1, 9.5, rng=rng) is None  # no retry starts past the bound
    limited = Retryable("429", limited=True)  # a 429: the service's pause, any number of attempts ...
    assert policy.wait(limited, 50, 0.0, rng=rng, pause=2.0) == 2.0
    assert policy.wait(limited, 1, 8.0, rng=rng, pause=2.0) is None  # ... within the same time bound
    assert policy.wait(limited, 1, 0.0, rng=rng, pause=121.2) is None


# ----------------------------------------------------------------------------- 429: the whole service pauses


def test_after_a_429_every_request_of_the_service_pauses_a_whole_window():
    """Eight requests at once; the first answer is a 429 (another process spent the budget). None of
    the others starts during the pause of a whole window; after it, the budget is back in full."""
    fake = FakeTime()
    starts: list[float] = []
    answers = iter([CallbackResult(status=429)])

    def answer(url: Any, **kwargs: Any) -> CallbackResult:
        starts.append(fake.now)
        return next(answers, CallbackResult(status=200, payload=[]))

    async def scenario() -> list[int]:
        with aioresponses() as mocked:
            mocked.get(f"{BASE}/users", callback=answer, repeat=True)
            async with aiohttp.ClientSession() as session:
                # One in flight: the first answer arrives before anything else is sent.
                service = make_service(session, fake, requests=10, per_seconds=10.0,
                                       retry=RetryPolicy(total_seconds=60), max_in_flight=1)
                done = await asyncio.gather(*(service.request("GET", "/users") for _ in range(8)))
                return [d.status for d in done]

    assert run(scenario) == [200] * 8
    offsets = [round(s - 1000.0, 2) for s in starts]
    assert offsets == [0.0] + [10.1] * 8  # one 429; nothing during the whole window (+ margin); then each once


def test_retry_after_pauses_every_request_for_that_long_then_the_budget_comes_back_at_the_steady_pace():
    fake = FakeTime()
    starts: list[float] = []
    answers = iter([CallbackResult(status=429, headers={"Retry-After": "7"})])

    def answer(url: Any, **kwargs: Any) -> CallbackResult:
        starts.append(fake.now)
        return next(answers, CallbackResult(status=200, payload=[]))

    async def scenario() -> None:
        with aioresponses() as mocked:
            mocked.get(f"{BASE}/users", callback=answer, repeat=True)
            async with aiohttp.ClientSession() as session:
                service = make_service(session, fake, requests=100, per_seconds=10.0, max_in_flight=1)
                await asyncio.gather(*(service.request("GET", "/users") for _ in range(3)))

    run(scenario)
    assert [round(s - 1000.0, 3) for s in starts] == [0.0, 7.0, 7.101, 7.202]


def test_time_paused_for_another_requests_429_does_not_count_against_a_request():
    """The request that met the 429 waits the pause on its own bound; the others only queue, so a
    bound far shorter than the whole run still lets every one of them through. (Real time: the fake
    clock adds up sleeps that run side by side.)"""
    answers = iter([CallbackResult(status=429)])

    def answer(url: Any, **kwargs: Any) -> CallbackResult:
        return next(answers, CallbackResult(status=200, payload=[]))

    async def scenario() -> tuple[list[int], float]:
        with aioresponses() as mocked:
            mocked.get(f"{BASE}/users", callback=answer, repeat=True)
            async with aiohttp.ClientSession() as session:
                service = make_service(session, RealTime(), requests=2, per_seconds=0.5,
                                       retry=RetryPolicy(total_seconds=0.8), max_in_flight=1)
                started = time.monotonic()
                done = await asyncio.gather(*(service.request("GET", "/users") for _ in range(6)))
                return [d.status for d in done], time.monotonic() - started

    statuses, took = run(scenario)
    assert statuses == [200] * 6
    assert took > 1.6  # the pause, then two starts per window of 0.55 s: twice any one request's bound


def test_requests_waiting_for_an_in_flight_place_do_not_go_out_during_the_pause():
    """The limiter books a start when the request really goes out. Booked earlier, the requests
    queued behind the two in flight would go out right after the 429, into the spent window.
    (Real time, as the answers overlap.)"""
    starts: list[float] = []

    async def answer(url: Any, **kwargs: Any) -> CallbackResult:
        starts.append(time.monotonic())
        first = len(starts) == 1
        await asyncio.sleep(0.05)
        return CallbackResult(status=429 if first else 200, payload=[])

    async def scenario() -> None:
        with aioresponses() as mocked:
            mocked.get(f"{BASE}/users", callback=answer, repeat=True)
            async with aiohttp.ClientSession() as session:
                service = make_service(session, RealTime(), requests=100, per_seconds=0.5, max_in_flight=2)
                await asyncio.gather(*(service.request("GET", "/users") for _ in range(10)))

    run(scenario)
    offsets = sorted(s - starts[0] for s in starts)
    assert len(offsets) == 11 and offsets[1] < 0.01  # two went out at once; the first was refused
    assert offsets[2] >= 0.55  # the others waited the whole window (0.5 s + margin) from that answer


def test_a_service_limited_for_longer_than_the_bound_fails_every_request_instead_of_holding_them():
    """A Retry-After of an hour: every request gives up with the clear message within about the
    bound each, instead of the run queueing for an hour behind the pause."""
    fake = FakeTime()

    async def scenario() -> list[BaseException]:
        with aioresponses() as mocked:
            mocked.get(f"{BASE}/users", status=429, headers={"Retry-After": "3600"}, repeat=True)
            async with aiohttp.ClientSession() as session:
                service = make_service(session, fake, retry=RetryPolicy(total_seconds=5), max_in_flight=1)
                return await asyncio.gather(*(service.request("GET", "/users") for _ in range(3)),
                                            return_exceptions=True)

    errors = run(scenario)
    assert [str(e) for e in errors] == ["MOCO: gave up after 1 attempt over 0 s: still rate-limited (429) on "
                                        "GET /api/v1/users"] * 3
    assert fake.now - 1000.0 == pytest.approx(10.0)  # two capped pauses of 5 s, not an hour
