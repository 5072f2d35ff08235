"""What is worth trying again, and how long to wait first.

Retries: 429 always (the service refused before doing anything); connection failures before the
request was sent always; 502/503/504, timeouts and dropped connections only for idempotent calls
(GET, PUT, PATCH, DELETE). A create (POST) that may have reached the service is never re-sent: it
raises `OutcomeUnknown` so the caller re-reads and decides. Back-off is exponential, capped and
jittered, honours `Retry-After`, and is bounded in attempts and total time. (Hand-written rather
than tenacity/stamina: the decision depends on method, failure kind and Retry-After together,
which reads more plainly as these few functions than as predicate and wait callbacks.)
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Mapping
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from typing import NoReturn

import aiohttp

from reconciler.errors import OutcomeUnknown, Unavailable

IDEMPOTENT = frozenset({"GET", "HEAD", "PUT", "PATCH", "DELETE"})
RETRY_STATUSES = frozenset({429, 502, 503, 504})
LIMITED_ATTEMPTS = 8  # at least this many tries when the service keeps saying 429 ...
LIMITED_WINDOWS = 2.5  # ... over at least this many of its rate-limit windows


@dataclass(frozen=True)
class Retryable:
    """One failed attempt that may be tried again; `reason` ends the message if none succeeds."""

    reason: str
    limited: bool = False  # the service answered 429
    retry_after: float | None = None  # seconds the service asked us to wait


@dataclass(frozen=True)
class RetryPolicy:
    attempts: int = 6  # tries per request, the first one included
    base_delay: float = 1.0  # first back-off; doubles each retry
    max_delay: float = 30.0  # cap of one back-off
    total_seconds: float = 180.0  # no retry starts after this much time on one request

    def wait(self, failure: Retryable, attempt: int, elapsed: float, *, window: float,
             rng: random.Random) -> float | None:
        """Seconds to wait before trying again after `attempt` failed; None: give up.

        A service that says 429 is up and counting; when it names no wait, be patient enough for
        its rate-limit `window` to slide, e.g. when another integration shares the key.
        """
        attempts, budget = self.attempts, self.total_seconds
        if failure.limited:
            attempts, budget = max(attempts, LIMITED_ATTEMPTS), max(budget, LIMITED_WINDOWS * window)
        delay = self.backoff(attempt, failure, window=window, rng=rng)
        if attempt >= attempts or elapsed + delay > budget:
            return None
        return delay

    def backoff(self, attempt: int, failure: Retryable, *, window: float, rng: random.Random) -> float:
        if failure.retry_after is not None:
            return failure.retry_after
        cap = max(self.max_delay, window / 2) if failure.limited else self.max_delay
        return min(cap, self.base_delay * 2.0 ** (attempt - 1)) * rng.uniform(0.5, 1.0)


def answer_failure(status: int, headers: Mapping[str, str], *, service: str, call: str,
                   idempotent: bool) -> Retryable | None:
    """A non-2xx answer worth another try; None when the answer is final (the caller reports it).

    Raises `OutcomeUnknown` for a 5xx to a call that must not be re-sent: it may have taken effect.
    """
    if status == 429:
        return Retryable(f"still rate-limited (429) on {call}", limited=True, retry_after=retry_after(headers))
    if status in RETRY_STATUSES and idempotent:
        return Retryable(f"{call} answered {status}")
    if status >= 500 and not idempotent:
        _unknown(service, call, f"{call} answered {status} after it was sent", status=status)
    return None


def wire_failure(exc: aiohttp.ClientError | asyncio.TimeoutError, *, service: str, base_url: str, call: str,
                 idempotent: bool) -> Retryable:
    """A request that failed on the wire, worth another try; raises what is not.

    `Unavailable` at once for a host that does not resolve or a failed TLS handshake (waiting will
    not help), `OutcomeUnknown` when a call that must not be re-sent may have arrived.
    """
    if isinstance(exc, aiohttp.ClientConnectorDNSError):
        raise Unavailable(service, f"cannot resolve the host of {base_url} ({exc.os_error}); "
                                   "check the URL in the spec", call=call) from None
    if isinstance(exc, (aiohttp.ClientConnectorCertificateError, aiohttp.ClientSSLError)):
        raise Unavailable(service, f"TLS failed for {base_url}: {exc}", call=call) from None
    if isinstance(exc, aiohttp.ClientConnectorError):  # nothing was sent: safe to retry any method
        return Retryable(f"cannot connect to {base_url} ({exc.os_error.strerror or exc.os_error})")
    if isinstance(exc, aiohttp.ConnectionTimeoutError):  # nothing was sent either
        return Retryable(f"connecting to {base_url} timed out")
    if isinstance(exc, (asyncio.TimeoutError, aiohttp.ServerTimeoutError)):
        sent, reason = f"{call} timed out after it was sent", f"{call} timed out"
    elif isinstance(exc, (aiohttp.ServerDisconnectedError, aiohttp.ClientOSError, aiohttp.ClientPayloadError)):
        sent, reason = f"the connection dropped after {call} was sent ({exc})", f"the connection dropped during {call}"
    else:  # anything else on the wire, e.g. a reset keep-alive connection
        sent = reason = f"{call} failed on the way ({type(exc).__name__}: {exc})"
    if not idempotent:
        _unknown(service, call, sent)
    return Retryable(reason)


def _unknown(service: str, call: str, what: str, *, status: int | None = None) -> NoReturn:
    raise OutcomeUnknown(service, f"{what}; it may or may not have taken effect", status=status, call=call) from None


def retry_after(headers: Mapping[str, str]) -> float | None:
    """Seconds from a `Retry-After` header (a number or an HTTP date); None when absent or unreadable."""
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
