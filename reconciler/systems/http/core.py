"""The one HTTP core under the MOCO and Personio clients.

One `aiohttp.ClientSession` per run; per service a `Service` that paces requests below the
service's limit, retries what is safe to retry, maps failures to typed errors and reads both
pagination styles.

Pacing: `SlidingWindowLimiter` lets at most N requests start in any window of T seconds, the same
rule MOCO's sliding-window limiter enforces. (aiolimiter's leaky bucket was measured letting 19
requests into one 1-second window configured for 10: its initial burst plus its steady drip
exceeds a sliding window, so it would provoke the very 429s pacing is meant to avoid.)

Retries: 429 always (the service refused before doing anything); connection failures before the
request was sent always; 502/503/504, timeouts and dropped connections only for idempotent calls
(GET, PUT, PATCH, DELETE). A create (POST) that may have reached the service is never re-sent: it
raises `OutcomeUnknown` so the caller re-reads and decides. Back-off is exponential, capped and
jittered, honours `Retry-After`, and is bounded in attempts and total time. (A hand-written loop
rather than tenacity/stamina: the decision depends on method, failure kind and Retry-After
together, which reads more plainly as one function than as predicate and wait callbacks.)
"""

from __future__ import annotations

import asyncio
import json as jsonlib
import math
import random
import time
from collections import deque
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime
from typing import Any, Protocol
from urllib.parse import urlsplit

import aiohttp
from multidict import CIMultiDictProxy
from yarl import URL

from reconciler import __version__
from reconciler.errors import (
    ApiError,
    AuthenticationFailed,
    NotFound,
    OutcomeUnknown,
    PermissionDenied,
    RateLimited,
    Rejected,
    Unavailable,
    UnexpectedResponse,
)

USER_AGENT = f"reconcile/{__version__} (+https://github.com/reconcile-moco-personio/reconcile)"
IDEMPOTENT = frozenset({"GET", "HEAD", "PUT", "PATCH", "DELETE"})
RETRY_STATUSES = frozenset({429, 502, 503, 504})

Sleep = Callable[[float], Awaitable[None]]
Clock = Callable[[], float]


# --------------------------------------------------------------------------- pacing


class SlidingWindowLimiter:
    """At most `requests` request starts in any window of `per_seconds` seconds, waiting FIFO.

    A small safety margin widens the window, because the service counts arrivals and network
    delays vary: two requests sent exactly a window apart may arrive closer together.
    """

    def __init__(self, requests: int, per_seconds: float, *, clock: Clock = time.monotonic,
                 sleep: Sleep = asyncio.sleep) -> None:
        self.requests = requests
        self.window = per_seconds + min(1.0, max(0.05, per_seconds * 0.01))
        self._clock = clock
        self._sleep = sleep
        self._starts: deque[float] = deque()
        self._lock = asyncio.Lock()

    async def acquire(self) -> None:
        async with self._lock:
            while True:
                now = self._clock()
                while self._starts and self._starts[0] <= now - self.window:
                    self._starts.popleft()
                if len(self._starts) < self.requests:
                    self._starts.append(now)
                    return
                await self._sleep(self._starts[0] + self.window - now)


# --------------------------------------------------------------------------- configuration


@dataclass(frozen=True)
class RetryPolicy:
    attempts: int = 6  # tries per request, the first one included
    base_delay: float = 1.0  # first back-off; doubles each retry
    max_delay: float = 30.0  # cap of one back-off
    total_seconds: float = 180.0  # no retry starts after this much time on one request


@dataclass(frozen=True)
class Timeouts:
    total: float = 60.0
    connect: float = 10.0
    read: float = 30.0

    def client_timeout(self) -> aiohttp.ClientTimeout:
        return aiohttp.ClientTimeout(total=self.total, connect=self.connect, sock_read=self.read)


