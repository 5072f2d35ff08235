"""How the Personio stand-in refuses: problem+json for the API, the flat OAuth shape for the token endpoint."""

from __future__ import annotations

import uuid
from typing import Any

from aiohttp import web

from reconciler.sandbox.common import Reply, json_response, retry_after_header, utc_now

ERROR_DOCS = "https://developer.personio.de/v2.0/page/public-api-error-codes"
OAUTH_DOCS = "https://developer.personio.de/reference/errors"
PROBLEM_JSON = "application/problem+json"


def problem_response(status: int, title: str, detail: str, kind: str, meta: dict[str, str] | None = None,
                     headers: dict[str, str] | None = None) -> web.Response:
    body = {
        "personio_trace_id": str(uuid.uuid4()),
        "timestamp": utc_now(),
        "errors": [{"title": title, "detail": detail, "type": f"{ERROR_DOCS}#{kind}", "_meta": meta or {}}],
    }
    return json_response(body, status=status, headers=headers, content_type=PROBLEM_JSON)


def problem(status: int, title: str, detail: str, kind: str, meta: dict[str, str] | None = None) -> Reply:
    return Reply(problem_response(status, title, detail, kind, meta))


def bad_request(detail: str = "Provided request parameters are invalid.") -> Reply:
    return problem(400, "Bad request", detail, "commonbad_request")


def not_found(detail: str = "The requested resource was not found.") -> Reply:
    return problem(404, "Resource not found", detail, "commonresource_not_found")


def unprocessable(detail: str, status: int = 422) -> Reply:
    return problem(status, "Unprocessable Entity", detail, "commonunprocessable_entity")


def oauth_error(status: int, error: str, description: str, anchor: str, meta: dict[str, Any] | None = None) -> Reply:
    body: dict[str, Any] = {
        "timestamp": utc_now(),
        "trace_id": str(uuid.uuid4()),
        "error": error,
        "error_description": description,
        "error_uri": f"{OAUTH_DOCS}#{anchor}",
    }
    if meta:
        body["meta"] = meta
    return Reply(json_response(body, status=status, content_type=PROBLEM_JSON))


def rate_limited(retry_after: int | None) -> web.Response:
    # UNVERIFIED (doctor: personio-rate-limit): no real Personio 429 body or header was found. problem+json like every
    # v2 error.
    return problem_response(429, "Too Many Requests", "Rate limit exceeded.", "commontoo_many_requests",
                            headers=retry_after_header(retry_after))
