"""How a working-hours change is made in Personio: exactly the plan's `send`, one period at a time. What
a change sends is typed here (`NewPeriod`, `PeriodEdit`); the planner makes it, the plan shows its
`to_json()`, and the step hands its fields to the client as they are."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from reconciler.plan.model import Change, sent_as
from reconciler.systems.connect import Clients


@dataclass(frozen=True)
class PeriodEdit:
    """What `PATCH /v2/attendance-periods/{id}` sends: local start and end, and the marker comment."""

    start: datetime
    end: datetime
    comment: str

    def to_json(self) -> dict[str, Any]:
        return {"start": self.start.isoformat(), "end": self.end.isoformat(), "comment": self.comment}


@dataclass(frozen=True, kw_only=True)
class NewPeriod(PeriodEdit):
    """What `POST /v2/attendance-periods` sends: whose period it is, and all an edit sends."""

    person_id: str

    def to_json(self) -> dict[str, Any]:
        return {"person_id": self.person_id, **super().to_json()}



class PersonioAttendanceSteps:
    async def create(self, clients: Clients, change: Change) -> None:
        new: NewPeriod = sent_as(change, NewPeriod)
        await clients.personio.create_attendance(new.person_id, new.start, new.end, new.comment)

    async def update(self, clients: Clients, change: Change) -> None:
        edit: PeriodEdit = sent_as(change, PeriodEdit)
        await clients.personio.update_attendance(change.target, edit.start, edit.end, edit.comment)

    async def delete(self, clients: Clients, record_id: Any) -> bool:
        return bool(await clients.personio.delete_attendance(record_id))

    async def find_created(self, clients: Clients, change: Change) -> bool:
        new: NewPeriod = sent_as(change, NewPeriod)
        found = await clients.personio.attendance_periods(change.date, change.date)
        return any(period.person_id == new.person_id and period.comment == new.comment for period in found)
