"""Pacing: at most N request starts in any window of T seconds, so a service is never asked faster
than its limit allows.

A sliding window is the rule server-side sliding-window limiters enforce. (aiolimiter's leaky
bucket was measured letting 19 requests into one 1-second window configured for 10: its initial
burst plus its steady drip exceeds a sliding window, so it would provoke the very 429s pacing is
meant to avoid.)
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
