"""What is worth trying again, and how long to wait first.

Retries: 429 always (the service refused before doing anything); connection failures before the
request was sent always; 502/503/504, timeouts and dropped connections only for idempotent calls
(GET, PUT, PATCH, DELETE). A create (POST) that may have reached the service is never re-sent: it
raises `OutcomeUnknown` so the caller re-reads and decides. Back-off is exponential, capped,
jittered and bounded in attempts. A 429 instead pauses the whole service (its limiter books the
budget as spent: for the `Retry-After` named, else a whole window) and is bounded by time alone.
`total_seconds` bounds a request's attempts and the waits between them together (a `Deadline`),
each attempt's timeout is cut to what is left, and no retry starts past it. (Hand-written rather
than tenacity/stamina: the decision depends on method, failure kind and Retry-After together, which
reads more plainly as these few functions than as predicate and wait callbacks.)
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from typing import NoReturn

import aiohttp

from reconciler.errors import ApiError, OutcomeUnknown, RateLimited, Unavailable

IDEMPOTENT = frozenset({"GET", "HEAD", "PUT", "PATCH", "DELETE"})
RETRY_STATUSES = frozenset({429, 502, 503, 504})


@dataclass(frozen=True)
class Retryable:
    """One failed attempt that may be tried again; `reason` ends the message if none succeeds."""

    reason: str
    limited: bool = False  # the service answered 429
    retry_after: float | None = None  # seconds the service asked us to wait
    unreachable: bool = False  # no answer came: could not connect, or timed out waiting
    silent: bool = False  # connected (or tried to) and waited in vain: the call timed out


@dataclass(frozen=True)
class RetryPolicy:
    attempts: int = 6  # tries per request, the first one included (a 429 is bounded by time alone)
    base_delay: float = 1.0  # first back-off; doubles each retry
    max_delay: float = 30.0  # cap of one back-off
    total_seconds: float = 180.0  # one request's attempts and waits together never take longer

    def wait(self, failure: Retryable, attempt: int, elapsed: float, *, rng: random.Random,
             pause: float | None = None) -> float | None:
        """Seconds to wait before trying again after `attempt` failed, `elapsed` seconds into the
        request; None: give up, because the attempts are used up or the retry would start at or
        past `total_seconds`.

        A 429 waits `pause`, the time the service's limiter pauses every request after it (see
        `SlidingWindowLimiter.refused`: the `Retry-After` named, else a whole window), and is not
        bounded in attempts: a service that says 429 is up and counting, and it is given up on only
        when it is still refusing at the time bound.
        """
        delay = self.backoff(attempt, failure, rng=rng) if pause is None else pause
        if (not failure.limited and attempt >= self.attempts) or elapsed + delay >= self.total_seconds:
            return None
        return delay

    def backoff(self, attempt: int, failure: Retryable, *, rng: random.Random) -> float:
        if failure.retry_after is not None:
            return failure.retry_after
        return min(self.max_delay, self.base_delay * 2.0 ** (attempt - 1)) * rng.uniform(0.5, 1.0)


class Deadline:
    """The time one request may still take: `seconds` of attempts and waits from now. Time spent
    queueing behind the run's own pacing is `exclude`d: it is no failure of the service."""

    def __init__(self, seconds: float, clock: Callable[[], float]) -> None:
        self.seconds = seconds
        self._clock = clock
        self._end = clock() + seconds

    def left(self) -> float:
        return self._end - self._clock()

    def spent(self) -> float:
        return self.seconds - self.left()

    def exclude(self, seconds: float) -> None:
        self._end += seconds


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
        return Retryable(f"cannot connect to {base_url} ({exc.os_error.strerror or exc.os_error})",
                         unreachable=True)
    if isinstance(exc, aiohttp.ConnectionTimeoutError):  # nothing was sent either
        return Retryable(f"connecting to {base_url} timed out", unreachable=True, silent=True)
    if isinstance(exc, (asyncio.TimeoutError, aiohttp.ServerTimeoutError)):
        if not idempotent:
            _unknown(service, call, f"{call} timed out after it was sent")
        return Retryable(f"{call} timed out", unreachable=True, silent=True)
    if isinstance(exc, (aiohttp.ServerDisconnectedError, aiohttp.ClientOSError, aiohttp.ClientPayloadError)):
        sent, reason = f"the connection dropped after {call} was sent ({exc})", f"the connection dropped during {call}"
    else:  # anything else on the wire, e.g. a reset keep-alive connection
        sent = reason = f"{call} failed on the way ({type(exc).__name__}: {exc})"
    if not idempotent:
        _unknown(service, call, sent)
    return Retryable(reason)


def gave_up(service: str, call: str, failure: Retryable, attempts: int, seconds: float, hint: str) -> ApiError:
    """The error for `call`, given up on after `attempts` over `seconds` with `failure` the last;
    `hint` (e.g. which setting holds the address) ends it when no answer came at all."""
    tries = f"{attempts} attempt{'s' if attempts != 1 else ''}"
    if failure.silent:
        text = f"{call} did not answer within {seconds:.0f} s ({tries})"
    else:
        text = f"gave up after {tries} over {seconds:.0f} s: {failure.reason}"
    if failure.unreachable and hint:
        text += f"; {hint}"
    return (RateLimited if failure.limited else Unavailable)(service, text, call=call)


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
