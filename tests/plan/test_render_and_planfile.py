"""Renderers over one Plan, and the saved PLANFILE."""

from __future__ import annotations

import json
import os
import stat
from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest

from reconciler.errors import ReconcileError
from reconciler.plan.model import Change, Conflict, Plan, PlannedPart, Removal, merge
from reconciler.plan.planfile import compare_with_saved, load_saved_plan, save_plan
from reconciler.render import render_json, render_markdown, render_text
from reconciler.sync import registry
from tests.factories import Sent

ABSENCE = {"absence_kind": "holiday", "am": True, "pm": True, "comment": "[reconcile] Personio absence p1"}
SEND = {"absence_code": 4, "am": True, "pm": True, "comment": "[reconcile] Personio absence p1"}
KEY = b"the seal key of the credentials"


def absence(action, user, day, **fields):
    return Change(action, "absences_to_moco", "moco", "absence", user, user, day, **fields)


PLAN = merge([PlannedPart(
    changes=(
        absence("create", "jane@acme.example", date(2026, 3, 2), after=ABSENCE,
                send=Sent({"user_id": 1, "date": "2026-03-02", **SEND}), reason="Paid vacation in Personio",
                source="Personio absence p1"),
        absence("update", "jane@acme.example", date(2026, 2, 27),
                before={**ABSENCE, "absence_kind": "unplannable", "pm": False, "comment": "by | hand"}, after=ABSENCE,
                send=Sent(SEND), reason="replaces a hand-made “not plannable” absence", target=7),
        absence("delete", "max@acme.example", date(2026, 4, 10), before=ABSENCE, reason="no longer in Personio",
                target=8),
    ),
    conflicts=(Conflict("absences_to_moco", "moco", "absence", "mia@acme.example", "mia@acme.example",
                        date(2026, 3, 3), "hand-made MOCO absence; left alone"),),
    warnings=("Personio person nina@acme.example has no MOCO user",),
    notes=("absences Personio → MOCO from 2026-01-01 to 2027-01-01",),
)], scope=("absences_to_moco", "hours_to_personio"))
# An update that also removes a surplus synced copy of the day: two records destroyed in all.
SURPLUS = Plan(changes=(
    absence("update", "max@acme.example", date(2026, 4, 10), before={**ABSENCE, "pm": False}, after=ABSENCE,
            send=Sent(SEND), target=8, removes=(Removal(9, {**ABSENCE, "absence_kind": "sick_day"}),),
            reason="changed in Personio: afternoon; removes 1 more record on this day"),
    absence("delete", "max@acme.example", date(2026, 4, 13), before=ABSENCE, target=10,
            removes=(Removal(11, ABSENCE),), reason="no longer in Personio"),
), scope=("absences_to_moco",))


def test_text_groups_by_person_with_symbols_and_ends_with_totals():
    text = render_text(PLAN)
    lines = text.splitlines()
    assert lines[-1] == "Plan: 1 to add, 1 to change, 1 to destroy."
    jane = lines.index("jane@acme.example")
    assert lines[jane + 1].startswith("  ~ 2026-02-27  MOCO absence")
    assert "unplannable, morning → holiday, full day" in lines[jane + 1]
    assert lines[jane + 2].startswith("  + 2026-03-02  MOCO absence") and "holiday, full day" in lines[jane + 2]
    assert any(line.startswith("  - 2026-04-10  MOCO absence") for line in lines)
    assert "  ! mia@acme.example 2026-03-03: hand-made MOCO absence; left alone" in lines
    assert "  * Personio person nina@acme.example has no MOCO user" in lines
    assert "\x1b[" not in text  # no colour unless asked


def test_text_in_colour_paints_the_symbols():
    assert "\x1b[32m" in render_text(PLAN, color=True)


def test_text_of_an_empty_plan_says_so():
    text = render_text(Plan())
    assert "No changes." in text and text.rstrip().endswith("Plan: 0 to add, 0 to change, 0 to destroy.")


def test_markdown_leads_with_the_summary_and_folds_each_person():
    md = render_markdown(PLAN)
    assert md.startswith("### reconcile plan: 1 to add, 1 to change, 1 to destroy\n")
    assert md.index("| jane@acme.example | 1 | 1 | 0 |") < md.index("<details><summary><code>jane@acme.example</code>")
    assert "⚠️ 1 conflict (left alone) · 1 warning" in md
    assert md.count("<details>") == md.count("</details>") == 4  # two people, conflicts, warnings
    assert "by | hand" not in md and "by \\| hand" not in md  # marker and hand-made comments stay out of the table
    assert md.rstrip().endswith("**Plan: 1 to add, 1 to change, 1 to destroy.**")


