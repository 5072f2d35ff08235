"""`reconcile serve`'s process: the webhook application on its port and the controller loop beside it,
until SIGTERM or SIGINT; then no more webhooks, the run in flight given its grace, and a clean end. The
command (cli/serve.py) and `reconcile demo --serve` start it."""

from __future__ import annotations

import asyncio
import signal
from typing import Any

from aiohttp import web

from reconciler import logs
from reconciler.errors import ReconcileError
from reconciler.serve.app import MOCO_PATH, PERSONIO_PATH, ServeState, make_app
from reconciler.serve.runner import Runner


async def run_server(state: ServeState, runner: Runner, listen: tuple[str, int], grace: float,
                     stop: asyncio.Event | None = None) -> None:
    """Serve `state`'s application on `listen` and run `runner` until SIGTERM or SIGINT (or `stop` is set);
    then take no more webhooks, give the run in flight `grace` seconds, and return."""
    stop = stop or asyncio.Event()
    received: list[str] = []
    loop = asyncio.get_running_loop()
    task: asyncio.Task[Any] | None = None

    def signalled(number: signal.Signals) -> None:
        if received and task is not None:  # a second signal: no more waiting
            task.cancel()
        received.append(number.name)
        runner.stop(number.name)
        stop.set()

    app_runner = web.AppRunner(make_app(state), handle_signals=False, access_log=None, shutdown_timeout=2.0)
    await app_runner.setup()
    host, port = listen
    try:
        await web.TCPSite(app_runner, host, port).start()
    except OSError as exc:
        await app_runner.cleanup()
        raise ReconcileError(f"cannot listen on {host}:{port}: {exc.strerror or exc}; choose another with "
                             "--listen HOST:PORT") from None
    installed = []
    for number in (signal.SIGTERM, signal.SIGINT):
        try:
            loop.add_signal_handler(number, signalled, number)
            installed.append(number)
        except (NotImplementedError, RuntimeError, ValueError):  # not the main thread
            continue
    port = next((address[1] for address in app_runner.addresses if isinstance(address, tuple)), port)  # 0: as bound
    logs.line("serve.listening", f"Listening on http://{host}:{port} ({MOCO_PATH}, {PERSONIO_PATH}, /healthz, "
              "/readyz, /metrics).", host=host, port=port)
    task = asyncio.create_task(runner.run())
    stopping = asyncio.create_task(stop.wait())
    try:
        await asyncio.wait({task, stopping}, return_when=asyncio.FIRST_COMPLETED)
        runner.stop(received[0] if received else "stop")
        await app_runner.cleanup()  # no more webhooks: the listening socket closes first
        if not task.done():
            logs.line("serve.stopping", f"Stopping: no new changes; waiting up to {grace:.0f} s for those in "
                      "flight.", grace=grace)
        done, _ = await asyncio.wait({task}, timeout=grace)
        if not done:
            task.cancel()
            logs.line("serve.cut", f"The run in flight did not finish within {grace:.0f} s and was stopped (a "
                      "service was slow to answer); the changes being sent may or may not have been made. The full "
                      "run at the next start reads both systems first, so it neither repeats nor loses one.",
                      level="warning")
            await asyncio.wait({task})
        elif not task.cancelled() and (failure := task.exception()) is not None:
            raise failure
    finally:
        stopping.cancel()
        for number in installed:
            loop.remove_signal_handler(number)
        await app_runner.cleanup()
    logs.line("serve.done", "Stopped.")
