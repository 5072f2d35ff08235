"""How an absence change is made in MOCO: exactly the plan's `send`, one schedule at a time."""

from __future__ import annotations

from datetime import date
from typing import Any

from reconciler.plan.model import Change
from reconciler.records import AbsenceKind


class MocoAbsenceSteps:
    async def create(self, clients: Any, change: Change) -> None:
        send = change.send
        await clients.moco.create_schedule(send["user_id"], date.fromisoformat(send["date"]),
                                           AbsenceKind.from_code(send["absence_code"]), am=send["am"], pm=send["pm"],
                                           comment=send["comment"])

    async def update(self, clients: Any, change: Change) -> None:
        send = change.send
        await clients.moco.update_schedule(change.target, kind=AbsenceKind.from_code(send["absence_code"]),
                                           am=send["am"], pm=send["pm"], comment=send["comment"])

    async def delete(self, clients: Any, record_id: Any) -> bool:
        return bool(await clients.moco.delete_schedule(record_id))

    async def find_created(self, clients: Any, change: Change) -> bool:
        day = date.fromisoformat(change.send["date"])
        return any(found.user_id == change.send["user_id"] and found.comment == change.send["comment"]
                   for found in await clients.moco.schedules(day, day))
