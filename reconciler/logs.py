"""Log lines on stderr, for people (`--log-format text`, the default) or machines (`json`).

With `json`, every line reconcile writes to stderr is one JSON object: `time` (UTC, ISO 8601),
`level` (info, warning, error), `event` (what happened, e.g. `plan.ready`, `apply.progress`),
counts where there are any, and `message` (the same words the text format shows). stdout keeps
what a command is for (a plan in the chosen `--format`), so `plan --format markdown > plan.md`
works with either log format.

Log lines never hold a secret (errors mask them where they arise, systems/http/auth.py) nor pair a
person with health data: the callers name no person beside a change of a sensitive kind
(plan/privacy.py).

What the libraries log goes the same way (issue 20): `configure` gives the root logger of Python's
`logging` one handler writing in the chosen format, so aiohttp's, asyncio's and Python's warnings
(`warnings.warn`, captured) are JSON lines too under `json`: `event` "log", `logger`, the level, the
`message` (line breaks and other control characters escaped, cut to MESSAGE_LIMIT characters) and an
`exception` field with the traceback (cut to TRACE_LIMIT). Under `json`, an exception nothing caught (in
a thread, or one Python can only report as "ignored") is logged through the same handler.

Errors say the same thing everywhere (issue 21): every line an error writes starts with `error:` (a message of
several lines, such as a spec's problems, gets it on each), or is one JSON object with `"level": "error"`. The
format is chosen before click parses the command line (`chosen`), so a usage error, which comes before the
option is read, is in the format asked for too.
"""

from __future__ import annotations

import json
import logging
import sys
import tempfile
import threading
import traceback
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from types import TracebackType
from typing import Any

import click

FORMATS = ("text", "json")
ENV = "RECONCILE_LOG_FORMAT"  # the log format when no --log-format is given
OPTION = "--log-format"
LEVELS = ("info", "warning", "error")

MESSAGE_LIMIT = 2000  # characters of a library's log message
TRACE_LIMIT = 8000  # characters of a traceback: its first and last halves

_format = "text"
_hooks: tuple[Any, Any, Any] | None = None  # Python's hooks for uncaught exceptions, while `json` has its own


def configure(fmt: str) -> None:
    """Set the log format for the rest of the process (the CLI does, once per command), for reconcile's
    own lines and for every `logging` record of the process."""
    global _format
    _format = fmt if fmt in FORMATS else "text"
    root = logging.getLogger()
    for installed in [each for each in root.handlers if isinstance(each, _Handler)]:
        root.removeHandler(installed)
    root.addHandler(_Handler())
    logging.captureWarnings(False)  # then True: Python's warnings go to logging, even if someone took them back
    logging.captureWarnings(True)
    global _hooks
    if _format == "json" and _hooks is None:
        _hooks = sys.excepthook, threading.excepthook, sys.unraisablehook
        sys.excepthook, threading.excepthook, sys.unraisablehook = _uncaught, _uncaught_in_thread, _unraisable
    elif _format == "text" and _hooks is not None:
        (sys.excepthook, threading.excepthook, sys.unraisablehook), _hooks = _hooks, None


def machine() -> bool:
    """Whether logs are JSON lines (then the CLI writes nothing else to stderr)."""
    return _format == "json"


def line(event: str, message: str, *, level: str = "info", text: bool = True, **fields: Any) -> None:
    """One log line. `text=False`: the line is for machines only (the text format shows it otherwise,
    e.g. as the plan itself or a progress bar)."""
    if _format == "json":
        record = {"time": _now(), "level": level, "event": event, **fields, "message": message}
        click.echo(json.dumps(record, ensure_ascii=False, default=str), err=True)
    elif text and message:
        if level == "error":  # every line an error writes starts with `error:` (a failed change, what is held)
            message = "\n".join(each if each.startswith("error:") else f"error: {each.strip()}"
                                 for each in message.splitlines())
        click.echo(message, err=True)


def _now(moment: float | None = None) -> str:
    when = datetime.now(UTC) if moment is None else datetime.fromtimestamp(moment, UTC)
    return when.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def escaped(text: str, limit: int = MESSAGE_LIMIT) -> str:
    """`text` on one line: control characters (a line break too) escaped, cut to `limit` characters."""
    cut = text[:limit]
    if not cut.isprintable():
        cut = "".join(c if c.isprintable() else c.encode("unicode_escape", "backslashreplace").decode("ascii")
                      for c in cut)
    return cut + ("…" if len(text) > limit else "")


def _trace(text: str) -> str:
    if len(text) <= TRACE_LIMIT:
        return text
    half = TRACE_LIMIT // 2
    return f"{text[:half]}\n… {len(text) - TRACE_LIMIT} characters cut …\n{text[-half:]}"


