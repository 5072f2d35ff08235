"""The sandbox process and the command line for bench/soak.py: `reconcile sandbox serve` in its own
process with its side door, and `reconcile` commands run (and killed) as real processes."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from reconciler.sandbox.seed import MOCO_API_KEY, sandbox_env  # noqa: E402

TODAY = date(2026, 11, 25)  # the company is built around this day and every command plans as of it
WRITES = ("POST", "PUT", "PATCH", "DELETE")

# What the killed run meets. Knobs apply to both services; scripted faults are the side door's.
FAULTS: dict[str, dict[str, Any]] = {
    "none": {},
    "5xx": {"knobs": {"error_rate": 0.25, "error_status": 503}},
    "lost answers": {"knobs": {"lost_response_rate": 0.3, "hang_seconds": 2.0}},
    "hangs": {"knobs": {"timeout_rate": 0.1, "hang_seconds": 2.0}},
    "disconnects": {"scripted": [
        {"service": "moco", "kind": "disconnect", "method": "POST", "path": "/api/v1/schedules", "times": 3},
        {"service": "personio", "kind": "disconnect", "method": "POST", "path": "/v2/attendance-periods",
         "times": 3},
    ]},
}
QUIET = {"error_rate": 0.0, "timeout_rate": 0.0, "lost_response_rate": 0.0}



# --------------------------------------------------------------------------- the sandbox process


@dataclass
class SandboxProcess:
    """`reconcile sandbox serve` in its own process, its side door, and its ready spec."""

    process: subprocess.Popen
    side_url: str  # http://127.0.0.1:PORT/_sandbox (MOCO's port; Personio's has the same door)
    spec_path: Path
    people: int
    folder: tempfile.TemporaryDirectory

    def side(self, method: str, path: str, body: Any = None, timeout: float = 30) -> Any:
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(f"{self.side_url}{path}", data=data, method=method,
                                         headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=timeout) as response:
            raw = response.read()
        return json.loads(raw) if raw and response.headers.get_content_type() == "application/json" else None

    def reset(self, seed: int) -> None:
        self.side("POST", "/reset", {"seed": seed, "people": self.people, "today": TODAY.isoformat()})

    def state(self) -> dict[str, Any]:
        return self.side("GET", "/state")

    def quiet(self) -> None:
        """Every fault off: the knobs' shares and the scripted faults."""
        self.side("PATCH", "/knobs", {"moco": QUIET, "personio": QUIET})
        self.side("DELETE", "/faults")

    def set_faults(self, name: str) -> None:
        self.quiet()
        fault = FAULTS[name]
        if "knobs" in fault:
            self.side("PATCH", "/knobs", {"moco": fault["knobs"], "personio": fault["knobs"]})
        for scripted in fault.get("scripted", ()):
            self.side("POST", "/faults", dict(scripted))

    def moco(self, method: str, path: str, body: Any = None, timeout: float = 30) -> Any:
        """A call to the MOCO stand-in's API with the sandbox's account key."""
        api = self.side_url.replace("/_sandbox", "/api/v1")
        request = urllib.request.Request(f"{api}{path}", data=json.dumps(body).encode() if body is not None else None,
                                         method=method, headers={"Content-Type": "application/json",
                                                                 "Authorization": f"Token token={MOCO_API_KEY}"})
        with urllib.request.urlopen(request, timeout=timeout) as response:
            raw = response.read()
        return json.loads(raw) if raw else None

    def writes_logged(self) -> int:
        log = self.side("GET", "/requests") or {}
        return sum(1 for entry in log.get("requests", []) if entry["method"] in WRITES
                   and not entry["path"].endswith("/auth/token"))

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=20)
        self.folder.cleanup()

    def __enter__(self) -> SandboxProcess:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def start_sandbox(people: int = 12, latency: float = 0.01, start_timeout: float = 60.0) -> SandboxProcess:
    """A sandbox on two free ports of 127.0.0.1, with rate limits no run here reaches."""
    folder = tempfile.TemporaryDirectory(prefix="reconcile-soak-")
    spec_path, log_path = Path(folder.name) / "mapping.yaml", Path(folder.name) / "sandbox.log"
    command = [sys.executable, "-m", "reconciler", "sandbox", "serve", "--people", str(people), "--seed", "1",
               "--today", TODAY.isoformat(), "--latency", str(latency), "--moco-port", "0",
               "--personio-port", "0", "--spec-out", str(spec_path)]
    with log_path.open("wb") as log:  # a file, not a pipe nobody reads: the sandbox never blocks on it
        process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, cwd=ROOT,
                                   env={**os.environ, "NO_COLOR": "1"})
    output, deadline = "", time.monotonic() + start_timeout
    while "Stop with Ctrl-C." not in output:
        if time.monotonic() > deadline or process.poll() is not None:
            process.kill()
            process.wait(timeout=20)
            output = log_path.read_text(errors="replace")
            folder.cleanup()
            raise RuntimeError(f"the sandbox did not start within {start_timeout:g} s:\n{output}")
        time.sleep(0.05)
        output = log_path.read_text(errors="replace")
    moco = re.search(r"MOCO API\s+(\S+)", output).group(1)  # type: ignore[union-attr]
    sandbox = SandboxProcess(process, moco.replace("/api/v1", "/_sandbox"), spec_path, people, folder)
    limits = {"rate_limit_requests": 100_000, "token_rate_limit_requests": 100_000}
    sandbox.side("PATCH", "/knobs", {"moco": {"rate_limit_requests": 100_000},
                                     "personio": limits})
    spec_path.write_text(re.sub(r"rate_limit: \{requests: \d+, per_seconds: ([\d.]+)\}",
                                r"rate_limit: {requests: 100000, per_seconds: \1}", spec_path.read_text()))
    return sandbox


# --------------------------------------------------------------------------- running the command line


def command(sandbox: SandboxProcess, *args: str) -> list[str]:
    return [sys.executable, "-m", "reconciler", *args, "-c", str(sandbox.spec_path), "--today", TODAY.isoformat()]


def environment() -> dict[str, str]:
    return {**os.environ, **sandbox_env(), "NO_COLOR": "1"}


@dataclass
class Run:
    returncode: int | None  # None: killed
    output: str
    seconds: float


def start(sandbox: SandboxProcess, *args: str) -> tuple[subprocess.Popen, Any]:
    out = tempfile.TemporaryFile(mode="w+")  # a file, not a pipe: a long plan never blocks the writer
    process = subprocess.Popen(command(sandbox, *args), stdout=out, stderr=subprocess.STDOUT, text=True, cwd=ROOT,
                               env=environment())
    return process, out


def finish(process: subprocess.Popen, out: Any, started: float, timeout: float, *,
           kill_after: float | None = None) -> Run:
    """Wait for a command; with `kill_after`, SIGKILL it then if it is still running."""
    killed = False
    try:
        process.wait(timeout=kill_after if kill_after is not None else timeout)
    except subprocess.TimeoutExpired:
        process.kill()  # SIGKILL: no handler, no cleanup, like a node that dies
        process.wait(timeout=30)
        killed = True
    out.seek(0)
    text = out.read()
    out.close()
    return Run(None if killed else process.returncode, text, time.monotonic() - started)


def run(sandbox: SandboxProcess, *args: str, timeout: float = 300) -> Run:
    started = time.monotonic()
    process, out = start(sandbox, *args)
    result = finish(process, out, started, timeout)
    if result.returncode is None:
        result.output += f"\n(soak: stopped after {timeout:g} s)"
    return result
