"""The clients against the sandbox stand-ins: real HTTP, real pagination, real limits and faults."""

from __future__ import annotations

import asyncio
import gc
from collections.abc import Iterator
from datetime import date, datetime
from typing import Any

import pytest

from reconciler.errors import OutcomeUnknown
from reconciler.records import AbsenceKind
from reconciler.sandbox import Fault
from reconciler.spec import parse_spec
from reconciler.systems.connect import Tuning, open_clients, read_credentials
from reconciler.systems.http import RetryPolicy
from tests.conftest import TODAY

FAST_RETRY = RetryPolicy(attempts=8, base_delay=0.01, max_delay=0.05, total_seconds=30)


def spec_for(sandbox, *, moco_rate: tuple[int, float] | None = None, personio_rate: tuple[int, float] | None = None):
    text = sandbox.spec_yaml()
    if moco_rate:
        text = text.replace("  rate_limit: {requests: 120, per_seconds: 120}",
                            f"  rate_limit: {{requests: {moco_rate[0]}, per_seconds: {moco_rate[1]}}}")
    if personio_rate:
        text = text.replace("  rate_limit: {requests: 600, per_seconds: 60}",
                            f"  rate_limit: {{requests: {personio_rate[0]}, per_seconds: {personio_rate[1]}}}")
    return parse_spec(text, today=TODAY)


def with_clients(sandbox, body, *, retry: RetryPolicy = FAST_RETRY, **rates: Any) -> Any:
    spec = spec_for(sandbox, **rates)

    async def scenario() -> Any:
        async with open_clients(spec, read_credentials(spec, sandbox.env()), Tuning(retry=retry)) as clients:
            return await body(clients)

    return asyncio.run(scenario())


def max_in_window(starts: list[float], seconds: float) -> int:
    starts = sorted(starts)
    return max((sum(1 for s in starts if a <= s < a + seconds) for a in starts), default=0)


