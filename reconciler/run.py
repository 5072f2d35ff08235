"""The imperative shell around the pure planners: read both systems, plan, and apply when approved.

The CLI and the demo call these; they take a Spec, credentials and callbacks for what to show or
ask, so nothing here prints or prompts on its own.
"""

from __future__ import annotations

import asyncio
import dataclasses
import signal
from collections.abc import Callable, Mapping
from contextlib import nullcontext
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from reconciler.apply import ApplyReport, Halt, Progress, apply_changes
from reconciler.errors import NotFound, ReconcileError, Unavailable
from reconciler.plan import incremental, who
from reconciler.plan.base import against_base
from reconciler.plan.build import IDENTITY, build_plan, needs, only_people, window_of
from reconciler.plan.model import Change, Plan, Subset
from reconciler.plan.snapshot import Need, Snapshot, Window, fetch_snapshot, narrowed
from reconciler.spec import Spec
from reconciler.sync import registry, sources
from reconciler.sync.direction import Direction, Touched
from reconciler.sync.identity import Matching, Pair, match_people
from reconciler.systems.connect import Credentials, Tuning, open_clients
from reconciler.systems.http.together import together
from reconciler.systems.personio.events import Deletions, deleted_since


@dataclass(frozen=True)
class RunOptions:
    today: date
    only: tuple[str, ...] | None = None  # direction names (sync/registry.py); None: every direction
    tuning: Tuning = Tuning()
    concurrency: int = 4
    verify_delay: float = 2.0
    force: bool = False  # apply past the mass-change guard
    subset: Subset = Subset()  # --user, --from, --to
    changed_since: str | None = None  # --changed-since, as given: an incremental run
    # An incremental run's scope per direction, as a saved plan recorded it (apply PLANFILE plans it again).
    scopes: tuple[tuple[str, Subset | None], ...] | None = None
    since: str = ""  # with `scopes`: the moment the saved incremental run looked back to
    # A targeted run (`reconcile serve`): per direction, what webhooks said changed, instead of asking the
    # services (None: plan that direction whole); a direction not listed is not planned.
    hinted: tuple[tuple[str, Touched | None], ...] | None = None
    # With `hinted`: the sources of records webhooks reported deleted ("MOCO presence 123"); the mass-change
    # guard does not count the changes that follow them (plan/guard.py).
    announced: frozenset[str] = frozenset()


# Waits (in units of verify_delay, 2 s by default) before reading back again after a list changed
# under the read: about half a minute in all, enough for a run writing beside this one to finish.
SETTLE_PAUSES = (0.5, 1, 2, 4, 8)


class GuardRefused(ReconcileError):
    """The plan deletes or updates more of what reconcile owns than the spec allows; nothing was written."""

    def __init__(self, spec: Spec, plan: Plan) -> None:
        self.plan = plan
        limits = "; ".join(str(breach) for breach in plan.guard)
        super().__init__(f"refusing to apply: {limits}. Nothing was written. A typo in absences.types or an empty "
                         "answer from a service looks like this; check the plan. If these changes are intended, "
                         f"run `reconcile apply --force`, or raise safety.max_change_percent in {spec.source}.")


@dataclass
class _Seen:
    """What an incremental plan learnt before it read records: who is who for its people and what
    changed. The read-back after apply plans the same scope from it, instead of reading everyone.
    `snapshot`: the records the latest plan of the run was made from."""

    identity: Snapshot | None = None
    touched: Mapping[str, Touched] | None = None
    snapshot: Snapshot | None = None


@dataclass
class Tally:
    """What one run cost and read, for a caller that keeps count across runs (`reconcile serve`):
    requests and 429 answers by service, and the records the run's latest plan was made from."""

    requests: dict[str, int] = dataclasses.field(default_factory=dict)
    throttled: dict[str, int] = dataclasses.field(default_factory=dict)
    snapshot: Snapshot | None = None


