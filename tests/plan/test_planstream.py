"""Issue 22: the plan file is written and read back change by change, and says exactly what it said when it was
built whole (privacy.shared_plan_json, dumped at once): same bytes, same fingerprint, same changes."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest

from reconciler.plan import planfile
from reconciler.plan.model import Plan
from reconciler.plan.planfile import compare_with_saved, load_saved_plan, save_plan
from reconciler.plan.planstream import fresh_fingerprint, saved_changes, streamed_changes
from reconciler.plan.privacy import shared_plan_json
from reconciler.sync import registry
from tests.plan.test_privacy_positions import JANE, JANE_ON_HOLIDAY, KEY, company_with


def plans() -> dict[str, Plan]:
    plan = company_with(JANE).plan()
    causes = tuple("spec" if change.sensitive or change.date.day == 9 else "routine" for change in plan.changes)
    return {
        "sensitive and named": plan,
        "withheld warnings": company_with(JANE_ON_HOLIDAY).plan(),
        "--base-spec causes": replace(plan, causes=causes, base="base.yaml"),
        "nothing to do": Plan(scope=("absences_to_moco", "hours_to_personio")),
    }


@pytest.mark.parametrize("name", list(plans()))
def test_the_streamed_plan_file_is_byte_for_byte_the_plan_built_whole(tmp_path, name):
    plan = plans()[name]
    path = tmp_path / "plan.json"
    save_plan(plan, path, KEY)
    whole = shared_plan_json(plan, KEY) | {"held": []}
    assert path.read_text(encoding="utf-8") == json.dumps(whole, indent=2, ensure_ascii=False) + "\n"
    assert list(streamed_changes(path)) == whole["changes"]  # read back one at a time
    saved = load_saved_plan(path, registry)
    assert saved.fingerprint == fresh_fingerprint(plan.changes, KEY) == whole["fingerprint"]
    assert compare_with_saved(saved, plan, KEY) == []


def test_a_saved_plan_equal_to_a_fresh_one_is_compared_without_reading_its_changes_whole(tmp_path, monkeypatch):
    plan = plans()["sensitive and named"]
    path = tmp_path / "plan.json"
    save_plan(plan, path, KEY)
    saved = load_saved_plan(path, registry)

    def whole(*_):  # noqa: ANN002
        raise AssertionError("read every change at once")

    monkeypatch.setattr(planfile, "saved_changes", whole)
    assert compare_with_saved(saved, plan, KEY) == []


def test_a_plan_file_in_another_layout_is_read_whole_with_the_same_changes(tmp_path):
    plan = plans()["sensitive and named"]
    path = tmp_path / "plan.json"
    save_plan(plan, path, KEY)
    data = json.loads(path.read_text())
    path.write_text(json.dumps(data, indent=4))  # formatted by another tool
    assert saved_changes(path) == data["changes"]
    saved = load_saved_plan(path, registry)
    assert saved.fingerprint == data["fingerprint"]
    assert compare_with_saved(saved, plan, KEY) == []


def test_a_change_edited_in_the_file_changes_its_fingerprint(tmp_path):
    plan = plans()["sensitive and named"]
    path = tmp_path / "plan.json"
    save_plan(plan, path, KEY)
    text = path.read_text()
    edited = text.replace('"absence_kind": "holiday"', '"absence_kind": "absence"', 1)
    assert edited != text
    path.write_text(edited)
    saved = load_saved_plan(path, registry)
    assert saved.fingerprint != fresh_fingerprint(plan.changes, KEY)
    differences = compare_with_saved(saved, plan, KEY)
    assert len(differences) == 2 and differences[0].startswith("  only in the saved plan: ")


def test_a_broken_change_in_a_streamed_plan_file_is_a_located_error_not_a_traceback(tmp_path):
    from reconciler.errors import ReconcileError

    path = tmp_path / "plan.json"
    save_plan(plans()["sensitive and named"], path, KEY)
    lines = path.read_text().splitlines(keepends=True)
    broken = next(index for index, line in enumerate(lines) if line.startswith('      "date": '))
    lines[broken] = '      "date": 2026-12-07,\n'  # not JSON: a date without quotes
    path.write_text("".join(lines))
    with pytest.raises(ReconcileError, match=rf"plan.json:{broken + 1}:\d+: not a JSON plan"):
        load_saved_plan(path, registry)


@pytest.mark.parametrize("redact", [False, True])
def test_the_text_plan_is_written_a_few_people_at_a_time_and_reads_as_when_built_whole(monkeypatch, redact):
    from reconciler.render import render_chunks, render_text
    from reconciler.render import text as text_module

    plan = plans()["sensitive and named"]
    whole = render_text(plan, color=True, redact=redact)
    monkeypatch.setattr(text_module, "CHUNK", 3)  # a chunk every few lines
    chunks = list(render_chunks(plan, "text", color=True, redact=redact))
    assert len(chunks) > 2 and "".join(chunks) == whole


@pytest.mark.parametrize("name", list(plans()))
def test_the_json_plan_on_stdout_is_written_in_pieces_and_reads_as_when_built_whole(name):
    from reconciler.render import render_chunks, render_json

    plan = plans()[name]
    assert "".join(render_chunks(plan, "json")) == render_json(plan)


@pytest.mark.parametrize("ascii", [True, False])
def test_a_fingerprint_hashed_change_by_change_is_the_whole_lists(ascii):
    import hashlib

    from reconciler.plan.planstream import Fingerprint

    changes = [{"reason": "replaces a hand-made “not plannable” absence", "user": "jürgen@acme.example"}, {"n": 1}]
    print_ = Fingerprint(ascii=ascii)
    for change in changes:
        print_.add(change)
    whole = json.dumps(changes, sort_keys=True, separators=(",", ":"), ensure_ascii=ascii)
    assert print_.digest() == hashlib.sha256(whole.encode()).hexdigest()[:16]
