"""The imperative shell around the pure planners: read both systems, plan, and apply when approved.

The CLI, `reconcile serve` and the demo call these; they take a Spec, credentials and callbacks for what
to show or ask, so nothing here prints or prompts on its own. What a run reads is the reading stage's
(reconciler/read/), what it plans the directions' (sync/build.py), how it writes apply's (apply.py).
"""

from __future__ import annotations

import asyncio
import dataclasses
import signal
from collections.abc import Callable
from contextlib import nullcontext
from dataclasses import dataclass
from datetime import date
from typing import Any

from reconciler.apply import ApplyReport, Halt, Outcome, Pace, Progress, Stopping, apply_changes
from reconciler.errors import NotFound, ReconcileError, Unavailable
from reconciler.plan.base import against_base
from reconciler.plan.cost import cost_of, first_sync, rates
from reconciler.plan.guard import GuardRefused, split
from reconciler.plan.model import Change, Plan, creates
from reconciler.plan.packed import Packed
from reconciler.plan.scope import EVERYONE, ChangedSince, Hinted, Saved, Scope, Subset, sent_bound
from reconciler.plan.snapshot import Snapshot
from reconciler.read import Reading, read
from reconciler.render.progress import Watch
from reconciler.spec import Spec
from reconciler.sync import registry
from reconciler.sync.build import build_plan, matching_of
from reconciler.sync.direction import Direction
from reconciler.sync.identity import Matching
from reconciler.systems.connect import Clients, Credentials, Tuning, open_clients
from reconciler.systems.http.together import together

__all__ = ["GuardRefused", "RunOptions", "Tally", "check_credentials", "make_plan", "plan_and_apply", "read_people"]


@dataclass(frozen=True)
class RunOptions:
    today: date
    scope: Scope = EVERYONE  # whom and which days (plan/scope.py)
    only: tuple[str, ...] | None = None  # direction names (sync/registry.py); None: every direction
    tuning: Tuning = Tuning()
    pace: Pace = Pace()
    force: bool = False  # apply past the mass-change guard


# Waits (in units of Pace.verify_delay, 2 s by default) before reading back again after a list changed
# under the read: about half a minute in all, enough for a run writing beside this one to finish.
SETTLE_PAUSES = (0.5, 1, 2, 4, 8)


@dataclass
class Tally:
    """What one run cost and read, for a caller that keeps count across runs (`reconcile serve`):
    requests and 429 answers by service, and the records the run's latest plan was made from."""

    requests: dict[str, int] = dataclasses.field(default_factory=dict)
    throttled: dict[str, int] = dataclasses.field(default_factory=dict)
    snapshot: Snapshot | None = None


async def read_people(spec: Spec, credentials: Credentials, options: RunOptions) -> Matching:
    """Who is who (`reconcile users`): both systems' people, matched as a plan would match them."""
    async with open_clients(spec, credentials, options.tuning) as clients:
        return (await read(clients, spec, (), EVERYONE, options.today)).matching


async def make_plan(spec: Spec, credentials: Credentials, options: RunOptions, base: Spec | None = None,
                    watch: Watch | None = None) -> Plan:
    """Read both systems concurrently and compute the plan. Writes nothing. A `watch` says how the read goes."""
    async with open_clients(spec, credentials, options.tuning) as clients:
        async with watch.running(clients, rates(spec)) if watch else nullcontext():
            return (await _fresh_plan(spec, clients, options, base))[0]


async def _fresh_plan(spec: Spec, clients: Clients, options: RunOptions, base: Spec | None = None
                      ) -> tuple[Plan, Reading]:
    """A plan from one read of both systems; with `base` (--base-spec), each change says whether the
    spec change causes it, both specs planned against that same read."""
    directions = registry.select(options.only)
    reading = await read(clients, spec, directions, options.scope, options.today, base)
    plan = _planned(spec, reading, directions, options, reading.matching)
    plan = dataclasses.replace(plan, cost=cost_of(plan.changes, rates(spec), first_sync=first_sync(plan)))
    if base is None:
        return plan, reading
    try:
        base_plan = _planned(base, reading, directions, options, matching_of(base, reading.snapshot))
    except ReconcileError as exc:
        raise ReconcileError(f"the base spec {base.source} cannot be planned: {exc}") from None
    return against_base(plan, base_plan, base.source), reading


