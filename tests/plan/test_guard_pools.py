"""The mass-change guard's pools: records are judged per system and kind (MOCO absences, which absences and
holidays both write; MOCO users, which the employee lifecycle archives), and a breach holds only its pool's
directions. The lifecycle's archivals count against the people matched, from three archivals on, in every kind
of run."""

from __future__ import annotations

import json
from datetime import date

import pytest

from reconciler.plan.guard import Breach, GuardRefused, Pool, breaches, held, split
from reconciler.plan.model import Change, Plan
from reconciler.plan.scope import Subset
from reconciler.plan.snapshot import Snapshot
from reconciler.records import MocoUnit, Person, PersonioEmployment
from reconciler.render import render_json, render_text
from reconciler.spec import SafetySettings
from reconciler.sync import registry, sources
from reconciler.sync.build import build_plan
from reconciler.sync.people_to_moco.apply import Archive, NewUser
from tests.factories import TODAY, Company, Sent, make_spec

SAFETY = SafetySettings(max_change_percent=30, min_owned=10, min_changes=10)  # the spec's defaults
ABSENCE = {"absence_kind": "holiday", "am": True, "pm": True, "comment": "[reconcile] Personio absence p1"}
ABSENCES = Pool("moco", "MOCO", "absence", 10, ("absences_to_moco", "holidays_to_moco"))


def users_pool(owned: int) -> Pool:
    return Pool("moco", "MOCO", "user", owned, ("people_to_moco",), lifecycle=3)


def delete(direction: str, day: int) -> Change:
    return Change("delete", direction, "moco", "absence", "jane@acme.example", "jane@acme.example",
                  date(2026, 12, day), before=ABSENCE, target=day)


def archive(n: int) -> Change:
    return Change("update", "people_to_moco", "moco", "user", f"u{n}@acme.example", f"u{n}@acme.example", TODAY,
                  before={"active": True}, after={"active": False}, target=n, send=Archive(n, date(2026, 11, 24), ()),
                  source=f"Personio person p{n}")


def create(n: int) -> Change:
    send = NewUser("New", f"Hire {n}", f"new{n}@acme.example", 1, False, ("reconcile:personio",), None)
    return Change("create", "people_to_moco", "moco", "user", send.email, send.email, TODAY,
                  after={"email": send.email}, send=send, source=f"Personio person n{n}")


# ----------------------------------------------------------------------------- pools, directly


def test_absences_and_holidays_share_one_pool_of_moco_absences():
    """Two of each is four of the ten absences reconcile owns in MOCO: a breach holding both directions."""
    changes = [delete("absences_to_moco", 1), delete("absences_to_moco", 2), delete("holidays_to_moco", 3),
               delete("holidays_to_moco", 4)]
    safety = SafetySettings(max_change_percent=30, min_owned=10, min_changes=1)
    (breach,) = breaches(changes, [ABSENCES, users_pool(6)], safety)
    assert (breach.kind, breach.owned, breach.deletes) == ("absence", 10, 4)
    assert set(breach.directions) == {"absences_to_moco", "holidays_to_moco"}
    plan = Plan(changes=tuple(changes), guard=(breach,), scope=("absences_to_moco", "holidays_to_moco"))
    assert split(plan) == ((), tuple(changes))
    assert {part.direction for part in held(plan)} == {"absences_to_moco", "holidays_to_moco"}


def test_a_breach_of_moco_users_holds_only_the_lifecycle_and_absences_go_ahead():
    absences = [delete("absences_to_moco", 1)]
    archivals = [archive(n) for n in range(4)]
    changes = (*absences, *archivals)
    guard = breaches(changes, [ABSENCES, users_pool(6)], SAFETY)
    assert [breach.kind for breach in guard] == ["user"]
    plan = Plan(changes=changes, guard=guard, scope=("absences_to_moco", "people_to_moco"))
    going, holding = split(plan)
    assert list(going) == absences and list(holding) == archivals
    (part,) = held(plan)
    assert (part.direction, part.system, part.count) == ("people_to_moco", "moco", 4)


