"""SIGTERM while changes wait for the rate limit: they are given up at once (not attempted), instead of
holding the process for the rest of the window; what was sent finishes, nothing is doubled or lost."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time

from tests.conftest import TODAY


def test_sigterm_gives_up_changes_still_waiting_for_the_rate_limit(sandbox, tmp_path):
    sandbox.knobs["moco"].update({"rate_limit_requests": 30, "rate_limit_seconds": 60})
    spec = tmp_path / "mapping.yaml"
    spec.write_text(sandbox.spec_yaml().replace("requests: 120, per_seconds: 120", "requests: 30, per_seconds: 60"))
    env = {**os.environ, **sandbox.env()}
    command = [sys.executable, "-m", "reconciler", "apply", "-c", str(spec), "--auto-approve", "--only", "absences",
               "--today", TODAY.isoformat()]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and not any(e.method == "POST" and e.service == "moco"
                                                  for e in list(sandbox.log.entries)):
        time.sleep(0.02)
    time.sleep(1.0)  # the window of 30 is spent by now: the next changes wait for it
    signalled = time.monotonic()
    process.send_signal(signal.SIGTERM)
    output, _ = process.communicate(timeout=90)
    took = time.monotonic() - signalled
    assert process.returncode == 1, output
    assert took < 10, f"stopping took {took:.1f} s: it waited for the rate limit\n{output}"
    summary = re.search(r"Apply stopped by SIGTERM: (\d+) applied, 0 failed, (\d+) not attempted", output)
    assert summary and int(summary.group(2)) > 0, output
    assert "Traceback" not in output
