"""`reconcile serve`'s own errors, as a user meets them: exit code 1 and one line naming what to fix."""

from __future__ import annotations

import asyncio
import json
import socket
import subprocess
import sys
import time

from reconciler.cli.serve import webhook_secrets
from reconciler.errors import AuthenticationFailed
from reconciler.run import RunOptions, check_credentials
from reconciler.spec import load_spec
from reconciler.systems.connect import read_credentials
from tests.conftest import TODAY, side_door
from tests.e2e.serving import MOCO_SECRET, PERSONIO_TOKEN, env_of, fast_spec


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


def test_a_short_or_empty_webhook_secret_is_warned_about_by_name_never_by_value(sandbox, tmp_path, capsys):
    spec = load_spec(fast_spec(sandbox, tmp_path / "mapping.yaml"))
    moco, personio = webhook_secrets(spec, {"MOCO_WEBHOOK_SECRET": "Q", "PERSONIO_WEBHOOK_SECRET": "  "})
    said = capsys.readouterr().err
    assert moco == "Q" and personio is None  # serve starts; an empty secret refuses every Personio delivery
    assert "$MOCO_WEBHOOK_SECRET" in said and "shorter than 16 characters" in said
    assert "$PERSONIO_WEBHOOK_SECRET" in said and "is empty" in said
    assert "Q" not in said.replace("$MOCO_WEBHOOK_SECRET", "")
    webhook_secrets(spec, {"MOCO_WEBHOOK_SECRET": f"{MOCO_SECRET},x1", "PERSONIO_WEBHOOK_SECRET": PERSONIO_TOKEN})
    said = capsys.readouterr().err
    assert "a key in $MOCO_WEBHOOK_SECRET" in said and "PERSONIO" not in said


def test_sigterm_during_a_paced_read_stops_at_once_and_says_it_was_reading(sandbox, tmp_path):
    """Finding 8: the start-up full run reads MOCO at 4 requests a minute; SIGTERM then neither waits the whole
    --grace nor blames a slow service: nothing was written, so the read is stopped at once and the log says so."""
    sandbox.knobs["moco"].update({"rate_limit_requests": 4, "rate_limit_seconds": 60})
    spec = tmp_path / "mapping.yaml"
    spec.write_text(sandbox.spec_yaml())
    process = subprocess.Popen([sys.executable, "-m", "reconciler", "serve", "-c", str(spec), "--listen",
                                "127.0.0.1:0", "--grace", "60", "--log-format", "json", "--today", TODAY.isoformat()],
                               env=env_of(sandbox), stderr=subprocess.PIPE, text=True)
    for line in iter(process.stderr.readline, ""):  # type: ignore[union-attr]
        if '"serve.ready"' in line:
            break
    deadline = time.monotonic() + 30
    while sum(e.service == "moco" for e in list(sandbox.log.entries)) < 4 and time.monotonic() < deadline:
        time.sleep(0.1)  # the window's 4 spent: the read waits for the rate limit now
    time.sleep(0.5)
    signalled = time.monotonic()
    process.terminate()
    _, rest = process.communicate(timeout=90)
    took = time.monotonic() - signalled
    assert process.returncode == 0, rest
    assert took < 20, f"stopping took {took:.0f} s of the 60 s grace\n{rest}"
    assert "still reading MOCO and Personio and had written nothing" in rest
    assert "slow to answer" not in rest and "Traceback" not in rest
    assert not [e for e in sandbox.log.entries if e.method in ("POST", "PUT", "PATCH", "DELETE")
                and e.service == "moco" and "session" not in e.path]
    assert all(json.loads(line) for line in rest.splitlines())
