"""The transport under every client: one `aiohttp.ClientSession` per run and, per API, a `Service`.

A `Service` paces its requests below the API's limit (limiter.py), retries what is safe to retry
(retry.py), turns refusals into typed errors (errors.py) and reads whole lists with a pager
(paging.py). It knows no vendor: the vendor's package supplies the error reader, the pager, the
hints and the authenticator.

`request` is a loop over a few named steps under one `Deadline` (the retry policy's time bound):
`_attempt` sends once, its timeout cut to the time left, and returns the answer or a failure worth
another try (raising what is final), `_judge` says what a non-2xx answer means, and `_pause` waits
before the next attempt or gives up. Every error it raises has the credentials masked, even where
the service echoed them.
"""

from __future__ import annotations

import asyncio
import json as jsonlib
import random
import time
from collections.abc import Callable
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from functools import lru_cache
from typing import Any, TypeVar
from urllib.parse import urlsplit

import aiohttp
import orjson
from multidict import CIMultiDictProxy
from yarl import URL

from reconciler import __version__
from reconciler.errors import ApiError
from reconciler.systems.http.auth import Authenticator
from reconciler.systems.http.errors import ErrorReader, Hints, error_for, read_error_body, redact, redact_error
from reconciler.systems.http.fields import Reader, Record, Source
from reconciler.systems.http.limiter import Clock, Sleep, SlidingWindowLimiter
from reconciler.systems.http.paging import Keep, Pager
from reconciler.systems.http.retry import (
    IDEMPOTENT,
    Deadline,
    Retryable,
    RetryPolicy,
    answer_failure,
    gave_up,
    wire_failure,
)

T = TypeVar("T")
USER_AGENT = f"reconcile/{__version__} (+https://github.com/reconcile-moco-personio/reconcile)"


@dataclass(frozen=True)
class Timeouts:
    """One attempt's timeouts; the retry policy's time bound may cut them shorter."""

    total: float = 60.0
    connect: float = 10.0
    read: float = 30.0

    def client_timeout(self, limit: float | None = None) -> aiohttp.ClientTimeout:
        """These timeouts, none longer than `limit` seconds, each to the second (not rounded up)."""
        def cut(seconds: float) -> float:
            return seconds if limit is None else max(0.001, min(seconds, limit))

        return aiohttp.ClientTimeout(total=cut(self.total), connect=cut(self.connect), sock_read=cut(self.read),
                                     ceil_threshold=float("inf"))


@dataclass(frozen=True)
class Call:
    """One request, sent alike on every attempt."""

    method: str
    url: URL
    idempotent: bool  # safe to send twice
    authenticate: bool = True
    json: Any = None
    form: dict[str, str] | None = None

    @property
    def text(self) -> str:
        """How messages name the call, e.g. `GET /api/v1/users?page=2`."""
        return f"{self.method} {self.url.path}" + (f"?{self.url.query_string}" if self.url.query_string else "")


@dataclass(frozen=True)
class Response:
    status: int
    headers: CIMultiDictProxy[str]
    body: Any  # parsed JSON, else text, else None
    call: str

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300


# Requests sent by the current task and those it started, counted into the list it holds (None: not counted):
# a caller that may abandon a piece of work learns whether any of it went out (apply.py, on SIGTERM).
SENT: ContextVar[list[int] | None] = ContextVar("SENT", default=None)


