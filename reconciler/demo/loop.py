"""`reconcile demo`: plan, apply and plan again against a fresh in-process sandbox.

Everything a newcomer should see in one run: the plan a real company produces (creates, updates,
deletes, conflicts, warnings), an apply that makes exactly those changes, a second plan with
nothing left to do, and proof that hand-made MOCO absences were not touched.
"""

from __future__ import annotations

import asyncio
import dataclasses
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import click

from reconciler.apply import Pace, shared_detail, shared_order
from reconciler.demo.show import DEMO_MOCO_RATE, DEMO_PERSONIO_RATE, heading
from reconciler.render import render_text
from reconciler.run import RunOptions, make_plan, plan_and_apply
from reconciler.sandbox import Sandbox, SandboxThread, SeedParams
from reconciler.spec import load_spec
from reconciler.sync.ownership import HOLIDAY_MARKER, USER_TAG, is_ours
from reconciler.systems.connect import read_credentials


def lifecycle(world: Any, first: Any, freelancers: list[dict[str, Any]]) -> tuple[bool, str]:
    """The check of the employee lifecycle: each hire planned is one tagged MOCO user (with an employment where
    Personio has weekly hours), each leaver archived, freelancers as they were."""
    users = {u.email: u for u in world.moco.users.values()}
    employed = {e.user_id for e in world.moco.employments.values()}
    people = [c for c in first.changes if c.direction == "people_to_moco"]
    hires = [c for c in people if c.action == "create"]
    made = [users.get(c.user) for c in hires]
    with_employment = sum(1 for user in made if user is not None and user.id in employed)
    archived = [c for c in people if c.action == "update" and c.user in users and not users[c.user].active]
    teams = sorted({str(c.after["team"]) for c in hires if c.after})
    ok = all(user is not None and USER_TAG in user.tags for user in made) \
        and len(archived) == len(people) - len(hires) \
        and [dataclasses.asdict(u) for u in world.moco.users.values() if u.extern] == freelancers
    return ok, (f"{len(hires)} new hires got a MOCO user (teams {', '.join(teams) or 'none'}; {with_employment} with "
                f"an employment from Personio's weekly hours), {len(archived)} leaver archived after their last day; "
                "the freelancer's account is untouched")


