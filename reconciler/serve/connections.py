"""How many connections `reconcile serve` holds open, and for how long (issue 20, finding 3).

aiohttp's server has an idle keep-alive timeout but no header timeout and no cap on connections: a client that
sends its headers a byte at a time, or 20,000 clients that connect and send nothing, each hold a file
descriptor until the process runs out of them ("Too many open files", /healthz unanswered). `Connections`
wraps the protocol aiohttp makes for each accepted connection and keeps these bounds:

- **A cap** (`connection_cap`: at most MAX_CONNECTIONS, and FILE_MARGIN descriptors below the process's
  open-file limit, so accepting never fails for want of one). A connection beyond the cap makes room by
  closing the connection that has waited longest for a request (idle, or its headers still arriving); when
  every connection is inside a request handler (reading a body, which app.py bounds in time), the new one is
  closed at once. So idle connections, however many, never keep a real request such as a probe out.
- **A header timeout** (HEADER_TIMEOUT): a new connection must have sent a whole request's headers within
  it, and so must a kept-alive one from the first byte of its next request.
- **An idle timeout** (IDLE_TIMEOUT) between the requests of a kept-alive connection: longer than the 60 s
  ingress-nginx keeps an idle upstream connection, so the proxy closes first and never sends a request on a
  connection serve is closing.

Closing for these reasons is counted (`on_close`, by reason: metrics.CLOSES); an idle timeout is
ordinary and is not. A request's time inside its handler is app.py's business (its body timeout).
"""

from __future__ import annotations

import asyncio
import resource
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

HEADER_TIMEOUT = 10.0  # seconds to send a request's headers, from the connection or the request's first byte
IDLE_TIMEOUT = 75.0  # seconds a kept-alive connection may wait for its next request (ingress-nginx: 60)
MAX_CONNECTIONS = 256  # connections open at once (webhook senders, probes and a scraper need a handful)
LINGER = 2.0  # seconds to read the rest of a body answered before it was whole
FILE_MARGIN = 256  # descriptors left free below the open-file limit: API clients' connections, files, the log


