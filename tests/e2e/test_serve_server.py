"""serve's port on the open internet (issue 20, findings 3 and 4): the real server (run_server) in this process,
with a runner that reconciles nothing, against raw sockets: connections beyond the cap make room or are closed,
/healthz answers through hundreds of idle connections, slow headers and idle keep-alives are cut, a slow body
is answered 408, a hang-up is no error, refusals are one log line, and under `--log-format json` every stderr
line is JSON, whatever aiohttp, asyncio or Python's warnings have to say."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import json
import logging
import socket
import threading
import time
import types
import urllib.request
import warnings
from collections.abc import Iterator

import pytest
from prometheus_client.parser import text_string_to_metric_families

from reconciler import logs
from reconciler.serve.app import ServeState
from reconciler.serve.server import Limits, run_server
from tests.e2e.serving import free_port, wait_for

SECRET = "0123456789abcdef0123456789abcdef"


class Idle:
    """A Runner that reconciles nothing until stopped."""

    def __init__(self) -> None:
        self.halt = types.SimpleNamespace(writing=False, reason="")
        self.stopped: asyncio.Event | None = None

    async def run(self) -> None:
        self.stopped = asyncio.Event()
        await self.stopped.wait()

    def stop(self, reason: str) -> None:
        if self.stopped is not None:
            self.stopped.set()


class Server:
    def __init__(self, state: ServeState, port: int, loop: asyncio.AbstractEventLoop) -> None:
        self.state, self.port, self.loop = state, port, loop

    def get(self, path: str) -> tuple[int, bytes]:
        with urllib.request.urlopen(f"http://127.0.0.1:{self.port}{path}", timeout=10) as answer:
            return answer.status, answer.read()

    def metric(self, name: str, **labels: str) -> float:
        text = self.state.metrics.render().decode()
        samples = {(s.name, tuple(sorted(s.labels.items()))): s.value
                   for family in text_string_to_metric_families(text) for s in family.samples}
        return samples.get((name, tuple(sorted(labels.items()))), 0.0)

    def connect(self) -> socket.socket:
        return socket.create_connection(("127.0.0.1", self.port), timeout=10)


@contextlib.contextmanager
def serving(limits: Limits = Limits(), body_timeout: float = 10.0) -> Iterator[Server]:
    state = ServeState(moco_secret=SECRET, personio_secret="personio-webhook-token", body_timeout=body_timeout)
    port, ready, box = free_port(), threading.Event(), {}

    async def main() -> None:
        box["loop"], box["stop"] = asyncio.get_running_loop(), asyncio.Event()
        ready.set()
        await run_server(state, Idle(), ("127.0.0.1", port), 5.0, stop=box["stop"], limits=limits)

    thread = threading.Thread(target=lambda: asyncio.run(main()))
    thread.start()
    assert ready.wait(10)
    server = Server(state, port, box["loop"])
    wait_for(lambda: _answers(server), 10, "the server listening")
    try:
        yield server
    finally:
        box["loop"].call_soon_threadsafe(box["stop"].set)
        thread.join(30)
        assert not thread.is_alive()


def _answers(server: Server) -> bool:
    try:
        return server.get("/healthz")[0] == 200
    except OSError:
        return False


def closed(sock: socket.socket, wait: float = 0.0) -> bool:
    """Whether the server closed `sock` (within `wait` seconds)."""
    sock.settimeout(max(wait, 0.01))
    try:
        return sock.recv(1) == b""
    except TimeoutError:
        return False
    except OSError:  # reset
        return True


def closed_within(sock: socket.socket, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if closed(sock, 0.2):
            return True
    return False


def answer_of(sock: socket.socket) -> bytes:
    sock.settimeout(10)
    data = b""
    with contextlib.suppress(OSError):
        while chunk := sock.recv(4096):
            data += chunk
    return data


@pytest.fixture
def json_logs(capsys):
    logs.configure("json")
    yield capsys
    logs.configure("text")


def test_hundreds_of_idle_connections_leave_healthz_answering_and_at_most_the_cap_open():
    """300 connections that send nothing against a cap of 50: each beyond the cap closes the one idle longest,
    /healthz answers at once, and no more than 50 are ever held."""
    with serving(Limits(max_connections=50, header_timeout=60, idle_timeout=60)) as server:
        idle = [server.connect() for _ in range(300)]
        wait_for(lambda: server.metric("reconcile_connections_closed_total", reason="evicted") >= 250, 10,
                 "idle connections closed to make room")
        assert server.get("/healthz") == (200, b"ok\n")
        still_open = [sock for sock in idle if not closed(sock)]
        assert len(still_open) <= 50
        assert all(closed(sock) for sock in idle[:200])  # the oldest made room for the newest
        for sock in idle:
            sock.close()


def test_when_every_connection_is_in_a_request_a_new_one_is_closed_at_once():
    """The cap reached by requests still sending their bodies: a new connection is closed at once (never held
    waiting, never accepted into a request); once a request ends, /healthz answers again."""
    with serving(Limits(max_connections=20, header_timeout=60, idle_timeout=60), body_timeout=60) as server:
        busy = []
        for _ in range(20):
            sock = server.connect()
            sock.sendall(b"POST /hooks/moco HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n{")
            busy.append(sock)
        wait_for(lambda: server.metric("reconcile_connections_open") >= 20, 10, "20 requests reading their bodies")
        extra = server.connect()
        extra.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        assert closed_within(extra, 5) and answer_of(extra) == b""
        assert server.metric("reconcile_connections_closed_total", reason="over_cap") >= 1
        busy.pop().close()  # one request ends (its client hung up)
        wait_for(lambda: _answers(server), 10, "/healthz answering once a connection is free")
        for sock in busy + [extra]:
            sock.close()


def test_headers_sent_slowly_and_connections_sending_nothing_are_cut():
    with serving(Limits(header_timeout=0.5, idle_timeout=60)) as server:
        silent = server.connect()
        dripping = server.connect()
        head = b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: " + b"a" * 200
        cut = False
        for byte in head:  # a byte every 50 ms: 10 s for the whole head, 20 times the timeout
            try:
                dripping.sendall(bytes([byte]))
            except OSError:
                cut = True
                break
            if closed(dripping, 0.05):
                cut = True
                break
        assert cut, "a head sent a byte at a time was never cut off"
        assert closed_within(silent, 5)
        assert server.metric("reconcile_connections_closed_total", reason="timeout") >= 2
        assert server.get("/healthz")[0] == 200
        silent.close()
        dripping.close()


def test_an_idle_kept_alive_connection_is_closed_after_the_idle_timeout_and_not_counted():
    with serving(Limits(header_timeout=60, idle_timeout=0.5)) as server:
        sock = server.connect()
        sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        sock.settimeout(10)
        assert sock.recv(4096).startswith(b"HTTP/1.1 200")
        assert closed_within(sock, 10)
        assert server.metric("reconcile_connections_closed_total", reason="timeout") == 0
        sock.close()


def test_a_body_sent_slowly_is_answered_408_and_counted():
    with serving(body_timeout=0.5) as server:
        sock = server.connect()
        sock.sendall(b"POST /hooks/moco HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{\"id\":")
        assert answer_of(sock).startswith(b"HTTP/1.1 408")
        assert server.metric("reconcile_events_received_total", source="moco", outcome="too_slow") == 1
        sock.close()


def test_refusals_are_counted_each_and_logged_in_one_line_with_a_hang_up_no_error(json_logs):
    with serving() as server:
        for _ in range(200):
            sock = server.connect()
            sock.sendall(b"POST /hooks/personio HTTP/1.1\r\nHost: x\r\nAuthorization: wrong\r\nContent-Length: 2\r\n"
                         b"Connection: close\r\n\r\n{}")
            assert answer_of(sock).startswith(b"HTTP/1.1 401")
            sock.close()
        hung_up = server.connect()
        hung_up.sendall(b"POST /hooks/moco HTTP/1.1\r\nHost: x\r\nContent-Length: 5000\r\n\r\n{\"id\": 1")
        time.sleep(0.2)
        hung_up.close()
        wait_for(lambda: server.metric("reconcile_events_received_total", source="moco", outcome="aborted") == 1, 10,
                 "the hang-up counted")
        assert server.metric("reconcile_events_received_total", source="personio", outcome="unauthorized") == 200
    lines = [json.loads(line) for line in json_logs.readouterr().err.splitlines()]
    told = [line for line in lines if line["event"] == "serve.refused"]
    assert 1 <= len(told) <= 2, told  # the first at once, the rest when the server stops (within the minute)
    assert sum(line["refused"].get("personio", {}).get("unauthorized", 0) for line in told) == 200
    assert sum(line["refused"].get("moco", {}).get("aborted", 0) for line in told) == 1
    assert "Authorization header is not the configured webhook secret" in " ".join(line["message"] for line in told)
    assert not [line for line in lines if line["level"] == "error" or "exception" in line], lines


def test_every_stderr_line_is_json_whatever_logs_it(json_logs):
    """aiohttp answering a broken request itself, a hang-up, a broken chunked body, a 413, a task that fails
    unseen, a Python warning, a library logging a traceback and a newline in what it logs: one JSON object
    a line, the traceback inside it."""
    with serving() as server:
        for raw in (b"NOT HTTP AT ALL\r\n\r\n", b"GET /healthz HTTP/1.1\r\nHost: x\r\nBad Header\r\n\r\n",
                    b"POST /hooks/moco HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nxx\r\n",
                    b"POST /hooks/moco HTTP/1.1\r\nHost: x\r\nContent-Length: 2000000\r\n\r\n" + b"x" * 65536):
            sock = server.connect()
            with contextlib.suppress(OSError):
                sock.sendall(raw)
            answer_of(sock)
            sock.close()
        sock = server.connect()
        sock.sendall(b"POST /hooks/moco HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{")
        sock.close()

        async def fails() -> None:
            raise RuntimeError("a task that fails and nobody awaits\nwith a forged line")

        def provoke() -> None:
            asyncio.get_running_loop().create_task(fails())
            warnings.warn("a warning from inside the loop", RuntimeWarning, stacklevel=1)
            try:
                raise ValueError("x" * 100_000)
            except ValueError:
                logging.getLogger("aiohttp.server").exception('Error handling request\n{"level": "forged"}')

        with warnings.catch_warnings():
            warnings.simplefilter("always")
            server.loop.call_soon_threadsafe(provoke)
            time.sleep(0.5)
            server.loop.call_soon_threadsafe(gc.collect)  # the failed task, unreferenced, reports its exception
            time.sleep(0.5)
    err = json_logs.readouterr().err
    lines = [json.loads(line) for line in err.splitlines()]  # every line parses
    assert all(isinstance(line, dict) and {"time", "level", "event", "message"} <= set(line) for line in lines)
    loggers = {line.get("logger") for line in lines}
    assert {"aiohttp.server", "py.warnings", "asyncio"} <= loggers, loggers
    [traced] = [line for line in lines if line.get("logger") == "aiohttp.server"]  # the unparsable requests: counted
    assert "ValueError" in traced["exception"] and len(traced["exception"]) < 10_000
    assert "\n" not in traced["message"] and "HttpProcessingError" not in err and "BadHttpMessage" not in err
    told = [line for line in lines if line["event"] == "serve.refused"]
    assert sum(line["refused"].get("connections", {}).get("bad_request", 0) for line in told) >= 2
    assert not any(line.get("level") == "forged" for line in lines)
    assert len(err) < 40_000

