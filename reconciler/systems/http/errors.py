"""From a refused call to a typed error (reconciler/errors.py) with a message the user can act on.

What a service says in an error body is its own format: each service is given an `ErrorReader`
that turns a body into (message, per-field messages, trace id). `read_error_body` is the reader
for what any service may send, a plain-text body or a JSON object with a `message`; a vendor's
reader handles its own shapes and hands the rest to it. Readers never match on message text.

A service may echo what it was sent, credentials included: `redact_error` masks them in every part
of an error before it leaves the service (`Service.request` and `Service.pages` apply it).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, NamedTuple
from urllib.parse import quote, quote_plus

from reconciler.errors import (
    ApiError,
    AuthenticationFailed,
    NotFound,
    PermissionDenied,
    Rejected,
    Unavailable,
)

SUMMARY_LENGTH = 200  # characters of a plain-text body that make it into a message
MASK = "***"  # what stands in a message where a credential was


@dataclass(frozen=True)
class Hints:
    """What to tell the user per failure, e.g. which environment variable holds the key."""

    unauthorized: str = ""
    forbidden: str = ""
    unreachable: str = ""  # e.g. which setting holds the address


class ErrorText(NamedTuple):
    """What an error body says: a one-line summary, per-field messages and the service's trace id."""

    message: str
    fields: dict[str, tuple[str, ...]]
    trace_id: str | None


ErrorReader = Callable[[Any], ErrorText]


def read_error_body(body: Any) -> ErrorText:
    """The default reader: the first line of a plain-text body, or a JSON object's `message`.

    An HTML error page (a proxy's or gateway's) says nothing useful and gives an empty summary.
    """
    if isinstance(body, str):
        text = body.strip()
        if text.startswith("<"):
            return ErrorText("", {}, None)
        return ErrorText(text.splitlines()[0][:SUMMARY_LENGTH] if text else "", {}, None)
    if isinstance(body, dict) and isinstance(body.get("message"), str):
        return ErrorText(body["message"], {}, None)
    return ErrorText("", {}, None)


def error_for(service: str, status: int, call: str, said: ErrorText, hints: Hints) -> ApiError:
    """The typed error for a final non-2xx answer `status` to `call`."""
    detail = f": {said.message}" if said.message else ""
    kwargs: dict[str, Any] = {"status": status, "call": call, "trace_id": said.trace_id, "fields": said.fields,
                              "detail": said.message}
    if status == 401:
        hint = f"; {hints.unauthorized}" if hints.unauthorized else ""
        return AuthenticationFailed(service, f"authentication failed (401) for {call}{detail}{hint}", **kwargs)
    if status == 403:
        hint = f"; {hints.forbidden}" if hints.forbidden else ""
        return PermissionDenied(service, f"permission denied (403) for {call}{detail}{hint}", **kwargs)
    if status == 404:
        return NotFound(service, f"not found (404): {call}{detail}", **kwargs)
    if status in (400, 409, 422):
        return Rejected(service, f"{call} was refused ({status}){detail}", **kwargs)
    if status >= 500:
        return Unavailable(service, f"{call} answered {status}{detail}", **kwargs)
    return ApiError(service, f"{call} answered {status}{detail}", **kwargs)


def redact(text: str, secrets: Iterable[str]) -> str:
    """`text` with every secret (also URL-encoded, as a form or query would carry it) masked."""
    variants = {form for secret in secrets if secret and secret.strip()
                for form in (secret, quote(secret, safe=""), quote_plus(secret))}
    for variant in sorted(variants, key=len, reverse=True):
        text = text.replace(variant, MASK)
    return text


def redact_error(exc: ApiError, mask: Callable[[str], str]) -> ApiError:
    """`exc` with `mask` applied to its message, call, detail, trace id and field messages (in place)."""
    exc.message = mask(exc.message)
    exc.args = (exc.message,)
    exc.detail = mask(exc.detail)
    exc.call = mask(exc.call) if exc.call else exc.call
    exc.trace_id = mask(exc.trace_id) if exc.trace_id else exc.trace_id
    exc.fields = {mask(name): tuple(mask(text) for text in texts) for name, texts in exc.fields.items()}
    return exc