@pytest.mark.parametrize(("archived", "matched", "unsafe"), [
    pytest.param(4, 6, True, id="4-of-6"),
    pytest.param(3, 6, True, id="3-of-6"),
    pytest.param(2, 6, False, id="2-of-6-under-the-floor"),
    pytest.param(1, 1, False, id="the-only-one"),
    pytest.param(3, 20, False, id="3-of-20-under-the-share"),
    pytest.param(7, 20, True, id="7-of-20"),
])
def test_archivals_are_judged_against_the_people_matched_from_three_on(archived, matched, unsafe):
    """Not safety.min_owned (10) nor min_changes (10): four of six leaving at once is stopped."""
    found = breaches([archive(n) for n in range(archived)], [users_pool(matched)], SAFETY)
    assert bool(found) is unsafe


def test_the_breach_says_how_many_users_it_would_archive():
    (breach,) = breaches([archive(n) for n in range(4)], [users_pool(6)], SAFETY)
    assert str(breach) == ("this run would archive 4 of the 6 MOCO users reconcile matches with Personio (67 %; the "
                           "limit is 30 %, safety.max_change_percent)")
    assert breach.to_json() == {"system": "moco", "kind": "user", "owned": 6, "update": 4, "delete": 0,
                                "percent": 66.7, "limit_percent": 30}


def test_creates_are_never_counted():
    assert breaches([create(n) for n in range(10)], [users_pool(6)], SAFETY) == ()
    assert breaches([*[create(n) for n in range(10)], archive(1), archive(2)], [users_pool(6)], SAFETY) == ()


def test_archivals_count_even_in_a_run_scoped_to_what_changed():
    """An archival is never what a change asks for: an incremental run's archivals count as a full run's do
    (unlike the updates of a direction of records)."""
    scoped = frozenset({"people_to_moco"})
    assert breaches([archive(n) for n in range(4)], [users_pool(6)], SAFETY, by_changes=scoped)
    updates = [Change("update", "absences_to_moco", "moco", "absence", "j@acme.example", "j@acme.example",
                      date(2026, 12, day), before=ABSENCE, after=ABSENCE, target=day, send=Sent({}))
               for day in range(1, 11)]
    assert breaches(updates, [ABSENCES], SAFETY, by_changes=frozenset({"absences_to_moco"})) == ()


def test_a_refused_apply_of_archivals_says_what_it_looks_like():
    guard = breaches([archive(n) for n in range(4)], [users_pool(6)], SAFETY)
    plan = Plan(changes=tuple(archive(n) for n in range(4)), guard=guard, scope=("people_to_moco",))
    message = str(GuardRefused(make_spec(), plan))
    assert "the 4 changes of people_to_moco in MOCO" in message
    assert "Many leavers at once in Personio" in message and "a wrong status there" in message
    assert "absences.types" not in message


# ----------------------------------------------------------------------------- through build_plan


PEOPLE = make_spec("people: {create_in_moco: false, archive_in_moco: true, welcome_email: false, "
                   "unit: {default: Team 1}}\n")


def company_with_leavers(leaving: int, staying: int) -> tuple[Company, list[PersonioEmployment]]:
    company = Company()
    ended = []
    for n in range(leaving):
        _, person = company.person(f"left{n}@acme.example", active=False)
        ended.append(PersonioEmployment(f"e{n}", person.id, date(2020, 1, 1), date(2026, 11, 20), 40.0, None,
                                        frozenset({"start_date", "termination_date"})))
    for n in range(staying):
        company.person(f"stays{n}@acme.example")
    return company, ended


def snapshot(company: Company, spec, leavers: list[PersonioEmployment], hires=()) -> Snapshot:
    """What the run reads: the absences' lists through the real fetch code, and the lifecycle's beside them."""
    read = company.snapshot(registry.select(("absences_to_moco",)), spec)
    return Snapshot(read.today, {**read.lists, sources.PERSONIO_LEAVERS.name: tuple(leavers),
                                 sources.PERSONIO_HIRES.name: tuple(hires),
                                 sources.MOCO_UNITS.name: (MocoUnit(1, "Team 1"),),
                                 sources.MOCO_EMPLOYMENTS.name: tuple(company.employments)})


