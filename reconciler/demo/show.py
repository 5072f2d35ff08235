"""What both demos share: the sandbox's rate limits they run at, and how a step's heading looks."""

from __future__ import annotations

import click

# The demos run at MOCO's "unlimited" plan rate (1200 requests per 120 s) and a generous Personio
# budget so a first sync takes seconds; the sandbox enforces these limits and the ready spec states
# them, so reconcile paces itself below them.
DEMO_MOCO_RATE = {"rate_limit_requests": 1200, "rate_limit_seconds": 120.0}
DEMO_PERSONIO_RATE = {"rate_limit_requests": 1200, "rate_limit_seconds": 60.0}


def heading(text: str) -> None:
    click.echo("")
    click.echo(click.style(f"━━ {text} ", bold=True) + click.style("━" * max(0, 72 - len(text)), dim=True))
