"""Makes a plan's changes through their directions' steps and reports each one: applied, failed or
skipped. Knows no direction: `registry.get(change.direction).steps` does the writing.

- Bounded concurrency on top of the clients' pacing; every change is independent (one per day).
- A failed change does not stop the others, a 5xx or a timeout past the retries included. Failures
  that no later change can escape (credentials refused, permission denied, a service failing
  `DOWN_AFTER` changes in a row) stop new changes from starting; those are reported as skipped.
- A create whose outcome is unknown is resolved by re-reading that day, never by sending it again:
  found → applied; not found → failed, and the next run plans it afresh.
- While changes are made, SIGTERM and SIGINT start no new one (`Stopping`): the changes in flight finish.
- The report lists the outcomes in the plan's order, but those of a sensitive kind together at the end
  (`shared_order`), as logs name the failed ones once apply is done (`ApplyReport.failed`).
"""

from __future__ import annotations

import asyncio
import re
import signal
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Protocol

from reconciler.errors import (
    ApiError,
    AuthenticationFailed,
    OutcomeUnknown,
    PermissionDenied,
    RateLimited,
    Unavailable,
)
from reconciler.plan.model import Change
from reconciler.plan.packed import Packed
from reconciler.sync import registry
from reconciler.sync.direction import Direction, Steps
from reconciler.systems.connect import Clients
from reconciler.systems.http.transport import SENT


@dataclass(frozen=True)
class Pace:
    """How apply goes about its changes: at most `concurrency` at once, on top of the clients' pacing of
    requests; and how many seconds it lets a create whose answer was lost settle before re-reading."""

    concurrency: int = 4
    verify_delay: float = 2.0

FATAL = (AuthenticationFailed, PermissionDenied)  # no later change gets past these
TRANSIENT = (Unavailable, RateLimited)  # one of these fails its change; a run of them means the service is down
DOWN_AFTER = 3  # failures in a row of one service, each after its retries: it is down for good
STEP_ORDER = {"delete": 0, "update": 1, "create": 2}


@dataclass
class Outcome:
    change: Change
    status: str  # applied | failed | skipped
    detail: str = ""
    fatal: bool = False  # the failure stops further changes from starting
    transient: bool = False  # the service was unavailable or rate-limited past the retries


class Halt(Protocol):
    """Asked before each change: a reason to start no more (e.g. "SIGTERM"), or "" to go on."""

    reason: str


@dataclass
class ApplyReport:
    # In the plan's order, those of a sensitive kind last (`shared_order`); a first sync's packed (plan/packed.py).
    outcomes: list[Outcome] | Packed[Outcome] = field(default_factory=list)
    stopped_by: str = ""  # the fatal error that stopped new changes, if any
    halted_by: str = ""  # the signal that stopped new changes, if any
    settled: int = 0  # second copies another run wrote at the same time, removed afterwards (run.py)
    unsettled: str = ""  # why that check could not be made
    done: int = 0  # changes finished while apply runs (the outcomes are in once it is done)

    # The counts of `outcomes`, made once for each list of them: a first sync's are a million, packed.
    _counted: tuple[tuple[int, int], Counter[str]] | None = field(default=None, repr=False, compare=False)

    def count(self, status: str) -> int:
        seen = (id(self.outcomes), len(self.outcomes))
        if isinstance(self.outcomes, list) or self._counted is None or self._counted[0] != seen:
            self._counted = seen, Counter(outcome.status for outcome in self.outcomes)
        return self._counted[1][status]

    def __repr__(self) -> str:  # counts only, as Plan's (a first sync's report holds a million outcomes)
        return (f"ApplyReport({self.count('applied')} applied, {self.count('failed')} failed, "
                f"{self.count('skipped')} skipped)")

    def failed(self) -> list[Outcome]:
        """The failed changes, in the order logs name them (`shared_order`): once apply is done, never as
        they fail, so that those of a sensitive kind can stand together at the end."""
        return shared_order(outcome for outcome in self.outcomes if outcome.status == "failed")

    @property
    def ok(self) -> bool:
        return self.count("failed") == 0 and self.count("skipped") == 0 and not self.unsettled

    def summary(self) -> str:
        ended = "Apply complete" if self.count("failed") == 0 else "Apply finished with failures"
        if self.halted_by:
            return (f"Apply stopped by {self.halted_by}: {self.count('applied')} applied, {self.count('failed')} "
                    f"failed, {self.count('skipped')} not attempted; the next run picks up the rest.")
        copies = f"{self.settled} second cop{'ies' if self.settled != 1 else 'y'}"
        settled = f" Another run wrote at the same time: {copies} removed (by this run or the other)." \
            if self.settled else ""
        return (f"{ended}: {self.count('applied')} applied, {self.count('failed')} failed, "
                f"{self.count('skipped')} skipped.{settled}")


