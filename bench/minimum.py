"""The fewest requests the data needs, counted in the sandbox's own stores: for every list a run has to
read, pages = ceil(records / largest page size) (at least 1: an empty answer is a request too), plus one
token and one request per write. Lists and windows are the sync's own: MOCO users, employments,
schedules from start_date to today + until_days, presences from start_date to today; Personio persons,
absence types, absence periods overlapping the absence window, attendance periods starting in the
hours window, and (holidays synced) the holidays of the absence window. Each row: (service, endpoint,
what is read, records, page size, pages).

Personio's holidays are asked for named people only, PERSON_IDS_PER_REQUEST ids a request (the client's
chunks: ids sorted as it sorts them), each chunk its own cursor of holidays.PAGE_SIZE entries a page: its
minimum is a row per chunk, max(1, ceil(entries / PAGE_SIZE)), the entries worked out by the sandbox's own
model (`person_holidays`) over the days the client asks for (`holidays.bounds`).
"""

from __future__ import annotations

import math
from collections.abc import Collection, Iterable
from datetime import timedelta
from typing import Any

from reconciler.sandbox.personio.holidays import person_holidays
from reconciler.systems.personio import holidays
from reconciler.systems.personio.client import PERSON_IDS_PER_REQUEST

MOCO_PAGE = 100  # per_page at most 100
PERSONS_PAGE = 50  # /v2/persons: limit at most 50
PERSONIO_PAGE = 100  # absence types, absence and attendance periods: limit at most 100

Row = tuple[str, str, str, int, int, int]


def row(service: str, endpoint: str, what: str, records: int, size: int) -> Row:
    return service, endpoint, what, records, size, max(1, math.ceil(records / size)) if size else records


def windows(params: Any) -> tuple[str, str, str]:
    """start_date, the absence window's last day, the hours window's last day (today)."""
    return (params.start_date.isoformat(), (params.today + timedelta(days=params.until_days)).isoformat(),
            params.today.isoformat())


def _overlaps(period: Any, first: str, last: str) -> bool:
    end = period.ends_at or "9999-12-31"
    return period.starts_from[:10] <= last and end[:10] >= first


def holiday_rows(world: Any, params: Any, person_ids: Collection[str], whose: str = "") -> list[Row]:
    """Personio's holidays of `person_ids` over the absence window: a row per chunk of PERSON_IDS_PER_REQUEST ids
    (sorted as the client sorts them), max(1, ceil(entries / holidays.PAGE_SIZE)) pages each; none for nobody
    or for days Personio does not take (the client sends nothing then)."""
    days = holidays.bounds(params.start_date, params.today + timedelta(days=params.until_days), params.today)
    ids = sorted(i for i in person_ids if i in world.personio.persons)
    if days is None or not ids:
        return []
    first, last = days
    chunks = [ids[i:i + PERSON_IDS_PER_REQUEST] for i in range(0, len(ids), PERSON_IDS_PER_REQUEST)]
    return [row("personio", f"GET {holidays.PATH}",
                f"{whose}holidays {first}..{last}, persons {n * PERSON_IDS_PER_REQUEST + 1}–"
                f"{n * PERSON_IDS_PER_REQUEST + len(chunk)}",
                sum(len(person_holidays(world.personio, world.personio.persons[i], first, last)) for i in chunk),
                holidays.PAGE_SIZE)
            for n, chunk in enumerate(chunks)]


