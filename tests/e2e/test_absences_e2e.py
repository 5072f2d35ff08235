"""`reconcile plan` and `reconcile apply` end to end against the sandbox, as a user runs them."""

from __future__ import annotations

import dataclasses
import json
import re
import signal
import subprocess
import sys
import time

from click.testing import CliRunner

from reconciler.apply import Pace
from reconciler.cli import cli
from reconciler.sandbox import Fault
from reconciler.sync.ownership import is_ours
from reconciler.systems.connect import Tuning
from reconciler.systems.http import RetryPolicy
from tests.conftest import TODAY, Personio


def fast_options(monkeypatch, **overrides) -> None:
    """Shorter waits than a user gets (retry back-off, the pause before re-reading a lost create)."""
    import dataclasses

    from reconciler.cli import apply as cli_apply
    from reconciler.cli import options as cli_options
    from reconciler.cli import plan as cli_plan

    made = cli_options.run_options

    def options(spec, today, only=None, timeout=None, subset=cli_options.Subset(), changed_since=None):
        return dataclasses.replace(made(spec, None, only, None, subset, changed_since), today=TODAY, **overrides)

    for module in (cli_plan, cli_apply):
        monkeypatch.setattr(module, "run_options", options)


def reconcile(*args: str, input: str | None = None):
    """The CLI on the sandbox's day; plan and apply scoped to absences (working hours have their own tests)."""
    scope = ["--only", "absences"] if args[0] in ("plan", "apply") and "--only" not in args else []
    today = ["--today", TODAY.isoformat()] if args[0] != "users" else []
    return CliRunner().invoke(cli, [*args, *scope, *today], input=input, catch_exceptions=False)


def writes(sandbox) -> list[str]:
    return [f"{e.method} {e.path}" for e in sandbox.log.entries if e.method in ("POST", "PUT", "PATCH", "DELETE")
            and e.path != "/v2/auth/token"]


def handmade(sandbox) -> list[dict]:
    return sorted((dataclasses.asdict(s) for s in sandbox.world.moco.schedules.values() if not is_ours(s.comment)),
                  key=lambda s: s["id"])


def moco_days(sandbox) -> list[tuple[int, str]]:
    return sorted((s.user_id, s.date) for s in sandbox.world.moco.schedules.values())


# ----------------------------------------------------------------------------- plan


def test_plan_shows_the_changes_and_writes_nothing(sandbox, setup):
    result = reconcile("plan", "-c", str(setup))
    assert result.exit_code == 0, result.output
    out = result.output
    assert "jane@acme.example" in out and "max.mustermann@acme.example" in out  # override and case both match
    assert "~ 2026-12-29  MOCO absence" in out  # the earlier sync's wrong kind
    assert "(now rejected in Personio)" in out and "(no longer in Personio)" in out
    assert "replaces a hand-made “not plannable” absence" in out
    assert "Conflicts (left alone: 1):" in out
    assert "'Parental leave' is not in absences.types" in out
    assert "nina.neumeyer@acme.example has no MOCO user" in out
    assert out.rstrip().splitlines()[-1].startswith("Plan: ") and "to destroy." in out
    assert writes(sandbox) == []


def test_plan_json_follows_the_contract(sandbox, setup):
    result = reconcile("plan", "-c", str(setup), "--format", "json")
    plan = json.loads(result.output)
    assert plan["format_version"] == "1"
    assert set(plan) >= {"changes", "summary", "conflicts", "warnings"}
    assert plan["summary"] == {action: sum(1 for c in plan["changes"] if c["action"] == action)
                               for action in ("create", "update", "delete")}
    for change in plan["changes"]:
        assert change["action"] in ("create", "update", "delete")
        assert (change["system"], change["kind"]) == ("moco", "absence")
        assert "@" in change["user"] and len(change["date"]) == 10
        if change["action"] in ("create", "update"):
            assert {"absence_kind", "am", "pm"} <= set(change["after"])
        if change["action"] in ("update", "delete"):
            assert {"absence_kind", "am", "pm"} <= set(change["before"])
    assert all(set(c) >= {"user", "date", "reason"} for c in plan["conflicts"])
    assert all(isinstance(w, str) for w in plan["warnings"])


