"""The serve controller loop (serve/runner.py) with the services replaced: `plan_and_apply` and
`check_credentials` are fakes, the runner's clock is a fake one the tests move on (then wake the runner),
and `wall` is a fake Unix clock. What is checked is what an operator sees: which run comes when and what it
is asked to plan, /readyz's reason, the counters on /metrics, and how the loop ends on SIGTERM."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

import pytest

from reconciler.apply import ApplyReport, Outcome
from reconciler.errors import ReconcileError
from reconciler.plan.guard import Breach
from reconciler.plan.model import Change, Plan
from reconciler.plan.scope import ChangedSince, Hinted
from reconciler.run import GuardRefused, RunOptions, Tally
from reconciler.serve.app import ServeState
from reconciler.serve.events import MOCO, Hint
from reconciler.serve.runner import Cadence, Runner
from reconciler.systems.connect import Credentials
from tests.factories import TODAY, Sent, make_spec

ABSENCES, HOURS = "absences_to_moco", "hours_to_personio"

SPEC = make_spec()
CREDENTIALS = Credentials("moco-key", "personio-id", "personio-secret")
START = datetime(2026, 11, 30, 12, 0, tzinfo=UTC).timestamp()  # the fake wall clock at start-up
EVERY, FULL_EVERY = 600.0, 3600.0
USER, PRESENCE, DAY = 933590696, 982237015, date(2026, 11, 27)
# What a service's error may say: a person and a day of a sensitive kind. /readyz must never show it.
PERSONAL = "Personio answered 500 for jane.doe@acme.example, sick leave on 2026-11-27"


class Clock:
    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def changed_since(options: RunOptions) -> str | None:
    """The bound of an incremental run's options, or None for another kind of run."""
    return options.scope.since if isinstance(options.scope, ChangedSince) else None


def hinted_of(options: RunOptions) -> tuple | None:
    """What a targeted run's options say webhooks named, or None for another kind of run."""
    return options.scope.touched if isinstance(options.scope, Hinted) else None


def iso(moment: float) -> str:
    return datetime.fromtimestamp(moment, UTC).isoformat(timespec="seconds")


@dataclass
class Call:
    options: RunOptions
    halt: Any
    tally: Tally
    approved: list[Plan]


Step = BaseException | ApplyReport | None | Callable[[Call], Awaitable[ApplyReport | None]]


class FakeRun:
    """Stands in for run.plan_and_apply: records each call; the n-th call does the n-th step (raise it,
    answer that report, or await it); calls beyond the script plan nothing to change."""

    def __init__(self, steps: tuple[Step, ...]) -> None:
        self.steps, self.calls = list(steps), []  # type: list[Step], list[Call]

    async def __call__(self, spec: Any, credentials: Any, options: RunOptions, approve: Callable[[Plan], bool],
                       progress: Any = None, heartbeat: Any = None, *, halt: Any = None,
                       tally: Tally | None = None) -> tuple[Plan, ApplyReport | None]:
        assert tally is not None and halt is not None, "the runner passes its own halt and a tally"
        call = Call(options, halt, tally, [])
        self.calls.append(call)
        step = self.steps.pop(0) if self.steps else None
        if isinstance(step, BaseException):
            raise step
        if callable(step):
            step = await step(call)
        plan = Plan()
        if step is not None and approve(plan):
            call.approved.append(plan)
        return plan, step


