"""What both stand-ins share: the request pipeline (log, latency, rate limit, faults) and helpers
(JSON in and out, query integers, timestamps, the handler base class).

Every API request passes, in this order: the request log, the latency knob, the service's
sliding-window rate limit (429 before anything else, as a gateway would; a refused request counts
against the window too, see REFUSED_REQUESTS_COUNT in knobs.py), then scripted or random faults,
then the handler. Requests under `/_sandbox/` skip all of it: the side door is not part of
the imitated APIs.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Mapping
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any, Awaitable, Callable

from aiohttp import web

from reconciler.sandbox.knobs import WRITE_METHODS, LoggedRequest

if TYPE_CHECKING:
    from reconciler.sandbox.server import Sandbox

SIDE_DOOR = "/_sandbox"

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def utc_now() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def json_response(data: Any, status: int = 200, headers: dict[str, str] | None = None,
                  content_type: str = "application/json") -> web.Response:
    return web.Response(
        status=status,
        body=json.dumps(data, ensure_ascii=False).encode("utf-8"),
        content_type=content_type,
        charset="utf-8",
        headers=headers,
    )


class Reply(Exception):
    """Raised by handlers to answer at once with `response` (errors, mostly)."""

    def __init__(self, response: web.StreamResponse) -> None:
        super().__init__(response.status)
        self.response = response


def endpoint_of(request: web.Request) -> str:
    route = request.match_info.route
    resource = route.resource
    template = resource.canonical if resource is not None else request.path
    return f"{request.method} {template}"


def pipeline(sandbox: Sandbox, service: str, rate_key: Callable[[web.Request], tuple[str, int, float] | None],
             rate_limited: Callable[[int | None], web.StreamResponse]) -> Any:
    """The middleware of one stand-in.

    `rate_key(request)` gives (key, limit, seconds) of the window that request counts against,
    or None to use the service's knobs keyed by the Authorization header.
    """

    @web.middleware
    async def middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
        if request.path.startswith(SIDE_DOOR):
            return await handler(request)
        knobs = sandbox.knobs[service]
        entry = LoggedRequest(
            service=service, method=request.method, path=request.path, endpoint=endpoint_of(request),
            query=request.query_string, status=None, started=sandbox.log.now(), finished=0.0,
        )
        sandbox.log.add(entry)  # logged on arrival; status and finish time are filled in below
        try:
            if knobs.latency:
                await asyncio.sleep(knobs.latency)
            window = rate_key(request) or (
                request.headers.get("Authorization") or request.remote or "anonymous",
                knobs.rate_limit_requests, knobs.rate_limit_seconds,
            )
            key, limit, seconds = window
            if not sandbox.limiter.allow(f"{service}|{key}", limit, seconds, count_refused=knobs.count_refused):
                entry.fault = "rate_limited"
                response = rate_limited(knobs.retry_after)
                entry.status = response.status
                return response
            fault = sandbox.faults[service].pick(knobs, request.method, request.path)
            if fault is not None:
                entry.fault = fault.kind
            if fault is not None and fault.kind == "status":
                entry.status = fault.status
                return web.Response(status=fault.status, text=_GATEWAY_PAGES.get(fault.status, "Error"),
                                    content_type="text/html")
            if fault is not None and fault.kind == "hang":
                await asyncio.sleep(knobs.hang_seconds)
                entry.status = 504
                return web.Response(status=504, text=_GATEWAY_PAGES[504], content_type="text/html")
            try:
                response = await handler(request)
            except Reply as reply:
                response = reply.response
            if fault is not None and fault.kind in ("lost_response", "disconnect") and request.method in WRITE_METHODS:
                # The write is committed; the caller never hears about it.
                if fault.kind == "lost_response":
                    await asyncio.sleep(knobs.hang_seconds)
                if request.transport is not None:
                    request.transport.abort()
                raise asyncio.CancelledError()
            entry.status = response.status
            return response
        finally:
            entry.finished = sandbox.log.now()

    return middleware


_GATEWAY_PAGES = {
    500: "<html><body><h1>500 Internal Server Error</h1></body></html>",
    502: "<html><body><h1>502 Bad Gateway</h1></body></html>",
    503: "<html><body><h1>503 Service Temporarily Unavailable</h1></body></html>",
    504: "<html><body><h1>504 Gateway Time-out</h1></body></html>",
}


def retry_after_header(retry_after: int | None) -> dict[str, str] | None:
    """The headers of a 429: `Retry-After` only when the knob asks for one (neither API documents it)."""
    return {"Retry-After": str(retry_after)} if retry_after is not None else None


def query_int(query: Mapping[str, str], name: str, default: int) -> int | None:
    """An integer query parameter, `default` when absent, None when not a number."""
    raw = query.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError:
        return None


async def json_body(request: web.Request) -> Any:
    """The request's JSON body, or None when it is empty or not JSON."""
    raw = await request.read()
    if not raw:
        return {}
    try:
        return json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError):
        return None


class ServiceApi:
    """Plumbing both stand-ins share: the live state and knobs of their service (replaced on reset)."""

    service = ""

    def __init__(self, sandbox: Sandbox) -> None:
        self.sandbox = sandbox

    @property
    def state(self) -> Any:
        return getattr(self.sandbox.world, self.service)

    @property
    def knobs(self) -> Any:
        return self.sandbox.knobs[self.service]
