"""What the doctor's tests share: a ready spec for the running sandbox, and the command run on it."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from reconciler.cli import cli
from reconciler.sandbox.personio.records import CHANGE_EVENTS
from tests.conftest import TODAY


@dataclass
class Ran:
    code: int
    stdout: str
    output: str  # stdout and stderr

    @property
    def report(self) -> dict[str, Any]:
        return json.loads(self.stdout)

    @property
    def statuses(self) -> dict[str, str]:
        return {check["name"]: check["status"] for check in self.report["checks"]}

    def detail(self, name: str) -> str:
        return next(check["detail"] for check in self.report["checks"] if check["name"] == name)


def doctor(spec: Path, *args: str) -> Ran:
    result = CliRunner().invoke(cli, ["doctor", "-c", str(spec), "--today", TODAY.isoformat(), *args],
                                catch_exceptions=False)
    return Ran(result.exit_code, result.stdout, result.output)


@pytest.fixture
def setup(setup: Path, sandbox: Any) -> Path:
    """The ready spec of tests/conftest.py, with the sandbox's Personio webhook recording every change event,
    as the README advises (by default it records deletions only, and incremental runs poll:
    test_doctor_sandbox.py shows the warning)."""
    for config in sandbox.world.personio.webhooks.values():
        config.enabled_events = list(CHANGE_EVENTS)
    return setup
