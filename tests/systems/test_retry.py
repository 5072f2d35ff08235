"""The HTTP core's retries: what is tried again and how long it waits, and that a create whose
outcome is unknown is never re-sent (HTTP mocked, time faked)."""

from __future__ import annotations

import asyncio
import random
from typing import Any

import aiohttp
import pytest
from aioresponses import aioresponses

from reconciler.errors import OutcomeUnknown, RateLimited, Unavailable
from reconciler.systems.http import Response, Retryable, RetryPolicy
from tests.systems.helpers import BASE, FakeTime, calls, make_service, run

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


def test_the_retry_decision_is_bounded_in_attempts_and_time_and_patient_with_429():
    policy = RetryPolicy(attempts=3, base_delay=1, max_delay=4, total_seconds=10)
    rng = random.Random(1)
    failure = Retryable("503")
    assert policy.wait(failure, 2, 0.0, window=1.0, rng=rng) is not None
    assert policy.wait(failure, 3, 0.0, window=1.0, rng=rng) is None  # attempts used up
    assert policy.wait(Retryable("503", retry_after=11.0), 1, 0.0, window=1.0, rng=rng) is None  # over the time
    assert policy.wait(Retryable("503", retry_after=10.0), 1, 0.0, window=1.0, rng=rng) is None  # would start at it
    assert policy.wait(failure, 1, 9.5, window=1.0, rng=rng) is None  # no retry starts past the bound
    limited = Retryable("429", limited=True)  # a 429 without Retry-After: 8 attempts, waits up to half a window
    patient = RetryPolicy(attempts=3, base_delay=1, max_delay=4, total_seconds=300)
    delay = patient.wait(limited, 7, 0.0, window=120.0, rng=rng)
    assert delay is not None and 4 < delay <= 60
    assert patient.wait(limited, 8, 0.0, window=120.0, rng=rng) is None
    assert policy.wait(limited, 7, 0.0, window=120.0, rng=rng) is None  # ... but within the same time bound
