"""The sandbox's outgoing webhooks: a bounded queue per sandbox, a few background senders, and a record of
every delivery (attempts, last status, outcome) for the side door's `GET /_sandbox/deliveries`.

Sending never blocks or fails the API call that caused it: `send` only queues (a full queue drops the
delivery and records it as dropped). The senders start on the first delivery, so a sandbox with no hook
registered runs no task and opens no connection. Each attempt has a short timeout; a connection error, a
timeout or a 5xx is retried a few times with a growing pause; any other answer ends the delivery.
"""

from __future__ import annotations

import asyncio
import itertools
from collections import deque
from dataclasses import asdict, dataclass, field
from typing import Any

import aiohttp

QUEUE_SIZE = 1_000
SENDERS = 4  # deliveries in flight at once, so one dead receiver does not hold up the others
TIMEOUT_SECONDS = 2.0
ATTEMPTS = 4  # the first try and three retries
BACKOFF_SECONDS = 0.2  # before retry n (1, 2, 3): 0.2, 0.4, 0.8 s
KEPT = 1_000  # delivery records the side door shows (the newest)


@dataclass
class Delivery:
    """One webhook delivery and what became of it."""

    id: int
    service: str  # moco | personio
    event: str  # e.g. "Presence update", "attendance-period.created"
    url: str
    headers: dict[str, str] = field(repr=False)
    body: bytes = field(repr=False)
    attempts: int = 0
    status: int | None = None  # the last HTTP status answered, None if none came
    outcome: str = "queued"  # queued | delivered | failed | dropped
    error: str = ""

    def as_json(self) -> dict[str, Any]:
        shown = asdict(self)
        shown["body"] = self.body.decode()
        return shown


class Outbox:
    """The deliveries of one sandbox. `send` from the sandbox's event loop; `stop` when it stops."""

    def __init__(self) -> None:
        self.records: deque[Delivery] = deque(maxlen=KEPT)
        self._ids = itertools.count(1)
        self._queue: asyncio.Queue[Delivery] | None = None
        self._senders: list[asyncio.Task[None]] = []
        self._session: aiohttp.ClientSession | None = None

    def send(self, service: str, event: str, url: str, headers: dict[str, str], body: bytes) -> Delivery:
        delivery = Delivery(next(self._ids), service, event, url, headers, body)
        self.records.append(delivery)
        if self._queue is None:
            try:
                loop = asyncio.get_running_loop()
            except RuntimeError:  # a change made outside a serving sandbox (e.g. straight on its world)
                delivery.outcome, delivery.error = "dropped", "the sandbox is not serving"
                return delivery
            self._queue = asyncio.Queue(QUEUE_SIZE)
            self._senders = [loop.create_task(self._sender()) for _ in range(SENDERS)]
        try:
            self._queue.put_nowait(delivery)
        except asyncio.QueueFull:
            delivery.outcome, delivery.error = "dropped", f"queue full ({QUEUE_SIZE} waiting)"
        return delivery

    def clear(self) -> None:
        self.records.clear()

    async def stop(self) -> None:
        for task in self._senders:
            task.cancel()
        await asyncio.gather(*self._senders, return_exceptions=True)
        self._senders, self._queue = [], None
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def _sender(self) -> None:
        assert self._queue is not None
        while True:
            delivery = await self._queue.get()
            try:
                await self._deliver(delivery)
            finally:
                self._queue.task_done()

    async def _deliver(self, delivery: Delivery) -> None:
        if self._session is None:
            self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=TIMEOUT_SECONDS))
        for attempt in range(ATTEMPTS):
            if attempt:
                await asyncio.sleep(BACKOFF_SECONDS * 2 ** (attempt - 1))
            delivery.attempts += 1
            try:
                async with self._session.post(delivery.url, data=delivery.body, headers=delivery.headers) as answer:
                    await answer.read()
                    delivery.status = answer.status
            except (aiohttp.ClientError, asyncio.TimeoutError) as exc:
                delivery.error = f"{type(exc).__name__}: {exc}"[:200]
                continue
            if answer.status < 500:
                delivery.error = "" if answer.status < 300 else f"HTTP {answer.status}"
                delivery.outcome = "delivered" if answer.status < 300 else "failed"
                return
            delivery.error = f"HTTP {answer.status}"
        delivery.outcome = "failed"