def test_markdown_escapes_pipes_in_cells():
    plan = Plan(changes=(absence("create", "a|b@x.example", date(2026, 1, 5), after=ABSENCE, send=Sent(SEND),
                                 reason="x | y"),))
    assert "a\\|b@x.example" in render_markdown(plan) and "x \\| y" in render_markdown(plan)


def test_json_is_the_contract_shape():
    data = json.loads(render_json(PLAN))
    assert data["format_version"] == "1"
    assert data["summary"] == {"create": 1, "update": 1, "delete": 1}
    create = next(c for c in data["changes"] if c["action"] == "create")
    assert create == {"action": "create", "system": "moco", "kind": "absence", "user": "jane@acme.example",
                      "date": "2026-03-02", "after": ABSENCE, "reason": "Paid vacation in Personio",
                      "source": "Personio absence p1", "person": "jane@acme.example",
                      "direction": "absences_to_moco", "send": {"user_id": 1, "date": "2026-03-02", **SEND}}
    delete = next(c for c in data["changes"] if c["action"] == "delete")
    assert delete["before"] == ABSENCE and delete["id"] == 8 and "send" not in delete and "removes" not in delete
    assert data["conflicts"] == [{"user": "mia@acme.example", "date": "2026-03-03",
                                  "reason": "hand-made MOCO absence; left alone", "system": "moco",
                                  "kind": "absence", "person": "mia@acme.example", "direction": "absences_to_moco"}]
    assert data["warnings"] == list(PLAN.warnings)


def test_fingerprint_depends_on_changes_only():
    assert PLAN.fingerprint() == Plan(changes=PLAN.changes).fingerprint()
    assert PLAN.fingerprint() != Plan(changes=PLAN.changes[:2]).fingerprint()


def test_fingerprint_covers_what_apply_sends_and_removes():
    update = SURPLUS.changes[0]
    other_user = replace(update, send=Sent({**update.send.to_json(), "comment": "[reconcile] Personio absence p2"}))
    fewer_removals = replace(update, removes=())
    for changed in (other_user, fewer_removals):
        assert Plan(changes=(changed,)).fingerprint() != Plan(changes=(update,)).fingerprint()


def test_a_surplus_copy_removed_by_a_change_counts_as_a_destroy_everywhere():
    assert SURPLUS.summary == {"create": 0, "update": 1, "delete": 3}
    text = render_text(SURPLUS).splitlines()
    assert text[-1] == "Plan: 0 to add, 1 to change, 3 to destroy."
    assert any(line.startswith("  - 2026-04-10  MOCO absence") and "sick_day, full day" in line
               and "surplus record on this day" in line for line in text)
    assert sum(line.startswith("  - 2026-04-13  MOCO absence") for line in text) == 2
    md = render_markdown(SURPLUS)
    assert md.startswith("### reconcile plan: 0 to add, 1 to change, 3 to destroy\n")
    assert "| max@acme.example | 0 | 1 | 3 |" in md and "sick_day, full day" in md
    data = json.loads(render_json(SURPLUS))
    assert data["summary"] == {"create": 0, "update": 1, "delete": 3}
    assert data["changes"][0]["removes"] == [{"id": 9, "before": {**ABSENCE, "absence_kind": "sick_day"}}]
    assert "also_delete" not in data["changes"][0]  # `removes` says it; plan files of 0.1 to 0.3 also had it


def test_a_plan_file_that_also_lists_removals_by_id_is_still_applied(tmp_path):
    """reconcile 0.1 to 0.3 wrote each change's removals twice, by id in `also_delete` too."""
    path = tmp_path / "plan.json"
    save_plan(SURPLUS, path, KEY)
    data = json.loads(path.read_text())
    for change in data["changes"]:
        change["also_delete"] = [removal["id"] for removal in change.get("removes", ())]
    path.write_text(json.dumps(data))
    assert compare_with_saved(load_saved_plan(path, registry), SURPLUS, KEY) == []
    fresh = replace(SURPLUS, changes=(replace(SURPLUS.changes[0], removes=(Removal(12, ABSENCE),)),
                                      SURPLUS.changes[1]))
    assert len(compare_with_saved(load_saved_plan(path, registry), fresh, KEY)) == 2


