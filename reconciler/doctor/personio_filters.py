"""Personio's list filters, each asked once of records already read, to see whether it behaves as reconcile's
reads assume (systems/personio/narrow.py and client.py, where each assumption is marked):

- `GET /v2/persons`: `email` and `id` take a comma list; `email` compares case-insensitively.
- `GET /v2/absence-periods`: `person.id` takes a comma list; a date range matches overlapping periods (a
  period begun before `starts_from.date_time.gte` still listed); `updated_at` compares in UTC.
- `GET /v2/absence-periods` and `GET /v2/attendance-periods`: `id` takes a comma list (incremental runs read
  again by id the periods webhook events name).

The probes send ids and emails of persons already read (reconcile's own reads send the same) and report only
whether the answer listed them: no id, email or date is shown.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from reconciler.doctor.model import Check, Status, skipped, worst
from reconciler.doctor.personio_reads import (
    ABSENCE_PERIODS,
    ATTENDANCE_PERIODS,
    PERSONS,
    absence_bounds,
    absence_sample,
    attendance_sample,
    persons,
)
from reconciler.doctor.reads import Context
from reconciler.errors import ApiError
from reconciler.records import AttendanceDirection
from reconciler.systems.http import Service
from reconciler.systems.personio.client import ATTENDANCE_KINDS

NAME = "personio-filters"
Verdict = tuple[Status, str]


async def personio_filters(ctx: Context, refused: frozenset[str]) -> Check:
    verdicts: list[Verdict] = []
    service = ctx.clients.personio.service
    if "personio:persons:read" not in refused:
        rows = await persons(ctx)
        verdicts += [await _emails(service, rows), await _ids(service, rows)]
    if "personio:absences:read" not in refused and ctx.spec.absences.enabled:
        periods = list((await absence_sample(ctx)).rows)
        verdicts += [await _person_ids(ctx, periods), await _period_ids(service, ABSENCE_PERIODS, periods, {}),
                     await _date_ranges(service, periods), await _updated_at(service, periods)]
    if "personio:attendances:read" not in refused and \
            ctx.spec.attendances.direction is AttendanceDirection.MOCO_TO_PERSONIO:
        timed = list((await attendance_sample(ctx)).rows)
        verdicts.append(await _period_ids(service, ATTENDANCE_PERIODS, timed, ATTENDANCE_KINDS))
    if not verdicts:
        return skipped(NAME, "the scopes to read persons and absence periods were refused (see personio-scopes)")
    return worst(NAME, verdicts)


async def _ids_of(service: Service, path: str, params: dict[str, Any]) -> list[Any] | str:
    """The ids of the records on the first page of an answer; the error's words when refused."""
    try:
        response = await service.request("GET", path, params=params)
    except ApiError as error:
        return f"answered {error.status or 'nothing'}"
    body = response.body
    data = body.get("_data", body.get("data")) if isinstance(body, dict) else None
    return [row.get("id") for row in data if isinstance(row, dict)] if isinstance(data, list) else "answered no list"


def _with_email(rows: Sequence[dict[str, Any]]) -> list[tuple[Any, str]]:
    """(id, email) of persons with an email of their own, in the order read."""
    pairs = [(row.get("id"), row["email"].strip()) for row in rows
             if isinstance(row.get("email"), str) and row["email"].strip()]
    counts = Counter(email.lower() for _, email in pairs)
    return [(ident, email) for ident, email in pairs if counts[email.lower()] == 1]


async def _emails(service: Service, rows: Sequence[dict[str, Any]]) -> Verdict:
    people = _with_email(rows)[:2]
    if not people:
        return "pass", "email filter not checked (no person with an email of their own)"
    first_id, first = people[0]
    swapped = await _ids_of(service, PERSONS, {"email": first.swapcase(), "limit": 50})
    case = "not checked" if isinstance(swapped, str) or first.swapcase() == first else \
        "case-insensitive" if first_id in swapped else "case-sensitive"
    listed: str = "not checked (one person with an email)"
    if len(people) == 2:
        both = await _ids_of(service, PERSONS, {"email": ",".join(email for _, email in people), "limit": 50})
        listed = f"not checked ({both})" if isinstance(both, str) else \
            "a comma list" if {ident for ident, _ in people} <= set(both) else "not a comma list"
    words = f"GET {PERSONS} email: {listed}, {case}"
    if "not a comma list" in listed or case == "case-sensitive":
        return "warn", (f"{words}: incremental runs look people up by email, lower-cased, up to 50 a request; one "
                        "found by none reads the whole list instead (more requests, the same plan)")
    return "pass", words


async def _ids(service: Service, rows: Sequence[dict[str, Any]]) -> Verdict:
    ids = [row.get("id") for row in rows if isinstance(row.get("id"), (str, int))][:2]
    if len(ids) < 2:
        return "pass", "id filter not checked (fewer than two persons)"
    found = await _ids_of(service, PERSONS, {"id": ",".join(map(str, ids)), "limit": 50})
    if isinstance(found, str):
        return "warn", f"GET {PERSONS} id: not checked ({found})"
    if {str(i) for i in ids} <= {str(i) for i in found}:
        return "pass", "id: a comma list"
    return "warn", (f"GET {PERSONS} id: not a comma list: incremental runs ask for persons by id, 50 a request; those "
                    "not found are read with the whole list (more requests, the same plan)")


def _owner(row: dict[str, Any]) -> Any:
    person = row.get("person")
    return person.get("id") if isinstance(person, dict) else None


