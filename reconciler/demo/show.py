"""What both demos share: the sandbox's rate limits they run at, and how a step's heading looks."""

from __future__ import annotations

import click

from reconciler.sandbox.serve import FAST_MOCO_RATE, FAST_PERSONIO_RATE

# The demos run at MOCO's "unlimited" plan rate (1200 requests per 120 s) and a generous Personio
# budget so a first sync takes seconds, as `reconcile sandbox serve` does; the sandbox enforces these
# limits and the ready spec states them, so reconcile paces itself below them.
DEMO_MOCO_RATE = FAST_MOCO_RATE
DEMO_PERSONIO_RATE = FAST_PERSONIO_RATE


def heading(text: str) -> None:
    click.echo("")
    click.echo(click.style(f"━━ {text} ", bold=True) + click.style("━" * max(0, 72 - len(text)), dim=True))
