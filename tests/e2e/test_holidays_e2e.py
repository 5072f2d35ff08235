"""Public holidays Personio → MOCO end to end against the sandbox, as a user runs them: a company in two
offices (Berlin; Munich with Bavaria's holidays; the company's half days on 24 and 31 December) gets each
person's holidays in MOCO, beside hand-made records and the absences direction."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import urllib.parse
from datetime import date, timedelta

import pytest
from click.testing import CliRunner

from reconciler.cli import cli
from reconciler.records import AbsenceKind
from reconciler.run import RunOptions, read_people
from reconciler.sandbox.personio.calendars import BERLIN, MUNICH
from reconciler.sandbox.personio.holidays import person_holidays
from reconciler.sandbox.personio.records import PersonioAbsencePeriod
from reconciler.sandbox.seed import SeedParams
from reconciler.spec import load_spec
from reconciler.sync.ownership import HOLIDAY_MARKER, is_ours
from reconciler.systems.connect import read_credentials
from tests.conftest import TODAY, side_door
from tests.e2e.test_incremental import written_long_ago

PARAMS = SeedParams(seed=1, people=12, today=TODAY)
WINDOW = (PARAMS.start_date, TODAY + timedelta(days=PARAMS.until_days))
PUBLIC, UNPLANNABLE = AbsenceKind.PUBLIC_HOLIDAY.code, AbsenceKind.UNPLANNABLE.code
EPIPHANY = date(2027, 1, 6)  # a Wednesday, a holiday in Bavaria only


@pytest.fixture
def spec(sandbox, tmp_path, monkeypatch):
    sandbox.knobs["moco"].update({"rate_limit_requests": 6000, "rate_limit_seconds": 120})
    sandbox.knobs["personio"].update({"rate_limit_requests": 6000, "rate_limit_seconds": 60})
    path = tmp_path / "mapping.yaml"
    path.write_text(sandbox.spec_yaml(holidays=True).replace("requests: 120, per_seconds: 120",
                                                             "requests: 6000, per_seconds: 120")
                    .replace("requests: 600, per_seconds: 60", "requests: 6000, per_seconds: 60"))
    for name, value in sandbox.env().items():
        monkeypatch.setenv(name, value)
    return path


def reconcile(*args: str):
    return CliRunner().invoke(cli, [*args, "--today", TODAY.isoformat()], catch_exceptions=False)


def pairs(sandbox, spec):
    """Who is who, as every run matches them: (Personio person, MOCO user id)."""
    loaded = load_spec(spec)
    matching = asyncio.run(read_people(loaded, read_credentials(loaded, sandbox.env()), RunOptions(today=TODAY)))
    persons = sandbox.world.personio.persons
    return [(persons[pair.person.id], pair.user.id) for pair in matching.pairs]


def schedules_of(sandbox, user_id):
    """A user's MOCO absences by day."""
    found: dict[date, list] = {}
    for s in sandbox.world.moco.schedules.values():
        if s.user_id == user_id:
            found.setdefault(date.fromisoformat(s.date), []).append(s)
    return found


def works(sandbox, user_id, day):
    """Whether the user's MOCO employment pattern has hours on `day` (the seed gives one pattern a user)."""
    for e in sandbox.world.moco.employments.values():
        if e.user_id == user_id:
            return e.am[day.weekday()] + e.pm[day.weekday()] > 0
    return True


def kept(sandbox):
    """The hand-made MOCO absences no direction may replace: all but "not plannable" ones."""
    return sorted((dataclasses.asdict(s) for s in sandbox.world.moco.schedules.values()
                   if not is_ours(s.comment) and s.absence_code != UNPLANNABLE), key=lambda s: s["id"])


