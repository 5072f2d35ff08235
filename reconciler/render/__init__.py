"""Renderers over one `Plan`: text for a terminal, Markdown for a pull request, JSON for scripts."""

from __future__ import annotations

from collections.abc import Iterable

from reconciler.plan.model import Plan
from reconciler.render.json import json_chunks, render_json
from reconciler.render.markdown import render_markdown
from reconciler.render.text import render_text, text_chunks

FORMATS = ("text", "markdown", "json")


def render(plan: Plan, fmt: str, *, color: bool = False, redact: bool = False) -> str:
    """`redact` applies to text (a log); Markdown is always redacted, JSON on stdout never is."""
    if fmt == "json":
        return render_json(plan)
    if fmt == "markdown":
        return render_markdown(plan)
    return render_text(plan, color=color, redact=redact)


def render_chunks(plan: Plan, fmt: str, *, color: bool = False, redact: bool = False) -> Iterable[str]:
    """`render`, in pieces to write one after the other: the text plan a person at a time, so that a first
    sync's text is never held whole (issue 22)."""
    if fmt == "text":
        return text_chunks(plan, color=color, redact=redact)
    if fmt == "json":
        return json_chunks(plan)
    return (render(plan, fmt, color=color, redact=redact),)


__all__ = ["FORMATS", "render", "render_chunks", "render_json", "render_markdown", "render_text"]
