"""MOCO's absences (schedules), employments and presences, as reconcile reads them (systems/moco/client.py):
whether absences carry `assignment.code`, whether each absence kind has one assignment, how employments
answer with and without `to`, and what presences hold. Schedules and presences are sampled (their first
page); employments are read whole, both ways, as every run reads them."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from datetime import timedelta
from typing import Any

from reconciler.doctor.model import Check, Status, counted, plural, skipped, worst
from reconciler.doctor.reads import Context, Sample, moco_page
from reconciler.errors import ApiError, Rejected
from reconciler.records import AbsenceKind, AttendanceDirection
from reconciler.systems.http.together import together
from reconciler.systems.moco.client import EMPLOYMENTS_FROM, EMPLOYMENTS_TO

SCHEDULES, EMPLOYMENTS, PRESENCES = "moco-schedules", "moco-employments", "moco-presences"
SCHEDULE_DAYS_BACK = 365
PRESENCE_DAYS = 31


# ------------------------------------------------------------------------------------------------ schedules


async def moco_schedules(ctx: Context) -> Check:
    """The first page of absences over the sync window (from a year back at most), and one absence per kind
    (`absence_code`, one per page) for the assignment each kind names."""
    if not ctx.spec.absences.enabled:
        return skipped(SCHEDULES, "absences.enabled is false: reconcile reads and writes no MOCO absences")
    service = ctx.clients.moco.service
    start = max(ctx.spec.start_date, ctx.today - timedelta(days=SCHEDULE_DAYS_BACK))
    window = {"from": start.isoformat(), "to": (ctx.today + timedelta(days=ctx.spec.absences.until_days)).isoformat()}
    kinds = list(AbsenceKind)
    page, *firsts = await together([moco_page(service, "/schedules", window),
                                    *(moco_page(service, "/schedules", {**window, "absence_code": kind.code},
                                                per_page=1) for kind in kinds)])
    assignments = {kind: _assignment(first.rows[0]) if first.rows else None for kind, first in zip(kinds, firsts)}
    return judge_schedules(page, assignments)


def _assignment(row: Mapping[str, Any]) -> Any:
    assignment = row.get("assignment")
    return assignment.get("id") if isinstance(assignment, dict) else None


def _code(row: Mapping[str, Any]) -> str | None:
    assignment = row.get("assignment")
    code = assignment.get("code") if isinstance(assignment, dict) else None
    if code is None or code == "" or isinstance(code, bool):
        return None
    try:
        return AbsenceKind.from_code(int(code)).value
    except (KeyError, TypeError, ValueError):
        return f"unknown code {code}"


def _is_absence(row: Mapping[str, Any]) -> bool:
    assignment = row.get("assignment")
    kind = assignment.get("type") if isinstance(assignment, dict) else None
    return kind in (None, "Absence")


def judge_schedules(page: Sample, assignments: Mapping[AbsenceKind, Any]) -> Check:
    absences = [row for row in page.rows if _is_absence(row)]
    if not absences:
        return skipped(SCHEDULES, "no MOCO absence in the sync window (from a year back at most): nothing to look at; "
                                  "reconcile reads the kind from assignment.code, or else by absence_code")
    total = f" of {page.total:,}" if page.total is not None and page.total > len(page.rows) else ""
    codes = Counter(code or "none" for code in map(_code, absences))
    missing = codes.pop("none", 0)
    days = Counter((_user(row), row.get("date")) for row in absences)
    twice = sum(1 for count in days.values() if count > 1)
    named = {kind: ident for kind, ident in assignments.items() if ident is not None}
    distinct = len(set(named.values())) == len(named)
    kinds = ", ".join(f"{kind.value} {ident}" for kind, ident in named.items()) or "none found"
    seen = (f"{len(absences)}{total} absences sampled (first page): assignment.code {counted(codes)}; "
            f"assignment per kind: {kinds} ({'one each' if distinct else 'two kinds share one'}); "
            f"{plural(twice, 'day')} with two absences of one person (reconcile keeps one per day)")
    verdicts: list[tuple[Status, str]] = [("pass", seen)]
    if missing:
        how = ("reconcile learns each kind's assignment with one request of one absence per kind and reads the list "
               "once" if distinct else
               "kinds share an assignment, so reconcile reads the list once per kind (absence_code: 5 times the "
               "pages)")
        verdicts.append(("warn", f"{missing} carry no assignment.code: {how}"))
    else:
        verdicts.append(("pass", "reconcile reads each absence's kind from assignment.code"))
    if any(code.startswith("unknown") for code in codes):
        verdicts.append(("pass", "absences of a code reconcile does not know are left alone as hand-made"))
    return worst(SCHEDULES, verdicts)


def _user(row: Mapping[str, Any]) -> Any:
    user = row.get("user")
    return user.get("id") if isinstance(user, dict) else None


# ---------------------------------------------------------------------------------------------- employments


async def moco_employments(ctx: Context) -> Check:
    """Every employment from EMPLOYMENTS_FROM, once without `to` and once with EMPLOYMENTS_TO, as runs read them."""
    if not ctx.spec.absences.enabled:
        return skipped(EMPLOYMENTS, "absences.enabled is false: reconcile reads no employments (they tell the "
                                    "working days absences are written on)")
    service = ctx.clients.moco.service
    without, with_to = await together([service.pages("/users/employments", {"from": EMPLOYMENTS_FROM}),
                                       service.pages("/users/employments", {"from": EMPLOYMENTS_FROM,
                                                                             "to": EMPLOYMENTS_TO})])
    return judge_employments(without, with_to)


def _ended(row: Mapping[str, Any]) -> bool:
    return row.get("to") not in (None, "")


def judge_employments(without: Sequence[Mapping[str, Any]], with_to: Sequence[Mapping[str, Any]]) -> Check:
    first = {str(row.get("id")): row for row in without}
    second = {str(row.get("id")): row for row in with_to}
    every = {**second, **first}
    if not every:
        return skipped(EMPLOYMENTS, "no MOCO employment either way: nothing to compare; reconcile then takes Monday "
                                    "to Friday as working days")
    ended = {ident for ident, row in every.items() if _ended(row)}
    only_with = ended - set(first)
    only_without = set(first) - set(second)
    no_from = sum(row.get("from") in (None, "") for row in every.values())
    seen = (f"{plural(len(every), 'employment')} ({len(ended)} ended, {no_from} without `from`): {len(first)} "
            f"listed without `to`, {len(second)} with `to` {EMPLOYMENTS_TO}")
    does = "reconcile reads both ways and merges by id"
    verdicts: list[tuple[Status, str]] = [("pass", seen)]
    if only_with:
        verdicts.append(("warn", f"ended employments are listed only with `to` ({len(only_with)} of {len(ended)}); "
                                 f"{does}"))
    elif ended:
        verdicts.append(("pass", f"ended employments are listed both ways; {does}"))
    else:
        verdicts.append(("pass", f"no ended employment to tell the readings apart; {does}"))
    if only_without:
        verdicts.append(("pass", f"{len(only_without)} listed only without `to`"))
    patternless = sum(not _hours(row) for row in every.values())
    if patternless == len(every):
        verdicts.append(("fail", "none carries a pattern with hours: reconcile tells working days by it, and stops "
                                 "a run that reads none"))
    elif patternless:
        verdicts.append(("warn", f"{patternless} carry no pattern with hours: reconcile finds no working day in them, "
                                 "so no absence is written on their days"))
    return worst(EMPLOYMENTS, verdicts)


def _hours(row: Mapping[str, Any]) -> bool:
    """Whether an employment's `pattern` gives hours on some half day."""
    pattern = row.get("pattern")
    halves = [pattern.get(half) for half in ("am", "pm")] if isinstance(pattern, dict) else []
    return any(isinstance(hours, (int, float)) and not isinstance(hours, bool) and hours > 0
               for half in halves if isinstance(half, list) for hours in half)


