"""An incremental run's MOCO presences (hours_to_personio's followup), against the sandbox: read by the
ids that changed and that synced Personio periods name; a named presence MOCO deleted is planned for
deletion; a person whose Personio periods changed or went (Personio's deletions) is read whole."""

from __future__ import annotations

import asyncio
import json
from datetime import date

from click.testing import CliRunner

from reconciler.cli import cli
from reconciler.plan.scope import Touched
from reconciler.plan.snapshot import Snapshot, Window
from reconciler.sandbox.seed import apply_directly
from reconciler.spec import parse_spec
from reconciler.sync import sources
from reconciler.sync.hours_to_personio import presences_of
from reconciler.sync.identity import match_people
from reconciler.sync.ownership import attendance_source
from reconciler.systems.connect import open_clients, read_credentials
from tests.conftest import TODAY


def run(*args: str):
    return CliRunner().invoke(cli, [*args, "--today", TODAY.isoformat()], catch_exceptions=False)


def followup(sandbox, spec_path, email: str, touched_of) -> tuple[list, list]:
    """`presences_of` for one person over the sync window, with `touched_of(user_id, person_id)` as what
    changed; the presences it found, and the requests it made to MOCO."""
    spec = parse_spec(spec_path.read_text(), today=TODAY)
    days = Window(spec.start_date, TODAY)

    async def read():
        async with open_clients(spec, read_credentials(spec, sandbox.env())) as clients:
            matching = match_people(await clients.moco.users(), await clients.personio.persons(), spec.users)
            pair = next(p for p in matching.pairs if p.moco_email == email)
            periods = await clients.personio.attendance_periods(days.start, days.end, {pair.person.id})
            first = Snapshot(TODAY, {sources.PERSONIO_ATTENDANCE_PERIODS.name: tuple(periods)})
            sandbox.log.entries.clear()
            return await presences_of(clients, first, days, touched_of(pair.user.id, pair.person.id), (pair,))

    found = asyncio.run(read())
    return found, [e for e in sandbox.log.entries if e.service == "moco"]


def synced(sandbox, setup) -> None:
    """Working hours in sync, the writes put in directly."""
    plan = json.loads(run("plan", "-c", str(setup), "--format", "json", "--only", "hours_to_personio").stdout)
    apply_directly(sandbox.world, plan["changes"])


def test_synced_presences_are_read_by_id_and_a_deleted_one_is_asked_for_alone(sandbox, setup):
    synced(sandbox, setup)
    user = next(u for u in sandbox.world.moco.users.values() if u.email == "jane@acme.example")
    presences = sandbox.world.moco.presences
    named = sorted(ident for a in sandbox.world.personio.attendance_periods.values()
                   if (ident := attendance_source(a.comment)) and presences[ident].user_id == user.id)
    gone = named[0]
    del sandbox.world.moco.presences[gone]
    found, sent = followup(sandbox, setup, "jane@acme.example", lambda user_id, person_id: Touched())
    assert {p.id for p in found} == set(named[1:])
    assert [e.path for e in sent] == ["/api/v1/users/presences", f"/api/v1/users/presences/{gone}"]
    assert "ids=" in sent[0].query


def test_a_person_whose_personio_period_went_is_read_whole(sandbox, setup):
    synced(sandbox, setup)
    user = next(u for u in sandbox.world.moco.users.values() if u.email == "max.mustermann@acme.example")
    period = next(a for a in sandbox.world.personio.attendance_periods.values()
                  if (ident := attendance_source(a.comment)) and sandbox.world.moco.presences[ident].user_id == user.id)
    del sandbox.world.personio.attendance_periods[period.id]  # deleted in Personio: no period names it now
    day = date.fromisoformat(period.start[:10])
    found, sent = followup(sandbox, setup, "max.mustermann@acme.example",
                           lambda user_id, person_id: Touched(personio={person_id: frozenset({day})}))
    assert attendance_source(period.comment) in {p.id for p in found}
    assert any(f"user_id={user.id}" in e.query for e in sent)
    # and the full plan, which reads everything, writes it again as well
    plan = json.loads(run("plan", "-c", str(setup), "--format", "json", "--only", "hours_to_personio").stdout)
    assert [c["action"] for c in plan["changes"]] == ["create"]
