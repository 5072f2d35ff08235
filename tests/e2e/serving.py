"""`reconcile serve` as a user runs it, for the end-to-end tests: the real command in a child process against
a sandbox in this process, the sandbox's webhooks registered to it, and ways to watch both systems."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from prometheus_client.parser import text_string_to_metric_families

from reconciler.sandbox.seed import apply_directly
from tests.conftest import TODAY, call, side_door

MOCO_SECRET = "0123456789abcdef0123456789abcdef"
PERSONIO_TOKEN = "personio-webhook-token-for-tests"
T = TypeVar("T")


def post(url: str, body: bytes, headers: dict[str, str]) -> tuple[int, bytes]:
    """POST exactly these bytes (a signature covers the raw body); the status and body answered."""
    request = urllib.request.Request(url, data=body, method="POST", headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def fast_spec(sandbox: Any, path: Path) -> Path:
    """The sandbox's spec with rate limits ten times its defaults on both sides (and the sandbox's to match),
    so a test's writes are not paced for minutes."""
    sandbox.knobs["moco"].update({"rate_limit_requests": 1200, "rate_limit_seconds": 120})
    sandbox.knobs["personio"].update({"rate_limit_requests": 6000, "rate_limit_seconds": 60})
    path.write_text(sandbox.spec_yaml().replace("requests: 120, per_seconds: 120", "requests: 1200, per_seconds: 120")
                    .replace("requests: 600, per_seconds: 60", "requests: 6000, per_seconds: 60"))
    return path


def sync_directly(sandbox: Any, spec: Path) -> None:
    """Both systems in sync before serve starts (the writes put in directly, no webhook sent)."""
    planned = subprocess.run([sys.executable, "-m", "reconciler", "plan", "-c", str(spec), "--format", "json",
                              "--today", TODAY.isoformat()], capture_output=True, text=True, env=env_of(sandbox),
                             check=False)
    assert planned.returncode in (0, 2), planned.stderr
    apply_directly(sandbox.world, json.loads(planned.stdout)["changes"])


def env_of(sandbox: Any, **extra: str) -> dict[str, str]:
    return {**os.environ, **sandbox.env(), "MOCO_WEBHOOK_SECRET": MOCO_SECRET,
            "PERSONIO_WEBHOOK_SECRET": PERSONIO_TOKEN, **extra}


def wait_for(check: Callable[[], T], timeout: float, what: str, every: float = 0.1) -> T:
    deadline = time.monotonic() + timeout
    while True:
        try:
            found = check()
        except RuntimeError:  # the sandbox's thread changed a dict while it was read: look again
            found = None  # type: ignore[assignment]
        if found:
            return found
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}: not within {timeout} s")
        time.sleep(every)


@dataclass
class Served:
    """A running `reconcile serve` (child process) and where it listens."""

    process: subprocess.Popen[str]
    url: str
    log: list[str] = field(default_factory=list)

    def get(self, path: str) -> Any:
        return call("GET", self.url + path)

    def metrics(self) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
        """Every sample of /metrics, parsed with Prometheus's own text parser."""
        text = self.get("/metrics").body.decode()
        return {(sample.name, tuple(sorted(sample.labels.items()))): sample.value
                for family in text_string_to_metric_families(text) for sample in family.samples}

    def metric(self, name: str, **labels: str) -> float:
        return self.metrics().get((name, tuple(sorted(labels.items()))), 0.0)

    def stop(self, timeout: float = 60) -> tuple[int, str]:
        """SIGTERM, as Kubernetes sends it; the exit code and everything it logged."""
        if self.process.poll() is None:
            self.process.terminate()
        _, err = self.process.communicate(timeout=timeout)
        return self.process.returncode, err


def start_serve(sandbox: Any, spec: Path, *args: str, env: dict[str, str] | None = None,
                register: bool = True) -> Served:
    """`reconcile serve` on a free port, the sandbox's webhooks registered to it, once its start-up full
    reconcile has finished."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    process = subprocess.Popen(
        [sys.executable, "-m", "reconciler", "serve", "-c", str(spec), "--listen", f"127.0.0.1:{port}", "--today",
         TODAY.isoformat(), "--log-format", "json", *args],
        env=env or env_of(sandbox), stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True)
    served = Served(process, url)

    def started() -> bool:
        if process.poll() is not None:
            raise AssertionError(f"reconcile serve exited {process.returncode}: {process.communicate()[1]}")
        try:
            return served.metric("reconcile_reconciles_total", kind="full", result="ok") >= 1
        except OSError:
            return False

    wait_for(started, 60, "the start-up full reconcile", every=0.2)
    if register:
        for body in ({"service": "moco", "url": url + "/hooks/moco", "secret": MOCO_SECRET},
                     {"service": "personio", "url": url + "/hooks/personio", "token": PERSONIO_TOKEN}):
            answer = side_door(sandbox, "POST", "/webhooks", json_body=body)
            assert answer.status == 201, answer.body
    return served
