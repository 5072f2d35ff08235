"""MOCO web hooks: the registrations (`/api/v1/account/web_hooks`, everii-Group/mocoapp-api-docs
`sections/web_hooks.md`) and `notify`, which every presence, schedule and user change calls (the API's
and the side door's) so that each enabled hook for that target and event gets a delivery.

A delivery (shared/api/moco.md section 7) is a POST of the record's JSON (on `delete` only its `id`) with
X-Moco-Target, X-Moco-Event, X-Moco-Timestamp (ms), X-Moco-Signature (hex HMAC-SHA256 of the raw body keyed
with the hook's secret), X-Moco-User-Id (who made the change), X-Moco-Account-Url, and X-Moco-Origin: api
when the change came through the API; a side-door change stands for one made in MOCO's UI and has none.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from typing import TYPE_CHECKING, Any

import orjson
from aiohttp import web

from reconciler.sandbox.common import json_response
from reconciler.sandbox.moco.errors import BLANK, INVALID, invalid
from reconciler.sandbox.moco.records import MocoWebHook
from reconciler.sandbox.moco.service import MocoService

if TYPE_CHECKING:
    from reconciler.sandbox.server import Sandbox

SENT_TARGETS = ("Presence", "Schedule", "User")  # the targets the stand-in delivers
# The docs' list of targets; Presence, Schedule and User are documented in the webhooks guide (moco.md section 7).
TARGETS = frozenset(SENT_TARGETS + ("Activity", "Company", "Contact", "Project", "Invoice", "Offer", "Deal",
                                    "Expense"))
EVENTS = ("create", "update", "delete")


def new_secret() -> str:
    return secrets.token_hex(16)  # 32 hex characters, as MOCO shows them


def notify(sandbox: Sandbox, target: str, event: str, record: dict[str, Any], *, through_api: bool,
           actor: int | None) -> None:
    """Queue a delivery of `record` to every enabled hook for `target` and `event` (none: nothing happens)."""
    hooks = [h for h in sandbox.world.moco.web_hooks.values()
             if h.target == target and h.event == event and not h.disabled]
    if not hooks:
        return
    body = orjson.dumps({"id": record["id"]} if event == "delete" else record)
    account = sandbox.moco_url.rsplit("/api/", 1)[0]
    for hook in hooks:
        headers = {"Content-Type": "application/json", "X-Moco-Target": target, "X-Moco-Event": event,
                   "X-Moco-Timestamp": str(int(time.time() * 1000)),
                   "X-Moco-Signature": hmac.new(hook.secret.encode(), body, hashlib.sha256).hexdigest(),
                   "X-Moco-Account-Url": account}
        if actor is not None:
            headers["X-Moco-User-Id"] = str(actor)
        if through_api:
            headers["X-Moco-Origin"] = "api"
        sandbox.outbox.send("moco", f"{target} {event}", hook.hook, headers, body)


def register(sandbox: Sandbox, target: str, event: str, hook: str, secret: str | None = None) -> MocoWebHook:
    state = sandbox.world.moco
    record = MocoWebHook(id=state.new_id(), target=target, event=event, hook=hook, secret=secret or new_secret())
    state.web_hooks[record.id] = record
    return record


class WebHooks(MocoService):
    async def list_web_hooks(self, request: web.Request) -> web.Response:
        self.require_staff(self.auth(request))
        return json_response([h.to_api() for h in sorted(self.state.web_hooks.values(), key=lambda h: h.id)])

    def _find(self, request: web.Request) -> MocoWebHook:
        self.require_staff(self.auth(request))
        return self.named(request, self.state.web_hooks)

    async def get_web_hook(self, request: web.Request) -> web.Response:
        return json_response(self._find(request).to_api())

    async def create_web_hook(self, request: web.Request) -> web.Response:
        self.require_staff(self.auth(request))
        body = await self.object_body(request)
        errors: dict[str, list[str]] = {}
        for name, allowed in (("target", TARGETS), ("event", EVENTS)):
            if not body.get(name):
                errors[name] = [BLANK]
            elif body[name] not in allowed:
                errors[name] = [INVALID]
        hook = body.get("hook")
        if not hook:
            errors["hook"] = [BLANK]
        elif not isinstance(hook, str) or not hook.startswith(("http://", "https://")):
            errors["hook"] = [INVALID]
        if errors or not isinstance(hook, str):  # not text: an error said so
            raise invalid(errors)
        return json_response(register(self.sandbox, body["target"], body["event"], hook).to_api())

    async def delete_web_hook(self, request: web.Request) -> web.Response:
        del self.state.web_hooks[self._find(request).id]
        return web.Response(status=204)


def side_door_changed(sandbox: Sandbox, collection: str, before: dict[str, Any], after: Any) -> None:
    """The deliveries of a presence, schedule or user the side door changed (`after`) or deleted (None):
    as a change made in MOCO's UI by the record's user (no X-Moco-Origin). Other collections send none."""
    from reconciler.sandbox.moco.presences import Presences
    from reconciler.sandbox.moco.schedules import Schedules

    target = {"presences": "Presence", "schedules": "Schedule", "users": "User"}.get(collection)
    if target is None:
        return
    actor = before.get("user_id", before.get("id"))
    if after is None:
        notify(sandbox, target, "delete", {"id": before["id"]}, through_api=False, actor=actor)
        return
    record = (Presences(sandbox).presence_json(after) if target == "Presence"
              else Schedules(sandbox).schedule_json(after) if target == "Schedule"
              else after.to_api(sandbox.world.moco.units))
    notify(sandbox, target, "update", record, through_api=False, actor=actor)
