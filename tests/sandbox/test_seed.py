"""The seeded company: deterministic, and holding every awkward case the sync has to handle."""

from __future__ import annotations

from collections import Counter
from datetime import date, timedelta

import pytest

from reconciler.sandbox.seed import SeedParams, generate_world, german_public_holidays, ready_spec
from reconciler.spec import parse_spec
from tests.conftest import TODAY


def without_timestamps(dump: dict) -> dict:
    return {
        service: {name: [{k: v for k, v in row.items() if k not in ("created_at", "updated_at")} for row in rows]
                  for name, rows in collections.items()}
        for service, collections in dump.items()
    }


@pytest.fixture(scope="module")
def world():
    return generate_world(SeedParams(seed=1, people=12, today=TODAY))


def test_same_parameters_give_the_same_company():
    a = generate_world(SeedParams(seed=3, people=20, today=TODAY)).dump()
    b = generate_world(SeedParams(seed=3, people=20, today=TODAY)).dump()
    assert without_timestamps(a) == without_timestamps(b)


def test_another_seed_gives_another_company():
    a = generate_world(SeedParams(seed=3, today=TODAY)).dump()
    b = generate_world(SeedParams(seed=4, today=TODAY)).dump()
    assert without_timestamps(a) != without_timestamps(b)


def test_people_count_and_people_in_one_system_only(world):
    moco = {u.email for u in world.moco.users.values()}
    personio = {p.email.lower() for p in world.personio.persons.values()}
    assert len([p for p in world.personio.persons.values() if p.status == "ACTIVE"]) == 13
    assert "nina.neumeyer@acme.example" in personio - moco  # only in Personio
    assert "frank@freelance.example" in moco - personio  # only in MOCO
    assert "jane@acme.example" in moco and "jane.doe@acme.example" in personio  # an override
    assert any(p.email != p.email.lower() for p in world.personio.persons.values())  # case differs
    archived = [u for u in world.moco.users.values() if not u.active]
    assert [u.email for u in archived] == ["olaf.altmann@acme.example"]


def test_part_timers_and_a_pattern_change(world):
    patterns = [(tuple(e.am), tuple(e.pm)) for e in world.moco.employments.values()]
    assert ((4.0, 4.0, 4.0, 4.0, 0.0), (4.0, 4.0, 4.0, 4.0, 0.0)) in patterns
    assert ((5.0,) * 5, (0.0,) * 5) in patterns
    per_user = Counter(e.user_id for e in world.moco.employments.values())
    assert 2 in per_user.values()
    assert any(e.from_date is None for e in world.moco.employments.values())


def test_public_holidays_for_every_active_user(world):
    active = {u.id for u in world.moco.users.values() if u.active}
    christmas = {s.user_id for s in world.moco.schedules.values() if s.date == "2026-12-25"}
    assert christmas == active
    assert all(s.absence_code == 2 for s in world.moco.schedules.values() if s.date == "2026-12-25")


def test_handmade_moco_absences(world):
    from reconciler.sync.ownership import is_ours

    codes = Counter(s.absence_code for s in world.moco.schedules.values()
                    if s.absence_code != 2 and not is_ours(s.comment))
    assert codes[1] == 2 and codes[5] == 1 and codes[4] == 1
    assert any(not s.pm for s in world.moco.schedules.values() if s.absence_code == 1)


def test_absence_periods_cover_the_awkward_cases(world):
    periods = list(world.personio.absence_periods.values())
    statuses = Counter(p.status for p in periods)
    assert statuses["PENDING"] and statuses["REJECTED"] and statuses["APPROVED"] > 20
    assert any(p.ends_at is None for p in periods)  # open-ended sickness
    assert any(p.starts_type == "SECOND_HALF" for p in periods)  # half first day
    assert any(p.ends_type == "FIRST_HALF" and p.ends_at.endswith("T12:00:00") for p in periods)  # half last day
    one_day_half = [p for p in periods if p.ends_type == "FIRST_HALF" and p.ends_at[:10] == p.starts_from[:10]]
    assert one_day_half
    full = [p for p in periods if p.ends_at and p.ends_type == "SECOND_HALF"]
    assert all(p.ends_at.endswith("T00:00:00") for p in full)  # exclusive midnight
    start = SeedParams(today=TODAY).start_date.isoformat()
    assert any(p.starts_from < start < (p.ends_at or "9999") for p in periods)  # reaches back before start
    spans_weekend = [p for p in periods if p.ends_at and
                     (date.fromisoformat(p.ends_at[:10]) - date.fromisoformat(p.starts_from[:10])).days > 5]
    assert spans_weekend
    types = {t.id: t.name for t in world.personio.absence_types.values()}
    assert "Parental leave" in {types[p.absence_type_id] for p in periods}