def _planned(spec: Spec, reading: Reading, directions: tuple[Direction, ...], options: RunOptions,
             matching: Matching) -> Plan:
    scope = options.scope
    plan = build_plan(spec, reading.snapshot, directions, partial=directions != registry.DIRECTIONS,
                      subset=scope if isinstance(scope, Subset) else EVERYONE, scopes=reading.scopes,
                      announced=scope.announced if isinstance(scope, Hinted) else frozenset(), matching=matching)
    if reading.scopes is None:
        return plan
    since = sent_bound(reading.since) if isinstance(scope, ChangedSince | Saved) else reading.since  # as sent
    return dataclasses.replace(plan, since=since, scopes=tuple(reading.scopes.items()),
                               notes=(*reading.notes, *plan.notes))


async def plan_and_apply(spec: Spec, credentials: Credentials, options: RunOptions,
                         approve: Callable[[Plan], bool], progress: Progress | Watch | None = None,
                         heartbeat: float | None = None, *, halt: Halt | None = None,
                         tally: Tally | None = None) -> tuple[Plan, ApplyReport | None]:
    """A fresh plan, then its changes, if `approve(plan)` says so. No changes: nothing is asked.
    While changes are made, SIGTERM and SIGINT start no new one (`Stopping`), unless the caller handles
    signals itself and passes its own `halt`. `tally` is filled with what the run cost and read. Without
    `options.force`, the changes in a system the mass-change guard breached are held: the rest is applied
    and then `GuardRefused` raised, holding the plan and the rest's report (None: nothing else to apply).
    A `Watch` as `progress` is told every phase (render/progress.py: reading, the cost, applying, reading back)."""
    async with open_clients(spec, credentials, options.tuning) as clients:
        read_last: list[Reading] | None = [] if tally is not None else None  # kept for `tally` only
        watching = progress.running(clients, rates(spec)) if isinstance(progress, Watch) else nullcontext()
        try:
            async with watching:
                return await _plan_and_apply(spec, clients, options, approve, progress, heartbeat, halt, read_last)
        finally:
            if tally is not None:
                tally.requests, tally.throttled = clients.requests_sent, clients.throttled
                tally.snapshot = read_last[-1].snapshot if read_last else None


async def _plan_and_apply(spec: Spec, clients: Clients, options: RunOptions, approve: Callable[[Plan], bool],
                          progress: Progress | Watch | None, heartbeat: float | None, halt: Halt | None,
                          read_last: list[Reading] | None) -> tuple[Plan, ApplyReport | None]:
    watch = progress if isinstance(progress, Watch) else None
    plan, reading = await _fresh_plan(spec, clients, options)
    again = reading.again()  # the read-back covers what this run planned, not what changed since
    if read_last is not None:  # the caller learns from what was read (serve: whose records are whose)
        read_last.append(reading)
    del reading  # else the records go before the first write: a first sync's are 400 MiB at 2,000 people (issue 22)
    if watch:
        watch.planned()
    going, held = (plan.changes, ()) if options.force else split(plan)  # the guard holds a breached system's
    if held and not going:
        raise GuardRefused(spec, plan)
    if not plan.changes or not approve(plan):
        return plan, None
    if watch:  # the cost of what goes, before the first write
        watch.applying(cost_of(going, rates(spec), first_sync=first_sync(plan)), len(going))
    with Stopping(signal.SIGTERM, signal.SIGINT) if halt is None else nullcontext(halt) as stopping:
        report = await apply_changes(going, clients, options.pace, progress=progress, halt=stopping,
                                     heartbeat=None if watch else heartbeat)
        if not stopping.reason and not report.stopped_by and _created_something(report):
            settling = options if again is None else dataclasses.replace(options, scope=again)
            if read_last is not None:  # the records read go before they are read again (issue 22)
                read_last.clear()
            if watch:
                watch.settling()
            await _settle(spec, clients, settling, report, stopping, read_last, {c.system for c in held})
        if watch:
            watch.finished()
    if held:  # the rest is applied; what the guard held makes the run a refusal all the same
        raise GuardRefused(spec, plan, report)
    return plan, report


