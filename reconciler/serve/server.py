"""`reconcile serve`'s process: the webhook application on its port and the controller loop beside it,
until SIGTERM or SIGINT; then no more webhooks, the run in flight given its grace, and a clean end. The
command (cli/serve.py) and `reconcile demo --serve` start it.

The port faces the internet (issue 20): connections are capped below the open-file limit and held only as
long as connections.py allows (header and idle timeouts), a body only as long as app.py allows, and refusals
are told in one log line a minute (refusals.py). Every second a housekeeping task closes late connections and
writes that line when it is due.

On SIGTERM a run still reading (or planning) is stopped at once: it has written nothing, and the full run at
the next start reads again. A run that has begun writing gets `grace` seconds for the writes in flight.
"""

from __future__ import annotations

import asyncio
import logging
import signal
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from aiohttp import web
from aiohttp.http_exceptions import HttpProcessingError

from reconciler import logs
from reconciler.errors import ReconcileError
from reconciler.serve import connections
from reconciler.serve.app import MOCO_PATH, PERSONIO_PATH, ServeState, make_app
from reconciler.serve.connections import Connections, connection_cap
from reconciler.serve.refusals import Told
from reconciler.serve.runner import Runner

Made = Callable[[], asyncio.Protocol]  # what makes the protocol of an accepted connection
HOUSEKEEPING = 1.0  # seconds between two sweeps of late connections (and looks at the refusals' line)


@dataclass(frozen=True)
class Limits:
    """What the port allows (connections.py): connections at once (before the open-file limit's say), and the
    seconds for a request's headers and between the requests of a kept-alive connection."""

    max_connections: int = connections.MAX_CONNECTIONS
    header_timeout: float = connections.HEADER_TIMEOUT
    idle_timeout: float = connections.IDLE_TIMEOUT


class _Site(web.BaseSite):
    """aiohttp's TCPSite, with each accepted connection's protocol made through `Connections`."""

    def __init__(self, runner: web.AppRunner, host: str, port: int, made: Callable[[Made], Made]) -> None:
        super().__init__(runner, backlog=128)
        self._host, self._port, self._made = host, port, made

    @property
    def name(self) -> str:
        return f"http://{self._host}:{self._port}"

    async def start(self) -> None:
        await super().start()
        server = self._runner.server
        assert server is not None
        self._server = await asyncio.get_running_loop().create_server(self._made(server), self._host, self._port,
                                                                      backlog=self._backlog, reuse_address=True)


async def run_server(state: ServeState, runner: Runner, listen: tuple[str, int], grace: float,
                     stop: asyncio.Event | None = None, *, limits: Limits = Limits()) -> None:
    """Serve `state`'s application on `listen` and run `runner` until SIGTERM or SIGINT (or `stop` is set);
    then take no more webhooks, give the run in flight `grace` seconds if it is writing, and return."""
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

    cap = connection_cap(limits.max_connections)
    held = Connections(cap, header_timeout=limits.header_timeout, idle_timeout=limits.idle_timeout,
                       on_close=lambda reason: _closed(state, reason))
    unparsable = _Unparsable(state)
    logging.getLogger("aiohttp.server").addFilter(unparsable)
    app = make_app(state)
    app.middlewares.insert(0, held.middleware)
    app_runner = web.AppRunner(app, handle_signals=False, access_log=None, shutdown_timeout=2.0,
                               **connections.options(limits.idle_timeout))
    await app_runner.setup()
    host, port = listen
    try:
        await _Site(app_runner, host, port, held.factory).start()
    except OSError as exc:
        await app_runner.cleanup()
        logging.getLogger("aiohttp.server").removeFilter(unparsable)
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
              f"/readyz, /metrics); at most {cap} connections at once.", host=host, port=port, connections=cap)
    task = asyncio.create_task(runner.run())
    stopping = asyncio.create_task(stop.wait())
    keeping = asyncio.create_task(_housekeeping(state, held))
    try:
        await asyncio.wait({task, stopping}, return_when=asyncio.FIRST_COMPLETED)
        runner.stop(received[0] if received else "stop")
        await app_runner.cleanup()  # no more webhooks: the listening socket closes first
        await _finish(task, runner, grace)
    finally:
        stopping.cancel()
        keeping.cancel()
        for number in installed:
            loop.remove_signal_handler(number)
        await app_runner.cleanup()
        logging.getLogger("aiohttp.server").removeFilter(unparsable)
        _tell(state.refusals.flush(state.clock()))
    logs.line("serve.done", "Stopped.")


async def _finish(task: asyncio.Task[Any], runner: Runner, grace: float) -> None:
    """The run in flight: stopped at once while it only reads, else given `grace` seconds for its writes."""
    if task.done():
        if not task.cancelled() and (failure := task.exception()) is not None:
            raise failure
        return
    if not runner.halt.writing:
        task.cancel()
        await asyncio.wait({task})
        logs.line("serve.stopping", "Stopping: the run in flight was still reading MOCO and Personio and had written "
                  "nothing; it was stopped at once (the full run at the next start reads again).", waited=0)
        return
    logs.line("serve.stopping", f"Stopping: no new changes; waiting up to {grace:.0f} s for those in flight.",
              grace=grace)
    done, _ = await asyncio.wait({task}, timeout=grace)
    if done:
        if not task.cancelled() and (failure := task.exception()) is not None:
            raise failure
        return
    task.cancel()
    logs.line("serve.cut", f"The run in flight was still writing after {grace:.0f} s and was stopped: a change's "
              "request to MOCO or Personio had not been answered, or the read-back after its writes was still "
              "going (it is paced by the rate limits). The changes being sent may or may not have been made; the "
              "full run at the next start reads both systems first, so it neither repeats nor loses one.",
              level="warning", grace=grace)
    await asyncio.wait({task})


def _closed(state: ServeState, reason: str) -> None:
    """A connection serve closed itself: on /metrics at once, in the refusals' next line."""
    state.metrics.closed(reason)
    _tell(state.refusals.add("connections", reason, state.clock()))


class _Unparsable(logging.Filter):
    """aiohttp logs a traceback for each request it cannot parse (answered 400) or whose client went away:
    anyone can send those, so they are counted instead (/metrics, the refusals' line), never logged one by one."""

    def __init__(self, state: ServeState) -> None:
        super().__init__()
        self.state = state

    def filter(self, record: logging.LogRecord) -> bool:
        failure = record.exc_info[1] if record.exc_info else None
        if isinstance(failure, HttpProcessingError | ConnectionError):
            _closed(self.state, "bad_request")
            return False
        return True


def _tell(told: Told | None) -> None:
    if told:
        logs.line("serve.refused", told.message, level="warning", **told.fields)


async def _housekeeping(state: ServeState, held: Connections) -> None:
    while True:
        await asyncio.sleep(min(HOUSEKEEPING, held.header_timeout / 4))
        held.sweep()
        state.metrics.connections_open.set(held.open())
        _tell(state.refusals.due(state.clock()))