async def _person_ids(ctx: Context, periods: Sequence[dict[str, Any]]) -> Verdict:
    owners = list(dict.fromkeys(str(owner) for row in periods if (owner := _owner(row)) is not None))[:2]
    if len(owners) < 2:
        return "pass", "absence periods' person.id not checked (fewer than two persons with periods in the sample)"
    service = ctx.clients.personio.service
    try:
        response = await service.request("GET", ABSENCE_PERIODS, params={**absence_bounds(ctx), "limit": 100,
                                                                          "person.id": ",".join(owners)})
    except ApiError as error:
        return "warn", f"GET {ABSENCE_PERIODS} person.id: not checked (answered {error.status or 'nothing'})"
    body = response.body
    data = body.get("_data", body.get("data")) if isinstance(body, dict) else None
    listed = {str(_owner(row)) for row in data if isinstance(row, dict)} if isinstance(data, list) else set()
    if not set(owners) <= listed:
        return "fail", (f"GET {ABSENCE_PERIODS} person.id: a comma list of two persons listed the periods of only "
                        "some of them: runs for some people (--user, incremental runs) would miss absence periods "
                        "and plan their synced MOCO absences for deletion")
    if listed - set(owners):
        return "warn", (f"GET {ABSENCE_PERIODS} person.id: ignored (other persons' periods came too): reconcile "
                        "filters every answer again, so it costs pages, never correctness")
    return "pass", "absence periods' person.id: a comma list"


async def _period_ids(service: Service, path: str, periods: Sequence[dict[str, Any]], extra: dict[str, str]
                      ) -> Verdict:
    """Two periods asked for by `id`, a comma list, as incremental runs ask for those events name."""
    ids = list(dict.fromkeys(str(row["id"]) for row in periods if isinstance(row.get("id"), (str, int))))[:2]
    noun = "absence" if path == ABSENCE_PERIODS else "attendance"
    if len(ids) < 2:
        return "pass", f"{noun} periods' id not checked (fewer than two in the sample)"
    found = await _ids_of(service, path, {"id": ",".join(ids), "limit": 100, **extra})
    if isinstance(found, str):
        return "warn", f"GET {path} id: not checked ({found})"
    listed = {str(ident) for ident in found}
    if not set(ids) <= listed:
        return "warn", (f"GET {path} id: a comma list of two listed only some: incremental runs read again by id "
                        f"the {noun} periods webhook events name, 50 a request; one not listed is taken as gone, "
                        "and its person planned over the whole window (more requests, the same plan)")
    if listed - set(ids):
        return "warn", f"GET {path} id: ignored (other periods came too): it costs pages, never correctness"
    return "pass", f"{noun} periods' id: a comma list"


def _moment(value: Any) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        return None


def _span(row: dict[str, Any]) -> tuple[datetime, datetime] | None:
    starts, ends = row.get("starts_from"), row.get("ends_at")
    first = _moment(starts.get("date_time")) if isinstance(starts, dict) else None
    last = _moment(ends.get("date_time")) if isinstance(ends, dict) else None
    return (first, last) if first and last else None


async def _listed(service: Service, ident: Any, params: dict[str, Any]) -> bool | str:
    found = await _ids_of(service, ABSENCE_PERIODS, {"id": str(ident), "limit": 100, **params})
    return found if isinstance(found, str) else str(ident) in {str(i) for i in found}


async def _date_ranges(service: Service, periods: Sequence[dict[str, Any]]) -> Verdict:
    """A period of three days or more, asked for with a range that starts on its second day."""
    span = next(((row.get("id"), found) for row in periods if (found := _span(row)) and
                 (found[1].date() - found[0].date()).days >= 2), None)
    if span is None:
        return "pass", "date ranges not checked (no absence period of three days or more in the sample)"
    ident, (first, last) = span
    listed = await _listed(service, ident, {"starts_from.date_time.gte": f"{first.date() + timedelta(days=1)}T00:00:00",
                                            "ends_at.date_time.lte": f"{last.date()}T23:59:59"})
    if isinstance(listed, str):
        return "warn", f"GET {ABSENCE_PERIODS} date ranges: not checked ({listed})"
    if listed:
        return "pass", "date ranges match overlapping periods (as documented)"
    return "warn", (f"GET {ABSENCE_PERIODS} date ranges are applied literally (a period begun before "
                    "starts_from.date_time.gte is not listed): reconcile reads periods starting up to 3 years before "
                    "the sync window, so one begun earlier and still running into it is missed")


async def _updated_at(service: Service, periods: Sequence[dict[str, Any]]) -> Verdict:
    """A period asked for from a minute before and from a minute after its `updated_at`, read as UTC."""
    found = next(((row.get("id"), moment) for row in periods if (moment := _moment(row.get("updated_at")))), None)
    if found is None:
        return "pass", "updated_at not checked (no period in the sample carries one)"
    ident, moment = found
    utc = moment.astimezone(UTC) if moment.tzinfo else moment

    def stamp(delta: int) -> dict[str, Any]:
        return {"updated_at.gte": (utc + timedelta(seconds=delta)).strftime("%Y-%m-%dT%H:%M:%S")}

    before, after = await _listed(service, ident, stamp(-60)), await _listed(service, ident, stamp(60))
    if isinstance(before, str) or isinstance(after, str):
        return "warn", f"GET {ABSENCE_PERIODS} updated_at: not checked ({before if isinstance(before, str) else after})"
    zone = "UTC" if moment.tzinfo and moment.utcoffset() == timedelta(0) else \
        "with an offset" if moment.tzinfo else "without a zone"
    if before and not after:
        return "pass", f"updated_at values {zone}, compared in UTC"
    return "warn", (f"GET {ABSENCE_PERIODS} updated_at (values {zone}) is not compared in UTC: a period was "
                    f"{'listed' if after else 'not listed'} from a minute {'after' if after else 'before'} its "
                    "updated_at; incremental runs look back 5 minutes more than asked (plan/scope.py MARGIN), which "
                    "covers less than that: run a full reconcile nightly")
