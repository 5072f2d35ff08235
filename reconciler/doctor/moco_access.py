"""MOCO's key, its users and its lists: whether the key is taken and may list users, what the users' emails
allow (matching, and the filters incremental runs use), how MOCO pages, and its web hooks. Counts, header
and field names only: no user is ever shown."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Any, cast

from reconciler.doctor.model import Check, Status, failed, passed, plural, skipped, warned, worst
from reconciler.doctor.reads import Context, Sample, moco_page, refused, trouble
from reconciler.errors import ApiError, AuthenticationFailed, NotFound
from reconciler.systems.moco.narrow import MOCO_IDS_PER_REQUEST

CREDENTIALS, USERS, PAGINATION, WEBHOOKS = "moco-credentials", "moco-users", "moco-pagination", "moco-webhooks"
USERS_PATH = "/users"
SERVE_TARGETS = ("Presence", "Schedule", "User")  # what reconcile serve listens to (docs/serve.md)


async def moco_credentials(ctx: Context) -> Check:
    """`GET /session` (MOCO's key check; a 404 there, as an account key may get, falls back to the users list
    as run.py does), then one user of `GET /users`: reconcile needs a key that may list users."""
    service, settings = ctx.clients.moco.service, ctx.spec.moco
    try:
        answer = await service.request("GET", "/session")
        ident = answer.body.get("id") if isinstance(answer.body, dict) else None
        session = f"GET /session answered {answer.status} (" + \
            ("a user's key" if isinstance(ident, int) and not isinstance(ident, bool) else
             "no user of its own: an account key") + ")"
    except NotFound:
        session = "GET /session answered 404 (reconcile then checks the key with GET /users, as here)"
    except AuthenticationFailed as error:
        return failed(CREDENTIALS, str(error))
    except ApiError as error:
        return failed(CREDENTIALS, f"{trouble(error)}; check the MOCO address ({settings.api_root})")
    try:
        page = await users_page(ctx)
    except ApiError as error:
        return failed(CREDENTIALS, f"{session}, but {trouble(error)}")
    total = f"{page.total:,} users with archived ones" if page.total is not None else "users"
    return passed(CREDENTIALS, f"MOCO took ${settings.api_key_env}: {session}; it may list {total} (GET /users)")


async def users_page(ctx: Context) -> Sample:
    """One user of `GET /users` (with its headers): the key check's and the pagination check's."""
    service = ctx.clients.moco.service
    return cast(Sample, await ctx.shared.once(
        "moco-users-page", lambda: moco_page(service, USERS_PATH, {"include_archived": "true"}, per_page=1)))


async def moco_users(ctx: Context) -> Check:
    """Every user (as a full run reads them), then the `ids` filter with up to 100 of them and the `email`
    filter with one and with two addresses."""
    service = ctx.clients.moco.service
    rows = await service.pages(USERS_PATH, {"include_archived": "true"})
    emails = [(row.get("id"), _email(row)) for row in rows]
    counts = Counter(email for _, email in emails if email)
    unique = [(ident, email) for ident, email in emails if email and counts[email] == 1][:2]
    ids = [row.get("id") for row in rows if isinstance(row.get("id"), int)][:MOCO_IDS_PER_REQUEST]
    by_ids = await _ids(ctx, {"ids": ",".join(map(str, ids))}) if len(ids) > 1 else None
    one = await _ids(ctx, {"email": unique[0][1]}) if unique else None
    two = await _ids(ctx, {"email": ",".join(email for _, email in unique)}) if len(unique) == 2 else None
    return judge_users(rows, ids, by_ids, unique, one, two)


async def _ids(ctx: Context, params: dict[str, Any]) -> list[Any] | str:
    try:
        page = await moco_page(ctx.clients.moco.service, USERS_PATH, {"include_archived": "true", **params})
    except ApiError as error:
        return f"answered {error.status or 'nothing'}"
    return [row.get("id") for row in page.rows]


def _email(row: dict[str, Any]) -> str:
    value = row.get("email")
    return value.strip().lower() if isinstance(value, str) else ""


def judge_users(rows: Sequence[dict[str, Any]], ids: Sequence[Any], by_ids: list[Any] | str | None,
                unique: Sequence[tuple[Any, str]], one: list[Any] | str | None, two: list[Any] | str | None) -> Check:
    total = len(rows)
    if not total:
        return failed(USERS, "GET /users listed no users: nobody to match")
    archived = sum(row.get("active") is False for row in rows)
    missing = sum(not _email(row) for row in rows)
    shared = sum(n for n in Counter(_email(row) for row in rows if _email(row)).values() if n > 1)
    verdicts: list[tuple[Status, str]] = [("pass", f"{plural(total, 'user')} ({archived} archived)")]
    if missing == total:
        return failed(USERS, f"none of the {plural(total, 'user')} carries an email: reconcile matches people by "
                             "email, and stops a run that reads none")
    if missing:
        verdicts.append(("warn", f"{missing} carry no email: they are never matched"))
    if shared:
        verdicts.append(("warn", f"{shared} share an email with another: none of them is synced, and incremental "
                                 "runs, which take a user found by id as the only one with its email, may pair one "
                                 "of them until the next full run"))
    else:
        verdicts.append(("pass", "no two share an email (incremental runs rely on it)"))
    if isinstance(by_ids, str):
        verdicts.append(("warn", f"the ids filter not checked ({by_ids})"))
    elif by_ids is not None:
        got = {str(i) for i in by_ids}
        asked = {str(i) for i in ids}
        verdicts.append(("pass", f"ids: {len(asked)} at once, each listed") if asked <= got else
                        ("warn", f"ids: {len(asked & got)} of {len(asked)} asked at once were listed: incremental "
                                 f"runs ask up to {MOCO_IDS_PER_REQUEST} a request, so they would miss users"))
    if isinstance(one, str):
        verdicts.append(("warn", f"the email filter not checked ({one})"))
    elif one is not None:
        found = unique[0][0] in one
        verdicts.append(("pass", "email: one address finds its user") if found else
                        ("warn", "email: one address found not its user: incremental runs look users up by email "
                                 "and would read the whole list instead (more requests)"))
    if isinstance(two, list):
        both = {ident for ident, _ in unique} <= set(two)
        verdicts.append(("pass", f"a comma list of two addresses found {'both' if both else 'not both'} (reconcile "
                                 "sends one a request either way)"))
    return worst(USERS, verdicts, joiner="; ")


async def moco_pagination(ctx: Context) -> Check:
    return judge_pagination(await users_page(ctx))


def judge_pagination(page: Sample) -> Check:
    headers = page.headers
    present = [name for name in ("x-page", "x-per-page", "x-total") if name in headers]
    link = headers.get("link", "")
    has_next = 'rel="next"' in link or "rel=next" in link
    seen = f"GET /users?per_page=1 answered with {', '.join(present) or 'no page headers'}" + \
        (" and Link rel=\"next\"" if has_next else "")
    if page.total is not None and (page.total <= 1 or has_next):
        return passed(PAGINATION, f"{seen}: reconcile reads the first page, then the others at once (X-Total says "
                                  "how many), header names in any case")
    if page.total is not None:
        return warned(PAGINATION, f"{seen}, but no next link for {page.total} records: reconcile goes by X-Total "
                                  "(and checks it read as many)")
    if has_next:
        return warned(PAGINATION, f"{seen}, without X-Total: reconcile follows Link rel=\"next\" one page at a time "
                                  "(slower, the same records)")
    return failed(PAGINATION, f"{seen}: without X-Total or a next link reconcile cannot tell whether a list goes on, "
                              "and reads only its first page")


async def moco_webhooks(ctx: Context) -> Check:
    """`GET /account/web_hooks`: the hooks reconcile serve would receive (id, target, event, disabled)."""
    try:
        rows = await ctx.clients.moco.service.pages("/account/web_hooks")
    except ApiError as error:
        if refused(error):
            return warned(WEBHOOKS, f"{trouble(error)}; only `reconcile serve` uses MOCO's web hooks")
        if isinstance(error, NotFound):
            return skipped(WEBHOOKS, "GET /account/web_hooks answered 404: MOCO offers no web hook API here; only "
                                     "`reconcile serve` uses MOCO's web hooks")
        raise
    return judge_hooks(rows)


def judge_hooks(rows: Sequence[Mapping[str, Any]]) -> Check:
    if not rows:
        return passed(WEBHOOKS, "no MOCO web hook: only `reconcile serve` uses them (docs/serve.md registers them); "
                                "plan and apply read MOCO's lists")
    fields = sorted({key for row in rows for key in row})
    secret = [key for key in fields if any(word in key.lower() for word in ("secret", "key", "signature", "token"))]
    hooks = []
    for row in rows:
        off = " (disabled)" if row.get("disabled") or row.get("disabled_at") else ""
        hooks.append(f"{row.get('id')} {row.get('target')} {row.get('event')}{off}")
    served = sorted({f"{row.get('target')} {row.get('event')}" for row in rows if row.get("target") in SERVE_TARGETS
                     and not (row.get("disabled") or row.get("disabled_at"))})
    return passed(WEBHOOKS, f"{plural(len(rows), 'web hook')}: {', '.join(hooks)}; fields: {', '.join(fields)} ("
                            + (f"a key field is there: {', '.join(secret)}" if secret else
                               "no signing key among them: MOCO shows it in its web hook overview only") +
                            f"); `reconcile serve` receives {', '.join(served) or 'none of them'}")
