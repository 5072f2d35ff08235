"""Issue 22: a run's big objects print as counts. Python formats a finished task's result with repr (asyncio.run
on 3.11 and 3.12, restoring its Ctrl-C handler), and a first sync's Plan printed in full cost 1.2 GB and 11 s of
CPU at 1,000 people."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import date, timedelta

from reconciler.apply import ApplyReport, Outcome
from reconciler.plan.model import Change, Plan
from reconciler.plan.snapshot import Snapshot
from reconciler.read.stage import Reading
from reconciler.sync.identity import Matching
from tests.plan.test_privacy_positions import JANE, company_with


def big_plan(count: int = 10_000) -> Plan:
    one = company_with(JANE).plan().changes[0]
    return Plan(changes=tuple(replace(one, date=one.date + timedelta(days=n % 300)) for n in range(count)))


def test_a_plan_and_a_report_of_ten_thousand_changes_print_as_counts():
    plan = big_plan()
    report = ApplyReport([Outcome(change, "applied") for change in plan.changes])
    assert len(repr(plan)) < 200 and "10000 changes" in repr(plan)
    assert len(repr(report)) < 100 and "10000 applied" in repr(report)
    snapshot = Snapshot(date(2026, 12, 6), {"moco_presences": tuple(range(10_000))})
    assert repr(snapshot) == "Snapshot(2026-12-06, moco_presences: 10000)"
    assert len(repr(Reading(snapshot, Matching((), (), frozenset(), frozenset())))) < 200


def test_asyncio_run_returning_a_plan_formats_no_change(monkeypatch):
    formatted = []
    monkeypatch.setattr(Change, "__repr__", lambda self: formatted.append(1) or "Change(…)")

    plan = big_plan(1_000)

    async def planning() -> tuple[Plan, ApplyReport]:
        return plan, ApplyReport([Outcome(change, "applied") for change in plan.changes])

    asyncio.run(planning())
    assert formatted == []
