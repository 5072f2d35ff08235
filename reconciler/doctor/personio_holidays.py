"""The `personio-holidays` check: whether Personio's `GET /v2/holidays` answers on this account, and whether its
entries have the fields reconcile reads (systems/personio/holidays.py `SHAPE`: the team's guess until Personio
publishes them).

It reads the holidays of the first 50 persons (by id) for the coming year, a few pages at most, and reads every
entry as reconcile would. Where the spec syncs holidays (`holidays.sync`), an endpoint that does not answer or an
entry that does not read is a failure: every run would stop there. Where it does not, it is a warning (the day
the switch is turned on, it would be). The detail says what was seen: counts, kinds and field names, never a
person or a date.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import fields
from datetime import timedelta
from typing import Any

from reconciler.doctor.model import Check, failed, passed, skipped, warned
from reconciler.doctor.personio_reads import persons, sampled
from reconciler.doctor.reads import Context, cursor_sample, field_said
from reconciler.errors import ApiError, PermissionDenied, UnexpectedResponse
from reconciler.systems.http import Record, Source
from reconciler.systems.personio import holidays
from reconciler.systems.personio.client import PERSON_IDS_PER_REQUEST

NAME = "personio-holidays"
DAYS_AHEAD = 365
PAGES = 5
SOURCE = Source("Personio", f"GET {holidays.PATH}")
NOT_YET = "holidays.sync is false: no run reads them yet"
SYNCED = "holidays.sync is true: every run that syncs holidays stops here"


async def holidays_check(ctx: Context) -> Check:
    try:
        everyone = await persons(ctx)
    except PermissionDenied:  # the holidays are asked for by person
        return skipped(NAME, "skipped: Personio refused personio:persons:read, which names the persons to ask "
                             "holidays for (see personio-scopes)")
    ids = sorted({str(row["id"]) for row in everyone if isinstance(row, dict) and row.get("id")})
    if not ids:
        return skipped(NAME, "no Personio person to ask holidays for")
    days = holidays.bounds(ctx.today, ctx.today + timedelta(days=DAYS_AHEAD), ctx.today)
    assert days is not None  # today is always within Personio's range
    params = {"person.id": ",".join(ids[:PERSON_IDS_PER_REQUEST]), **holidays.params(*days)}
    try:
        sample = await cursor_sample(ctx.clients.personio.service, holidays.PATH, params, PAGES)
    except UnexpectedResponse:
        raise
    except ApiError as error:
        if error.status in (400, 404):
            what = f"is not available to this account ({error.status})" if error.status == 404 else \
                f"answered 400 to the parameters reconcile sends ({', '.join(params)}; the page size " \
                f"{holidays.PAGE_SIZE} is a guess)"
            return _bad(ctx.spec.holidays.sync, f"GET {holidays.PATH} {what}")
        raise
    return judge(sample.rows, sampled(sample, "entry"), len(ids[:PERSON_IDS_PER_REQUEST]), ctx.spec.holidays.sync)


def _bad(synced: bool, what: str) -> Check:
    """A failure where holidays are synced; else a warning."""
    return failed(NAME, f"{what}; {SYNCED}") if synced else warned(NAME, f"{what}; {NOT_YET}")


def judge(rows: tuple[dict[str, Any], ...], seen: str, people: int, synced: bool = False) -> Check:
    """Every entry read as reconcile reads it (`holidays.read_holiday`); the fields and kinds found."""
    kinds: Counter[str] = Counter()
    half = 0
    for row in rows:
        try:
            holiday = holidays.read_holiday(Record(SOURCE, holidays.KIND, row))
        except UnexpectedResponse as error:
            names = ", ".join(sorted(row)) if isinstance(row, dict) else "none"
            said = field_said(error, SOURCE, keep=holidays.SHAPE.type)
            return _bad(synced, f"an entry does not have the shape reconcile reads ({said}); its fields: {names}")
        kinds[holiday.kind] += 1
        half += holiday.half_day
    if not rows:
        return passed(NAME, f"GET {holidays.PATH} answers: no holiday in the coming year for {people} persons; the "
                            "entries' fields could not be looked at")
    expected = {getattr(holidays.SHAPE, field.name) for field in fields(holidays.Shape) if field.name != "kinds"}
    others = sorted({name for row in rows for name in row} - expected)
    also = f"; fields besides those read: {', '.join(others)}" if others else ""
    counted = ", ".join(f"{count:,} {kind}" for kind, count in sorted(kinds.items()))
    return passed(NAME, f"{seen} for {people} persons in the coming year read as reconcile reads them ({counted}; "
                        f"{half:,} half days){also}")


