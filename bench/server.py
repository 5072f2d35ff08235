"""The benchmark's sandbox process: both stand-ins with a generated company, served until SIGTERM.

    python bench/server.py --people 500 --seed 1 --history-days 365 --absence-days 30 --latency 0.02 --rate-scale 100

It runs apart from reconcile, so reconcile's CPU and memory are measured alone. It prints one JSON line
(`{"moco": API root, "personio": URL, "side_door": …}`) once it listens. Besides the sandbox's side door
(docs/sandbox.md) it answers, under /_sandbox/bench/ on either port (outside the imitated APIs: no
latency, no limit, not logged):

    POST /sync       the synced state: reconcile's plan put straight into the stores (changes.py)
    POST /touch      {"share": 0.01, "presences": 2, "absences": 2}: a few people's records changed now
    POST /unsync     {"moco": 360, "personio": 900}: synced records of people not chosen before removed,
                     for apply to write again
    GET  /minimum    ?kind=full|incremental|apply[&only=DIRECTION]: the fewest requests the data needs
                     (minimum.py)
    GET  /log        the request log in brief: per service the endpoints' counts, 429s, first and last
                     moment (seconds on this machine's monotonic clock); the seconds spent building
                     lists (fastlists.py) so far

The ready spec syncs holidays (`spec_yaml(holidays=True)`; --no-holidays: not, as before issue 23): every
scenario runs all three directions, and a full run reads Personio's holidays of every person (`GET
/v2/holidays`, minimum.py counts their pages).

Rate limits are the services' standard ones with windows shortened by --rate-scale (MOCO 120 requests
/ 120 s ÷ F, Personio 300 / 60 s ÷ F, the spec's default for Personio), in the stand-ins and in the
ready spec alike.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import signal
import sys
from datetime import date
from typing import Any

import changes
import fastlists
import indexes
import minimum
from aiohttp import web
from harness import MOCO_STANDARD, PERSONIO_STANDARD

from reconciler.sandbox.moco import moco_app
from reconciler.sandbox.personio import personio_app
from reconciler.sandbox.seed import SeedParams, restamp
from reconciler.sandbox.server import HOST, Sandbox
from reconciler.sandbox.side_door import SideDoor

BENCH = "/_sandbox/bench"


def scaled(standard: tuple[int, float], factor: float) -> dict[str, Any]:
    return {"rate_limit_requests": standard[0], "rate_limit_seconds": standard[1] / factor}


class BenchSandbox(Sandbox):
    """The stand-ins with the benchmark's faster lists (fastlists.py) and its routes."""

    def __init__(self, params: SeedParams, latency: float, factor: float, plain: bool = False,
                 holidays: bool = True) -> None:
        self.plain = plain  # the stand-ins as they are, without fastlists.py (selfcheck.py compares)
        self.holidays = holidays  # the ready spec syncs holidays (--no-holidays: not, as before issue 23)
        if not plain:
            fastlists.install()
        super().__init__(params, moco={"latency": latency, **scaled(MOCO_STANDARD, factor)},
                         personio={"latency": latency, **scaled(PERSONIO_STANDARD, factor)})
        if not plain:
            indexes.index_world(self.world)
        restamp(self.world, changes.long_ago())
        self.touched = changes.Touched()
        self.unsynced: dict[str, Any] = {"user_ids": [], "removed": {"moco": 0, "personio": 0}}
        self.unsynced_before: list[int] = []  # people an earlier unsync chose: never chosen again

    def spec_yaml(self, *, holidays: bool | None = None) -> str:
        """The ready spec with holidays synced (`holidays: {sync: true}`, unless --no-holidays): every run is the
        main job, all three directions; the side door's /spec, the synced state (changes.py) and the applies'
        spec take it too."""
        return super().spec_yaml(holidays=self.holidays if holidays is None else holidays)

    async def start(self) -> BenchSandbox:  # Sandbox.start, plus the benchmark's middleware and routes
        for service, factory in (("moco", moco_app), ("personio", personio_app)):
            app = factory(self)
            if not self.plain:
                app.middlewares.append(fastlists.forget_on_write)
            SideDoor(self).add_to(app)
            self.add_routes(app)
            runner = web.AppRunner(app, access_log=None, handle_signals=False)
            await runner.setup()
            site = web.TCPSite(runner, HOST, self._ports[service], reuse_address=True)
            await site.start()
            self._runners.append(runner)
            if service == "moco":
                self.moco_port = runner.addresses[0][1]
            else:
                self.personio_port = runner.addresses[0][1]
        return self

    def add_routes(self, app: web.Application) -> None:
        app.router.add_post(f"{BENCH}/sync", self._sync)
        app.router.add_post(f"{BENCH}/touch", self._touch)
        app.router.add_post(f"{BENCH}/unsync", self._unsync)
        app.router.add_get(f"{BENCH}/minimum", self._minimum)
        app.router.add_get(f"{BENCH}/log", self._log)

    async def _sync(self, request: web.Request) -> web.Response:
        result = await changes.sync(self)
        result["lists_built_again"] = await fastlists.rebuild()
        self.log.clear()
        self.limiter.reset()
        return web.json_response(result)

    async def _touch(self, request: web.Request) -> web.Response:
        body = await request.json() if request.can_read_body else {}
        async with fastlists.world_lock:
            self.touched = changes.touch(self, float(body.get("share", 0.01)), int(body.get("presences", 2)),
                                         int(body.get("absences", 2)))
            fastlists.invalidate()
        t = self.touched
        return web.json_response({"at": t.at, "users": len(t.users), "presences": len(t.presences),
                                  "absence_periods": len(t.absence_periods)})

    async def _unsync(self, request: web.Request) -> web.Response:
        body = await request.json()
        async with fastlists.world_lock:
            self.unsynced = changes.unsync(self, int(body["moco"]), int(body["personio"]),
                                           [*self.touched.users, *self.unsynced_before])
            fastlists.invalidate()
        self.unsynced_before += self.unsynced["user_ids"]
        return web.json_response(self.unsynced)

    async def _minimum(self, request: web.Request) -> web.Response:
        kind = request.query.get("kind", "full")
        if kind == "incremental":
            rows = minimum.incremental(self.world, self.params, self.touched, self.holidays)
        elif kind == "apply":
            rows = minimum.scoped_apply(self.world, self.params, set(self.unsynced["user_ids"]),
                                        self.unsynced["removed"], request.query.get("only") or None, self.holidays)
        else:
            rows = minimum.full(self.world, self.params, self.holidays)
        return web.json_response(minimum.as_json(rows))

    async def _log(self, request: web.Request) -> web.Response:
        services: dict[str, Any] = {}
        for entry in self.log.entries:
            found = services.setdefault(entry.service, {"counts": {}, "refused": 0, "requests": 0,
                                                        "first": entry.started, "last": entry.finished})
            found["counts"][entry.endpoint] = found["counts"].get(entry.endpoint, 0) + 1
            found["requests"] += 1
            found["refused"] += entry.status == 429
            found["first"] = min(found["first"], entry.started)
            found["last"] = max(found["last"], entry.finished)
        for found in services.values():
            found["first"] += self.log.epoch
            found["last"] += self.log.epoch
        return web.json_response({"services": services, "built_seconds": fastlists.built_seconds[0]})


