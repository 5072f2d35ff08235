"""Personio attendance periods: list, read, create, change and delete, with the checks Personio makes.

POST honours `skip_approval` (default false → PENDING) and answers 201 with the id; PATCH and DELETE
answer 204; start after end, overlaps and locked periods are 422 problems.

Duration-only periods (personio.md §13.1: `start` null, a `duration` of 0 to 24 h on an `attribution_date`)
follow the changelog's rules exactly: the list leaves them out unless `duration_type` is DURATION_ONLY (only
them) or ALL (both kinds); `start.date_time.*` and `end.date_time.*` filters never return them;
`attribution_date.*` filters do. POST creates one from `duration` and `attribution_date` instead of `start`.
"""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from typing import Any, Callable

from aiohttp import web

from reconciler.sandbox.common import json_body, json_response, utc_now
from reconciler.sandbox.personio.errors import bad_request, not_found, unprocessable
from reconciler.sandbox.personio.records import PersonioAttendancePeriod
from reconciler.sandbox.personio.service import LOCAL_DATE_TIME, PersonioService, csv
from reconciler.sandbox.personio.webhooks import record
from reconciler.systems.personio import durations


# UNVERIFIED (doctor: personio-writes): the 201 body of POST /v2/attendance-periods is documented only as "the newly
# created attendance period ID". The stand-in answers {"id": ...} plus a self link (single-object v2
# responses are not wrapped in `_data`); the client also accepts `_data.id` and `data.id`.
def created_body(period_id: str, href: str) -> dict[str, Any]:
    return {"id": period_id, "_meta": {"links": {"self": {"href": href}}}}


# UNVERIFIED (doctor: personio-writes): how Personio refuses to change a locked (e.g. payroll-closed) attendance period.
# The stand-in answers 422 problem+json; reconcile treats any 4xx on one write as that change failing.
LOCKED_STATUS = 422

# UNVERIFIED (doctor: personio-writes): Personio v1 refused overlapping attendance periods ("Existing overlapping
# attendances periods"); v2's overlap behaviour is undocumented. The stand-in refuses overlaps with 422.
OVERLAP_STATUS = 422

# `duration_type` values: the changelog names DURATION_ONLY and ALL (and leaving it out: periods with times
# only). UNVERIFIED (doctor: attendance-periods) whether a value for periods with times alone exists (TIMED?);
# any other value is a 400.
DURATION_TYPES = {"DURATION_ONLY": (True,), "ALL": (False, True)}
# UNVERIFIED (doctor: personio-writes), how Personio answers: a POST with both times and a duration (400
# here); a PATCH giving a duration-only period times, or a period with times a duration (422 here: reconcile
# replaces such a period instead, deleting it and creating the other kind); two duration-only periods on one
# day, or one beside periods with times on its day (allowed here: a length without times overlaps nothing).
SHAPE_STATUS = 422