def plan_of(company: Company, spec, leavers, hires=()) -> Plan:
    directions = registry.select(("absences_to_moco", "people_to_moco"))
    return build_plan(spec, snapshot(company, spec, leavers, hires), directions, partial=True)


def test_four_of_six_leaving_is_held_in_the_plan_with_the_run_s_hire_and_the_absences_go_ahead():
    company, ended = company_with_leavers(4, 2)
    stays = next(p for p in company.persons if p.email == "stays0@acme.example")
    company.period(stays, "t-vac", "2026-12-01", "2026-12-02")
    new = Person("new", "new@acme.example", "New", "Hire", True)  # a name: MOCO requires one
    company.persons.append(new)
    hired = PersonioEmployment("e-new", new.id, date(2026, 11, 2), None, 40.0, None, frozenset({"start_date"}))
    spec = make_spec("people: {create_in_moco: true, archive_in_moco: true, welcome_email: false, "
                     "unit: {default: Team 1}}\n")
    plan = plan_of(company, spec, ended, [hired])
    assert plan.summary["create"] == 3 and plan.summary["update"] == 4  # two absences and the hire; 4 archivals
    (breach,) = plan.guard
    assert isinstance(breach, Breach) and breach.kind == "user"
    assert str(breach) == ("this run would archive 4 of the 6 MOCO users reconcile matches with Personio (67 %; the "
                           "limit is 30 %, safety.max_change_percent)")
    assert json.loads(render_json(plan))["guard"] == [
        {"system": "moco", "kind": "user", "owned": 6, "update": 4, "delete": 0, "percent": 66.7, "limit_percent": 30}]
    going, holding = split(plan)
    assert {c.direction for c in going} == {"absences_to_moco"} and len(going) == 2
    assert {c.direction for c in holding} == {"people_to_moco"}
    assert sorted(c.action for c in holding) == ["create", "update", "update", "update", "update"]
    assert "this run would archive 4 of the 6 MOCO users" in render_text(plan)


@pytest.mark.parametrize(("leaving", "staying"), [(2, 4), (3, 17)])
def test_a_few_leavers_go_ahead(leaving, staying):
    company, ended = company_with_leavers(leaving, staying)
    plan = plan_of(company, PEOPLE, ended)
    assert plan.summary["update"] == leaving and plan.guard == ()


def test_an_absence_breach_holds_the_absences_and_an_archival_goes_ahead():
    company, ended = company_with_leavers(1, 1)
    spec = make_spec("people: {create_in_moco: false, archive_in_moco: true, welcome_email: false, "
                     "unit: {default: Team 1}}\nsafety: {min_owned: 1, min_changes: 1}\n")
    stays = next(p for p in company.persons if p.email == "stays0@acme.example")
    company.period(stays, "t-vac", "2026-12-01", "2026-12-04")
    company.apply(build_plan(spec, company.snapshot(registry.select(("absences_to_moco",)), spec),
                             registry.select(("absences_to_moco",)), partial=True))
    assert len(company.absences) == 4
    company.periods.clear()  # Personio lists no absence: an empty answer
    plan = plan_of(company, spec, ended)
    (breach,) = plan.guard
    assert (breach.kind, breach.deletes) == ("absence", 4)
    going, holding = split(plan)
    assert [c.direction for c in going] == ["people_to_moco"]
    assert {c.direction for c in holding} == {"absences_to_moco"}


@pytest.mark.parametrize("scoped", ["user", "targeted"])
def test_archivals_in_a_run_scoped_to_the_leavers_are_judged_against_everyone_matched(scoped):
    company, ended = company_with_leavers(3, 47)
    directions = registry.select(("people_to_moco",))
    read = snapshot(company, PEOPLE, ended)
    assert build_plan(PEOPLE, read, directions, partial=True).guard == ()  # the full run: 3 of 50
    leavers = Subset(users=tuple(f"left{n}@acme.example" for n in range(3)))
    if scoped == "user":
        plan = build_plan(PEOPLE, read, directions, partial=True, subset=leavers)
    else:
        plan = build_plan(PEOPLE, read, directions, partial=True, scopes={"people_to_moco": leavers})
    assert plan.summary["update"] == 3
    assert plan.guard == ()
