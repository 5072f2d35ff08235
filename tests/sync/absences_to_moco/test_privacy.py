"""Health data stays in the two systems: which changes are sensitive, and what shared outputs show of them."""

from __future__ import annotations

import json

from reconciler.plan.planfile import compare_with_saved, load_saved_plan, save_plan
from reconciler.plan.privacy import Shown, seal, seal_key, shared_plan_json
from reconciler.records import AbsenceKind
from reconciler.render import render_json, render_markdown, render_text
from reconciler.sync import registry
from tests.factories import make_spec

KEY = seal_key(["moco-key", "client-id", "client-secret"])


def company_with_a_sick_week(company):
    user, person = company.person("jane@acme.example")
    _, max_ = company.person("max@acme.example")
    company.period(person, "t-sick", "2026-12-07", "2026-12-09")  # sick Monday to Wednesday
    company.period(max_, "t-vac", "2026-12-07", "2026-12-07")
    stale = company.period(person, "t-sick", "2026-12-14", "2026-12-14", status="CANCELLED")
    company.absence(user, "2026-12-14", AbsenceKind.SICK_DAY, period=stale)  # synced, now cancelled: deleted
    company.absence(user, "2026-12-15", AbsenceKind.SICK_DAY, comment="entered by hand")
    company.period(person, "t-vac", "2026-12-15", "2026-12-15")  # a holiday on a hand-made sick day: conflict
    return company.plan(scope=("absences_to_moco",))


def test_changes_and_conflicts_of_a_sensitive_kind_are_marked(company):
    plan = company_with_a_sick_week(company)
    marked = {(c.person, c.date.isoformat(), c.action) for c in plan.changes if c.sensitive}
    assert marked == {("jane@acme.example", "2026-12-07", "create"), ("jane@acme.example", "2026-12-08", "create"),
                      ("jane@acme.example", "2026-12-09", "create"), ("jane@acme.example", "2026-12-14", "delete")}
    assert [c.sensitive for c in plan.changes if c.person == "max@acme.example"] == [False]
    assert [c.sensitive for c in plan.conflicts] == [True]
    neutral = company.plan(make_spec("privacy: {sensitive_kinds: []}\n"), scope=("absences_to_moco",))
    assert not any(c.sensitive for c in neutral.changes + neutral.conflicts)


def test_the_kinds_are_the_specs(company):
    user, person = company.person("jane@acme.example")
    company.period(person, "t-train", "2026-12-07", "2026-12-07")  # training maps to the neutral "absence"
    spec = make_spec("privacy:\n  sensitive_kinds: [sick_day, absence]\n")
    assert [c.sensitive for c in company.plan(spec, scope=("absences_to_moco",)).changes] == [True]


def test_markdown_and_a_text_plan_in_a_log_list_no_sick_day(company):
    plan = company_with_a_sick_week(company)
    for shared in (render_markdown(plan), render_text(plan, redact=True)):
        assert "sick" not in shared.lower() and "Sick leave" not in shared
        assert "2026-12-07" in shared and "max@acme.example" in shared  # max's holiday is listed
        assert "2026-12-08" not in shared and "2026-12-14" not in shared and "2026-12-15" not in shared
        assert "4 changes and 1 conflict concern absences of a sensitive kind" in shared
        assert "4 to add, 0 to change, 1 to destroy" in shared  # the totals still count the sick days
    full = render_text(plan)
    assert full.count("sick_day") >= 5 and "sensitive kind" not in full
    assert json.loads(render_json(plan))["changes"][0]["sensitive"] is True  # stdout JSON: full detail


def test_warnings_that_name_people_beside_a_type_are_shared_without_the_people(company):
    user, person = company.person("jane@acme.example")
    company.period(person, "t-parental", "2026-12-07", "2026-12-08")  # unmapped
    company.period(person, "t-sick", "2026-12-09", "2026-12-10")
    company.period(person, "t-vac", "2026-12-10", "2026-12-10")  # overlaps the sick leave
    plan = company.plan(scope=("absences_to_moco",))
    text = render_text(plan)
    assert "'Parental leave' is not in absences.types: 1 approved absence skipped (jane@acme.example)" in text
    assert "jane@acme.example: approved 'Sick leave' and 'Paid vacation' overlap on 2026-12-10" in text
    shared = render_markdown(plan)
    assert "'Parental leave' is not in absences.types: 1 approved absence skipped (1 person)" in shared
    assert "approved absences of two types overlap on 1 day of one person, one of a sensitive kind" in shared
    assert "jane" not in "\n".join(line for line in shared.splitlines() if "overlap" in line or "Parental" in line)


def test_the_plan_file_seals_sensitive_changes_and_apply_still_sees_every_difference(company, tmp_path):
    plan = company_with_a_sick_week(company)
    path = tmp_path / "plan.json"
    save_plan(plan, path, KEY)
    text = path.read_text()
    assert "sick" not in text.lower() and "2026-12-08" not in text and "2026-12-15" not in text
    data = json.loads(text)
    assert data["withheld"] == {"changes": 4, "conflicts": 1}
    assert data["summary"] == plan.summary
    saved = load_saved_plan(path, registry)
    assert compare_with_saved(saved, plan, KEY) == []
    # Personio shortens the sick leave by a day: only a sealed change differs, and it is seen.
    shortened = [c for c in plan.changes if not (c.sensitive and c.date.isoformat() == "2026-12-09")]
    fresh = type(plan)(changes=tuple(shortened), scope=plan.scope)
    assert compare_with_saved(saved, fresh, KEY) == [
        "  only in the saved plan: create moco absence of a sensitive kind (person and date sealed)"]
    # Without the credentials' key, the seals cannot be matched, nor guessed at.
    other = seal_key(["moco-key", "client-id", "rotated"])
    assert len(compare_with_saved(saved, plan, other)) == 8
    assert seal(plan.changes[0], KEY)["sealed"] != seal(plan.changes[0], other)["sealed"]


def test_shown_counts_what_it_withholds(company):
    plan = company_with_a_sick_week(company)
    shown = Shown.of(plan, redact=True)
    assert (shown.withheld_changes, shown.withheld_conflicts) == (4, 1)
    assert [person for person, _ in shown.people()] == ["max@acme.example"]
    assert Shown.of(plan, redact=False).withheld() == ""
    assert shared_plan_json(plan, KEY)["fingerprint"] != plan.fingerprint()  # not a hash of the sick days
