"""Pacing: at most N request starts in any window of T seconds, so a service is never asked faster
than its limit allows, and, once it has said 429 all the same, a pause of every request to it.

A sliding window is the rule server-side sliding-window limiters enforce. (aiolimiter's leaky
bucket was measured letting 19 requests into one 1-second window configured for 10: its initial
burst plus its steady drip exceeds a sliding window, so it would provoke the very 429s pacing is
meant to avoid.)

The window only knows this run's own requests. Another process on the same key (a `plan` just
before an `apply`, a scheduled run after a manual one, another integration) may have spent the
service's budget already; the service then answers 429, and `refused` books the whole budget as
spent, so that every request of the run waits, not only the refused one.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Awaitable, Callable

Sleep = Callable[[float], Awaitable[None]]
Clock = Callable[[], float]


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
        self._starts: deque[float] = deque()  # booked starts, oldest first; after `refused`, some lie ahead
        self._lock = asyncio.Lock()

    @property
    def share(self) -> float:
        """One request's share of the window: the steady pace is one start per `share` seconds."""
        return self.window / self.requests

    async def acquire(self) -> None:
        async with self._lock:
            while (wait := self.paused_for()) > 0:
                await self._sleep(wait)
            self._starts.append(self._clock())

    def paused_for(self) -> float:
        """Seconds until the next request may start (0: one may start now)."""
        now = self._clock()
        # One expression for "frees at", in the test and in the wait: two float roundings could
        # disagree and wait 0 s for ever.
        while self._starts and self._starts[0] + self.window <= now:
            self._starts.popleft()
        if len(self._starts) < self.requests:
            return 0.0
        return self._starts[0] + self.window - now

    def refused(self, retry_after: float | None = None, *, at_most: float | None = None) -> float:
        """The service answered 429: its budget is spent, whatever this run counted, so every request
        waits, not only the refused one. Returns the seconds until the next request may start.

        Without `retry_after`, the whole window is booked as used now: nothing starts for a whole
        window, and then the full budget is back, as at the start of a run. Why a whole window: a
        service may count refused requests too (common server-side limiters count every arrival
        before deciding), and then only a window without any request of ours empties it; retrying
        at the steady pace would keep it full for good.

        With `retry_after` (the service named the wait), nothing starts for that long, and then the
        budget comes back at the steady pace, one start per `share`: the service said when one
        request may go, not when all may.

        `at_most` caps the pause (the longest any request may wait: the requests queued behind it
        then meet the service again, and give up by their own bound, instead of queueing for as long
        as the service likes). A pause already longer (an earlier Retry-After) is kept.
        """
        now = self._clock()
        if retry_after is None:
            pause = self.window if at_most is None else min(self.window, at_most)
            starts = [now + pause - self.window] * self.requests
        else:
            pause = max(0.0, retry_after if at_most is None else min(retry_after, at_most))
            first = now + pause - self.window  # frees one window later, i.e. `pause` from now
            starts = [first + k * self.share for k in range(self.requests)]
        if self.paused_for() >= pause:
            return self.paused_for()
        self._starts = deque(starts)
        return pause