@dataclass(frozen=True)
class Hints:
    """What to tell the user per failure, e.g. which environment variable holds the key."""

    unauthorized: str = ""
    forbidden: str = ""


class Authenticator(Protocol):
    async def headers(self) -> dict[str, str]: ...

    async def renew(self, used: dict[str, str]) -> bool:
        """After a 401 with `used` headers: True when new credentials are worth one more try."""
        ...


class StaticAuth:
    def __init__(self, headers: dict[str, str]) -> None:
        self._headers = headers

    async def headers(self) -> dict[str, str]:
        return self._headers

    async def renew(self, used: dict[str, str]) -> bool:
        return False


@dataclass
class Response:
    status: int
    headers: CIMultiDictProxy[str]
    body: Any  # parsed JSON, else text, else None
    call: str


@dataclass
class Service:
    """One API: its root, pacing, retry policy, credentials and the words for its errors."""

    name: str  # "MOCO" or "Personio", as messages show it
    base_url: str  # requests are made relative to this; never a trailing slash
    session: aiohttp.ClientSession
    limiter: SlidingWindowLimiter
    auth: Authenticator
    hints: Hints = field(default_factory=Hints)
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    timeouts: Timeouts = field(default_factory=Timeouts)
    headers: dict[str, str] = field(default_factory=dict)
    max_in_flight: int = 8
    sleep: Sleep = asyncio.sleep
    clock: Clock = time.monotonic
    rng: random.Random = field(default_factory=random.Random)
    requests_sent: int = 0

    def __post_init__(self) -> None:
        self._in_flight = asyncio.Semaphore(self.max_in_flight)
        self.base_url = self.base_url.rstrip("/")

    # ------------------------------------------------------------------ addresses

    def url(self, target: str) -> URL:
        """`target` is a path below base_url, or an absolute URL (a pagination link).

        A link's path and query are used as given, but always on the configured host: credentials
        never travel to a host the spec did not name, and proxies in front of the API keep working.
        """
        base = urlsplit(self.base_url)
        origin = f"{base.scheme}://{base.netloc}"
        if target.startswith(("http://", "https://")):
            parts = urlsplit(target)
            return URL(origin + parts.path + (f"?{parts.query}" if parts.query else ""), encoded=True)
        if base.path and target.startswith(base.path + "/"):  # a relative link that already names the root
            return URL(origin + target, encoded=True)
        return URL(self.base_url + target, encoded=True)

    # ------------------------------------------------------------------ requests

    async def request(self, method: str, target: str, *, params: dict[str, Any] | None = None,
                      json: Any = None, form: dict[str, str] | None = None, idempotent: bool | None = None,
                      authenticate: bool = True) -> Response:
        """Send one call, retrying what is safe; return a 2xx response or raise an `ApiError`."""
        method = method.upper()
        idempotent = method in IDEMPOTENT if idempotent is None else idempotent
        url = self.url(target)
        if params:
            url = url.update_query({k: str(v) for k, v in params.items() if v is not None})
        call = f"{method} {url.path}" + (f"?{url.query_string}" if url.query_string else "")
        started = self.clock()
        renewed = False
        attempt = 0
        while True:
            attempt += 1
            headers = {"Accept": "application/json", "User-Agent": USER_AGENT, **self.headers}
            used: dict[str, str] = {}
            if authenticate:
                used = await self.auth.headers()
                headers.update(used)
            failure: str
            limited = False
            retry_after: float | None = None
            await self.limiter.acquire()
            try:
                async with self._in_flight:
                    self.requests_sent += 1
                    async with self.session.request(method, url, headers=headers, json=json, data=form,
                                                    timeout=self.timeouts.client_timeout(),
                                                    allow_redirects=False) as answer:
                        body = await _read_body(answer)
                        response = Response(answer.status, answer.headers, body, call)
            except aiohttp.ClientConnectorDNSError as exc:
                raise Unavailable(self.name, f"cannot resolve the host of {self.base_url} ({exc.os_error}); "
                                             "check the URL in the spec", call=call) from None
            except (aiohttp.ClientConnectorCertificateError, aiohttp.ClientSSLError) as exc:
                raise Unavailable(self.name, f"TLS failed for {self.base_url}: {exc}", call=call) from None
            except aiohttp.ClientConnectorError as exc:
                # Nothing was sent: safe to retry any method.
                failure = f"cannot connect to {self.base_url} ({exc.os_error.strerror or exc.os_error})"
            except aiohttp.ConnectionTimeoutError:
                failure = f"connecting to {self.base_url} timed out"  # nothing was sent either
            except (asyncio.TimeoutError, aiohttp.ServerTimeoutError):
                if not idempotent:
                    raise OutcomeUnknown(self.name, f"{call} timed out after it was sent; it may or may not "
                                                    "have taken effect", call=call) from None
                failure = f"{call} timed out"
            except (aiohttp.ServerDisconnectedError, aiohttp.ClientOSError, aiohttp.ClientPayloadError) as exc:
                if not idempotent:
                    raise OutcomeUnknown(self.name, f"the connection dropped after {call} was sent ({exc}); it "
                                                    "may or may not have taken effect", call=call) from None
                failure = f"the connection dropped during {call}"
            except aiohttp.ClientError as exc:  # anything else on the wire, e.g. a reset keep-alive connection
                if not idempotent:
                    raise OutcomeUnknown(self.name, f"{call} failed on the way ({type(exc).__name__}: {exc}); it may "
                                                    "or may not have taken effect", call=call) from None
                failure = f"{call} failed on the way ({type(exc).__name__}: {exc})"
            else:
                if 200 <= response.status < 300:
                    return response
                if response.status == 401 and authenticate and not renewed and await self.auth.renew(used):
                    renewed = True
                    attempt -= 1  # a fresh token is not a retry
                    continue
                if response.status == 429:
                    failure = f"still rate-limited (429) on {call}"
                    limited = True
                    retry_after = _retry_after(response.headers)
                elif response.status in RETRY_STATUSES and idempotent:
                    failure = f"{call} answered {response.status}"
                elif response.status >= 500 and not idempotent:
                    raise OutcomeUnknown(self.name, f"{call} answered {response.status} after it was sent; it may "
                                                    "or may not have taken effect", status=response.status,
                                         call=call)
                else:
                    raise self.error_for(response)
            # A service that says 429 is up and counting; when it names no wait, be patient enough for
            # its window to slide (MOCO: 120 s), e.g. when another integration shares the key.
            attempts, budget = self.retry.attempts, self.retry.total_seconds
            if limited:
                attempts, budget = max(attempts, 8), max(budget, 2.5 * self.limiter.window)
            delay = self.backoff(attempt, retry_after, limited)
            elapsed = self.clock() - started
            if attempt >= attempts or elapsed + delay > budget:
                error = RateLimited if limited else Unavailable
                raise error(self.name, f"gave up after {attempt} attempt{'s' if attempt != 1 else ''} over "
                                       f"{elapsed:.0f} s: {failure}", call=call)
            await self.sleep(delay)

    def backoff(self, attempt: int, retry_after: float | None, limited: bool = False) -> float:
        if retry_after is not None:
            return retry_after
        cap = max(self.retry.max_delay, self.limiter.window / 2) if limited else self.retry.max_delay
        return min(cap, self.retry.base_delay * 2 ** (attempt - 1)) * self.rng.uniform(0.5, 1.0)

    def error_for(self, response: Response) -> ApiError:
        summary, fields, trace_id = describe_error_body(response.body)
        status, call = response.status, response.call
        detail = f": {summary}" if summary else ""
        kwargs: dict[str, Any] = {"status": status, "call": call, "trace_id": trace_id, "fields": fields,
                                  "detail": summary}
        if status == 401:
            hint = f"; {self.hints.unauthorized}" if self.hints.unauthorized else ""
            return AuthenticationFailed(self.name, f"authentication failed (401) for {call}{detail}{hint}", **kwargs)
        if status == 403:
            hint = f"; {self.hints.forbidden}" if self.hints.forbidden else ""
            return PermissionDenied(self.name, f"permission denied (403) for {call}{detail}{hint}", **kwargs)
        if status == 404:
            return NotFound(self.name, f"not found (404): {call}{detail}", **kwargs)
        if status in (400, 409, 422):
            return Rejected(self.name, f"{call} was refused ({status}){detail}", **kwargs)
        if status >= 500:
            return Unavailable(self.name, f"{call} answered {status}{detail}", **kwargs)
        return ApiError(self.name, f"{call} answered {status}{detail}", **kwargs)

    # ------------------------------------------------------------------ pagination

    async def link_pages(self, path: str, params: dict[str, Any] | None = None, *, per_page: int = 100,
                         tries: int = 3) -> list[dict[str, Any]]:
        """Every record of a MOCO-style list (page/per_page, X-Total, Link rel="next").

        With X-Total known, pages 2..n are fetched concurrently (as fast as the limiter allows);
        without it, `Link: rel="next"` is followed. A list that changes while it is read (X-Total
        differs between pages, or a record shifts onto two pages) is read again, up to `tries` times.
        """
        params = dict(params or {})
        for _ in range(tries):
            first = await self.request("GET", path, params={**params, "per_page": per_page, "page": 1})
            items = _list_body(self, first)
            total = _header_int(first.headers, "X-Total")
            size = _header_int(first.headers, "X-Per-Page") or per_page
            consistent = True
            if total is not None and size > 0:
                pages = max(1, math.ceil(total / size))
                rest = await asyncio.gather(*(
                    self.request("GET", path, params={**params, "per_page": size, "page": number})
                    for number in range(2, pages + 1)
                ))
                for page in rest:
                    items += _list_body(self, page)
                    consistent &= _header_int(page.headers, "X-Total") == total
            else:
                seen: set[str] = set()
                next_url = _link(first.headers, "next")
                while next_url:
                    if next_url in seen:
                        raise UnexpectedResponse(self.name, f"pagination of {path} loops at {next_url}")
                    seen.add(next_url)
                    page = await self.request("GET", next_url)
                    items += _list_body(self, page)
                    next_url = _link(page.headers, "next")
            unique = _unique_by_id(items)
            if consistent and (total is None or len(unique) == total == len(items)):
                return unique
        raise Unavailable(self.name, f"the list at {path} kept changing while it was read ({tries} tries); "
                                     "try again in a moment")

    async def cursor_pages(self, path: str, params: dict[str, Any] | None = None) -> list[dict[str, Any]]:
        """Every record of a Personio-v2-style list, following `_meta.links.next.href` until absent."""
        response = await self.request("GET", path, params=params)
        items: list[dict[str, Any]] = []
        seen: set[str] = set()
        while True:
            body = response.body
            data = body.get("_data", body.get("data")) if isinstance(body, dict) else None
            if not isinstance(data, list):
                raise UnexpectedResponse(self.name, f"{response.call} did not answer with a `_data` list")
            items += [item for item in data if isinstance(item, dict)]
            links = (body.get("_meta") or body.get("meta") or {}).get("links") or {}
            href = (links.get("next") or {}).get("href")
            if not href:
                return _unique_by_id(items)
            if href in seen:
                raise UnexpectedResponse(self.name, f"pagination of {path} loops at {href}")
            seen.add(href)
            response = await self.request("GET", href)


