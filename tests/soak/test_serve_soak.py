"""The serve soak, quickly: one short seed of bench/soak_serve.py (`make soak-serve` runs many), so that it keeps
working. `reconcile serve` (the real command line) takes the sandbox's webhooks while real changes are made in
MOCO and Personio and hostile deliveries arrive between them; every real change must be applied, nothing twice,
no hostile delivery answered with a 5xx or accepted when forged, every log line JSON. The floods are left to
`make soak-serve`: they take a minute."""

from __future__ import annotations

import importlib
import sys

import pytest

from tests.soak.conftest import HARNESS

sys.path.insert(0, str(HARNESS.parent))
soak_serve = importlib.import_module("soak_serve")

QUICK = ("forged moco", "unsigned moco", "forged personio", "oversized", "malformed", "poison", "replay",
         "odd headers", "hang-up")


@pytest.mark.serve_soak
def test_one_seed_of_hostile_deliveries_and_real_changes(sandbox):
    result = soak_serve.serve_seed(sandbox, 3, hostile=10, settle=60, command_timeout=120, kinds=QUICK)
    report = result.line() + "".join(f"\n  {note}" for note in result.notes) + "".join(
        f"\n  {outcome.line()}" for outcome in result.hostile)
    assert result.changes, report  # the seed made real changes
    assert result.not_applied == [], report
    assert result.got_through == [], report
    assert result.duplicates == [] and result.touched == [], report
    assert result.lost == 0, report  # a final `reconcile plan --detailed-exitcode` exits 0
    assert result.serve_alive and result.healthz, report
    assert result.non_json_lines == 0, report