def test_a_company_in_two_offices_gets_exactly_each_persons_holidays(sandbox, spec, moco):
    people = pairs(sandbox, spec)
    munich = next((p, u) for p, u in people if p.office == MUNICH and works(sandbox, u, EPIPHANY))
    berlin = next((p, u) for p, u in people if p.office == BERLIN)
    # Hand-made, as a MOCO user enters them: a "not plannable" on Munich's Epiphany (replaced), and a
    # vacation of the Munich person over it in Personio (the day goes to the holiday).
    replaced = moco("POST", "/schedules", json_body={"date": EPIPHANY.isoformat(), "absence_code": UNPLANNABLE,
                                                     "user_id": munich[1], "comment": "Brückentag?"}).json()["id"]
    world = sandbox.world.personio
    vacation_type = next(t.id for t in world.absence_types.values() if t.name == "Paid vacation")
    world.absence_periods["over-epiphany"] = PersonioAbsencePeriod(
        id="over-epiphany", person_id=munich[0].id, absence_type_id=vacation_type, starts_from="2027-01-04T00:00:00",
        starts_type="FIRST_HALF", ends_at="2027-01-09T00:00:00", ends_type="SECOND_HALF")
    before = kept(sandbox)

    planned = reconcile("plan", "-c", str(spec), "--only", "holidays_to_moco", "--format", "json")
    assert planned.exit_code == 0, planned.output
    changes = json.loads(planned.output)["changes"]
    munich_email = next(u.email for u in sandbox.world.moco.users.values() if u.id == munich[1])
    epiphany = next(c for c in changes if c["user"] == munich_email and c["date"] == EPIPHANY.isoformat())
    assert epiphany["action"] == "update" and "Heilige Drei Könige" in epiphany["reason"]
    text = reconcile("plan", "-c", str(spec), "--only", "holidays_to_moco")
    assert "Heiligabend: company holiday in Personio, half a day" in text.output
    assert "+ 2026-12-24  MOCO absence" in text.output
    markdown = reconcile("plan", "-c", str(spec), "--only", "holidays_to_moco", "--format", "markdown").output
    assert "Heilige Drei Könige: public holiday in Personio" in markdown and "withheld" not in markdown

    applied = reconcile("apply", "-c", str(spec), "--auto-approve")
    assert applied.exit_code == 0, applied.output

    # Each matched person's holidays in the window, on the days they work, are one public holiday each.
    for person, user_id in people:
        days = schedules_of(sandbox, user_id)
        wanted = {h.day: h for h in person_holidays(world, person, *WINDOW)
                  if h.day.weekday() < 5 and works(sandbox, user_id, h.day)}
        for day, holiday in wanted.items():
            [record] = days[day]
            assert record.absence_code == PUBLIC, (person.office, day)
            if HOLIDAY_MARKER.source(record.comment) is not None:
                assert (record.am, record.pm) == (not holiday.half_day, True)
        ours = {day for day, records in days.items() for s in records if HOLIDAY_MARKER.source(s.comment)}
        assert ours <= set(wanted) and all(d.weekday() < 5 for d in ours)
    munich_days, berlin_days = schedules_of(sandbox, munich[1]), schedules_of(sandbox, berlin[1])
    assert [s.absence_code for s in munich_days[EPIPHANY]] == [PUBLIC]  # the vacation left the day to it
    assert munich_days[EPIPHANY][0].id == replaced  # the "not plannable", replaced in place
    assert [s.absence_code for s in munich_days[date(2027, 1, 5)]] == [AbsenceKind.HOLIDAY.code]
    assert EPIPHANY not in berlin_days
    assert [(s.am, s.pm) for s in berlin_days[date(2026, 12, 24)]] == [(False, True)]
    assert kept(sandbox) == before  # hand-made records untouched

    again = reconcile("plan", "-c", str(spec), "--format", "json")
    assert json.loads(again.output)["changes"] == []

    # A person moved to the other office gets that office's holidays.
    assert side_door(sandbox, "PATCH", f"/records/personio/persons/{berlin[0].id}",
                     json_body={"office": MUNICH}).status == 200
    applied = reconcile("apply", "-c", str(spec), "--auto-approve")
    assert applied.exit_code == 0, applied.output
    moved = schedules_of(sandbox, berlin[1]).get(EPIPHANY, [])
    assert [(s.absence_code, bool(HOLIDAY_MARKER.source(s.comment))) for s in moved] == [(PUBLIC, True)]

    # A holiday taken out of the calendar removes its MOCO absences, and the vacation takes the day back.
    assert side_door(sandbox, "PATCH", "/records/personio/holiday-calendars/bavaria",
                     json_body={"removed": [EPIPHANY.isoformat()]}).status == 200
    applied = reconcile("apply", "-c", str(spec), "--auto-approve")
    assert applied.exit_code == 0, applied.output
    assert schedules_of(sandbox, berlin[1]).get(EPIPHANY, []) == []
    assert [s.absence_code for s in schedules_of(sandbox, munich[1])[EPIPHANY]] == [AbsenceKind.HOLIDAY.code]
    final = reconcile("plan", "-c", str(spec), "--format", "json")
    assert json.loads(final.output)["changes"] == []