class Attendances(PersonioService):
    async def list_attendance_periods(self, request: web.Request) -> web.Response:
        self.auth(request)

        def items(query: dict[str, str]) -> list[dict[str, Any]]:
            ids, persons = csv(query.get("id")), csv(query.get("person.id"))
            kinds = DURATION_TYPES.get(query["duration_type"]) if "duration_type" in query else (False,)
            if kinds is None:
                raise bad_request("Invalid request content.")
            bounds: list[tuple[str, Callable[[PersonioAttendancePeriod], str | None], bool]] = [
                ("start.date_time.gte", lambda p: p.start, True),
                ("start.date_time.lte", lambda p: p.start, False),
                ("end.date_time.gte", lambda p: p.end, True),
                ("end.date_time.lte", lambda p: p.end, False),
                ("updated_at.gte", lambda p: p.updated_at.rstrip("Z"), True),
                ("updated_at.lte", lambda p: p.updated_at.rstrip("Z"), False),
                ("attribution_date.gte", lambda p: p.day, True),
                ("attribution_date.lte", lambda p: p.day, False),
            ]
            status = query.get("status")
            rows = []
            for p in sorted(self.state.attendance_periods.values(),
                            key=lambda p: (p.person_id, p.start or "", p.end or "", p.day, p.id)):
                if ids is not None and p.id not in ids or persons is not None and p.person_id not in persons:
                    continue
                if p.duration_only not in kinds:  # a start/end filter never matches one: it has neither
                    continue
                if status and p.status != status:
                    continue
                if not all(_within(get(p), query[name], lower) for name, get, lower in bounds if name in query):
                    continue
                rows.append(p.to_api())
            return rows

        return self.page(request, items, max_limit=100, default_limit=100)

    def find_period(self, request: web.Request) -> PersonioAttendancePeriod:
        period = self.state.attendance_periods.get(request.match_info["id"])
        if period is None:
            raise not_found()
        return period

    def find_changeable_period(self, request: web.Request) -> PersonioAttendancePeriod:
        """The period named by the path, refused when it is locked (PATCH and DELETE)."""
        period = self.find_period(request)
        if period.locked:
            raise unprocessable("The attendance period is locked and can no longer be changed.", LOCKED_STATUS)
        return period

    async def get_attendance_period(self, request: web.Request) -> web.Response:
        self.auth(request)
        return json_response(self.find_period(request).to_api())

    def check_period(self, period: PersonioAttendancePeriod, exclude_id: str | None = None) -> None:
        if period.person_id not in self.state.persons:
            raise unprocessable("The person does not exist.")
        if period.type not in ("WORK", "BREAK"):
            raise bad_request("The attendance period type must be WORK or BREAK.")
        if period.start is None:
            _check_duration_only(period)
            return  # a length without times overlaps nothing (SHAPE_STATUS)
        if period.duration is not None or period.attribution_date is not None:
            raise bad_request("A period has either start and end or a duration and an attribution_date.")
        for value in (period.start, period.end):
            if value is not None and not LOCAL_DATE_TIME.match(value):
                raise bad_request("Invalid request content.")
        if period.type == "BREAK" and period.project_id:
            raise unprocessable("Break periods with project are not allowed.")
        if period.end is not None:
            if period.start > period.end:
                raise unprocessable("Start date greater than end date.")
            if (date.fromisoformat(period.end[:10]) - date.fromisoformat(period.start[:10])).days > 1:
                raise unprocessable("Period time range too long.")
        for other in self.state.attendance_periods.values():
            if other.id == exclude_id or other.person_id != period.person_id:
                continue
            if _overlaps(period, other):
                raise unprocessable("The attendance period overlaps an existing attendance period.", OVERLAP_STATUS)

    @staticmethod
    def period_fields(body: dict[str, Any]) -> dict[str, Any]:
        """The writable fields present in a POST or PATCH body."""
        fields: dict[str, Any] = {}
        if "person" in body:
            fields["person_id"] = str((body["person"] or {}).get("id", ""))
        if "type" in body:
            fields["type"] = body["type"]
        if "start" in body:
            fields["start"] = (body["start"] or {}).get("date_time")
        if "end" in body:
            fields["end"] = None if body["end"] is None else body["end"].get("date_time")
        if "duration" in body:
            fields["duration"] = body["duration"]
        if "attribution_date" in body:
            fields["attribution_date"] = body["attribution_date"]
        if "comment" in body:
            fields["comment"] = body["comment"] or ""
        if "project" in body:
            fields["project_id"] = None if body["project"] is None else str(body["project"].get("id"))
        return fields

    async def body_fields(self, request: web.Request) -> dict[str, Any]:
        """The writable fields of the request's JSON object; 400 when the body is not one."""
        body = await json_body(request)
        if not isinstance(body, dict):
            raise bad_request("Invalid request content.")
        return self.period_fields(body)

    async def create_attendance_period(self, request: web.Request) -> web.Response:
        self.auth(request)
        fields = await self.body_fields(request)
        timed = bool(fields.get("start"))
        if not fields.get("person_id") or "type" not in fields or \
                not (timed or ("duration" in fields and "attribution_date" in fields)):
            raise bad_request("The fields person, type and start (or duration and attribution_date) are required.")
        if timed and ("duration" in fields or "attribution_date" in fields):
            raise bad_request("A period has either start and end or a duration and an attribution_date.")
        approved = request.query.get("skip_approval", "false") == "true"
        period = PersonioAttendancePeriod(id=str(uuid.uuid4()), status="CONFIRMED" if approved else "PENDING",
                                          **{"start": None, "end": None, **fields})
        self.check_period(period)
        self.state.attendance_periods[period.id] = period
        record(self.state, "attendance-period.created", period)
        href = f"{request.url.origin()}/v2/attendance-periods/{period.id}"
        return json_response(created_body(period.id, href), status=201)

    async def patch_attendance_period(self, request: web.Request) -> web.Response:
        self.auth(request)
        period = self.find_changeable_period(request)
        fields = await self.body_fields(request)
        fields.pop("person_id", None)  # a period never moves to another person
        if period.duration_only != (fields.get("start", period.start) is None) or \
                (not period.duration_only and ("duration" in fields or "attribution_date" in fields)):
            raise unprocessable("A period with times cannot become duration-only, nor one without times get times.",
                                SHAPE_STATUS)
        changed = PersonioAttendancePeriod(**{**period.__dict__, **fields})
        self.check_period(changed, exclude_id=period.id)
        changed.status = "CONFIRMED" if request.query.get("skip_approval", "false") == "true" else "PENDING"
        changed.updated_at = utc_now()
        self.state.attendance_periods[period.id] = changed
        record(self.state, "attendance-period.updated", changed)
        return web.Response(status=204)

    async def delete_attendance_period(self, request: web.Request) -> web.Response:
        self.auth(request)
        period = self.find_changeable_period(request)
        del self.state.attendance_periods[period.id]
        record(self.state, "attendance-period.deleted", period)
        return web.Response(status=204)


def _within(value: str | None, bound: str, lower: bool) -> bool:
    if value is None:
        return False
    return value >= bound if lower else value <= bound


def _overlaps(a: PersonioAttendancePeriod, b: PersonioAttendancePeriod) -> bool:
    if a.start is None or b.start is None:
        return False  # a duration-only period has no times to overlap (SHAPE_STATUS)
    a_end, b_end = a.end or "9999", b.end or "9999"
    return a.start < b_end and b.start < a_end


def _check_duration_only(period: PersonioAttendancePeriod) -> None:
    """A duration-only period: no end, a readable attribution_date, and a duration Personio takes: the form the
    stand-in assumes (ISO 8601, 400 otherwise) of "minimum 0, maximum 24h" (422 otherwise). Stored as written
    back (`durations.write`), so that the list gives it in one form."""
    if period.end is not None:
        raise bad_request("A duration-only period has no end.")
    if not isinstance(period.attribution_date, str):
        raise bad_request("Invalid request content.")
    try:
        date.fromisoformat(period.attribution_date)
        length = durations.iso_length(period.duration)
    except ValueError:
        raise bad_request("Invalid request content.") from None
    if not timedelta(0) <= length <= durations.LONGEST:
        raise unprocessable("The duration must be between 0 and 24 hours.")
    period.duration = durations.write(length)