def test_a_saved_plan_that_removes_other_records_is_refused(tmp_path):
    path = tmp_path / "plan.json"
    save_plan(SURPLUS, path, KEY)
    fresh = replace(SURPLUS, changes=(replace(SURPLUS.changes[0], removes=(Removal(12, ABSENCE),)),
                                      SURPLUS.changes[1]))
    assert compare_with_saved(load_saved_plan(path, registry), fresh, KEY) == [
        "  only in the saved plan: update moco absence max@acme.example 2026-04-10",
        "  only in a fresh plan:   update moco absence max@acme.example 2026-04-10"]


def test_a_change_must_carry_what_apply_needs():
    with pytest.raises(ValueError):
        absence("create", "jane@acme.example", date(2026, 3, 2), after=ABSENCE)  # nothing to send
    with pytest.raises(ValueError):
        absence("update", "jane@acme.example", date(2026, 3, 2), after=ABSENCE, send=Sent(SEND))  # no target
    with pytest.raises(ValueError):
        absence("delete", "jane@acme.example", date(2026, 3, 2), before=ABSENCE, target=1, send=Sent(SEND))


def test_saved_plan_round_trip_and_comparison(tmp_path):
    path = tmp_path / "plan.json"
    save_plan(PLAN, path, KEY)
    saved = load_saved_plan(path, registry)
    assert saved.scope == ("absences_to_moco", "hours_to_personio")
    assert compare_with_saved(saved, PLAN, KEY) == []
    fewer = Plan(changes=PLAN.changes[1:])
    differences = compare_with_saved(saved, fewer, KEY)
    assert differences == ["  only in the saved plan: update moco absence jane@acme.example 2026-02-27"]
    changed = Plan(changes=(replace(PLAN.changes[1], after={**ABSENCE, "pm": False}),) + PLAN.changes[:1]
                   + PLAN.changes[2:])
    assert any(line.startswith("  only in a fresh plan:   create")
               for line in compare_with_saved(saved, changed, KEY))


def test_saving_is_atomic_and_leaves_no_temporary_files(tmp_path):
    save_plan(PLAN, tmp_path / "plan.json", KEY)
    save_plan(Plan(), tmp_path / "plan.json", KEY)
    assert [p.name for p in tmp_path.iterdir()] == ["plan.json"]
    assert json.loads((tmp_path / "plan.json").read_text())["changes"] == []


@pytest.mark.parametrize(("content", "message"), [
    ("[]", "is not a reconcile plan"),
    ('{"format_version": "1", "changes": [1]}', "must be a list of objects"),
    ('{"changes": []}', "format_version None"),
    ('{"format_version": "1", "changes": [], "scope": [["a"]]}', "must list some of absences_to_moco, "
                                                                 "holidays_to_moco, hours_to_personio, people_to_moco"),
    ('{"format_version": "1", "changes": [], "scope": ["payroll"]}', "no sync direction 'payroll'; there are: "
                                                                     "absences_to_moco, holidays_to_moco, "
                                                                     "hours_to_personio, people_to_moco, absences"),
])
def test_malformed_plan_files_are_refused_with_a_reason(tmp_path, content, message):
    path = tmp_path / "plan.json"
    path.write_text(content)
    with pytest.raises(ReconcileError, match=message):
        load_saved_plan(path, registry)


def test_missing_plan_file(tmp_path):
    with pytest.raises(ReconcileError, match="not found"):
        load_saved_plan(tmp_path / "nope.json", registry)


def test_a_plan_saved_before_directions_had_names_keeps_its_scope(tmp_path):
    path = tmp_path / "plan.json"
    path.write_text('{"format_version": "1", "changes": [], "scope": ["attendances"]}')
    assert load_saved_plan(path, registry).scope == ("hours_to_personio",)


def test_a_plan_file_from_before_typed_changes_is_refused_with_what_to_do(tmp_path):
    path = tmp_path / "plan.json"
    path.write_text(json.dumps({"format_version": "1", "generator": "reconcile 0.1.0", "scope": ["absences"],
                                "changes": [{"action": "create", "system": "moco", "kind": "absence",
                                             "user": "jane@acme.example", "date": "2026-03-02", "after": ABSENCE}]}))
    with pytest.raises(ReconcileError, match="written by an earlier reconcile \\(reconcile 0.1.0\\).*"
                                             "reconcile plan --out PLANFILE"):
        load_saved_plan(path, registry)


