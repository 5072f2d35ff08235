"""Narrowed Personio reads for incremental runs: some persons by id or by email, periods by id, and the
persons changed since a moment.

Functions over a `PersonioClient`, reading records with its own reader. Every answer is filtered
here again by what was asked, so a filter Personio ignored costs pages, never correctness.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from datetime import UTC, datetime
from typing import Any

from reconciler.records import AbsencePeriod, AttendancePeriod, Person
from reconciler.systems.http import read_all
from reconciler.systems.http.together import together
from reconciler.systems.personio.client import PersonioClient, _attendance, _person, read_absence_period

# `GET /v2/persons` filters `id` and `email` take "one or more" values (personio.md §3.2, [S10]);
# UNVERIFIED (doctor: personio-filters): how many, and that they are a comma list (as `person.id` on attendance
# periods). 50, one page of persons (limit at most 50), keeps a query short. UNVERIFIED too: whether `email` compares
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


# `GET /v2/absence-periods` and `GET /v2/attendance-periods` document an `id` filter (personio.md §4.4,
# §5.2); as with persons, UNVERIFIED (doctor: personio-filters) how many ids one takes and that they are
# a comma list: the same chunks, and every answer filtered again by id.
async def absence_periods_by_ids(client: PersonioClient, ids: Collection[str]) -> list[AbsencePeriod]:
    """The absence periods with these ids that Personio still has."""
    return await _periods(client, "/v2/absence-periods", {}, "absence period", ids, read_absence_period)


async def attendance_periods_by_ids(client: PersonioClient, ids: Collection[str]) -> list[AttendancePeriod]:
    """The attendance periods with these ids that Personio still has, duration-only ones included."""
    return await _periods(client, "/v2/attendance-periods", {"duration_type": "ALL"}, "attendance period", ids,
                          _attendance)


async def _periods(client: PersonioClient, path: str, extra: dict[str, str], noun: str, ids: Collection[str],
                   parse: Any) -> list[Any]:
    reads = [client.service.records(path, {"id": ",".join(chunk), "limit": 100, **extra}, noun)
             for chunk in _chunks(ids, PERSONIO_VALUES_PER_REQUEST)]
    records = [record for found in await together(reads) for record in found]
    seen: dict[str, Any] = {}
    for period in read_all(records, parse, client.notices):
        if period.id in ids:
            seen.setdefault(period.id, period)
    return list(seen.values())


async def persons_changed(client: PersonioClient, since: datetime) -> list[Person]:
    """The persons created or changed after `since` (`updated_at.gt`, personio.md §3.2; its date-times carry
    no offset, as every v2 list's): polled only where no webhook records person events."""
    stamp = since.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S")
    records = await client.service.records("/v2/persons", {"limit": 50, "updated_at.gt": stamp}, "person")
    return read_all(records, _person, client.notices)
