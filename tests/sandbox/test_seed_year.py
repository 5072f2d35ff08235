"""The benchmark's company: a long history with absences all year round, and the synced state put
straight into the stores (seed/synced.py)."""

from __future__ import annotations

import asyncio
import dataclasses
from collections import Counter
from datetime import date, timedelta

import pytest

from reconciler.run import RunOptions, make_plan
from reconciler.sandbox import Sandbox, SandboxThread
from reconciler.sandbox.seed import SeedParams, apply_directly, generate_world, restamp
from reconciler.spec import parse_spec
from reconciler.sync.ownership import attendance_source, is_ours
from reconciler.systems.connect import read_credentials
from tests.conftest import TODAY
from tests.sandbox.test_seed import without_timestamps

YEAR = SeedParams(seed=1, people=30, today=TODAY, history_days=365, absence_days_per_year=30)


@pytest.fixture(scope="module")
def year():
    return generate_world(YEAR)


def test_no_year_round_absences_by_default():
    assert SeedParams().absence_days_per_year == 0
    plain = generate_world(SeedParams(seed=2, people=15, today=TODAY)).dump()
    explicit = generate_world(SeedParams(seed=2, people=15, today=TODAY, absence_days_per_year=0)).dump()
    assert without_timestamps(plain) == without_timestamps(explicit)


def test_the_same_parameters_give_the_same_year():
    a = generate_world(SeedParams(seed=4, people=8, today=TODAY, history_days=365, absence_days_per_year=30))
    b = generate_world(SeedParams(seed=4, people=8, today=TODAY, history_days=365, absence_days_per_year=30))
    assert without_timestamps(a.dump()) == without_timestamps(b.dump())


def test_about_thirty_working_days_away_a_year(year):
    start, end = YEAR.start_date, TODAY + timedelta(days=YEAR.until_days)
    assert (TODAY - start).days >= 365 and start.weekday() == 0
    employees = {p.id for p in year.personio.persons.values()
                 if p.status == "ACTIVE" and p.email and not p.email.startswith("nina.")}
    away: dict[str, set[date]] = {pid: set() for pid in employees}
    for period in year.personio.absence_periods.values():
        if period.status != "APPROVED" or period.person_id not in away:
            continue
        day = date.fromisoformat(period.starts_from[:10])
        last = end if period.ends_at is None else (  # open-ended sickness: away to the window's end
            date.fromisoformat(period.ends_at[:10]) - timedelta(days=period.ends_at.endswith("T00:00:00")))
        while day <= last:
            if start <= day <= end and day.weekday() < 5:
                away[period.person_id].add(day)
            day += timedelta(days=1)
    per_year = [len(days) * 365 / ((end - start).days + 1) for days in away.values()]
    assert len(per_year) == YEAR.people
    usual = sorted(per_year)[:-1]  # the last: the seeded open-ended sickness
    assert all(27 <= share <= 33 for share in usual), sorted(per_year)


def test_sick_leave_lies_in_the_past_and_new_periods_do_not_overlap(year):
    types = {t.id: t.name for t in year.personio.absence_types.values()}
    sick = [p for p in year.personio.absence_periods.values() if types[p.absence_type_id] == "Sick leave"
            and p.ends_at and p.status == "APPROVED"]
    assert len(sick) > YEAR.people  # far more than the handful of the plain company
    assert len([p for p in sick if p.starts_from[:10] >= TODAY.isoformat()]) == 1  # the seeded one in a vacation
    # The seeded cases come first and draw the same ids as without year-round absences: the rest is new.
    seeded = generate_world(dataclasses.replace(YEAR, absence_days_per_year=0)).personio.absence_periods
    approved = [p for p in year.personio.absence_periods.values() if p.status == "APPROVED" and p.ends_at]
    added = [p for p in approved if p.id not in seeded]
    assert len(added) > 4 * YEAR.people
    for new in added:
        assert not [other for other in approved if other is not new and other.person_id == new.person_id
                    and other.starts_from < new.ends_at and new.starts_from < other.ends_at], new

def test_two_presences_a_worked_day_over_the_year_and_none_on_days_away(year):
    presences = list(year.moco.presences.values())
    first = min(p.date for p in presences)
    assert first <= (YEAR.start_date - timedelta(days=7)).isoformat()
    per_day = Counter((p.user_id, p.date) for p in presences)
    assert max(per_day.values()) == 2 and len(presences) > YEAR.people * 2 * 200


def test_restamp_dates_every_record():
    world = generate_world(SeedParams(seed=1, people=3, today=TODAY))
    restamp(world, "2026-11-20T08:00:00Z")
    dump = world.dump()
    stamps = {row[name] for rows in (*dump["moco"].values(), *dump["personio"].values()) for row in rows
              for name in ("created_at", "updated_at") if name in row}
    assert stamps == {"2026-11-20T08:00:00Z"}


def test_a_plan_applied_directly_leaves_nothing_to_do():
    params = SeedParams(seed=3, people=8, today=TODAY, history_days=120, absence_days_per_year=30)
    with SandboxThread(Sandbox(params, moco={"rate_limit_requests": 100_000},
                               personio={"rate_limit_requests": 100_000})) as sandbox:
        spec = parse_spec(sandbox.spec_yaml(), today=TODAY)
        credentials = read_credentials(spec, sandbox.env())

        def plan():  # noqa: ANN202
            return asyncio.run(make_plan(spec, credentials, RunOptions(today=TODAY)))

        first = plan()
        actions = Counter((c.system, c.action) for c in first.changes)
        assert actions[("personio", "create")] > 1000 and actions[("moco", "create")] > 100
        assert actions[("moco", "delete")] and actions[("personio", "update")] and actions[("personio", "delete")]
        done = apply_directly(sandbox.world, [change.to_json() for change in first.changes])
        assert sum(done.values()) == len(first.changes)
        after = plan()
        assert not after.changes
        assert len(after.conflicts) == len(first.conflicts)
        synced = [p for p in sandbox.world.personio.attendance_periods.values() if is_ours(p.comment)]
        assert all(attendance_source(p.comment) in sandbox.world.moco.presences for p in synced)
        assert all(p.status == "CONFIRMED" for p in synced)