def test_a_plan_is_never_written_through_a_link(tmp_path):
    """Issue 20: a pull request that commits plan.json as a link could point a CI write anywhere, and the
    write replaced even a read-only target."""
    target = tmp_path / "elsewhere" / "authorized_keys"
    target.parent.mkdir()
    target.write_text("ssh-ed25519 AAAA the real key\n")
    target.chmod(0o444)
    link = tmp_path / "plan.json"
    link.symlink_to(target)
    with pytest.raises(ReconcileError, match=f"cannot write the plan to {link}: it is a symbolic link \\(to {target}\\)"):
        save_plan(PLAN, link, KEY)
    assert target.read_text() == "ssh-ed25519 AAAA the real key\n" and link.is_symlink()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["elsewhere", "plan.json"]  # no temporary file left


def test_a_read_only_plan_file_is_not_replaced(tmp_path):
    path = tmp_path / "plan.json"
    path.write_text("kept\n")
    path.chmod(0o444)
    with pytest.raises(ReconcileError, match=f"cannot write the plan to {path}: it is read-only"):
        save_plan(PLAN, path, KEY)
    assert path.read_text() == "kept\n"
    path.chmod(0o644)
    save_plan(PLAN, path, KEY)  # a writable one is replaced as before
    assert json.loads(path.read_text())["changes"]


@pytest.mark.parametrize("device", ["/dev/null", "/dev/full"])
def test_a_device_is_never_replaced(device):
    with pytest.raises(ReconcileError, match=f"cannot write the plan to {device}: it is not a regular file"):
        save_plan(PLAN, Path(device), KEY)
    assert Path(device).is_char_device()


def test_a_directory_is_refused_and_nothing_is_left_behind(tmp_path):
    with pytest.raises(ReconcileError, match="is not a regular file"):
        save_plan(PLAN, tmp_path, KEY)
    assert list(tmp_path.iterdir()) == []


def test_a_new_plan_file_gets_the_umasks_permissions(tmp_path):
    old = os.umask(0o027)
    try:
        save_plan(PLAN, tmp_path / "plan.json", KEY)
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "plan.json").stat().st_mode) == 0o640


def _big_plan(people: int, per_person: int) -> Plan:
    changes = tuple(absence("create", f"person{n:04}@acme.example", date(2026, 3, 2 + day % 20), after=ABSENCE,
                            send=Sent({"user_id": n, "date": "2026-03-02", **SEND}), reason="Paid vacation in Personio")
                    for n in range(people) for day in range(per_person))
    conflicts = tuple(Conflict("absences_to_moco", "moco", "absence", f"person{n:04}@acme.example",
                               f"person{n:04}@acme.example", date(2026, 3, 3), "hand-made MOCO absence; left alone")
                      for n in range(people // 2))
    return merge([PlannedPart(changes=changes, conflicts=conflicts,
                              warnings=tuple(f"warning {n}" for n in range(people // 5)))],
                 scope=("absences_to_moco", "hours_to_personio"))


def test_a_first_sync_of_a_big_company_fits_a_pull_request_comment():
    plan = _big_plan(people=500, per_person=40)  # 20,000 changes
    md = render_markdown(plan)
    assert len(md) <= 65_000
    assert md.startswith("### reconcile plan: 20000 to add, 0 to change, 0 to destroy\n")
    assert "| absences Personio → MOCO | MOCO | 20000 | 0 | 0 | 250 |" in md  # per direction and system
    assert md.rstrip().endswith("**Plan: 20000 to add, 0 to change, 0 to destroy.**")
    shown = md.count("<details><summary><code>")
    assert 0 < shown < 500
    assert f"the details of {500 - shown} of 500 people ({(500 - shown) * 40} changes)" in md
    assert "| person0249@acme.example | 2026-03-03 | hand-made MOCO absence; left alone |" in md  # conflicts first
    assert "`reconcile plan --out plan.json`; keep it as a pipeline artifact" in md
    assert md.count("<details>") == md.count("</details>")  # every fold closed


def test_a_plan_that_fits_shows_everything_and_says_nothing_is_left_out():
    md = render_markdown(_big_plan(people=20, per_person=3))
    assert md.count("<details><summary><code>") == 20 and "Not shown" not in md
    assert "| person0019@acme.example | 3 | 0 | 0 |" in md


def test_the_limit_holds_for_any_size():
    for people, per_person in ((1, 2000), (3000, 1), (200, 10)):
        assert len(render_markdown(_big_plan(people, per_person))) <= 65_000
