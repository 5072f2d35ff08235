"""Personio's credentials and scopes: a token for the client id and secret, then one tiny read per scope.

A read scope shows in a read: a refused one (403, or 401 after a fresh token) fails the check, naming the
scope and the commands that need it. The write scope a run needs (`personio:attendances:write`) cannot be
seen without writing; the token answer's `scope` string says it when Personio gives one, and is trusted
only when it names every read scope the reads proved (Personio's own example uses singular names,
"personio:person:write", where its endpoints document plural ones: both are read).
"""

from __future__ import annotations

import re
from collections.abc import Awaitable
from dataclasses import dataclass
from typing import Any

from reconciler.doctor.model import Check, Status, failed, passed, worst
from reconciler.doctor.reads import Context, endpoint_of, refused, trouble
from reconciler.errors import ApiError, AuthenticationFailed
from reconciler.records import AttendanceDirection
from reconciler.spec import Spec
from reconciler.systems.http.together import together
from reconciler.systems.personio import PersonioToken

NAME = "personio-scopes"
WRITE = "personio:attendances:write"
WEBHOOKS = "personio:webhooks:read"
# The read scopes, each with the tiny reads that prove it (limit 1).
PROBES = (("personio:persons:read", ("/v2/persons",)),
          ("personio:absences:read", ("/v2/absence-types", "/v2/absence-periods")),
          ("personio:attendances:read", ("/v2/attendance-periods",)),
          (WEBHOOKS, ("/v2/webhooks",)))


@dataclass(frozen=True)
class Scopes:
    """The scopes check, and the read scopes Personio refused (the checks that need one are skipped)."""

    check: Check
    refused: frozenset[str]


async def personio_credentials(ctx: Context) -> Check:
    """`POST /v2/auth/token`: the token every Personio call needs."""
    token = ctx.clients.personio.service.auth
    settings = ctx.spec.personio
    try:
        await token.headers()
    except AuthenticationFailed as error:
        return failed("personio-credentials", str(error))
    except ApiError as error:
        return failed("personio-credentials", f"{trouble(error)}; check personio.base_url ({settings.base_url})")
    scope = token.scope if isinstance(token, PersonioToken) else None
    listed = f"; it lists {len(names(scope))} scopes" if scope else "; the answer lists no scopes"
    return passed("personio-credentials", f"Personio issued a token for ${settings.client_id_env} and "
                                          f"${settings.client_secret_env} (POST /v2/auth/token){listed}")


def needed_by(spec: Spec) -> dict[str, str]:
    """Each scope and the commands that need it, for this spec ("" for one no command needs)."""
    hours = spec.attendances.direction is AttendanceDirection.MOCO_TO_PERSONIO
    return {
        "personio:persons:read": "plan, apply, users and serve",
        "personio:absences:read": "plan, apply and serve (absences: types and periods)" if spec.absences.enabled
        else "",
        "personio:attendances:read": "plan, apply and serve (working hours)" if hours else "",
        WRITE: "apply and serve (working hours)" if hours else "",
        WEBHOOKS: "incremental runs and serve (optional: Personio's deletions and changes through its webhook "
                  "events)",
    }


async def personio_scopes(ctx: Context) -> Scopes:
    """One read of one record per read scope, at once; the write scope from the token answer."""
    service = ctx.clients.personio.service
    paths = [(scope, path) for scope, found in PROBES for path in found]
    answers = await together(_probe(service.request("GET", path, params={"limit": 1})) for _, path in paths)
    outcome: dict[str, list[ApiError | None]] = {}
    for (scope, _), answer in zip(paths, answers, strict=True):
        outcome.setdefault(scope, []).append(answer)
    token = service.auth
    return judge_scopes(ctx.spec, outcome, token.scope if isinstance(token, PersonioToken) else None)


async def _probe(read: Awaitable[Any]) -> ApiError | None:
    try:
        await read
    except ApiError as error:
        return error
    return None


def judge_scopes(spec: Spec, outcome: dict[str, list[ApiError | None]], scope: str | None) -> Scopes:
    """The scopes check from each read scope's probes (None: read; else the error) and the token's scope string."""
    needs = needed_by(spec)
    verdicts: list[tuple[Status, str]] = []
    denied: set[str] = set()
    proved: list[str] = []
    for name, errors in outcome.items():
        short = name.removeprefix("personio:")
        refusals = [error for error in errors if error is not None and refused(error)]
        other = next((error for error in errors if error is not None and not refused(error)), None)
        if refusals:
            denied.add(name)
            calls = ", ".join(f"{endpoint_of(e)} ({e.status})" for e in refusals)
            if name == WEBHOOKS:
                verdicts.append(("warn", f"{short} refused: {calls}; needed by {needs[name]}: without it incremental "
                                         "runs poll Personio's lists and leave its deletions to the full run"))
            elif needs[name]:
                verdicts.append(("fail", f"{short} refused: {calls}; needed by {needs[name]}"))
            else:
                verdicts.append(("pass", f"{short} refused ({calls}), not needed by this spec"))
        elif other is not None:
            verdicts.append(("warn" if name == WEBHOOKS or not needs[name] else "fail",
                             f"{short} not checked: {trouble(other)}"))
        else:
            proved.append(name)
            verdicts.append(("pass", f"{short} ok"))
    verdicts.append(_write(spec, scope, proved))
    return Scopes(worst(NAME, verdicts, joiner=", "), frozenset(denied))


def _write(spec: Spec, scope: str | None, proved: list[str]) -> tuple[Status, str]:
    """What the token's scope string says of the write scope, when it can be trusted."""
    need = needed_by(spec)[WRITE]
    if not need:
        return "pass", f"{WRITE.removeprefix('personio:')} not needed (attendances.direction: personio_managed)"
    listed = names(scope)
    short = WRITE.removeprefix("personio:")
    if scope is None:
        return "warn", (f"{short} cannot be seen without writing (the token answer lists no scopes); needed by {need}: "
                        "without it apply fails at the first attendance period it writes")
    unlisted = [name for name in proved if _norm(name) not in listed]
    if unlisted:
        return "warn", (f"{short} cannot be told: the token's scope list does not name scopes the reads proved "
                        f"({', '.join(n.removeprefix('personio:') for n in unlisted)}); needed by {need}")
    if _norm(WRITE) in listed:
        return "pass", f"{short} listed in the token's scopes"
    return "fail", f"{short} is not among the token's scopes; needed by {need}"


def names(scope: str | None) -> set[str]:
    """The scope names of a token answer's `scope`, compared singular ("personio:person:read")."""
    return {_norm(name) for name in re.split(r"[\s,]+", scope or "") if name}


def _norm(name: str) -> str:
    parts = name.strip().lower().split(":")
    if len(parts) == 3:
        parts[1] = parts[1].removesuffix("s")
    return ":".join(parts)
