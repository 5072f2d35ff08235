"""Credentials from the environment (a variable, or a file its `_FILE` form names), and the clients of one
run on one shared aiohttp session.

Here each vendor's parts are plugged into the vendor-free HTTP core: MOCO's pager, error reader
and hints and its static key; Personio's pager, error reader and hints and its OAuth2 token.
"""

from __future__ import annotations

import asyncio
import random
import re
import time
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import NamedTuple

import aiohttp

from reconciler.errors import ReconcileError
from reconciler.spec import Spec
from reconciler.systems.http import (
    USER_AGENT,
    Authenticator,
    Clock,
    ErrorReader,
    Hints,
    Pager,
    RetryPolicy,
    Service,
    Sleep,
    SlidingWindowLimiter,
    StaticAuth,
    Timeouts,
)
from reconciler.systems.moco import MocoClient, link_pages, moco_hints, read_moco_error
from reconciler.systems.personio import (
    PersonioClient,
    PersonioToken,
    cursor_pages,
    personio_hints,
    read_personio_error,
)
from reconciler.systems.secrets import file_variable, is_set, secret


@dataclass(frozen=True)
class Credentials:
    moco_api_key: str = field(repr=False)
    personio_client_id: str = field(repr=False)
    personio_client_secret: str = field(repr=False)


class RequiredVariable(NamedTuple):
    """An environment variable a run needs: its name, the spec key that names it, what it holds."""

    name: str  # e.g. "MOCO_API_KEY"
    key: str  # e.g. "moco.api_key_env"
    what: str  # e.g. "the MOCO API key"


def required_variables(spec: Spec) -> list[RequiredVariable]:
    """The environment variables the spec names, in the order of the `Credentials` they fill."""
    return [
        RequiredVariable(spec.moco.api_key_env, "moco.api_key_env", "the MOCO API key"),
        RequiredVariable(spec.personio.client_id_env, "personio.client_id_env", "the Personio API client id"),
        RequiredVariable(spec.personio.client_secret_env, "personio.client_secret_env",
                         "the Personio API client secret"),
    ]


def missing_variables(spec: Spec, environ: Mapping[str, str]) -> list[RequiredVariable]:
    """The variables the spec names that are unset or blank in `environ`, and so is their `_FILE` form."""
    return [variable for variable in required_variables(spec) if not is_set(environ, variable.name)]


def read_credentials(spec: Spec, environ: Mapping[str, str]) -> Credentials:
    """The secrets the spec names, each from its variable or the file its `_FILE` form names
    (systems/secrets.py). Every missing variable is named; no value is ever shown."""
    wanted = required_variables(spec)
    unset = missing_variables(spec, environ)
    if unset:
        missing = [f"${name} ({what}; named by {key} in {spec.source})" for name, key, what in unset]
        files = ", ".join(f"${file_variable(variable.name)}" for variable in unset)
        raise ReconcileError("environment variable" + ("s" if len(missing) > 1 else "") + " not set: "
                             + ", ".join(missing) + "; or name a file that holds "
                             + ("each" if len(missing) > 1 else "it") + f" in {files}")
    return Credentials(*(read_variable(variable, environ) or "" for variable in wanted))


def read_variable(variable: RequiredVariable, environ: Mapping[str, str]) -> str | None:
    """One secret the spec names, from the variable or its `_FILE` form; None when neither is set. A file that
    cannot give it is a ReconcileError that says what it was for, never what it holds."""
    try:
        return secret(environ, variable.name)
    except ReconcileError as exc:
        raise ReconcileError(f"{variable.what} ({variable.key} in the spec): {exc}") from None


@dataclass
class Clients:
    moco: MocoClient
    personio: PersonioClient

    @property
    def notices(self) -> list[str]:
        """One sentence per record the reads skipped so far (MOCO's first), e.g. for a plan's warnings."""
        return [*self.moco.notices, *self.personio.notices]

    def server_now(self) -> datetime:
        """Now by the services' clock: the latest `Date` header of their answers so far, so that an
        incremental bound does not depend on this machine's clock; the local clock when none came."""
        dates = [date for service in (self.moco.service, self.personio.service) if (date := service.last_date)]
        return max(dates) if dates else datetime.now(UTC)

    @property
    def requests_sent(self) -> dict[str, int]:
        return {"moco": self.moco.service.requests_sent, "personio": self.personio.service.requests_sent}

    @property
    def throttled(self) -> dict[str, int]:
        """Answers 429 so far, by service."""
        return {"moco": self.moco.service.throttled, "personio": self.personio.service.throttled}


