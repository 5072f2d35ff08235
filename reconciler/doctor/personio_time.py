"""Personio's absence types, absence periods and attendance periods, as reconcile reads them.

Absence types are read whole (a short list). Absence periods are sampled: those starting from a year back
to the end of the sync window, at most 2,000. Attendance periods are sampled over the last 31 days (a
month of a large company's periods is hundreds of pages: at most 500 timed and 2,000 duration-only ones
are read); every detail says it is a sample.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection, Sequence
from datetime import datetime, time, timedelta
from typing import Any

from reconciler.doctor.model import Check, Status, counted, failed, plural, skipped, worst
from reconciler.doctor.personio_reads import (
    ABSENCE_DAYS_BACK,
    ATTENDANCE_DAYS,
    ATTENDANCE_PERIODS,
    absence_sample,
    absence_types,
    attendance_sample,
    sampled,
)
from reconciler.doctor.reads import Context, Sample, cursor_sample, trouble
from reconciler.errors import ApiError, PlanError, Rejected
from reconciler.records import AbsenceKind, AbsenceType, AttendanceDirection
from reconciler.sync.absences_to_moco.types import resolve_types
from reconciler.sync.ownership import is_ours
from reconciler.systems.http.together import together
from reconciler.systems.personio import durations

TYPES, PERIODS, ATTENDANCES = "absence-types", "absence-periods", "attendance-periods"
# The fields that may say an absence type is measured in hours: those `_hourly` in systems/personio/client.py
# reads (tests/doctor keeps the two alike).
UNIT_FIELDS = ("unit", "time_unit", "measurement_unit")
DURATION_PAGES = 20


# ------------------------------------------------------------------------------------------ absence types


async def absence_types_check(ctx: Context) -> Check:
    if not ctx.spec.absences.enabled:
        return skipped(TYPES, "absences.enabled is false: reconcile reads no absence types")
    raw, typed = await absence_types(ctx)
    return judge_types(ctx.spec.absences.types, raw, typed)


def judge_types(mapping: tuple[tuple[str, AbsenceKind], ...], raw: Sequence[dict[str, Any]],
                typed: Sequence[AbsenceType]) -> Check:
    try:
        kinds, warnings, unmatched = resolve_types(mapping, tuple(typed))
    except PlanError as error:
        return failed(TYPES, str(error))
    units: Counter[str] = Counter()
    for row in raw:
        found = next((name for name in UNIT_FIELDS if isinstance(row.get(name), str) and row[name].strip()), None)
        units[f"{found} {row[found].strip().upper()}" if found else "none"] += 1
    fields = sorted({key for row in raw for key in row})
    seen = f"{plural(len(typed), 'Personio absence type')} (fields: {', '.join(fields) or 'none'}; units: " \
           f"{counted(units)})"
    verdicts: list[tuple[Status, str]] = [("pass", seen)]
    verdicts += [("fail", f"{warning}: a key that names no type syncs nothing, and the plan stops if synced "
                          "absences would be deleted for it") for warning in warnings if "matches no" in warning]
    verdicts += [("warn", warning) for warning in warnings if "matches no" not in warning]
    if raw and units["none"] == len(raw):
        verdicts.append(("warn", f"no type carries {', '.join(UNIT_FIELDS)}: reconcile cannot tell a type measured "
                                 "in hours and syncs every mapped type by days"))
    hourly = sorted({t.name for t in typed if t.hourly and t.id in kinds})
    if hourly:
        verdicts.append(("warn", f"mapped but measured in hours: {', '.join(map(repr, hourly))}: not synced (MOCO "
                                 "absences are whole or half days); the plan counts them"))
    mapped = ", ".join(f"{key!r} → {kind.value}" for key, kind in mapping if key not in unmatched)
    if mapped:
        verdicts.append(("pass", f"mapped: {mapped}"))
    return worst(TYPES, verdicts)


# ---------------------------------------------------------------------------------------- absence periods


async def absence_periods_check(ctx: Context) -> Check:
    if not ctx.spec.absences.enabled:
        return skipped(PERIODS, "absences.enabled is false: reconcile reads no absence periods")
    sample = await absence_sample(ctx)
    try:
        _, typed = await absence_types(ctx)
        hourly: Collection[str] | None = {t.id for t in typed if t.hourly}
    except ApiError:
        hourly = None
    window = f"starting in the last {ABSENCE_DAYS_BACK} days or the next {ctx.spec.absences.until_days}"
    return judge_periods(sample, hourly, window)


def _approval(row: dict[str, Any]) -> str | None:
    approval = row.get("approval")
    status = approval.get("status") if isinstance(approval, dict) else None
    return status.strip().upper() if isinstance(status, str) and status.strip() else None


def _at(part: Any) -> datetime | None:
    value = part.get("date_time") if isinstance(part, dict) else None
    try:
        return datetime.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        return None


def _end(row: dict[str, Any]) -> str:
    """How a day-based period ends, as read_absence_period (systems/personio/client.py) reads it."""
    if row.get("ends_at") is None:
        return "open"
    first, last = _at(row.get("starts_from")), _at(row.get("ends_at"))
    if first is None or last is None:
        return "unreadable"
    if last.time() != time():
        return "other"
    return "exclusive" if last.date() > first.date() else "first day"


def _type_of(row: dict[str, Any]) -> Any:
    kind = row.get("absence_type")
    return kind.get("id") if isinstance(kind, dict) else None


def judge_periods(sample: Sample, hourly: Collection[str] | None, window: str) -> Check:
    rows = sample.rows
    if not rows:
        return skipped(PERIODS, f"no absence period {window}: nothing to look at")
    statuses = Counter(_approval(row) or "none" for row in rows)
    missing = statuses.pop("none", 0)
    days = [row for row in rows if hourly is None or str(_type_of(row)) not in hourly]
    ends = Counter(_end(row) for row in days)
    halves = Counter(f"{part} {value}" for row in days for part in ("starts_from", "ends_at")
                     if isinstance(row.get(part), dict) and isinstance(value := row[part].get("type"), str))
    seen = (f"{sampled(sample)} {window}: approval.status {counted(statuses)}; day-based"
            f"{'' if hourly is not None else ' (hourly types unknown: all)'} ends: {ends['exclusive']} at 00:00 of a "
            f"later day (read as exclusive: the day before is the last), {ends['other']} at another time (that "
            f"day is the last), {ends['open']} open-ended (to the end of the window); half-day markers: "
            f"{counted(halves)}")
    verdicts: list[tuple[Status, str]] = [("pass", seen)]
    if missing == len(rows):
        verdicts.append(("fail", "none carries approval.status: reconcile syncs only APPROVED periods, and stops a "
                                 "run that reads none rather than delete every absence synced from them"))
    elif missing:
        verdicts.append(("warn", f"{missing} carry no approval.status: reconcile reads them as not approved (not "
                                 "synced; MOCO absences synced from them are removed)"))
    if ends["unreadable"]:
        verdicts.append(("fail", f"{ends['unreadable']} carry a start or end reconcile cannot read: a run stops there"))
    if ends["first day"]:
        verdicts.append(("warn", f"{ends['first day']} end at 00:00 of the day they start, which reads as an "
                                 "inclusive end; reconcile reads an end at 00:00 of a later day as exclusive, so a "
                                 "period that ends so would lose its last day: compare one with Personio's UI"))
    return worst(PERIODS, verdicts)


# ------------------------------------------------------------------------------------- attendance periods


async def attendance_periods_check(ctx: Context) -> Check:
    if ctx.spec.attendances.direction is AttendanceDirection.PERSONIO_MANAGED:
        return skipped(ATTENDANCES, "attendances.direction is personio_managed: reconcile reads and writes no "
                                    "attendance periods")
    first, last = ctx.today - timedelta(days=ATTENDANCE_DAYS), ctx.today
    timed, (duration, refusal) = await together([attendance_sample(ctx),
                                                 _duration_only(ctx, first.isoformat(), last.isoformat())])
    return judge_attendances(timed, duration, refusal, ctx.spec.attendances.record_as)


async def _duration_only(ctx: Context, first: str, last: str) -> tuple[Sample | None, str]:
    """The duration-only periods of the days sampled; None and why when Personio refuses the filter."""
    service = ctx.clients.personio.service
    params = {"duration_type": "DURATION_ONLY", "attribution_date.gte": first, "attribution_date.lte": last,
              "limit": 100}
    try:
        return await cursor_sample(service, ATTENDANCE_PERIODS, params, DURATION_PAGES), ""
    except Rejected as error:
        why = f"duration_type=DURATION_ONLY was refused ({error.status})"
    try:
        await service.request("GET", ATTENDANCE_PERIODS, params={"duration_type": "ALL", "limit": 1})
    except ApiError as error:
        return None, f"{why}, and duration_type=ALL too ({trouble(error)})"
    return None, why


def _form(value: Any) -> str:
    """Which of the forms durations.py reads a `duration` comes in."""
    if isinstance(value, bool) or value is None:
        return "none" if value is None else "other"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, dict):
        return "an object"
    if isinstance(value, str):
        return "H:MM" if ":" in value else "ISO 8601" if value.strip().upper().startswith("P") else "other text"
    return "other"


def judge_attendances(timed: Sample, duration: Sample | None, refusal: str, record_as: str) -> Check:
    rows = timed.rows
    fields = sorted({key for row in rows for key in row})
    statuses = Counter(_approval(row) or "none" for row in rows)
    kinds = Counter(str(row.get("type") or "none") for row in rows)
    seen = (f"{sampled(timed)} with times in the last {ATTENDANCE_DAYS} days (sampled); fields: "
            f"{', '.join(fields) or 'none'}; approval.status {counted(statuses)}; type {counted(kinds)}")
    verdicts: list[tuple[Status, str]] = [("pass", seen)]
    if rows and statuses["none"] == len(rows):
        verdicts.append(("warn", "none carries approval.status: reconcile takes a period without one as approved "
                                 "(a synced period un-approved in Personio is then not approved again)"))
    if duration is None:
        status: Status = "fail" if "ALL too" in refusal else "warn"
        verdicts.append((status, f"duration-only periods not counted: {refusal}; reconcile reads every list with "
                                 "duration_type=ALL" + (", so a run stops there" if status == "fail" else "")))
        return worst(ATTENDANCES, verdicts)
    only = [row for row in duration.rows if row.get("start") is None]  # a filter ignored lists timed ones too
    forms = Counter(_form(row.get("duration")) for row in only)
    unreadable = sum(not _readable(row.get("duration")) for row in only)
    ours = sum(isinstance(row.get("comment"), str) and is_ours(row["comment"]) for row in only)
    count = f"{len(only):,}" if duration.complete else f"at least {len(only):,}"
    words = f"{count} duration-only period{'s' if len(only) != 1 else ''} in the last {ATTENDANCE_DAYS} days"
    if not only:
        verdicts.append(("pass", f"{words}; reconcile reads them with the others (duration_type=ALL)"))
    elif record_as == "duration":
        verdicts.append(("pass", f"{words} ({ours} written by reconcile; duration as {counted(forms)}); with "
                                 "attendances.record_as: duration reconcile writes presences as such periods"))
    else:
        verdicts.append(("warn", f"{words} ({ours} written by reconcile; duration as {counted(forms)}): reconcile "
                                 "never changes one it did not write; a day with one and MOCO presences is a "
                                 "conflict and nothing is written there (attendances.record_as: duration writes "
                                 "presences as duration-only periods instead)"))
    if unreadable:
        verdicts.append(("fail", f"{unreadable} carry a duration reconcile cannot read (it reads ISO 8601, H:MM, "
                                 "minutes or {value, unit}, 0 to 24 h): a run stops there"))
    return worst(ATTENDANCES, verdicts)


def _readable(value: Any) -> bool:
    try:
        durations.parse(value)
    except ValueError:
        return False
    return True
