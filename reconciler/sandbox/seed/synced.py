"""The synced state without the writes: a plan's changes put straight into a seeded world.

A first sync of a company with a year of history is a million writes, which no benchmark wants to wait
for. `apply_directly(world, changes)` does to the stored records what `reconcile apply` of those
changes would do through the APIs (each change as the JSON plan shows it: `direction`, `action`, `id`,
`send`, `removes`; an older plan's `also_delete`), so that a plan made right after it finds nothing to do.
Each direction's records go where its steps would write them (`WRITERS`); a change of a direction the
stand-ins hold no records for is an error, never put among another direction's records.
`restamp(world, when)` dates every record's `created_at` and `updated_at`, so that a later
`updated_after` filter sees only what changed after it.
"""

from __future__ import annotations

import random
import uuid
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from reconciler.sandbox.moco.records import MocoSchedule
from reconciler.sandbox.personio.records import PersonioAttendancePeriod
from reconciler.sandbox.world import World


@dataclass(frozen=True)
class _Writer:
    """Where a direction's records live in the stand-ins, and how its create and update land there."""

    store: Callable[[World], dict[Any, Any]]
    create: Callable[[World, dict[str, Any], random.Random], Any]
    update: Callable[[Any, dict[str, Any]], None]


def _new_schedule(world: World, send: dict[str, Any], rng: random.Random) -> MocoSchedule:
    return MocoSchedule(id=world.moco.new_id(), user_id=int(send["user_id"]), date=send["date"],
                        absence_code=int(send["absence_code"]), am=bool(send["am"]), pm=bool(send["pm"]),
                        comment=send.get("comment") or "")


def _update_schedule(record: Any, send: dict[str, Any]) -> None:
    record.absence_code = int(send["absence_code"])
    record.am, record.pm = bool(send["am"]), bool(send["pm"])
    record.comment = send.get("comment") or ""


def _new_period(world: World, send: dict[str, Any], rng: random.Random) -> PersonioAttendancePeriod:
    record = PersonioAttendancePeriod(id=_new_uuid(rng, world.personio.attendance_periods),
                                      person_id=str(send["person_id"]), type="WORK", start=None, end=None)
    _update_period(record, send)
    return record


def _update_period(record: Any, send: dict[str, Any]) -> None:  # PATCH with skip_approval: approved
    if "duration" in send:  # a duration-only period (attendances.record_as: duration)
        record.start = record.end = None
        record.duration, record.attribution_date = send["duration"], send["attribution_date"]
    else:
        record.start, record.end = send["start"], send.get("end")
        record.duration = record.attribution_date = None
    record.comment = send.get("comment") or ""
    record.status = "CONFIRMED"


WRITERS: dict[str, _Writer] = {
    "absences_to_moco": _Writer(lambda world: world.moco.schedules, _new_schedule, _update_schedule),
    "holidays_to_moco": _Writer(lambda world: world.moco.schedules, _new_schedule, _update_schedule),
    "hours_to_personio": _Writer(lambda world: world.personio.attendance_periods, _new_period, _update_period),
}


def apply_directly(world: World, changes: Iterable[dict[str, Any]], rng: random.Random | None = None
                   ) -> Counter[str]:
    """Make `changes` (JSON plan changes) in `world` as the APIs would; counts of what was done by
    "system action" (e.g. "moco create"). An id that is already gone counts as done, as in apply."""
    rng = rng or random.Random(0)
    done: Counter[str] = Counter()
    for change in changes:
        writer = WRITERS.get(change.get("direction", ""))
        if writer is None:
            raise ValueError(f"the stand-ins hold no records of direction {change.get('direction')!r}")
        collection, action, send = writer.store(world), change["action"], change.get("send") or {}
        if action == "create" or (action == "update" and send.get("recreate")):  # recreate: deleted, then created
            collection.pop(change.get("id"), None)
            record = writer.create(world, send, rng)
            collection[record.id] = record
        elif action == "update" and change["id"] in collection:
            writer.update(collection[change["id"]], send)
        elif action == "delete":
            collection.pop(change["id"], None)
        for extra in change.get("also_delete") or [removal["id"] for removal in change.get("removes") or ()]:
            collection.pop(extra, None)
        done[f"{change['system']} {action}"] += 1
    return done


def _new_uuid(rng: random.Random, taken: dict[Any, Any]) -> str:
    while True:
        candidate = str(uuid.UUID(int=rng.getrandbits(128), version=4))
        if candidate not in taken:
            return candidate


def restamp(world: World, when: str) -> None:
    """Every stored record created and last updated at `when` ("YYYY-MM-DDTHH:MM:SSZ", UTC)."""
    for state in (world.moco, world.personio):
        for collection in vars(state).values():
            if not isinstance(collection, dict):
                continue
            for record in collection.values():
                if hasattr(record, "updated_at"):
                    record.created_at = record.updated_at = when
