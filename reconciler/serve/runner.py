"""The controller loop of `reconcile serve`: one reconcile at a time, through the same planners, guards and
apply path as `reconcile apply --auto-approve` (run.plan_and_apply).

What runs, in this order of precedence:
- a **full** reconcile at start-up and then every `full_every` (default daily): the safety net that sees
  everything, MOCO's deletions included. It takes along every hint pending when it starts.
- an **incremental** reconcile every `every` (default 15 minutes): what changed since the start of the last
  full or incremental run that succeeded, as `apply --changed-since` reads it.
- a **targeted** reconcile whenever coalesced webhook hints are due (coalesce.py): only the people and days
  they name (targets.py), read as an incremental run reads them.

Runs never overlap within a process; beside another writer (a second serve, an `apply` CronJob) every run
reads back after creating and removes second copies, as `apply` does (run._settle). All runs share one
pacing budget per service (`Tuning.limiters`), so back-to-back runs together keep to the rate limits.

A run the mass-change guard held part of is not a failed run: the rest is applied, and the held part shows on
/readyz (still ready), on /metrics and in the log until a full run holds nothing (`_held`). A failed run (a
service down) marks /readyz not ready with a reason that names no
person, is retried after a growing pause (30 s, doubling, at most `every`), and a failed targeted run's
batches are planned again in halves, each half at once in a run of its own, so one person's failure cannot
hold back the others; a batch failing alone MAX_TRIES times is dropped (coalesce.py). Hints beyond serve's
bounds (coalesce.py, targets.py) bring the next incremental run forward (FORWARD_GAP). `stop()` (SIGTERM) starts no new run and no new change; the loop ends once the run
in flight has finished its in-flight writes.

Every run logs its progress as `apply` does without a terminal (render/progress.py): what it reads, the cost
line before its first write when that takes a minute or more (the start-up full reconcile of a big company),
and a line every PROGRESS_EVERY seconds while it reads, applies and reads back.
"""

from __future__ import annotations

import asyncio
import dataclasses
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime

from reconciler import logs
from reconciler.apply import ApplyReport
from reconciler.errors import ReconcileError
from reconciler.plan.guard import Held
from reconciler.plan.scope import ChangedSince, Hinted, duration
from reconciler.render.progress import Watch
from reconciler.report import log_failure
from reconciler.run import GuardRefused, RunOptions, Tally, check_credentials, plan_and_apply
from reconciler.serve.app import ServeState
from reconciler.serve.coalesce import Batch
from reconciler.serve.echoes import Echoes
from reconciler.serve.owners import Owners
from reconciler.serve.targets import Targets, announced, targets
from reconciler.spec import Spec
from reconciler.sync.direction import Person
from reconciler.sync.sources import MOCO_USERS, PERSONIO_PERSONS
from reconciler.systems.connect import Credentials

FIRST_RETRY = 30.0  # seconds before retrying a failed run; doubles after each failure, at most `every`
# An incremental run brought forward (hints beyond serve's bounds, coalesce.py) starts at the earliest this many
# seconds after the last incremental or full run started: a flood costs at most two such runs a minute (about 20
# MOCO requests of its 60 a minute on the standard plan), and a real change it held back arrives within a minute
# even when it came just after such a run started (the gap, the run before it and its own run).
FORWARD_GAP = 30.0
SPLIT_AT_ONCE = 4  # failures in a row up to which the halves of a failed targeted run are planned at once
PROGRESS_EVERY = 10.0  # seconds between a long run's progress lines (render/progress.py), as `apply` logs them


EVERY = "15m"  # how often an incremental reconcile runs, as `--every` takes it
FULL_EVERY = "24h"  # how often a full reconcile runs (one also runs at start-up), as `--full-every` takes it


def seconds(text: str) -> float:
    """A duration such as `15m` in seconds (plan/scope.py's `duration`)."""
    length = duration(text)
    if length is None:
        raise ValueError(f"not a duration: {text!r}")
    return length.total_seconds()


@dataclass(frozen=True)
class Cadence:
    """How often the safety-net runs come (seconds)."""

    every: float = seconds(EVERY)
    full_every: float = seconds(FULL_EVERY)


class _Halt:
    """What apply asks before each change (apply.Halt): a reason to start no more. `writing`: the run in flight
    has asked it through `for_run()`, so it has begun writing (serve's shutdown waits for writes, not reads)."""

    def __init__(self) -> None:
        self.reason, self.writing = "", False

    def for_run(self) -> _Asked:
        self.writing = False
        return _Asked(self)


