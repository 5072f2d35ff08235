"""The Personio API v2 client: persons, absence types and periods, attendance periods.

Thin over the HTTP core (`reconciler.systems.http.Service`, given Personio's pager, error reader
and token by `connect.py`): it knows Personio's endpoints and payloads and turns them into the
domain records of `records.py`. It knows nothing of the spec's mapping rules.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from reconciler.errors import NotFound, UnexpectedResponse
from reconciler.records import AbsencePeriod, AbsenceType, AttendancePeriod, Person
from reconciler.systems.http import Service

APP_ID = "RECONCILE"  # X-Personio-App-ID: stable, UPPER_SNAKE_CASE, as Personio asks of integrators


class PersonioClient:
    def __init__(self, service: Service) -> None:
        self.service = service
        self.service.headers.setdefault("X-Personio-App-ID", APP_ID)

    # ------------------------------------------------------------------ reads

    async def persons(self) -> list[Person]:
        rows = await self.service.pages("/v2/persons", {"limit": 50})
        return [self._person(row) for row in rows]

    async def absence_types(self) -> list[AbsenceType]:
        rows = await self.service.pages("/v2/absence-types", {"limit": 100})
        try:
            return [AbsenceType(id=str(row["id"]), name=str(row.get("name") or ""), hourly=_hourly(row))
                    for row in rows]
        except KeyError:
            raise UnexpectedResponse("Personio", "cannot read an absence type: no id") from None

    async def absence_periods(self, start: date, end: date) -> list[AbsencePeriod]:
        """Every absence period overlapping `start`..`end` (inclusive), whatever its approval status.

        Only one bound goes to Personio: periods starting by the window's end. Personio documents
        that date ranges "match overlapping periods", but if it applied a `starts_from.gte` with
        an `ends_at.lte` literally, open-ended sickness and periods crossing the window's edges
        would be missing, and their synced MOCO days would be planned as deletions. One upper
        bound on the start returns the same periods under either reading; the rest of the window
        is applied here. (It also reads periods that ended before `start`: more pages, never fewer
        periods.)
        """
        params = {"starts_from.date_time.lte": f"{end.isoformat()}T23:59:59", "limit": 100}  # no Z, no offset
        rows = await self.service.pages("/v2/absence-periods", params)
        periods = [read_absence_period(row) for row in rows]
        return [p for p in periods if p.overlaps(start, end)]

    async def attendance_periods(self, start: date, end: date) -> list[AttendancePeriod]:
        """Every attendance period starting from `start` to `end` (inclusive)."""
        params = {"start.date_time.gte": f"{start.isoformat()}T00:00:00",
                  "start.date_time.lte": f"{end.isoformat()}T23:59:59", "limit": 100}
        rows = await self.service.pages("/v2/attendance-periods", params)
        return [self._attendance(row) for row in rows]

    # ------------------------------------------------------------------ writes

    async def create_attendance(self, person_id: str, start: datetime, end: datetime, comment: str) -> str:
        """Create one approved WORK period; return its id. Never re-sent once it may have arrived."""
        body = {"person": {"id": person_id}, "type": "WORK", "start": {"date_time": _local(start)},
                "end": {"date_time": _local(end)}, "comment": comment}
        response = await self.service.request("POST", "/v2/attendance-periods", params={"skip_approval": "true"},
                                              json=body)
        return created_id(response.body)

    async def update_attendance(self, period_id: str, start: datetime, end: datetime, comment: str) -> None:
        body = {"start": {"date_time": _local(start)}, "end": {"date_time": _local(end)}, "comment": comment}
        await self.service.request("PATCH", f"/v2/attendance-periods/{period_id}", params={"skip_approval": "true"},
                                   json=body)

    async def delete_attendance(self, period_id: str) -> bool:
        """Delete one period; False when it was already gone."""
        try:
            await self.service.request("DELETE", f"/v2/attendance-periods/{period_id}")
        except NotFound:
            return False
        return True

    # ------------------------------------------------------------------ parsing

    def _person(self, row: dict[str, Any]) -> Person:
        try:
            email = row.get("email")
            return Person(id=str(row["id"]), email=email.strip() if isinstance(email, str) and email.strip() else None,
                          first_name=row.get("first_name") or "", last_name=row.get("last_name") or "",
                          active=(row.get("status") or "ACTIVE") == "ACTIVE")
        except KeyError:
            raise UnexpectedResponse("Personio", "cannot read a person: no id") from None

    def _attendance(self, row: dict[str, Any]) -> AttendancePeriod:
        try:
            end = row.get("end")
            return AttendancePeriod(
                id=str(row["id"]), person_id=str(row["person"]["id"]), kind=row.get("type") or "WORK",
                start=datetime.fromisoformat(row["start"]["date_time"]),
                end=datetime.fromisoformat(end["date_time"]) if end and end.get("date_time") else None,
                comment=row.get("comment") or "", status=(row.get("approval") or {}).get("status") or "",
            )
        except (KeyError, TypeError, ValueError):
            raise UnexpectedResponse("Personio", f"cannot read attendance period {row.get('id')!r}") from None


def read_absence_period(row: dict[str, Any]) -> AbsencePeriod:
    """A v2 absence period as days. Our reading of day-based periods (UNVERIFIED, DECISIONS.md):

    - `starts_from.date_time` is the first day (its date part); `starts_from.type` SECOND_HALF means
      the first day is afternoon only.
    - `ends_at.date_time` at 00:00 of a later day is exclusive: the absence ends the day before.
      Otherwise its date is the last day. `ends_at.type` FIRST_HALF means the last day is morning only.
    - `ends_at: null` is open-ended.
    """
    try:
        start = datetime.fromisoformat(row["starts_from"]["date_time"])
        first = start.date()
        ends_at = row.get("ends_at")
        last: date | None = None
        last_am_only = False
        if ends_at and ends_at.get("date_time"):
            end = datetime.fromisoformat(ends_at["date_time"])
            last = end.date()
            if end.time() == datetime.min.time() and last > first:
                last -= timedelta(days=1)
            last_am_only = ends_at.get("type") == "FIRST_HALF"
        return AbsencePeriod(
            id=str(row["id"]), person_id=str(row["person"]["id"]), type_id=str(row["absence_type"]["id"]),
            first_day=first, last_day=last,
            first_day_pm_only=(row["starts_from"].get("type") == "SECOND_HALF"), last_day_am_only=last_am_only,
            status=str((row.get("approval") or {}).get("status") or ""), updated_at=row.get("updated_at") or "",
        )
    except (KeyError, TypeError, ValueError):
        raise UnexpectedResponse("Personio", f"cannot read absence period {row.get('id')!r}") from None


def _hourly(row: dict[str, Any]) -> bool:
    """Whether an absence type is measured in hours. UNVERIFIED field name for v2: v1 time-off types
    say `unit: day|hour` and v1 hourly periods `measurement_unit`; any of these is read."""
    for name in ("unit", "time_unit", "measurement_unit"):
        value = row.get(name)
        if isinstance(value, str) and value.strip().upper().startswith("HOUR"):
            return True
    return False


def created_id(body: Any) -> str:
    """The new id from a 201. UNVERIFIED envelope: `id`, `_data.id` and `data.id` are all accepted."""
    if isinstance(body, dict):
        for candidate in (body, body.get("_data"), body.get("data")):
            if isinstance(candidate, dict) and candidate.get("id") not in (None, ""):
                return str(candidate["id"])
    raise UnexpectedResponse("Personio", "creating an attendance period answered without the new id")


def _local(moment: datetime) -> str:
    """Local wall-clock date-time without offset, as Personio v2 wants it."""
    return moment.replace(tzinfo=None, microsecond=0).isoformat()
