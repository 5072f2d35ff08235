"""Another process spent most of MOCO's window just before this run (a `plan` in the pull request
and the `apply` right after merge, a CronJob right after a manual run): the run meets 429s it could
not have foreseen, and must still make every change. Against the in-process sandbox, with MOCO's
limit and reconcile's retry defaults scaled down together (a window of 1 s instead of 120 s).

Before the fix, the same scenario ended like the report that prompted it: "MOCO: gave up after 8
attempts ...: still rate-limited (429) on POST /api/v1/schedules (3 changes in a row failed like
this: MOCO is down)", 10 applied, 3 failed, 134 skipped, where the refused requests count against
the window; 40-odd 429s and a change or two failed where they do not."""

from __future__ import annotations

import asyncio
import time

import pytest

from reconciler.run import RunOptions, plan_and_apply
from reconciler.sandbox import Sandbox, SandboxThread, SeedParams
from reconciler.spec import parse_spec
from reconciler.systems.connect import Tuning, read_credentials
from reconciler.systems.http import RetryPolicy
from tests.conftest import TODAY, Moco

REQUESTS, WINDOW = 60, 1.0  # MOCO's standard pace (1 request a second), 60 times faster
# The retry defaults at the same scale: back-off from 1 s, capped at 30 s, 180 s per request.
SCALED = RetryPolicy(base_delay=WINDOW / 120, max_delay=WINDOW / 4, total_seconds=WINDOW * 1.5)
IN_FLIGHT = 8  # Service.max_in_flight: what may already be on the way when the first 429 comes


@pytest.mark.parametrize("count_refused", [True, False], ids=["refused-count", "refused-free"])
def test_an_apply_right_after_other_runs_spent_the_window_makes_every_change(count_refused):
    sandbox = Sandbox(SeedParams(seed=1, people=6, today=TODAY),
                      moco={"rate_limit_requests": REQUESTS, "rate_limit_seconds": WINDOW, "latency": 0.005,
                            "count_refused": count_refused})
    with SandboxThread(sandbox):
        spec = parse_spec(sandbox.spec_yaml(), today=TODAY)
        assert (spec.moco.rate_limit.requests, spec.moco.rate_limit.per_seconds) == (REQUESTS, WINDOW)
        moco = Moco(sandbox)
        for _ in range(REQUESTS - 10):  # the earlier plans: all but 10 of the window
            assert moco("GET", "/users?per_page=1").status == 200
        mark = len(sandbox.log.entries)
        options = RunOptions(today=TODAY, only=("absences_to_moco",), tuning=Tuning(retry=SCALED))
        started = time.monotonic()
        plan, report = asyncio.run(plan_and_apply(spec, read_credentials(spec, sandbox.env()), options,
                                                  approve=lambda plan: True))
        took = time.monotonic() - started
        entries = [e for e in sandbox.log.entries[mark:] if e.service == "moco"]

    assert report is not None and len(plan.changes) > REQUESTS  # more than one window's worth of writes
    assert report.summary() == f"Apply complete: {len(plan.changes)} applied, 0 failed, 0 skipped."
    refused = [e for e in entries if e.status == 429]
    assert 1 <= len(refused) <= IN_FLIGHT  # met once, by what was already on the way, and then never again
    first = refused[0]
    during_pause = [e for e in entries if first.finished <= e.started < first.finished + WINDOW - 0.05]
    # Every request of the run paused, not only the refused one: what still arrived had been sent
    # before the client read that 429.
    assert len(during_pause) < IN_FLIGHT and all(e.status == 429 for e in during_pause)
    # One pause, then the rest at the limit: about 3.3 windows here; another pause would add a whole one.
    assert took < 4.5 * WINDOW