async def _fresh_plan(spec: Spec, clients: Any, options: RunOptions, base: Spec | None = None,
                      seen: _Seen | None = None) -> Plan:
    """A plan from one read of both systems; with `base` (--base-spec), each change says whether the
    spec change causes it, both specs planned against that same read. A run scoped to some people
    (`--user`, an incremental run) reads who is who first, then only those people's records. `seen`
    keeps what an incremental run learnt, or gives it to a read-back of the same scope."""
    directions = registry.select(options.only)
    partial = directions != registry.DIRECTIONS
    specs = (spec,) if base is None else (spec, base)
    deletions: Deletions | None = None  # an incremental run's read of Personio's deletions
    if options.changed_since or options.scopes is not None or options.hinted is not None:
        snapshot, scopes, since, deletions = await _incremental(specs, clients, options, directions, seen)
    elif options.subset.users:
        snapshot, scopes, since = await _of_people(specs, clients, options, directions), None, ""
    else:
        wanted = [need for each in specs for need in needs(each, options.today, directions, options.subset)]
        snapshot, scopes, since = await fetch_snapshot(clients, options.today, wanted), None, ""

    def planned(which: Spec) -> Plan:
        plan = build_plan(which, snapshot, directions, partial=partial, subset=options.subset, scopes=scopes,
                          announced=options.announced)
        if scopes is None:
            return plan
        titles = {d.name: d.title for d in directions}
        read = deletions is not None and deletions.read
        described = incremental.describe(datetime.fromisoformat(since), scopes, titles, personio_deletions=read,
                                         targeted=options.hinted is not None and options.scopes is None)
        return dataclasses.replace(plan, since=since, scopes=tuple(scopes.items()),
                                   notes=(described, *(deletions.notes if deletions else ()), *plan.notes))

    if seen is not None:
        seen.snapshot = snapshot
    plan = planned(spec)
    if base is None:
        return plan
    try:
        base_plan = planned(base)
    except ReconcileError as exc:
        raise ReconcileError(f"the base spec {base.source} cannot be planned: {exc}") from None
    return against_base(plan, base_plan, base.source)


async def read_people(spec: Spec, credentials: Credentials, options: RunOptions) -> Matching:
    """Who is who (`reconcile users`): both systems' people, matched as a plan would match them."""
    async with open_clients(spec, credentials, options.tuning) as clients:
        snapshot = await fetch_snapshot(clients, options.today, IDENTITY)
        return match_people(snapshot[sources.MOCO_USERS], snapshot[sources.PERSONIO_PERSONS], spec.users)


async def make_plan(spec: Spec, credentials: Credentials, options: RunOptions, base: Spec | None = None) -> Plan:
    """Read both systems concurrently and compute the plan. Writes nothing."""
    async with open_clients(spec, credentials, options.tuning) as clients:
        return await _fresh_plan(spec, clients, options, base)


async def plan_and_apply(spec: Spec, credentials: Credentials, options: RunOptions,
                         approve: Callable[[Plan], bool], progress: Progress | None = None,
                         heartbeat: float | None = None, *, halt: Halt | None = None,
                         tally: Tally | None = None) -> tuple[Plan, ApplyReport | None]:
    """A fresh plan, then its changes, if `approve(plan)` says so. No changes: nothing is asked.
    While changes are made, SIGTERM and SIGINT start no new one (`Stopping`), unless the caller handles
    signals itself and passes its own `halt`. `tally` is filled with what the run cost and read."""
    async with open_clients(spec, credentials, options.tuning) as clients:
        seen = _Seen()
        try:
            return await _plan_and_apply(spec, clients, options, approve, progress, heartbeat, halt, seen)
        finally:
            if tally is not None:
                tally.requests, tally.throttled = clients.requests_sent, clients.throttled
                tally.snapshot = seen.snapshot


