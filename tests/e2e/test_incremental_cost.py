"""What an incremental run costs in a company of a few hundred people already in sync (issue 12): who is
who, the presences of the days touched and the rest are read for the people who changed only, at no
more than 10 requests to Personio and 14 to MOCO, and the plan is the full plan's within its scope. (Issue 19
added to MOCO's: the users and work patterns changed since the bound, 3 requests, and each work pattern
read both with and without `to`, since MOCO's docs leave open whether a read without it lists ended ones.)"""

from __future__ import annotations

import json
import random
import re
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from click.testing import CliRunner

from reconciler.cli import cli
from reconciler.sandbox.personio.records import CHANGE_EVENTS, PersonioAbsencePeriod
from reconciler.sandbox.seed import apply_directly, restamp
from reconciler.sandbox.seed.params import SeedParams
from reconciler.sandbox.server import Sandbox, SandboxThread
from reconciler.sync.ownership import attendance_source
from tests.conftest import TODAY, Moco

PEOPLE = 120
FAST = {"rate_limit_requests": 100_000, "latency": 0.0}


def run(*args: str):
    return CliRunner().invoke(cli, [*args, "--today", TODAY.isoformat()], catch_exceptions=False)


def stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@pytest.fixture(scope="module")
def company(tmp_path_factory) -> Iterator[tuple[Sandbox, str]]:
    """PEOPLE people with four weeks of history, in sync (the synced records put in directly), all of
    it last changed two hours ago."""
    params = SeedParams(seed=3, people=PEOPLE, today=TODAY, history_days=28, absence_days_per_year=30)
    with SandboxThread(Sandbox(params)) as sandbox:
        for knobs in sandbox.knobs.values():
            knobs.update(FAST)
        spec = tmp_path_factory.mktemp("cost") / "mapping.yaml"
        spec.write_text(sandbox.spec_yaml())
        with pytest.MonkeyPatch.context() as patch:
            for name, value in sandbox.env().items():
                patch.setenv(name, value)
            first = json.loads(run("plan", "-c", str(spec), "--format", "json").stdout)
            apply_directly(sandbox.world, first["changes"])
            restamp(sandbox.world, stamp(datetime.now(UTC) - timedelta(hours=2)))
            yield sandbox, str(spec)


@pytest.fixture
def spec(company, monkeypatch) -> str:
    sandbox, path = company
    for name, value in sandbox.env().items():
        monkeypatch.setenv(name, value)
    sandbox.log.entries.clear()
    return path


def endpoints(sandbox: Sandbox) -> Counter[str]:
    """Requests per service and endpoint since the last call, e.g. "moco GET /api/v1/users"."""
    counts = Counter(f"{e.service} {e.method} {e.path}" for e in sandbox.log.entries)
    sandbox.log.entries.clear()
    return counts


def total(counts: Counter[str], service: str) -> int:
    return sum(n for name, n in counts.items() if name.startswith(service + " "))


def synced_users(sandbox: Sandbox) -> list[int]:
    world = sandbox.world
    with_hours = {world.moco.presences[p].user_id for p in
                  (attendance_source(a.comment) for a in world.personio.attendance_periods.values())
                  if p in world.moco.presences}
    return sorted(with_hours)


def touch(sandbox: Sandbox, users: list[int], vacations: int) -> None:
    """Each user's latest presence ends 15 minutes later on two worked days; the first `vacations` of
    them get a new one-day vacation in Personio two weeks ahead."""
    world, now = sandbox.world, stamp(datetime.now(UTC))
    for user_id in users:
        days: dict[str, list] = {}
        for presence in world.moco.presences.values():
            if presence.user_id == user_id and presence.to_time and presence.date < TODAY.isoformat():
                days.setdefault(presence.date, []).append(presence)
        for day in sorted(days, reverse=True)[:2]:
            later = max(days[day], key=lambda p: p.from_time)
            end = datetime.strptime(later.to_time, "%H:%M") + timedelta(minutes=15)
            later.to_time, later.updated_at = end.strftime("%H:%M"), now
    vacation = next(t.id for t in world.personio.absence_types.values() if t.name == "Paid vacation")
    for user_id in users[:vacations]:
        email = world.moco.users[user_id].email
        person = next(p for p in world.personio.persons.values()
                      if (p.email or "").lower() in (email, "jane.doe@acme.example" if email == "jane@acme.example"
                                                     else email))
        taken = {s.date for s in world.moco.schedules.values() if s.user_id == user_id}
        day = TODAY + timedelta(days=14)
        while day.weekday() >= 5 or day.isoformat() in taken:
            day += timedelta(days=1)
        period = PersonioAbsencePeriod(
            id=f"cost-{user_id}", person_id=person.id, absence_type_id=vacation, starts_from=f"{day}T00:00:00",
            starts_type="FIRST_HALF", ends_at=f"{day + timedelta(days=1)}T00:00:00", ends_type="SECOND_HALF",
            created_at=now, updated_at=now)
        world.personio.absence_periods[period.id] = period


def plans(sandbox: Sandbox, spec: str) -> tuple[dict, Counter[str], dict, Counter[str], list]:
    """The full plan and the incremental plan, each with its requests per endpoint, and the latter's
    requests themselves."""
    full = json.loads(run("plan", "-c", spec, "--format", "json").stdout)
    full_counts = endpoints(sandbox)
    quick = run("plan", "-c", spec, "--format", "json", "--changed-since", "75m")
    assert quick.exit_code in (0, 2), quick.output
    sent = list(sandbox.log.entries)
    return full, full_counts, json.loads(quick.stdout), endpoints(sandbox), sent