async def check_credentials(spec: Spec, credentials: Credentials, options: RunOptions) -> None:
    """Whether both services take the credentials, at the cost of one request each: a Personio token and
    MOCO's documented key check (`GET /session`). Raises the same errors a run would."""
    async with open_clients(spec, credentials, options.tuning) as clients:
        await together([clients.personio.service.auth.headers(), _moco_key_check(clients)])


async def _moco_key_check(clients: Clients) -> None:
    """`GET /session` (moco.md: 200 or 401). UNVERIFIED (doctor: moco-credentials): what it answers for an
    account key with no user of its own; a 404 there falls back to the list every run reads first (its first
    page)."""
    try:
        await clients.moco.service.request("GET", "/session")
    except NotFound:
        await clients.moco.service.request("GET", "/users")


def _created_something(report: ApplyReport) -> bool:
    return any(creates(o.change) and o.status != "skipped" for o in report.outcomes)


async def _settle(spec: Spec, clients: Clients, options: RunOptions, report: ApplyReport, stopping: Halt,
                  read_last: list[Reading] | None = None, held: set[str] | None = None) -> None:
    """After creates, read again: another run writing at the same time (two pipeline runs, a manual run
    during the CronJob, on one machine or two) may have created the same records. Remove the second
    copies (the oldest stays; every run picks the same one), and count a create that failed because
    the other run made it as done. Whichever run finishes last sees every copy, so none is left. Nothing
    is removed in a system the guard `held`."""
    try:
        settled = await _read_settled(spec, clients, options, stopping, read_last)
    except ReconcileError as exc:  # what was applied stays reported; only the check is missing
        settled, why = None, f" ({exc})"
    else:
        why = ""
    if settled is None:
        report.unsettled = (f"could not read back what was written{why}, to remove copies a run writing at the same "
                            "time may have made; the next run removes any")
        return
    wanted = {_key(change) for change in settled.changes}
    if any(_made_elsewhere(outcome, wanted) for outcome in report.outcomes):  # a first sync's are packed: made anew
        report.outcomes = Packed(_done_elsewhere(outcome, wanted) for outcome in report.outcomes)
    copies = [change for change in settled.changes if change.surplus and change.system not in (held or ())]
    if copies:
        cleanup = await apply_changes(copies, clients, options.pace, halt=stopping)
        report.outcomes.extend(cleanup.outcomes)
        report.settled = sum(change.destroys for change in copies)


def _made_elsewhere(outcome: Outcome, wanted: set[tuple[Any, ...]]) -> bool:
    """A create that failed, whose record the read-back finds: another run made it at the same time."""
    return outcome.status == "failed" and outcome.change.action == "create" and _key(outcome.change) not in wanted


def _done_elsewhere(outcome: Outcome, wanted: set[tuple[Any, ...]]) -> Outcome:
    if _made_elsewhere(outcome, wanted):
        return dataclasses.replace(outcome, status="applied", detail="made at the same time by another run")
    return outcome


async def _read_settled(spec: Spec, clients: Clients, options: RunOptions, stopping: Halt,
                        read_last: list[Reading] | None = None) -> Plan | None:
    """A fresh plan once the lists hold still: while another run is still writing, a list can change
    while it is read, which the clients refuse (Unavailable); wait and read again, a few times."""
    for pause in SETTLE_PAUSES:
        try:
            plan, reading = await _fresh_plan(spec, clients, options)
        except Unavailable:
            if stopping.reason:
                return None
            await asyncio.sleep(pause * options.pace.verify_delay)
        else:
            if read_last is not None:
                read_last.append(reading)
            return plan
    return None


def _key(change: Change) -> tuple[str, str, str, Any, str]:
    return change.direction, change.user, change.action, change.date, change.source

