"""The Personio lists several checks look at, each read once a run (`Context.shared`): every person (their
count matters), the absence types, and a sample of absence periods (not all: a few pages say enough)."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any, cast

from reconciler.doctor.reads import Context, Sample, cursor_sample
from reconciler.records import AbsenceType

ABSENCE_DAYS_BACK = 365  # the sample of absence periods: those starting this many days back …
ABSENCE_PAGES = 20  # … to the end of the sync window, at most this many pages of 100
ATTENDANCE_DAYS = 31  # the sample of attendance periods with times: those of the last 31 days …
TIMED_PAGES = 5  # … at most this many pages of 100
PERSONS = "/v2/persons"
TYPES = "/v2/absence-types"
ABSENCE_PERIODS = "/v2/absence-periods"
ATTENDANCE_PERIODS = "/v2/attendance-periods"


async def persons(ctx: Context) -> list[dict[str, Any]]:
    """Every person, raw (`GET /v2/persons`, every page of 50)."""
    service = ctx.clients.personio.service
    return cast(list[dict[str, Any]], await ctx.shared.once("persons", lambda: service.pages(PERSONS, {"limit": 50})))


async def persons_pages(ctx: Context) -> Sample:
    """Two pages of one person each (`GET /v2/persons?limit=1`): the pagination check's, with the headers the
    rate-limit check looks at."""
    service = ctx.clients.personio.service
    return cast(Sample, await ctx.shared.once("persons-pages",
                                              lambda: cursor_sample(service, PERSONS, {"limit": 1}, 2)))


async def absence_types(ctx: Context) -> tuple[list[dict[str, Any]], list[AbsenceType]]:
    """Every absence type, raw and as reconcile reads it (`GET /v2/absence-types`, twice: the list is short)."""
    client = ctx.clients.personio

    async def read() -> tuple[list[dict[str, Any]], list[AbsenceType]]:
        return await client.service.pages(TYPES, {"limit": 100}), await client.absence_types()

    return cast(tuple[list[dict[str, Any]], list[AbsenceType]], await ctx.shared.once("types", read))


def absence_window(ctx: Context) -> tuple[date, date]:
    """The days the absence sample's periods start on: a year back to the end of the sync window."""
    return ctx.today - timedelta(days=ABSENCE_DAYS_BACK), ctx.today + timedelta(days=ctx.spec.absences.until_days)


def absence_bounds(ctx: Context) -> dict[str, Any]:
    first, last = absence_window(ctx)
    return {"starts_from.date_time.gte": f"{first.isoformat()}T00:00:00",
            "starts_from.date_time.lte": f"{last.isoformat()}T23:59:59"}


async def absence_sample(ctx: Context) -> Sample:
    """Absence periods starting in `absence_window`, at most ABSENCE_PAGES pages of 100."""
    service = ctx.clients.personio.service
    params = {**absence_bounds(ctx), "limit": 100}
    return cast(Sample, await ctx.shared.once(
        "absence-sample", lambda: cursor_sample(service, ABSENCE_PERIODS, params, ABSENCE_PAGES)))


def sampled(sample: Sample, noun: str = "period") -> str:
    """`312 periods` or `the first 2,000 periods` when the sample stopped before the list's end."""
    count = len(sample.rows)
    return f"{count:,} {noun}{'s' if count != 1 else ''}" if sample.complete else \
        f"the first {count:,} {noun}{'s' if count != 1 else ''} ({sample.pages} pages)"


async def attendance_sample(ctx: Context) -> Sample:
    """Attendance periods with times starting in the last ATTENDANCE_DAYS days, at most TIMED_PAGES pages of 100."""
    service = ctx.clients.personio.service
    first, last = ctx.today - timedelta(days=ATTENDANCE_DAYS), ctx.today
    params = {"start.date_time.gte": f"{first}T00:00:00", "start.date_time.lte": f"{last}T23:59:59", "limit": 100}
    return cast(Sample, await ctx.shared.once(
        "attendance-sample", lambda: cursor_sample(service, ATTENDANCE_PERIODS, params, TIMED_PAGES)))