def full(world: Any, params: Any, synced: bool = True) -> list[Row]:
    """A full plan: every list over the whole window; with holidays `synced`, every person's holidays."""
    start, absences_end, today = windows(params)
    moco, personio = world.moco, world.personio
    return [
        row("moco", "GET /api/v1/users", "all users, archived too", len(moco.users), MOCO_PAGE),
        row("moco", "GET /api/v1/users/employments", "all employments", len(moco.employments), MOCO_PAGE),
        row("moco", "GET /api/v1/schedules", f"absences {start}..{absences_end}",
            sum(1 for s in moco.schedules.values() if start <= s.date <= absences_end), MOCO_PAGE),
        row("moco", "GET /api/v1/users/presences", f"presences {start}..{today}",
            sum(1 for p in moco.presences.values() if start <= p.date <= today), MOCO_PAGE),
        row("personio", "POST /v2/auth/token", "one token", 1, 1),
        row("personio", "GET /v2/persons", "all persons", len(personio.persons), PERSONS_PAGE),
        row("personio", "GET /v2/absence-types", "all absence types", len(personio.absence_types), PERSONIO_PAGE),
        row("personio", "GET /v2/absence-periods", f"periods overlapping {start}..{absences_end}",
            sum(1 for p in personio.absence_periods.values() if _overlaps(p, start, absences_end)), PERSONIO_PAGE),
        row("personio", "GET /v2/attendance-periods", f"periods starting {start}..{today}",
            sum(1 for p in personio.attendance_periods.values() if start <= p.start[:10] <= today), PERSONIO_PAGE),
        *(holiday_rows(world, params, personio.persons) if synced else ()),
    ]


def incremental(world: Any, params: Any, touched: Any, synced: bool = True) -> list[Row]:
    """An incremental run after `touched`: what changed (MOCO: `updated_after` on absences, presences, users
    and employments; Personio: the events of the webhook that records every change, and the periods they
    name read by id), then what the planners need for those people and days from the other system (each
    list once, narrowed to them; with holidays synced, the holidays of the people whose absences changed)."""
    moco, personio = world.moco, world.personio
    changed = [moco.presences[i] for i in touched.presences if i in moco.presences]
    periods = [personio.absence_periods[i] for i in touched.absence_periods if i in personio.absence_periods]
    person_ids = {personio_id(world, u) for u in touched.users}
    hour_days = {(personio_id(world, p.user_id), p.date) for p in changed}
    absent_persons = {p.person_id for p in periods}
    absent_users = {u for u in touched.users if personio_id(world, u) in absent_persons}
    absent_days = {p.starts_from[:10] for p in periods}
    hour_users = {p.user_id for p in changed}
    hour_dates = {p.date for p in changed}
    return [
        row("moco", "GET /api/v1/users/presences", "presences updated since", len(changed), MOCO_PAGE),
        row("moco", "GET /api/v1/users/presences", "their presences on the days concerned",
            sum(1 for p in moco.presences.values() if p.user_id in hour_users and p.date in hour_dates), MOCO_PAGE),
        row("moco", "GET /api/v1/schedules", "absences updated since", 0, MOCO_PAGE),
        row("moco", "GET /api/v1/users", "users updated since", 0, MOCO_PAGE),
        row("moco", "GET /api/v1/users/employments", "work patterns updated since", 0, MOCO_PAGE),
        row("moco", "GET /api/v1/users", "the users concerned", len(touched.users), MOCO_PAGE),
        row("moco", "GET /api/v1/users/employments", "their employments (absence changes)",
            sum(1 for e in moco.employments.values() if e.user_id in absent_users), MOCO_PAGE),
        row("moco", "GET /api/v1/schedules", "their absences on the days concerned",
            sum(1 for s in moco.schedules.values() if s.user_id in absent_users and s.date in absent_days), MOCO_PAGE),
        row("personio", "POST /v2/auth/token", "one token", 1, 1),
        row("personio", "GET /v2/webhooks", "the webhook configs (which records the changes)",
            len(personio.webhooks), PERSONIO_PAGE),
        row("personio", "GET /v2/webhooks/{id}/events", "events since", len(periods), PERSONIO_PAGE),
        row("personio", "GET /v2/absence-periods", "the periods the events name, by id", len(periods),
            PERSONIO_PAGE),
        row("personio", "GET /v2/absence-periods", "their periods overlapping the days concerned",
            sum(1 for p in personio.absence_periods.values() if p.person_id in absent_persons
                and any(_overlaps(p, day, day) for day in absent_days)), PERSONIO_PAGE),
        row("personio", "GET /v2/persons", "the persons concerned", len(person_ids), PERSONS_PAGE),
        row("personio", "GET /v2/absence-types", "all absence types", len(personio.absence_types), PERSONIO_PAGE),
        row("personio", "GET /v2/attendance-periods", "their periods on the days concerned",
            sum(1 for a in personio.attendance_periods.values() if (a.person_id, a.start[:10]) in hour_days),
            PERSONIO_PAGE),
        # Absences read the holidays of their people (a holiday's days belong to it) over their scope's days:
        # a period changed is planned again over the whole window. Holidays themselves change unseen (no event,
        # no time of change), so nobody else's are read.
        *(holiday_rows(world, params, absent_persons, "their ") if synced else ()),
    ]


