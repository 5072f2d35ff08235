"""The command line as a user meets it: exit codes, messages, help, the schema."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from jsonschema import Draft202012Validator

from reconciler import __version__
from reconciler.cli import cli

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "mapping.yaml"


def run(*args: str, env: dict[str, str] | None = None):
    return CliRunner().invoke(cli, list(args), env=env, catch_exceptions=False)


def test_validate_accepts_the_example():
    result = run("validate", "-c", str(EXAMPLE))
    assert result.exit_code == 0, result.output
    assert "valid spec" in result.output


def test_validate_reads_reconcile_config_when_no_option_is_given():
    result = run("validate", env={"RECONCILE_CONFIG": str(EXAMPLE)})
    assert result.exit_code == 0, result.output


def test_validate_defaults_to_mapping_yaml_in_the_current_directory(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("RECONCILE_CONFIG", raising=False)
    result = run("validate")
    assert result.exit_code == 1
    assert "mapping.yaml not found" in result.output
    (tmp_path / "mapping.yaml").write_text(EXAMPLE.read_text())
    assert run("validate").exit_code == 0


def test_validate_notes_unset_secret_variables_without_failing():
    result = run("validate", "-c", str(EXAMPLE), env={"MOCO_API_KEY": "", "PERSONIO_CLIENT_ID": "x",
                                                      "PERSONIO_CLIENT_SECRET": "y"})
    assert result.exit_code == 0
    assert "$MOCO_API_KEY is not set" in result.output
    assert "PERSONIO_CLIENT_ID is not set" not in result.output


def test_validate_and_plan_agree_that_a_blank_secret_is_not_set():
    env = {"MOCO_API_KEY": "k", "PERSONIO_CLIENT_ID": "x", "PERSONIO_CLIENT_SECRET": "  "}
    assert "$PERSONIO_CLIENT_SECRET is not set" in run("validate", "-c", str(EXAMPLE), env=env).output
    planned = run("plan", "-c", str(EXAMPLE), env=env)
    assert planned.exit_code == 1 and "$PERSONIO_CLIENT_SECRET (the Personio API client secret" in planned.output


def test_broken_spec_exits_1_with_located_message_and_no_traceback(tmp_path):
    path = tmp_path / "broken.yaml"
    path.write_text(EXAMPLE.read_text().replace("Sick leave: sick_day", "Sick leave: sick"))
    result = run("validate", "-c", str(path))
    assert result.exit_code == 1
    assert f'{path}:31:5: absences.types["Sick leave"]: \'sick\' is not a MOCO absence kind' in result.output
    assert "Traceback" not in result.output


def test_schema_prints_the_file_in_schemas_and_it_is_a_valid_json_schema():
    result = run("schema")
    assert result.exit_code == 0
    assert result.output == (ROOT / "schemas" / "mapping.schema.json").read_text()
    Draft202012Validator.check_schema(json.loads(result.output))


def test_schema_and_example_agree():
    """The example exercises every top-level section and every field the schema knows."""
    schema = json.loads((ROOT / "schemas" / "mapping.schema.json").read_text())
    import yaml

    example = yaml.safe_load(EXAMPLE.read_text())
    example["start_date"] = str(example["start_date"])
    Draft202012Validator(schema).validate(example)

    def keys(node: dict, prefix: str = "") -> set[str]:
        out = set()
        for name, sub in node.get("properties", {}).items():
            out.add(prefix + name)
            out |= keys(sub, f"{prefix}{name}.")
            out |= keys(sub.get("items", {}), f"{prefix}{name}[].")
        return out

    def present(value, prefix: str = "") -> set[str]:
        out = set()
        if isinstance(value, dict):
            for name, sub in value.items():
                out.add(prefix + str(name))
                out |= present(sub, f"{prefix}{name}.")
        elif isinstance(value, list):
            for item in value:
                out |= present(item, prefix[:-1] + "[].")
        return out

    missing = keys(schema) - present(example)
    assert not missing, f"examples/mapping.yaml does not show: {sorted(missing)}"


@pytest.mark.parametrize("command", [[], *[[name] for name in cli.commands]])
def test_help_of_every_command_exits_0_and_shows_an_example(command):
    result = run(*command, "--help")
    assert result.exit_code == 0
    assert "Example:" in result.output


def test_version():
    result = run("--version")
    assert result.exit_code == 0 and result.output.strip() == f"reconcile {__version__}"


@pytest.mark.parametrize("args", [["validate", "--bogus"], ["nonsense"], []])
def test_usage_errors_exit_1_not_2(args):
    """Exit code 2 is reserved for `plan --detailed-exitcode` (CONTRACT.md §2)."""
    assert run(*args).exit_code == 1


def test_installed_console_script_runs():
    """The entry point a user types, not the click object: exit codes survive the process boundary."""
    script = Path(sys.executable).parent / "reconcile"
    ok = subprocess.run([script, "validate", "-c", EXAMPLE], capture_output=True, text=True)
    assert ok.returncode == 0, ok.stderr
    bad = subprocess.run([script, "validate", "-c", "does-not-exist.yaml"], capture_output=True, text=True)
    assert bad.returncode == 1
    assert bad.stderr.startswith("error: spec file does-not-exist.yaml not found")


def test_schema_piped_into_a_closed_reader_does_not_crash():
    script = Path(sys.executable).parent / "reconcile"
    result = subprocess.run(f"'{script}' schema | head -c 10 >/dev/null", shell=True, capture_output=True, text=True)
    assert "Traceback" not in result.stderr


def test_every_broken_spec_exits_1_through_the_cli_without_traceback(tmp_path):
    from tests.spec.test_spec import BROKEN

    for index, param in enumerate(BROKEN):
        text, _where, path, _words = param.values
        spec = tmp_path / f"broken{index}.yaml"
        spec.write_text(text)
        result = run("validate", "-c", str(spec))
        assert result.exit_code == 1, param.id
        assert path in result.output, param.id
        assert "Traceback" not in result.output, param.id


def test_a_built_wheel_carries_the_schema(tmp_path):
    """Installs from a wheel (the Containerfile does) must find the schema inside the package."""
    build = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "--disable-pip-version-check",
         "-w", str(tmp_path), str(ROOT)],
        capture_output=True, text=True,
    )
    assert build.returncode == 0, build.stderr
    wheel = next(tmp_path.glob("personio_moco_reconcile-*.whl"))  # the distribution, named in pyproject.toml
    code = (
        f"import sys; sys.path.insert(0, {str(wheel)!r}); "
        "import reconciler.spec.schema as s; assert s.__file__.startswith(sys.path[0]), s.__file__; "
        "print(s.schema_text(), end='')"
    )
    shown = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=tmp_path)
    assert shown.returncode == 0, shown.stderr
    assert shown.stdout == (ROOT / "schemas" / "mapping.schema.json").read_text()


def test_an_environment_error_is_one_line_not_a_traceback(monkeypatch):
    def full_disk(*args, **kwargs):
        raise OSError(28, "No space left on device", "/tmp/plan.json")

    monkeypatch.setattr("reconciler.cli.load_spec", full_disk)
    result = CliRunner().invoke(cli, ["validate", "-c", str(EXAMPLE)])
    assert result.exit_code == 1
    assert result.output.strip() == "error: No space left on device (/tmp/plan.json)"


def test_without_a_terminal_apply_logs_a_progress_line_every_ten_seconds(capsys):
    from types import SimpleNamespace

    from reconciler.cli.apply import _progress_printer
    from reconciler.plan.cost import Cost

    show = _progress_printer()
    assert show.every == 10.0 and not show.terminal
    now = [0.0]
    show.clock = lambda: now[0]
    show.applying(Cost((), first_sync=True), 761)
    now[0] = 30.0
    show(SimpleNamespace(status="failed"), 1, 761)
    now[0] = 60.0
    show(SimpleNamespace(status="applied"), 2, 761)
    assert capsys.readouterr().err == ""  # nothing per change in a log
    show.beat()
    assert capsys.readouterr().err == "  applying: 2 of 761 done, 1 failed so far; 2 a minute, about 6.3 h left\n"


def test_the_container_image_is_labelled_with_this_version():
    text = (ROOT / "Containerfile").read_text()
    assert f"ARG VERSION={__version__}\n" in text and 'org.opencontainers.image.version="${VERSION}"' in text
    assert "org.opencontainers.image.source=" in text


def test_on_a_terminal_apply_draws_a_progress_bar(capsys, monkeypatch):
    from types import SimpleNamespace

    from reconciler.cli.apply import _progress_printer
    from reconciler.plan.cost import Cost

    monkeypatch.setattr("reconciler.logs.stderr_is_terminal", lambda: True)
    show = _progress_printer()
    assert show.terminal  # drawn per change (and redrawn each second with a wait), no lines
    show.clock = lambda: 0.0  # too early for a rate
    show.applying(Cost((), first_sync=True), 4)
    show(SimpleNamespace(status="applied"), 1, 4)
    show(SimpleNamespace(status="failed"), 2, 4)
    assert capsys.readouterr().err == "\r  [#######.......................] 1/4\r  [###############...............] 2/4, 1 failed"
    show(SimpleNamespace(status="applied"), 4, 4)
    assert capsys.readouterr().err.endswith("[##############################] 4/4, 1 failed\n")


def test_with_json_logs_apply_logs_progress_as_json_even_on_a_terminal(capsys, monkeypatch):
    import json
    from types import SimpleNamespace

    from reconciler import logs
    from reconciler.cli.apply import _progress_printer
    from reconciler.plan.cost import Cost

    monkeypatch.setattr("reconciler.logs.stderr_is_terminal", lambda: True)
    monkeypatch.setattr(logs, "_format", "json")
    show = _progress_printer()
    show.applying(Cost((), first_sync=True), 761)
    show(SimpleNamespace(status="failed"), 1, 761)
    show.beat()
    record = json.loads(capsys.readouterr().err)
    assert show.every == 10.0 and not show.terminal and record["event"] == "apply.progress"
    assert (record["done"], record["total"], record["failed"], record["level"]) == (1, 761, 1, "info")
    assert "rate_per_minute" in record and "eta_seconds" in record


def test_doctor_is_a_command_and_a_bad_spec_or_format_exits_1(tmp_path):
    assert "doctor" in run("--help").output
    spec = tmp_path / "mapping.yaml"
    spec.write_text("version: 1\nstart_date: nope\n")
    broken = run("doctor", "-c", str(spec))
    assert broken.exit_code == 1 and "error:" in broken.output and "Traceback" not in broken.output
    assert broken.stdout == ""
    assert run("doctor", "-c", str(EXAMPLE), "--format", "markdown").exit_code == 1


def test_doctor_without_credentials_fails_them_by_name_and_asks_nobody(tmp_path):
    """No variable set: both credentials checks fail naming them; nothing else can run (no network)."""
    result = run("doctor", "-c", str(EXAMPLE), "--format", "json",
                 env={"MOCO_API_KEY": "", "PERSONIO_CLIENT_ID": "", "PERSONIO_CLIENT_SECRET": ""})
    assert result.exit_code == 1
    report = json.loads(result.stdout)
    statuses = {check["name"]: check["status"] for check in report["checks"]}
    assert statuses["moco-credentials"] == statuses["personio-credentials"] == "fail"
    assert report["summary"]["fail"] == 2 and report["summary"]["pass"] == report["summary"]["warn"] == 0
    details = " ".join(check["detail"] for check in report["checks"])
    assert "$MOCO_API_KEY" in details and "$PERSONIO_CLIENT_ID" in details and "$PERSONIO_CLIENT_SECRET" in details