class _Asked:
    """The halt as one run's apply sees it: asking it marks the run as writing."""

    def __init__(self, halt: _Halt) -> None:
        self.halt = halt

    @property
    def reason(self) -> str:
        self.halt.writing = True
        return self.halt.reason

    @reason.setter
    def reason(self, value: str) -> None:
        self.halt.reason = value


def _events(count: int) -> str:
    return f"{count} webhook event{'s' if count != 1 else ''}"


def _stamp(moment: float) -> str:
    return datetime.fromtimestamp(moment, UTC).isoformat(timespec="seconds")


class Runner:
    """Plans and applies, one run at a time, until `stop()`."""

    def __init__(self, spec: Spec, credentials: Credentials, state: ServeState, options: RunOptions,
                 cadence: Cadence = Cadence(), *, wall: Callable[[], float] = time.time,
                 today: Callable[[], date] = date.today) -> None:
        self.spec, self.credentials, self.state, self.options = spec, credentials, state, options
        self.cadence, self.wall, self.today = cadence, wall, today
        self.owners = Owners()
        self.echoes = Echoes()
        self.halt = _Halt()
        self._wake = asyncio.Event()
        state.wake = self._wake.set
        state.echo = lambda hint: self.echoes.hint(hint, state.clock())
        now = state.clock()
        self.next_full, self.next_incremental, self.retry_at = now, now + cadence.every, now
        self.since: str | None = None  # start of the last successful full or incremental run (UTC, ISO 8601)
        self.failures = 0
        self.holding: dict[tuple[str, str], Held] = {}  # what the mass-change guard holds, by direction and system
        self.last_safety = float("-inf")  # when the last incremental or full run started (state's clock)
        self.targets = Targets(())  # what the targeted run in flight plans

    # ------------------------------------------------------------------ the loop

    def stop(self, reason: str = "SIGTERM") -> None:
        """Start no new run and no new change; the run in flight finishes its in-flight writes."""
        self.halt.reason = self.halt.reason or reason
        self._wake.set()

    async def run(self) -> None:
        """Check the credentials (until they pass), then reconcile as due until `stop()`."""
        while not self.halt.reason:  # webhooks wake the loop; the check is retried only after its pause
            if self.state.clock() < self.retry_at:
                await self._sleep_until(self.retry_at)
            elif await self._check():
                break
        while not self.halt.reason:
            now = self.state.clock()
            kind = self._due(now)
            if kind is None:
                await self._sleep_until(self._next(now))
                continue
            await self._reconcile(kind, now)
        left = self.state.coalescer.drain()
        if left:
            count = sum(b.hints for b in left)
            logs.line("serve.stopped", f"Stopped; {_events(count)} not yet reconciled "
                      f"{'are' if count != 1 else 'is'} left to the full run at the next start.", hints=count)

    def _forward(self, now: float) -> None:
        """Bring the next incremental run forward (hints beyond serve's bounds): it reads what changed."""
        self.next_incremental = min(self.next_incremental, max(now, self.last_safety + FORWARD_GAP))

    def _due(self, now: float) -> str | None:
        if self.state.coalescer.overflowed:
            self._forward(now)
        if now < self.retry_at:
            return None
        if now >= self.next_full:
            return "full"
        if now >= self.next_incremental:
            return "incremental"
        due = self.state.coalescer.next_due()
        return "targeted" if due is not None and due <= now else None

    def _next(self, now: float) -> float:
        due = self.state.coalescer.next_due()
        moments = [self.next_full, self.next_incremental, *([due] if due is not None else [])]
        return max(min(moments), self.retry_at)

    async def _sleep_until(self, moment: float) -> None:
        """Until `moment` on the state's clock, a new hint or `stop()`, whichever comes first."""
        self._wake.clear()
        if self.halt.reason:
            return
        try:
            await asyncio.wait_for(self._wake.wait(), timeout=max(0.0, moment - self.state.clock()))
        except TimeoutError:
            pass

    # ------------------------------------------------------------------ one run

    async def _check(self) -> bool:
        try:
            await check_credentials(self.spec, self.credentials, self.options)
        except ReconcileError as exc:
            self._failed("the credentials check failed", str(exc))
            return False
        self.state.readiness.credentials_checked = True
        self.state.readiness.last_failure = None
        self.failures = 0
        logs.line("serve.ready", "Credentials accepted by MOCO and Personio.")
        return True

    def _options(self, kind: str, batches: list[Batch]) -> RunOptions:
        options = dataclasses.replace(self.options, today=self.today())
        if kind == "targeted":
            return dataclasses.replace(options, scope=Hinted(self.targets.touched, announced(batches)))
        if kind == "incremental" and self.since is not None:
            return dataclasses.replace(options, scope=ChangedSince(self.since))
        return options

    async def _reconcile(self, kind: str, now: float) -> None:
        if kind == "incremental" and self.since is None:
            kind = "full"  # nothing to count from yet
        batches = self.state.coalescer.due(now) if kind == "targeted" else \
            self.state.coalescer.drain() if kind == "full" else []
        if kind == "targeted" and not self._place(batches, now):
            return
        if kind != "targeted":
            self.last_safety, self.state.coalescer.overflowed = now, False  # it covers what was not queued
        started, tally = self.wall(), Tally()
        try:
            _, report = await plan_and_apply(self.spec, self.credentials, self._options(kind, batches),
                                             lambda plan: True, Watch(every=PROGRESS_EVERY), halt=self.halt.for_run(),
                                             tally=tally)
        except GuardRefused as refused:  # part held, the rest applied: not a failed run (see _held)
            self._count(tally)
            self._held(kind, refused, tally, now, started)
            return
        except ReconcileError as exc:
            self._count(tally)
            self._after_failure(kind, batches, f"the {kind} reconcile failed", str(exc))
            return
        except Exception:  # a bug must not end the controller: logged as such, retried later
            self._count(tally)
            self._after_failure(kind, batches, f"the {kind} reconcile failed with an internal error",
                                traceback.format_exc().rstrip() + "\ninternal error: this is a bug in reconcile; "
                                "please report it with the output above")
            return
        self._count(tally)
        self._remember(report, tally)
        applied = report.count("applied") if report else 0
        failed = report.count("failed") if report else 0
        self.state.metrics.changes(applied, failed)
        for outcome in report.failed() if report else ():  # those of a sensitive kind together, last
            log_failure(outcome)
        ok = report is None or report.ok
        if not ok:
            self._after_failure(kind, batches, f"the {kind} reconcile ended with failed changes",
                                report.summary() if report else "")
            return
        self.state.metrics.reconciled(kind, True, at=self.wall())
        done = self.state.clock()
        for batch in batches:
            for each in (batch, *batch.covered):
                self.state.metrics.applied_after(done - each.first)
        self.failures = 0
        self.state.readiness.last_failure = None
        if tally.snapshot is not None:
            self.owners.learn(tally.snapshot, whole=kind == "full")
        if kind in ("full", "incremental"):
            self.since = _stamp(started)
            self.next_incremental = now + self.cadence.every
        if kind == "full":
            self.next_full = now + self.cadence.full_every
            self._show_held({})  # a full run that holds nothing releases what an earlier run held
        logs.line("serve.reconciled", f"{kind} reconcile: {applied} applied"
                  + (f" for {_events(sum(b.hints for b in batches))}" if batches else "")
                  + f"; {sum(tally.requests.values())} requests", kind=kind, result="ok", applied=applied,
                  hints=sum(b.hints for b in batches), requests=tally.requests, throttled=tally.throttled)

    def _held(self, kind: str, refused: GuardRefused, tally: Tally, now: float, started: float) -> None:
        """The mass-change guard held a breached system's changes (plan/guard.py) and the rest was applied:
        the run counts as done (its hints are not queued again: the next full run plans the held records
        again, as does an incremental run where they change again). What is held shows on /readyz (reason
        only, still ready: webhooks keep coming), on /metrics (`reconcile_changes_held`) and in the log,
        until a full run holds nothing (the daily one, or the one at start-up after a spec change);
        `reconcile apply --force` applies it meanwhile."""
        report = refused.report
        self._remember(report, tally)
        applied, failed = (report.count("applied"), report.count("failed")) if report else (0, 0)
        self.state.metrics.changes(applied, failed)
        for outcome in report.failed() if report else ():  # those of a sensitive kind together, last
            log_failure(outcome)
        self._show_held({**({} if kind == "full" else self.holding), **{(p.direction, p.system): p
                                                                          for p in refused.held}})
        logs.line("serve.held", f"{kind} reconcile: the mass-change guard holds {refused.reason()} "
                  f"({'; '.join(str(b) for b in refused.plan.guard)}); the rest: {applied} applied, {failed} failed. "
                  "`reconcile apply --force` applies what is held", level="error", kind=kind,
                  held=[part.to_json() for part in refused.held], applied=applied, failed=failed)
        if report is not None and not report.ok:
            self._after_failure(kind, [], f"the {kind} reconcile ended with failed changes", report.summary())
            return
        self.state.metrics.reconciled(kind, True, at=self.wall())
        self.failures, self.state.readiness.last_failure = 0, None
        if tally.snapshot is not None:
            self.owners.learn(tally.snapshot, whole=kind == "full")
        if kind in ("full", "incremental"):
            self.since, self.next_incremental = _stamp(started), now + self.cadence.every
        if kind == "full":
            self.next_full = now + self.cadence.full_every

    def _show_held(self, holding: dict[tuple[str, str], Held]) -> None:
        self.holding = holding
        self.state.metrics.held.set(sum(part.count for part in holding.values()))
        self.state.readiness.held = "; ".join(str(part) for part in holding.values()) or None

    def _remember(self, report: ApplyReport | None, tally: Tally) -> None:
        """What the run wrote, so its webhooks coming back are not planned again (echoes.py); those that
        came while it ran are dropped from the queue."""
        if report is None or not report.outcomes:
            return
        lists = tally.snapshot.lists if tally.snapshot else {}
        person_of: dict[str, dict[str, Person]] = {
            system: {found.email.lower(): found.id for found in lists.get(source.name, ()) if found.email}
            for system, source in (("moco", MOCO_USERS), ("personio", PERSONIO_PERSONS))}
        now = self.state.clock()
        self.echoes.remember(report.outcomes, person_of, now)
        dropped = self.state.coalescer.discard(lambda batch: self.echoes.batch(batch, now))
        if dropped:
            self.state.metrics.echoes(dropped)

    def _count(self, tally: Tally) -> None:
        for service, sent in tally.requests.items():
            self.state.metrics.requests(service, sent, tally.throttled.get(service, 0))

    def _place(self, batches: list[Batch], now: float) -> bool:
        """What a targeted run of these batches plans (`self.targets`); False: nothing (no run)."""
        self.targets = targets(batches, self.owners)
        left = self.targets.left
        if left:
            self.state.metrics.dropped.inc(left)
            if self.targets.forward:
                self._forward(now)
            logs.line("serve.left", f"{left} webhook id{'s' if left != 1 else ''} or event{'s' if left != 1 else ''} "
                      "not placed (a record serve never read, or beyond its bounds): left to the "
                      + ("incremental run, brought forward" if self.targets.forward else "interval and daily runs"),
                      left=left, forward=self.targets.forward)
        return bool(self.targets)

    def _after_failure(self, kind: str, batches: list[Batch], what: str, detail: str) -> None:
        self.state.metrics.reconciled(kind, False)
        parts = sum(1 + len(batch.covered) for batch in batches)
        if batches and not self.halt.reason and kind == "targeted":  # planned again apart, so one cannot stall all
            dropped = self.state.coalescer.split(batches)
            if dropped:
                hints = sum(batch.hints for batch in dropped)
                self.state.metrics.dropped.inc(hints)
                logs.line("serve.dropped", f"{_events(hints)} dropped after failing alone "
                          f"{self.state.coalescer.tries} times: left to the interval and daily runs",
                          level="error", hints=hints)
        elif batches and not self.halt.reason:  # planned again by the retry (or the full run they rode with)
            self.state.coalescer.again(batches)
        pause = self._failed(what, detail)
        now = self.state.clock()
        if kind == "targeted" and parts > 1 and self.failures <= SPLIT_AT_ONCE:
            self.retry_at = now  # its halves, each in a run of its own, at once
        if kind == "full":
            self.next_full = now + pause
        elif kind == "incremental":
            self.next_incremental = now + pause

    def _failed(self, what: str, detail: str) -> float:
        """Not ready (the reason names no person: the detail goes to the log only); the pause before a retry."""
        self.failures += 1
        pause: float = min(FIRST_RETRY * 2 ** (self.failures - 1), max(self.cadence.every, FIRST_RETRY))
        self.retry_at = self.state.clock() + pause
        self.state.readiness.last_failure = f"{what} at {_stamp(self.wall())} (see the log); retrying in {pause:.0f} s"
        logs.line("serve.failed", f"{what}: {detail}. Retrying in {pause:.0f} s.", level="error", what=what,
                  detail=detail, retry_in=round(pause))
        return pause
