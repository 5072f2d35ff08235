"""Runs the two stand-ins on 127.0.0.1, in this event loop (`Sandbox`) or in a thread (`SandboxThread`).

Both ports also serve the side door under `/_sandbox/` (side_door.py), which is clearly not part of
either API.
"""

from __future__ import annotations

import asyncio
import threading
from typing import Any

from aiohttp import web

from reconciler.sandbox.deliveries import Outbox
from reconciler.sandbox.knobs import Fault, FaultPlan, MocoKnobs, PersonioKnobs, RequestLog, ServiceKnobs, SlidingWindow
from reconciler.sandbox.moco import API as MOCO_API
from reconciler.sandbox.moco import moco_app
from reconciler.sandbox.personio import personio_app
from reconciler.sandbox.personio.webhooks import delivery_to
from reconciler.sandbox.seed import SeedParams, generate_world, ready_spec, sandbox_env
from reconciler.sandbox.side_door import SideDoor
from reconciler.sandbox.world import World

HOST = "127.0.0.1"


class Sandbox:
    """Both stand-ins with one seeded world. `async with Sandbox(...) as sandbox:` serves them."""

    def __init__(self, params: SeedParams | None = None, *, moco_port: int = 0, personio_port: int = 0,
                 moco: dict[str, Any] | None = None, personio: dict[str, Any] | None = None) -> None:
        self.params = params or SeedParams()
        self.outbox = Outbox()  # the webhooks it sends (none until a hook is registered)
        self.world: World = self._seeded()
        self.knobs: dict[str, ServiceKnobs] = {"moco": MocoKnobs(), "personio": PersonioKnobs()}
        self.knobs["moco"].update(moco or {})
        self.knobs["personio"].update(personio or {})
        self.log = RequestLog()
        self.limiter = SlidingWindow()
        self.faults = {"moco": FaultPlan(), "personio": FaultPlan()}
        self._ports = {"moco": moco_port, "personio": personio_port}
        self._runners: list[web.AppRunner] = []
        self.moco_port = self.personio_port = 0

    def _seeded(self) -> World:
        world = generate_world(self.params)
        world.personio.deliver = delivery_to(self.outbox)
        return world

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

    def spec_yaml(self, *, holidays: bool = False, people: bool = False) -> str:
        """The ready spec (seed/ready.py); `holidays`: with `holidays.sync: true`; `people`: with the section
        `people` creating hires' MOCO users and archiving leavers' (PEOPLE_SECTION)."""
        moco, personio = self.knobs["moco"], self.knobs["personio"]
        return ready_spec(self.params, self.moco_url, self.personio_url,
                          (moco.rate_limit_requests, moco.rate_limit_seconds),
                          (personio.rate_limit_requests, personio.rate_limit_seconds), holidays=holidays,
                          people=people)

    # ------------------------------------------------------------------ life cycle

    async def start(self) -> Sandbox:
        for service, factory in (("moco", moco_app), ("personio", personio_app)):
            app = factory(self)
            SideDoor(self).add_to(app)
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
        await self.outbox.stop()
        for runner in self._runners:
            await runner.cleanup()
        self._runners.clear()
        # A connection closed by the cleanup closes its socket in a callback of the loop's next turn: let
        # those run, so that no socket outlives a loop stopped right after (a ResourceWarning at exit).
        for _ in range(3):
            await asyncio.sleep(0)

    async def __aenter__(self) -> Sandbox:
        return await self.start()

    async def __aexit__(self, *exc: Any) -> None:
        await self.stop()

    def reset(self, params: SeedParams | None = None) -> None:
        """Back to freshly seeded data: world, log, rate windows, faults, tokens."""
        self.params = params or self.params
        self.world = self._seeded()  # registered web hooks go with the old world
        self.outbox.clear()
        self.log.clear()
        self.limiter.reset()
        self.faults = {"moco": FaultPlan(), "personio": FaultPlan()}

    def add_fault(self, service: str, fault: Fault) -> None:
        self.faults[service].scripted.append(fault)


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
