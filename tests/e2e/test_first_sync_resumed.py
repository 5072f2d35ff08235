"""A first sync stopped half-way (SIGTERM, as a node drain or a CronJob's deadline sends it) and started
again finishes the job, and across both runs each record is written once: the writes the sandbox saw
are exactly the first plan's, no create sent twice, no record updated or deleted twice (issue 22)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter

from tests.conftest import TODAY

WRITES = ("POST", "PUT", "PATCH", "DELETE")


def _run(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "reconciler", *args, "--today", TODAY.isoformat()], env=env,
                          capture_output=True, text=True, timeout=180)


def _writes(sandbox) -> list:  # noqa: ANN001
    return [e for e in list(sandbox.log.entries)
            if e.method in WRITES and not e.path.endswith("/auth/token") and e.status is not None and e.status < 400]


def _expected(plan: dict) -> Counter:
    """The write requests a plan makes, by service and method: one per change, one DELETE per removal."""
    method = {("moco", "create"): "POST", ("moco", "update"): "PUT", ("personio", "create"): "POST",
              ("personio", "update"): "PATCH"}
    expected: Counter = Counter()
    for change in plan["changes"]:
        expected[(change["system"], method.get((change["system"], change["action"]), "DELETE"))] += 1
        expected[(change["system"], "DELETE")] += len(change.get("removes", []))
    return expected


def test_a_first_sync_stopped_half_way_is_finished_by_the_next_apply_writing_each_record_once(sandbox, tmp_path):
    slow = {"rate_limit_requests": 600, "rate_limit_seconds": 60}  # 10 writes a second: the stop finds work left
    sandbox.knobs["moco"].update(slow)
    sandbox.knobs["personio"].update(slow)
    spec = tmp_path / "mapping.yaml"
    spec.write_text(sandbox.spec_yaml().replace("requests: 120, per_seconds: 120", "requests: 600, per_seconds: 60"))
    env = {**os.environ, **sandbox.env(), "RECONCILE_LOG_FORMAT": "json"}

    planned = _run(["plan", "-c", str(spec), "--format", "json"], env)
    assert planned.returncode == 0, planned.stderr
    plan = json.loads(planned.stdout)
    expected = _expected(plan)
    assert sum(expected.values()) > 100, expected  # a first sync worth stopping
    sandbox.log.clear()

    command = [sys.executable, "-m", "reconciler", "apply", "-c", str(spec), "--auto-approve", "--today",
               TODAY.isoformat()]
    first = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and len(_writes(sandbox)) < 40:
        time.sleep(0.02)
    first.send_signal(signal.SIGTERM)
    _, stopped_log = first.communicate(timeout=90)
    assert first.returncode == 1, stopped_log
    done = [json.loads(line) for line in stopped_log.splitlines() if '"apply.done"' in line]
    assert done and done[-1]["halted_by"] == "SIGTERM" and 0 < done[-1]["applied"] < len(plan["changes"]), \
        stopped_log
    written_first = len(_writes(sandbox))
    assert 0 < written_first < sum(expected.values())

    fast = {"rate_limit_requests": 6000, "rate_limit_seconds": 60}
    sandbox.knobs["moco"].update(fast)
    sandbox.knobs["personio"].update(fast)
    spec.write_text(spec.read_text().replace("requests: 600, per_seconds: 60", "requests: 6000, per_seconds: 60"))
    resumed = _run(["apply", "-c", str(spec), "--auto-approve"], env)
    assert resumed.returncode == 0, resumed.stderr

    writes = _writes(sandbox)
    assert Counter((e.service, e.method) for e in writes) == expected  # exactly the first plan's writes, once each
    by_record = Counter((e.service, e.path) for e in writes if e.method != "POST")
    assert [record for record, times in by_record.items() if times > 1] == []  # no record updated or deleted twice
    again = _run(["plan", "-c", str(spec), "--detailed-exitcode"], env)
    assert again.returncode == 0, again.stdout + again.stderr  # in step: nothing lost