def run_demo(*, people: int = 12, seed: int = 1) -> bool:
    today = datetime.now(ZoneInfo("Europe/Berlin")).date()
    sandbox = Sandbox(SeedParams(seed=seed, people=people, today=today, lifecycle=True), moco=DEMO_MOCO_RATE,
                      personio=DEMO_PERSONIO_RATE)
    with SandboxThread(sandbox) as running, tempfile.TemporaryDirectory(prefix="reconcile-demo-") as folder:
        spec_path = Path(folder) / "mapping.yaml"
        spec_path.write_text(running.spec_yaml(holidays=True, people=True), encoding="utf-8")
        spec = load_spec(spec_path)
        credentials = read_credentials(spec, running.env())
        options = RunOptions(today=today, pace=Pace(verify_delay=0.2))

        def handmade() -> list[dict[str, Any]]:
            return sorted((dataclasses.asdict(s) for s in running.world.moco.schedules.values()
                           if not is_ours(s.comment)), key=lambda s: s["id"])

        def handmade_periods() -> list[dict[str, Any]]:
            return sorted((dataclasses.asdict(p) for p in running.world.personio.attendance_periods.values()
                           if not is_ours(p.comment)), key=lambda p: p["id"])

        click.echo(f"reconcile demo: a sandbox company of {people} {'person' if people == 1 else 'people'} "
                   f"(seed {seed}) around {today}, served on "
                   f"127.0.0.1 (MOCO {running.moco_url}, Personio {running.personio_url}).")
        click.echo("Absences flow Personio → MOCO, and so do public holidays, from the holiday calendars of the "
                   "company's two offices (Berlin, Munich); working hours flow MOCO → Personio; new hires get a MOCO "
                   "user on their first day, and leavers' users are archived after their last. What people entered "
                   "by hand is never touched.")
        before, periods_before = handmade(), handmade_periods()
        freelancers = [dataclasses.asdict(u) for u in running.world.moco.users.values() if u.extern]

        heading("1. reconcile plan")
        started = time.monotonic()
        first = asyncio.run(make_plan(spec, credentials, options))
        click.echo(render_text(first, color=True, redact=not sys.stdout.isatty()), nl=False)

        heading("2. reconcile apply --auto-approve")
        _, report = asyncio.run(plan_and_apply(spec, credentials, options, approve=lambda plan: True))
        if report is None:
            click.echo("Nothing to apply.")
        else:
            shared = not sys.stdout.isatty()  # as the plans above: a pipe or a CI log is shared
            for outcome in shared_order(report.outcomes) if shared else report.outcomes:
                if outcome.status != "applied":
                    who = "(a sensitive kind; person and date not shown)" if shared and outcome.change.sensitive \
                        else f"{outcome.change.user} {outcome.change.date}"
                    detail = shared_detail(outcome) if shared else outcome.detail
                    click.echo(f"  {outcome.status}: {who}: {detail}")
            click.echo(report.summary())

        hired = [c for c in first.changes if c.direction == "people_to_moco" and c.action == "create"]
        if hired:  # the people hired are matched from the next run on: it syncs their absences and holidays
            heading("2b. reconcile apply --auto-approve (again): the first sync of the people just hired")
            _, followed = asyncio.run(plan_and_apply(spec, credentials, options, approve=lambda plan: True))
            click.echo(followed.summary() if followed is not None else "Nothing to apply.")

        heading("3. reconcile plan (again)")
        second = asyncio.run(make_plan(spec, credentials, options))
        click.echo(render_text(second, color=True, redact=not sys.stdout.isatty()), nl=False)
        elapsed = time.monotonic() - started

        # The plan said which hand-made "not plannable" records synced absences replace; every
        # other hand-made absence must be exactly as it was.
        replaced = {c.target for c in first.changes if c.before and not is_ours(c.before.get("comment"))}
        replaced |= {removal.id for c in first.changes for removal in c.removes}
        before = [record for record in before if record["id"] not in replaced]
        after = [record for record in handmade() if record["id"] not in replaced]
        requests = running.log.counts()
        holidays = [s for s in running.world.moco.schedules.values() if HOLIDAY_MARKER.source(s.comment)]
        afternoons = sum(not s.am for s in holidays)
        heading("What happened")
        checks = [
            (report is not None and report.ok, "apply made every planned change"),
            (not second.changes, "the second plan has nothing left to do"),
            (before == after, f"all {len(before)} other hand-made MOCO absences are unchanged, byte for byte"
                              + (f" ({len(replaced)} “not plannable” replaced as planned)" if replaced else "")),
            (periods_before == handmade_periods(), f"all {len(periods_before)} hand-made Personio attendance periods "
                                                   "are unchanged"),
            (not [c for c in second.changes if c.direction == "holidays_to_moco"],
             f"{len(holidays)} public holidays from each person's Personio holiday calendars are in "
             f"MOCO ({afternoons} of them half days, as afternoons); where MOCO had one by hand, it stays"),
            (second.conflicts == first.conflicts, "hand-made entries where the sync wants to write are still "
                                                  "reported as conflicts, never overwritten"),
            lifecycle(running.world, first, freelancers),
        ]
        for ok, text in checks:
            click.echo(f"  {click.style('✓', fg='green') if ok else click.style('✗', fg='red')} {text}")
        click.echo(f"  {sum(requests.values())} requests in {elapsed:.1f} s "
                   f"(MOCO {sum(v for k, v in requests.items() if k.split()[1].startswith('/api'))}, "
                   f"Personio {sum(v for k, v in requests.items() if k.split()[1].startswith('/v2'))}), paced below "
                   f"the demo's rate limits: MOCO {DEMO_MOCO_RATE['rate_limit_requests']:,} requests per "
                   f"{DEMO_MOCO_RATE['rate_limit_seconds']:g} s (MOCO's \"unlimited\" plan; the standard plan allows "
                   f"120), Personio {DEMO_PERSONIO_RATE['rate_limit_requests']:,} per "
                   f"{DEMO_PERSONIO_RATE['rate_limit_seconds']:g} s")
        click.echo("")
        click.echo("Next: `reconcile sandbox serve` runs this sandbox for you to point `reconcile plan` at; the README "
                   "shows how to use your own MOCO and Personio.")
        return all(ok for ok, _ in checks)
