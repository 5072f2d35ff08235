"""The side door's webhook controls, on both ports, for tests and `reconcile demo`:

    POST   /_sandbox/webhooks     {"service": "moco", "url": ..., "secret": 32 hex (optional),
                                   "targets": [...], "events": [...]} registers a MOCO web hook per target
                                   and event (default: Presence, Schedule, User x create, update, delete);
                                   {"service": "personio", "url": ..., "token": ..., "events": [...]} points
                                   Personio's webhook config at `url`, enables `events` (default: every
                                   period event) and switches its delivery on with `token`
    GET    /_sandbox/webhooks     the MOCO hooks (with secrets) and Personio configs (with tokens)
    DELETE /_sandbox/webhooks     MOCO hooks removed, Personio delivery off (its events are still recorded)
    GET    /_sandbox/deliveries   every delivery sent: service, event, url, headers, body, attempts, status, outcome
    DELETE /_sandbox/deliveries   forget them
"""

from __future__ import annotations

import dataclasses
import string
from typing import TYPE_CHECKING, Any

from aiohttp import web

from reconciler.sandbox.common import SIDE_DOOR, json_body, json_response
from reconciler.sandbox.moco.web_hooks import EVENTS, SENT_TARGETS, TARGETS, new_secret, register
from reconciler.sandbox.personio.records import (
    CHANGE_EVENTS,
    EMPLOYMENT_EVENTS,
    PERIOD_EVENTS,
    WEBHOOK_ID,
    PersonioWebhook,
)

if TYPE_CHECKING:
    from reconciler.sandbox.server import Sandbox


def _strings(value: Any, allowed: Any, default: tuple[str, ...]) -> list[str] | None:
    if value is None:
        return list(default)
    if not isinstance(value, list) or not value or not all(isinstance(v, str) and v in allowed for v in value):
        return None
    return value


# What a delivering Personio subscription may enable (the periods' events unless it names others): the people's
# events too, for the employee lifecycle under `reconcile serve`.
DELIVERABLE = (*CHANGE_EVENTS, *EMPLOYMENT_EVENTS)


class SideDoorWebhooks:
    def __init__(self, sandbox: Sandbox) -> None:
        self.sandbox = sandbox

    def add_to(self, app: web.Application) -> None:
        r = app.router
        r.add_post(f"{SIDE_DOOR}/webhooks", self._register)
        r.add_get(f"{SIDE_DOOR}/webhooks", self._list)
        r.add_delete(f"{SIDE_DOOR}/webhooks", self._remove)
        r.add_get(f"{SIDE_DOOR}/deliveries", self._deliveries)
        r.add_delete(f"{SIDE_DOOR}/deliveries", self._forget)

    def _shown(self) -> dict[str, Any]:
        world = self.sandbox.world
        return {"moco": [dataclasses.asdict(h) for h in sorted(world.moco.web_hooks.values(), key=lambda h: h.id)],
                "personio": [{**c.to_api(), "token": c.token} for c in world.personio.webhooks.values()]}

    async def _list(self, request: web.Request) -> web.Response:
        return json_response(self._shown())

    async def _register(self, request: web.Request) -> web.Response:
        body = await json_body(request)
        service = body.get("service") if isinstance(body, dict) else None
        url = body.get("url") if isinstance(body, dict) else None
        if service not in ("moco", "personio") or not isinstance(url, str) or not url.startswith("http"):
            return self._bad("send {\"service\": \"moco\"|\"personio\", \"url\": \"http://...\", ...}")
        if service == "moco":
            secret = body.get("secret") or new_secret()
            if not isinstance(secret, str) or len(secret) != 32 or not set(secret) <= set(string.hexdigits):
                return self._bad("secret: 32 hexadecimal characters, as MOCO shows them")
            targets = _strings(body.get("targets"), TARGETS, SENT_TARGETS)
            events = _strings(body.get("events"), EVENTS, EVENTS)
            if targets is None or events is None:
                return self._bad(f"targets: a list of {sorted(TARGETS)}; events: a list of {list(EVENTS)}")
            hooks = [register(self.sandbox, t, e, url, secret) for t in targets for e in events]
            return json_response({"moco": [dataclasses.asdict(h) for h in hooks]}, status=201)
        token, events = body.get("token"), _strings(body.get("events"), DELIVERABLE, PERIOD_EVENTS)
        if not isinstance(token, str) or not token or events is None:
            return self._bad(f"token: the Authorization value to send; events: a list of {list(DELIVERABLE)}")
        config = self.sandbox.world.personio.webhooks.setdefault(WEBHOOK_ID, PersonioWebhook())
        config.url, config.token, config.enabled_events, config.status = url, token, events, "ENABLED"
        return json_response({"personio": [{**config.to_api(), "token": token}]}, status=201)

    async def _remove(self, request: web.Request) -> web.Response:
        world = self.sandbox.world
        world.moco.web_hooks.clear()
        for config in world.personio.webhooks.values():
            config.token = None
        return web.Response(status=204)

    async def _deliveries(self, request: web.Request) -> web.Response:
        return json_response([d.as_json() for d in self.sandbox.outbox.records])

    async def _forget(self, request: web.Request) -> web.Response:
        self.sandbox.outbox.clear()
        return web.Response(status=204)

    @staticmethod
    def _bad(message: str) -> web.Response:
        return json_response({"error": message}, status=400)
