"""How a working-hours change is made in Personio: exactly the plan's `send`, one period at a time."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from reconciler.plan.model import Change


class PersonioAttendanceSteps:
    async def create(self, clients: Any, change: Change) -> None:
        send = change.send
        await clients.personio.create_attendance(send["person_id"], datetime.fromisoformat(send["start"]),
                                                 datetime.fromisoformat(send["end"]), send["comment"])

    async def update(self, clients: Any, change: Change) -> None:
        send = change.send
        await clients.personio.update_attendance(change.target, datetime.fromisoformat(send["start"]),
                                                 datetime.fromisoformat(send["end"]), send["comment"])

    async def delete(self, clients: Any, record_id: Any) -> bool:
        return bool(await clients.personio.delete_attendance(record_id))

    async def find_created(self, clients: Any, change: Change) -> bool:
        found = await clients.personio.attendance_periods(change.date, change.date)
        return any(period.person_id == change.send["person_id"] and period.comment == change.send["comment"]
                   for period in found)