@dataclass
class Service:
    """One API: its root, pacing, retry policy, credentials, and how it words errors and pages lists."""

    name: str  # the service as messages name it
    base_url: str  # requests are made relative to this; never a trailing slash
    session: aiohttp.ClientSession
    limiter: SlidingWindowLimiter
    auth: Authenticator
    hints: Hints = field(default_factory=Hints)
    error_reader: ErrorReader = read_error_body
    pager: Pager | None = None  # how `pages` reads a list; None: this service has no lists to read
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    timeouts: Timeouts = field(default_factory=Timeouts)
    headers: dict[str, str] = field(default_factory=dict)
    max_in_flight: int = 8
    sleep: Sleep = asyncio.sleep
    clock: Clock = time.monotonic
    rng: random.Random = field(default_factory=random.Random)
    requests_sent: int = 0
    throttled: int = 0  # answers 429 Too Many Requests (for `reconcile serve`'s metrics)
    last_date: datetime | None = None  # the service's clock: the `Date` header of its latest answer

    def __post_init__(self) -> None:
        self._in_flight = asyncio.Semaphore(self.max_in_flight)
        self.base_url = self.base_url.rstrip("/")

    # ------------------------------------------------------------------ addresses and words

    def endpoint(self, method: str, target: str, params: dict[str, Any] | None = None) -> str:
        """How messages name a call, e.g. `GET /api/v1/users?include_archived=true`."""
        return Call(method.upper(), self.url(target, params), idempotent=True).text

    def source(self, method: str, target: str, params: dict[str, Any] | None = None) -> Source:
        """Where the records of this call come from, as messages about them name it."""
        return Source(self.name, self.endpoint(method, target, params), self.redact)

    def redact(self, text: str) -> str:
        """`text` with the credentials this service sends masked."""
        return redact(text, self.auth.secrets())

    def url(self, target: str, params: dict[str, Any] | None = None) -> URL:
        """`target` is a path below base_url, or an absolute URL (a pagination link); `params` are
        added to its query (None values left out).

        A link's path and query are used as given, but always on the configured host: credentials
        never travel to a host the spec did not name, and proxies in front of the API keep working.
        """
        base = urlsplit(self.base_url)
        origin = f"{base.scheme}://{base.netloc}"
        if target.startswith(("http://", "https://")):
            parts = urlsplit(target)
            url = URL(origin + parts.path + (f"?{parts.query}" if parts.query else ""), encoded=True)
        elif base.path and target.startswith(base.path + "/"):  # a relative link that already names the root
            url = URL(origin + target, encoded=True)
        else:
            url = URL(self.base_url + target, encoded=True)
        if params:
            url = url.update_query({k: str(v) for k, v in params.items() if v is not None})
        return url

    # ------------------------------------------------------------------ requests

    async def request(self, method: str, target: str, *, params: dict[str, Any] | None = None,
                      json: Any = None, form: dict[str, str] | None = None, idempotent: bool | None = None,
                      authenticate: bool = True) -> Response:
        """Send one call, retrying what is safe within the retry policy's time bound; return a 2xx
        response or raise an `ApiError` (with the credentials masked)."""
        method = method.upper()
        call = Call(method, self.url(target, params), method in IDEMPOTENT if idempotent is None else idempotent,
                    authenticate, json, form)
        try:
            return await self._send(call)
        except ApiError as exc:
            raise redact_error(exc, self.redact)

    async def _send(self, call: Call) -> Response:
        deadline = Deadline(self.retry.total_seconds, self.clock)
        renewed = False
        attempt = 0
        while True:
            attempt += 1
            used, outcome = await self._attempt(call, deadline)
            if isinstance(outcome, Response):
                if outcome.ok:
                    return outcome
                if not renewed and await self._renewed(call, outcome, used):
                    renewed = True
                    attempt -= 1  # a fresh token is not a retry
                    continue
                outcome = self._judge(call, outcome)
            await self._pause(call, outcome, attempt, deadline)

    async def _attempt(self, call: Call, deadline: Deadline) -> tuple[dict[str, str], Response | Retryable]:
        """Send `call` once, waiting no longer than the `deadline` leaves: the credentials it carried,
        and the answer or a failure worth another try. Queueing behind the pacing is not counted."""
        headers = {"Accept": "application/json", "User-Agent": USER_AGENT, **self.headers}
        used = await self.auth.headers() if call.authenticate else {}
        headers.update(used)
        queued = self.clock()
        try:
            # An in-flight place first, then the pacing: a request starts the moment the limiter books
            # it, so the service sees the pace the limiter keeps, and none that was booked before a 429
            # goes out after it.
            async with self._in_flight:
                await self.limiter.acquire()
                deadline.exclude(self.clock() - queued)
                if deadline.left() <= 0:  # e.g. renewing the credentials took it all; nothing was sent
                    return used, Retryable(f"{call.text} timed out", unreachable=True, silent=True)
                self.requests_sent += 1
                if (sent := SENT.get()) is not None:
                    sent[0] += 1
                async with self.session.request(call.method, call.url, headers=headers, json=call.json,
                                                data=call.form, timeout=self.timeouts.client_timeout(deadline.left()),
                                                allow_redirects=False) as answer:
                    self.last_date = _stamp(answer.headers.get("Date")) or self.last_date
                    self.throttled += answer.status == 429
                    return used, Response(answer.status, answer.headers, await _read_body(answer), call.text)
        except (aiohttp.ClientError, asyncio.TimeoutError) as exc:
            return used, wire_failure(exc, service=self.name, base_url=self.base_url, call=call.text,
                                      idempotent=call.idempotent)

    async def _renewed(self, call: Call, response: Response, used: dict[str, str]) -> bool:
        """After a 401: whether fresh credentials are worth sending the call once more."""
        return response.status == 401 and call.authenticate and await self.auth.renew(used)

    def _judge(self, call: Call, response: Response) -> Retryable:
        """A non-2xx answer: a failure worth another try; raises the typed error when it is final."""
        failure = answer_failure(response.status, response.headers, service=self.name, call=call.text,
                                 idempotent=call.idempotent)
        if failure is None:
            raise self.error_for(response)
        return failure

    async def _pause(self, call: Call, failure: Retryable, attempt: int, deadline: Deadline) -> None:
        """Wait before the next attempt, or raise when the retry policy says to give up.

        After a 429 the whole service pauses (the limiter books its budget as spent), and this
        request waits out that pause, which counts against its time bound: the service asked for it.
        The requests queued behind the pause do not count it; it is never longer than the bound.
        """
        elapsed = min(deadline.spent(), deadline.seconds)
        pause = None
        if failure.limited:
            pause = self.limiter.refused(failure.retry_after, at_most=self.retry.total_seconds)
        delay = self.retry.wait(failure, attempt, elapsed, rng=self.rng, pause=pause)
        if delay is None:
            raise gave_up(self.name, call.text, failure, attempt, elapsed, self.hints.unreachable)
        await self.sleep(delay)

    def error_for(self, response: Response) -> ApiError:
        """The typed error for a final non-2xx `response`, in the words of this service's error reader."""
        return error_for(self.name, response.status, response.call, self.error_reader(response.body), self.hints)

    # ------------------------------------------------------------------ lists

    async def records(self, path: str, params: dict[str, Any] | None, kind: str) -> list[Record]:
        """Every record of the list at `path`, each to be read field by field as a `kind`."""
        source = self.source("GET", path, params)
        return [Record(source, kind, row) for row in await self.pages(path, params)]

    async def read(self, path: str, params: dict[str, Any] | None, kind: str, parse: Callable[..., T | None],
                   notices: list[str], *, fast: Callable[[dict[str, Any]], T | None] | None = None,
                   noting: bool = False) -> list[T]:
        """`read_all` of the list at `path`, each page read as it arrives (see `Reader`), so that no raw
        page is kept longer than it takes to read it: what a long list costs in memory is its records."""
        reader = Reader(self.source("GET", path, params), kind, parse, fast=fast, noting=noting)
        return reader.done(await self.pages(path, params, keep=reader), notices)

    async def pages(self, path: str, params: dict[str, Any] | None = None, *, keep: Keep | None = None) -> list[Any]:
        """Every record of the list at `path`, read with this service's pager (with `keep`, what it keeps
        of each page); an error it raises has the credentials masked."""
        if self.pager is None:
            raise TypeError(f"the {self.name} service was given no pager")
        try:
            return await (self.pager(self, path, params) if keep is None else self.pager(self, path, params,
                                                                                          keep=keep))
        except ApiError as exc:
            raise redact_error(exc, self.redact)