@dataclass(frozen=True)
class Tuning:
    """Knobs for tests, benchmarks and the command line; the defaults are what a user runs with.
    `retry.total_seconds` bounds each request's whole time, attempts and waits together."""

    retry: RetryPolicy = RetryPolicy()
    timeouts: Timeouts = Timeouts()
    sleep: Sleep = asyncio.sleep
    clock: Clock = time.monotonic
    seed: int | None = None
    # The pacing of each service ("moco", "personio"), kept across runs: `reconcile serve` runs one after
    # another, and each must see the budget the last one spent. None: each run paces from a fresh window.
    limiters: Mapping[str, SlidingWindowLimiter] | None = None


def limiters(spec: Spec, tuning: Tuning = Tuning()) -> dict[str, SlidingWindowLimiter]:
    """One limiter per service at the spec's rate limits, for runs that share their budget (`Tuning.limiters`)."""
    return {"moco": SlidingWindowLimiter(spec.moco.rate_limit.requests, spec.moco.rate_limit.per_seconds,
                                         clock=tuning.clock, sleep=tuning.sleep),
            "personio": SlidingWindowLimiter(spec.personio.rate_limit.requests, spec.personio.rate_limit.per_seconds,
                                             clock=tuning.clock, sleep=tuning.sleep)}


@asynccontextmanager
async def open_clients(spec: Spec, credentials: Credentials, tuning: Tuning = Tuning()) -> AsyncIterator[Clients]:
    """One ClientSession for the run; a paced `Service` per API on top of it."""
    connector = aiohttp.TCPConnector(limit=32)
    async with aiohttp.ClientSession(connector=connector, headers={"User-Agent": USER_AGENT}) as session:
        rng = random.Random(tuning.seed)

        def service(name: str, base_url: str, requests: int, per_seconds: float, *, auth: Authenticator,
                    hints: Hints, error_reader: ErrorReader, pager: Pager) -> Service:
            shared = (tuning.limiters or {}).get(name.lower())
            return Service(
                name=name, base_url=base_url, session=session,
                limiter=shared or SlidingWindowLimiter(requests, per_seconds, clock=tuning.clock, sleep=tuning.sleep),
                auth=auth, hints=hints, error_reader=error_reader, pager=pager, retry=tuning.retry,
                timeouts=tuning.timeouts, sleep=tuning.sleep, clock=tuning.clock, rng=rng,
            )

        moco = service("MOCO", spec.moco.api_root, spec.moco.rate_limit.requests, spec.moco.rate_limit.per_seconds,
                       auth=StaticAuth({"Authorization": f"Token token={credentials.moco_api_key}"},
                                       secrets=[credentials.moco_api_key]),
                       hints=moco_hints(spec.moco.api_key_env, _moco_address_key(spec.moco.api_root)),
                       error_reader=read_moco_error, pager=link_pages)
        personio = service("Personio", spec.personio.base_url, spec.personio.rate_limit.requests,
                           spec.personio.rate_limit.per_seconds, auth=StaticAuth({}),
                           hints=personio_hints(spec.personio.client_id_env, spec.personio.client_secret_env),
                           error_reader=read_personio_error, pager=cursor_pages)
        personio.auth = PersonioToken(personio, credentials.personio_client_id, credentials.personio_client_secret,
                                      client_id_env=spec.personio.client_id_env,
                                      client_secret_env=spec.personio.client_secret_env)
        yield Clients(moco=MocoClient(moco), personio=PersonioClient(personio))


def _moco_address_key(api_root: str) -> str:
    """The spec key that set MOCO's address: a subdomain's API root, else base_url."""
    return "moco.subdomain" if re.fullmatch(r"https://[a-z0-9-]+\.mocoapp\.com/api/v1", api_root) else "moco.base_url"
