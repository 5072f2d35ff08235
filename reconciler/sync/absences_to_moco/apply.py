"""How an absence change is made in MOCO: exactly the plan's `send`, one schedule at a time. What a
change sends is typed here (`NewAbsence`, `AbsenceEdit`); the planner makes it, the plan shows its
`to_json()`, and the step hands its fields to the client as they are."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from reconciler.plan.model import Change, sent_as
from reconciler.records import AbsenceKind
from reconciler.systems.connect import Clients


@dataclass(frozen=True)
class AbsenceEdit:
    """What `PUT /schedules/{id}` sends: the kind, the halves and the marker comment."""

    kind: AbsenceKind
    am: bool
    pm: bool
    comment: str

    def to_json(self) -> dict[str, Any]:
        return {"absence_code": self.kind.code, "am": self.am, "pm": self.pm, "comment": self.comment}


@dataclass(frozen=True, kw_only=True)
class NewAbsence(AbsenceEdit):
    """What `POST /schedules` sends: whose day it is, and all an edit sends."""

    user_id: int
    day: date

    def to_json(self) -> dict[str, Any]:
        return {"user_id": self.user_id, "date": self.day.isoformat(), **super().to_json()}



class MocoAbsenceSteps:
    async def create(self, clients: Clients, change: Change) -> None:
        new: NewAbsence = sent_as(change, NewAbsence)
        await clients.moco.create_schedule(new.user_id, new.day, new.kind, am=new.am, pm=new.pm, comment=new.comment)

    async def update(self, clients: Clients, change: Change) -> None:
        edit: AbsenceEdit = sent_as(change, AbsenceEdit)
        await clients.moco.update_schedule(change.target, kind=edit.kind, am=edit.am, pm=edit.pm, comment=edit.comment)

    async def delete(self, clients: Clients, record_id: Any) -> bool:
        return bool(await clients.moco.delete_schedule(record_id))

    async def find_created(self, clients: Clients, change: Change) -> bool:
        new: NewAbsence = sent_as(change, NewAbsence)
        return any(found.user_id == new.user_id and found.comment == new.comment
                   for found in await clients.moco.schedules(new.day, new.day))