async def _plan_and_apply(spec: Spec, clients: Any, options: RunOptions, approve: Callable[[Plan], bool],
                          progress: Progress | None, heartbeat: float | None, halt: Halt | None,
                          seen: _Seen) -> tuple[Plan, ApplyReport | None]:
    plan = await _fresh_plan(spec, clients, options, seen=seen)
    if plan.since:  # the read-back after creates covers what this run planned, not what changed since
        options = dataclasses.replace(options, changed_since=None, hinted=None, scopes=plan.scopes, since=plan.since)
    if plan.changes and plan.guard and not options.force:
        raise GuardRefused(spec, plan)
    if not plan.changes or not approve(plan):
        return plan, None
    with Stopping(signal.SIGTERM, signal.SIGINT) if halt is None else nullcontext(halt) as stopping:
        report = await apply_changes(plan.changes, clients, concurrency=options.concurrency,
                                     verify_delay=options.verify_delay, progress=progress, halt=stopping,
                                     heartbeat=heartbeat)
        if not stopping.reason and not report.stopped_by and _created_something(report):
            await _settle(spec, clients, options, report, stopping, seen)
    return plan, report


async def check_credentials(spec: Spec, credentials: Credentials, options: RunOptions) -> None:
    """Whether both services take the credentials, at the cost of one request each: a Personio token and
    MOCO's documented key check (`GET /session`). Raises the same errors a run would."""
    async with open_clients(spec, credentials, options.tuning) as clients:
        await together([clients.personio.service.auth.headers(), _moco_key_check(clients)])


async def _moco_key_check(clients: Any) -> None:
    """`GET /session` (moco.md: 200 or 401). UNVERIFIED: what it answers for an account key with no user of
    its own; a 404 there falls back to the list every run reads first (its first page)."""
    try:
        await clients.moco.service.request("GET", "/session")
    except NotFound:
        await clients.moco.service.request("GET", "/users")


async def _of_people(specs: tuple[Spec, ...], clients: Any, options: RunOptions,
                     directions: tuple[Direction, ...]) -> Snapshot:
    """--user: who is who first, then only those people's records (MOCO by user, Personio by person)."""
    identity = await fetch_snapshot(clients, options.today, IDENTITY)
    return await _scoped(specs, clients, options, directions, identity, {d.name: options.subset for d in directions})


async def _incremental(specs: tuple[Spec, ...], clients: Any, options: RunOptions, directions: tuple[Direction, ...],
                       seen: _Seen | None = None
                       ) -> tuple[Snapshot, dict[str, Subset | None], str, Deletions | None]:
    """--changed-since: what changed since the bound, deletions in Personio included (its webhook
    events), or, for a saved incremental plan, its recorded scope; then who those people are and their
    records over those days only. Also what was read of Personio's deletions (None for a saved scope)."""
    spec = specs[0]
    if options.scopes is None and options.hinted is not None:
        return await _targeted(specs, clients, options, directions, seen)
    if options.scopes is not None:
        found = dict(options.scopes)
        if seen is not None and seen.identity is not None:  # the read-back after apply: as the plan read
            snapshot = await _scoped(specs, clients, options, directions, seen.identity, found, seen.touched)
            return snapshot, found, options.since, None
        # a saved plan's scope: who is who read whole, records per person
        identity = await fetch_snapshot(clients, options.today, IDENTITY)
        return await _scoped(specs, clients, options, directions, identity, found), found, options.since, None
    await clients.personio.service.auth.headers()  # the token's answer brings Personio's clock (its Date)
    moment = incremental.parse_since(options.changed_since or "", clients.server_now())
    bound = moment - incremental.MARGIN
    windows = _windows(spec, options, directions)
    asked = {d.name: d.touched(clients, windows[d.name], bound) for d in directions  # type: ignore[misc]
             if windows[d.name] is not None}
    *answers, deletions = await together([*asked.values(), deleted_since(clients.personio, bound, list(asked))])
    touched = deletions.add_to(dict(zip(asked, answers, strict=True)))
    whole = [d for d in directions if d.off(spec) is None  # cannot tell what changed, or a deletion names nobody
             and (d.touched is None or d.name in deletions.whole)]
    snapshot, found = await _changed(specs, clients, options, directions, windows, touched, whole, seen)
    return snapshot, found, moment.isoformat(timespec="seconds"), deletions


