"""What the tests of tests/systems share: a clock that only moves when somebody sleeps, a `Service`
on it, the clients of a run on mocked HTTP, a service that sends nothing (`Canned`: the clients'
readers on given payloads), and counting the calls aioresponses saw."""

from __future__ import annotations

import asyncio
import copy
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

import aiohttp
from aioresponses import aioresponses
from multidict import CIMultiDict, CIMultiDictProxy

from reconciler.spec import parse_spec
from reconciler.systems.connect import Credentials, Tuning, open_clients
from reconciler.systems.http import Keep, Response, RetryPolicy, Service, SlidingWindowLimiter, StaticAuth, kept

BASE = "https://acme.mocoapp.com/api/v1"
MOCO = BASE
PERSONIO = "https://api.personio.de"
SPEC = parse_spec("""\
version: 1
start_date: 2026-01-01
moco: {subdomain: acme}
absences: {types: {Paid vacation: holiday}}
attendances: {direction: moco_to_personio}
""", today=date(2026, 11, 25))
CREDENTIALS = Credentials("moco-SECRET", "client-id", "client-SECRET")
TOKEN = {"access_token": "papi-token-1", "token_type": "Bearer", "expires_in": 86400}


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


class RealTime:
    """The clock and sleep of a run, for a `make_service` whose requests wait side by side (FakeTime
    would add their sleeps up)."""

    clock = staticmethod(time.monotonic)
    sleep = staticmethod(asyncio.sleep)


def run(scenario: Any) -> Any:
    return asyncio.run(scenario())


def make_service(session: aiohttp.ClientSession, fake: FakeTime, *, base: str = BASE, requests: int = 1000,
                 per_seconds: float = 1.0, retry: RetryPolicy = RetryPolicy(), auth: Any = None,
                 **plugged: Any) -> Service:
    """A service on the fake clock; `plugged` are what a vendor plugs in (hints, error_reader, pager)."""
    return Service(
        name="MOCO", base_url=base, session=session,
        limiter=SlidingWindowLimiter(requests, per_seconds, clock=fake.clock, sleep=fake.sleep),
        auth=auth or StaticAuth({"Authorization": "Token token=SECRET-KEY-123"}), retry=retry,
        sleep=fake.sleep, clock=fake.clock, **plugged,
    )


def calls(mocked: aioresponses, method: str, url_prefix: str) -> int:
    return sum(len(v) for (m, url), v in mocked.requests.items() if m == method and str(url).startswith(url_prefix))


def users(count: int, start: int = 1) -> list[dict[str, Any]]:
    return [{"id": i, "email": f"u{i}@x.example"} for i in range(start, start + count)]


def run_with_clients(body: Any, *, mock: Any = None) -> Any:
    """`body(clients, mocked)` on the clients of a run against mocked HTTP; Personio's token is given."""
    fake = FakeTime()

    async def scenario() -> Any:
        with aioresponses() as mocked:
            mocked.post(f"{PERSONIO}/v2/auth/token", payload=TOKEN, repeat=True)
            if mock:
                mock(mocked)
            async with open_clients(SPEC, CREDENTIALS, Tuning(sleep=fake.sleep, clock=fake.clock)) as clients:
                return await body(clients, mocked)

    return asyncio.run(scenario())


def paged(payload: list, total: int | None = None) -> dict[str, Any]:
    headers = {"X-Total": str(len(payload) if total is None else total), "X-Per-Page": "100", "X-Page": "1"}
    return {"payload": payload, "headers": headers}


@dataclass
class Canned(Service):
    """A service that sends nothing: its lists come from its pager, and every request is answered
    200 with `answer`."""

    answer: Any = None

    async def request(self, method: str, target: str, *, params: dict[str, Any] | None = None,
                      **kwargs: Any) -> Response:
        return Response(200, CIMultiDictProxy(CIMultiDict()), copy.deepcopy(self.answer),
                        self.endpoint(method, target, params))


def canned(name: str, base: str, rows: Callable[[str, dict[str, Any]], list[Any]] | Sequence[Any] = (),
           answer: Any = None) -> Canned:
    """A `Canned` service whose lists are `rows` (or `rows(path, params)`), each read a fresh copy."""

    async def pager(service: Service, path: str, params: dict[str, Any] | None = None, *,
                    keep: Keep | None = None) -> list[Any]:
        return kept(keep, copy.deepcopy(rows(path, params or {}) if callable(rows) else list(rows)))

    return Canned(name=name, base_url=base, session=None, limiter=SlidingWindowLimiter(1000, 1.0),  # type: ignore[arg-type]
                  auth=StaticAuth({"Authorization": "Token token=SECRET-KEY-123"}), pager=pager, answer=answer)
