"""Errors say the same thing everywhere (issue 21): whatever the command and whatever went wrong (a usage error
click finds, a bad option value, a spec that does not load, a bug), every stderr line starts with `error:`,
the exit code is 1, and under `--log-format json` or RECONCILE_LOG_FORMAT=json every stderr line is one JSON
object with level "error" and the message, even when the usage error comes before the option is read."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from reconciler.cli import cli

ROOT = Path(__file__).resolve().parent.parent

BROKEN_SPEC = "version: 1\nfoo: bar\nmoco: 3\n"  # several problems: a message of several lines

# (what is wrong, the command line, words the error must contain). {dir} is a directory, {broken} a broken spec.
CASES = [
    ("no command", [], "missing a command"),
    ("unknown command", ["bogus"], "no such command 'bogus'"),
    ("unknown group option", ["--bogus"], "no such option '--bogus'"),
    ("validate: unknown option", ["validate", "--bogus"], "no such option '--bogus'"),
    ("validate: extra argument", ["validate", "extra"], "unexpected extra argument (extra)"),
    ("validate: option without its value", ["validate", "-c"], "'-c' requires an argument"),
    ("validate: no such spec", ["validate", "-c", "{dir}/nope.yaml"], "nope.yaml not found"),
    ("validate: broken spec", ["validate", "-c", "{broken}"], "is not a valid spec"),
    ("schema: extra argument", ["schema", "x"], "unexpected extra argument (x)"),
    ("plan: --from after --to", ["plan", "--from", "2026-03-05", "--to", "2026-03-01"],
     "--from 2026-03-05 is after --to 2026-03-01"),
    ("plan: --out a directory", ["plan", "--out", "{dir}"], "'--out'"),
    ("plan: --timeout 0", ["plan", "--timeout", "0"], "'--timeout'"),
    ("plan: --only bogus", ["plan", "--only", "bogus"], "'--only'"),
    ("plan: bad format", ["plan", "--format", "xml"], "'--format'"),
    ("plan: bad log format", ["plan", "--log-format", "xml"], "'--log-format'"),
    ("plan: bad date", ["plan", "--from", "March"], "'--from'"),
    ("apply: --report a directory", ["apply", "--report", "{dir}"], "'--report'"),
    ("apply: extra argument", ["apply", "a.json", "b.json"], "unexpected extra argument (b.json)"),
    ("apply: --user empty", ["apply", "--user", " "], "'--user'"),
    ("users: bad format", ["users", "--format", "x"], "'--format'"),
    ("users: --timeout 0", ["users", "--timeout", "0"], "'--timeout'"),
    ("doctor: bad format", ["doctor", "--format", "x"], "'--format'"),
    ("doctor: no such spec", ["doctor", "-c", "{dir}/nope.yaml"], "nope.yaml not found"),
    ("serve: bad --listen", ["serve", "--listen", "x"], "'--listen'"),
    ("serve: bad --every", ["serve", "--every", "0m"], "'--every'"),
    ("serve: unknown option", ["serve", "--bogus"], "no such option '--bogus'"),
    ("sandbox: no command", ["sandbox"], "missing a command: serve"),
    ("sandbox: unknown command", ["sandbox", "bogus"], "no such command 'bogus'"),
    ("sandbox serve: --people 0", ["sandbox", "serve", "--people", "0"], "'--people'"),
    ("demo: --people 0", ["demo", "--people", "0"], "'--people'"),
    ("demo: unknown option", ["demo", "--bogus"], "no such option '--bogus'"),
]


@pytest.fixture
def places(tmp_path):
    broken = tmp_path / "broken.yaml"
    broken.write_text(BROKEN_SPEC)
    return {"dir": str(tmp_path), "broken": str(broken)}


def invoke(args: list[str], env: dict[str, str | None] | None = None):
    return CliRunner().invoke(cli, args, env={"RECONCILE_LOG_FORMAT": None, "RECONCILE_CONFIG": None, **(env or {})})


def filled(args: list[str], places: dict[str, str]) -> list[str]:
    return [arg.format(**places) for arg in args]


def assert_text_errors(stderr: str, said: str) -> None:
    lines = stderr.splitlines()
    assert lines, "nothing on stderr"
    assert all(line.startswith("error: ") for line in lines), stderr
    assert said in stderr, stderr
    assert "Usage:" not in stderr and "Traceback" not in stderr


def assert_json_errors(stderr: str, said: str) -> list[dict]:
    lines = stderr.splitlines()
    assert lines, "nothing on stderr"
    found = [json.loads(line) for line in lines]  # every line parses
    errors = [line for line in found if line["level"] == "error"]
    assert errors and all(line["event"] == "error" and line["message"].startswith("error: ") for line in errors)
    assert said in " ".join(line["message"] for line in errors), stderr
    return found


def each_case(check) -> None:
    """`check(what, args, said)` for every case; the cases that fail, all of them, named in one assertion."""
    failed = []
    for what, args, said in CASES:
        try:
            check(what, args, said)
        except (AssertionError, ValueError) as exc:  # ValueError: a line that is not JSON
            failed.append(f"{what}: {exc}")
    assert not failed, f"{len(failed)} of {len(CASES)} cases:\n" + "\n".join(failed)


def test_every_error_line_starts_with_error_and_exits_1(places):
    def check(what, args, said):
        result = invoke(filled(args, places))
        assert result.exit_code == 1, f"exit {result.exit_code}: {result.output}"
        assert result.stdout == "", result.stdout
        assert_text_errors(result.stderr, said)

    each_case(check)


def test_with_reconcile_log_format_json_every_error_line_is_json(places):
    def check(what, args, said):
        result = invoke(filled(args, places), {"RECONCILE_LOG_FORMAT": "json"})
        assert result.exit_code == 1, f"exit {result.exit_code}: {result.output}"
        assert result.stdout == "", result.stdout
        assert_json_errors(result.stderr, said)

    each_case(check)


def test_with_log_format_json_on_the_command_line_every_error_line_is_json(places):
    """The option anywhere on the line, also after what is wrong, where click never gets to read it."""
    def check(what, args, said):
        if "--log-format" in args:  # the case is about the option itself
            return
        result = invoke([*filled(args, places), "--log-format", "json"])
        assert result.exit_code == 1, f"exit {result.exit_code}: {result.output}"
        assert_json_errors(result.stderr, said if args[-1:] != ["-c"] else "")  # else "--log-format" is -c's value
        first = invoke(["--log-format=json", *filled(args, places)])
        assert first.exit_code == 1, f"exit {first.exit_code}: {first.output}"
        assert_json_errors(first.stderr, said)

    each_case(check)


def test_a_spec_with_several_problems_says_error_on_every_line_and_one_json_object(places):
    text = invoke(["validate", "-c", places["broken"]]).stderr
    assert len(text.splitlines()) >= 3 and all(line.startswith("error: ") for line in text.splitlines())
    assert re.search(r"^error: {3}\S+broken\.yaml:2:1: foo: unknown key", text, re.M), text
    [line] = assert_json_errors(invoke(["validate", "-c", places["broken"], "--log-format", "json"]).stderr,
                                "foo: unknown key")
    assert line["message"].count("\n") >= 2  # the problems inside the one object


def test_every_command_takes_log_format():
    commands = [cli, *cli.commands.values()]
    commands += [sub for command in commands if isinstance(command, click.Group) for sub in command.commands.values()]
    for command in commands:
        assert "--log-format" in [opt for param in command.params for opt in param.opts], command.name


def test_a_bug_is_one_error_line_and_the_traceback_is_kept_not_shown(monkeypatch, places):
    def broken(*args, **kwargs):
        raise KeyError("a bug\nwith a second line")

    monkeypatch.setattr("reconciler.cli.load_spec", broken)
    result = invoke(["validate", "-c", places["broken"]])
    assert result.exit_code == 1
    [line] = result.stderr.splitlines()
    assert line.startswith("error: internal error (KeyError: ") and "bug in reconcile" in line
    saved = Path(re.search(r"the traceback in (\S+\.txt)", line).group(1))
    try:
        assert "Traceback" in saved.read_text() and "a bug" in saved.read_text()
    finally:
        saved.unlink()
    [logged] = assert_json_errors(invoke(["validate", "-c", places["broken"]], {"RECONCILE_LOG_FORMAT": "json"}).stderr,
                                  "internal error (KeyError")
    assert "Traceback" in logged["exception"] and "Traceback" not in logged["message"]


def test_an_abort_is_an_error_line_too(monkeypatch, places):
    def interrupted(*args, **kwargs):
        raise click.Abort()

    monkeypatch.setattr("reconciler.cli.load_spec", interrupted)
    result = invoke(["validate", "-c", places["broken"]])
    assert result.exit_code == 1 and result.stderr == "error: aborted\n"
    assert_json_errors(invoke(["validate", "-c", places["broken"], "--log-format", "json"]).stderr, "aborted")


@pytest.mark.parametrize("fmt", ["text", "json"])
def test_the_command_in_a_process_of_its_own_says_usage_errors_the_same_way(fmt, places):
    """The command in a process of its own: exit code 1 (2 is `plan --detailed-exitcode`'s)."""
    env = {"PATH": "/usr/bin:/bin", "RECONCILE_LOG_FORMAT": fmt}
    for args, said in ((["plan", "--from", "2026-03-05", "--to", "2026-03-01"], "is after --to"),
                       (["serve", "--bogus"], "no such option '--bogus'"), ([], "missing a command")):
        done = subprocess.run([sys.executable, "-m", "reconciler", *args], capture_output=True, text=True, env=env,
                              cwd=ROOT, timeout=60, check=False)
        assert done.returncode == 1, done.stderr
        assert done.stdout == ""
        if fmt == "text":
            assert_text_errors(done.stderr, said)
        else:
            assert_json_errors(done.stderr, said)


def test_a_failed_doctor_check_or_demo_is_an_error_line_beside_what_stdout_shows(monkeypatch):
    """The two commands whose exit 1 came with no error line at all: doctor's failed checks (the report is on
    stdout) and a demo that did not end as it should (its ✗ lines)."""
    no_credentials = {"MOCO_API_KEY": "", "PERSONIO_CLIENT_ID": "", "PERSONIO_CLIENT_SECRET": ""}
    doctor = invoke(["doctor", "-c", str(ROOT / "examples" / "mapping.yaml"), "--format", "json"], no_credentials)
    assert doctor.exit_code == 1 and json.loads(doctor.stdout)["summary"]["fail"] == 2
    assert_text_errors(doctor.stderr, "2 checks failed")
    logged = invoke(["doctor", "-c", str(ROOT / "examples" / "mapping.yaml"), "--format", "json"],
                    {**no_credentials, "RECONCILE_LOG_FORMAT": "json"})
    assert logged.exit_code == 1 and json.loads(logged.stdout)["summary"]["fail"] == 2
    assert_json_errors(logged.stderr, "2 checks failed")

    monkeypatch.setattr("reconciler.demo.loop.run_demo", lambda **kwargs: False)
    demo = invoke(["demo"])
    assert demo.exit_code == 1
    assert_text_errors(demo.stderr, "the demo did not end as it should")