# A run of 19 digits may be an integer beyond 64 bits, which orjson reads as a float and the json module as
# an int: such a body is read by the json module (a digit run inside a string costs only that). Found by
# turning every digit into "0" and anything else into a space (several times faster than a regex).
_DIGITS_AS_ZERO = bytes(b"0"[0] if chr(byte).isdigit() and byte < 128 else b" "[0] for byte in range(256))
_LONG_DIGITS = b"0" * 19


async def _read_body(answer: aiohttp.ClientResponse) -> Any:
    raw = await answer.read()
    if not raw:
        return None
    if raw.lstrip(b" \t\n\r")[:1] in (b"{", b"[") and _LONG_DIGITS not in raw.translate(_DIGITS_AS_ZERO):
        # The common answer, read by orjson (several times faster, and its dict keys are shared). It reads
        # strict UTF-8 JSON alike; whatever it refuses (NaN, lone surrogates, bad UTF-8) the json module
        # below reads as before.
        try:
            return orjson.loads(raw)
        except orjson.JSONDecodeError:
            pass
    text = raw.decode("utf-8", errors="replace")
    if "json" in (answer.content_type or "") or text.lstrip()[:1] in ("{", "["):
        try:
            return jsonlib.loads(text)
        except ValueError:
            return text
    return text


@lru_cache(maxsize=64)  # every answer has one, and answers within the same second have the same
def _stamp(value: str | None) -> datetime | None:
    """An HTTP `Date` header (RFC 9110's IMF-fixdate) as an aware UTC moment; None when absent or unreadable."""
    try:
        moment = parsedate_to_datetime(value) if value else None
    except (TypeError, ValueError):
        return None
    return moment.astimezone(UTC) if moment and moment.tzinfo else None
