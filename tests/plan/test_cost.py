"""What an apply costs before it writes (plan/cost.py, issue 22): the write requests per system as apply makes
each change, their time at the spec's rate limits, and how the plan shows it (text, Markdown, JSON)."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import date, timedelta

import pytest

from reconciler.plan.cost import Cost, cost_of, duration, first_sync, rate_words, writes
from reconciler.plan.model import Change, Plan, PlannedPart, Removal, merge
from reconciler.plan.planfile import compare_with_saved, load_saved_plan, save_plan
from reconciler.render import render_json, render_markdown, render_text
from reconciler.spec.model import RateLimit
from reconciler.sync import registry
from reconciler.sync.hours_to_personio.apply import DurationEdit, NewDurationPeriod, Recreate
from tests.factories import Sent

DAY = date(2026, 3, 2)
MOCO = RateLimit(120, 120.0)  # MOCO's default: 120 per 2 min
PERSONIO = RateLimit(300, 60.0)  # 300 per minute
RATES = {"moco": MOCO, "personio": PERSONIO}
RECORD = {"absence_kind": "holiday", "am": True, "pm": True, "comment": "[reconcile] Personio absence p1"}
PERIOD = {"duration": "8h", "comment": "[reconcile] MOCO presences"}
KEY = b"the seal key of the credentials"


def moco(action: str, **fields) -> Change:
    shape = {"create": {"after": RECORD, "send": Sent({"date": "2026-03-02"})},
             "update": {"before": RECORD, "after": RECORD, "target": 7, "send": Sent({"am": False})},
             "delete": {"before": RECORD, "target": 8}}[action]
    return Change(action, "absences_to_moco", "moco", "absence", "jane@acme.example", "jane@acme.example", DAY,
                  **(shape | fields))


def personio(action: str, **fields) -> Change:
    shape = {"create": {"after": PERIOD, "send": Sent({"duration": "8h"})},
             "update": {"before": PERIOD, "after": PERIOD, "target": "a1", "send": Sent({"duration": "7h"})},
             "delete": {"before": PERIOD, "target": "a2"}}[action]
    return Change(action, "hours_to_personio", "personio", "attendance", "jane@acme.example", "jane@acme.example",
                  DAY, **(shape | fields))


def recreate() -> Change:
    new = NewDurationPeriod(DAY, timedelta(hours=8), "[reconcile] MOCO presences", person_id="p1")
    return personio("update", send=Recreate(new))


REMOVES = (Removal(9, RECORD), Removal(10, RECORD))


@pytest.mark.parametrize(("change", "requests"), [
    (moco("create"), 1),  # POST
    (moco("update"), 1),  # PUT
    (moco("delete"), 1),  # DELETE
    (moco("update", removes=REMOVES), 3),  # PUT, then a DELETE per record it removes
    (moco("delete", removes=REMOVES), 3),  # DELETE of the target and of each removal
    (personio("update", send=DurationEdit(DAY, timedelta(hours=7), "c")), 1),  # PATCH
    (recreate(), 2),  # no PATCH can make it: DELETE, then POST
], ids=["create", "update", "delete", "update-removes", "delete-removes", "patch", "recreate"])
def test_each_change_costs_the_requests_apply_sends_for_it(change, requests):
    assert writes(change) == requests


def test_the_writes_are_counted_per_system_and_timed_at_its_rate():
    changes = [moco("create")] * 100 + [moco("delete", removes=REMOVES)] * 10 + [personio("create")] * 3000 \
        + [recreate()] * 10
    cost = cost_of(changes, RATES, first_sync=False)
    assert cost.to_json() == {"moco": {"writes": 130, "seconds": 130}, "personio": {"writes": 3020, "seconds": 604},
                              "first_sync": False}
    assert cost.seconds == 604  # the slower system: both are written side by side
    assert str(cost) == "this apply: at least 3,020 Personio writes ≈ 10 min at 300 per minute; " \
                        "130 MOCO writes ≈ 2 min at 120 per 2 min"


def test_a_big_first_sync_says_so_in_hours():
    cost = cost_of([personio("create")] * 920_435 + [moco("create")] * 79_955, RATES, first_sync=True)
    assert str(cost) == "first sync: at least 920,435 Personio writes ≈ 51 h at 300 per minute; " \
                        "79,955 MOCO writes ≈ 22 h at 120 per 2 min"
    assert cost.worth_saying


def test_below_a_minute_it_is_not_worth_a_line():
    assert not cost_of([moco("create")] * 3, RATES, first_sync=True).worth_saying
    assert not cost_of([moco("create")] * 59, RATES, first_sync=True).worth_saying  # 59 s at 1 a second
    assert cost_of([moco("create")] * 60, RATES, first_sync=True).worth_saying


@pytest.mark.parametrize(("seconds", "words"), [
    (0.2, "1 s"), (45, "45 s"), (59.4, "59 s"), (60, "1 min"), (754, "13 min"), (5399, "90 min"), (5400, "1.5 h"),
    (7200, "2 h"), (35_999, "10 h"), (184_087, "51 h")])
def test_durations_are_rounded_to_what_a_person_reads(seconds, words):
    assert duration(seconds) == words


@pytest.mark.parametrize(("rate", "words"), [
    (RateLimit(300, 60), "300 per minute"), (RateLimit(120, 120), "120 per 2 min"), (RateLimit(5, 1), "5 per second"),
    (RateLimit(10, 30), "10 per 30 s"), (RateLimit(1200, 120), "1,200 per 2 min"), (RateLimit(10, 0.5), "10 per 0.5 s"),
    (RateLimit(5000, 3600), "5,000 per hour")])
def test_rates_are_worded_as_the_spec_gives_them(rate, words):
    assert rate_words(rate) == words


def test_a_plan_with_nothing_of_reconciles_own_is_a_first_sync():
    part = PlannedPart(changes=(moco("create"),))
    assert merge([part]).owned == 0
    assert merge([replace(part, owned=4), PlannedPart(owned=3)]).owned == 7


def big_plan(first_sync: bool) -> Plan:
    changes = (moco("create"),) * 200
    return replace(Plan(changes=changes, notes=("absences Personio → MOCO",), scope=("absences_to_moco",)),
                   cost=cost_of(changes, RATES, first_sync=first_sync))


def test_the_text_and_markdown_plans_say_what_a_long_apply_costs():
    first = "first sync: at least 200 MOCO writes ≈ 3 min at 120 per 2 min"
    assert f"# {first}" in render_text(big_plan(True)).splitlines()
    assert "# this apply: at least 200 MOCO writes ≈ 3 min at 120 per 2 min" in render_text(big_plan(False))
    assert f"⏱️ {first}" in render_markdown(big_plan(True)).splitlines()


def test_a_short_apply_has_no_cost_line():
    changes = (moco("create"),) * 3
    plan = Plan(changes=changes, scope=("absences_to_moco",), cost=cost_of(changes, RATES, first_sync=True))
    assert "writes ≈" not in render_text(plan) and "writes ≈" not in render_markdown(plan)
    assert json.loads(render_json(plan))["cost"]["moco"] == {"writes": 3, "seconds": 3}  # JSON has it still


def test_the_json_plan_carries_the_cost():
    data = json.loads(render_json(big_plan(True)))
    assert data["cost"] == {"moco": {"writes": 200, "seconds": 200}, "personio": {"writes": 0, "seconds": 0},
                            "first_sync": True}


def test_a_saved_plan_with_another_cost_still_applies(tmp_path):
    """The cost is not compared: a spec's rate limit raised after the plan was made changes no change."""
    path = tmp_path / "plan.json"
    save_plan(big_plan(True), path, KEY)
    data = json.loads(path.read_text())
    data["cost"] = {"moco": {"writes": 1, "seconds": 99_999}, "personio": {"writes": 0, "seconds": 0},
                    "first_sync": False}
    path.write_text(json.dumps(data))
    saved = load_saved_plan(path, registry)
    slower = replace(big_plan(False), cost=cost_of(big_plan(False).changes, {"moco": RateLimit(1, 60)},
                                                  first_sync=False))
    assert compare_with_saved(saved, slower, KEY) == []
    assert compare_with_saved(saved, replace(slower, changes=slower.changes[1:]), KEY) != []  # changes are


def test_a_cost_of_no_writes_says_so():
    assert str(Cost((), first_sync=True)) == "first sync: no writes"


def test_only_a_plan_that_read_nothing_of_reconciles_own_is_a_first_sync():
    assert first_sync(Plan(owned=0))
    assert not first_sync(Plan(owned=12))
    assert not first_sync(Plan(owned=0, since="2026-11-30T08:55:00Z"))  # incremental: read only what changed