def test_overlapping_approved_periods_exist(world):
    by_person: dict[str, list] = {}
    for p in world.personio.absence_periods.values():
        if p.status == "APPROVED" and p.ends_at:
            by_person.setdefault(p.person_id, []).append(p)
    assert any(a is not b and a.starts_from < b.ends_at and b.starts_from < a.ends_at
               for rows in by_person.values() for a in rows for b in rows)


def test_presences_with_breaks_home_office_and_one_running(world):
    presences = list(world.moco.presences.values())
    per_day = Counter((p.user_id, p.date) for p in presences)
    assert max(per_day.values()) == 2
    assert [p.to_time for p in presences if p.date == TODAY.isoformat()] == [None]
    assert any(p.is_home_office for p in presences)
    weekends = [p for p in presences if date.fromisoformat(p.date).weekday() >= 5]
    assert weekends == []


def test_handmade_personio_periods(world):
    from reconciler.sync.ownership import is_ours

    periods = [p for p in world.personio.attendance_periods.values() if not is_ours(p.comment)]
    assert len(periods) == 2 and all(p.comment for p in periods)


def test_an_earlier_sync_left_periods_whose_presences_changed_since(world):
    from reconciler.sync.ownership import attendance_source

    synced = [p for p in world.personio.attendance_periods.values() if attendance_source(p.comment)]
    presences = world.moco.presences
    assert len(synced) == 3
    assert any(attendance_source(p.comment) not in presences for p in synced)  # deleted in MOCO
    edited = [p for p in synced if attendance_source(p.comment) in presences
              and p.end[11:16] != presences[attendance_source(p.comment)].to_time]
    assert len(edited) == 1


def test_ready_spec_is_a_valid_spec():
    params = SeedParams(today=TODAY)
    text = ready_spec(params, "http://127.0.0.1:9001/api/v1", "http://127.0.0.1:9002", (120, 120))
    spec = parse_spec(text, today=TODAY)
    assert spec.start_date == params.start_date and spec.start_date.weekday() == 0
    assert spec.start_date <= TODAY - timedelta(days=42)
    assert dict(spec.absences.types)["Paid vacation"].value == "holiday"


def test_public_holidays_follow_easter():
    assert date(2026, 4, 3) in german_public_holidays(2026)  # Good Friday 2026 (Easter: 5 April)
    assert date(2027, 3, 29) in german_public_holidays(2027)  # Easter Monday 2027 (Easter: 28 March)
    assert date(2026, 5, 14) in german_public_holidays(2026)  # Ascension
    assert len(german_public_holidays(2026)) == 10


@pytest.mark.parametrize("people", [1, 3, 30, 45])
def test_any_company_size_builds(people):
    world = generate_world(SeedParams(people=people, today=TODAY))
    emails = [u.email for u in world.moco.users.values()]
    assert len(emails) == len(set(emails)) == people + 3


def test_an_earlier_sync_left_absences_that_personio_has_since_changed(world):
    from reconciler.sync.ownership import absence_source

    synced = [s for s in world.moco.schedules.values() if absence_source(s.comment)]
    periods = world.personio.absence_periods
    assert any(absence_source(s.comment) not in periods for s in synced)  # cancelled
    assert any(periods.get(absence_source(s.comment)) and periods[absence_source(s.comment)].status == "REJECTED"
               for s in synced)


@pytest.mark.parametrize("people", [12, 50, 200])
def test_presences_never_overlap_because_moco_refuses_that(people):
    world = generate_world(SeedParams(people=people, today=TODAY))
    by_day: dict = {}
    for p in world.moco.presences.values():
        by_day.setdefault((p.user_id, p.date), []).append(p)
    for day in by_day.values():
        day.sort(key=lambda p: p.from_time)
        for earlier, later in zip(day, day[1:]):
            assert earlier.to_time is not None and earlier.to_time <= later.from_time, (earlier, later)
