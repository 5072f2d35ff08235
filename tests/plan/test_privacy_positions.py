"""Issue 21: a withheld entry's place in a shared output says nothing of its person, and no hand-made comment
reaches a shared output. Each output is read as an attacker without the credentials reads it: the same company
twice, with the sick day swapped from one person to another, must read the same (all but the seals, which
change with everything they hold, and the record ids the company was built with)."""

from __future__ import annotations

import asyncio
import json
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from reconciler import logs
from reconciler.apply import ApplyReport, Pace, apply_changes
from reconciler.cli.apply import _log_outcome
from reconciler.errors import ApiError
from reconciler.plan.model import Plan
from reconciler.plan.planfile import compare_with_saved, load_saved_plan, save_plan
from reconciler.plan.privacy import Shown, seal, seal_key, shared_plan_json
from reconciler.records import AbsenceKind
from reconciler.render import render_json, render_markdown, render_text
from reconciler.report import log_plan, report_json
from reconciler.sync import registry
from tests.factories import Company

KEY = seal_key(["moco-key", "client-id", "client-secret"])
PEOPLE = ("anna", "jane", "max", "zoe")
ABSENCES = ("absences_to_moco",)


def company_with(sick: dict[str, str]) -> Company:
    """Four people with holidays on Monday and Wednesday and a warning that names them (a Friday both
    afternoon-only and morning-only); `sick`: who is sick on Tuesday, "plain" or "overlap" (on a holiday:
    then a warning withheld in shared outputs). Period ids are fixed, so that two companies read alike."""
    company = Company()
    for name in PEOPLE:
        _, person = company.person(f"{name}@acme.example")
        assert person is not None
        company.period(person, "t-vac", "2026-12-07", "2026-12-07", period_id=f"{name}-mon")
        company.period(person, "t-vac", "2026-12-09", "2026-12-09", period_id=f"{name}-wed")
        company.period(person, "t-vac", "2026-12-11", "2026-12-11", pm_only_first=True, am_only_last=True,
                       period_id=f"{name}-fri")
        if name in sick:
            company.period(person, "t-sick", "2026-12-08", "2026-12-08", period_id=f"{name}-sick")
        if sick.get(name) == "overlap":
            company.period(person, "t-vac", "2026-12-08", "2026-12-08", period_id=f"{name}-tue")
    return company


def shape(changes: list[dict[str, Any]]) -> list[tuple[str, ...]]:
    """What a listing of changes says by place: who, when and what for the named ones, and where seals are."""
    return [("sealed",) if change.get("sealed") else (change["person"], change["date"], change["action"])
            for change in changes]


def assert_seals_last_and_by_seal(changes: list[dict[str, Any]]) -> None:
    sealed = [index for index, change in enumerate(changes) if change.get("sealed")]
    assert sealed and sealed == list(range(len(changes) - len(sealed), len(changes)))
    seals = [changes[index]["sealed"] for index in sealed]
    assert seals == sorted(seals)


# --- Position: the sick day of jane, or of max ------------------------------------------------------------------

JANE, MAX = {"jane": "plain"}, {"max": "plain"}
JANE_ON_HOLIDAY, MAX_ON_HOLIDAY = {"jane": "overlap", "max": "plain"}, {"jane": "plain", "max": "overlap"}


def test_the_markdown_plan_and_the_text_plan_to_a_pipe_read_the_same_whoever_is_sick():
    for one, other in ((JANE, MAX), (JANE_ON_HOLIDAY, MAX_ON_HOLIDAY)):
        first, second = (company_with(sick).plan(scope=ABSENCES) for sick in (one, other))
        assert render_markdown(first) == render_markdown(second)  # warnings, tables, counts per person: all
        assert render_text(first, redact=True) == render_text(second, redact=True)
        assert render_text(first) != render_text(second)  # on a terminal: in full, for the operator


def test_withheld_warnings_follow_the_named_ones_in_every_redacted_view(tmp_path):
    plan = company_with(JANE_ON_HOLIDAY).plan(scope=ABSENCES)
    overlap = ("approved absences of two types overlap on 1 day of one person, one of a sensitive kind; MOCO holds "
               "one absence per day")
    named = [f"{name}@acme.example: Personio absence {name}-fri on 2026-12-11 is both afternoon-only and "
             "morning-only; skipped" for name in PEOPLE]
    assert list(Shown.of(plan, redact=True).warnings) == [*named, overlap]
    assert shared_plan_json(plan, KEY)["warnings"] == [*named, overlap]
    markdown = render_markdown(plan)
    assert [line for line in markdown.splitlines() if line.startswith("- ")] == [f"- {w}" for w in [*named, overlap]]
    text = render_text(plan, redact=True)
    assert text.index(named[-1]) < text.index(overlap)
    # in full for the operator: the warning in its place, naming her
    assert "jane@acme.example: approved 'Sick leave' and 'Paid vacation' overlap" in render_text(plan)