def test_every_record_of_multi_page_lists_exactly_once(sandbox):
    world = sandbox.world

    async def body(clients) -> Any:
        return await asyncio.gather(
            clients.moco.users(), clients.moco.presences(date(2000, 1, 1), date(2100, 1, 1)),
            clients.moco.schedules(date(2000, 1, 1), date(2100, 1, 1)), clients.moco.employments(),
            clients.personio.persons(), clients.personio.absence_periods(date(2000, 1, 1), date(2100, 1, 1)))

    users, presences, schedules, employments, persons, periods = with_clients(sandbox, body)
    assert sorted(p.id for p in presences) == sorted(world.moco.presences) and len(presences) > 700
    assert sorted(u.id for u in users) == sorted(world.moco.users)  # archived included
    assert sorted(s.id for s in schedules) == sorted(world.moco.schedules)
    assert sorted(e.id for e in employments) == sorted(world.moco.employments)
    assert sorted(p.id for p in persons) == sorted(world.personio.persons)  # 14 persons, pages of 50
    assert sorted(p.id for p in periods) == sorted(world.personio.absence_periods)
    counts = sandbox.log.counts("moco")
    assert counts["GET /api/v1/users/presences"] == -(-len(world.moco.presences) // 100)  # one request a page


@pytest.fixture
def settled_heap() -> Iterator[None]:
    """The sandbox runs in this process and stamps each arrival: a collection of the garbage earlier tests left
    (tens of milliseconds, now and then) would shift its stamps past pacing's margin, which is not what is
    measured here. Collected first, and what is left kept out of the collector's way."""
    gc.collect()
    gc.freeze()
    yield
    gc.unfreeze()


def test_reading_stays_within_the_configured_rate(sandbox, settled_heap):
    """The sandbox enforces 12 per 1 s (Personio 3 per 0.5 s); the client is told the same and must never trip
    it."""
    sandbox.knobs["moco"].update({"rate_limit_requests": 12, "rate_limit_seconds": 1.0})
    sandbox.knobs["personio"].update({"rate_limit_requests": 3, "rate_limit_seconds": 0.5})

    async def body(clients) -> Any:
        return await asyncio.gather(
            clients.moco.presences(date(2000, 1, 1), date(2100, 1, 1)),  # 8 pages
            clients.moco.presences(date(2026, 11, 1), date(2026, 11, 30)),
            clients.moco.users(), clients.moco.employments(),
            clients.moco.schedules(date(2000, 1, 1), date(2100, 1, 1)),
            clients.personio.persons(), clients.personio.absence_types(),
            clients.personio.absence_periods(date(2026, 1, 1), date(2026, 12, 31)),
            clients.personio.attendance_periods(date(2026, 1, 1), date(2026, 12, 31)))

    with_clients(sandbox, body, moco_rate=(12, 1.0), personio_rate=(3, 0.5))
    moco = [e for e in sandbox.log.entries if e.service == "moco"]
    personio = [e for e in sandbox.log.entries if e.service == "personio"]
    assert len(moco) > 12 and len(personio) > 3  # enough to need pacing
    assert not [e for e in sandbox.log.entries if e.status == 429]
    assert max_in_window([e.started for e in moco], 1.0) <= 12
    assert max_in_window([e.started for e in personio], 0.5) <= 3


def test_reads_survive_429s_and_5xx(sandbox):
    """Each 429 pauses its service for a whole window, so the windows are short here (0.5 s)."""
    sandbox.knobs["moco"].update({"error_rate": 0.25, "error_status": 503, "rate_limit_seconds": 0.5})
    sandbox.knobs["personio"].update({"error_rate": 0.25, "error_status": 502, "rate_limit_seconds": 0.5})
    sandbox.add_fault("moco", Fault(kind="status", status=429, method="GET", times=3))
    sandbox.add_fault("personio", Fault(kind="status", status=429, method="GET", path="/v2/persons", times=2))

    async def body(clients) -> Any:
        return await asyncio.gather(clients.moco.presences(date(2000, 1, 1), date(2100, 1, 1)),
                                    clients.personio.persons())

    presences, persons = with_clients(sandbox, body, moco_rate=(120, 0.5), personio_rate=(600, 0.5))
    assert len(presences) == len(sandbox.world.moco.presences)
    assert len(persons) == len(sandbox.world.personio.persons)
    assert [e for e in sandbox.log.entries if e.status in (429, 502, 503)]  # faults really happened


def test_a_post_whose_answer_is_lost_is_sent_once_and_reported(sandbox):
    sandbox.add_fault("moco", Fault(kind="disconnect", method="POST", path="/api/v1/schedules"))
    user = next(u for u in sandbox.world.moco.users.values() if u.active)

    async def body(clients) -> Any:
        await clients.moco.create_schedule(user.id, date(2026, 12, 14), AbsenceKind.HOLIDAY, am=True, pm=True,
                                           comment="test")

    with pytest.raises(OutcomeUnknown, match="MOCO: the connection dropped after POST /api/v1/schedules was sent"):
        with_clients(sandbox, body)
    assert sandbox.log.counts("moco")["POST /api/v1/schedules"] == 1
    made = [s for s in sandbox.world.moco.schedules.values() if s.user_id == user.id and s.date == "2026-12-14"]
    assert len(made) == 1  # it did happen: the caller must re-read, not re-send


def test_a_personio_create_that_times_out_is_sent_once(sandbox):
    sandbox.knobs["personio"].hang_seconds = 1.5  # past the client's 1 s; the sandbox waits it out when it stops
    sandbox.add_fault("personio", Fault(kind="lost_response", method="POST", path="/v2/attendance-periods"))
    person = next(iter(sandbox.world.personio.persons))
    from reconciler.systems.http import Timeouts

    spec = spec_for(sandbox)

    async def scenario() -> None:
        tuning = Tuning(retry=FAST_RETRY, timeouts=Timeouts(total=1.0, connect=1.0, read=1.0))
        async with open_clients(spec, read_credentials(spec, sandbox.env()), tuning) as clients:
            await clients.personio.create_attendance(person, datetime(2026, 11, 29, 9), datetime(2026, 11, 29, 10), "x")

    with pytest.raises(OutcomeUnknown, match="timed out after it was sent"):
        asyncio.run(scenario())
    assert sandbox.log.counts("personio")["POST /v2/attendance-periods"] == 1


def test_token_is_renewed_when_personio_forgets_it(sandbox):
    async def body(clients) -> Any:
        await clients.personio.absence_types()
        sandbox.world.personio.tokens.clear()  # e.g. revoked, or expired early
        types = await clients.personio.absence_types()
        return types, clients.personio.service.auth.fetched

    types, fetched = with_clients(sandbox, body)
    assert types and fetched == 2


def test_awkward_variants_read_the_same(sandbox):
    """Without assignment.code, with lower-case headers, with relative cursor links."""
    sandbox.knobs["moco"].update({"assignment_code": False, "lowercase_headers": True})
    sandbox.knobs["personio"].update({"relative_links": True})

    async def body(clients) -> Any:
        return await asyncio.gather(clients.moco.schedules(date(2000, 1, 1), date(2100, 1, 1)),
                                    clients.personio.persons())

    schedules, persons = with_clients(sandbox, body)
    stored = {s.id: s.absence_code for s in sandbox.world.moco.schedules.values()}
    assert {s.id: s.kind.code for s in schedules} == stored
    reads = [e for e in sandbox.log.entries if e.endpoint == "GET /api/v1/schedules"]
    probes = [e for e in reads if "per_page=1&" in e.query or e.query.endswith("per_page=1")]
    pages = -(-len(stored) // 100)
    assert len(probes) == 5 and len(reads) == pages + 5  # the list once, not once per kind
    assert len(persons) == len(sandbox.world.personio.persons)


def test_the_holidays_client_reads_what_the_sandbox_serves_for_both_offices(sandbox):
    """The client's reading of `GET /v2/holidays` and the stand-in's entries agree (both keep the team's guess at
    the entry's fields, personio.md §13.2): every person's holidays, full and half days, of their office."""
    persons = list(sandbox.world.personio.persons.values())
    offices = {person.id: person.office for person in persons}

    async def body(clients) -> Any:
        return await clients.personio.holidays([p.id for p in persons], date(2026, 1, 1), date(2026, 12, 31),
                                               today=TODAY)

    found = with_clients(sandbox, body)
    by_person: dict[str, dict[date, Any]] = {}
    for holiday in found:
        by_person.setdefault(holiday.person_id, {})[holiday.day] = holiday
    assert set(by_person) == set(offices) and {"Berlin", "Munich"} <= set(offices.values())
    for person_id, days in by_person.items():
        munich = offices[person_id] == "Munich"
        assert (date(2026, 1, 6) in days) is munich  # Epiphany: Bavaria's
        assert (date(2026, 3, 8) in days) is not munich  # Women's Day: Berlin's (a Sunday: calendars list weekends)
        assert days[date(2026, 12, 24)].half_day and days[date(2026, 12, 24)].kind == "company"
        assert not days[date(2026, 12, 25)].half_day and days[date(2026, 12, 25)].kind == "public"
    assert len({holiday.id for holiday in found}) == len(found)  # one id per person and day
