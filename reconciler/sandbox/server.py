"""Runs the two stand-ins on 127.0.0.1, in this event loop (`Sandbox`) or in a thread (`SandboxThread`).

The side door lives under `/_sandbox/` on both ports and is clearly not part of either API:

    GET    /_sandbox/state                     every record of both systems, as stored
    GET    /_sandbox/requests                  the request log with counts per endpoint
    DELETE /_sandbox/requests                  clear the log
    POST   /_sandbox/reset                     back to the seeded data (body: {"seed", "people", "today"})
    GET    /_sandbox/knobs                     latency, rate limits, fault shares of both services
    PATCH  /_sandbox/knobs                     {"moco": {"latency": 0.05}, "personio": {...}}
    POST   /_sandbox/faults                    {"service": "moco", "kind": "status", "method": "POST",
                                                "path": "/api/v1/schedules", "status": 503, "times": 1}
    DELETE /_sandbox/faults                    clear scripted faults
    GET    /_sandbox/spec                      a ready spec for this sandbox (YAML)
    PATCH  /_sandbox/records/{service}/{collection}/{id}   change stored fields, e.g. lock a period
    DELETE /_sandbox/records/{service}/{collection}/{id}   remove a record behind the API's back
"""

from __future__ import annotations

import asyncio
import dataclasses
import threading
from datetime import date
from typing import Any

from aiohttp import web

from .common import SIDE_DOOR, json_body, json_response
from .knobs import Fault, FaultPlan, MocoKnobs, PersonioKnobs, RequestLog, ServiceKnobs, SlidingWindow
from .moco_api import API as MOCO_API, moco_app
from .personio_api import personio_app
from .records import World
from .seed import SeedParams, generate_world, ready_spec, sandbox_env

HOST = "127.0.0.1"


