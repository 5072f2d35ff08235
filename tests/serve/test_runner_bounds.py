"""Issue 20 in the controller loop (the fakes of test_runner.py): one person's failing batch does not hold back
the others' and is dropped after its tries; a queue that overflowed brings the incremental run forward; a
delete of a record serve never read plans no direction whole (no run at all)."""

from __future__ import annotations

import asyncio
from datetime import date

from reconciler.errors import ReconcileError
from reconciler.serve.coalesce import Coalescer
from reconciler.serve.events import MOCO, Hint
from reconciler.serve.runner import FORWARD_GAP
from tests.serve.test_runner import EVERY, HOURS, START, Call, Harness, changed_since, hinted_of, iso, settle

POISON = 4  # the MOCO user whose batch makes every run it is in fail (as a 20,000-character id once did)
DAY = date(2026, 11, 27)


def planned(call: Call) -> set[int]:
    hours = dict(hinted_of(call.options) or ()).get(HOURS)
    return set(hours.moco) if hours is not None else set()


async def poisoned(call: Call) -> None:
    if POISON in planned(call):
        raise ReconcileError("Personio answered 400: the request line is too long")


def hint(serve: Harness, user: int, record: int | None = None, event: str = "Presence update") -> None:
    serve.state.coalescer.add(Hint(MOCO, (HOURS,), user if "delete" not in event else None, frozenset({DAY}),
                                   record if record is not None else 1000 + user, event), serve.clock())
    serve.state.wake()


async def settled() -> None:
    for _ in range(10):
        await settle()


def test_one_persons_failing_batch_does_not_hold_back_the_others_and_is_dropped_after_its_tries(monkeypatch):
    serve = Harness(monkeypatch, *([poisoned] * 20))

    async def scenario() -> None:
        await serve.start()
        for user in (1, 2, 3, POISON):
            hint(serve, user)
        await serve.advance(3)  # the batch of four fails; its halves run at once, then the half with 4 again
        await settled()
        good = [planned(call) for call in serve.calls[1:] if POISON not in planned(call)]
        assert set().union(*good) == {1, 2, 3}  # planned, and applied, with no pause
        await serve.advance(30)  # 4 alone again, after the pause
        await serve.advance(60)  # and the third time alone: dropped
        await settled()
        await serve.advance(600)
        await serve.stop()

    asyncio.run(scenario())
    with_poison = [call for call in serve.calls if POISON in planned(call)]
    assert [len(planned(call)) for call in with_poison] == [4, 2, 1, 1, 1]  # halves, then alone 3 times
    assert serve.sample("reconcile_events_dropped_total") == 1.0
    assert len(serve.state.coalescer) == 0
    assert serve.reconciles("targeted", "ok") == 2.0  # {1, 2} and {3}


def test_a_queue_that_overflowed_brings_the_incremental_run_forward(monkeypatch):
    serve = Harness(monkeypatch)
    serve.state.coalescer = Coalescer(keys=2)

    async def scenario() -> None:
        await serve.start()  # the full run at clock 100
        for user in (1, 2, 3):  # the third person does not fit
            hint(serve, user)
        await serve.advance(3)  # the two queued are planned
        assert changed_since(serve.calls[-1].options) is None and planned(serve.calls[-1]) == {1, 2}
        await serve.advance(FORWARD_GAP - 3 - 1)
        assert len(serve.calls) == 2  # not within FORWARD_GAP of the last full or incremental run's start
        await serve.advance(1)  # then the incremental run reads what changed (person 3 too), not at EVERY
        assert len(serve.calls) == 3 and changed_since(serve.calls[2].options) == iso(START)
        assert not serve.state.coalescer.overflowed
        hint(serve, 5)  # queued again
        await serve.advance(3)
        await serve.stop()

    asyncio.run(scenario())
    assert planned(serve.calls[3]) == {5} and FORWARD_GAP < EVERY


def test_a_delete_of_a_record_serve_never_read_costs_no_run(monkeypatch):
    serve = Harness(monkeypatch)

    async def scenario() -> None:
        await serve.start()
        for _ in range(50):  # the replays of a captured delivery
            hint(serve, 0, record=982237015, event="Presence delete")
        await serve.advance(3)
        await serve.advance(EVERY - 10)
        await serve.stop()

    asyncio.run(scenario())
    assert len(serve.calls) == 1  # the full run at start-up only: never the hours direction whole
    assert serve.sample("reconcile_events_dropped_total") == 1.0  # one id, left to the interval and daily runs
