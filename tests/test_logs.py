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


@pytest.mark.parametrize(("args", "environ", "fmt"), [
    ([], {}, "text"),
    (["plan"], {"RECONCILE_LOG_FORMAT": "json"}, "json"),
    (["plan", "--bogus", "--log-format", "json"], {}, "json"),  # after what click stops at
    (["--log-format=json", "plan"], {}, "json"),
    (["plan", "--log-format", "text"], {"RECONCILE_LOG_FORMAT": "json"}, "text"),  # the option over the variable
    (["plan", "--log-format", "xml"], {"RECONCILE_LOG_FORMAT": "json"}, "json"),  # a bad value chooses nothing
    (["plan", "--", "--log-format", "json"], {}, "text"),
    (["plan"], {"RECONCILE_LOG_FORMAT": "yaml"}, "text"),
])
def test_the_format_is_chosen_from_the_command_line_before_click_reads_it(args, environ, fmt):
    """A usage error comes before click has read --log-format: the CLI asks `chosen` first (issue 21)."""
    assert logs.chosen(args, environ) == fmt


def test_an_error_of_several_lines_says_error_on_each_or_is_one_json_object(capsys):
    logs.error("spec.yaml is not a valid spec (2 problems):\n  spec.yaml:1:1: a\n  spec.yaml:2:1: b")
    assert capsys.readouterr().err == ("error: spec.yaml is not a valid spec (2 problems):\n"
                                       "error:   spec.yaml:1:1: a\nerror:   spec.yaml:2:1: b\n")
    logs.configure("json")
    try:
        logs.error("two\nlines")
        [line] = lines_of(capsys)
    finally:
        logs.configure("text")
    assert (line["level"], line["event"], line["message"]) == ("error", "error", "error: two\nlines")


def test_every_error_level_line_says_error_in_text_and_other_levels_are_as_written(capsys):
    logs.configure("text")
    logs.line("change.failed", "  failed: create moco absence a@b.example 2026-03-02: MOCO answered 422", level="error")
    logs.line("guard.held", "error: held already", level="error")
    logs.line("apply.unsettled", "  warning: could not read back", level="warning")
    assert capsys.readouterr().err.splitlines() == [
        "error: failed: create moco absence a@b.example 2026-03-02: MOCO answered 422",
        "error: held already",
        "  warning: could not read back",
    ]
