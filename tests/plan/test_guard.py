"""The mass-change guard: a run that deletes or updates too much of what reconcile owns is shown in
every format and refused by apply unless --force."""

from __future__ import annotations

import dataclasses
import json
from datetime import date

import pytest

from reconciler.errors import PlanError
from reconciler.plan.guard import Pool, breaches, held, split
from reconciler.plan.model import Change, Plan
from reconciler.records import AbsenceKind
from reconciler.render import render_json, render_markdown, render_text
from reconciler.spec import SafetySettings
from tests.factories import Company, Sent, make_spec

SAFETY = SafetySettings(max_change_percent=30, min_owned=10, min_changes=1)
ABSENCE = {"absence_kind": "holiday", "am": True, "pm": True, "comment": "[reconcile] Personio absence p1"}


DIRECTIONS = {"moco": ("absences_to_moco", "absence"), "personio": ("hours_to_personio", "attendance")}


def delete(system: str = "moco", day: int = 1) -> Change:
    direction, kind = DIRECTIONS[system]
    return Change("delete", direction, system, kind, "jane@acme.example", "jane@acme.example",
                  date(2026, 3, day), before=ABSENCE, target=day)


def pools(owned: dict[str, tuple[str, int]]) -> tuple[Pool, ...]:
    """The guard's pools of records owned, one per system (its one direction's kind)."""
    return tuple(Pool(system, service, DIRECTIONS[system][1], count, (DIRECTIONS[system][0],))
                 for system, (service, count) in owned.items())


@pytest.mark.parametrize(("deleted", "owned", "unsafe"), [
    (3, 10, False),  # 30 % is still allowed
    (4, 10, True),
    (9, 9, False),  # fewer than min_owned: a new or small company is never stopped
    (0, 0, False),
])
def test_the_share_and_the_floor(deleted, owned, unsafe):
    found = breaches([delete(day=d + 1) for d in range(deleted)], pools({"moco": ("MOCO", owned)}), SAFETY)
    assert bool(found) is unsafe


def test_each_system_is_judged_on_its_own():
    found = breaches([delete("moco", d + 1) for d in range(4)],
                     pools({"moco": ("MOCO", 100), "personio": ("Personio", 10)}), SAFETY)
    assert found == ()
    (breach,) = breaches([delete("personio", d + 1) for d in range(4)],
                         pools({"moco": ("MOCO", 100), "personio": ("Personio", 10)}), SAFETY)
    assert str(breach) == ("this run would delete 4 and update 0 of the 10 records reconcile owns in Personio (40 %; "
                           "the limit is 30 %, safety.max_change_percent)")


@pytest.fixture
def synced_company():
    """Twelve synced vacation days of one person, as a first apply leaves them."""
    company = Company()
    _, person = company.person("jane@acme.example")
    company.period(person, "t-vac", "2026-12-01", "2026-12-16")
    company.apply(company.plan(scope=("absences_to_moco",)))
    assert len(company.absences) == 12
    return company


def test_an_empty_answer_from_personio_is_a_breach_in_every_format(synced_company):
    synced_company.periods.clear()  # a revoked scope or an outage: Personio lists nothing
    plan = synced_company.plan()
    (breach,) = plan.guard
    assert (breach.system, breach.owned, breach.deletes) == ("moco", 12, 12)
    assert "! Mass-change guard: this run would delete 12 and update 0 of the 12 records reconcile owns in MOCO " \
           "(100 %" in render_text(plan)
    assert "> ⚠️ **Mass-change guard**: this run would delete 12" in render_markdown(plan)
    assert json.loads(render_json(plan))["guard"] == [
        {"system": "moco", "kind": "absence", "owned": 12, "update": 0, "delete": 12, "percent": 100.0,
         "limit_percent": 30}]
    assert json.loads(render_json(plan))["held"] == [
        {"direction": "absences_to_moco", "system": "moco", "count": 12, "share": 100.0, "threshold": 30}]
    assert "(100 %; the limit is 30 %, safety.max_change_percent). `reconcile apply` holds the 12 changes in MOCO " \
           "(absences_to_moco) unless --force.\n" in render_text(plan)
    assert "`reconcile apply` holds the 12 changes in MOCO (absences_to_moco) unless --force." in render_markdown(plan)


