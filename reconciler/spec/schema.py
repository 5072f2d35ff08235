"""The JSON Schema of the spec, and its errors told in plain sentences.

The canonical file is `schemas/mapping.schema.json` at the repository root. A built wheel carries
it inside the package (`reconciler/schemas/`, see `[tool.hatch.build]` in pyproject.toml); an
editable install or a source checkout reads it from the repository. `schema_text()` is the one
place that knows both.
"""

from __future__ import annotations

import difflib
import json
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any, Iterator, cast

from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError

from reconciler.spec.limits import cut, quote

SCHEMA_NAME = "mapping.schema.json"

JsonPath = tuple[str | int, ...]


@cache
def schema_text() -> str:
    packaged = resources.files("reconciler").joinpath("schemas", SCHEMA_NAME)
    if packaged.is_file():
        return packaged.read_text(encoding="utf-8")
    # Source checkout / editable install: the schema lives beside the package.
    return (Path(__file__).resolve().parents[2] / "schemas" / SCHEMA_NAME).read_text(encoding="utf-8")


@cache
def schema() -> dict[str, Any]:
    return cast(dict[str, Any], json.loads(schema_text()))  # the schema is one JSON object


def _validator() -> Draft202012Validator:
    return Draft202012Validator(schema(), format_checker=Draft202012Validator.FORMAT_CHECKER)


def schema_problems(data: Any) -> list[tuple[JsonPath, str]]:
    """Every schema violation in `data`, as (key path, plain sentence)."""
    problems: list[tuple[JsonPath, str]] = []
    for error in _validator().iter_errors(data):
        problems.extend(_explain(error))
    return problems


def _explain(error: ValidationError) -> Iterator[tuple[JsonPath, str]]:
    path: JsonPath = tuple(error.absolute_path)
    value = error.instance
    rule = error.validator
    spec = error.schema if isinstance(error.schema, dict) else {}
    if rule == "additionalProperties":
        allowed = list(spec.get("properties", {}))
        extras = [key for key in value if key not in allowed] if isinstance(value, dict) else []
        for key in extras:
            yield (*path, key), _unknown_key(key, allowed)
        return
    if rule == "required":
        for key in error.validator_value:
            if isinstance(value, dict) and key not in value:
                hint = _REQUIRED_HINTS.get((*path, key)) or _description((*path, key))
                yield (*path, key), "is required but missing" + (f" ({_lower_first(hint)})" if hint else "")
        return
    if rule == "uniqueItems" and isinstance(value, list):
        yield from _repeated(path, value)
        return
    yield path, _sentence(rule, error.validator_value, value, spec, path)


def _repeated(path: JsonPath, items: list[Any]) -> Iterator[tuple[JsonPath, str]]:
    """Each item of a list that must not repeat one that an earlier item already lists, at its own index."""
    where = "".join(f"[{part}]" if isinstance(part, int) else f".{part}" for part in path).lstrip(".")
    first: dict[str, int] = {}
    for index, item in enumerate(items):
        key = json.dumps(item, sort_keys=True, default=str)
        if key in first:
            yield (*path, index), f"{_show(item)} is already listed at {where}[{first[key]}]; list each once"
        else:
            first[key] = index


def _sentence(rule: str, expected: Any, value: Any, spec: dict[str, Any], path: JsonPath) -> str:
    shown = _show(value)
    if rule == "type":
        kinds: list[str] = expected if isinstance(expected, list) else [expected]  # JSON Schema type names
        wanted = " or ".join(_TYPE_WORDS.get(kind, kind) for kind in kinds if kind != "null")
        return f"must be {wanted}, not {shown}"
    if rule == "enum":
        if path and path[-2:-1] == ("types",):
            return f"{shown} is not a MOCO absence kind; allowed: {', '.join(expected)}"
        return f"{shown} is not allowed here; allowed: {', '.join(map(str, expected))}"
    if rule == "const":
        if path == ("version",):
            return f"spec version {shown} is not supported; this release of reconcile reads version {expected}"
        return f"must be {expected!r}, not {shown}"
    if rule == "format":
        if expected == "date":
            return f"{shown} is not a valid date; write it as YYYY-MM-DD, e.g. 2026-01-01"
        if expected == "email":
            return f"{shown} is not an email address"
        return f"{shown} is not a valid {expected}"
    if rule == "minimum":
        return f"must be at least {expected}, not {shown}"
    if rule == "maximum":
        return f"must be at most {expected}, not {shown}"
    if rule == "exclusiveMinimum":
        return f"must be greater than {expected}, not {shown}"
    if rule == "minLength":
        return "must not be empty"
    if rule == "maxLength":
        what = "an email address" if spec.get("format") == "email" else "this"
        return f"{shown} is too long: {what} may be at most {expected} characters"
    if rule == "minItems":
        described = f" ({_lower_first(spec['description'])})" if "description" in spec else ""
        return "must not be empty" + described if expected == 1 else f"must list at least {expected} items"
    if rule == "minProperties":
        return "must not be empty" + (f" ({_lower_first(spec['description'])})" if "description" in spec else "")
    if rule == "pattern":
        return f"{shown} is not {_PATTERN_WORDS.get(expected, f'of the form {expected}')}"
    return f"{shown} is not valid here ({rule})"


_TYPE_WORDS = {
    "object": "a mapping (key: value lines)",
    "array": "a list",
    "string": "text",
    "integer": "a whole number",
    "number": "a number",
    "boolean": "true or false",
}


_PATTERN_WORDS = {
    "^[A-Za-z_][A-Za-z0-9_]*$": "an environment variable name (letters, digits and _, not starting with a digit)",
    "^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$": "a MOCO subdomain (lower-case letters, digits and -; acme for acme.mocoapp.com)",
    "^https?://": "a URL starting with http:// or https://",
}


def _show(value: Any) -> str:
    if value is None:
        return "an empty value (null)"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    return quote(value) if isinstance(value, str) else cut(str(value))


def _unknown_key(key: str, allowed: list[str]) -> str:
    message = "unknown key"
    close = difflib.get_close_matches(key, allowed, n=1, cutoff=0.6)
    if close:
        message += f" (did you mean '{close[0]}'?)"
    return message + (f"; allowed here: {', '.join(allowed)}" if allowed else "")


# Where a key is required only in some situations, say which.
_REQUIRED_HINTS: dict[JsonPath, str] = {
    ("absences", "types"): "required while absences are enabled: map each Personio absence type to a MOCO kind, "
    "or set absences.enabled: false",
}


def _description(path: JsonPath) -> str | None:
    """The schema's description of the property at `path` (list indices step into `items`)."""
    node: dict[str, Any] = schema()
    for part in path:
        if isinstance(part, int):
            node = node.get("items", {})
        else:
            node = node.get("properties", {}).get(part, {})
    return node.get("description")


def _lower_first(text: str) -> str:
    text = text.rstrip(".")
    return text[:1].lower() + text[1:] if text and not text[:2].isupper() else text
