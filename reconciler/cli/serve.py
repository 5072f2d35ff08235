"""`reconcile serve`: the webhook receiver and controller (reconciler/serve/), run until SIGTERM."""

from __future__ import annotations

import asyncio
import dataclasses
import os
from collections.abc import Mapping
from datetime import date
from pathlib import Path
from typing import Any

import click

from reconciler import logs
from reconciler.cli.options import config_option, load, log_format_option, run_options, timeout_option, today_option
from reconciler.errors import ReconcileError
from reconciler.plan.scope import duration
from reconciler.serve.app import ServeState
from reconciler.serve.connections import MAX_CONNECTIONS
from reconciler.serve.runner import EVERY, FULL_EVERY, Cadence, Runner
from reconciler.serve.server import Limits, run_server
from reconciler.serve.signatures import moco_secrets
from reconciler.spec import Spec
from reconciler.systems.connect import limiters
from reconciler.systems.secrets import file_variable, secret

DEFAULT_LISTEN = "0.0.0.0:8080"
SHORT_SECRET = 16  # characters: a webhook secret shorter than this is warned about (MOCO's keys have 32)


def _listen(ctx: click.Context, param: click.Parameter, value: str) -> tuple[str, int]:
    host, colon, port = value.rpartition(":")
    if not colon or not port.isdigit() or not 0 <= int(port) < 65536:
        raise click.BadParameter(f"{value!r}: give HOST:PORT, e.g. 0.0.0.0:8080 or 127.0.0.1:8080 (0: any free port)")
    return host.strip("[]") or "0.0.0.0", int(port)


def _seconds(ctx: click.Context, param: click.Parameter, value: str) -> float:
    length = duration(value)
    if length is None:
        raise click.BadParameter(f"{value!r}: give a duration above zero, e.g. 90s, 15m, 2h or 1d")
    return length.total_seconds()


def webhook_secrets(spec: Spec, environ: Mapping[str, str]) -> tuple[str | None, str | None]:
    """The MOCO and Personio webhook secrets from the variables the spec names, or the files their `_FILE` forms
    name; a warning for each unset or short one (naming the variable, never the value). A file that cannot be
    read is an error (systems/secrets.py)."""
    found = []
    for service, key, variable in (("MOCO", "moco.webhook_secret_env", spec.moco.webhook_secret_env),
                                   ("Personio", "personio.webhook_secret_env", spec.personio.webhook_secret_env)):
        try:
            value = secret(environ, variable)
        except ReconcileError as exc:
            raise ReconcileError(f"the {service} webhook secret ({key} in {spec.source}): {exc}") from None
        keys = moco_secrets(value) if service == "MOCO" else [value] if value else []
        if not keys:
            unset = variable not in environ and file_variable(variable) not in environ
            state = f"is not set (nor ${file_variable(variable)})" if unset else "is empty"
            logs.line("serve.no_secret", f"warning: ${variable} (named by {key} in {spec.source}) {state}: every "
                      f"{service} webhook delivery will be answered 401, and only the scheduled runs reconcile",
                      level="warning", variable=variable, service=service.lower())
            value = None
        elif any(len(each) < SHORT_SECRET for each in keys):
            which = "a key in " if len(keys) > 1 else ""
            logs.line("serve.short_secret", f"warning: {which}${variable} (named by {key} in {spec.source}) is "
                      f"shorter than {SHORT_SECRET} characters: anyone who guesses it can send {service} deliveries "
                      "that serve accepts; use a long random one (`openssl rand -hex 32`; MOCO's keys have 32 "
                      "characters)", level="warning", variable=variable, service=service.lower())
        found.append(value)
    return found[0], found[1]


@click.command()
@config_option
@click.option("--listen", default=DEFAULT_LISTEN, show_default=True, metavar="HOST:PORT", callback=_listen,
              help="Where to receive webhooks and answer probes and metrics (one port).")
@click.option("--every", default=EVERY, show_default=True, metavar="DURATION", callback=_seconds,
              help="How often an incremental reconcile runs (what changed since the last one), the safety net "
                   "for missed webhooks.")
@click.option("--full-every", default=FULL_EVERY, show_default=True, metavar="DURATION", callback=_seconds,
              help="How often a full reconcile runs (one also runs at start-up); it sees MOCO's deletions too.")
@click.option("--grace", type=click.FloatRange(1, 3600), default=20.0, show_default=True, metavar="SECONDS",
              help="After SIGTERM, how long the changes in flight may take to finish before the process exits.")
@click.option("--max-connections", type=click.IntRange(1), default=MAX_CONNECTIONS, hidden=True,
              help="At most this many connections at once (fewer below the open-file limit); lowered to try the "
                   "cap out.")
@timeout_option
@log_format_option
@today_option
def serve(config_path: Path, listen: tuple[str, int], every: float, full_every: float, grace: float,
          max_connections: int, timeout: float, today: Any) -> None:
    """Receive MOCO and Personio webhooks and reconcile within a minute of a change.

    A long-running process: POST /hooks/moco and /hooks/personio take webhooks
    (MOCO's signature and Personio's token are checked; anything else is answered
    401 and changes nothing). Events are gathered per person for a few seconds,
    then that person's days are planned and applied through the same planners,
    mass-change guard and apply path as `reconcile apply`. An incremental
    reconcile runs every --every and a full one at start-up and every
    --full-every, so a missed event never leaves drift past the next full run.
    GET /healthz, /readyz and /metrics (Prometheus) serve probes and monitoring.
    SIGTERM stops taking webhooks, lets the changes in flight finish (at most
    --grace seconds) and exits 0.

    \b
    Example:
      reconcile serve -c mapping.yaml --listen 0.0.0.0:8080
    """
    spec, credentials = load(config_path)
    moco_secret, personio_secret = webhook_secrets(spec, os.environ)
    options = run_options(spec, None, timeout=timeout)
    options = dataclasses.replace(options, tuning=dataclasses.replace(options.tuning,
                                                                      limiters=limiters(spec, options.tuning)))
    state = ServeState(moco_secret=moco_secret, personio_secret=personio_secret)
    fixed = today.date() if today else None
    runner = Runner(spec, credentials, state, options, Cadence(every, full_every),
                    today=(lambda: fixed) if fixed else date.today)
    asyncio.run(run_server(state, runner, listen, grace, limits=Limits(max_connections=max_connections)))
