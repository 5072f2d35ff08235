"""Scoped plans (--user, --from, --to) and plans against a base spec (--base-spec), on a company in a few lines."""

from __future__ import annotations

from datetime import date

import pytest

from reconciler.errors import PlanError
from reconciler.plan.base import against_base
from reconciler.plan.model import Subset
from reconciler.render import render_markdown, render_text
from reconciler.sync import registry
from reconciler.sync.build import build_plan
from tests.factories import make_spec

OVERRIDE = "users:\n  overrides:\n    - {personio: Max.Mustermann@ACME.example, moco: max@acme.example}\n"


@pytest.fixture
def two_people(company):
    jane_user, jane = company.person("jane@acme.example")
    max_user, max_ = company.person("Max.Mustermann@ACME.example", moco_email="max@acme.example")
    company.period(jane, "t-vac", "2026-12-07", "2026-12-08")
    company.period(jane, "t-train", "2026-12-14", "2026-12-14")
    company.period(max_, "t-vac", "2026-12-09", "2026-12-09")
    company.period(max_, "t-train", "2026-12-21", "2026-12-21")
    return company


def scoped(company, subset, spec=None):
    spec = spec or make_spec(OVERRIDE)
    directions = registry.select(("absences_to_moco",))
    return build_plan(spec, company.snapshot(directions, spec), directions, partial=True, subset=subset)


def test_a_user_scope_plans_that_person_only_by_either_email(two_people):
    plan = scoped(two_people, Subset(users=("max.mustermann@acme.example",)))
    assert {c.person for c in plan.changes} == {"max@acme.example"} and len(plan.changes) == 2
    assert plan.partial and plan.subset.users == ("max.mustermann@acme.example",)
    assert scoped(two_people, Subset(users=("MAX@acme.example",))).changes == plan.changes
    assert not plan.warnings  # nobody else's records read as left behind


def test_a_day_scope_plans_those_days_only_and_deletes_nothing_outside_them(two_people):
    user = two_people.users[0]
    two_people.absence(user, "2026-12-22", two_people_kind(), comment="[reconcile] Personio absence gone")
    plan = scoped(two_people, Subset(start=date(2026, 12, 8), end=date(2026, 12, 14)))
    assert [(c.person, c.date.isoformat()) for c in plan.changes] == [
        ("jane@acme.example", "2026-12-08"), ("jane@acme.example", "2026-12-14"), ("max@acme.example", "2026-12-09")]
    assert "partial plan: only absences Personio → MOCO; days 2026-12-08 to 2026-12-14" in render_text(plan)
    everything = scoped(two_people, Subset())
    assert ("delete", "2026-12-22") in {(c.action, c.date.isoformat()) for c in everything.changes}


def two_people_kind():
    from reconciler.records import AbsenceKind

    return AbsenceKind.HOLIDAY


def test_days_outside_the_window_leave_a_note_not_an_error(two_people):
    plan = scoped(two_people, Subset(start=date(2030, 1, 1)))
    assert not plan.changes and any("no day of its window is within --from/--to" in n for n in plan.notes)


@pytest.mark.parametrize(("email", "why"), [
    ("nobody@acme.example", "matches nobody in MOCO or Personio"),
    ("only@acme.example", "is only in Personio"),
])
def test_a_user_who_is_not_synced_is_an_error_that_says_why(two_people, email, why):
    two_people.person("only@acme.example", in_moco=False)
    with pytest.raises(PlanError, match=f"--user {email}: {why}"):
        scoped(two_people, Subset(users=(email,)))


def test_against_the_base_spec_each_change_says_whether_the_spec_change_causes_it(two_people):
    base_spec = make_spec(OVERRIDE)
    new_spec = make_spec(OVERRIDE, types="    Paid vacation: holiday\n    Sick leave: sick_day\n    Training: holiday\n")
    directions = registry.select(("absences_to_moco",))
    snapshot = two_people.snapshot(directions, new_spec)
    new, base = (build_plan(spec, snapshot, directions) for spec in (new_spec, base_spec))
    plan = against_base(new, base, "base.yaml")
    caused = [(c.date.isoformat(), c.after["absence_kind"]) for i, c in enumerate(plan.changes) if plan.causes[i] == "spec"]
    assert caused == [("2026-12-14", "holiday"), ("2026-12-21", "holiday")]  # training now a holiday
    assert plan.causes.count("routine") == 3  # the vacations: made with either spec
    assert [(c.date.isoformat(), c.after["absence_kind"]) for c in plan.dropped] == [
        ("2026-12-14", "absence"), ("2026-12-21", "absence")]
    assert plan.to_json()["by_cause"]["spec"] == {"create": 2, "update": 0, "delete": 0}
    text, markdown = render_text(plan), render_markdown(plan)
    assert text.index("── Caused by the spec change") < text.index("2026-12-14") < text.index("── Routine sync")
    assert "No longer made (the base spec base.yaml would make them): 2 to add" in text
    assert markdown.index("#### Caused by the spec change") < markdown.index("| person | add |")
    assert "- **Caused by the spec change: 2 to add, 0 to change, 0 to destroy**" in markdown
    same = against_base(new, new, "base.yaml")
    assert set(same.causes) == {"routine"} and not same.dropped


def test_a_long_routine_sync_never_crowds_out_what_the_spec_change_causes(company):
    for number in range(60):
        _, person = company.person(f"p{number:02}@acme.example")
        company.period(person, "t-vac", "2026-12-01", "2026-12-31")
    _, trainee = company.person("zz-trainee@acme.example")
    company.period(trainee, "t-train", "2026-12-14", "2026-12-14")
    new_spec = make_spec(types="    Paid vacation: holiday\n    Training: holiday\n")
    directions = registry.select(("absences_to_moco",))
    snapshot = company.snapshot(directions, new_spec)
    plan = against_base(build_plan(new_spec, snapshot, directions), build_plan(make_spec(), snapshot, directions),
                        "base.yaml")
    markdown = render_markdown(plan, limit=20_000)
    assert len(markdown) <= 20_000 and "zz-trainee@acme.example</code>" in markdown
    assert "the details routine sync, made with either spec of" in markdown
