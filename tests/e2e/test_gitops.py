"""The GitOps path end to end against the sandbox: what a pull request, a pipeline log, a plan file and
an apply report show (never who was sick when), scoped runs, and plans against the base spec."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from reconciler.cli import cli
from reconciler.render.words import file_size
from tests.conftest import TODAY, Personio
from tests.e2e.test_absences_e2e import writes
from tests.factories import Sent


def run(*args: str):
    return CliRunner().invoke(cli, [*args, "--today", TODAY.isoformat()], catch_exceptions=False)


def sensitive_pairs(spec) -> set[tuple[str, str]]:
    """(person, date) of every change of a sensitive kind, from the full JSON plan on stdout."""
    result = run("plan", "-c", str(spec), "--format", "json")
    assert result.exit_code == 0, result.output
    changes = json.loads(result.stdout)["changes"]
    pairs = {(c["person"], c["date"]) for c in changes if c.get("sensitive")}
    assert pairs and all("sick_day" in json.dumps(c) for c in changes if c.get("sensitive"))
    assert any(not c.get("sensitive") and c["kind"] == "absence" for c in changes)  # holidays stay listed
    return pairs


def paired(text: str, pairs: set[tuple[str, str]]) -> list[str]:
    """Lines of `text` (or, for a JSON object per line, records) that hold a person and a date of `pairs`."""
    return [line for line in text.splitlines() for person, day in pairs if person in line and day in line]


def test_no_health_data_can_be_read_from_the_markdown_the_logs_the_plan_file_or_the_report(sandbox, setup, tmp_path):
    pairs = sensitive_pairs(setup)
    plan_file, report = tmp_path / "plan.json", tmp_path / "report.json"
    planned = run("plan", "-c", str(setup), "--format", "markdown", "--out", str(plan_file), "--log-format", "json")
    # Applying the absences (where the sick days are) is enough, and quicker at higher limits.
    absences = run("plan", "-c", str(setup), "--only", "absences", "--out", str(plan_file), "--log-format", "json")
    sandbox.knobs["moco"].update({"rate_limit_requests": 6000})
    setup.write_text(setup.read_text().replace("requests: 1200, per_seconds: 120", "requests: 6000, per_seconds: 120"))
    assert planned.exit_code == 0, planned.output
    assert planned.exit_code == absences.exit_code == 0
    markdown, saved = planned.stdout, plan_file.read_text()
    assert f"🔒 {len(pairs)} changes concern absences of a sensitive kind" in markdown
    assert "sick" not in markdown.lower() and not paired(markdown, pairs)
    assert "sick" not in saved.lower()
    data = json.loads(saved)
    sealed = [c for c in data["changes"] if c.get("sealed")]
    assert len(sealed) == len(pairs) == data["withheld"]["changes"]
    assert all(set(c) == {"action", "direction", "system", "kind", "sensitive", "sealed"} for c in sealed)
    assert data["summary"]["create"] == sum(c["action"] == "create" for c in data["changes"])  # still counted

    applied = run("apply", "-c", str(setup), str(plan_file), "--log-format", "json", "--report", str(report))
    assert applied.exit_code == 0, applied.output
    assert applied.stdout == ""  # with JSON logs, every line is a log record on stderr
    records = [json.loads(line) for line in (planned.stderr + absences.stderr + applied.stderr).splitlines()]
    assert {"run.start", "plan.ready", "plan.saved", "apply.done", "report.saved"} <= {r["event"] for r in records}
    size = plan_file.stat().st_size  # the saved plan's size, said when it is written and when it is read
    said = [r for r in records if r["event"] in ("plan.saved", "plan.loaded") and r["path"] == str(plan_file)]
    assert [(r["event"], r["bytes"]) for r in said][-2:] == [("plan.saved", size), ("plan.loaded", size)]
    assert said[-2]["changes"] == len(data["changes"]) and f"{len(data['changes']):,} changes)" in said[-2]["message"]
    assert all(f"({file_size(size)}" in r["message"] for r in said[-2:])  # e.g. "(14 KiB, 187 changes)"
    assert all({"time", "level", "event", "message"} <= set(r) for r in records)
    logs = planned.stderr + absences.stderr + applied.stderr
    assert "sick" not in logs.lower() and not paired(logs, pairs)
    done = next(r for r in records if r["event"] == "apply.done")
    outcome = json.loads(report.read_text())
    assert outcome["result"] == "complete" and outcome["outcomes"]["applied"] == done["applied"] > len(pairs)
    assert "sick" not in report.read_text().lower()
    assert sum(bool(c.get("sealed")) and c["status"] == "applied" for c in outcome["changes"]) == len(pairs)


def test_a_text_plan_on_a_terminal_and_json_on_stdout_keep_full_detail(setup, monkeypatch):
    pairs = sensitive_pairs(setup)  # JSON on stdout: every sensitive change with person and date
    logged = run("plan", "-c", str(setup))
    assert "sick_day" not in logged.stdout and "concern absences of a sensitive kind" in logged.stdout
    monkeypatch.setattr("reconciler.cli.plan.redact_stdout", lambda: False)  # stdout is a terminal
    shown = run("plan", "-c", str(setup))
    assert shown.stdout.count("sick_day") >= len(pairs) and "sensitive kind" not in shown.stdout


def test_a_saved_plan_still_refuses_when_only_a_sealed_change_differs(sandbox, setup, tmp_path):
    plan_file = tmp_path / "plan.json"
    assert run("plan", "-c", str(setup), "--out", str(plan_file)).exit_code == 0
    full = json.loads(run("plan", "-c", str(setup), "--format", "json").stdout)["changes"]
    sick = next(c for c in full if c.get("sensitive") and c["action"] == "create")
    period_id = sick["source"].removeprefix("Personio absence ")
    assert Personio(sandbox)("DELETE", f"/v2/absence-periods/{period_id}").status == 204  # cancelled meanwhile
    sandbox.log.clear()
    refused = run("apply", "-c", str(setup), str(plan_file))
    assert refused.exit_code == 1 and "a fresh plan differs from the saved one" in refused.output
    assert "only in the saved plan: create moco absence of a sensitive kind (person and date sealed)" in refused.output
    assert "only in the saved plan: create moco absence jane" not in refused.output
    assert "sick" not in refused.output.lower() and not paired(refused.output, {(sick["person"], sick["date"])})
    assert writes(sandbox) == []


def test_the_seal_is_keyed_by_the_credentials(setup, tmp_path, monkeypatch):
    plan_file = tmp_path / "plan.json"
    assert run("plan", "-c", str(setup), "--out", str(plan_file)).exit_code == 0
    monkeypatch.setenv("PERSONIO_CLIENT_SECRET", "rotated-" + "x" * 8)
    refused = run("apply", "-c", str(setup), str(plan_file))
    assert refused.exit_code == 1  # the sandbox refuses the rotated secret, or the seals differ
    assert "sick" not in refused.output.lower()


def test_a_scoped_plan_says_so_and_a_saved_plan_keeps_its_scope(setup, tmp_path):
    everyone = json.loads(run("plan", "-c", str(setup), "--format", "json").stdout)["changes"]
    person = sorted({c["person"] for c in everyone if not c.get("sensitive")})[0]
    plan_file = tmp_path / "plan.json"
    scoped = run("plan", "-c", str(setup), "--format", "json", "--user", person.upper(), "--from", "2026-11-02",
                 "--to", "2026-11-20", "--out", str(plan_file))
    assert scoped.exit_code == 0, scoped.output
    data = json.loads(scoped.stdout)
    assert data["partial"] and data["subset"] == {"users": [person.upper()], "from": "2026-11-02", "to": "2026-11-20"}
    assert data["changes"] and {c["person"] for c in data["changes"]} == {person}
    assert all("2026-11-02" <= c["date"] <= "2026-11-20" for c in data["changes"])
    wanted = [c for c in everyone if c["person"] == person and "2026-11-02" <= c["date"] <= "2026-11-20"]
    assert len(data["changes"]) == len(wanted)
    text = run("plan", "-c", str(setup), "--user", person, "--from", "2026-11-02")
    assert ("# partial plan: only absences Personio → MOCO, holidays Personio → MOCO, working hours MOCO → "
            f"Personio, people Personio → MOCO; 1 person ({person})") in text.stdout
    other = run("apply", "-c", str(setup), str(plan_file), "--user", "someone@else.example")
    assert other.exit_code == 1 and "was planned for 1 person" in other.output and "Nothing was written" in other.output
    applied = run("apply", "-c", str(setup), str(plan_file))
    assert applied.exit_code == 0, applied.output
    after = json.loads(run("plan", "-c", str(setup), "--format", "json").stdout)["changes"]
    assert len(after) == len(everyone) - len(wanted)  # only the scoped changes were made


@pytest.mark.parametrize(("args", "message"), [
    (("--user", "nobody@acme.example"), "--user nobody@acme.example: matches nobody in MOCO or Personio"),
    (("--user", "robot@acme.example"), "--user robot@acme.example: is excluded (users.exclude)"),
    (("--from", "2026-11-20", "--to", "2026-11-02"), "--from 2026-11-20 is after --to 2026-11-02"),
])
def test_a_scope_that_cannot_be_planned_is_a_clear_error(setup, args, message):
    result = run("plan", "-c", str(setup), *args)
    assert result.exit_code == 1 and message in result.output and "Traceback" not in result.output


def test_the_base_spec_separates_what_the_spec_change_causes_in_every_format(setup, tmp_path):
    base = tmp_path / "base.yaml"
    base.write_text(setup.read_text())
    setup.write_text(setup.read_text().replace("Paid vacation: holiday", "Paid vacation: absence"))
    data = json.loads(run("plan", "-c", str(setup), "--base-spec", str(base), "--format", "json").stdout)
    caused = [c for c in data["changes"] if c["cause"] == "spec"]
    routine = [c for c in data["changes"] if c["cause"] == "routine"]
    assert caused and routine and len(caused) + len(routine) == len(data["changes"])
    assert all(c["kind"] == "absence" and "absence" in json.dumps(c.get("after", {})) for c in caused)
    assert data["by_cause"]["spec"]["create"] + data["by_cause"]["spec"]["update"] == len(caused)
    assert data["dropped"]["create"] > 0  # the holidays the base spec would create
    markdown = run("plan", "-c", str(setup), "--base-spec", str(base), "--format", "markdown").stdout
    head, _, rest = markdown.partition("#### Caused by the spec change")
    assert f"- **Caused by the spec change: {data['by_cause']['spec']['create']} to add" in head
    assert "#### Routine sync, made with either spec" in rest
    text = run("plan", "-c", str(setup), "--base-spec", str(base)).stdout
    assert "── Caused by the spec change" in text and "── Routine sync, made with either spec" in text
    assert text.index("── Caused") < text.index("── Routine")
    # The base spec's settings of MOCO and Personio play no part: both plans use one read.
    same = run("plan", "-c", str(setup), "--base-spec", str(setup), "--format", "json")
    assert all(c["cause"] == "routine" for c in json.loads(same.stdout)["changes"])


def test_a_broken_base_spec_is_named(setup, tmp_path):
    base = tmp_path / "base.yaml"
    base.write_text("version: 1\nstart_date: 2026-02-30\n")
    result = run("plan", "-c", str(setup), "--base-spec", str(base))
    assert result.exit_code == 1 and str(base) in result.output and "Traceback" not in result.output


def test_errors_are_json_lines_with_json_logs(setup, tmp_path):
    result = run("plan", "-c", str(tmp_path / "missing.yaml"), "--log-format", "json")
    assert result.exit_code == 1
    [record] = [json.loads(line) for line in result.stderr.splitlines()]
    assert record["level"] == "error" and record["event"] == "error" and "missing.yaml" in record["message"]
    usage = run("plan", "-c", str(setup), "--log-format", "json", "--format", "yaml")
    assert usage.exit_code == 1 and json.loads(usage.stderr.splitlines()[-1])["level"] == "error"


def test_a_refused_apply_still_leaves_a_report_and_a_json_error(sandbox, setup, tmp_path):
    assert run("apply", "-c", str(setup), "--only", "absences", "--auto-approve").exit_code == 0
    sandbox.world.personio.absence_periods.clear()  # an outage: Personio lists nothing; the guard stops it
    report = tmp_path / "report.json"
    refused = run("apply", "-c", str(setup), "--only", "absences", "--auto-approve", "--report", str(report),
                  "--log-format", "json")
    assert refused.exit_code == 1
    records = [json.loads(line) for line in refused.stderr.splitlines()]
    assert records[-1]["level"] == "error" and "refusing to apply" in records[-1]["message"]
    data = json.loads(report.read_text())
    assert data["result"] == "error" and data["error"].startswith("refusing to apply") and data["changes"] == []
    assert data["planned"]["delete"] > 0 and data["outcomes"] == {"applied": 0, "failed": 0, "skipped": 0,
                                                                  "settled": 0}


def test_a_failed_change_of_a_sensitive_kind_is_logged_without_person_and_date(capsys):
    from datetime import date

    from reconciler import logs
    from reconciler.apply import Outcome
    from reconciler.cli.apply import log_failure
    from reconciler.plan.model import Change

    def change(sensitive: bool) -> Change:
        return Change(action="create", direction="absences_to_moco", system="moco", kind="absence",
                      user="jane@acme.example", person="jane@acme.example", date=date(2026, 12, 7),
                      after={"absence_kind": "sick_day"}, send=Sent({"absence_code": 3}), sensitive=sensitive)

    log_failure(Outcome(change(True), "failed", "MOCO answered 422"))
    log_failure(Outcome(change(False), "failed", "MOCO answered 422"))
    text = capsys.readouterr().err.splitlines()
    assert text == ["error: failed: create moco absence (a sensitive kind; person, date and record not shown): MOCO "
                    "answered 422",
                    "error: failed: create moco absence jane@acme.example 2026-12-07: MOCO answered 422"]
    logs.configure("json")
    try:
        log_failure(Outcome(change(True), "failed", "MOCO answered 422"))
    finally:
        logs.configure("text")
    record = json.loads(capsys.readouterr().err)
    assert record["sensitive"] is True and "user" not in record and "date" not in record
    shown = json.dumps({key: value for key, value in record.items() if key != "time"})  # the log's own clock
    assert "jane" not in shown and "2026-12-07" not in shown
