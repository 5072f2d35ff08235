"""Log lines on stderr, for people (`--log-format text`, the default) or machines (`json`).

With `json`, every line reconcile writes to stderr is one JSON object: `time` (UTC, ISO 8601),
`level` (info, warning, error), `event` (what happened, e.g. `plan.ready`, `apply.progress`),
counts where there are any, and `message` (the same words the text format shows). stdout keeps
what a command is for (a plan in the chosen `--format`), so `plan --format markdown > plan.md`
works with either log format.

Log lines never hold a secret (errors mask them where they arise, systems/http/auth.py) nor pair a
person with health data: the callers name no person beside a change of a sensitive kind
(plan/privacy.py).
"""

from __future__ import annotations

import json
import sys
from datetime import UTC, datetime
from typing import Any

import click

FORMATS = ("text", "json")
LEVELS = ("info", "warning", "error")

_format = "text"


def configure(fmt: str) -> None:
    """Set the log format for the rest of the process (the CLI does, once per command)."""
    global _format
    _format = fmt if fmt in FORMATS else "text"


def machine() -> bool:
    """Whether logs are JSON lines (then the CLI writes nothing else to stderr)."""
    return _format == "json"


def line(event: str, message: str, *, level: str = "info", text: bool = True, **fields: Any) -> None:
    """One log line. `text=False`: the line is for machines only (the text format shows it otherwise,
    e.g. as the plan itself or a progress bar)."""
    if _format == "json":
        record = {"time": datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
                  "level": level, "event": event, **fields, "message": message}
        click.echo(json.dumps(record, ensure_ascii=False, default=str), err=True)
    elif text and message:
        click.echo(message, err=True)


def error(message: str) -> None:
    """An error that ends the command (the text format: `error: …`)."""
    line("error", f"error: {message}", level="error")


def stderr_is_terminal() -> bool:
    return sys.stderr.isatty()
