"""What the end-to-end tests share."""

from __future__ import annotations

import pytest


@pytest.fixture
def setup(sandbox, tmp_path, monkeypatch):
    """A ready spec for the running sandbox, its credentials in the environment, fast rate limits."""
    sandbox.knobs["moco"].update({"rate_limit_requests": 1200, "rate_limit_seconds": 120})
    spec = tmp_path / "mapping.yaml"
    spec.write_text(sandbox.spec_yaml().replace("requests: 120, per_seconds: 120", "requests: 1200, per_seconds: 120"))
    for name, value in sandbox.env().items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("RECONCILE_CONFIG", raising=False)
    return spec