class Harness:
    """A runner over fakes; `advance` moves both clocks on and wakes it, as a webhook would."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, *steps: Step, checks: tuple[Exception | None, ...] = (),
                 every: float = EVERY, full_every: float = FULL_EVERY) -> None:
        self.clock, self.wall = Clock(100.0), Clock(START)
        self.state = ServeState(moco_secret=None, personio_secret=None, clock=self.clock)
        self.fake, self.checks, self.checked = FakeRun(steps), list(checks), 0
        self.cadence = Cadence(every=every, full_every=full_every)
        monkeypatch.setattr("reconciler.serve.runner.plan_and_apply", self.fake)
        monkeypatch.setattr("reconciler.serve.runner.check_credentials", self.check)

    async def check(self, spec: Any, credentials: Any, options: RunOptions) -> None:
        self.checked += 1
        failure = self.checks.pop(0) if self.checks else None
        if failure is not None:
            raise failure

    @property
    def calls(self) -> list[Call]:
        return self.fake.calls

    async def start(self) -> None:
        self.runner = Runner(SPEC, CREDENTIALS, self.state, RunOptions(today=TODAY), self.cadence, wall=self.wall,
                             today=lambda: TODAY)
        self.task = asyncio.create_task(self.runner.run())
        await settle()

    async def advance(self, seconds: float) -> None:
        self.clock.now += seconds
        self.wall.now += seconds
        self.state.wake()
        await settle()

    async def stop(self) -> None:
        self.runner.stop("SIGTERM")
        await asyncio.wait_for(self.task, timeout=1.0)

    def hint(self) -> None:
        """A MOCO presence update for USER on DAY arrives now (as the webhook handler queues it)."""
        self.state.coalescer.add(Hint(MOCO, (HOURS,), USER, frozenset({DAY}), PRESENCE, "Presence update"),
                                 self.clock())
        self.state.wake()

    def reconciles(self, kind: str, result: str) -> float | None:
        return self.sample("reconcile_reconciles_total", kind=kind, result=result)

    def sample(self, name: str, **labels: str) -> float | None:
        return self.state.metrics.registry.get_sample_value(name, labels)

    def problem(self) -> str | None:
        return self.state.readiness.problem()


async def settle() -> None:
    """Let the runner go as far as it can without the clock moving."""
    for _ in range(30):
        await asyncio.sleep(0)
    await asyncio.sleep(0.005)


def change(day: int) -> Change:
    send = {"user_id": 1, "date": f"2026-12-{day:02}", "absence_code": 4, "am": True, "pm": True, "comment": "c"}
    return Change("create", "absences_to_moco", "moco", "absence", "jane@acme.example", "jane@acme.example",
                  date(2026, 12, day), after={"absence_kind": "holiday"}, send=Sent(send))


# ---------------------------------------------------------------------- cadence


def test_full_at_start_then_incremental_every_interval_since_the_last_run_start_then_full_again(monkeypatch):
    serve = Harness(monkeypatch)

    async def scenario() -> None:
        await serve.start()
        assert len(serve.calls) == 1
        first = serve.calls[0].options
        assert (changed_since(first), hinted_of(first), first.today) == (None, None, TODAY)  # full: everything
        await serve.advance(EVERY - 1)
        assert len(serve.calls) == 1  # not before `every`
        await serve.advance(1)
        assert [changed_since(c.options) for c in serve.calls[1:]] == [iso(START)]
        await serve.advance(EVERY)
        assert [changed_since(c.options) for c in serve.calls[1:]] == [iso(START), iso(START + EVERY)]
        await serve.advance(FULL_EVERY - 2 * EVERY)  # the daily full is due (and an incremental with it)
        assert len(serve.calls) == 4 and changed_since(serve.calls[3].options) is None
        await serve.advance(EVERY - 1)
        assert len(serve.calls) == 4  # the full run counts as the incremental one too
        await serve.advance(1)
        assert changed_since(serve.calls[4].options) == iso(START + FULL_EVERY)
        await serve.stop()

    asyncio.run(scenario())
    assert (serve.reconciles("full", "ok"), serve.reconciles("incremental", "ok")) == (2.0, 3.0)
    assert serve.sample("reconcile_last_full_reconcile_timestamp_seconds") == START + FULL_EVERY
    assert serve.problem() is None


def test_incremental_after_a_failed_one_still_counts_from_the_last_successful_run(monkeypatch):
    serve = Harness(monkeypatch, None, ReconcileError(PERSONAL))

    async def scenario() -> None:
        await serve.start()
        await serve.advance(EVERY)  # the incremental run fails
        await serve.advance(30)  # retried
        await serve.stop()

    asyncio.run(scenario())
    assert [changed_since(c.options) for c in serve.calls] == [None, iso(START), iso(START)]
    assert (serve.reconciles("incremental", "failed"), serve.reconciles("incremental", "ok")) == (1.0, 1.0)


# ---------------------------------------------------------------------- readiness


def test_not_ready_until_the_credentials_pass_and_a_failed_check_is_retried(monkeypatch):
    serve = Harness(monkeypatch, checks=(ReconcileError(PERSONAL), None))

    async def scenario() -> list[str | None]:
        seen = [serve.problem()]
        await serve.start()
        seen.append(serve.problem())
        assert (serve.checked, len(serve.calls)) == (1, 0)  # no run before the credentials pass
        await serve.advance(30)
        seen.append(serve.problem())
        await serve.stop()
        return seen

    seen = asyncio.run(scenario())
    assert seen[0] == "credentials not checked yet"
    assert seen[1].startswith("the credentials check failed at ")  # a wrong key is not start-up
    assert seen[2] is None and serve.checked == 2 and len(serve.calls) == 1


def test_webhooks_arriving_while_the_credentials_fail_do_not_bring_the_next_check_forward(monkeypatch):
    # Found by this test: every queued hint woke the loop (state.wake) and each webhook delivery during an
    # outage was one more check at once, past the 30 s pause.
    serve = Harness(monkeypatch, checks=(ReconcileError("MOCO answered 503"),) * 10)

    async def scenario() -> None:
        await serve.start()
        for _ in range(3):
            serve.hint()
            await serve.advance(1)
        await serve.stop()

    asyncio.run(scenario())
    assert serve.checked == 1 and serve.calls == []


def test_a_failed_credentials_check_says_so_on_readyz_without_the_error_text(monkeypatch, capsys):
    # Found by this test: /readyz said "credentials not checked yet" after a failed check too; a wrong key looked
    # like start-up.
    serve = Harness(monkeypatch, checks=(ReconcileError(PERSONAL),) * 3)

    async def scenario() -> str | None:
        await serve.start()
        problem = serve.problem()
        await serve.stop()
        return problem

    problem = asyncio.run(scenario())
    assert PERSONAL in capsys.readouterr().err  # the detail is in the log
    assert problem is not None and "jane.doe" not in problem
    assert "the credentials check" in problem


def test_stop_while_the_credentials_keep_failing_ends_the_loop_without_a_run(monkeypatch):
    serve = Harness(monkeypatch, checks=(ReconcileError("MOCO refused the API key"),) * 5)

    async def scenario() -> None:
        await serve.start()
        await serve.advance(30)
        await serve.stop()

    asyncio.run(scenario())
    assert serve.checked == 2 and serve.calls == []


def test_a_failed_run_says_which_kind_failed_without_the_error_and_the_next_success_clears_it(monkeypatch, capsys):
    serve = Harness(monkeypatch, ReconcileError(PERSONAL), ReconcileError(PERSONAL))

    async def scenario() -> list[str | None]:
        await serve.start()
        seen = [serve.problem()]
        await serve.advance(29)
        assert len(serve.calls) == 1  # the first retry waits 30 s
        await serve.advance(1)
        seen.append(serve.problem())
        await serve.advance(59)
        assert len(serve.calls) == 2  # the pause doubled
        await serve.advance(1)
        seen.append(serve.problem())
        await serve.stop()
        return seen

    failed, again, cleared = asyncio.run(scenario())
    assert failed is not None and failed.startswith("last reconcile failed: the full reconcile failed at ")
    assert failed.endswith("(see the log); retrying in 30 s")
    assert again is not None and again.endswith("retrying in 60 s")
    for problem in (failed, again):
        assert PERSONAL not in problem and "jane.doe" not in problem and "2026-11-27" not in problem
    assert PERSONAL in capsys.readouterr().err  # the operator finds the detail in the log
    assert cleared is None and len(serve.calls) == 3
    assert (serve.reconciles("full", "failed"), serve.reconciles("full", "ok")) == (2.0, 1.0)


def test_a_failed_run_after_credential_retries_is_retried_after_the_first_pause(monkeypatch):
    # Found by this test: failed credentials checks were still counted once the check passed, so after two
    # of them the first failed run waited 120 s instead of 30 s.
    serve = Harness(monkeypatch, ReconcileError("MOCO answered 503"), checks=(ReconcileError("timeout"),) * 2)

    async def scenario() -> None:
        await serve.start()
        await serve.advance(30)
        await serve.advance(60)  # the check passes; the full run fails
        assert len(serve.calls) == 1
        await serve.advance(30)
        await serve.stop()

    asyncio.run(scenario())
    assert serve.checked == 3 and len(serve.calls) == 2, "the first failed run waited longer than 30 s"


# ---------------------------------------------------------------------- targeted runs


def test_a_failed_targeted_run_queues_its_hints_again_and_the_retry_waits_then_plans_them(monkeypatch):
    serve = Harness(monkeypatch, None, ReconcileError(PERSONAL))

    async def scenario() -> None:
        await serve.start()  # the full run at start-up, at clock 100
        serve.hint()
        await settle()
        assert len(serve.calls) == 1  # a hint waits for the burst to end (3 s quiet)
        await serve.advance(3)
        assert len(serve.calls) == 2  # the targeted run, which fails
        assert len(serve.state.coalescer) == 1 and "the targeted reconcile failed" in (serve.problem() or "")
        await serve.advance(29)
        assert len(serve.calls) == 2  # due, but the retry waits
        await serve.advance(1)
        assert len(serve.calls) == 3
        await serve.stop()

    asyncio.run(scenario())
    for call in serve.calls[1:]:
        hinted = dict(hinted_of(call.options) or ())
        assert list(hinted) == [HOURS] and changed_since(call.options) is None
        touched = hinted[HOURS]
        assert touched is not None and touched.moco == {USER: frozenset({DAY})} and PRESENCE in touched.moco_ids
    assert len(serve.state.coalescer) == 0 and serve.problem() is None
    assert (serve.reconciles("targeted", "failed"), serve.reconciles("targeted", "ok")) == (1.0, 1.0)
    # from the hint's arrival (clock 100) to its retry being applied (clock 133)
    assert serve.sample("reconcile_event_to_applied_seconds_count") == 1.0
    assert serve.sample("reconcile_event_to_applied_seconds_sum") == 33.0


def test_a_full_run_takes_along_the_pending_hints(monkeypatch):
    serve = Harness(monkeypatch, every=2 * FULL_EVERY)  # no incremental run in between

    async def scenario() -> None:
        await serve.start()
        await serve.advance(FULL_EVERY - 2)
        serve.hint()
        await serve.advance(2)  # the full run is due before the hint
        await serve.advance(10)
        await serve.stop()

    asyncio.run(scenario())
    assert [hinted_of(c.options) for c in serve.calls] == [None, None]  # no targeted run after the full one
    assert len(serve.state.coalescer) == 0
    assert serve.sample("reconcile_event_to_applied_seconds_sum") == 2.0


# ---------------------------------------------------------------------- guard, metrics, bugs


def test_a_part_the_guard_holds_is_not_a_failed_run_and_shows_until_a_full_run_holds_nothing(monkeypatch, capsys):
    """Issue 20: a breach in MOCO's absences held the whole run (and every run after it), so no working
    hours reached Personio. Now the rest is applied, serve stays ready, and the held part shows on /readyz,
    /metrics and in the log until a full run no longer holds it."""
    held = tuple(dataclasses.replace(change(day), action="delete", after=None, before={"absence_kind": "holiday"},
                                     target=day, send=None) for day in range(1, 13))
    plan = Plan(changes=held, guard=(Breach("moco", "MOCO", 20, 0, 12, 30.0, "absence", (ABSENCES,)),),
                scope=(ABSENCES, HOURS))
    rest = ApplyReport([Outcome(change(20), "applied")])

    async def refuse(call: Call) -> None:
        call.tally.requests, call.tally.throttled = {"moco": 3, "personio": 2}, {}
        raise GuardRefused(SPEC, plan, rest)

    serve = Harness(monkeypatch, refuse)
    seen: list[str | None] = []

    async def scenario() -> None:
        await serve.start()
        seen.append(serve.state.readiness.held)
        await serve.advance(EVERY)  # the incremental run holds nothing new: still held
        seen.append(serve.state.readiness.held)
        await serve.advance(FULL_EVERY - EVERY)  # the daily full run holds nothing: released
        seen.append(serve.state.readiness.held)
        await serve.stop()

    asyncio.run(scenario())
    assert seen[0] == seen[1] == ("absences_to_moco in MOCO: 12 changes held (60 % of the records reconcile owns "
                                  "there; the limit is 30 %)")
    assert seen[2] is None
    assert serve.problem() is None  # ready throughout: the webhooks of the other direction keep coming
    assert (serve.reconciles("full", "failed"), serve.reconciles("full", "ok")) == (0.0, 2.0)
    assert serve.sample("reconcile_changes_applied_total") == 1.0
    assert serve.sample("reconcile_api_requests_total", service="moco") == 3.0
    assert serve.sample("reconcile_changes_held") == 0.0
    log = capsys.readouterr().err
    assert "full reconcile: the mass-change guard holds absences_to_moco in MOCO: 12 changes held" in log
    assert "jane@acme.example" not in log


def test_the_held_count_is_a_metric_while_held(monkeypatch):
    plan = Plan(changes=(change(1),), guard=(Breach("moco", "MOCO", 10, 0, 10, 30.0, "absence", (ABSENCES,)),),
                scope=(ABSENCES,))
    serve = Harness(monkeypatch, GuardRefused(SPEC, plan))

    async def scenario() -> None:
        await serve.start()
        await serve.stop()

    asyncio.run(scenario())
    assert serve.sample("reconcile_changes_held") == 1.0 and serve.problem() is None



def problem_then_retry(serve: Harness) -> str | None:
    """Start (the first run fails), note what /readyz says, let the retry come after its 30 s, stop."""

    async def scenario() -> str | None:
        await serve.start()
        assert not serve.task.done()  # a failed run does not end the loop
        problem = serve.problem()
        await serve.advance(30)
        await serve.stop()
        return problem

    return asyncio.run(scenario())

def test_metrics_count_requests_429s_and_changes_of_each_run(monkeypatch, capsys):
    async def partly(call: Call) -> ApplyReport:
        call.tally.requests, call.tally.throttled = {"moco": 12, "personio": 7}, {"personio": 2}
        return ApplyReport([Outcome(change(1), "applied"), Outcome(change(2), "applied"),
                            Outcome(change(3), "failed", "MOCO answered 422: date is locked")])

    async def rest(call: Call) -> ApplyReport:
        call.tally.requests, call.tally.throttled = {"moco": 3}, {}
        return ApplyReport([Outcome(change(3), "applied")])

    serve = Harness(monkeypatch, partly, rest)
    problem = problem_then_retry(serve)
    assert problem is not None and "the full reconcile ended with failed changes" in problem
    assert "date is locked" not in problem and "date is locked" in capsys.readouterr().err
    assert serve.problem() is None and [len(c.approved) for c in serve.calls] == [1, 1]
    requests = {s: serve.sample("reconcile_api_requests_total", service=s) for s in ("moco", "personio")}
    throttled = {s: serve.sample("reconcile_api_429_total", service=s) for s in ("moco", "personio")}
    assert (requests, throttled) == ({"moco": 15.0, "personio": 7.0}, {"moco": 0.0, "personio": 2.0})
    assert serve.sample("reconcile_changes_applied_total") == 3.0
    assert serve.sample("reconcile_changes_failed_total") == 1.0
    assert (serve.reconciles("full", "failed"), serve.reconciles("full", "ok")) == (1.0, 1.0)


def test_a_bug_in_a_run_does_not_end_the_loop_and_the_run_is_retried(monkeypatch, capsys):
    serve = Harness(monkeypatch, KeyError("moco_user_id"))
    problem = problem_then_retry(serve)
    assert problem is not None and "the full reconcile failed with an internal error" in problem
    assert "moco_user_id" not in problem
    assert "this is a bug in reconcile" in capsys.readouterr().err
    assert len(serve.calls) == 2 and serve.problem() is None
    assert (serve.reconciles("full", "failed"), serve.reconciles("full", "ok")) == (1.0, 1.0)


# ---------------------------------------------------------------------- stop


def test_stop_lets_the_run_in_flight_finish_starts_no_new_one_and_tells_apply_to_halt(monkeypatch):
    release = asyncio.Event()
    reasons: list[str] = []

    async def slow(call: Call) -> ApplyReport:
        await release.wait()
        reasons.append(call.halt.reason)  # what apply asks before each change
        return ApplyReport([Outcome(change(1), "applied")])

    serve = Harness(monkeypatch, slow)

    async def scenario() -> None:
        await serve.start()
        assert serve.calls[0].halt.reason == ""
        serve.runner.stop("SIGTERM")
        await serve.advance(FULL_EVERY)  # every kind of run is due
        assert not serve.task.done() and len(serve.calls) == 1
        release.set()
        await asyncio.wait_for(serve.task, timeout=1.0)

    asyncio.run(scenario())
    assert reasons == ["SIGTERM"] and len(serve.calls) == 1
    assert serve.reconciles("full", "ok") == 1.0 and serve.sample("reconcile_changes_applied_total") == 1.0


def test_stop_while_waiting_returns_at_once_and_leaves_pending_hints_to_the_next_start(monkeypatch, capsys):
    serve = Harness(monkeypatch)

    async def scenario() -> None:
        await serve.start()
        serve.hint()
        serve.runner.stop("SIGTERM")
        await asyncio.wait_for(serve.task, timeout=0.5)  # the runner was waiting for 600 s
        serve.clock.now += FULL_EVERY
        await settle()

    asyncio.run(scenario())
    assert len(serve.calls) == 1 and len(serve.state.coalescer) == 0
    assert "1 webhook event not yet reconciled is left to the full run" in capsys.readouterr().err
