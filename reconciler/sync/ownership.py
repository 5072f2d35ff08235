"""The marker comments that tell records reconcile wrote from records people made by hand.

A synced MOCO absence carries `[reconcile] Personio absence <period id>`; a synced Personio
attendance period carries `[reconcile] MOCO presence <presence id>`. Only records whose comment
starts with the marker are ever updated or deleted (DECISIONS.md, "Ownership").
"""

from __future__ import annotations

import re

MARKER = "[reconcile]"
_ABSENCE = re.compile(r"^\[reconcile\] Personio absence (\S+)")
_ATTENDANCE = re.compile(r"^\[reconcile\] MOCO presence (\d+)")


def is_ours(comment: str | None) -> bool:
    return bool(comment) and comment.lstrip().startswith(MARKER)  # type: ignore[union-attr]


def absence_comment(period_id: str) -> str:
    return f"{MARKER} Personio absence {period_id}"


def absence_source(comment: str | None) -> str | None:
    """The Personio absence period id a synced MOCO absence names, if any."""
    match = _ABSENCE.match((comment or "").lstrip())
    return match.group(1) if match else None


def attendance_comment(presence_id: int) -> str:
    return f"{MARKER} MOCO presence {presence_id}"


def attendance_source(comment: str | None) -> int | None:
    """The MOCO presence id a synced Personio attendance period names, if any."""
    match = _ATTENDANCE.match((comment or "").lstrip())
    return int(match.group(1)) if match else None
