"""Makes a plan's changes through the clients and reports each one: applied, failed or skipped.

- Bounded concurrency on top of the clients' pacing; every change is independent (one per day).
- A failed change does not stop the others. Failures that no later change can escape (credentials
  refused, permission denied, service unreachable or rate-limited for good) stop new changes from
  starting; those are reported as skipped.
- A create whose outcome is unknown is resolved by re-reading that day, never by sending it again:
  found → applied; not found → failed, and the next run plans it afresh.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from .connect import Clients
from .errors import (
    ApiError,
    AuthenticationFailed,
    OutcomeUnknown,
    PermissionDenied,
    RateLimited,
    Unavailable,
)
from .model import AbsenceKind
from .plan import Change

FATAL = (AuthenticationFailed, PermissionDenied, Unavailable, RateLimited)


@dataclass
class Outcome:
    change: Change
    status: str  # applied | failed | skipped
    detail: str = ""
    fatal: bool = False  # the failure stops further changes from starting


@dataclass
class ApplyReport:
    outcomes: list[Outcome] = field(default_factory=list)
    stopped_by: str = ""  # the fatal error that stopped new changes, if any

    def count(self, status: str) -> int:
        return sum(1 for o in self.outcomes if o.status == status)

    @property
    def ok(self) -> bool:
        return self.count("failed") == 0 and self.count("skipped") == 0

    def summary(self) -> str:
        return (f"Apply complete: {self.count('applied')} applied, {self.count('failed')} failed, "
                f"{self.count('skipped')} skipped.")


Progress = Callable[[Outcome, int, int], None]


async def apply_changes(changes: tuple[Change, ...] | list[Change], clients: Clients, *, concurrency: int = 4,
                        verify_delay: float = 2.0, progress: Progress | None = None) -> ApplyReport:
    report = ApplyReport()
    gate = asyncio.Semaphore(concurrency)
    stop = asyncio.Event()
    done = 0

    async def run(change: Change) -> None:
        nonlocal done
        async with gate:
            if stop.is_set():
                outcome = Outcome(change, "skipped", f"not attempted: {report.stopped_by}")
            else:
                outcome = await _attempt(change, clients, verify_delay)
                if outcome.fatal:
                    report.stopped_by = report.stopped_by or outcome.detail
                    stop.set()
        report.outcomes.append(outcome)
        done += 1
        if progress:
            progress(outcome, done, len(changes))

    await asyncio.gather(*(run(change) for change in changes))
    order = {id(change): index for index, change in enumerate(changes)}
    report.outcomes.sort(key=lambda o: order[id(o.change)])
    return report


async def _attempt(change: Change, clients: Clients, verify_delay: float) -> Outcome:
    try:
        detail = await _execute(change, clients, verify_delay)
        return Outcome(change, "applied", detail)
    except FATAL as exc:
        return Outcome(change, "failed", str(exc), fatal=True)
    except ApiError as exc:
        return Outcome(change, "failed", str(exc))


async def _execute(change: Change, clients: Clients, verify_delay: float) -> str:
    if change.system == "moco" and change.kind == "absence":
        return await _moco_absence(change, clients, verify_delay)
    raise NotImplementedError(f"no way to apply {change.system} {change.kind} changes")


async def _moco_absence(change: Change, clients: Clients, verify_delay: float) -> str:
    moco = clients.moco
    after = change.after or {}
    if change.action == "create":
        kind = AbsenceKind(after["absence_kind"])
        try:
            await moco.create_schedule(change.write["user_id"], change.date, kind, am=after["am"], pm=after["pm"],
                                       comment=after["comment"])
        except OutcomeUnknown as unknown:
            return await _verify_created(change, clients, verify_delay, unknown)
        return ""
    if change.action == "update":
        await moco.update_schedule(change.target, kind=AbsenceKind(after["absence_kind"]), am=after["am"],
                                   pm=after["pm"], comment=after["comment"])
        gone = [await moco.delete_schedule(extra) for extra in change.also_delete]
        return _already_gone(len(gone) - sum(gone))
    if change.action == "delete":
        gone = [await moco.delete_schedule(record) for record in (change.target, *change.also_delete)]
        return _already_gone(len(gone) - sum(gone))
    raise ValueError(f"unknown action {change.action!r}")


def _already_gone(count: int) -> str:
    return f"{count} record{'s were' if count != 1 else ' was'} already gone" if count else ""


async def _verify_created(change: Change, clients: Clients, verify_delay: float, unknown: OutcomeUnknown) -> str:
    """Re-read the day: the create either happened (applied) or not (failed; never re-sent here)."""
    await asyncio.sleep(verify_delay)  # let a request still being processed finish first
    day: date = change.date
    try:
        found = await clients.moco.schedules(day, day)
    except ApiError as exc:
        raise OutcomeUnknown("MOCO", f"the answer was lost ({unknown}) and re-reading the day failed too ({exc}); "
                                     "not re-sent, the next plan will show whether it exists") from None
    after: dict[str, Any] = change.after or {}
    if any(a.user_id == change.write["user_id"] and a.comment == after["comment"] for a in found):
        return "the answer was lost, but re-reading found it created"
    raise OutcomeUnknown("MOCO", "the answer was lost and re-reading did not find it; not re-sent, the next "
                                 "run will create it")
