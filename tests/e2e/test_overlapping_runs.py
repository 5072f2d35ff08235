"""Two applies at the same time (two pipeline runs, a manual run during the CronJob, two pods):
both finish, and no record is left twice."""

from __future__ import annotations

import subprocess
import sys
from collections import Counter

import pytest
from click.testing import CliRunner

from reconciler.cli import cli
from reconciler.sync.ownership import ABSENCE_MARKER, ATTENDANCE_MARKER
from tests.conftest import TODAY


@pytest.fixture
def spec(sandbox, tmp_path, monkeypatch):
    """Both directions, a fast rate limit, and answers slow enough for two runs to overlap."""
    for service, per in (("moco", 120), ("personio", 60)):
        sandbox.knobs[service].update({"rate_limit_requests": 5000, "rate_limit_seconds": per, "latency": 0.01})
    path = tmp_path / "mapping.yaml"
    path.write_text(sandbox.spec_yaml().replace("requests: 120, per_seconds: 120", "requests: 5000, per_seconds: 120")
                    .replace("requests: 600, per_seconds: 60", "requests: 5000, per_seconds: 60"))
    for name, value in sandbox.env().items():
        monkeypatch.setenv(name, value)
    return path


def copies(sandbox) -> tuple[list, list]:
    absences = Counter((s.user_id, s.date) for s in sandbox.world.moco.schedules.values()
                       if ABSENCE_MARKER.source(s.comment))
    periods = Counter(ATTENDANCE_MARKER.source(p.comment) for p in sandbox.world.personio.attendance_periods.values()
                      if ATTENDANCE_MARKER.source(p.comment) is not None)
    return [k for k, n in absences.items() if n > 1], [k for k, n in periods.items() if n > 1]


def test_two_applies_at_once_leave_no_duplicates(sandbox, spec):
    command = [sys.executable, "-m", "reconciler", "apply", "-c", str(spec), "--auto-approve", "--today",
               TODAY.isoformat()]
    runs = [subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True) for _ in range(2)]
    outputs = [run.communicate(timeout=120)[0] for run in runs]
    for run, out in zip(runs, outputs):
        # A run either finishes, or finds a list changing under its first read (the other run is
        # writing it) and stops before writing anything, saying so.
        assert run.returncode == 0 or ("kept changing while it was read" in out and "Apply " not in out), out
    assert any(run.returncode == 0 for run in runs), outputs
    assert copies(sandbox) == ([], [])
    again = CliRunner().invoke(cli, ["plan", "-c", str(spec), "--today", TODAY.isoformat(), "--detailed-exitcode"])
    assert again.exit_code == 0, again.output  # in step: nothing lost either
