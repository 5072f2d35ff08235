"""--timeout: a service that accepts connections and never answers fails the run within the bound,
with a line naming it and how long was waited."""

from __future__ import annotations

import socket
import threading
import time

from click.testing import CliRunner

from reconciler.cli import cli

SPEC = """\
version: 1
start_date: 2026-11-01
moco: {{base_url: "http://127.0.0.1:{port}/api/v1"}}
personio: {{base_url: "http://127.0.0.1:{port}"}}
absences: {{types: {{Paid vacation: holiday}}}}
attendances: {{direction: moco_to_personio}}
"""


def test_a_service_that_never_answers_fails_within_the_timeout(tmp_path, monkeypatch):
    silent = socket.create_server(("127.0.0.1", 0))
    accepted: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:  # take every connection, answer nothing
        silent.settimeout(0.1)
        while not stop.is_set():
            try:
                accepted.append(silent.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    spec = tmp_path / "mapping.yaml"
    spec.write_text(SPEC.format(port=silent.getsockname()[1]))
    for name in ("MOCO_API_KEY", "PERSONIO_CLIENT_ID", "PERSONIO_CLIENT_SECRET"):
        monkeypatch.setenv(name, "x")
    try:
        started = time.monotonic()
        result = CliRunner().invoke(cli, ["plan", "-c", str(spec), "--timeout", "2"])
        elapsed = time.monotonic() - started
    finally:
        stop.set()
        thread.join(timeout=2)
        for connection in accepted:
            connection.close()
        silent.close()
    assert result.exit_code == 1
    assert elapsed < 5, elapsed
    assert "did not answer within 2 s" in result.output and "Traceback" not in result.output
    assert result.output.startswith("error: MOCO: ") or result.output.startswith("error: Personio: "), result.output