def _windows(spec: Spec, options: RunOptions, directions: tuple[Direction, ...]) -> dict[str, Window | None]:
    """The window of each direction an incremental run can narrow (None: off, or it cannot tell what changed)."""
    return {d.name: (window_of(d, spec, options.today) if d.off(spec) is None and d.touched else None)
            for d in directions}


async def _targeted(specs: tuple[Spec, ...], clients: Any, options: RunOptions, directions: tuple[Direction, ...],
                    seen: _Seen | None) -> tuple[Snapshot, dict[str, Subset | None], str, None]:
    """A targeted run (`reconcile serve`): the people and days webhooks named (`options.hinted`), read and
    planned as an incremental run's; a direction hinted None is planned whole, one not hinted not at all."""
    spec, hinted = specs[0], dict(options.hinted or ())
    await clients.personio.service.auth.headers()  # the token's answer brings Personio's clock (its Date)
    moment = clients.server_now()
    windows = {name: window if name in hinted else None for name, window in _windows(spec, options, directions).items()}
    touched = {name: found for name, found in hinted.items() if found is not None and windows.get(name)}
    whole = [d for d in directions if d.off(spec) is None and d.name in hinted and hinted[d.name] is None]
    snapshot, found = await _changed(specs, clients, options, directions, windows, touched, whole, seen)
    return snapshot, found, moment.isoformat(timespec="seconds"), None


async def _changed(specs: tuple[Spec, ...], clients: Any, options: RunOptions, directions: tuple[Direction, ...],
                   windows: Mapping[str, Window | None], touched: dict[str, Touched], whole: list[Direction],
                   seen: _Seen | None) -> tuple[Snapshot, dict[str, Subset | None]]:
    """Who the changed people are, each direction's scope, and their records over those days only."""
    spec = specs[0]
    if whole or len(specs) > 1:  # planned whole, or another spec's overrides: who is who read whole
        identity = await fetch_snapshot(clients, options.today, IDENTITY)
    else:
        users, persons = await who.people_of(clients, spec.users, *incremental.people(touched.values()))
        identity = Snapshot(options.today, {sources.MOCO_USERS.name: tuple(users),
                                            sources.PERSONIO_PERSONS.name: tuple(persons)})
    matching = match_people(identity[sources.MOCO_USERS], identity[sources.PERSONIO_PERSONS], spec.users)
    found = incremental.scopes(touched, matching, windows)
    for direction in whole:  # a direction that cannot tell what changed is planned whole
        found[direction.name] = Subset()
    if seen is not None:
        seen.identity, seen.touched = identity, touched
    return await _scoped(specs, clients, options, directions, identity, found, touched), found


async def _scoped(specs: tuple[Spec, ...], clients: Any, options: RunOptions, directions: tuple[Direction, ...],
                  identity: Snapshot, found: Mapping[str, Subset | None],
                  touched: Mapping[str, Touched] | None = None) -> Snapshot:
    """The identity read, and each direction's lists for its scope in `found` (None: not read): for the
    scope's days, and, where it names people, only theirs (MOCO by user, Personio by person). With
    `touched` (an incremental run), a direction's followups are read after the rest, from what it found."""
    everyone = match_people(identity[sources.MOCO_USERS], identity[sources.PERSONIO_PERSONS], specs[0].users)
    chosen: dict[str, list[Need]] = {}
    later: list[tuple[Direction, Window, tuple[Pair, ...]]] = []
    for direction in directions:
        scope = found.get(direction.name)
        if scope is None:
            continue
        chosen[direction.name] = [need for each in specs for need in needs(each, options.today, (direction,), scope)
                                  if need not in IDENTITY]
        window = window_of(direction, specs[0], options.today, scope)
        if scope.users:
            pairs = only_people(everyone, scope.users).pairs
            chosen[direction.name] = list(narrowed(chosen[direction.name], frozenset(p.user.id for p in pairs),
                                                   frozenset(p.person.id for p in pairs)))
            if touched is not None and direction.name in touched and direction.followups and window is not None:
                later.append((direction, window, pairs))
    for entry in list(later):
        direction = entry[0]
        deferred = {followup.source for followup in direction.followups}
        elsewhere = {need.source for name, own in chosen.items() if name != direction.name for need in own}
        if deferred & elsewhere:  # another direction reads that list too: read it with the rest
            later.remove(entry)
        else:
            chosen[direction.name] = [need for need in chosen[direction.name] if need.source not in deferred]
    rest = await fetch_snapshot(clients, options.today, [need for own in chosen.values() for need in own])
    first = Snapshot(options.today, {**identity.lists, **rest.lists}, rest.notices)
    reads = [(followup.source, followup.read(clients, first, window, touched[direction.name], pairs))
             for direction, window, pairs in later for followup in direction.followups]  # type: ignore[index]
    results = await together(read for _, read in reads)
    lists = {source.name: tuple(result) for (source, _), result in zip(reads, results, strict=True)}
    return Snapshot(options.today, {**first.lists, **lists}, tuple(getattr(clients, "notices", rest.notices)))


