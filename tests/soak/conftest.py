"""The crash harness of bench/soak.py, and one sandbox process for the module's seeds."""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest

HARNESS = Path(__file__).resolve().parents[2] / "bench" / "soak.py"


def _load() -> ModuleType:
    spec = importlib.util.spec_from_file_location("reconcile_soak", HARNESS)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up by name
    spec.loader.exec_module(module)
    return module


soak = _load()


@pytest.fixture(scope="module")
def sandbox() -> Iterator[object]:
    """`reconcile sandbox serve` in its own process on free ports of 127.0.0.1 (12 people)."""
    with soak.start_sandbox(people=12) as running:
        yield running


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "serve_soak: one short seed of bench/soak_serve.py (about 15 s); "
                                       "deselect with -m 'not serve_soak'")