def test_plan_markdown_puts_the_summary_first_and_people_in_details(sandbox, setup):
    out = reconcile("plan", "-c", str(setup), "--format", "markdown").output
    assert out.startswith("### reconcile plan: ")
    assert "<details><summary><code>jane@acme.example</code>" in out
    assert "| `~` | 2026-12-29 | MOCO absence |" in out


def test_detailed_exitcode_is_2_with_changes_and_0_without(sandbox, setup):
    assert reconcile("plan", "-c", str(setup), "--detailed-exitcode").exit_code == 2
    assert reconcile("apply", "-c", str(setup), "--auto-approve").exit_code == 0
    after = reconcile("plan", "-c", str(setup), "--detailed-exitcode")
    assert after.exit_code == 0, after.output
    assert "Conflicts (left alone: 1)" in after.output  # conflicts alone are not changes


# ----------------------------------------------------------------------------- apply


def test_apply_converges_and_a_second_apply_writes_nothing(sandbox, setup):
    before = handmade(sandbox)
    planned = json.loads(reconcile("plan", "-c", str(setup), "--format", "json").output)
    first = reconcile("apply", "-c", str(setup), "--auto-approve")
    assert first.exit_code == 0, first.output
    total = len(planned["changes"])
    assert f"Apply complete: {total} applied, 0 failed, 0 skipped." in first.output
    # Exactly the planned changes, one request each (updates of replaced days included).
    made = writes(sandbox)
    assert len(made) == total
    assert made.count("POST /api/v1/schedules") == planned["summary"]["create"]
    # One absence per person and day, never two.
    days = moco_days(sandbox)
    assert len(days) == len(set(days))
    # Hand-made absences survive byte for byte, except the "not plannable" one the plan replaced.
    replaced = {c["id"] for c in planned["changes"] if c.get("before") and not is_ours(c["before"]["comment"])}
    assert [h for h in before if h["id"] not in replaced] == handmade(sandbox)

    sandbox.log.clear()
    second = reconcile("apply", "-c", str(setup), "--auto-approve")
    assert second.exit_code == 0 and "Nothing to apply." in second.output
    assert writes(sandbox) == []
    assert "No changes." in reconcile("plan", "-c", str(setup)).output


def test_apply_without_a_terminal_or_auto_approve_refuses_and_touches_nothing(sandbox, setup):
    result = reconcile("apply", "-c", str(setup))
    assert result.exit_code == 1
    assert "refusing to apply without confirmation" in result.output and "--auto-approve" in result.output
    assert sandbox.log.entries == []  # not even read


def test_apply_on_a_terminal_asks_and_only_yes_proceeds(sandbox, setup, monkeypatch):
    monkeypatch.setattr("reconciler.cli.apply._interactive", lambda: True)
    declined = reconcile("apply", "-c", str(setup), input="y\n")
    assert declined.exit_code == 1 and "apply cancelled; nothing was written" in declined.output
    assert "Only 'yes' is accepted" in declined.output
    assert writes(sandbox) == []
    accepted = reconcile("apply", "-c", str(setup), input="yes\n")
    assert accepted.exit_code == 0 and "Apply complete:" in accepted.output


def test_apply_of_a_saved_plan_makes_exactly_it(sandbox, setup, tmp_path):
    planfile = tmp_path / "plan.json"
    assert reconcile("plan", "-c", str(setup), "--out", str(planfile)).exit_code == 0
    saved = json.loads(planfile.read_text())
    result = reconcile("apply", "-c", str(setup), str(planfile))
    assert result.exit_code == 0, result.output
    assert f"{len(saved['changes'])} applied" in result.output
    assert "No changes." in reconcile("plan", "-c", str(setup)).output


def test_a_saved_plan_that_no_longer_matches_is_refused_and_nothing_is_written(sandbox, setup, tmp_path):
    planfile = tmp_path / "plan.json"
    reconcile("plan", "-c", str(setup), "--out", str(planfile))
    # Meanwhile someone cancels an absence in Personio.
    period = next(p for p in sandbox.world.personio.absence_periods.values()
                  if p.status == "APPROVED" and p.starts_from >= "2026-12-01" and p.ends_at)
    assert Personio(sandbox)("DELETE", f"/v2/absence-periods/{period.id}").status == 204
    sandbox.log.clear()
    result = reconcile("apply", "-c", str(setup), str(planfile))
    assert result.exit_code == 1
    assert "refusing to apply" in result.output and "a fresh plan differs from the saved one" in result.output
    assert "only in the saved plan: create moco absence" in result.output
    assert writes(sandbox) == []


