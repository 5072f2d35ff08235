"""Secrets mounted as files (issue 21): `reconcile plan` against the sandbox with only the `*_FILE` variables
set, as a Kubernetes Secret mounted at /run/secrets would give them."""

from __future__ import annotations

import json

from click.testing import CliRunner

from reconciler.cli import cli
from tests.conftest import TODAY


def test_plan_runs_with_only_the_file_forms_of_the_credentials(setup, sandbox, tmp_path, monkeypatch):
    secrets = tmp_path / "secrets"
    secrets.mkdir()
    for name, value in sandbox.env().items():
        monkeypatch.delenv(name)
        (secrets / name.lower()).write_text(value + "\n")  # as `kubectl create secret --from-file` leaves it
        monkeypatch.setenv(f"{name}_FILE", str(secrets / name.lower()))
    result = CliRunner().invoke(cli, ["plan", "-c", str(setup), "--only", "absences", "--today", TODAY.isoformat()],
                                catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert "to add" in result.output and "error" not in result.output
    for value in sandbox.env().values():
        assert value not in result.output


def test_a_missing_secret_file_stops_plan_naming_variable_and_path(setup, sandbox, tmp_path, monkeypatch):
    name = next(iter(sandbox.env()))
    monkeypatch.delenv(name)
    monkeypatch.setenv(f"{name}_FILE", str(tmp_path / "gone"))
    result = CliRunner().invoke(cli, ["plan", "-c", str(setup), "--today", TODAY.isoformat()])
    assert result.exit_code == 1
    assert f"${name}_FILE names {tmp_path / 'gone'}, which does not exist" in result.output


def test_doctor_takes_the_credentials_from_files_and_names_a_bad_one(setup, sandbox, tmp_path, monkeypatch):
    for name, value in sandbox.env().items():
        monkeypatch.delenv(name)
        (tmp_path / name).write_text(value + "\n")
        monkeypatch.setenv(f"{name}_FILE", str(tmp_path / name))
    (tmp_path / "PERSONIO_CLIENT_SECRET").write_text("")
    result = CliRunner().invoke(cli, ["doctor", "-c", str(setup), "--format", "json", "--today", TODAY.isoformat()])
    checks = {check["name"]: check for check in json.loads(result.stdout)["checks"]}
    assert checks["moco-credentials"]["status"] == "pass"
    assert checks["personio-credentials"]["status"] == "fail"
    assert f"$PERSONIO_CLIENT_SECRET_FILE names {tmp_path / 'PERSONIO_CLIENT_SECRET'}, which is empty" in \
        checks["personio-credentials"]["detail"]
