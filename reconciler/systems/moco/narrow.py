"""Narrowed MOCO reads for incremental runs: some users by id or by email, some presences by id.

Functions over a `MocoClient`, reading records with its own readers. Every answer is filtered here
again by what was asked, so a filter MOCO ignored costs pages, never correctness. The assumptions
about MOCO's filters are the constants below, each UNVERIFIED where no source confirms it (doctor: moco-users).
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from datetime import UTC, date, datetime
from typing import Any

from reconciler.errors import NotFound
from reconciler.records import MocoUser, Presence
from reconciler.systems.http import MOMENT, Record, read_all
from reconciler.systems.http.together import together
from reconciler.systems.moco.client import MocoClient, _presence
from reconciler.systems.moco.people import _user

# The global `ids` filter (DOCS entities.md: "comma-separated IDs") documents no upper bound.
# UNVERIFIED (doctor: moco-users): how many ids MOCO takes in one request. 100 keeps a query near 1,000 characters and a
# chunk's answer within one page (per_page is at most 100).
MOCO_IDS_PER_REQUEST = 100
# `GET /users?email=` is documented as an exact match of one address (moco.md §4, PR #389), and MOCO
# stores emails lower-cased: one lower-cased email per request. UNVERIFIED (doctor: moco-users) that a comma list works,
# so none is sent.
MOCO_EMAILS_PER_REQUEST = 1
# UNVERIFIED (doctor: moco-users): that no two MOCO users share an email (MOCO users log in with it; the docs do not say
# it is unique). While True, an incremental run takes a user read by id as the only one with that
# email instead of looking each email up (a request per email); the full run checks and reports it.
MOCO_EMAILS_UNIQUE = True


def _chunks(values: Iterable[Any], size: int) -> list[list[Any]]:
    ordered = sorted(set(values))
    return [ordered[i:i + size] for i in range(0, len(ordered), size)]


async def users_by_ids(client: MocoClient, ids: Collection[int]) -> list[MocoUser]:
    """The users with these ids, archived ones included (as the full read)."""
    reads = [client.service.records("/users", {"include_archived": "true", "ids": ",".join(map(str, chunk))}, "user")
             for chunk in _chunks(ids, MOCO_IDS_PER_REQUEST)]
    records = [record for found in await together(reads) for record in found]
    return [user for user in read_all(records, _user, client.notices) if user.id in ids]


async def users_by_emails(client: MocoClient, emails: Collection[str]) -> list[MocoUser]:
    """Every user whose email is one of these (compared lower-cased), archived ones included."""
    wanted = {email.strip().lower() for email in emails if email and email.strip()}
    reads = [client.service.records("/users", {"include_archived": "true", "email": ",".join(chunk)}, "user")
             for chunk in _chunks(wanted, MOCO_EMAILS_PER_REQUEST)]
    records = [record for found in await together(reads) for record in found]
    return [user for user in read_all(records, _user, client.notices) if user.email in wanted]


async def changed_presences(client: MocoClient, start: date, end: date, since: datetime
                            ) -> list[tuple[Presence, datetime | None]]:
    """The presences from `start` to `end` created or updated after `since` (MOCO's `updated_after`, ISO
    8601 UTC; deletions are not listed), whole, so that their ids can be read again with the others;
    each with its `created_at` (None when MOCO gives none)."""
    params = {"from": start.isoformat(), "to": end.isoformat(),
              "updated_after": since.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")}
    records = await client.service.records("/users/presences", params, "presence")
    out = []
    for record in records:
        found = read_all([record], lambda r: _presence(r, client.notices), client.notices)
        if found:
            out.append((found[0], record.get("created_at", MOMENT)))
    return out


async def presences_by_ids(client: MocoClient, ids: Collection[int], start: date, end: date) -> list[Presence]:
    """The presences with these ids from `start` to `end`. An id that does not come back is asked for
    alone (`GET /users/presences/{id}`): only a 404 there counts as deleted, so a list filter that
    dropped ids never reads as deletions."""
    window = {"from": start.isoformat(), "to": end.isoformat()}
    reads = [client.service.records("/users/presences", {**window, "ids": ",".join(map(str, chunk))}, "presence")
             for chunk in _chunks(ids, MOCO_IDS_PER_REQUEST)]
    records = [record for found in await together(reads) for record in found]
    found = {p.id: p for p in read_all(records, lambda r: _presence(r, client.notices), client.notices)
             if p.id in ids}
    missing = sorted(set(ids) - set(found))
    for presence in await together(_one_presence(client, ident) for ident in missing):
        if presence is not None and start <= presence.day <= end:
            found[presence.id] = presence
    return sorted(found.values(), key=lambda p: (p.day, p.id))


async def _one_presence(client: MocoClient, ident: int) -> Presence | None:
    """One presence by id; None when MOCO answers 404 (it was deleted)."""
    path = f"/users/presences/{ident}"
    try:
        answer = await client.service.request("GET", path)
    except NotFound:
        return None
    record = Record(client.service.source("GET", path), "presence", answer.body if isinstance(answer.body, dict)
                    else {})
    if not isinstance(answer.body, dict):
        raise record.unusable("did not come as an object")
    found = read_all([record], lambda r: _presence(r, client.notices), client.notices)
    return found[0] if found else None


def _after(since: datetime) -> str:
    return since.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


async def changed_users(client: MocoClient, since: datetime) -> list[int]:
    """The ids of the users created or changed after `since` (a new user, a changed email, one archived),
    archived ones included (MOCO's `updated_after`)."""
    records = await client.service.records("/users", {"include_archived": "true", "updated_after": _after(since)},
                                           "user")
    return sorted({record.key() for record in records})


async def changed_employments(client: MocoClient, since: datetime) -> list[int]:
    """The users whose employments (work patterns) were created or changed after `since`: the client's read of
    employments (both ways, merged by id: systems/moco/client.py, EMPLOYMENTS_FROM) with `updated_after`."""
    return sorted({employment.user_id for employment in await client._employments({"updated_after": _after(since)})})