def test_an_incremental_run_plans_the_holidays_of_the_people_something_touched(sandbox, spec, moco):
    """Holidays send no webhook and carry no time of change: an incremental run plans them for the people and days
    a change touched, here a synced holiday edited by hand in MOCO, reading only that person's holidays."""
    assert reconcile("apply", "-c", str(spec), "--auto-approve").exit_code == 0
    written_long_ago(sandbox)
    world = sandbox.world
    ours = next(s for s in world.moco.schedules.values() if HOLIDAY_MARKER.source(s.comment) and s.am is False)
    assert moco("PUT", f"/schedules/{ours.id}", json_body={"am": True}).status == 200  # by hand: all day
    sandbox.log.entries.clear()

    planned = reconcile("plan", "-c", str(spec), "--format", "json", "--changed-since", "10m")
    assert planned.exit_code == 0, planned.output
    changes = json.loads(planned.output)["changes"]
    assert [(c["direction"], c["action"], c["date"], c["after"]["am"]) for c in changes] == [
        ("holidays_to_moco", "update", ours.date, False)]
    changed = [e.query for e in sandbox.log.entries if "updated_after" in e.query]
    assert changed and len(changed) == len(set(changed))  # absences and holidays share one read of what changed
    asked = [urllib.parse.parse_qs(e.query) for e in sandbox.log.entries if e.path == "/v2/holidays"]
    person = next(p.id for p in world.personio.persons.values()
                  if p.email.lower() == world.moco.users[ours.user_id].email.lower())
    assert asked and all(q.get("person.id") in (None, [person]) for q in asked)  # that person's, no one else's


def test_a_saved_plan_of_the_holidays_applies_exactly_its_changes(sandbox, spec, tmp_path):
    planfile = tmp_path / "holidays.plan.json"
    saved = reconcile("plan", "-c", str(spec), "--only", "holidays_to_moco", "--out", str(planfile))
    assert saved.exit_code == 0, saved.output
    planned = json.loads(reconcile("plan", "-c", str(spec), "--only", "holidays_to_moco", "--format", "json").output)
    creates = [c for c in planned["changes"] if c["action"] == "create"]
    assert creates and all(c["after"]["absence_kind"] == "public_holiday" for c in creates)
    before = len(sandbox.world.moco.schedules)
    applied = reconcile("apply", "-c", str(spec), str(planfile))
    assert applied.exit_code == 0, applied.output
    ours = [s for s in sandbox.world.moco.schedules.values() if HOLIDAY_MARKER.source(s.comment)]
    assert len(ours) == len(creates) and len(sandbox.world.moco.schedules) == before + len(creates) - sum(
        c["action"] == "delete" for c in planned["changes"])
    markdown = reconcile("plan", "-c", str(spec), "--only", "holidays_to_moco", "--format", "markdown")
    assert "No changes" in markdown.output or "0 to add" in markdown.output
