"""The `reconcile demo` and `reconcile sandbox` commands: the loop and the stand-ins, no accounts needed."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from reconciler.cli.options import log_format_option
from reconciler.errors import ReconcileError


@click.command()
@click.option("--people", type=click.IntRange(1, 500), default=12, show_default=True,
              help="Employees in the sandbox company.")
@click.option("--seed", type=int, default=1, show_default=True, help="Seed of the sandbox company.")
@click.option("--serve", "serve_demo", is_flag=True,
              help="Run `reconcile serve` against the sandbox instead and show changes arrive within seconds.")
@log_format_option
def demo(people: int, seed: int, serve_demo: bool) -> None:
    """The whole loop against a fresh in-process sandbox: plan, apply, plan again.

    Starts local MOCO and Personio stand-ins with a seeded company, shows the plan,
    applies it, and plans again to show nothing is left to do and that hand-made
    MOCO absences were not touched. Needs no accounts and no credentials.

    With --serve: starts `reconcile serve` on 127.0.0.1 with the sandbox's
    webhooks pointing at it, then creates, edits and deletes a presence in MOCO
    and approves a vacation in Personio, and shows how many seconds each took to
    arrive on the other side. Exits 1 if one did not arrive within 60 s.

    \b
    Example:
      reconcile demo --people 20
      reconcile demo --serve
    """
    if serve_demo:
        from reconciler.demo.serve import run_serve_demo

        if not run_serve_demo(people=people, seed=seed):
            raise ReconcileError("not every change arrived on the other side in time: the ✗ lines say which")
        return
    from reconciler.demo.loop import run_demo

    if not run_demo(people=people, seed=seed):
        raise ReconcileError("the demo did not end as it should: the ✗ lines say what")


@click.group(no_args_is_help=False)  # a missing command is an error line (cli.ReconcileGroup), not the help
@log_format_option
def sandbox() -> None:
    """Local stand-ins for MOCO and Personio, seeded with a realistic company.

    They imitate the parts of MOCO API v1 and Personio API v2 that reconcile uses,
    awkward where the real services are, so the tool can be tried and tested
    without accounts. Nothing leaves 127.0.0.1.

    \b
    Example:
      reconcile sandbox serve --people 20
    """


@sandbox.command("serve")
@click.option("--people", type=click.IntRange(1, 5000), default=12, show_default=True,
              help="Employees in both systems (a few people in only one system come on top).")
@click.option("--seed", type=int, default=1, show_default=True, help="Seed of the generated company.")
@click.option("--today", type=click.DateTime(["%Y-%m-%d"]), default=None,
              help="Date the company's data is built around [default: today].")
@click.option("--moco-port", type=click.IntRange(0, 65535), default=9001, show_default=True,
              help="Port of the MOCO stand-in (0: any free port).")
@click.option("--personio-port", type=click.IntRange(0, 65535), default=9002, show_default=True,
              help="Port of the Personio stand-in (0: any free port).")
@click.option("--latency", type=click.FloatRange(0, 10), default=0.0, show_default=True,
              help="Seconds added to every API answer.")
@click.option("--spec-out", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Where to write the ready spec [default: a new temporary directory].")
@log_format_option
def sandbox_serve(people: int, seed: int, today: Any, moco_port: int, personio_port: int, latency: float,
                  spec_out: Path | None) -> None:
    """Run the MOCO and Personio stand-ins until Ctrl-C.

    Prints their URLs, the environment variables to export and the path of a
    ready spec, so that `reconcile validate`, `plan`, `apply`, `users`, `doctor`
    and `serve` work against them at once. MOCO's stand-in runs at 1,200
    requests per 120 s (MOCO's "unlimited" plan) and Personio's at 1,200 per
    60 s, as in `reconcile demo`, and the ready spec says so. The side door
    under /_sandbox/ shows state and the request log and sets latency, rate
    limits and faults.

    \b
    Example:
      reconcile sandbox serve --people 50 --seed 7
    """
    from reconciler.sandbox.serve import serve

    serve(people=people, seed=seed, today=today.date() if today else None, moco_port=moco_port,
          personio_port=personio_port, latency=latency, spec_out=spec_out)
