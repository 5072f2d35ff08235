"""Reading a run's lists at once: a list Personio gives only for named people (its holidays) is read after the
persons, sharing their one read, and never by reading them twice."""

from __future__ import annotations

import asyncio
from datetime import date, datetime
from types import SimpleNamespace

import pytest

from reconciler.plan.snapshot import Need, Window
from reconciler.read.fetch import PEOPLE, fetch_snapshot
from reconciler.records import Holiday, Person
from reconciler.sync import sources

DAYS = Window(date(2026, 12, 1), date(2026, 12, 31))
TODAY = date(2026, 11, 25)


class Personio:
    """Counts what is asked of it; the persons' read takes a moment, so the holidays' read would overtake it."""

    def __init__(self, people: int = 3, fail: bool = False) -> None:
        self.people = [Person(id=str(n), email=f"p{n}@acme.example", first_name="", last_name="", active=True)
                       for n in range(people)]
        self.fail, self.asked = fail, []

    async def persons(self):
        self.asked.append("persons")
        await asyncio.sleep(0.01)
        if self.fail:
            raise RuntimeError("persons failed")
        return list(self.people)

    async def holidays(self, person_ids, start, end, *, today):
        self.asked.append(("holidays", tuple(sorted(person_ids)), start, end, today))
        return [Holiday(f"h{p}", p, date(2026, 12, 25), "Weihnachten", False, "public") for p in person_ids]


class Moco:
    async def users(self):
        return []


def clients(personio):
    return SimpleNamespace(moco=Moco(), personio=personio, server_now=lambda: datetime(2026, 11, 25, 12))


def test_a_full_read_asks_for_the_persons_once_and_the_holidays_of_all_of_them():
    personio = Personio()
    read = asyncio.run(fetch_snapshot(clients(personio), TODAY, [*PEOPLE, Need(sources.PERSONIO_HOLIDAYS, DAYS)]))
    assert personio.asked == ["persons", ("holidays", ("0", "1", "2"), DAYS.start, DAYS.end, TODAY)]
    assert len(read[sources.PERSONIO_HOLIDAYS]) == 3 and len(read[sources.PERSONIO_PERSONS]) == 3


def test_persons_read_already_are_taken_not_read_again():
    personio = Personio()
    known = {sources.PERSONIO_PERSONS.name: tuple(personio.people[:2])}
    asyncio.run(fetch_snapshot(clients(personio), TODAY, [Need(sources.PERSONIO_HOLIDAYS, DAYS)], known))
    assert personio.asked == [("holidays", ("0", "1"), DAYS.start, DAYS.end, TODAY)]


def test_without_the_persons_among_the_reads_they_are_read_first():
    personio = Personio()
    asyncio.run(fetch_snapshot(clients(personio), TODAY, [Need(sources.PERSONIO_HOLIDAYS, DAYS)]))
    assert personio.asked == ["persons", ("holidays", ("0", "1", "2"), DAYS.start, DAYS.end, TODAY)]


def test_a_read_for_some_people_names_them_and_reads_no_persons():
    personio = Personio()
    asyncio.run(fetch_snapshot(clients(personio), TODAY, [Need(sources.PERSONIO_HOLIDAYS, DAYS, frozenset({"7"}))]))
    assert personio.asked == [("holidays", ("7",), DAYS.start, DAYS.end, TODAY)]


def test_when_the_persons_cannot_be_read_the_holidays_are_not_asked_for():
    personio = Personio(fail=True)
    with pytest.raises(RuntimeError, match="persons failed"):
        asyncio.run(fetch_snapshot(clients(personio), TODAY, [*PEOPLE, Need(sources.PERSONIO_HOLIDAYS, DAYS)]))
    assert personio.asked == ["persons"]


def test_a_list_read_after_another_must_follow_one_read_whole():
    from reconciler.plan.snapshot import windowed

    with pytest.raises(ValueError, match="read after a list read whole"):
        windowed("x", lambda c, d, before: [], after=sources.PERSONIO_ABSENCE_PERIODS)


def test_a_list_read_after_another_is_never_read_without_its_records():
    """Read alone, the holidays would be asked for nobody and come back empty: refused instead."""
    with pytest.raises(ValueError, match="personio.holidays is read after another list's records"):
        Need(sources.PERSONIO_HOLIDAYS, DAYS).read(clients(Personio()))