# ------------------------------------------------------------------------------------------------ presences


async def moco_presences(ctx: Context) -> Check:
    """The first page of the last 31 days' presences, and the same asked with `from` alone (one record)."""
    if ctx.spec.attendances.direction is AttendanceDirection.PERSONIO_MANAGED:
        return skipped(PRESENCES, "attendances.direction is personio_managed: reconcile reads no presences")
    service = ctx.clients.moco.service
    first = (ctx.today - timedelta(days=PRESENCE_DAYS)).isoformat()
    page = await moco_page(service, "/users/presences", {"from": first, "to": ctx.today.isoformat()})
    try:
        await moco_page(service, "/users/presences", {"from": first}, per_page=1)
        alone = "200"
    except Rejected as error:
        alone = str(error.status)
    except ApiError as error:
        alone = f"{error.status or 'nothing'}"
    return judge_presences(page, alone)


def judge_presences(page: Sample, alone: str) -> Check:
    rows = page.rows
    total = f" of {page.total:,}" if page.total is not None and page.total > len(rows) else ""
    fields = sorted({key for row in rows for key in row})
    running = sum(row.get("to") is None for row in rows)
    no_start = sum(row.get("from") is None for row in rows)
    no_user = sum(row.get("user") is None for row in rows)
    seen = (f"{len(rows)}{total} presences of the last {PRESENCE_DAYS} days sampled (first page); fields: "
            f"{', '.join(fields) or 'none'}; {running} still running (written once they end); asked with `from` "
            f"alone MOCO answered {alone} (reconcile always sends `from` and `to`)")
    verdicts: list[tuple[Status, str]] = [("pass", seen)]
    if no_start or no_user:
        verdicts.append(("warn", f"{no_start} without start (from: null), {no_user} without user: not synced, and a "
                                 "period synced from one is left alone"))
    return worst(PRESENCES, verdicts)
