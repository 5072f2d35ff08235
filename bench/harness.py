"""The harness's side: the sandbox process (server.py) and one measured `reconcile` process.

`reconcile` runs as a process of its own, so its CPU time (user + sys) and peak memory (max RSS) come
from the kernel's accounting of exactly that process (`os.wait4`), with nothing of the sandbox in them.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from reconciler.sandbox.seed import sandbox_env

BENCH = Path(__file__).resolve().parent
MOCO_STANDARD = (120, 120.0)  # MOCO's standard plan: 120 requests in 120 s
PERSONIO_STANDARD = (300, 60.0)  # the spec's default for Personio (Personio publishes no limit)
RECONCILE = [str(Path(sys.executable).parent / "reconcile")]


class Server:
    """server.py in a process of its own; `call` reaches its side door."""

    def __init__(self, people: int, seed: int, history_days: int, absence_days: int, latency: float,
                 rate_scale: float, extra: tuple[str, ...] = ()) -> None:
        command = [sys.executable, str(BENCH / "server.py"), "--people", str(people), "--seed", str(seed),
                   "--history-days", str(history_days), "--absence-days", str(absence_days),
                   "--latency", str(latency), "--rate-scale", str(rate_scale), *extra]
        started = time.perf_counter()
        self.process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
        line = self.process.stdout.readline()  # type: ignore[union-attr]
        if not line:
            raise SystemExit(f"the benchmark's sandbox did not start (exit {self.process.wait()})")
        self.info: dict[str, Any] = json.loads(line)
        self.seconds_to_build = time.perf_counter() - started
        self.side_door: str = self.info["side_door"]

    def call(self, method: str, path: str, body: dict[str, Any] | None = None, timeout: float = 3600) -> Any:
        raw = self.text(method, path, body, timeout)
        return json.loads(raw) if raw else None

    def text(self, method: str, path: str, body: dict[str, Any] | None = None, timeout: float = 3600) -> str:
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(f"{self.side_door}{path}", data=data, method=method,
                                         headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.read().decode()

    def scale_rates(self, factor: float) -> str:
        """The standard limits with windows shortened by `factor`, in the stand-ins; the ready spec for them."""
        self.call("PATCH", "/knobs", {
            "moco": {"rate_limit_requests": MOCO_STANDARD[0], "rate_limit_seconds": MOCO_STANDARD[1] / factor},
            "personio": {"rate_limit_requests": PERSONIO_STANDARD[0],
                         "rate_limit_seconds": PERSONIO_STANDARD[1] / factor}})
        return self.text("GET", "/spec")

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


@dataclass
class Measured:
    """One reconcile process: what it cost, what it said, and what the sandbox saw of it."""

    command: list[str]
    exit_code: int
    wall: float
    cpu: float  # user + sys seconds
    max_rss_mib: float
    started: float  # monotonic
    ended: float
    summary: str
    stderr_tail: str
    services: dict[str, Any] = field(default_factory=dict)  # from the sandbox's log (server.py /log)
    sandbox_build: float = 0.0  # seconds the sandbox spent building lists meanwhile (fastlists.py)

    def requests(self, service: str) -> int:
        return int(self.services.get(service, {}).get("requests", 0))

    def refused(self) -> int:
        return sum(int(s.get("refused", 0)) for s in self.services.values())

    def after_last_read(self) -> float:
        """Seconds from the sandbox's last answer to the process's end: planning, output, exit."""
        last = max((s["last"] for s in self.services.values()), default=self.started)
        return max(0.0, self.ended - last)

    def span(self, service: str) -> float:
        found = self.services.get(service)
        return found["last"] - found["first"] if found else 0.0


def run_reconcile(server: Server, args: list[str], spec_path: Path, out_path: Path, env: dict[str, str],
                  writing: float | None = None) -> Measured:
    """`reconcile ARGS -c SPEC`, stdout to `out_path`; the request log is cleared first and read after. With
    `writing`, an apply is stopped (SIGTERM, as a node drain stops it) once it has written for that many
    seconds, counted from its cost line (logged before its first write)."""
    server.call("DELETE", "/requests")
    built_before = server.call("GET", "/bench/log")["built_seconds"]
    command = [*RECONCILE, *args, "-c", str(spec_path)]
    with out_path.open("w", encoding="utf-8") as out, (out_path.with_suffix(".err")).open("w") as err:
        started = time.monotonic()
        process = subprocess.Popen(command, stdout=out, stderr=err, env=env)
        if writing is not None:
            threading.Thread(target=_stop_after, args=(process, out_path.with_suffix(".err"), writing),
                             daemon=True).start()
        _, status, usage = os.wait4(process.pid, 0)
        ended = time.monotonic()
        process.returncode = os.waitstatus_to_exitcode(status)
    stderr = out_path.with_suffix(".err").read_text(errors="replace")
    measured = Measured(
        command=["reconcile", *args], exit_code=process.returncode, wall=ended - started,
        cpu=usage.ru_utime + usage.ru_stime, max_rss_mib=usage.ru_maxrss / 1024, started=started, ended=ended,
        summary=summary_of(out_path, stderr), stderr_tail=stderr[-2000:],
    )
    log = server.call("GET", "/bench/log")
    measured.services = log["services"]
    measured.sandbox_build = round(log["built_seconds"] - built_before, 2)
    return measured


COST_LINE = re.compile(r"^(first sync|this apply): at least ", re.MULTILINE)  # plan/cost.py, as apply logs it


def _stop_after(process: subprocess.Popen[bytes], err_path: Path, seconds: float) -> None:
    """SIGTERM `process` `seconds` after its cost line appeared in `err_path`."""
    while process.poll() is None and not COST_LINE.search(err_path.read_text(errors="replace")):
        time.sleep(0.5)
    time.sleep(seconds)
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)


def summary_of(out_path: Path, stderr: str) -> str:
    """The plan's or the apply's closing line: "Plan: 3 to add, …", "No changes. …", "Apply complete: …"."""
    lines: list[str] = []
    with out_path.open(encoding="utf-8", errors="replace") as out:
        for line in out:
            if re.match(r"(Plan:|No changes|Apply (complete|finished|stopped)|Nothing to apply)", line.strip()):
                lines.append(line.strip())
    for line in stderr.splitlines():
        if re.match(r"(error:|Apply (complete|finished|stopped))", line.strip()):
            lines.append(line.strip())
    return lines[-1] if lines else "(no summary line)"


def reconcile_env(server: Server) -> dict[str, str]:
    return {**os.environ, **sandbox_env(), "NO_COLOR": "1"}


def has_option(command: str, option: str) -> bool:
    """Whether `reconcile COMMAND --help` lists `option` (a feature another change may not have built yet)."""
    found = subprocess.run([*RECONCILE, command, "--help"], capture_output=True, text=True)
    return option in found.stdout
