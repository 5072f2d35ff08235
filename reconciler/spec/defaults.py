"""The spec's defaults, read from the JSON Schema: the one place they are written.

`schemas/mapping.schema.json` gives every optional setting a `default`. `with_defaults` returns the
loaded data with each setting the file leaves out set to that default, so the semantic checks and
the build read every setting directly and no default is written a second time in code.

A setting counts as left out when its key is absent, or when its value is null and the schema
allows null there (`personio:` with nothing under it, an empty `users.exclude:`). A null where the
schema allows none, or a value of the wrong type, is kept as written: the schema reports it, and
the checks skip what they cannot read. A default that is a mapping gets its own defaults filled in
(`personio: {}` becomes the full Personio settings).
"""

from __future__ import annotations

import copy
from typing import Any, cast

from reconciler.spec.schema import schema

Node = dict[str, Any]


def with_defaults(data: Any) -> Any:
    """`data` with the schema's defaults filled in; `data` itself is not changed."""
    return _fill(data, schema())


def defaults_of(*path: str) -> dict[str, Any]:
    """The settings of the mapping at `path` (top level when empty) when the file gives none of them.

    `defaults_of()["timezone"]`, `defaults_of("absences")["until_days"]`.
    """
    node = schema()
    for key in path:
        node = node["properties"][key]
    return cast(dict[str, Any], _fill({}, node))  # a mapping filled is a mapping


def _fill(value: Any, node: Node) -> Any:
    """`value` with the defaults of `node` filled in. Never changes `value`: mappings and lists the
    schema describes are rebuilt, what it says nothing about (unknown keys, absence types) is shared.
    """
    if isinstance(value, dict) and "properties" in node:
        properties: dict[str, Node] = node["properties"]
        filled = {key: _fill(item, properties.get(key, {})) for key, item in value.items()}
        for key, sub in properties.items():
            if "default" in sub and _left_out(filled, key, sub):
                filled[key] = _fill(copy.deepcopy(sub["default"]), sub)
        return filled
    if isinstance(value, list) and "items" in node:
        return [_fill(item, node["items"]) for item in value]
    return value


def _left_out(mapping: dict[str, Any], key: str, node: Node) -> bool:
    if key not in mapping:
        return True
    kinds = node.get("type", [])
    return mapping[key] is None and "null" in (kinds if isinstance(kinds, list) else [kinds])
