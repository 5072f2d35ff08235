"""What the benchmark does to the sandbox's data between runs, in the sandbox process itself:

- `sync`: the state after a first `reconcile apply`, without its million writes: reconcile's own plan
  (made in this process, over HTTP, with the limits and latency lifted) put straight into the stores
  (`apply_directly` of the seed package), every record dated a day back;
- `touch`: 1 % of the people changed 2 presences each (the later one of their two latest worked days
  ends 15 minutes later) and 2 of them got a new one-day vacation in Personio, dated now;
- `unsync`: a batch of synced records removed for a few people, for apply to write again.
"""

from __future__ import annotations

import asyncio
import random
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from typing import Any

import fastlists

from reconciler.run import RunOptions, make_plan
from reconciler.sandbox.personio.records import CHANGE_EVENTS, PersonioAbsencePeriod
from reconciler.sandbox.personio.webhooks import record as record_event
from reconciler.sandbox.seed import apply_directly, german_public_holidays, restamp, sandbox_env
from reconciler.spec import parse_spec
from reconciler.sync.ownership import absence_source, attendance_source
from reconciler.systems.connect import read_credentials

UNLIMITED = 10_000_000


def stamp(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def long_ago() -> str:
    """When the seeded and the synced records were last changed, as far as `updated_after` can tell."""
    return stamp(datetime.now(timezone.utc) - timedelta(days=1))


@dataclass
class Touched:
    """What `touch` changed: the presences and new absence periods, and who."""

    at: str = ""
    presences: list[int] = field(default_factory=list)
    absence_periods: list[str] = field(default_factory=list)
    users: list[int] = field(default_factory=list)  # MOCO user ids


def without_limits(sandbox: Any) -> dict[str, dict[str, Any]]:
    """Lift latency and rate limits; the knobs as they were, to put back."""
    before = {name: {"latency": k.latency, "rate_limit_requests": k.rate_limit_requests,
                     "rate_limit_seconds": k.rate_limit_seconds} for name, k in sandbox.knobs.items()}
    for knobs in sandbox.knobs.values():
        knobs.update({"latency": 0.0, "rate_limit_requests": UNLIMITED})
    return before


async def sync(sandbox: Any) -> dict[str, Any]:
    """Reconcile's plan for the whole company, made and put into the stores directly."""
    knobs = without_limits(sandbox)
    try:
        text = sandbox.spec_yaml()  # the benchmark's: holidays synced (all three directions) unless --no-holidays
        spec = parse_spec(text, today=sandbox.params.today)
        credentials = read_credentials(spec, sandbox_env())
        options = RunOptions(today=sandbox.params.today)
        loop = asyncio.get_running_loop()
        plan = await loop.run_in_executor(None, lambda: asyncio.run(make_plan(spec, credentials, options)))
    finally:
        for name, values in knobs.items():
            sandbox.knobs[name].update(values)
    async with fastlists.world_lock:
        done = apply_directly(sandbox.world, (change.to_json() for change in plan.changes),
                              random.Random(sandbox.params.seed))
        restamp(sandbox.world, long_ago())
        for config in sandbox.world.personio.webhooks.values():  # the webhook the README advises: no polling
            config.enabled_events = list(CHANGE_EVENTS)
        fastlists.invalidate()
    return {"changes": len(plan.changes), "done": dict(done)}


def synced_users(world: Any) -> list[int]:
    """MOCO users with both synced absences and synced attendance periods, whose email is their Personio
    email (so either names them), in id order."""
    with_hours = {world.moco.presences[p].user_id for p in
                  (attendance_source(a.comment) for a in world.personio.attendance_periods.values())
                  if p in world.moco.presences}
    with_absences = {s.user_id for s in world.moco.schedules.values() if absence_source(s.comment)}
    emails = {p.email.lower() for p in world.personio.persons.values() if p.email and p.status == "ACTIVE"}
    return sorted(u for u in with_hours & with_absences if world.moco.users[u].email in emails)


def person_of(world: Any, user_id: int) -> Any:
    email = world.moco.users[user_id].email
    return next(p for p in world.personio.persons.values() if p.email and p.email.lower() == email)


def touch(sandbox: Any, share: float, presences_each: int, absences: int) -> Touched:
    world, today = sandbox.world, sandbox.params.today
    rng = random.Random(sandbox.params.seed * 7919)
    candidates = synced_users(world)
    chosen = sorted(rng.sample(candidates, max(1, round(sandbox.params.people * share))))
    now = stamp(datetime.now(timezone.utc))
    touched = Touched(at=now, users=chosen)
    synced = {attendance_source(a.comment) for a in world.personio.attendance_periods.values()}
    by_user: dict[int, dict[str, list[Any]]] = {u: {} for u in chosen}
    for presence in world.moco.presences.values():
        if presence.user_id in by_user and presence.to_time and presence.date < today.isoformat():
            by_user[presence.user_id].setdefault(presence.date, []).append(presence)
    for user_id in chosen:
        days = [day for day, found in sorted(by_user[user_id].items(), reverse=True)
                if max(found, key=lambda p: p.from_time).id in synced][:presences_each]
        for day in days:
            later = max(by_user[user_id][day], key=lambda p: p.from_time)
            end = datetime.strptime(later.to_time, "%H:%M") + timedelta(minutes=15)
            later.to_time, later.updated_at = end.strftime("%H:%M"), now
            touched.presences.append(later.id)
    vacation = next(t.id for t in world.personio.absence_types.values() if t.name == "Paid vacation")
    for user_id in chosen[:absences]:
        day = free_workday(world, user_id, today + timedelta(days=14))
        person = person_of(world, user_id)
        period = PersonioAbsencePeriod(
            id=f"bench-{len(touched.absence_periods)}-{rng.getrandbits(64):016x}", person_id=person.id,
            absence_type_id=vacation, starts_from=f"{day}T00:00:00", starts_type="FIRST_HALF",
            ends_at=f"{day + timedelta(days=1)}T00:00:00", ends_type="SECOND_HALF", created_at=now, updated_at=now)
        world.personio.absence_periods[period.id] = period
        record_event(world.personio, "absence-period.created", period)  # as Personio's API raises it
        touched.absence_periods.append(period.id)
    return touched


def free_workday(world: Any, user_id: int, day: date) -> date:
    """The first weekday from `day` on with no public holiday and no MOCO absence of the user."""
    holidays = {**german_public_holidays(day.year), **german_public_holidays(day.year + 1)}
    taken = {s.date for s in world.moco.schedules.values() if s.user_id == user_id}
    while day.weekday() >= 5 or day in holidays or day.isoformat() in taken:
        day += timedelta(days=1)
    return day


def unsync(sandbox: Any, moco_writes: int, personio_writes: int, avoid: list[int]) -> dict[str, Any]:
    """Remove synced MOCO absences and synced Personio attendance periods (latest first) of people in
    turn until `moco_writes` and `personio_writes` are gone; who they were."""
    world = sandbox.world
    rng = random.Random(sandbox.params.seed * 104729)
    candidates = [u for u in synced_users(world) if u not in avoid]
    rng.shuffle(candidates)
    schedules: dict[int, list[Any]] = {}
    for s in world.moco.schedules.values():
        if absence_source(s.comment):
            schedules.setdefault(s.user_id, []).append(s)
    periods: dict[int, list[Any]] = {}
    for a in world.personio.attendance_periods.values():
        presence = world.moco.presences.get(attendance_source(a.comment))
        if presence is not None:
            periods.setdefault(presence.user_id, []).append(a)
    users, removed = [], {"moco": 0, "personio": 0}
    for user_id in candidates:
        if removed["moco"] >= moco_writes and removed["personio"] >= personio_writes:
            break
        users.append(user_id)
        for record in sorted(schedules.get(user_id, []), key=lambda s: s.date, reverse=True):
            if removed["moco"] < moco_writes:
                del world.moco.schedules[record.id]
                removed["moco"] += 1
        for record in sorted(periods.get(user_id, []), key=lambda a: a.start, reverse=True):
            if removed["personio"] < personio_writes:
                del world.personio.attendance_periods[record.id]
                removed["personio"] += 1
    return {"users": [world.moco.users[u].email for u in users], "user_ids": users, "removed": removed}
