"""MOCO's error bodies, and what to tell the user when MOCO refuses the key.

MOCO answers a refused write with `{"errors": ["..."]}`, `{"errors": {"field": ["..."]}}`,
`{"message": "..."}` or a bare field map `{"from": ["range overlaps"]}` (messages may be German);
its 403 and 404 bodies are empty, its 500s plain text.
"""

from __future__ import annotations

from typing import Any

from reconciler.systems.http import ErrorText, Hints, read_error_body


def moco_hints(api_key_env: str, address_key: str = "moco.base_url") -> Hints:
    """`address_key` is the spec key that sets where MOCO is: moco.subdomain or moco.base_url."""
    return Hints(
        unauthorized=f"check the API key in ${api_key_env}",
        unreachable=f"check {address_key} or the network",
        forbidden="the key may not read or write this: use an account API key with full access, or the "
                  "key of a user with staff (Personal) rights",
    )


def read_moco_error(body: Any) -> ErrorText:
    """(summary, per-field messages, no trace id) from any error body MOCO sends."""
    if not isinstance(body, dict):
        return read_error_body(body)
    errors = body.get("errors")
    if isinstance(errors, list):
        return ErrorText("; ".join(text for text in map(str, errors) if text), {}, None)
    if isinstance(errors, dict):
        return _fields(errors)
    if isinstance(body.get("message"), str):
        return read_error_body(body)
    return _fields(body)


def _fields(data: dict[str, Any]) -> ErrorText:
    """A field map: each name with its message or messages; `base` is the record as a whole."""
    fields: dict[str, tuple[str, ...]] = {}
    for name, value in data.items():
        if isinstance(value, list) and value and all(isinstance(v, str) for v in value):
            fields[str(name)] = tuple(value)
        elif isinstance(value, str):
            fields[str(name)] = (value,)
    summary = "; ".join(f"{name} {', '.join(messages)}" if name != "base" else ", ".join(messages)
                        for name, messages in fields.items())
    return ErrorText(summary, fields, None)