def _created_something(report: ApplyReport) -> bool:
    return any(o.change.action == "create" and o.status != "skipped" for o in report.outcomes)


async def _settle(spec: Spec, clients: Any, options: RunOptions, report: ApplyReport, stopping: Stopping,
                  seen: _Seen | None = None) -> None:
    """After creates, read again: another run writing at the same time (two pipeline runs, a manual run
    during the CronJob, on one machine or two) may have created the same records. Remove the second
    copies (the oldest stays; every run picks the same one), and count a create that failed because
    the other run made it as done. Whichever run finishes last sees every copy, so none is left."""
    try:
        settled = await _read_settled(spec, clients, options, stopping, seen)
    except ReconcileError as exc:  # what was applied stays reported; only the check is missing
        settled, why = None, f" ({exc})"
    else:
        why = ""
    if settled is None:
        report.unsettled = (f"could not read back what was written{why}, to remove copies a run writing at the same "
                            "time may have made; the next run removes any")
        return
    wanted = {_key(change) for change in settled.changes}
    for outcome in report.outcomes:
        if outcome.status == "failed" and outcome.change.action == "create" and _key(outcome.change) not in wanted:
            outcome.status, outcome.detail = "applied", "made at the same time by another run"
    copies = [change for change in settled.changes if change.surplus]
    if copies:
        cleanup = await apply_changes(copies, clients, concurrency=options.concurrency,
                                      verify_delay=options.verify_delay, halt=stopping)
        report.outcomes += cleanup.outcomes
        report.settled = sum(change.destroys for change in copies)


async def _read_settled(spec: Spec, clients: Any, options: RunOptions, stopping: Stopping,
                        seen: _Seen | None = None) -> Plan | None:
    """A fresh plan once the lists hold still: while another run is still writing, a list can change
    while it is read, which the clients refuse (Unavailable); wait and read again, a few times."""
    for pause in SETTLE_PAUSES:
        try:
            return await _fresh_plan(spec, clients, options, seen=seen)
        except Unavailable:
            if stopping.reason:
                return None
            await asyncio.sleep(pause * options.verify_delay)
    return None


def _key(change: Change) -> tuple[str, str, str, Any, str]:
    return change.direction, change.user, change.action, change.date, change.source


class Stopping:
    """While apply runs, SIGTERM (what Kubernetes and Nomad send) and SIGINT (Ctrl-C) start no new
    change; the changes in flight finish, each bounded by its request time limit, and the report says
    what was done. A second signal ends the run at once."""

    def __init__(self, *signals: signal.Signals) -> None:
        self.signals = signals
        self.reason = ""
        self._task: asyncio.Task[Any] | None = None

    def __enter__(self) -> Stopping:
        loop = asyncio.get_running_loop()
        self._task = asyncio.current_task()
        self._installed: list[signal.Signals] = []
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
