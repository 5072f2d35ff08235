"""Narrowed Personio reads for incremental runs: some persons by id or by email.

Functions over a `PersonioClient`, reading records with its own reader. Every answer is filtered
here again by what was asked, so a filter Personio ignored costs pages, never correctness.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from typing import Any

from reconciler.records import Person
from reconciler.systems.http import read_all
from reconciler.systems.http.together import together
from reconciler.systems.personio.client import PersonioClient, _person

# `GET /v2/persons` filters `id` and `email` take "one or more" values (personio.md §3.2, [S10]);
# UNVERIFIED: how many, and that they are a comma list (as `person.id` on attendance periods). 50, one
# page of persons (limit at most 50), keeps a query short. UNVERIFIED too: whether `email` compares
# case-insensitively. The sandbox does; an incremental run that finds nobody for an email reads the
# whole list instead (reconciler/read/who.py), so a case-sensitive filter costs requests, not pairs.
PERSONIO_VALUES_PER_REQUEST = 50


def _chunks(values: Iterable[Any], size: int) -> list[list[Any]]:
    ordered = sorted(set(values))
    return [ordered[i:i + size] for i in range(0, len(ordered), size)]


async def persons_by_ids(client: PersonioClient, ids: Collection[str]) -> list[Person]:
    return await _persons(client, "id", ids, lambda person: person.id in ids)


async def persons_by_emails(client: PersonioClient, emails: Collection[str]) -> list[Person]:
    """Every person whose email is one of these, compared case-insensitively."""
    wanted = {email.strip().lower() for email in emails if email and email.strip()}
    return await _persons(client, "email", wanted, lambda person: (person.email or "").lower() in wanted)


async def _persons(client: PersonioClient, name: str, values: Collection[str], keep: Any) -> list[Person]:
    reads = [client.service.records("/v2/persons", {"limit": 50, name: ",".join(chunk)}, "person")
             for chunk in _chunks(values, PERSONIO_VALUES_PER_REQUEST)]
    records = [record for found in await together(reads) for record in found]
    seen: dict[str, Person] = {}
    for person in read_all(records, _person, client.notices):
        if keep(person):
            seen.setdefault(person.id, person)
    return list(seen.values())