Progress = Callable[[Outcome | None, int, int], None]  # None: a heartbeat while changes run


async def apply_changes(changes: Sequence[Change], clients: Clients, pace: Pace = Pace(), *,
                        progress: Progress | None = None, halt: Halt | None = None,
                        heartbeat: float | None = None) -> ApplyReport:
    """Make `changes`; `progress(outcome, done, total)` after each one, and, with `heartbeat`, also
    `progress(None, done, total)` every `heartbeat` seconds while changes are still running."""
    report = ApplyReport()
    if progress is None or heartbeat is None:
        return await _apply(changes, clients, pace, progress, halt, report)

    async def beat() -> None:
        while True:
            await asyncio.sleep(heartbeat)
            progress(None, report.done, len(changes))

    pulse = asyncio.ensure_future(beat())
    try:
        return await _apply(changes, clients, pace, progress, halt, report)
    finally:
        pulse.cancel()


async def _apply(changes: Sequence[Change], clients: Clients, pace: Pace, progress: Progress | None,
                 halt: Halt | None, report: ApplyReport) -> ApplyReport:
    stop = asyncio.Event()
    in_a_row: dict[str, int] = {}  # per service: transient failures since its last success

    in_order = _InOrder()

    async def run(first: int, day: list[Change]) -> None:
        """One person's day in one system, change after change: deletes, then updates, then creates,
        so a period moving into the place of another never meets it (Personio refuses overlaps)."""
        for index, change in sorted(enumerate(day, first), key=lambda item: STEP_ORDER[item[1].action]):
            if halt and halt.reason and not stop.is_set():
                report.halted_by = halt.reason
                outcome = Outcome(change, "skipped", f"not attempted: stopped by {halt.reason}")
            elif stop.is_set():
                outcome = Outcome(change, "skipped", f"not attempted: {report.stopped_by}")
            else:
                outcome = await _unless_halted(change, clients, pace.verify_delay, halt)
                if outcome.status == "skipped" and halt:  # given up waiting for its first request
                    report.halted_by = halt.reason
                service = registry.get(change.direction).service
                in_a_row[service] = in_a_row.get(service, 0) + 1 if outcome.transient else 0
                if in_a_row[service] >= DOWN_AFTER:
                    outcome.fatal = True
                    outcome.detail += f" ({DOWN_AFTER} changes in a row failed like this: {service} is down)"
                if outcome.fatal:
                    report.stopped_by = report.stopped_by or shared_detail(outcome)
                    stop.set()
            in_order.add(index, outcome)
            report.done += 1
            if progress:
                progress(outcome, report.done, len(changes))

    waiting = _days(changes)

    async def worker() -> None:  # takes the next day when one is done: the days start in order, as many at once
        for index, day in waiting:  # as `pace.concurrency`, and a first sync's 500,000 days are not all tasks at once
            await run(index, day)
            if stop.is_set() or (halt and halt.reason):
                return

    await asyncio.gather(*(worker() for _ in range(max(1, pace.concurrency))))
    for index, day in waiting:  # stopped: the days no worker took are not attempted, reported once the changes
        await run(index, day)   # in flight are done (else a first sync's million would wait for them unpacked)
    report.outcomes = in_order.finish()
    return report


Day = tuple[int, list[Change]]  # the index of its first change in the plan, and its changes


