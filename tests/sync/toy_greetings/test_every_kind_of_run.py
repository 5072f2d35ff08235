"""The toy third direction in every kind of run, registered with its one registry line and nothing else:
a full `apply`, an incremental `apply --changed-since` and `reconcile serve` taking a Personio webhook.
MOCO and Personio are the sandbox, read and written through the real clients; the made-up Notes system
is attached to each run's clients, as a third system's client would be."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer

from reconciler import run
from reconciler.apply import Pace
from reconciler.plan.scope import ChangedSince, Subset
from reconciler.run import RunOptions, plan_and_apply
from reconciler.serve.app import PERSONIO_PATH, ServeState, make_app
from reconciler.serve.coalesce import Coalescer
from reconciler.serve.runner import Cadence, Runner
from reconciler.spec import load_spec
from reconciler.sync import registry
from reconciler.systems.connect import read_credentials
from tests.conftest import TODAY
from tests.sync.toy_greetings import DIRECTION as GREETINGS
from tests.sync.toy_greetings import MARKER, NAME
from tests.sync.toy_greetings.notes import FakeNotes

TOKEN = "personio-webhook-token"


@pytest.fixture
def world(sandbox, tmp_path, monkeypatch):
    """The toy direction registered (its one line), the Notes system attached to every run's clients, and the
    sandbox's ready spec with its credentials."""
    monkeypatch.setattr(registry, "DIRECTIONS", (*registry.DIRECTIONS, GREETINGS))
    notes, opened = FakeNotes(), run.open_clients

    @asynccontextmanager
    async def with_notes(*args: Any, **kwargs: Any) -> AsyncIterator[Any]:
        async with opened(*args, **kwargs) as clients:
            clients.notes = notes  # type: ignore[attr-defined]
            yield clients

    monkeypatch.setattr(run, "open_clients", with_notes)
    path = tmp_path / "mapping.yaml"
    path.write_text(sandbox.spec_yaml(), encoding="utf-8")
    spec = load_spec(path)
    return spec, read_credentials(spec, sandbox.env()), notes


def options(**more: Any) -> RunOptions:
    return RunOptions(today=TODAY, only=(NAME,), pace=Pace(verify_delay=0), **more)


def user_of(sandbox, first_name: str) -> tuple[int, Any]:
    """A person matched in both systems: their MOCO user id and their Personio person."""
    person = next(p for p in sandbox.world.personio.persons.values() if p.first_name == first_name)
    user = next(u for u in sandbox.world.moco.users.values() if (u.email or "").lower() == person.email.lower())
    return user.id, person


def test_a_full_and_an_incremental_apply_write_greetings_and_only_what_changed_is_planned_again(sandbox, world):
    spec, credentials, notes = world
    first, report = asyncio.run(plan_and_apply(spec, credentials, options(), lambda plan: True))
    assert report is not None and report.ok and not first.since
    everyone = {change.user for change in first.changes}
    assert len(everyone) == len(notes.stored) > 3 and {c.action for c in first.changes} == {"create"}

    long_ago = datetime.now(UTC) - timedelta(hours=2)
    for note in list(notes.stored):
        notes.edit(note.id, at=long_ago)
    user_id, person = user_of(sandbox, notes.stored[0].text.removeprefix("Hello "))
    notes.edit(notes.of(user_id).id, text="Hi there")  # a hand edit in the Notes system, now
    sandbox.log.entries.clear()
    calls = len(notes.calls)

    plan, report = asyncio.run(plan_and_apply(spec, credentials, options(scope=ChangedSince("10m")),
                                              lambda plan: True))
    email = next(c.user for c in first.changes if c.source == f"Personio person {person.id}")
    assert plan.since and plan.scopes == ((NAME, Subset(users=(email,), start=TODAY, end=TODAY)),)
    assert [(c.action, c.user, c.after["text"]) for c in plan.changes] == [("update", email,
                                                                           f"Hello {person.first_name}")]
    assert report is not None and report.ok and notes.of(user_id).text == f"Hello {person.first_name}"
    assert [call for call in notes.calls[calls:] if call != "GET"] == [f"PUT {notes.of(user_id).id}"]
    people = [e for e in sandbox.log.entries if e.path in ("/api/v1/users", "/v2/persons")]
    assert people and all(e.query for e in people)  # who is who for that one person, not everyone's lists


def test_reconcile_serve_plans_a_persons_greeting_when_personio_says_they_changed(sandbox, world):
    spec, credentials, notes = world

    async def scenario() -> tuple[int, list[str], dict[int, str], str]:
        state = ServeState(moco_secret=None, personio_secret=TOKEN, coalescer=Coalescer(quiet=0.05, max_wait=1.0))
        runner = Runner(spec, credentials, state, options(), Cadence(every=3600.0, full_every=86400.0),
                        today=lambda: TODAY)
        serving = asyncio.create_task(runner.run())
        async with TestClient(TestServer(make_app(state))) as client:
            await until(lambda: len(notes.stored) > 3, "the start-up full reconcile")
            greeted = notes.stored[0]
            user_id, person = greeted.user_id, sandbox.world.personio.persons[MARKER.source(greeted.comment)]
            before = {note.id: note.text for note in notes.stored}
            calls = len(notes.calls)
            sandbox.world.personio.persons[person.id].first_name = "Janet"
            envelope = {"company_id": "1", "event_name": "person.updated", "occurred_at": "2026-11-25T10:00:00Z",
                        "payload": {"id": person.id}, "meta": {}}
            answer = await client.post(PERSONIO_PATH, data=json.dumps(envelope), headers={"Authorization": TOKEN})
            assert answer.status == 202, await answer.text()
            await until(lambda: notes.of(user_id).text == "Hello Janet", "the targeted reconcile")
        runner.stop()
        await asyncio.wait_for(serving, 5)
        return user_id, notes.calls[calls:], before, state.metrics.render().decode()

    user_id, made, before, metrics = asyncio.run(scenario())
    assert [call for call in made if call != "GET"] == [f"PUT {notes.of(user_id).id}"]  # that person only
    assert {note.id: note.text for note in notes.stored if note.user_id != user_id} == \
        {ident: text for ident, text in before.items() if ident != notes.of(user_id).id}
    assert 'reconcile_reconciles_total{kind="targeted",result="ok"} 1.0' in metrics


async def until(check: Any, what: str, timeout: float = 20.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not check():
        assert asyncio.get_running_loop().time() < deadline, f"{what} did not happen within {timeout:.0f} s"
        await asyncio.sleep(0.02)

