"""The side door: routes for tests, benchmarks and people, added to both stand-ins' applications.

It lives under `/_sandbox/` on both ports and is clearly not part of either API:

    GET    /_sandbox/state                     every record of both systems, as stored
    GET    /_sandbox/requests                  the request log with counts per endpoint
    DELETE /_sandbox/requests                  clear the log
    POST   /_sandbox/reset                     back to the seeded data (body: {"seed", "people", "today",
                                                "duration_only_days"})
    GET    /_sandbox/knobs                     latency, rate limits, fault shares of both services
    PATCH  /_sandbox/knobs                     {"moco": {"latency": 0.05}, "personio": {...}}
    POST   /_sandbox/faults                    {"service": "moco", "kind": "status", "method": "POST",
                                                "path": "/api/v1/schedules", "status": 503, "times": 1}
    DELETE /_sandbox/faults                    clear scripted faults
    GET    /_sandbox/spec                      a ready spec for this sandbox (YAML)
    PATCH  /_sandbox/records/{service}/{collection}/{id}   change stored fields, e.g. lock a period
    DELETE /_sandbox/records/{service}/{collection}/{id}   remove a record behind the API's back
    /_sandbox/webhooks, /_sandbox/deliveries   register webhooks, see what was sent (side_door_webhooks.py)

The Personio holiday calendars are records too: `PATCH /_sandbox/records/personio/holiday-calendars/berlin`
with `{"removed": ["2026-12-25"]}` takes a day out of Berlin's calendar, and
`PATCH /_sandbox/records/personio/persons/{id}` with `{"office": "Munich"}` moves a person to the other office
(and raises `person.updated`, as Personio does for any change of a person). The same PATCH takes a person's
employment: `hire_date`, `termination_date` ("YYYY-MM-DD" or null), `weekly_hours`, `department_id` (an id of
`org-units`); a change of these raises `employment.updated` instead, where a webhook config enables it.

A Personio absence or attendance period changed or removed here raises the webhook events its API would;
a MOCO presence, schedule or user changed or removed here is delivered as a change made in MOCO's UI.
"""

from __future__ import annotations

import dataclasses
from datetime import date
from typing import TYPE_CHECKING, Any

from aiohttp import web

from reconciler.sandbox.common import SIDE_DOOR, json_body, json_response, utc_now
from reconciler.sandbox.knobs import Fault
from reconciler.sandbox.moco.web_hooks import side_door_changed as moco_changed
from reconciler.sandbox.personio.webhooks import side_door_changed
from reconciler.sandbox.side_door_webhooks import SideDoorWebhooks

if TYPE_CHECKING:
    from reconciler.sandbox.server import Sandbox


