"""A third direction added through the registry alone: planned, rendered, saved and applied by the
same code as the real two, against fakes."""

from __future__ import annotations

import asyncio
import json
from dataclasses import replace

import pytest

from reconciler.apply import Pace, apply_changes
from reconciler.plan.planfile import load_saved_plan, save_plan
from reconciler.read.fetch import fetch_snapshot, needs
from reconciler.render import render_json, render_markdown, render_text
from reconciler.sync import registry
from reconciler.sync.build import build_plan
from tests.factories import Company, make_spec
from tests.sync.toy_greetings import DIRECTION as GREETINGS
from tests.sync.toy_greetings import NAME
from tests.sync.toy_greetings.notes import FakeNotes


@pytest.fixture
def registered(monkeypatch):
    """The one registry line a new direction needs."""
    monkeypatch.setattr(registry, "DIRECTIONS", (*registry.DIRECTIONS, GREETINGS))


@pytest.fixture
def world():
    company = Company()
    jane_user, jane = company.person("jane@acme.example")
    company.person("max@acme.example")
    notes = FakeNotes()
    clients = company.clients()
    clients.notes = notes
    return company, clients, notes, jane_user, jane


def plan_of(company, clients, only=None):
    spec = make_spec()
    directions = registry.select(only)
    snapshot = asyncio.run(fetch_snapshot(clients, company.today, needs(spec, company.today, directions)))
    return build_plan(spec, snapshot, directions, partial=directions != registry.DIRECTIONS)


def test_the_registry_offers_it_everywhere(registered):
    assert NAME in registry.names() and NAME in registry.choices()
    assert registry.select([NAME]) == (GREETINGS,)


def test_it_is_planned_beside_the_real_directions_and_rendered_in_every_format(registered, world):
    company, clients, notes, jane_user, _ = world
    company.presence(jane_user, "2026-11-02", "08:00", "12:00")
    plan = plan_of(company, clients)
    assert plan.scope == ("absences_to_moco", "holidays_to_moco", "hours_to_personio", "people_to_moco", NAME)
    assert not plan.partial
    greetings = [c for c in plan.changes if c.direction == NAME]
    assert [(c.action, c.user) for c in greetings] == [("create", "jane@acme.example"), ("create", "max@acme.example")]
    assert any(c.direction == "hours_to_personio" for c in plan.changes)  # the real ones still plan
    assert any(line.startswith("  + 2026-11-25  Notes greeting ") and line.endswith("“Hello jane”  (new person)")
               for line in render_text(plan).splitlines())
    assert "| Notes greeting | “Hello max” |" in render_markdown(plan)
    data = json.loads(render_json(plan))
    assert {c["direction"] for c in data["changes"]} == {NAME, "hours_to_personio"}
    assert notes.calls == ["GET"]  # read once, with the rest


def test_it_is_applied_by_the_same_apply_and_then_in_step(registered, world):
    company, clients, notes, _, _ = world
    plan = plan_of(company, clients, [NAME])
    assert plan.partial and plan.scope == (NAME,)
    report = asyncio.run(apply_changes(plan.changes, clients, Pace(verify_delay=0)))
    assert report.ok and sorted(notes.calls[1:]) == sorted(f"POST {u.id}" for u in company.users)
    assert not plan_of(company, clients, [NAME]).changes
    company.persons[0] = replace(company.persons[0], first_name="Janet")
    (update,) = plan_of(company, clients, [NAME]).changes
    assert update.action == "update" and update.after["text"] == "Hello Janet"


def test_a_saved_plan_keeps_its_scope(registered, world, tmp_path):
    company, clients, _, _, _ = world
    save_plan(plan_of(company, clients, [NAME]), tmp_path / "plan.json", b"seal key")
    assert load_saved_plan(tmp_path / "plan.json", registry).scope == (NAME,)