def report(title: str, counts: Counter[str]) -> None:
    print(f"\n{title}: MOCO {total(counts, 'moco')}, Personio {total(counts, 'personio')}")
    for name, n in sorted(counts.items()):
        print(f"  {n:>4}  {name}")


def test_the_first_reads_of_a_run_where_nothing_changed_are_all_it_makes(company, spec):
    sandbox, _ = company
    quick = run("plan", "-c", spec, "--changed-since", "75m", "--format", "json")
    counts = endpoints(sandbox)
    assert json.loads(quick.stdout)["changes"] == []
    # MOCO: what changed (absences, presences, users, and employments both ways); Personio: its token, its
    # webhooks and their deletion events (one read), and, as its config records no change events, the three
    # updated_at lists (absence periods, attendance periods, persons)
    assert total(counts, "moco") == 5 and total(counts, "personio") == 6


def test_with_a_webhook_recording_every_change_event_personio_is_never_polled(company, spec):
    sandbox, _ = company
    config = next(iter(sandbox.world.personio.webhooks.values()))
    before = list(config.enabled_events)
    config.enabled_events = list(CHANGE_EVENTS)
    try:
        quick = run("plan", "-c", spec, "--changed-since", "75m", "--format", "json")
        counts = endpoints(sandbox)
        sent = [e for e in sandbox.log.entries]
    finally:
        config.enabled_events = before
    data = json.loads(quick.stdout)
    assert data["changes"] == []
    assert total(counts, "personio") == 3  # its token, its webhooks, their events: one read
    assert not [e for e in sent if e.service == "personio" and "updated_at" in e.query]
    assert data["notes"][1] == f"Personio: absence-period, attendance-period, person changes from the events of " \
                               f"webhook {config.id}"


def test_an_incremental_run_after_a_few_changes_costs_few_requests_a_service(company, spec):
    sandbox, _ = company
    # 2 % of the people, Jane (matched by an override) and Max (capitals in Personio) among them
    chosen = sorted({*random.Random(5).sample(synced_users(sandbox), PEOPLE // 50), *synced_users(sandbox)[:2]})
    touch(sandbox, chosen, 2)
    full, full_counts, quick, quick_counts, sent = plans(sandbox, spec)
    report("full plan", full_counts)
    report("incremental plan", quick_counts)
    assert quick["changes"] == full["changes"] and len(full["changes"]) == 2 * len(chosen) + 2
    assert total(quick_counts, "moco") <= 14 and total(quick_counts, "personio") <= 10
    # who is who was read for those people only: never the whole list
    who = [e for e in sent if e.path in ("/api/v1/users", "/v2/persons") and "updated_a" not in e.query]
    assert all(re.search(r"(^|&)(ids?|email)=", e.query) for e in who)
    assert quick_counts["moco GET /api/v1/users"] <= 3 and quick_counts["personio GET /v2/persons"] <= 3
    assert quick_counts["moco GET /api/v1/users/presences"] <= 3  # what changed, then those days by id
    assert applied_ok(sandbox, spec)


def applied_ok(sandbox: Sandbox, spec: str) -> bool:
    """The incremental apply, reading back after its creates as narrowly as it planned, leaves nothing for
    a full plan to do."""
    sandbox.log.entries.clear()
    done = run("apply", "-c", spec, "--auto-approve", "--changed-since", "75m")
    assert done.exit_code == 0, done.output
    people = [e for e in sandbox.log.entries if e.path in ("/api/v1/users", "/v2/persons")
              and "updated_a" not in e.query]  # who changed: `updated_after`, `updated_at.gt`
    assert all(re.search(r"(^|&)(ids?|email)=", e.query) for e in people), "who is who read whole"
    return "No changes." in run("plan", "-c", spec).stdout


def test_a_deleted_presence_on_a_day_that_changed_is_planned_as_the_full_run_plans_it(company, spec):
    sandbox, _ = company
    world = sandbox.world
    user_id = synced_users(sandbox)[7]
    days: dict[str, list] = {}
    for presence in world.moco.presences.values():
        if presence.user_id == user_id and presence.to_time and presence.date < TODAY.isoformat():
            days.setdefault(presence.date, []).append(presence)
    day = next(d for d in sorted(days, reverse=True) if len(days[d]) >= 2)
    first, later = sorted(days[day], key=lambda p: p.from_time)[:2]
    moco = Moco(sandbox)
    assert moco("DELETE", f"/users/presences/{first.id}").status == 204
    assert moco("PATCH", f"/users/presences/{later.id}", json_body={"to": "19:10"}).status == 200
    full, _, quick, _, _ = plans(sandbox, spec)
    assert sorted(c["action"] for c in quick["changes"]) == ["delete", "update"]
    assert quick["changes"] == full["changes"]
    assert applied_ok(sandbox, spec)


def test_a_changed_user_no_personio_person_claims_reads_every_person_before_leaving_them_out(company, spec):
    sandbox, _ = company
    frank = next(u for u in sandbox.world.moco.users.values() if u.email == "frank@freelance.example")
    moco = Moco(sandbox)
    day = (TODAY - timedelta(days=3)).isoformat()
    assert moco("POST", "/users/presences", headers={"X-IMPERSONATE-USER-ID": str(frank.id)},
                json_body={"date": day, "from": "09:00", "to": "12:00"}).status == 200
    full, _, quick, counts, _ = plans(sandbox, spec)
    assert quick["changes"] == full["changes"] == []
    # the email filter found nobody: the whole Personio list says so, not a guess
    assert counts["personio GET /v2/persons"] >= -(-len(sandbox.world.personio.persons) // 50)
