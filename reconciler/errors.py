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


class ApiError(ReconcileError):
    """A call to MOCO or Personio failed. Messages name the service, the call and what to check;
    they never contain keys, secrets or tokens."""

    def __init__(self, service: str, message: str, *, status: int | None = None, call: str | None = None,
                 trace_id: str | None = None, fields: dict[str, tuple[str, ...]] | None = None,
                 detail: str = "") -> None:
        self.service = service
        self.status = status
        self.call = call  # e.g. "POST /api/v1/schedules"
        self.trace_id = trace_id
        self.fields = fields or {}
        self.detail = detail  # the service's own words about the failure, if it gave any
        text = f"{service}: {message}"
        if trace_id:
            text += f" (trace id {trace_id})"
        super().__init__(text)


class AuthenticationFailed(ApiError):
    """The service did not accept the credentials (which env var to check is in the message)."""


class PermissionDenied(ApiError):
    """The credentials are valid but may not do this (e.g. a MOCO user key without staff rights)."""


class NotFound(ApiError):
    """The record or endpoint does not exist (any more)."""


class Rejected(ApiError):
    """The service refused the request's content (400, 409, 422); `fields` holds per-field messages."""


class RateLimited(ApiError):
    """Still answered 429 after the allowed retries."""


class Unavailable(ApiError):
    """Unreachable, timing out or answering 5xx after the allowed retries."""


class OutcomeUnknown(ApiError):
    """A create whose result is unknown (timeout, dropped connection, 5xx after sending). It may or
    may not have been made; the caller must re-read, never re-send blindly."""


class UnexpectedResponse(ApiError):
    """The service answered with something this tool cannot read."""


class PlanError(ReconcileError):
    """The spec and the systems' data cannot be planned together (e.g. `absences.unmapped: error`)."""
