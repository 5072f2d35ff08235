"""`reconcile demo --serve`: a change in MOCO arriving in Personio within seconds, no credentials needed.

One event loop holds an in-process sandbox and `reconcile serve` (serve/server.py) on a free port of
127.0.0.1; the sandbox's webhooks point at it. The demo then creates, edits and deletes a MOCO presence
through MOCO's API and creates an approved vacation in Personio, and times how long each takes to show
up on the other side (read from the sandbox's state). It never creates sick leave: nothing it prints
says who was sick when.
"""

from __future__ import annotations

import asyncio
import secrets
import socket
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import aiohttp
import click
from prometheus_client.parser import text_string_to_metric_families

from reconciler.demo.show import DEMO_MOCO_RATE, DEMO_PERSONIO_RATE, heading
from reconciler.run import RunOptions
from reconciler.sandbox import Sandbox, SeedParams
from reconciler.sandbox.moco.records import MocoPresence, MocoSchedule
from reconciler.sandbox.personio.records import PersonioAbsencePeriod
from reconciler.sandbox.personio.webhooks import record
from reconciler.sandbox.seed.params import MOCO_API_KEY
from reconciler.serve.app import MOCO_PATH, PERSONIO_PATH, ServeState
from reconciler.serve.coalesce import QUIET
from reconciler.serve.runner import Cadence, Runner
from reconciler.serve.server import run_server
from reconciler.spec import load_spec
from reconciler.sync.ownership import absence_source, attendance_source
from reconciler.systems.connect import Tuning, limiters, read_credentials

WAIT = 60.0  # seconds each change may take to arrive
START_WAIT = 120.0  # seconds the start-up full reconcile may take
POLL = 0.1
VACATION = "Paid vacation"  # a type the ready spec maps; never a sick type (health data)


@dataclass(frozen=True)
class Arrival:
    """One step of the demo and how long its change took to arrive (None: not within WAIT)."""

    step: str
    seconds: float | None


def run_serve_demo(*, people: int = 12, seed: int = 1) -> bool:
    """Run the demo; True when every change arrived within WAIT seconds."""
    with tempfile.TemporaryDirectory(prefix="reconcile-demo-serve-") as folder:
        return asyncio.run(_demo(people, seed, Path(folder)))


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def _until(check: Callable[[], bool], limit: float, stop: asyncio.Event) -> float | None:
    """Seconds until `check()` holds, or None after `limit` seconds or once serve stopped."""
    started = time.monotonic()
    while time.monotonic() - started < limit and not stop.is_set():
        if check():
            return time.monotonic() - started
        await asyncio.sleep(POLL)
    return None


def _samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(text) for s in family.samples}


def _count(samples: dict[tuple[str, tuple[tuple[str, str], ...]], float], name: str, **labels: str) -> int:
    return int(sum(value for (sample, tags), value in samples.items()
                   if sample == name and set(labels.items()) <= set(tags)))


async def _demo(people: int, seed: int, folder: Path) -> bool:
    today = datetime.now(ZoneInfo("Europe/Berlin")).date()
    sandbox = Sandbox(SeedParams(seed=seed, people=people, today=today), moco=DEMO_MOCO_RATE,
                      personio=DEMO_PERSONIO_RATE)
    async with sandbox, aiohttp.ClientSession() as http:
        spec_path = folder / "mapping.yaml"
        spec_path.write_text(sandbox.spec_yaml(), encoding="utf-8")
        spec = load_spec(spec_path)
        moco_secret, personio_secret = secrets.token_hex(16), secrets.token_urlsafe(24)
        options = RunOptions(today=spec.today(), tuning=Tuning(limiters=limiters(spec)))
        state = ServeState(moco_secret=moco_secret, personio_secret=personio_secret)
        runner = Runner(spec, read_credentials(spec, sandbox.env()), state, options, Cadence(), today=lambda: today)
        port, stop = _free_port(), asyncio.Event()
        serve_url = f"http://127.0.0.1:{port}"
        click.echo(f"reconcile demo --serve: a sandbox company of {people} {'person' if people == 1 else 'people'} "
                   f"(seed {seed}) around {today}; "
                   f"MOCO {sandbox.moco_url}, Personio {sandbox.personio_url}.")
        click.echo("`reconcile serve` takes their webhooks and reconciles each change within seconds. Its log "
                   "goes to stderr.")
        server = asyncio.create_task(run_server(state, runner, ("127.0.0.1", port), 10.0, stop=stop))
        server.add_done_callback(lambda _: stop.set())  # serve ended early (an error): the steps stop waiting
        try:
            return await _steps(sandbox, http, serve_url, state, stop, today,
                                {"moco": moco_secret, "personio": personio_secret})
        finally:
            stop.set()
            await server


async def _metrics(http: aiohttp.ClientSession, serve_url: str) -> dict[Any, float]:
    async with http.get(f"{serve_url}/metrics") as answer:
        return _samples(await answer.text())


