"""How a working-hours change is made in Personio: exactly the plan's `send`, one period at a time. What
a change sends is typed here (`NewPeriod`, `PeriodEdit`, their duration-only kin `NewDurationPeriod` and
`DurationEdit`, and `Recreate`); the planner makes it, the plan shows its `to_json()`, and the step hands
its fields to the client as they are."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from reconciler.errors import OutcomeUnknown
from reconciler.plan.model import Change, sent_as
from reconciler.systems.connect import Clients
from reconciler.systems.personio import durations


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


@dataclass(frozen=True)
class DurationEdit:
    """What `PATCH /v2/attendance-periods/{id}` sends to a duration-only period (attendances.record_as:
    duration): its day (`attribution_date`), its length (`duration`, as durations.py writes it) and the
    marker comment."""

    day: date
    length: timedelta
    comment: str

    def to_json(self) -> dict[str, Any]:
        return {"attribution_date": self.day.isoformat(), "duration": durations.write(self.length),
                "comment": self.comment}


@dataclass(frozen=True, kw_only=True)
class NewDurationPeriod(DurationEdit):
    """What `POST /v2/attendance-periods` sends for a duration-only period: whose it is, and all an edit sends."""

    person_id: str

    def to_json(self) -> dict[str, Any]:
        return {"person_id": self.person_id, **super().to_json()}


@dataclass(frozen=True)
class Recreate:
    """An update no PATCH can make: a synced period with times becoming a duration-only one, or back (when
    `attendances.record_as` changed). Personio documents no PATCH that empties `start`, nor one that gives
    a duration-only period times, so the step deletes the period (the change's target) and then creates
    `new`: one change, so that a delete Personio refuses (a period locked after payroll closed) stops it
    before the create, and a day never holds the hours twice. Never created first: were the delete then
    refused, both would stay, and Personio would count the day twice."""

    new: NewPeriod | NewDurationPeriod
    creates = True  # apply reads back after it, as after a create (plan/model.py, `creates`)

    def to_json(self) -> dict[str, Any]:
        return {"recreate": True, **self.new.to_json()}


async def _create(clients: Clients, new: NewPeriod | NewDurationPeriod) -> None:
    if isinstance(new, NewDurationPeriod):
        await clients.personio.create_duration_attendance(new.person_id, new.day, new.length, new.comment)
    else:
        await clients.personio.create_attendance(new.person_id, new.start, new.end, new.comment)


class PersonioAttendanceSteps:
    async def create(self, clients: Clients, change: Change) -> None:
        send = change.send
        await _create(clients, send if isinstance(send, NewDurationPeriod) else sent_as(change, NewPeriod))

    async def update(self, clients: Clients, change: Change) -> None:
        send = change.send
        if isinstance(send, Recreate):
            await clients.personio.delete_attendance(change.target)  # already gone: the create still follows
            try:
                await _create(clients, send.new)
            except OutcomeUnknown as unknown:
                said = unknown.message.removeprefix(f"{unknown.service}: ")
                raise OutcomeUnknown(unknown.service, f"{said} (the period it replaces was deleted; not re-sent, "
                                                      "the next plan shows whether it exists)") from None
        elif isinstance(send, DurationEdit):
            await clients.personio.update_duration_attendance(change.target, send.day, send.length, send.comment)
        else:
            edit: PeriodEdit = sent_as(change, PeriodEdit)
            await clients.personio.update_attendance(change.target, edit.start, edit.end, edit.comment)

    async def delete(self, clients: Clients, record_id: Any) -> bool:
        return bool(await clients.personio.delete_attendance(record_id))

    async def find_created(self, clients: Clients, change: Change) -> bool:
        send = change.send
        new = send if isinstance(send, NewDurationPeriod) else sent_as(change, NewPeriod)
        found = await clients.personio.attendance_periods(change.date, change.date)
        return any(period.person_id == new.person_id and period.comment == new.comment for period in found)