def test_the_saved_plan_lists_its_seals_last_ordered_by_the_seal(tmp_path):
    files = []
    for sick in (JANE, MAX):
        path = tmp_path / f"{next(iter(sick))}.json"
        save_plan(company_with(sick).plan(scope=ABSENCES), path, KEY)
        files.append(json.loads(path.read_text()))
    for data in files:
        assert_seals_last_and_by_seal(data["changes"])
    assert shape(files[0]["changes"]) == shape(files[1]["changes"])
    assert shape(files[0]["changes"])[-1] == ("sealed",) and ("jane@acme.example", "2026-12-09", "create") in \
        shape(files[0]["changes"])


def test_the_saved_plan_still_compares_keeps_its_fingerprint_and_each_cause(tmp_path):
    company = company_with(JANE)
    plan = company.plan(scope=ABSENCES)
    path = tmp_path / "plan.json"
    save_plan(plan, path, KEY)
    assert compare_with_saved(load_saved_plan(path, registry), plan, KEY) == []
    again = company.plan(scope=ABSENCES)
    assert shared_plan_json(again, KEY)["fingerprint"] == json.loads(path.read_text())["fingerprint"]
    # --base-spec: the cause goes with its change wherever the change is listed
    causes = tuple("spec" if c.sensitive or c.date.day == 9 else "routine" for c in plan.changes)
    based = replace(plan, causes=causes, base="base.yaml")
    expected = {seal(c, KEY)["sealed"] if c.sensitive else (c.person, c.date.isoformat()): cause
                for c, cause in zip(based.changes, causes, strict=True)}
    listed = shared_plan_json(based, KEY)["changes"]
    assert {c.get("sealed") or (c["person"], c["date"]): c["cause"] for c in listed} == expected
    assert_seals_last_and_by_seal(listed)


def apply_failing(plan: Plan, company: Company) -> ApplyReport:
    """Apply `plan` to `company`, every create refused by MOCO (the same words for each)."""
    clients = company.clients()

    async def refused(*args: Any, **kwargs: Any) -> None:
        raise ApiError("MOCO", "answered 422: absence not possible", status=422)

    clients.moco.create_schedule = refused
    report = asyncio.run(apply_changes(plan.changes, clients, Pace(verify_delay=0)))
    assert report.count("failed") == len(plan.changes)
    return report


def test_the_apply_report_lists_its_seals_last_ordered_by_the_seal():
    reports = []
    for sick in (JANE, MAX):
        company = company_with(sick)
        plan = company.plan(scope=ABSENCES)
        now = datetime(2026, 11, 25, tzinfo=UTC)
        reports.append(report_json(spec="mapping.yaml", plan_file=None, plan=plan, report=apply_failing(plan, company),
                                   key=KEY, started=now, finished=now))
    for data in reports:
        assert_seals_last_and_by_seal(data["changes"])
        assert all(change["status"] == "failed" for change in data["changes"])
    assert shape(reports[0]["changes"]) == shape(reports[1]["changes"])


@pytest.mark.parametrize("fmt", ["text", "json"])
def test_failed_changes_of_a_sensitive_kind_are_logged_last_together(fmt, capsys):
    outputs = []
    for sick in (JANE, MAX):
        company = company_with(sick)
        plan = company.plan(scope=ABSENCES)
        report = apply_failing(plan, company)
        capsys.readouterr()
        logs.configure(fmt)
        try:
            _log_outcome(report)
        finally:
            logs.configure("text")
        outputs.append(capsys.readouterr().err.splitlines())
    if fmt == "json":
        outputs = [[json.dumps({k: v for k, v in json.loads(line).items() if k != "time"}) for line in lines
                    if json.loads(line)["event"] == "change.failed"] for lines in outputs]
    assert outputs[0] == outputs[1]  # the same lines in the same order: nothing says whose sick day failed
    failed = outputs[0]
    sensitive = [index for index, line in enumerate(failed) if "sensitive" in line]
    assert len(sensitive) == 1 and sensitive[0] == len(failed) - 1 > 0
    assert "2026-12-08" not in failed[-1] and "jane" not in failed[-1]


# --- Free text: hand-made comments stay in the two systems ------------------------------------------------------