async def _steps(sandbox: Sandbox, http: aiohttp.ClientSession, serve_url: str, state: ServeState,
                 stop: asyncio.Event, today: date, hook_secrets: dict[str, str]) -> bool:
    world = sandbox.world
    heading(f"1. reconcile serve on {serve_url}: the start-up full reconcile")
    full_done, applied = False, 0

    async def poll_full() -> None:
        nonlocal full_done, applied
        samples = await _metrics(http, serve_url)
        full_done = _count(samples, "reconcile_reconciles_total", kind="full", result="ok") > 0
        applied = _count(samples, "reconcile_changes_applied_total")

    started = time.monotonic()
    while not full_done and not stop.is_set() and time.monotonic() - started < START_WAIT:
        await asyncio.sleep(0.25)
        try:
            await poll_full()
        except aiohttp.ClientError:  # not listening yet
            continue
        if state.readiness.last_failure:
            break
    if not full_done:
        click.echo(f"  ✗ the start-up full reconcile did not finish: {state.readiness.problem() or 'stopped'}")
        return False
    click.echo(f"  ✓ both systems in sync after {time.monotonic() - started:.1f} s")

    moco_api = sandbox.moco_url
    side_door = f"http://127.0.0.1:{sandbox.moco_port}/_sandbox/webhooks"
    for service, key, path in (("moco", "secret", MOCO_PATH), ("personio", "token", PERSONIO_PATH)):
        async with http.post(side_door, json={"service": service, "url": serve_url + path,
                                              key: hook_secrets[service]}) as answer:
            answer.raise_for_status()
    click.echo(f"  webhooks registered: MOCO → {serve_url}{MOCO_PATH}, Personio → {serve_url}{PERSONIO_PATH}")

    chosen = _person_and_days(sandbox, today)
    if chosen is None:
        click.echo("  ✗ nobody with synced working hours has a free working day; nothing to show")
        return False
    user_id, person_id, day, holiday = chosen
    user = world.moco.users[user_id]
    name = f"{user.firstname} {user.lastname}"
    moco = {"Authorization": f"Token token={MOCO_API_KEY}", "X-IMPERSONATE-USER-ID": str(user_id)}
    arrivals: list[Arrival] = []

    def periods() -> list[Any]:
        return [p for p in world.personio.attendance_periods.values() if p.person_id == person_id
                and p.day == day.isoformat() and attendance_source(p.comment) is not None]

    def times(start: str, end: str) -> Callable[[], bool]:
        return lambda: [(p.start[11:16], (p.end or "")[11:16]) for p in periods()] == [(start, end)]

    heading(f"2. MOCO: {name} records 09:00–17:00 on {day:%a %d %b}")
    async with http.post(f"{moco_api}/users/presences", headers=moco,
                         json={"date": day.isoformat(), "from": "09:00", "to": "17:00"}) as answer:
        answer.raise_for_status()
        presence = (await answer.json())["id"]
    arrivals.append(_show("a new presence in MOCO → a Personio attendance 09:00–17:00",
                          await _until(times("09:00", "17:00"), WAIT, stop)))

    heading("3. MOCO: the presence now ends at 16:30")
    async with http.put(f"{moco_api}/users/presences/{presence}", headers=moco, json={"to": "16:30"}) as answer:
        answer.raise_for_status()
    arrivals.append(_show("an edited presence in MOCO → the Personio attendance ends at 16:30",
                          await _until(times("09:00", "16:30"), WAIT, stop)))

    heading("4. MOCO: the presence is deleted")
    synced = {p.id for p in periods()}  # none if the steps before failed: then nothing can be seen going
    async with http.delete(f"{moco_api}/users/presences/{presence}", headers=moco) as answer:
        answer.raise_for_status()
    arrivals.append(_show("a deleted presence in MOCO → the Personio attendance is gone",
                          await _until(lambda: bool(synced) and not periods(), WAIT, stop)))

    heading(f"5. Personio: an approved day of paid vacation for {name} on {holiday:%a %d %b}")
    absence = _approve_vacation(sandbox, person_id, holiday)
    arrivals.append(_show("an approved vacation in Personio → a MOCO absence",
                          await _until(lambda: any(absence_source(s.comment) == absence and s.user_id == user_id
                                                   for s in world.moco.schedules.values()), WAIT, stop)))

    await _settled(http, serve_url, state, applied + sum(a.seconds is not None for a in arrivals))
    await _summary(http, serve_url)
    late = [a.step for a in arrivals if a.seconds is None]
    heading("What happened")
    if late:
        click.echo(f"  {click.style('✗', fg='red')} not arrived within {WAIT:.0f} s: {'; '.join(late)}")
    else:
        slowest = max(a.seconds or 0.0 for a in arrivals)
        click.echo(f"  {click.style('✓', fg='green')} all {len(arrivals)} changes arrived on the other side, the "
                   f"slowest in {slowest:.1f} s (serve waits {QUIET:g} s after the last event for more first)")
    click.echo("")
    click.echo("Next: docs/sandbox.md, \"Trying reconcile serve\", runs the same by hand; docs/serve.md runs it "
               "for your own MOCO and Personio.")
    return not late