class SideDoor:
    """The `/_sandbox/` handlers of one sandbox: they read and change its world, log, knobs and faults."""

    def __init__(self, sandbox: Sandbox) -> None:
        self.sandbox = sandbox

    def add_to(self, app: web.Application) -> None:
        r = app.router
        r.add_get(f"{SIDE_DOOR}/state", self._state)
        r.add_get(f"{SIDE_DOOR}/requests", self._requests)
        r.add_delete(f"{SIDE_DOOR}/requests", self._clear_requests)
        r.add_post(f"{SIDE_DOOR}/reset", self._reset)
        r.add_get(f"{SIDE_DOOR}/knobs", self._get_knobs)
        r.add_patch(f"{SIDE_DOOR}/knobs", self._patch_knobs)
        r.add_post(f"{SIDE_DOOR}/faults", self._add_fault)
        r.add_delete(f"{SIDE_DOOR}/faults", self._clear_faults)
        r.add_get(f"{SIDE_DOOR}/spec", self._spec)
        r.add_patch(f"{SIDE_DOOR}/records/{{service}}/{{collection}}/{{id}}", self._patch_record)
        r.add_delete(f"{SIDE_DOOR}/records/{{service}}/{{collection}}/{{id}}", self._delete_record)
        SideDoorWebhooks(self.sandbox).add_to(app)

    async def _state(self, request: web.Request) -> web.Response:
        return json_response(self.sandbox.world.dump())

    async def _requests(self, request: web.Request) -> web.Response:
        return json_response(self.sandbox.log.as_json())

    async def _clear_requests(self, request: web.Request) -> web.Response:
        self.sandbox.log.clear()
        return web.Response(status=204)

    async def _reset(self, request: web.Request) -> web.Response:
        body = await json_body(request) or {}
        current = self.sandbox.params
        try:
            params = dataclasses.replace(  # what the body does not name stays as the sandbox was started
                current,
                seed=int(body.get("seed", current.seed)),
                people=int(body.get("people", current.people)),
                today=date.fromisoformat(body["today"]) if "today" in body else current.today,
                duration_only_days=int(body.get("duration_only_days", current.duration_only_days)),
            )
        except (TypeError, ValueError) as exc:
            return json_response({"error": f"bad reset parameters: {exc}"}, status=400)
        self.sandbox.reset(params)
        return json_response({"seed": params.seed, "people": params.people, "today": params.today.isoformat()})

    async def _get_knobs(self, request: web.Request) -> web.Response:
        return json_response({name: dataclasses.asdict(k) for name, k in self.sandbox.knobs.items()})

    async def _patch_knobs(self, request: web.Request) -> web.Response:
        body = await json_body(request)
        if not isinstance(body, dict) or not set(body) <= set(self.sandbox.knobs):
            return json_response({"error": "send {\"moco\": {...}, \"personio\": {...}}"}, status=400)
        try:
            for service, values in body.items():
                self.sandbox.knobs[service].update(values)
        except ValueError as exc:
            return json_response({"error": str(exc)}, status=400)
        return await self._get_knobs(request)

    async def _add_fault(self, request: web.Request) -> web.Response:
        body = await json_body(request)
        if not isinstance(body, dict) or body.get("service") not in self.sandbox.faults:
            return json_response({"error": "send {\"service\": \"moco\"|\"personio\", \"kind\": ...}"}, status=400)
        service = body.pop("service")
        try:
            fault = Fault(**body)
        except (TypeError, ValueError) as exc:
            return json_response({"error": str(exc)}, status=400)
        self.sandbox.add_fault(service, fault)
        return json_response(dataclasses.asdict(fault), status=201)

    async def _clear_faults(self, request: web.Request) -> web.Response:
        for plan in self.sandbox.faults.values():
            plan.scripted.clear()
        return web.Response(status=204)

    async def _spec(self, request: web.Request) -> web.Response:
        return web.Response(text=self.sandbox.spec_yaml(), content_type="application/yaml")

    def _collection(self, request: web.Request) -> dict[Any, Any] | None:
        state = getattr(self.sandbox.world, request.match_info["service"], None)
        collection = getattr(state, request.match_info["collection"].replace("-", "_"), None)
        return collection if isinstance(collection, dict) else None

    @staticmethod
    def _record_key(collection: dict[Any, Any], raw: str) -> Any:
        return int(raw) if raw.isdigit() and any(isinstance(k, int) for k in collection) else raw

    async def _patch_record(self, request: web.Request) -> web.Response:
        collection = self._collection(request)
        if collection is None:
            return json_response({"error": "unknown service or collection"}, status=404)
        key = self._record_key(collection, request.match_info["id"])
        record = collection.get(key)
        body = await json_body(request)
        if record is None or not isinstance(body, dict):
            return json_response({"error": "unknown record or body not a JSON object"}, status=404)
        names = {f.name for f in dataclasses.fields(record)}
        unknown = set(body) - names
        if unknown:
            return json_response({"error": f"unknown fields {sorted(unknown)}; fields: {sorted(names)}"}, status=400)
        before = dataclasses.asdict(record)
        for name, value in body.items():
            setattr(record, name, value)
        if "updated_at" in names and "updated_at" not in body:  # changed now, as through the services' UIs
            record.updated_at = utc_now()
        self._changed(request, before, record)
        return json_response(dataclasses.asdict(record))

    async def _delete_record(self, request: web.Request) -> web.Response:
        collection = self._collection(request)
        if collection is None:
            return json_response({"error": "unknown service or collection"}, status=404)
        record = collection.pop(self._record_key(collection, request.match_info["id"]), None)
        if record is None:
            return json_response({"error": "unknown record"}, status=404)
        self._changed(request, dataclasses.asdict(record), None)
        return web.Response(status=204)

    def _changed(self, request: web.Request, before: dict[str, Any], after: Any) -> None:
        """Personio's webhook events for a period changed or deleted here, as if through its API; MOCO's
        deliveries for a presence, schedule or user, as if changed in its UI."""
        collection = request.match_info["collection"].replace("-", "_")
        if request.match_info["service"] == "personio":
            side_door_changed(self.sandbox.world.personio, collection, before, after)
        elif request.match_info["service"] == "moco":
            moco_changed(self.sandbox, collection, before, after)
