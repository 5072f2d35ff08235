"""`reconcile serve` as a container runs it, RECONCILE_LOG_FORMAT=json and no option (issue 21): every stderr line
is one JSON object, the refused webhooks' line (serve.refused) and the lines of requests aiohttp cannot parse
included, from start to stop; and a usage error of serve says so in JSON too, before serve reads its options."""

from __future__ import annotations

import contextlib
import json
import socket
import subprocess
import sys

from tests.e2e.serving import Served, env_of, fast_spec, free_port, post, wait_for
from tests.e2e.test_serve import signed

RAW = (b"NOT HTTP AT ALL\r\n\r\n", b"GET /healthz HTTP/1.1\r\nHost: x\r\nBad Header\r\n\r\n",
       b"POST /hooks/moco HTTP/1.1\r\nHost: x\r\nContent-Length: 2000000\r\n\r\n" + b"x" * 65536)


def serve_json(sandbox, spec, *args: str) -> subprocess.Popen[str]:
    env = {key: value for key, value in env_of(sandbox, RECONCILE_LOG_FORMAT="json").items()
           if key != "RECONCILE_CONFIG"}
    return subprocess.Popen([sys.executable, "-m", "reconciler", "serve", "-c", str(spec), *args], env=env,
                            stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True)


def raw(port: int, data: bytes) -> None:
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        with contextlib.suppress(OSError):
            sock.sendall(data)
            sock.recv(4096)


def test_with_reconcile_log_format_json_every_line_of_serve_is_json_refusals_included(sandbox, tmp_path):
    spec = fast_spec(sandbox, tmp_path / "mapping.yaml")
    port = free_port()
    served = Served(serve_json(sandbox, spec, "--listen", f"127.0.0.1:{port}", "--today", "2026-11-25"),
                    f"http://127.0.0.1:{port}")
    try:
        wait_for(lambda: served.process.poll() is None and _up(served), 60, "serve listening", every=0.2)
        body = b'{"id": 1, "type": "presence"}'
        assert post(served.url + "/hooks/personio", b"{}", {"Authorization": "wrong"})[0] == 401
        assert post(served.url + "/hooks/moco", body, {"X-Moco-Signature": signed(body, "not-the-secret"),
                                                       "X-Moco-Target": "Presence", "X-Moco-Event": "create"})[0] == 401
        for data in RAW:
            raw(port, data)
        wait_for(lambda: served.metric("reconcile_connections_closed_total", reason="bad_request") >= 1
                 or served.metric("reconcile_events_received_total", source="moco", outcome="too_large") >= 1,
                 10, "the refusals counted")
    finally:
        code, err = served.stop()
    assert code == 0, err
    lines = [json.loads(line) for line in err.splitlines()]  # every line parses
    assert all({"time", "level", "event", "message"} <= set(line) for line in lines)
    told = [line for line in lines if line["event"] == "serve.refused"]
    assert told and all(line["level"] == "warning" for line in told)
    refused = [line["refused"] for line in told]
    assert sum(each.get("personio", {}).get("unauthorized", 0) for each in refused) == 1
    assert sum(each.get("moco", {}).get("unauthorized", 0) for each in refused) == 1
    assert "Traceback" not in err and "BadHttpMessage" not in err


def _up(served: Served) -> bool:
    try:
        return served.get("/healthz").status == 200
    except OSError:
        return False


def test_a_usage_error_of_serve_is_json_under_reconcile_log_format_json(sandbox, tmp_path):
    spec = fast_spec(sandbox, tmp_path / "mapping.yaml")
    for args, said in ((["--listen", "nowhere"], "'--listen'"), (["--bogus"], "no such option '--bogus'"),
                       (["--every"], "'--every' requires an argument")):
        process = serve_json(sandbox, spec, *args)
        _, err = process.communicate(timeout=60)
        assert process.returncode == 1, err
        [line] = [json.loads(each) for each in err.splitlines()]
        assert line["level"] == "error" and line["message"].startswith("error: ") and said in line["message"], line
