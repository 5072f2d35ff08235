"""The JSON plan, exactly as CONTRACT.md §3 (plus fields the contract allows adding)."""

from __future__ import annotations

import json

from reconciler.plan.model import Plan


def render_json(plan: Plan) -> str:
    return json.dumps(plan.to_json(), indent=2, ensure_ascii=False) + "\n"
