"""Renderers over one `Plan`: text for a terminal, Markdown for a pull request, JSON for scripts."""

from __future__ import annotations

from reconciler.plan.model import Plan
from reconciler.render.json import render_json
from reconciler.render.markdown import render_markdown
from reconciler.render.text import render_text

FORMATS = ("text", "markdown", "json")


def render(plan: Plan, fmt: str, *, color: bool = False, redact: bool = False) -> str:
    """`redact` applies to text (a log); Markdown is always redacted, JSON on stdout never is."""
    if fmt == "json":
        return render_json(plan)
    if fmt == "markdown":
        return render_markdown(plan)
    return render_text(plan, color=color, redact=redact)


__all__ = ["FORMATS", "render", "render_json", "render_markdown", "render_text"]