def test_a_saved_plan_that_is_not_a_plan_is_refused(sandbox, setup, tmp_path):
    bad = tmp_path / "plan.json"
    bad.write_text("{not json")
    result = reconcile("apply", "-c", str(setup), str(bad))
    assert result.exit_code == 1 and f"{bad}:1:2: not a JSON plan" in result.output
    bad.write_text(json.dumps({"format_version": "9", "changes": []}))
    assert "format_version '9'" in reconcile("apply", "-c", str(setup), str(bad)).output


def test_a_failed_change_does_not_stop_the_others(sandbox, setup):
    sandbox.add_fault("moco", Fault(kind="status", status=422, method="POST", path="/api/v1/schedules", times=1))
    result = reconcile("apply", "-c", str(setup), "--auto-approve")
    assert result.exit_code == 1
    assert "failed: create moco absence" in result.output
    assert ", 1 failed, 0 skipped." in result.output
    # The next plan holds exactly the one change that failed.
    assert "Plan: 1 to add, 0 to change, 0 to destroy." in reconcile("plan", "-c", str(setup)).output


def test_a_lost_answer_to_a_create_is_resolved_by_re_reading_never_by_re_sending(sandbox, setup, monkeypatch):
    fast_options(monkeypatch, pace=Pace(verify_delay=0.05))
    sandbox.add_fault("moco", Fault(kind="disconnect", method="POST", path="/api/v1/schedules", times=2))
    result = reconcile("apply", "-c", str(setup), "--auto-approve")
    assert result.exit_code == 0, result.output
    days = moco_days(sandbox)
    assert len(days) == len(set(days))  # no duplicates
    assert "No changes." in reconcile("plan", "-c", str(setup)).output


def test_stop_after_credentials_are_refused_midway(sandbox, setup):
    sandbox.add_fault("moco", Fault(kind="status", status=401, method="POST", path="/api/v1/schedules", times=1))
    result = reconcile("apply", "-c", str(setup), "--auto-approve")
    assert result.exit_code == 1
    assert "stopped starting changes after: MOCO: authentication failed (401)" in result.output
    assert "skipped." in result.output and " 0 skipped." not in result.output


# ----------------------------------------------------------------------------- errors a user meets


def test_wrong_moco_key_names_the_variable_and_never_the_key(sandbox, setup, monkeypatch):
    monkeypatch.setenv("MOCO_API_KEY", "wrong-key-12345")
    result = reconcile("plan", "-c", str(setup))
    assert result.exit_code == 1
    assert "MOCO: authentication failed (401)" in result.output and "$MOCO_API_KEY" in result.output
    assert "wrong-key-12345" not in result.output and "Traceback" not in result.output


def test_wrong_personio_secret_names_both_variables(sandbox, setup, monkeypatch):
    monkeypatch.setenv("PERSONIO_CLIENT_SECRET", "nope-secret")
    result = reconcile("plan", "-c", str(setup))
    assert result.exit_code == 1
    assert "Personio: the client credentials were refused (invalid_client" in result.output
    assert "$PERSONIO_CLIENT_ID and $PERSONIO_CLIENT_SECRET" in result.output and "nope-secret" not in result.output


def test_missing_credentials_are_named_before_anything_is_read(sandbox, setup, monkeypatch):
    monkeypatch.delenv("MOCO_API_KEY")
    result = reconcile("plan", "-c", str(setup))
    assert result.exit_code == 1 and "environment variable not set: $MOCO_API_KEY" in result.output
    assert sandbox.log.entries == []


def test_unreachable_api_is_a_clear_error(sandbox, setup, monkeypatch):
    fast_options(monkeypatch, tuning=Tuning(retry=RetryPolicy(attempts=2, base_delay=0.01)))
    setup.write_text(setup.read_text().replace(sandbox.moco_url, "http://127.0.0.1:9/api/v1"))
    result = reconcile("plan", "-c", str(setup))
    assert result.exit_code == 1
    assert "MOCO: gave up after 2 attempts" in result.output and "cannot connect to http://127.0.0.1:9/api/v1" in result.output


