"""`reconcile serve`'s own errors, as a user meets them: exit code 1 and one line naming what to fix."""

from __future__ import annotations

import asyncio
import socket
import subprocess
import sys

from reconciler.errors import AuthenticationFailed
from reconciler.run import RunOptions, check_credentials
from reconciler.spec import load_spec
from reconciler.systems.connect import read_credentials
from tests.conftest import TODAY, side_door
from tests.e2e.serving import env_of, fast_spec


def serve(spec, env, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "reconciler", "serve", "-c", str(spec), *args],
                          capture_output=True, text=True, env=env, timeout=60, check=False)


def test_a_port_in_use_is_named_and_exits_1(sandbox, tmp_path):
    spec = fast_spec(sandbox, tmp_path / "mapping.yaml")
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = serve(spec, env_of(sandbox), "--listen", f"127.0.0.1:{port}")
    assert done.returncode == 1
    assert f"error: cannot listen on 127.0.0.1:{port}" in done.stderr
    assert "Traceback" not in done.stderr


def test_bad_listen_and_durations_are_usage_errors(sandbox, tmp_path):
    spec = fast_spec(sandbox, tmp_path / "mapping.yaml")
    for args, said in ((("--listen", "8080"), "give HOST:PORT"), (("--every", "0m"), "above zero"),
                       (("--full-every", "daily"), "above zero")):
        done = serve(spec, env_of(sandbox), *args)
        assert done.returncode == 1, done.stderr
        assert said in done.stderr and "Traceback" not in done.stderr


def test_missing_credentials_stop_it_before_it_listens(sandbox, tmp_path):
    spec = fast_spec(sandbox, tmp_path / "mapping.yaml")
    env = {k: v for k, v in env_of(sandbox).items() if k != "MOCO_API_KEY"}
    done = serve(spec, env, "--listen", "127.0.0.1:0")
    assert done.returncode == 1
    assert "MOCO_API_KEY" in done.stderr and "Traceback" not in done.stderr


def test_a_missing_webhook_secret_is_warned_about_by_name(sandbox, tmp_path):
    """Serve starts without it (the scheduled runs still reconcile), says so at once, and stops on SIGTERM."""
    spec = fast_spec(sandbox, tmp_path / "mapping.yaml")
    env = {k: v for k, v in env_of(sandbox).items() if k != "PERSONIO_WEBHOOK_SECRET"}
    process = subprocess.Popen([sys.executable, "-m", "reconciler", "serve", "-c", str(spec), "--listen",
                                "127.0.0.1:0"], env=env, stderr=subprocess.PIPE, text=True)
    line = process.stderr.readline()  # type: ignore[union-attr]
    for later in iter(process.stderr.readline, ""):  # type: ignore[union-attr]
        if "Listening on" in later:  # SIGTERM is taken over once it listens
            break
    process.terminate()
    _, rest = process.communicate(timeout=60)
    assert "$PERSONIO_WEBHOOK_SECRET" in line and "answered 401" in line
    assert process.returncode == 0, rest


def test_the_credentials_check_costs_a_request_each_and_gets_past_a_session_it_cannot_use(sandbox, tmp_path):
    """MOCO's key check is `GET /session`; what it answers an account key is not documented, so a 404 falls
    back to the first page of users. A refused key is an error naming the variable."""
    spec = load_spec(fast_spec(sandbox, tmp_path / "mapping.yaml"))
    credentials = read_credentials(spec, sandbox.env())
    sandbox.log.entries.clear()
    asyncio.run(check_credentials(spec, credentials, RunOptions(today=TODAY)))
    assert sorted(e.path for e in sandbox.log.entries) == ["/api/v1/session", "/v2/auth/token"]

    side_door(sandbox, "POST", "/faults", json_body={"service": "moco", "kind": "status", "method": "GET",
                                                      "path": "/api/v1/session", "status": 404, "times": 1})
    sandbox.log.entries.clear()
    asyncio.run(check_credentials(spec, credentials, RunOptions(today=TODAY)))
    assert [e.path for e in sandbox.log.entries if e.service == "moco"] == ["/api/v1/session", "/api/v1/users"]

    wrong = read_credentials(spec, {**sandbox.env(), spec.moco.api_key_env: "not-the-key"})
    try:
        asyncio.run(check_credentials(spec, wrong, RunOptions(today=TODAY)))
    except AuthenticationFailed as refused:
        assert spec.moco.api_key_env in str(refused) and "not-the-key" not in str(refused)
    else:
        raise AssertionError("a wrong MOCO key passed the check")
