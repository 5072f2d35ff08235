"""A first apply says how long it will take and shows where it is (issue 22): against the sandbox at a low MOCO
rate, the JSON log holds the cost line before the first write, progress lines with the rate and the time left,
at least one saying the run waits for MOCO's rate limit, and the read-back after the last change.

Scaled down to take seconds: MOCO at 40 requests per 2 s, a progress line every 0.3 s instead of 10 s, and a
cost worth its line from 3 s instead of a minute."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from reconciler.cli import cli
from reconciler.sync.ownership import is_ours
from tests.conftest import TODAY

REQUESTS, WINDOW = 40, 2.0


@pytest.fixture
def slow_moco(sandbox, tmp_path, monkeypatch):
    """MOCO slow, and holding nothing reconcile wrote (the seed has a few synced absences): a first sync."""
    schedules = sandbox.world.moco.schedules
    for ours in [key for key, schedule in schedules.items() if is_ours(schedule.comment)]:
        del schedules[ours]
    sandbox.knobs["moco"].update({"rate_limit_requests": REQUESTS, "rate_limit_seconds": WINDOW, "latency": 0.0})
    spec = tmp_path / "mapping.yaml"
    spec.write_text(sandbox.spec_yaml())
    for name, value in sandbox.env().items():
        monkeypatch.setenv(name, value)
    monkeypatch.setattr("reconciler.cli.apply.PROGRESS_EVERY", 0.3)
    monkeypatch.setattr("reconciler.plan.cost.WORTH_SAYING", 3.0)
    return spec


def reconcile(*args: str):
    return CliRunner().invoke(cli, [*args, "--only", "absences_to_moco", "--today", TODAY.isoformat()],
                              catch_exceptions=False)


def test_a_first_apply_at_a_low_moco_rate_logs_its_cost_and_where_it_is_in_json(sandbox, slow_moco, monkeypatch):
    from reconciler import logs

    written_before: dict[str, int] = {}
    line = logs.line

    def counting(event: str, message: str, **fields):
        written_before.setdefault(event, sum(entry.service == "moco" and entry.method in ("POST", "PUT", "DELETE")
                                             for entry in list(sandbox.log.entries)))
        line(event, message, **fields)

    monkeypatch.setattr(logs, "line", counting)
    plan = json.loads(reconcile("plan", "-c", str(slow_moco), "--format", "json").stdout)
    moco_writes = plan["cost"]["moco"]["writes"]
    assert moco_writes >= 4 * REQUESTS, plan["summary"]  # several windows' worth: the limit holds the writes back
    sandbox.log.clear()

    result = reconcile("apply", "-c", str(slow_moco), "--auto-approve", "--log-format", "json")
    assert result.exit_code == 0, result.stderr
    lines = [json.loads(line) for line in result.stderr.splitlines()]  # every line one JSON object
    events = [line["event"] for line in lines]

    [cost] = [line for line in lines if line["event"] == "apply.cost"]
    seconds = round(moco_writes * WINDOW / REQUESTS)
    assert cost["moco"] == {"writes": moco_writes, "seconds": seconds}
    assert cost["first_sync"] is True and plan["cost"]["first_sync"] is True
    assert cost["message"] == f"first sync: at least {moco_writes} MOCO writes ≈ {seconds} s at {REQUESTS} per {WINDOW:g} s"
    assert written_before["apply.cost"] == 0 and written_before["apply.done"] >= moco_writes  # before any write

    progress = [line for line in lines if line["event"] == "apply.progress"]
    assert progress and events.index("apply.cost") < events.index("apply.progress")
    assert all(line["total"] == moco_writes and 0 <= line["done"] <= line["total"] for line in progress)
    timed = [line for line in progress if line["rate_per_minute"]]
    assert timed and all(line["eta_seconds"] is not None for line in timed if line["done"] < line["total"])
    assert "a minute" in timed[-1]["message"]
    waits = [line for line in progress if line["waiting"].get("moco")]
    assert waits, [line["message"] for line in progress]
    assert f"for MOCO's rate limit ({REQUESTS} per {WINDOW:g} s)" in waits[0]["message"]
    assert "apply.readback" in events and events.index("apply.readback") < events.index("apply.done")
    assert lines[-1]["event"] == "apply.done" and lines[-1]["applied"] == len(plan["changes"])



def test_a_plan_whose_read_takes_long_says_so_while_it_reads(sandbox, slow_moco, monkeypatch):
    """`reconcile plan` of a big company reads for hours at MOCO's rate: it says so every few seconds (here
    0.3 s) in the log, never on stdout, where the plan goes."""
    sandbox.knobs["moco"].update({"latency": 1.0})  # each page a second: the read outlasts a few beats
    monkeypatch.setattr("reconciler.cli.plan.PROGRESS_EVERY", 0.3)
    result = reconcile("plan", "-c", str(slow_moco), "--format", "json", "--log-format", "json")
    assert result.exit_code == 0, result.stderr
    json.loads(result.stdout)  # the plan alone
    lines = [json.loads(line) for line in result.stderr.splitlines()]
    reading = [line for line in lines if line["event"] == "read.progress"]
    assert reading and reading[0]["message"].startswith("  reading MOCO and Personio: "), lines


def test_serves_start_up_full_reconcile_logs_its_cost_and_progress_in_json(sandbox, slow_moco, monkeypatch, capsys):
    """`reconcile serve` reconciles everything at start-up: that run logs as `apply` does, before its first
    write and while it writes, not only once it ends."""
    import asyncio

    from reconciler import logs
    from reconciler.run import RunOptions
    from reconciler.serve.app import ServeState
    from reconciler.serve.runner import Runner
    from reconciler.spec import parse_spec
    from reconciler.systems.connect import read_credentials

    monkeypatch.setattr("reconciler.serve.runner.PROGRESS_EVERY", 0.3)
    spec = parse_spec(slow_moco.read_text(), today=TODAY)
    state = ServeState(moco_secret=None, personio_secret=None)
    runner = Runner(spec, read_credentials(spec, sandbox.env()), state,
                    RunOptions(today=TODAY, only=("absences_to_moco",)), today=lambda: TODAY)
    logs.configure("json")

    async def serve() -> None:
        running = asyncio.ensure_future(runner.run())
        while runner.since is None and runner.failures == 0 and not running.done():  # the full run succeeded
            await asyncio.sleep(0.1)
        runner.stop()
        await running

    asyncio.run(asyncio.wait_for(serve(), timeout=120))
    lines = [json.loads(line) for line in capsys.readouterr().err.splitlines()]
    events = [line["event"] for line in lines]
    assert runner.failures == 0 and "serve.reconciled" in events, lines
    assert events.index("serve.ready") < events.index("apply.cost") < events.index("apply.progress") \
        < events.index("serve.reconciled")
    [cost] = [line for line in lines if line["event"] == "apply.cost"]
    assert cost["moco"]["writes"] >= 4 * REQUESTS and cost["message"].startswith("first sync: at least ")
    progress = [line for line in lines if line["event"] == "apply.progress"]
    assert any(line["waiting"].get("moco") for line in progress)
    assert any(line["rate_per_minute"] and line["eta_seconds"] is not None for line in progress)