WORDS = ("Arzttermin", "Physio", "Zahnarzt", "Therapie", "Betriebsarzt", "Reha")


def company_with_comments() -> Company:
    """Hand-made records with comments that a change replaces or removes, or that block a day."""
    company = Company()
    anna, anna_p = company.person("anna@acme.example")
    jane, jane_p = company.person("jane@acme.example")
    assert anna and anna_p and jane and jane_p
    # replaced by anna's holiday: the kept one (before) and a second one (removes)
    company.absence(anna, "2026-12-07", AbsenceKind.UNPLANNABLE, comment="Arzttermin (manuell)")
    company.absence(anna, "2026-12-07", AbsenceKind.UNPLANNABLE, comment="Physio (privat)")
    company.period(anna_p, "t-vac", "2026-12-07", "2026-12-07", period_id="anna-mon")
    # our holiday is right already: the hand-made one beside it goes (a delete of it: its before)
    synced = company.period(anna_p, "t-vac", "2026-12-10", "2026-12-10", period_id="anna-thu")
    company.absence(anna, "2026-12-10", AbsenceKind.HOLIDAY, period=synced)
    company.absence(anna, "2026-12-10", AbsenceKind.UNPLANNABLE, comment="Zahnarzt (manuell)")
    # a hand-made absence where a holiday is wanted: a conflict
    company.absence(jane, "2026-12-08", AbsenceKind.ABSENCE, comment="Therapie (privat)")
    company.period(jane_p, "t-vac", "2026-12-08", "2026-12-08", period_id="jane-tue")
    # hand-made Personio attendances with comments where MOCO has presences: conflicts
    company.presence(jane, "2026-11-19", "08:55", "12:45")
    company.attendance(jane_p, "2026-11-19T09:00:00", "2026-11-19T17:30:00", "Betriebsarzt (privat)")
    company.presence(jane, "2026-11-20", "08:00", "12:00")
    company.duration_attendance(jane_p, "2026-11-20", "4:00", "Reha (privat)")
    return company


def test_no_handmade_comment_reaches_a_shared_output(tmp_path, capsys):
    company = company_with_comments()
    plan = company.plan()
    assert len(plan.conflicts) == 3 and {c.action for c in plan.changes} >= {"update", "delete"}
    assert any(c.removes for c in plan.changes)
    path = tmp_path / "plan.json"
    save_plan(plan, path, KEY)
    now = datetime(2026, 11, 25, tzinfo=UTC)
    report = asyncio.run(apply_changes(plan.changes, company.clients(), Pace(verify_delay=0)))
    assert report.ok
    capsys.readouterr()
    logs.configure("json")
    try:
        log_plan(plan)
        _log_outcome(report)
    finally:
        logs.configure("text")
    shared = {
        "markdown": render_markdown(plan), "text to a pipe": render_text(plan, redact=True),
        "plan file": path.read_text(), "log lines": capsys.readouterr().err,
        "apply report": json.dumps(report_json(spec="mapping.yaml", plan_file=str(path), plan=plan, report=report,
                                               key=KEY, started=now, finished=now), ensure_ascii=False),
    }
    leaked = {name: [word for word in WORDS if word in text] for name, text in shared.items()}
    assert leaked == {name: [] for name in shared}
    assert "with a comment" in shared["markdown"] and "with a comment" in shared["text to a pipe"]
    assert "hand-made comment, sealed" in shared["plan file"]
    assert "[reconcile] Personio absence anna-mon" in shared["plan file"]  # our own marker stays
    # the operator's views keep them: the JSON on stdout (the records a change replaces or removes)
    assert all(word in render_json(plan) for word in ("Arzttermin", "Physio", "Zahnarzt"))


def test_a_saved_plan_still_sees_a_handmade_comment_edited_since(tmp_path):
    company = company_with_comments()
    path = tmp_path / "plan.json"
    save_plan(company.plan(), path, KEY)
    saved = load_saved_plan(path, registry)
    assert compare_with_saved(saved, company.plan(), KEY) == []
    index = next(i for i, a in enumerate(company.absences) if a.comment == "Physio (privat)")
    company.absences[index] = replace(company.absences[index], comment="Physio (privat) – bitte behalten!")
    differences = compare_with_saved(saved, company.plan(), KEY)
    assert differences == ["  only in the saved plan: update moco absence anna@acme.example 2026-12-07",
                           "  only in a fresh plan:   update moco absence anna@acme.example 2026-12-07"]
    # the same words in two records, or in two plans, seal differently per record: nothing links them
    text = Path(path).read_text()
    assert len({line for line in text.splitlines() if "hand-made comment, sealed" in line}) == 3
