"""Errors a user can act on.

Every error that is the user's to fix (a bad spec, a missing environment variable, wrong
credentials, an unreachable API, a refused plan) is a `ReconcileError`. The CLI prints its
message without a traceback and exits with its `exit_code` (always 1 under CONTRACT.md §2).
"""

from __future__ import annotations


class ReconcileError(Exception):
    """A problem the user can act on; printed as `error: <message>`, exit code 1."""

    exit_code = 1

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message