def test_a_breach_holds_that_systems_changes_and_the_rest_goes_ahead():
    """Issue 20: a breach in MOCO held every change of the run, Personio's too."""
    owned = pools({"moco": ("MOCO", 10), "personio": ("Personio", 10)})
    hours = dataclasses.replace(delete("personio", 20), direction="hours_to_personio", kind="attendance",
                                before={"start": "08:00", "end": "12:00", "comment": "[reconcile] MOCO presence 1"})
    changes = (*[delete("moco", d + 1) for d in range(4)], hours)
    plan = Plan(changes=changes, guard=breaches(changes, owned, SAFETY), scope=("absences_to_moco", "hours_to_personio"))
    going, held_back = split(plan)
    assert going == (hours,) and held_back == changes[:4]
    assert [str(part) for part in held(plan)] == [
        "absences_to_moco in MOCO: 4 changes held (40 % of the records reconcile owns there; the limit is 30 %)"]
    assert "the other changes go ahead" in render_text(plan)
    assert held(Plan(changes=(hours,), guard=breaches((hours,), owned, SAFETY))) == ()  # 10 %: nothing held


def test_a_run_changing_fewer_than_min_changes_is_never_stopped():
    """The rerun after a first sync killed midway: 6 of 11 owned records, but only 6 changes."""
    safety = SafetySettings(max_change_percent=30, min_owned=10, min_changes=10)
    assert breaches([delete(day=d + 1) for d in range(6)], pools({"moco": ("MOCO", 11)}), safety) == ()
    assert breaches([delete(day=d + 1) for d in range(10)], pools({"moco": ("MOCO", 20)}), safety)


def test_a_threshold_from_the_spec(synced_company):
    synced_company.periods.clear()
    assert not synced_company.plan(make_spec("safety: {max_change_percent: 100}\n")).guard
    assert not synced_company.plan(make_spec("safety: {min_owned: 13}\n")).guard


def test_routine_changes_pass(synced_company):
    synced_company.periods[0] = synced_company.periods[0].__class__(
        **{**synced_company.periods[0].__dict__, "last_day": date(2026, 12, 15)})  # one day shorter
    plan = synced_company.plan()
    assert plan.summary["delete"] == 1 and not plan.guard


def test_a_typo_in_a_type_name_stops_the_plan_instead_of_deleting(synced_company):
    spec = make_spec(types="    Paid vacaton: holiday\n    Sick leave: sick_day\n")
    with pytest.raises(PlanError, match=r"absences.types\['Paid vacaton'\] matches no Personio absence type \(did "
                                        r"you mean 'Paid vacation'\?\); without a mapping the plan would delete "
                                        r"synced MOCO absences \(12 of 'Paid vacation'\)"):
        synced_company.plan(spec)


def test_a_type_taken_out_of_the_mapping_on_purpose_deletes_with_the_guard_only(synced_company):
    spec = make_spec(types="    Sick leave: sick_day\n")
    plan = synced_company.plan(spec)
    assert plan.summary["delete"] == 12 and plan.guard  # no typo: a plain breach, --force goes ahead
    assert all(a.kind is AbsenceKind.HOLIDAY for a in synced_company.absences)


def update(day: int) -> Change:
    return Change("update", "absences_to_moco", "moco", "absence", "jane@acme.example", "jane@acme.example",
                  date(2026, 3, day), before=ABSENCE, after={**ABSENCE, "am": False}, target=day,
                  send=Sent({"am": False}))


def test_a_run_scoped_to_what_changed_counts_its_deletes_but_not_the_updates_the_changes_ask_for():
    """An incremental or targeted run reads the days that changed: every record there may be due an update
    (20 presences edited in MOCO: 20 of the 20 owned records read), which must not stop it; deletions still do."""
    owned = pools({"moco": ("MOCO", 20)})
    edited = [update(d + 1) for d in range(20)]
    assert breaches(edited, owned, SAFETY) != ()  # the same updates in a full run's scope would be a breach
    assert breaches(edited, owned, SAFETY, frozenset({"absences_to_moco"})) == ()
    emptied = [delete(day=d + 1) for d in range(20)]  # an empty answer in that scope
    (breach,) = breaches(emptied, owned, SAFETY, frozenset({"absences_to_moco"}))
    assert (breach.deletes, breach.updates) == (20, 0)
    assert breaches(edited, owned, SAFETY, frozenset({"hours_to_personio"})) != ()  # another direction's scope


def test_deletions_a_webhook_reported_are_not_counted():
    """serve's targeted run after 20 presences were deleted in MOCO: the periods that follow them go, and
    the guard does not count those (the webhooks said so, and the run's own read confirmed it)."""
    owned = pools({"moco": ("MOCO", 20)})
    gone = [dataclasses.replace(delete(day=d + 1), source=f"Personio absence p{d}") for d in range(20)]
    assert breaches(gone, owned, SAFETY) != ()
    reported = frozenset(f"Personio absence p{d}" for d in range(20))
    assert breaches(gone, owned, SAFETY, announced=reported) == ()
    (breach,) = breaches(gone, owned, SAFETY, announced=frozenset(list(reported)[:10]))  # ten more than reported
    assert breach.deletes == 10