# --------------------------------------------------------------------------- helpers


async def _read_body(answer: aiohttp.ClientResponse) -> Any:
    raw = await answer.read()
    if not raw:
        return None
    text = raw.decode("utf-8", errors="replace")
    if "json" in (answer.content_type or "") or text.lstrip()[:1] in ("{", "["):
        try:
            return jsonlib.loads(text)
        except ValueError:
            return text
    return text


def _retry_after(headers: CIMultiDictProxy[str]) -> float | None:
    value = headers.get("Retry-After")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, moment.timestamp() - time.time())


def _header_int(headers: CIMultiDictProxy[str], name: str) -> int | None:
    value = headers.get(name)  # CIMultiDict: X-Total and x-total alike
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None


def _link(headers: CIMultiDictProxy[str], rel: str) -> str | None:
    """The URL of `rel` in a Link header, wherever it stands in the list."""
    for part in headers.get("Link", "").split(","):
        section = part.strip()
        if not section.startswith("<") or ">" not in section:
            continue
        url, _, attributes = section[1:].partition(">")
        for attribute in attributes.split(";"):
            key, _, value = attribute.strip().partition("=")
            if key == "rel" and rel in value.strip('"').split():
                return url
    return None


def _list_body(service: Service, response: Response) -> list[dict[str, Any]]:
    if not isinstance(response.body, list):
        raise UnexpectedResponse(service.name, f"{response.call} did not answer with a list")
    return [item for item in response.body if isinstance(item, dict)]