def connection_cap(wanted: int = MAX_CONNECTIONS, limit: int | None = None) -> int:
    """At most `wanted` connections, and FILE_MARGIN (half of a small limit) below the soft open-file limit."""
    soft = resource.getrlimit(resource.RLIMIT_NOFILE)[0] if limit is None else limit
    if soft == resource.RLIM_INFINITY or soft < 0:
        return max(1, wanted)
    return max(1, min(wanted, soft - min(FILE_MARGIN, soft // 2)))


class _Refused(asyncio.Protocol):
    """A connection over the cap: closed as soon as it is made (it costs one accept)."""

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        transport.close()


class _Watched(asyncio.Protocol):
    """aiohttp's protocol for one connection, with every call forwarded; tells `Connections` what happens."""

    def __init__(self, inner: asyncio.Protocol, owner: Connections, deadline: float) -> None:
        self.inner, self.owner, self.deadline = inner, owner, deadline
        self.transport: asyncio.Transport | None = None
        self.started = False  # bytes of the next request arrived (its header timeout runs)
        self.busy = False  # a request is in a handler
        self.served = False  # a request was handled (then waiting is keeping alive, not being slow)
        self.doomed = False  # closed before it was made (accepted in the same batch): closed once made

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        if self.doomed:  # aiohttp never sees it
            transport.close()
            return
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        self.owner.made(self)
        self.inner.connection_made(transport)

    def data_received(self, data: bytes) -> None:
        if not self.busy and not self.started:
            self.started = True
            self.deadline = self.owner.clock() + self.owner.header_timeout
        self.inner.data_received(data)

    def eof_received(self) -> bool | None:
        return self.inner.eof_received()

    def connection_lost(self, exc: Exception | None) -> None:
        self.owner.lost(self)
        if not self.doomed:
            self.inner.connection_lost(exc)

    def pause_writing(self) -> None:
        self.inner.pause_writing()

    def resume_writing(self) -> None:
        self.inner.resume_writing()


Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


class Connections:
    """The open connections of one server: `factory(make)` for `loop.create_server`, `middleware` for the
    application (it marks a connection busy while its request is handled), `sweep()` about every second."""

    def __init__(self, cap: int, *, header_timeout: float = HEADER_TIMEOUT, idle_timeout: float = IDLE_TIMEOUT,
                 clock: Callable[[], float] | None = None,
                 on_close: Callable[[str], None] = lambda reason: None) -> None:
        self.cap, self.header_timeout, self.idle_timeout = cap, header_timeout, idle_timeout
        self.clock = clock or asyncio.get_running_loop().time
        self.on_close = on_close
        self.live: set[_Watched] = set()  # made or about to be, not yet lost nor closed by us
        self.waiting: OrderedDict[_Watched, None] = OrderedDict()  # not in a handler: longest waiting first
        self._by_transport: dict[asyncio.BaseTransport, _Watched] = {}

    def factory(self, make: Callable[[], asyncio.Protocol]) -> Callable[[], asyncio.Protocol]:
        def protocol() -> asyncio.Protocol:
            if len(self.live) >= self.cap and not self._evict():
                self.on_close("over_cap")
                return _Refused()
            watched = _Watched(make(), self, self.clock() + self.header_timeout)
            self.live.add(watched)
            self.waiting[watched] = None
            return watched
        return protocol

    def _evict(self) -> bool:
        """Close the connection waiting longest for a request, to make room; False: none waits."""
        for oldest in self.waiting:
            self._close(oldest, "evicted")
            return True
        return False

    def _close(self, watched: _Watched, reason: str) -> None:
        self._forget(watched)
        if watched.transport is None:
            watched.doomed = True
        else:
            watched.transport.close()
        self.on_close(reason)

    def _forget(self, watched: _Watched) -> None:
        self.live.discard(watched)
        self.waiting.pop(watched, None)
        if watched.transport is not None:
            self._by_transport.pop(watched.transport, None)

    def made(self, watched: _Watched) -> None:
        if watched.transport is not None and watched in self.live:
            self._by_transport[watched.transport] = watched

    def lost(self, watched: _Watched) -> None:
        self._forget(watched)

    def sweep(self) -> None:
        """Close every connection whose headers are late or that has been idle too long."""
        now = self.clock()
        for watched in [each for each in self.waiting if each.deadline <= now]:
            if watched.transport is None:  # not made in all that time (the accept failed): never to be
                self._forget(watched)
                watched.doomed = True
            elif watched.started or not watched.served:  # headers late, or no request at all
                self._close(watched, "timeout")
            else:  # idle between requests: an ordinary end, not counted
                self._forget(watched)
                watched.transport.close()

    @web.middleware
    async def middleware(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        watched = self._by_transport.get(request.transport) if request.transport is not None else None
        if watched is None:
            return await handler(request)
        watched.busy = True
        self.waiting.pop(watched, None)
        try:
            return await handler(request)
        finally:
            watched.busy, watched.started, watched.served = False, False, True
            watched.deadline = self.clock() + self.idle_timeout
            if watched in self.live:
                self.waiting[watched] = None

    def open(self) -> int:
        return len(self.live)


def options(idle_timeout: float = IDLE_TIMEOUT) -> dict[str, Any]:
    """What aiohttp's own server is given: its keep-alive timer agrees with ours, a request's head is bounded
    (8 KiB a line, 32 header fields: a webhook sends about ten), and what is left of a body serve answered
    without reading whole (413, 408) is read for LINGER seconds at most (aiohttp: 10) so the sender sees the
    answer."""
    return {"keepalive_timeout": idle_timeout, "max_line_size": 8190, "max_field_size": 8190, "max_headers": 32,
            "lingering_time": LINGER}