def _show(step: str, seconds: float | None) -> Arrival:
    if seconds is None:
        click.echo(f"  ✗ {step}: not within {WAIT:.0f} s")
    else:
        click.echo(f"  ✓ {step}: {seconds:.1f} s")
    return Arrival(step, seconds)


def _person_and_days(sandbox: Sandbox, today: date) -> tuple[int, str, date, date] | None:
    """A MOCO user and Personio person whose working hours the start-up reconcile synced, a past working
    day and a coming one on which neither system holds anything for them."""
    world = sandbox.world
    pairs = sorted({(world.moco.presences[source].user_id, p.person_id)
                    for p in world.personio.attendance_periods.values()
                    if (source := attendance_source(p.comment)) in world.moco.presences})
    for user_id, person_id in pairs:
        day = _free_day(sandbox, user_id, person_id, range(-1, -40, -1), today)
        holiday = _free_day(sandbox, user_id, person_id, range(7, 60), today)
        if day is not None and holiday is not None:
            return user_id, person_id, day, holiday
    return None


def _free_day(sandbox: Sandbox, user_id: int, person_id: str, offsets: range, today: date) -> date | None:
    """A working day `offsets` from today without anything in either system for this person."""
    world = sandbox.world
    start = sandbox.params.start_date
    for offset in offsets:
        day = today + timedelta(days=offset)
        text = day.isoformat()
        if day.weekday() >= 5 or day < start:
            continue
        booked: tuple[MocoPresence | MocoSchedule, ...] = (*world.moco.presences.values(),
                                                           *world.moco.schedules.values())
        taken = any(r.user_id == user_id and r.date == text for r in booked)
        taken = taken or any(p.person_id == person_id and p.day == text
                             for p in world.personio.attendance_periods.values())
        taken = taken or any(p.person_id == person_id and p.starts_from[:10] <= text
                             and (p.ends_at is None or text <= p.ends_at[:10])
                             for p in world.personio.absence_periods.values())
        if not taken:
            return day
    return None


def _approve_vacation(sandbox: Sandbox, person_id: str, day: date) -> str:
    """An approved one-day vacation made in Personio (its UI; the API cannot create one), with the
    `absence-period.created` webhook Personio sends. The sandbox runs in this event loop, so its state
    is changed between two of its requests."""
    personio = sandbox.world.personio
    vacation = next(t.id for t in personio.absence_types.values() if t.name == VACATION)
    period = PersonioAbsencePeriod(id=f"demo-{secrets.token_hex(4)}", person_id=person_id, absence_type_id=vacation,
                                   starts_from=f"{day}T00:00:00", starts_type="FIRST_HALF",
                                   ends_at=f"{day + timedelta(days=1)}T00:00:00", ends_type="SECOND_HALF")
    personio.absence_periods[period.id] = period
    record(personio, "absence-period.created", period)
    return period.id


async def _settled(http: aiohttp.ClientSession, serve_url: str, state: ServeState, applied: int) -> None:
    """Until the runs that made the changes have counted them (each is seen before its run reads it back)
    and no webhook event waits, at most WAIT seconds."""
    started = time.monotonic()
    while time.monotonic() - started < WAIT:
        samples = await _metrics(http, serve_url)
        if _count(samples, "reconcile_changes_applied_total") >= applied and state.coalescer.next_due() is None:
            return
        await asyncio.sleep(0.25)


async def _summary(http: aiohttp.ClientSession, serve_url: str) -> None:
    samples = await _metrics(http, serve_url)
    heading("reconcile serve's /metrics")
    events = "; ".join(
        f"{label} " + ", ".join(f"{n} {outcome}" for outcome in ("accepted", "ignored", "unauthorized", "malformed")
                                if (n := _count(samples, "reconcile_events_received_total", source=source,
                                                outcome=outcome)))
        for source, label in (("moco", "MOCO"), ("personio", "Personio"))
        if _count(samples, "reconcile_events_received_total", source=source))
    click.echo(f"  webhook events received: {events or 'none'}")
    runs = ", ".join(f"{_count(samples, 'reconcile_reconciles_total', kind=kind, result='ok')} {kind}"
                     for kind in ("full", "targeted", "incremental"))
    failed = _count(samples, "reconcile_reconciles_total", result="failed")
    click.echo(f"  reconciles: {runs}" + (f" ({failed} failed)" if failed else " (none failed)"))
    click.echo("  (Personio also reports reconcile's own writes; serve knows them and does not plan them again)")
    click.echo(f"  changes applied: {_count(samples, 'reconcile_changes_applied_total')}, failed: "
               f"{_count(samples, 'reconcile_changes_failed_total')}")
    count = _count(samples, "reconcile_event_to_applied_seconds_count")
    total = sum(v for (name, _), v in samples.items() if name == "reconcile_event_to_applied_seconds_sum")
    if count:
        click.echo(f"  webhook to applied: {total / count:.1f} s on average over {count} events")
