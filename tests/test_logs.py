"""Under `--log-format json` every stderr line is JSON, also what libraries log through Python's `logging`, Python's
warnings and exceptions nothing caught (issue 20, finding 4); what they log is escaped and cut."""

from __future__ import annotations

import json
import logging
import sys
import threading
import warnings

import pytest

from reconciler import logs


@pytest.fixture
def json_logs(capsys):
    logs.configure("json")
    yield capsys
    logs.configure("text")


def lines_of(capsys) -> list[dict]:
    return [json.loads(line) for line in capsys.readouterr().err.splitlines()]


def test_a_library_warning_with_a_traceback_is_one_json_line(json_logs):
    try:
        raise ConnectionResetError("Connection lost")
    except ConnectionResetError:
        logging.getLogger("aiohttp.server").exception("Error handling request\nforged: line")
    [line] = lines_of(json_logs)
    assert (line["level"], line["event"], line["logger"]) == ("error", "log", "aiohttp.server")
    assert line["message"] == "Error handling request\\nforged: line"  # the break escaped: no second line
    assert "ConnectionResetError: Connection lost" in line["exception"]


def test_a_huge_message_and_traceback_are_cut(json_logs):
    try:
        raise ValueError("v" * 100_000)
    except ValueError:
        logging.getLogger("asyncio").error("%s", "m" * 100_000, exc_info=True)
    [line] = lines_of(json_logs)
    assert len(line["message"]) <= logs.MESSAGE_LIMIT + 1 and len(line["exception"]) < logs.TRACE_LIMIT + 100
    assert line["exception"].startswith("Traceback") and line["exception"].endswith("v")


def test_python_warnings_and_exceptions_nothing_caught_are_json(json_logs):
    with warnings.catch_warnings():
        warnings.simplefilter("always")
        logs.configure("json")  # as the CLI does: after whoever took Python's warnings last
        warnings.warn("deprecated thing", DeprecationWarning, stacklevel=1)
    thread = threading.Thread(target=lambda: 1 / 0)
    thread.start()
    thread.join()
    sys.unraisablehook(type("Args", (), {"exc_type": RuntimeError, "exc_value": RuntimeError("in __del__"),
                                         "exc_traceback": None, "err_msg": None, "object": "a transport"})())
    found = lines_of(json_logs)
    assert [line["logger"] for line in found] == ["py.warnings", "reconciler", "reconciler"]
    assert "DeprecationWarning: deprecated thing" in found[0]["message"]
    assert "ZeroDivisionError" in found[1]["exception"]
    assert "RuntimeError: in __del__" in found[2]["exception"]


def test_text_format_shows_the_library_line_on_one_line_and_gives_the_hooks_back(capsys):
    before = sys.excepthook, threading.excepthook, sys.unraisablehook
    logs.configure("json")
    logs.configure("text")
    assert (sys.excepthook, threading.excepthook, sys.unraisablehook) == before
    logging.getLogger("aiohttp.server").warning("a\nb")
    assert capsys.readouterr().err == "warning: aiohttp.server: a\\nb\n"