def scoped_apply(world: Any, params: Any, user_ids: Collection[int], writes: dict[str, int],
                 only: str | None = None, synced: bool = True) -> list[Row]:
    """`apply --user …` for `user_ids` (with `only`, one direction): who is who (every user and person),
    those people's lists over the whole window (holidays synced: their holidays, which absences read too),
    and one request per write."""
    start, absences_end, today = windows(params)
    moco, personio = world.moco, world.personio
    persons = {personio_id(world, u) for u in user_ids}
    absences = [
        row("moco", "GET /api/v1/users/employments", "their employments",
            sum(1 for e in moco.employments.values() if e.user_id in user_ids), MOCO_PAGE),
        row("moco", "GET /api/v1/schedules", f"their absences {start}..{absences_end}",
            sum(1 for s in moco.schedules.values() if s.user_id in user_ids and start <= s.date <= absences_end),
            MOCO_PAGE),
        row("moco", "POST /api/v1/schedules", "one request a write", writes["moco"], 0),
        row("personio", "GET /v2/absence-types", "all absence types", len(personio.absence_types), PERSONIO_PAGE),
        row("personio", "GET /v2/absence-periods", f"their periods overlapping {start}..{absences_end}",
            sum(1 for p in personio.absence_periods.values() if p.person_id in persons
                and _overlaps(p, start, absences_end)), PERSONIO_PAGE),
    ]
    hours = [
        row("moco", "GET /api/v1/users/presences", f"their presences {start}..{today}",
            sum(1 for p in moco.presences.values() if p.user_id in user_ids and start <= p.date <= today), MOCO_PAGE),
        row("personio", "GET /v2/attendance-periods", f"their periods starting {start}..{today}",
            sum(1 for p in personio.attendance_periods.values() if p.person_id in persons
                and start <= p.start[:10] <= today), PERSONIO_PAGE),
        row("personio", "POST /v2/attendance-periods", "one request a write", writes["personio"], 0),
    ]
    return [
        row("moco", "GET /api/v1/users", "all users, archived too", len(moco.users), MOCO_PAGE),
        row("personio", "POST /v2/auth/token", "one token", 1, 1),
        row("personio", "GET /v2/persons", "all persons", len(personio.persons), PERSONS_PAGE),
        *(absences if only in (None, "absences_to_moco") else ()),
        *(hours if only in (None, "hours_to_personio") else ()),
        # Absences read their people's holidays too (a holiday's days belong to it), holidays their own: one read.
        *(holiday_rows(world, params, {p for p in persons if p}, "their ")
          if synced and only in (None, "absences_to_moco", "holidays_to_moco") else ()),
    ]


def personio_id(world: Any, user_id: int) -> str | None:
    email = world.moco.users[user_id].email
    return next((p.id for p in world.personio.persons.values() if p.email and p.email.lower() == email), None)


def as_json(rows: Iterable[Row]) -> list[dict[str, Any]]:
    return [{"service": s, "endpoint": e, "what": w, "records": n, "page_size": size, "pages": pages}
            for s, e, w, n, size, pages in rows]
