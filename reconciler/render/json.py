"""The JSON plan, exactly as CONTRACT.md §3 (plus fields the contract allows adding)."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterator
from typing import Any

from reconciler.plan.guard import held
from reconciler.plan.model import Plan
from reconciler.plan.planstream import plan_chunks


def render_json(plan: Plan) -> str:
    return json.dumps(plan_json(plan), indent=2, ensure_ascii=False) + "\n"


def json_chunks(plan: Plan) -> Iterator[str]:
    """`render_json` in pieces, a change at a time (issue 22: a first sync's million changes are not held as
    JSON at once)."""
    light = dataclasses.replace(plan, changes=(), causes=())
    return plan_chunks(plan, plan_json(light) | {"held": [part.to_json() for part in held(plan)]})


def plan_json(plan: Plan) -> dict[str, Any]:
    """The plan's JSON, with `held` after `guard`: what `reconcile apply` holds without --force, per
    direction and system (`count` changes; `share` and `threshold` in percent)."""
    data: dict[str, Any] = {}
    for name, value in plan.to_json().items():
        data[name] = value
        if name == "guard":
            data["held"] = [part.to_json() for part in held(plan)]
    return data
