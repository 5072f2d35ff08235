"""`reconcile doctor`'s shell: credentials from the environment, the run's clients, every check, and the report.

MOCO and Personio are diagnosed at once. On each side the credentials come first: when they fail, every check
that needs them is skipped with that reason. On Personio's side the scopes come next: a check whose scope was
refused is skipped, naming it. The rest of each side runs at once, and the clock last (it measures the
services' `Date` headers with nothing else in flight). Nothing here writes: every request is a read (and
Personio's token).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from datetime import date

from reconciler.doctor.clock import judge_clock, offset
from reconciler.doctor.moco_access import moco_credentials, moco_pagination, moco_users, moco_webhooks, users_page
from reconciler.doctor.moco_time import moco_employments, moco_presences, moco_schedules
from reconciler.doctor.model import Check, Report, failed, skipped
from reconciler.doctor.people import moco_units, personio_departments, personio_leavers
from reconciler.doctor.personio_access import personio_credentials, personio_scopes
from reconciler.doctor.personio_employments import employments_check
from reconciler.doctor.personio_filters import personio_filters
from reconciler.doctor.personio_holidays import holidays_check
from reconciler.doctor.personio_people import pagination, person_emails, person_statuses
from reconciler.doctor.personio_reads import persons_pages
from reconciler.doctor.personio_time import absence_periods_check, absence_types_check, attendance_periods_check
from reconciler.doctor.personio_webhooks import personio_webhooks
from reconciler.doctor.reads import Context, guarded, trouble
from reconciler.doctor.unseen import moco_writes, personio_writes, rate_limit, webhook_deliveries
from reconciler.errors import ApiError, ReconcileError
from reconciler.spec import Spec
from reconciler.systems.connect import (
    Credentials,
    RequiredVariable,
    Tuning,
    open_clients,
    read_variable,
    required_variables,
)
from reconciler.systems.http.together import together
from reconciler.systems.secrets import file_variable

Step = Callable[[Context], Awaitable[Check]]
MOCO_STEPS: tuple[tuple[str, Step], ...] = (
    ("moco-users", moco_users), ("moco-pagination", moco_pagination), ("moco-schedules", moco_schedules),
    ("moco-employments", moco_employments), ("moco-units", moco_units), ("moco-presences", moco_presences),
    ("moco-webhooks", moco_webhooks),
    ("moco-rate-limit", lambda ctx: _rate_limit(ctx, "moco")),
)
# Personio's checks, each with the read scope it needs (None: it handles a refusal itself).
PERSONIO_STEPS: tuple[tuple[str, str | None, Step], ...] = (
    ("personio-person-emails", "personio:persons:read", person_emails),
    ("personio-person-statuses", "personio:persons:read", person_statuses),
    ("personio-pagination", "personio:persons:read", pagination),
    ("absence-types", "personio:absences:read", absence_types_check),
    ("absence-periods", "personio:absences:read", absence_periods_check),
    ("attendance-periods", "personio:attendances:read", attendance_periods_check),
    ("personio-holidays", "personio:absences:read", holidays_check),
    ("personio-employments", "personio:persons:read", employments_check),
    ("personio-departments", "personio:persons:read", personio_departments),
    ("personio-leavers", "personio:persons:read", personio_leavers),
    ("personio-webhooks", None, personio_webhooks),
    ("personio-rate-limit", "personio:persons:read", lambda ctx: _rate_limit(ctx, "personio")),
)
MOCO_CHECKS = ("moco-credentials", *(name for name, _ in MOCO_STEPS))
PERSONIO_CHECKS = ("personio-credentials", "personio-scopes", "personio-filters",
                   *(name for name, _, _ in PERSONIO_STEPS))


async def diagnose(spec: Spec, environ: Mapping[str, str], today: date, tuning: Tuning = Tuning()) -> Report:
    """Every check against the accounts the spec and `environ` name; read-only."""
    wanted = required_variables(spec)
    values, problems = _secrets(wanted, environ)
    credentials = Credentials(*values)
    moco_missing = [problem for problem in problems if problem[0] in wanted[:1]]
    personio_missing = [problem for problem in problems if problem[0] in wanted[1:]]
    found: dict[str, Check] = {check.name: check for check in (personio_writes(), moco_writes(),
                                                                 webhook_deliveries())}
    async with open_clients(spec, credentials, tuning) as clients:
        ctx = Context(spec, clients, today)
        try:
            moco, personio = await together([_moco(ctx, moco_missing), _personio(ctx, personio_missing)])
        finally:
            ctx.shared.close()
        found |= moco | personio
        asked = {"MOCO": (clients.moco.service, "/session")} if found["moco-credentials"].status != "fail" else {}
        if found["personio-credentials"].status != "fail":
            asked["Personio"] = (clients.personio.service, "/v2/absence-types")
        offsets = await together(offset(service, path, {"limit": "1"} if "v2" in path else None)
                                 for service, path in asked.values())
        found["clock"] = judge_clock(dict(zip(asked, offsets, strict=True)))
    return Report.of(found)


Problem = tuple[RequiredVariable, str]  # a variable that gives no secret, and why ("": it is not set)


def _secrets(wanted: list[RequiredVariable], environ: Mapping[str, str]) -> tuple[list[str], list[Problem]]:
    """Each secret (blank when there is none), and each variable that gives none: unset, or naming in its
    `_FILE` form a file that cannot be read (the reason names the path, never what the file holds)."""
    values, problems = [], []
    for variable in wanted:
        try:
            value = read_variable(variable, environ)
        except ReconcileError as exc:
            value = None
            problems.append((variable, str(exc)))
        else:
            if value is None:
                problems.append((variable, ""))
        values.append(value or "")
    return values, problems


def _unset(name: str, problems: list[Problem], spec: Spec) -> Check:
    unset = [variable for variable, why in problems if not why]
    named = ", ".join(f"${v.name} ({v.what}; named by {v.key} in {spec.source})" for v in unset)
    files = ", ".join(f"${file_variable(v.name)}" for v in unset)
    said = [f"not set: {named}; nor {files}, to name a file that holds it"] if unset else []
    return failed(name, "; ".join([*said, *(why for _, why in problems if why)]))


async def _moco(ctx: Context, missing: list[Problem]) -> dict[str, Check]:
    name = "moco-credentials"
    credentials = _unset(name, missing, ctx.spec) if missing else await guarded(name, moco_credentials(ctx))
    if credentials.status == "fail":
        return {name: credentials,
                **_skip(MOCO_CHECKS[1:], "skipped: MOCO's credentials failed (see moco-credentials)")}
    checks = await together(guarded(step, run(ctx)) for step, run in MOCO_STEPS)
    return {name: credentials, **{check.name: check for check in checks}}


async def _personio(ctx: Context, missing: list[Problem]) -> dict[str, Check]:
    name = "personio-credentials"
    credentials = _unset(name, missing, ctx.spec) if missing else await guarded(name, personio_credentials(ctx))
    if credentials.status == "fail":
        return {name: credentials,
                **_skip(PERSONIO_CHECKS[1:], "skipped: Personio's credentials failed (see personio-credentials)")}
    try:
        scopes = await personio_scopes(ctx)
    except Exception as error:  # noqa: BLE001 - the scopes check fails; the rest goes on as if none were refused
        check, refused = failed("personio-scopes", trouble(error)), frozenset[str]()
    else:
        check, refused = scopes.check, scopes.refused

    async def run(step: str, scope: str | None, read: Step) -> Check:
        if scope in refused:
            return skipped(step, f"skipped: Personio refused {scope} (see personio-scopes)")
        return await guarded(step, read(ctx))

    checks = await together([*(run(step, scope, read) for step, scope, read in PERSONIO_STEPS),
                             guarded("personio-filters", personio_filters(ctx, refused))])
    return {name: credentials, "personio-scopes": check, **{c.name: c for c in checks}}


def _skip(names: tuple[str, ...], why: str) -> dict[str, Check]:
    return {name: skipped(name, why) for name in names}


async def _rate_limit(ctx: Context, service: str) -> Check:
    """From the headers of a page both services' pagination checks read anyway."""
    if service == "moco":
        return rate_limit("moco-rate-limit", "MOCO", "moco.rate_limit", ctx.spec.moco.rate_limit,
                          (await users_page(ctx)).headers)
    try:
        headers: Mapping[str, str] | None = (await persons_pages(ctx)).headers
    except ApiError:
        headers = None
    return rate_limit("personio-rate-limit", "Personio", "personio.rate_limit", ctx.spec.personio.rate_limit, headers)
