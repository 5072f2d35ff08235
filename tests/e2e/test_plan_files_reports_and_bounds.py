"""What apply and plan say, checked against what they do (issue 21): a plan file of another spec names it,
`--report` is written when the spec does not load, and an incremental plan shows the bound it sent."""

from __future__ import annotations

import json
import re

from click.testing import CliRunner

from reconciler.cli import cli
from tests.conftest import TODAY


def run(*args: str):
    return CliRunner().invoke(cli, [*args, "--today", TODAY.isoformat()])


def test_a_plan_file_of_another_spec_is_refused_naming_both_specs(setup, tmp_path):
    plan_file = tmp_path / "plan.json"
    assert run("plan", "-c", str(setup), "--only", "absences", "--out", str(plan_file)).exit_code == 0
    recorded = json.loads(plan_file.read_text())["spec"]
    assert recorded["path"] == str(setup) and recorded["digest"].startswith("sha256:")
    other = tmp_path / "other.yaml"
    other.write_text(setup.read_text().replace("until_days: 120", "until_days: 10"))
    refused = run("apply", "-c", str(other), "--only", "absences", str(plan_file))
    assert refused.exit_code == 1
    assert f"the plan was made with spec {setup} ({recorded['digest']}), this run uses {other} (sha256:" \
        in refused.output
    assert "MOCO or Personio changed" not in refused.output
    setup.write_text(setup.read_text().replace("until_days: 120", "until_days: 10"))  # the same file, edited
    refused = run("apply", "-c", str(setup), "--only", "absences", str(plan_file))
    assert refused.exit_code == 1 and f"the spec {setup} changed since the plan was made" in refused.output


def test_a_plan_file_of_the_same_spec_or_of_an_older_reconcile_still_says_the_systems_changed(setup, sandbox,
                                                                                             tmp_path):
    plan_file = tmp_path / "plan.json"
    assert run("plan", "-c", str(setup), "--only", "absences", "--out", str(plan_file)).exit_code == 0
    data = json.loads(plan_file.read_text())
    data["changes"] = data["changes"][1:]  # as if MOCO or Personio changed since
    copy = tmp_path / "copy.yaml"
    copy.write_text(setup.read_text() + "\n# only a comment differs\n")
    plan_file.write_text(json.dumps(data))
    refused = run("apply", "-c", str(copy), "--only", "absences", str(plan_file))
    assert refused.exit_code == 1 and "so MOCO or Personio changed since it was made" in refused.output
    del data["spec"]  # a plan file written before plans recorded their spec
    plan_file.write_text(json.dumps(data))
    refused = run("apply", "-c", str(setup), "--only", "absences", str(plan_file))
    assert refused.exit_code == 1 and "so MOCO or Personio changed since it was made" in refused.output


def test_the_report_is_written_when_the_spec_does_not_load(tmp_path, monkeypatch):
    spec = tmp_path / "mapping.yaml"
    spec.write_text("version: 1\nstart_date: 2026-01-01\nmoco: {subdomain: acme}\nabsences: {typos: {}}\n")
    report = tmp_path / "report.json"
    result = run("apply", "-c", str(spec), "--auto-approve", "--report", str(report))
    assert result.exit_code == 1 and "absences" in result.output
    data = json.loads(report.read_text())
    assert data["result"] == "error" and data["spec"] == str(spec) and "typos" in data["error"]
    assert data["changes"] == [] and data["plan_file"] is None
    missing = tmp_path / "nowhere.yaml"
    assert run("apply", "-c", str(missing), "--auto-approve", "--report", str(report)).exit_code == 1
    assert f"spec file {missing} not found" in json.loads(report.read_text())["error"]


def test_the_report_is_written_when_the_credentials_are_missing(setup, tmp_path, monkeypatch):
    monkeypatch.delenv("MOCO_API_KEY")
    report = tmp_path / "report.json"
    assert run("apply", "-c", str(setup), "--auto-approve", "--report", str(report)).exit_code == 1
    assert "environment variable not set: $MOCO_API_KEY" in json.loads(report.read_text())["error"]


def test_an_incremental_plan_shows_the_bound_it_sent(setup, sandbox):
    asked = "2026-11-24T09:00:00Z"
    text = run("plan", "-c", str(setup), "--changed-since", asked)
    assert text.exit_code == 0, text.output
    assert "# incremental run: changes since 2026-11-24T08:55:00Z (the bound sent: 2026-11-24T09:00:00Z asked " \
           "for, less 5 min" in text.output
    sent = [entry.query for entry in sandbox.log.entries if "updated_after" in entry.query]
    assert sent and all(re.search(r"updated_after=2026-11-24T08(%3A|:)55", query) for query in sent), sent
    markdown = run("plan", "-c", str(setup), "--changed-since", asked, "--format", "markdown").output
    assert "_Incremental run: what changed since 2026-11-24T08:55:00+00:00 (`--changed-since`)" in markdown
    data = json.loads(run("plan", "-c", str(setup), "--changed-since", "2026-11-24T09:00:00",  # no zone: UTC
                          "--format", "json").stdout)
    assert data["incremental"]["since"] == "2026-11-24T08:55:00+00:00"


def test_a_saved_incremental_plan_keeps_its_bound(setup, tmp_path):
    plan_file = tmp_path / "plan.json"
    assert run("plan", "-c", str(setup), "--changed-since", "2026-11-24T09:00:00Z", "--out",
               str(plan_file)).exit_code == 0
    data = json.loads(plan_file.read_text())
    assert data["incremental"]["since"] == "2026-11-24T08:55:00+00:00"
    data["changes"] = data["changes"][1:]  # refused after planning its scope again: nothing is written
    plan_file.write_text(json.dumps(data))
    applied = run("apply", "-c", str(setup), str(plan_file))
    assert applied.exit_code == 1 and "so MOCO or Personio changed since it was made" in applied.output
    assert "# incremental run: changes since 2026-11-24T08:55:00Z (the bound sent: 2026-11-24T09:00:00Z" \
        in applied.output