async def serve(sandbox: BenchSandbox) -> None:
    await sandbox.start()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    print(json.dumps({"moco": sandbox.moco_url, "personio": sandbox.personio_url,
                      "side_door": f"http://{HOST}:{sandbox.moco_port}/_sandbox", "spec": sandbox.spec_yaml(),
                      "records": {"presences": len(sandbox.world.moco.presences),
                                  "schedules": len(sandbox.world.moco.schedules),
                                  "absence_periods": len(sandbox.world.personio.absence_periods)}}), flush=True)
    try:
        await stop.wait()
    finally:
        await sandbox.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--people", type=int, required=True)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--today", type=date.fromisoformat, default=date.today())
    parser.add_argument("--history-days", type=int, default=365)
    parser.add_argument("--absence-days", type=int, default=30)
    parser.add_argument("--latency", type=float, default=0.02)
    parser.add_argument("--rate-scale", type=float, default=100.0)
    parser.add_argument("--stamp", help="date every record so (UTC, YYYY-MM-DDTHH:MM:SSZ); default a day ago")
    parser.add_argument("--plain", action="store_true", help="the stand-ins without the benchmark's faster lists")
    parser.add_argument("--no-holidays", dest="holidays", action="store_false",
                        help="the ready spec without holidays synced (as before issue 23)")
    args = parser.parse_args()
    sys.setswitchinterval(0.001)  # a list built in the worker thread lets the event loop in often
    params = SeedParams(seed=args.seed, people=args.people, today=args.today, history_days=args.history_days,
                        absence_days_per_year=args.absence_days)
    sandbox = BenchSandbox(params, args.latency, args.rate_scale, plain=args.plain, holidays=args.holidays)
    if args.stamp:
        restamp(sandbox.world, args.stamp)
    asyncio.run(serve(sandbox))


if __name__ == "__main__":
    main()
