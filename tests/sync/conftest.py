"""Fixtures shared by the directions' planner tests."""

from __future__ import annotations

import pytest

from tests.factories import Company


@pytest.fixture
def company() -> Company:
    """A company with nobody in it yet, on the test's today."""
    return Company()