def _days(changes: Iterable[Change]) -> Iterator[Day]:
    """The plan's changes a day at a time: one person's changes in one system on one date, which follow each
    other in the plan's order (`plan_order`: by person, date, system). Read as the workers take them: a first
    sync's are never all unpacked at once."""
    key: tuple[str, str, str, date] | None = None
    day: list[Change] = []
    first = 0
    for index, change in enumerate(changes):
        this = (change.system, change.kind, change.user, change.date)
        if this != key and day:
            yield first, day
            day, first = [], index
        key = this
        day.append(change)
    if day:
        yield first, day


class _InOrder:
    """Outcomes as they come, back into the plan's order as soon as every earlier one is in (the days start in
    order and run a few at once, so few wait), then in `shared_order`: those of a sensitive kind held to be
    sorted at the end. The rest are packed as they go (plan/packed.py): a first sync makes a million."""

    def __init__(self) -> None:
        self.next = 0
        self.early: dict[int, Outcome] = {}
        self.ordered: Packed[Outcome] = Packed()
        self.sensitive: list[Outcome] = []

    def add(self, index: int, outcome: Outcome) -> None:
        self.early[index] = outcome
        while self.next in self.early:
            ready = self.early.pop(self.next)
            (self.sensitive if ready.change.sensitive else self.ordered).append(ready)
            self.next += 1

    def finish(self) -> Packed[Outcome]:
        assert not self.early, "an outcome came in for a change not taken in order"
        self.ordered.extend(shared_order(self.sensitive))
        return self.ordered


HALT_POLL = 0.1  # seconds between looks at the halt while a change waits to send its first request


async def _unless_halted(change: Change, clients: Clients, verify_delay: float, halt: Halt | None) -> Outcome:
    """`_attempt`, given up while none of its requests has gone out when a halt comes (SIGTERM): a change
    waiting for the rate limit (a minute, when the window is spent) is not attempted, so stopping takes
    no longer than the requests already sent. Once one went out, the change runs to its end."""
    if halt is None:
        return await _attempt(change, clients, verify_delay)
    sent = [0]
    token = SENT.set(sent)
    try:
        task = asyncio.create_task(_attempt(change, clients, verify_delay))  # counts into `sent`
    finally:
        SENT.reset(token)
    while True:
        done, _ = await asyncio.wait({task}, timeout=HALT_POLL)
        if done:
            return task.result()
        if halt.reason and sent[0] == 0:
            task.cancel()
            await asyncio.wait({task})
            if task.cancelled():
                return Outcome(change, "skipped", f"not attempted: stopped by {halt.reason}")
            return task.result()  # it finished in the meantime


async def _attempt(change: Change, clients: Clients, verify_delay: float) -> Outcome:
    try:
        detail = await _execute(change, registry.get(change.direction), clients, verify_delay)
        return Outcome(change, "applied", detail)
    except FATAL as exc:
        return Outcome(change, "failed", str(exc), fatal=True)
    except TRANSIENT as exc:
        return Outcome(change, "failed", str(exc), transient=True)
    except ApiError as exc:
        return Outcome(change, "failed", str(exc))


async def _execute(change: Change, direction: Direction, clients: Clients, verify_delay: float) -> str:
    """One change through its direction's steps: the write, then every record it removes."""
    steps = direction.steps
    if change.action == "create":
        try:
            await steps.create(clients, change)
        except OutcomeUnknown as unknown:
            return await _confirm_created(direction, change, unknown, verify_delay, clients)
        return ""
    if change.action == "update":
        await steps.update(clients, change)
        return await _remove(steps, clients, tuple(removal.id for removal in change.removes))
    return await _remove(steps, clients, (change.target, *(removal.id for removal in change.removes)))


async def _remove(steps: Steps, clients: Clients, records: tuple[Any, ...]) -> str:
    """Delete each record; say how many were already gone (which counts as done)."""
    gone = [await steps.delete(clients, record) for record in records]
    missing = len(gone) - sum(gone)
    return f"{missing} record{'s were' if missing != 1 else ' was'} already gone" if missing else ""