class Sandbox:
    """Both stand-ins with one seeded world. `async with Sandbox(...) as sandbox:` serves them."""

    def __init__(self, params: SeedParams | None = None, *, moco_port: int = 0, personio_port: int = 0,
                 moco: dict[str, Any] | None = None, personio: dict[str, Any] | None = None) -> None:
        self.params = params or SeedParams()
        self.world: World = generate_world(self.params)
        self.knobs: dict[str, ServiceKnobs] = {"moco": MocoKnobs(), "personio": PersonioKnobs()}
        self.knobs["moco"].update(moco or {})
        self.knobs["personio"].update(personio or {})
        self.log = RequestLog()
        self.limiter = SlidingWindow()
        self.faults = {"moco": FaultPlan(), "personio": FaultPlan()}
        self._ports = {"moco": moco_port, "personio": personio_port}
        self._runners: list[web.AppRunner] = []
        self.moco_port = self.personio_port = 0

    # ------------------------------------------------------------------ addresses

    @property
    def moco_url(self) -> str:
        """The MOCO API root, as `moco.base_url` in a spec wants it."""
        return f"http://{HOST}:{self.moco_port}{MOCO_API}"

    @property
    def personio_url(self) -> str:
        return f"http://{HOST}:{self.personio_port}"

    def env(self) -> dict[str, str]:
        return sandbox_env()

    def spec_yaml(self) -> str:
        moco, personio = self.knobs["moco"], self.knobs["personio"]
        return ready_spec(self.params, self.moco_url, self.personio_url,
                          (moco.rate_limit_requests, moco.rate_limit_seconds),
                          (personio.rate_limit_requests, personio.rate_limit_seconds))

    # ------------------------------------------------------------------ life cycle

    async def start(self) -> Sandbox:
        for service, factory in (("moco", moco_app), ("personio", personio_app)):
            app = factory(self)
            self._add_side_door(app)
            runner = web.AppRunner(app, access_log=None, handle_signals=False)
            await runner.setup()
            site = web.TCPSite(runner, HOST, self._ports[service], reuse_address=True)
            await site.start()
            self._runners.append(runner)
            port = runner.addresses[0][1]
            if service == "moco":
                self.moco_port = port
            else:
                self.personio_port = port
        return self

    async def stop(self) -> None:
        for runner in self._runners:
            await runner.cleanup()
        self._runners.clear()

    async def __aenter__(self) -> Sandbox:
        return await self.start()

    async def __aexit__(self, *exc: Any) -> None:
        await self.stop()

    def reset(self, params: SeedParams | None = None) -> None:
        """Back to freshly seeded data: world, log, rate windows, faults, tokens."""
        self.params = params or self.params
        self.world = generate_world(self.params)
        self.log.clear()
        self.limiter.reset()
        self.faults = {"moco": FaultPlan(), "personio": FaultPlan()}

    def add_fault(self, service: str, fault: Fault) -> None:
        self.faults[service].scripted.append(fault)

    # ------------------------------------------------------------------ the side door

    def _add_side_door(self, app: web.Application) -> None:
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

    async def _state(self, request: web.Request) -> web.Response:
        return json_response(self.world.dump())

    async def _requests(self, request: web.Request) -> web.Response:
        return json_response(self.log.as_json())

    async def _clear_requests(self, request: web.Request) -> web.Response:
        self.log.clear()
        return web.Response(status=204)

    async def _reset(self, request: web.Request) -> web.Response:
        body = await json_body(request) or {}
        try:
            params = SeedParams(
                seed=int(body.get("seed", self.params.seed)),
                people=int(body.get("people", self.params.people)),
                today=date.fromisoformat(body["today"]) if "today" in body else self.params.today,
                history_days=self.params.history_days,
                until_days=self.params.until_days,
            )
        except (TypeError, ValueError) as exc:
            return json_response({"error": f"bad reset parameters: {exc}"}, status=400)
        self.reset(params)
        return json_response({"seed": params.seed, "people": params.people, "today": params.today.isoformat()})

    async def _get_knobs(self, request: web.Request) -> web.Response:
        return json_response({name: dataclasses.asdict(k) for name, k in self.knobs.items()})

    async def _patch_knobs(self, request: web.Request) -> web.Response:
        body = await json_body(request)
        if not isinstance(body, dict) or not set(body) <= set(self.knobs):
            return json_response({"error": "send {\"moco\": {...}, \"personio\": {...}}"}, status=400)
        try:
            for service, values in body.items():
                self.knobs[service].update(values)
        except ValueError as exc:
            return json_response({"error": str(exc)}, status=400)
        return await self._get_knobs(request)

    async def _add_fault(self, request: web.Request) -> web.Response:
        body = await json_body(request)
        if not isinstance(body, dict) or body.get("service") not in self.faults:
            return json_response({"error": "send {\"service\": \"moco\"|\"personio\", \"kind\": ...}"}, status=400)
        service = body.pop("service")
        try:
            fault = Fault(**body)
        except (TypeError, ValueError) as exc:
            return json_response({"error": str(exc)}, status=400)
        self.add_fault(service, fault)
        return json_response(dataclasses.asdict(fault), status=201)

    async def _clear_faults(self, request: web.Request) -> web.Response:
        for plan in self.faults.values():
            plan.scripted.clear()
        return web.Response(status=204)

    async def _spec(self, request: web.Request) -> web.Response:
        return web.Response(text=self.spec_yaml(), content_type="application/yaml")

    def _collection(self, request: web.Request) -> dict[Any, Any] | None:
        state = getattr(self.world, request.match_info["service"], None)
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
        for name, value in body.items():
            setattr(record, name, value)
        return json_response(dataclasses.asdict(record))

    async def _delete_record(self, request: web.Request) -> web.Response:
        collection = self._collection(request)
        if collection is None:
            return json_response({"error": "unknown service or collection"}, status=404)
        if collection.pop(self._record_key(collection, request.match_info["id"]), None) is None:
            return json_response({"error": "unknown record"}, status=404)
        return web.Response(status=204)


class SandboxThread:
    """A `Sandbox` served from a background thread, for callers that run their own event loops
    (the CLI under test, `reconcile demo`). Use as a context manager."""

    def __init__(self, sandbox: Sandbox) -> None:
        self.sandbox = sandbox
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="reconcile-sandbox", daemon=True)

    def __enter__(self) -> Sandbox:
        self._thread.start()
        asyncio.run_coroutine_threadsafe(self.sandbox.start(), self._loop).result(timeout=30)
        return self.sandbox

    def __exit__(self, *exc: Any) -> None:
        asyncio.run_coroutine_threadsafe(self.sandbox.stop(), self._loop).result(timeout=30)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=30)
        self._loop.close()

    def call(self, function: Any, *args: Any) -> Any:
        """Run `function(*args)` on the sandbox's loop (safe against requests being served)."""

        async def run() -> Any:
            return function(*args)

        return asyncio.run_coroutine_threadsafe(run(), self._loop).result(timeout=30)
