"""Personio's error bodies, and what to tell the user when Personio refuses the credential.

The v2 API answers with problem+json, `{personio_trace_id, errors: [{title, detail}]}`; its token
endpoint with the flat OAuth shape `{error, error_description, trace_id}`. The trace id is kept:
Personio's support asks for it.
"""

from __future__ import annotations

from typing import Any

from reconciler.systems.http import ErrorText, Hints, read_error_body


def personio_hints(client_id_env: str, client_secret_env: str) -> Hints:
    return Hints(
        unauthorized=f"the access token was refused even after renewing it; check the credential in "
                     f"${client_id_env} and ${client_secret_env} and its scopes",
        forbidden="the API credential lacks a scope this call needs (personio:persons:read, "
                  "personio:absences:read, personio:attendances:read and :write)",
        unreachable="check personio.base_url or the network",
    )


def read_personio_error(body: Any) -> ErrorText:
    """(summary, per-field messages, trace id) from any error body Personio sends."""
    if not isinstance(body, dict):
        return read_error_body(body)
    trace_id = body.get("personio_trace_id") or body.get("trace_id")
    trace_id = str(trace_id) if trace_id else None
    errors = body.get("errors")
    if isinstance(errors, list):
        return ErrorText("; ".join(part for part in map(_problem, errors) if part), {}, trace_id)
    if "error" in body and ("error_description" in body or "error_uri" in body):
        description = body.get("error_description")
        return ErrorText(f"{body['error']}: {description}" if description else str(body["error"]), {}, trace_id)
    return read_error_body(body)._replace(trace_id=trace_id)


def _problem(item: Any) -> str:
    """One entry of problem+json `errors`: "title: detail", either part left out when missing."""
    if isinstance(item, dict):
        return ": ".join(str(x) for x in (item.get("title"), item.get("detail")) if x)
    return str(item)