def _unique_by_id(items: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    seen: set[Any] = set()
    unique = []
    for item in items:
        key = item.get("id")
        if key is not None and key in seen:
            continue
        seen.add(key)
        unique.append(item)
    return unique


def describe_error_body(body: Any) -> tuple[str, dict[str, tuple[str, ...]], str | None]:
    """(summary, per-field messages, trace id) from any error body either service sends.

    MOCO: `{"errors": ["..."]}`, `{"errors": {"field": ["..."]}}`, `{"message": "..."}`, or a bare
    field map `{"from": ["range overlaps"]}` (messages may be German); 403/404 bodies are empty.
    Personio: problem+json `{personio_trace_id, errors: [{title, detail}]}`, or the flat OAuth shape
    `{error, error_description, trace_id}` from the token endpoint. Never matched on message text.
    """
    if isinstance(body, str):
        text = body.strip()
        if text.startswith("<"):
            return "", {}, None  # an HTML error page says nothing useful
        return text.splitlines()[0][:200] if text else "", {}, None
    if not isinstance(body, dict):
        return "", {}, None
    trace_id = body.get("personio_trace_id") or body.get("trace_id")
    trace_id = str(trace_id) if trace_id else None
    errors = body.get("errors")
    if isinstance(errors, list):
        parts = []
        for item in errors:
            if isinstance(item, dict):
                title, detail = item.get("title"), item.get("detail")
                parts.append(": ".join(str(x) for x in (title, detail) if x))
            else:
                parts.append(str(item))
        return "; ".join(p for p in parts if p), {}, trace_id
    if isinstance(errors, dict):
        fields = _field_map(errors)
        return _fields_text(fields), fields, trace_id
    if "error" in body and ("error_description" in body or "error_uri" in body):
        description = body.get("error_description")
        return f"{body['error']}: {description}" if description else str(body["error"]), {}, trace_id
    if isinstance(body.get("message"), str):
        return body["message"], {}, trace_id
    fields = _field_map(body)
    if fields:
        return _fields_text(fields), fields, trace_id
    return "", {}, trace_id


def _field_map(data: dict[str, Any]) -> dict[str, tuple[str, ...]]:
    fields: dict[str, tuple[str, ...]] = {}
    for name, value in data.items():
        if isinstance(value, list) and value and all(isinstance(v, str) for v in value):
            fields[str(name)] = tuple(value)
        elif isinstance(value, str):
            fields[str(name)] = (value,)
    return fields


def _fields_text(fields: dict[str, tuple[str, ...]]) -> str:
    return "; ".join(f"{name} {', '.join(messages)}" if name != "base" else ", ".join(messages)
                     for name, messages in fields.items())