_LEVELS = {logging.DEBUG: "debug", logging.INFO: "info", logging.WARNING: "warning", logging.ERROR: "error",
           logging.CRITICAL: "error"}


class _Handler(logging.Handler):
    """Every `logging` record, as one line in the log format, on the stderr of the moment (click's, so a
    test's captured stderr gets it too)."""

    def emit(self, record: logging.LogRecord) -> None:
        try:
            click.echo(render(record), err=True)
        except Exception:  # a log line must never end the process
            self.handleError(record)

    def handleError(self, record: logging.LogRecord) -> None:
        """Nothing: Python would print its own traceback of the failure, not in the log format."""


def render(record: logging.LogRecord) -> str:
    """A `logging` record in the log format: under `json` one JSON object; else `level: logger: message`
    and the traceback, if any."""
    try:
        message = record.getMessage()
    except Exception:  # a bad format string: its text as it is
        message = str(record.msg)
    level = _LEVELS.get(record.levelno, record.levelname.lower())
    trace = "".join(traceback.format_exception(*record.exc_info)) if record.exc_info and record.exc_info[0] \
        else record.exc_text or ""
    if record.stack_info:
        trace += record.stack_info
    if _format == "json":
        fields: dict[str, Any] = {"time": _now(record.created), "level": level, "event": "log", "logger": record.name,
                                  "message": escaped(message)}
        if trace:
            fields["exception"] = _trace(trace.rstrip())
        return json.dumps(fields, ensure_ascii=False, default=str)
    return f"{level}: {record.name}: {escaped(message)}" + (f"\n{_trace(trace.rstrip())}" if trace else "")


def _uncaught(kind: type[BaseException], value: BaseException, trace: TracebackType | None) -> None:
    logging.getLogger("reconciler").critical("uncaught exception", exc_info=(kind, value, trace))


def _uncaught_in_thread(args: threading.ExceptHookArgs) -> None:
    if args.exc_type is SystemExit:
        return
    _report(f"uncaught exception in thread {args.thread.name if args.thread else '?'}", args.exc_type,
            args.exc_value, args.exc_traceback)


def _unraisable(unraisable: sys.UnraisableHookArgs) -> None:
    _report(f"{unraisable.err_msg or 'Exception ignored in'}: {unraisable.object!r}", unraisable.exc_type,
            unraisable.exc_value, unraisable.exc_traceback)


def _report(what: str, kind: type[BaseException], value: BaseException | None, trace: TracebackType | None) -> None:
    log = logging.getLogger("reconciler")
    if value is None:
        log.error("%s: %s", what, kind.__name__)
    else:
        log.error("%s", what, exc_info=(kind, value, trace))


def chosen(args: Sequence[str], environ: Mapping[str, str]) -> str:
    """The log format a command line asks for, read before click parses it (a usage error comes first): the last
    valid `--log-format X` or `--log-format=X` before a `--`, else $RECONCILE_LOG_FORMAT, else text."""
    fmt = environ.get(ENV, "text")
    for index, word in enumerate(args):
        if word == "--":
            break
        value = args[index + 1] if word == OPTION and index + 1 < len(args) else \
            word.partition("=")[2] if word.startswith(OPTION + "=") else None
        if value in FORMATS:
            fmt = value
    return fmt if fmt in FORMATS else "text"


def error(message: str, **fields: Any) -> None:
    """An error that ends the command: in the text format `error: …` on every line of it (a spec's problems
    are several), under `json` one object with `"level": "error"`."""
    if _format == "json":
        line("error", f"error: {message}", level="error", **fields)
    else:
        click.echo("\n".join(f"error: {each}".rstrip() for each in message.splitlines() or [""]), err=True)


def bug(failure: BaseException) -> None:
    """An exception nothing expected (a bug in reconcile): one error line, never a traceback on stderr. The
    traceback goes into the JSON object's `exception` field, or in the text format into a file it names."""
    trace = "".join(traceback.format_exception(failure)).rstrip()
    what = escaped(f"{type(failure).__name__}: {failure}", 300)
    if _format == "json":
        error(f"internal error ({what}): this is a bug in reconcile; please report it with this line",
              exception=_trace(trace))
        return
    try:
        with tempfile.NamedTemporaryFile("w", prefix="reconcile-traceback-", suffix=".txt", delete=False,
                                         encoding="utf-8") as file:
            file.write(trace + "\n")
        saved = f"the traceback in {file.name}"
    except OSError as exc:
        saved = f"this line (the traceback could not be saved: {exc.strerror or exc})"
    error(f"internal error ({what}): this is a bug in reconcile; please report it with {saved}")


def stderr_is_terminal() -> bool:
    return sys.stderr.isatty()
