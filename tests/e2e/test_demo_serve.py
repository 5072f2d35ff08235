"""`reconcile demo --serve`: reconcile serve against an in-process sandbox, each change timed on arrival."""

from __future__ import annotations

import functools
import re

from click.testing import CliRunner

from reconciler.cli import cli
from reconciler.demo import serve as demo_serve
from reconciler.serve.app import ServeState
from reconciler.serve.coalesce import Coalescer

STEPS = ("a new presence in MOCO → a Personio attendance 09:00–17:00",
         "an edited presence in MOCO → the Personio attendance ends at 16:30",
         "a deleted presence in MOCO → the Personio attendance is gone",
         "an approved vacation in Personio → a MOCO absence")


def test_demo_serve_shows_each_change_arrive_within_seconds(monkeypatch):
    # serve gathers webhooks for 0.2 s instead of 3 s here: what is shown is that each change arrives, not how
    # long serve waits for more (tests/serve/test_coalesce.py); the demo as users run it waits 3 s.
    quick = functools.partial(ServeState, coalescer=Coalescer(quiet=0.2, max_wait=5.0))
    monkeypatch.setattr(demo_serve, "ServeState", quick)
    result = CliRunner().invoke(cli, ["demo", "--serve", "--people", "6"], catch_exceptions=False)

    assert result.exit_code == 0, result.output
    for step in STEPS:
        seconds = re.search(rf"✓ {re.escape(step)}: (\d+\.\d) s", result.output)
        assert seconds and float(seconds.group(1)) < demo_serve.WAIT, (step, result.output)
    assert "✗" not in result.output and "all 4 changes arrived" in result.output
    assert re.search(r"reconciles: 1 full, [1-9]\d* targeted", result.output), result.output
    assert "sick" not in result.output.lower()
    assert "Stopped." in result.output  # serve was stopped, not left running


def test_demo_serve_names_what_did_not_arrive_in_time_and_exits_1(monkeypatch):
    monkeypatch.setattr(demo_serve, "WAIT", 0.2)  # below serve's quiet time: nothing can arrive in time

    result = CliRunner().invoke(cli, ["demo", "--serve", "--people", "6"], catch_exceptions=False)

    assert result.exit_code == 1, result.output
    for step in STEPS:
        assert re.search(rf"✗ {re.escape(step)}: not within \d+ s", result.output), (step, result.output)
    assert "not arrived within" in result.output