def test_unmapped_error_stops_the_plan_with_exit_1(sandbox, setup):
    setup.write_text(setup.read_text().replace("unmapped: skip", "unmapped: error"))
    result = reconcile("plan", "-c", str(setup))
    assert result.exit_code == 1 and "'Parental leave' (1 absence of 1 person)" in result.output


def test_plan_out_to_an_unwritable_place_is_an_error(sandbox, setup, tmp_path):
    result = reconcile("plan", "-c", str(setup), "--out", str(tmp_path / "missing" / "plan.json"))
    assert result.exit_code == 1 and "cannot write the plan to" in result.output


def test_demo_runs_the_whole_loop():
    result = CliRunner().invoke(cli, ["demo", "--people", "6"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert "✗" not in result.output and result.output.count("✓") == 7
    assert re.search(r"✓ 3 new hires got a MOCO user \(teams Development, Team 1; 2 with an employment from Personio's "
                     r"weekly hours\), 1 leaver archived after their last day; the freelancer's account is untouched",
                     result.output)
    assert "the second plan has nothing left to do" in result.output
    assert re.search(r"✓ \d+ public holidays from each person's Personio holiday calendars are in MOCO", result.output)


def test_help_mentions_the_contract_options():
    for command, words in (("plan", ["--format", "--out", "--detailed-exitcode"]), ("apply", ["--auto-approve",
                                                                                              "PLANFILE"])):
        out = CliRunner().invoke(cli, [command, "--help"]).output
        assert all(word in out for word in words)
        assert "--today" not in out  # a testing aid, not part of the interface


def test_config_from_environment(sandbox, setup, monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path / "..")  # no mapping.yaml here: only $RECONCILE_CONFIG can name the spec
    assert reconcile("plan").exit_code == 1
    monkeypatch.setenv("RECONCILE_CONFIG", str(setup))
    result = reconcile("plan", "--format", "json")
    assert result.exit_code == 0 and json.loads(result.output)["changes"]
    assert any(entry.path.startswith("/v2/absence-periods") for entry in sandbox.log.entries)


# ----------------------------------------------------------------------------- the mass-change guard


def test_an_empty_answer_from_personio_is_refused_until_forced(sandbox, setup):
    assert reconcile("apply", "-c", str(setup), "--auto-approve").exit_code == 0
    synced = [s for s in sandbox.world.moco.schedules.values() if is_ours(s.comment)]
    assert len(synced) >= 10
    sandbox.world.personio.absence_periods.clear()  # a revoked scope or an outage: Personio lists nothing
    sandbox.log.entries.clear()

    planned = reconcile("plan", "-c", str(setup))
    assert planned.exit_code == 0 and "! Mass-change guard: this run would delete" in planned.output
    refused = reconcile("apply", "-c", str(setup), "--auto-approve")
    assert refused.exit_code == 1
    assert f"refusing to apply the {len(synced)} changes of absences_to_moco in MOCO: the mass-change guard holds " \
           f"them, as this run would delete {len(synced)} and update 0 of the {len(synced)} records reconcile owns " \
           "in MOCO (100 %; the limit is 30 %" in refused.output
    assert "Nothing was written" in refused.output and "reconcile apply --force" in refused.output
    assert writes(sandbox) == [] and len([s for s in sandbox.world.moco.schedules.values() if is_ours(s.comment)]) \
        == len(synced)

    forced = reconcile("apply", "-c", str(setup), "--auto-approve", "--force")
    assert forced.exit_code == 0, forced.output
    assert not [s for s in sandbox.world.moco.schedules.values() if is_ours(s.comment)]


def test_a_typo_in_an_absence_type_stops_the_plan_and_names_the_real_type(sandbox, setup):
    assert reconcile("apply", "-c", str(setup), "--auto-approve").exit_code == 0
    sandbox.log.entries.clear()
    setup.write_text(setup.read_text().replace("Paid vacation:", "Paid vacaton:"))
    for command in (["plan"], ["apply", "--auto-approve", "--force"]):
        result = reconcile(*command, "-c", str(setup))
        assert result.exit_code == 1
        assert "error: absences.types['Paid vacaton'] matches no Personio absence type (did you mean " \
               "'Paid vacation'?)" in result.output
    assert writes(sandbox) == []


# ----------------------------------------------------------------------------- stopping


def test_sigterm_during_apply_starts_no_new_change_and_says_what_was_done(sandbox, setup):
    sandbox.knobs["moco"].latency = 0.1
    command = [sys.executable, "-m", "reconciler", "apply", "-c", str(setup), "--auto-approve", "--only",
               "absences", "--today", TODAY.isoformat()]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    deadline = time.monotonic() + 20
    while not writes(sandbox) and time.monotonic() < deadline:
        time.sleep(0.02)
    process.send_signal(signal.SIGTERM)
    output, _ = process.communicate(timeout=30)
    assert process.returncode == 1, output
    summary = re.search(r"Apply stopped by SIGTERM: (\d+) applied, 0 failed, (\d+) not attempted; the next run "
                        r"picks up the rest\.", output)
    assert summary and int(summary.group(2)) > 0, output
    assert "Traceback" not in output
    sandbox.knobs["moco"].latency = 0.0
    assert reconcile("apply", "-c", str(setup), "--auto-approve").exit_code == 0
    synced = [(s.user_id, s.date) for s in sandbox.world.moco.schedules.values() if is_ours(s.comment)]
    assert len(synced) == len(set(synced))  # nothing twice
    assert "No changes." in reconcile("plan", "-c", str(setup)).output  # nothing lost


def test_a_refused_saved_plan_names_at_most_twenty_differences(sandbox, setup, tmp_path):
    planfile = tmp_path / "plan.json"
    reconcile("plan", "-c", str(setup), "--out", str(planfile))
    for period in list(sandbox.world.personio.absence_periods.values()):  # every absence cancelled meanwhile
        Personio(sandbox)("DELETE", f"/v2/absence-periods/{period.id}")
    result = reconcile("apply", "-c", str(setup), str(planfile), "--force")
    assert result.exit_code == 1
    listed = [line for line in result.output.splitlines() if line.removeprefix("error: ").startswith("  only in ")]
    assert len(listed) == 20
    more = re.search(r"… and (\d+) more", result.output)
    assert more and int(more.group(1)) > 0


def test_only_with_a_saved_plan_of_another_scope_says_so(sandbox, setup, tmp_path):
    planfile = tmp_path / "plan.json"
    assert CliRunner().invoke(cli, ["plan", "-c", str(setup), "--out", str(planfile), "--today",
                                    TODAY.isoformat()]).exit_code == 0  # both directions
    sandbox.log.clear()
    result = reconcile("apply", "-c", str(setup), str(planfile), "--only", "absences")
    assert result.exit_code == 1
    assert f"{planfile} covers absences_to_moco, holidays_to_moco, hours_to_personio, people_to_moco, but --only " \
           "asks for absences_to_moco" in result.output and "MOCO or Personio changed" not in result.output
    assert writes(sandbox) == []


# ----------------------------------------------------------------------------- reconcile users


def test_users_lists_the_matching_table_and_writes_nothing(sandbox, setup):
    text = reconcile("users", "-c", str(setup))
    assert text.exit_code == 0, text.output
    assert "  jane.doe@acme.example → jane@acme.example" in text.output
    assert "  Max.Mustermann@ACME.EXAMPLE → max.mustermann@acme.example" in text.output  # case-insensitive match
    data = json.loads(reconcile("users", "-c", str(setup), "--format", "json").output)
    assert {"personio": "jane.doe@acme.example", "moco": "jane@acme.example"} in data["matched"]
    assert data["overrides_used"] == [{"personio": "jane.doe@acme.example", "moco": "jane@acme.example"}]
    assert data["only_personio"] == ["nina.neumeyer@acme.example"]
    assert data["only_moco"] == ["frank@freelance.example"]
    assert data["excluded"] == ["robot@acme.example"] and data["archived"] == ["olaf.altmann@acme.example"]
    assert data["shared_emails"] == [] and data["overrides_unmatched"] == []
    assert writes(sandbox) == []
