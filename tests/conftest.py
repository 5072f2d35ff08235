"""Shared fixtures: a running sandbox and a small synchronous HTTP helper for talking to it."""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any, Iterator

import pytest

from reconciler import logs
from reconciler.sandbox import Sandbox, SandboxThread, SeedParams
from reconciler.sandbox.seed import MOCO_API_KEY, PERSONIO_CLIENT_ID, PERSONIO_CLIENT_SECRET
from tests import aioresponses_compat

aioresponses_compat.install()

SAMPLES = Path(__file__).resolve().parent / "samples"
TODAY = date(2026, 11, 25)


def sample(name: str) -> dict[str, Any]:
    """A recorded payload from tests/samples (copied from ../shared/api/samples)."""
    return json.loads((SAMPLES / name).read_text(encoding="utf-8"))


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)

    def header(self, name: str) -> str | None:
        lowered = {k.lower(): v for k, v in self.headers.items()}
        return lowered.get(name.lower())


def call(method: str, url: str, *, headers: dict[str, str] | None = None, json_body: Any = None,
         form: dict[str, str] | None = None, timeout: float = 10) -> Answer:
    data = None
    headers = dict(headers or {})
    if json_body is not None:
        data = json.dumps(json_body).encode()
        headers.setdefault("Content-Type", "application/json")
    elif form is not None:
        data = urllib.parse.urlencode(form).encode()
        headers.setdefault("Content-Type", "application/x-www-form-urlencoded")
    request = urllib.request.Request(url, data=data, method=method, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return Answer(response.status, dict(response.headers.items()), response.read())
    except urllib.error.HTTPError as error:
        return Answer(error.code, dict(error.headers.items()), error.read())


@pytest.fixture(autouse=True)
def text_logs() -> Iterator[None]:
    """Each test starts with text logs, as each command does; `--log-format json` in one test's CLI call
    sets the process-wide format (logs.py) until the next command, which tests run in one process."""
    logs.configure("text")
    yield
    logs.configure("text")


@pytest.fixture
def sandbox() -> Iterator[Sandbox]:
    """A fresh sandbox (seed 1, 12 people, built around 2026-11-25) served from a thread."""
    with SandboxThread(Sandbox(SeedParams(seed=1, people=12, today=TODAY))) as running:
        yield running


class Moco:
    def __init__(self, sandbox: Sandbox, key: str = MOCO_API_KEY) -> None:
        self.sandbox = sandbox
        self.key = key

    def __call__(self, method: str, path: str, **kwargs: Any) -> Answer:
        headers = {"Authorization": f"Token token={self.key}", **kwargs.pop("headers", {})}
        url = path if path.startswith("http") else self.sandbox.moco_url + path
        return call(method, url, headers=headers, **kwargs)


class Personio:
    def __init__(self, sandbox: Sandbox) -> None:
        self.sandbox = sandbox
        self._token: str | None = None

    def token(self) -> str:
        if self._token is None:
            answer = call("POST", self.sandbox.personio_url + "/v2/auth/token", form={
                "grant_type": "client_credentials", "client_id": PERSONIO_CLIENT_ID,
                "client_secret": PERSONIO_CLIENT_SECRET,
            })
            assert answer.status == 200, answer.body
            self._token = answer.json()["access_token"]
        return self._token

    def __call__(self, method: str, path: str, **kwargs: Any) -> Answer:
        headers = {"Authorization": f"Bearer {self.token()}", **kwargs.pop("headers", {})}
        url = path if path.startswith("http") else self.sandbox.personio_url + path
        return call(method, url, headers=headers, **kwargs)


@pytest.fixture
def moco(sandbox: Sandbox) -> Moco:
    return Moco(sandbox)


@pytest.fixture
def personio(sandbox: Sandbox) -> Personio:
    return Personio(sandbox)


def side_door(sandbox: Sandbox, method: str, path: str, **kwargs: Any) -> Answer:
    return call(method, f"{sandbox.personio_url}/_sandbox{path}", **kwargs)


@pytest.fixture
def setup(sandbox: Sandbox, tmp_path: Any, monkeypatch: Any) -> Any:
    """A ready spec for the running sandbox, its credentials in the environment, fast rate limits."""
    sandbox.knobs["moco"].update({"rate_limit_requests": 1200, "rate_limit_seconds": 120})
    spec = tmp_path / "mapping.yaml"
    spec.write_text(sandbox.spec_yaml().replace("requests: 120, per_seconds: 120", "requests: 1200, per_seconds: 120"))
    for name, value in sandbox.env().items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("RECONCILE_CONFIG", raising=False)
    return spec
