"""`reconcile sandbox serve`: both stand-ins in the foreground until Ctrl-C or SIGTERM."""

from __future__ import annotations

import asyncio
import errno
import signal
import tempfile
from datetime import date
from pathlib import Path

import click

from reconciler.errors import ReconcileError
from reconciler.sandbox.seed import MOCO_API_KEY, SeedParams
from reconciler.sandbox.server import Sandbox

# Both stand-ins run at MOCO's "unlimited" plan rate (1200 requests per 120 s; the standard plan allows 120) and a
# generous Personio budget, as `reconcile demo` does, so that a first apply takes seconds, not minutes (12 people
# at MOCO's standard rate: about 4 minutes). The ready spec states them, so reconcile paces itself below them.
FAST_MOCO_RATE = {"rate_limit_requests": 1200, "rate_limit_seconds": 120.0}
FAST_PERSONIO_RATE = {"rate_limit_requests": 1200, "rate_limit_seconds": 60.0}


def serve(*, people: int, seed: int, today: date | None, moco_port: int, personio_port: int, latency: float,
          spec_out: Path | None) -> None:
    params = SeedParams(seed=seed, people=people, today=today or date.today())
    sandbox = Sandbox(params, moco_port=moco_port, personio_port=personio_port,
                      moco={"latency": latency, **FAST_MOCO_RATE}, personio={"latency": latency, **FAST_PERSONIO_RATE})
    try:
        asyncio.run(_run(sandbox, spec_out))
    except KeyboardInterrupt:
        pass
    click.echo("sandbox stopped")


async def _run(sandbox: Sandbox, spec_out: Path | None) -> None:
    try:
        await sandbox.start()
    except OSError as exc:
        await sandbox.stop()
        if exc.errno == errno.EADDRINUSE:
            raise ReconcileError(
                f"a port is already in use ({exc.strerror}); choose others with --moco-port and --personio-port "
                "(0 picks a free one)"
            ) from None
        raise ReconcileError(f"cannot start the sandbox: {exc.strerror or exc}") from None
    try:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM):  # before announcing: a scheduler may stop us at once
            loop.add_signal_handler(signum, stop.set)
        spec_path = spec_out or Path(tempfile.mkdtemp(prefix="reconcile-sandbox-")) / "mapping.yaml"
        spec_path.write_text(sandbox.spec_yaml(), encoding="utf-8")
        _announce(sandbox, spec_path)
        await stop.wait()
    finally:
        await sandbox.stop()


def _announce(sandbox: Sandbox, spec_path: Path) -> None:
    p = sandbox.params
    side_door = sandbox.moco_url.replace("/api/v1", "/_sandbox")
    lines = [
        f"reconcile sandbox: seed {p.seed}, {p.people} {'person' if p.people == 1 else 'people'} in both systems, "
        f"data built around {p.today}",
        f"  MOCO API      {sandbox.moco_url}",
        f"  Personio API  {sandbox.personio_url}",
        f"  side door     {side_door}/state, /requests, /knobs, /faults (docs/sandbox.md)",
        f"  rate limits   MOCO {_rate(sandbox, 'moco')} (MOCO's \"unlimited\" plan; the standard plan allows 120 "
        f"per 120 s), Personio {_rate(sandbox, 'personio')}; the ready spec states them",
        "",
        "Export these, then use the ready spec:",
        *[f"  export {name}={value}" for name, value in sandbox.env().items()],
        f"  reconcile validate -c {spec_path}",
        "",
        "Try:",
        f"  curl -i -H 'Authorization: Token token={MOCO_API_KEY}' '{sandbox.moco_url}/users?per_page=5'",
        "",
        "Stop with Ctrl-C.",
    ]
    click.echo("\n".join(lines))


def _rate(sandbox: Sandbox, service: str) -> str:
    knobs = sandbox.knobs[service]
    return f"{knobs.rate_limit_requests:,} requests per {knobs.rate_limit_seconds:g} s"
