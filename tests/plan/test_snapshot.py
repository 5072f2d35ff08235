"""The snapshot: what the directions declare they need is read once per list, for the union of the
windows asked, all lists at once."""

from __future__ import annotations

import asyncio
from datetime import date

import pytest

from reconciler.plan.snapshot import Need, Source, Window, merge_needs, whole, windowed
from reconciler.read.fetch import fetch_snapshot, needs
from reconciler.sync import registry, sources
from tests.factories import Company, make_spec

MARCH = Window(date(2026, 3, 1), date(2026, 3, 31))
MAY = Window(date(2026, 5, 1), date(2026, 5, 31))


def recording(name: str, calls: list, by_window: bool = True) -> Source:
    async def read(clients, window=None):
        calls.append((name, window))
        await asyncio.sleep(0)
        return [name]

    return windowed(name, read) if by_window else whole(name, read)


def test_two_directions_asking_for_one_list_share_one_read_over_both_windows():
    calls: list = []
    schedules, users = recording("schedules", calls), recording("users", calls, by_window=False)
    snapshot = asyncio.run(fetch_snapshot(None, date(2026, 3, 5), [
        Need(users), Need(schedules, MARCH), Need(users), Need(schedules, MAY)]))
    assert sorted(calls, key=str) == [("schedules", Window(date(2026, 3, 1), date(2026, 5, 31))), ("users", None)]
    assert snapshot[schedules] == ("schedules",) and snapshot[users] == ("users",)
    assert snapshot[recording("never asked", calls)] == ()


def test_a_need_says_whether_its_list_is_read_by_window():
    with pytest.raises(ValueError):
        Need(sources.MOCO_USERS, MARCH)
    with pytest.raises(ValueError):
        Need(sources.MOCO_SCHEDULES)
    assert merge_needs([Need(sources.MOCO_SCHEDULES, MAY), Need(sources.MOCO_SCHEDULES, MARCH)]) == (
        Need(sources.MOCO_SCHEDULES, Window(MARCH.start, MAY.end)),)


def test_a_run_reads_what_its_directions_declare_and_nothing_else():
    spec, today = make_spec(), date(2026, 11, 25)
    names = {need.source.name for need in needs(spec, today, registry.select(["hours_to_personio"]))}
    assert names == {"moco.users", "personio.persons", "moco.presences", "personio.attendance_periods"}
    managed = make_spec(direction="personio_managed")
    names = {need.source.name for need in needs(managed, today, registry.DIRECTIONS)}
    assert "moco.presences" not in names and "moco.schedules" in names  # a direction the spec turns off reads nothing


def test_the_windows_asked_are_the_directions_own():
    spec, today = make_spec(start="2026-10-01", until_days=90), date(2026, 11, 25)
    windows = {need.source.name: need.window for need in needs(spec, today, registry.DIRECTIONS)}
    assert windows["moco.schedules"] == Window(date(2026, 10, 1), date(2027, 2, 23))
    assert windows["moco.presences"] == Window(date(2026, 10, 1), today)


def test_the_company_fake_is_read_through_the_same_code():
    company = Company()
    company.person("jane@acme.example")
    snapshot = company.snapshot()
    assert [u.email for u in snapshot[sources.MOCO_USERS]] == ["jane@acme.example"]


def test_a_failed_read_stops_the_others_before_the_run_ends():
    stopped: list[str] = []

    async def refused(clients):
        raise PermissionError("refused")

    async def slow(clients):
        try:
            await asyncio.sleep(30)
        finally:
            stopped.append("slow")
        return []

    async def run():
        with pytest.raises(PermissionError):
            await fetch_snapshot(None, date(2026, 3, 5), [Need(whole("a", refused)), Need(whole("b", slow))])
        return stopped[:]  # already stopped when the error arrives, not later on a closed session

    assert asyncio.run(run()) == ["slow"]