async def _confirm_created(direction: Direction, change: Change, unknown: OutcomeUnknown, verify_delay: float,
                           clients: Clients) -> str:
    """A create whose outcome is unknown (a lost answer, or a 5xx after it was sent): re-read the day.
    Found → applied; not found → failed. Never re-sent."""
    await asyncio.sleep(verify_delay)  # let a request still being processed finish first
    why = f"its outcome was unknown ({unknown.message.removeprefix(direction.service + ': ')})"
    try:
        found = await direction.steps.find_created(clients, change)
    except ApiError as exc:
        raise OutcomeUnknown(direction.service, f"{why} and re-reading the day failed too ({exc}); not re-sent, the "
                                                "next plan will show whether it exists") from None
    if found:
        return f"{why}, but re-reading found it created"
    raise OutcomeUnknown(direction.service, f"{why} and re-reading did not find it; not re-sent, the next run will "
                                            "create it")


class Stopping:
    """While apply runs, SIGTERM (what Kubernetes and Nomad send) and SIGINT (Ctrl-C) start no new
    change; the changes in flight finish, each bounded by its request time limit, and the report says
    what was done. A second signal ends the run at once."""

    def __init__(self, *signals: signal.Signals) -> None:
        self.signals = signals
        self.reason = ""
        self._task: asyncio.Task[Any] | None = None
        self._installed: list[signal.Signals] = []

    def __enter__(self) -> Stopping:
        loop = asyncio.get_running_loop()
        self._task = asyncio.current_task()
        for number in self.signals:
            try:
                loop.add_signal_handler(number, self._received, number)
            except (NotImplementedError, RuntimeError, ValueError):  # not the main thread, or no such signals
                continue
            self._installed.append(number)
        return self

    def __exit__(self, *exc: object) -> None:
        loop = asyncio.get_running_loop()
        for number in self._installed:
            loop.remove_signal_handler(number)

    def _received(self, number: signal.Signals) -> None:
        if self.reason and self._task:  # the second signal: no more waiting
            self._task.cancel()
        self.reason = self.reason or signal.Signals(number).name


# What a failure's detail may hold that ties it to one record: a number in a request path
# (DELETE /api/v1/schedules/123), an id list or parameter, a day, an email address.
_RECORD = re.compile(r"(?<=/)\d+\b|(?<=\bids=)[\d,]+|(?<=\bid[=:] )\d+|(?<=\bid=)\d+|\b\d{4}-\d{2}-\d{2}\b|"
                     r"[^\s@()<>\[\]'\"]+@[^\s@()<>\[\]'\"]+")


def shared_order(outcomes: Iterable[Outcome]) -> list[Outcome]:
    """Outcomes in the order outputs meant to be shared list them: those not of a sensitive kind in their
    order (the plan's: by person and day), then those of a sensitive kind, ordered by what their log lines
    show (direction, system, kind, action, outcome, `shared_detail`), which names no person; lines alike
    are alike wherever they stand. In the plan's order, such a line would stand among its person's named
    ones, and their dates would give the day (plan/privacy.py)."""
    named: list[Outcome] = []
    sensitive: list[Outcome] = []
    for outcome in outcomes:
        (sensitive if outcome.change.sensitive else named).append(outcome)
    return named + sorted(
        sensitive,
        key=lambda o: (o.change.direction, o.change.system, o.change.kind, o.change.action, o.status,
                       shared_detail(o)))


def shared_detail(outcome: Outcome) -> str:
    """A failed change's detail as logs and the apply report may show it: of a sensitive kind, without
    the ids of the records it names (a MOCO schedule id finds the person and the sick day), days or
    addresses."""
    if not outcome.change.sensitive:
        return outcome.detail
    text = outcome.detail
    for record in _records(outcome.change):
        text = re.sub(rf"(?<![\w-]){re.escape(record)}(?![\w-])", "…", text)
    return _RECORD.sub("…", text)


def _records(change: Change) -> list[str]:
    ids = [change.target, *(removal.id for removal in change.removes)]
    return sorted({str(record) for record in ids if record not in (None, "")}, key=len, reverse=True)
