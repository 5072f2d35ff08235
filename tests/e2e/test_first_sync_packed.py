"""A first sync planned and applied with its changes packed a few at a time (plan/packed.py: a first sync's
million are held so, 4,096 to a batch) says and does exactly what it does held whole: the same plan in every
format and plan file, the same writes, each record once, and nothing left to do (issue 22)."""

from __future__ import annotations

import json
import zlib

import pytest
from click.testing import CliRunner

from reconciler.cli import cli
from reconciler.plan import packed
from tests.conftest import TODAY


def run(*args: str):
    return CliRunner().invoke(cli, [*args, "--today", TODAY.isoformat()])


def outputs(spec, tmp_path, name: str) -> dict[str, str]:
    out = tmp_path / f"{name}.json"
    seen = {fmt: run("plan", "-c", str(spec), "--format", fmt) for fmt in ("text", "json", "markdown")}
    assert all(result.exit_code == 0 for result in seen.values()), {k: v.output[-500:] for k, v in seen.items()}
    assert run("plan", "-c", str(spec), "--out", str(out)).exit_code == 0
    return {fmt: result.stdout for fmt, result in seen.items()} | {"file": out.read_text()}


@pytest.fixture
def packing(monkeypatch):
    """Batches of 5 changes (and outcomes), and a count of the batches packed."""
    packs = []
    compress = zlib.compress

    def counted(data: bytes, level: int = -1) -> bytes:
        packs.append(len(data))
        return compress(data, level)

    monkeypatch.setattr(packed, "BATCH", 5)
    monkeypatch.setattr(packed.zlib, "compress", counted)
    return packs


def test_a_packed_first_sync_plans_the_same_in_every_format(setup, tmp_path, monkeypatch, packing):
    with monkeypatch.context() as whole:
        whole.setattr(packed, "BATCH", 1_000_000)
        held_whole = outputs(setup, tmp_path, "whole")
    assert not packing
    held_packed = outputs(setup, tmp_path, "packed")
    plan = json.loads(held_packed["json"])
    assert len(plan["changes"]) > 100 and len(packing) > 20  # a first sync, packed into many batches
    for name in held_whole:
        stable = [line for line in held_whole[name].splitlines() if '"created"' not in line]
        assert [line for line in held_packed[name].splitlines() if '"created"' not in line] == stable, name


def test_a_packed_first_sync_applies_each_record_once_and_leaves_nothing_to_do(setup, sandbox, tmp_path, packing):
    plan_file = tmp_path / "plan.json"
    assert run("plan", "-c", str(setup), "--out", str(plan_file)).exit_code == 0
    planned = json.loads(plan_file.read_text())
    sandbox.log.clear()
    applied = run("apply", "-c", str(setup), str(plan_file))
    assert applied.exit_code == 0, applied.output[-2000:]
    writes = [e for e in list(sandbox.log.entries) if e.method in ("POST", "PUT", "PATCH", "DELETE")
              and not e.path.endswith("/auth/token") and e.status is not None and e.status < 400]
    creates = sum(change["action"] == "create" for change in planned["changes"])
    assert sum(e.method == "POST" for e in writes) == creates > 100
    assert len(writes) == len(planned["changes"])  # a first sync: one write a change, nothing removed
    again = run("plan", "-c", str(setup), "--format", "json")
    assert json.loads(again.stdout)["changes"] == []
