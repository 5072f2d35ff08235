"""What reconcile says, read against what it does (issue 21): counts in the singular, every command's options in
the README's command table, and help texts that say what the code does."""

from __future__ import annotations

import json
import re
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from reconciler.cli import cli
from reconciler.sandbox import Sandbox, SandboxThread, SeedParams
from tests.conftest import TODAY

README = (Path(__file__).parent.parent / "README.md").read_text(encoding="utf-8")


def commands() -> list[tuple[str, click.Command]]:
    found = []
    for name, command in sorted(cli.commands.items()):
        if isinstance(command, click.Group):
            found += [(f"{name} {sub}", each) for sub, each in sorted(command.commands.items())]
        else:
            found.append((name, command))
    return found


def row(name: str) -> str:
    """The README command table's row of `reconcile NAME`: its first cell."""
    rows = [line for line in README.splitlines() if line.startswith(f"| `reconcile {name} ")
            or line.startswith(f"| `reconcile {name}`")]
    assert len(rows) == 1, f"no row (or several) for reconcile {name} in the README's command table"
    return rows[0].split("` |")[0]


@pytest.mark.parametrize(("name", "command"), commands(), ids=[name for name, _ in commands()])
def test_the_readme_command_table_names_every_option_of_every_command(name, command):
    cell = row(name)
    options = [param.opts for param in command.params if isinstance(param, click.Option) and not param.hidden]
    missing = [opts[-1] for opts in options
               if not any(re.search(rf"\[{re.escape(option)}\b", cell) for option in opts)]
    assert not missing, f"reconcile {name}: the README's command table does not name {missing}"


def test_sandbox_serve_help_says_what_works_against_it_today():
    said = CliRunner().invoke(cli, ["sandbox", "serve", "--help"]).output
    assert "as they arrive" not in said
    assert "1,200" in said and "ready spec" in said


def test_changed_since_help_says_how_a_time_without_a_zone_is_read():
    said = " ".join(CliRunner().invoke(cli, ["plan", "--help"]).output.split())
    assert "a time without a zone (2026-11-30T08:00) is UTC" in said
    assert "5 minutes earlier" in said


def test_apply_help_and_readme_say_a_plan_file_is_applied_without_asking():
    said = " ".join(CliRunner().invoke(cli, ["apply", "--help"]).output.split())
    assert "makes exactly the saved plan's changes without asking" in said
    assert "without asking, as Terraform applies a saved plan" in row("apply") + README.split(row("apply"))[1][:600]


def test_one_person_matched_is_said_in_the_singular(tmp_path, monkeypatch):
    with SandboxThread(Sandbox(SeedParams(seed=1, people=1, today=TODAY))) as sandbox:
        spec = tmp_path / "mapping.yaml"
        spec.write_text(sandbox.spec_yaml())
        for name, value in sandbox.env().items():
            monkeypatch.setenv(name, value)
        result = CliRunner().invoke(cli, ["plan", "-c", str(spec), "--today", TODAY.isoformat(),
                                          "--format", "json"])
    assert result.exit_code == 0, result.output
    notes = " ".join(json.loads(result.stdout)["notes"])
    assert "(1 person matched)" in notes and "1 people" not in notes, notes
