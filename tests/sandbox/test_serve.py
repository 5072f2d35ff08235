"""`reconcile sandbox serve` as a user runs it: a process that prints where to go and stops on Ctrl-C."""

from __future__ import annotations

import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

from reconciler.spec import load_spec
from tests.conftest import call

RECONCILE = str(Path(sys.executable).parent / "reconcile")


def start(*args: str) -> tuple[subprocess.Popen, str]:
    process = subprocess.Popen([RECONCILE, "sandbox", "serve", *args], stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, text=True)
    output = ""
    deadline = time.monotonic() + 20
    while "Stop with Ctrl-C." not in output and time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line:
            break
        output += line
    return process, output


def test_serve_prints_urls_env_and_a_ready_spec_then_stops_on_ctrl_c(tmp_path):
    spec_path = tmp_path / "mapping.yaml"
    process, output = start("--moco-port", "0", "--personio-port", "0", "--people", "5",
                            "--today", "2026-11-25", "--spec-out", str(spec_path))
    try:
        moco_url = re.search(r"MOCO API\s+(\S+)", output).group(1)
        personio_url = re.search(r"Personio API\s+(\S+)", output).group(1)
        key = re.search(r"export MOCO_API_KEY=(\S+)", output).group(1)
        assert "export PERSONIO_CLIENT_ID=" in output and "export PERSONIO_CLIENT_SECRET=" in output
        assert f"reconcile validate -c {spec_path}" in output
        users = call("GET", moco_url + "/users?per_page=2", headers={"Authorization": f"Token token={key}"})
        assert users.status == 200 and users.header("X-Total") == "7"
        assert call("GET", personio_url + "/v2/persons").status == 401
        spec = load_spec(spec_path)
        assert spec.moco.api_root == moco_url and spec.personio.base_url == personio_url
        # as in the demo: MOCO's "unlimited" rate, in the stand-in and the ready spec (a first apply takes seconds)
        assert (spec.moco.rate_limit.requests, spec.moco.rate_limit.per_seconds) == (1200, 120)
        assert "rate limits   MOCO 1,200 requests per 120 s" in output
        knobs = call("GET", moco_url.replace("/api/v1", "/_sandbox/knobs")).json()
        assert knobs["moco"]["rate_limit_requests"] == 1200
    finally:
        process.send_signal(signal.SIGINT)
        rest, _ = process.communicate(timeout=20)
    assert process.returncode == 0
    assert "Traceback" not in rest and "sandbox stopped" in rest


def test_serve_on_a_busy_port_exits_1_with_a_message():
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = subprocess.run([RECONCILE, "sandbox", "serve", "--moco-port", str(port), "--personio-port", "0"],
                                capture_output=True, text=True, timeout=30)
    assert result.returncode == 1
    assert "already in use" in result.stderr and "--moco-port" in result.stderr
    assert "Traceback" not in result.stderr


def test_sigterm_stops_it_cleanly_too():
    process, output = start("--moco-port", "0", "--personio-port", "0", "--people", "2")
    assert "Stop with Ctrl-C." in output
    process.send_signal(signal.SIGTERM)
    process.communicate(timeout=20)
    assert process.returncode == 0
