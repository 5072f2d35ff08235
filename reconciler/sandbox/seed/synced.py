"""The synced state without the writes: a plan's changes put straight into a seeded world.

A first sync of a company with a year of history is a million writes, which no benchmark wants to wait
for. `apply_directly(world, changes)` does to the stored records what `reconcile apply` of those
changes would do through the APIs (each change as the JSON plan shows it: `action`, `system`, `id`,
`send`, `also_delete`), so that a plan made right after it finds nothing to do. `restamp(world, when)`
dates every record's `created_at` and `updated_at`, so that a later `updated_after` filter sees only
what changed after it.
"""

from __future__ import annotations

import random
import uuid
from collections import Counter
from collections.abc import Iterable
from typing import Any

from reconciler.sandbox.moco.records import MocoSchedule
from reconciler.sandbox.personio.records import PersonioAttendancePeriod
from reconciler.sandbox.world import World


def apply_directly(world: World, changes: Iterable[dict[str, Any]], rng: random.Random | None = None
                   ) -> Counter[str]:
    """Make `changes` (JSON plan changes) in `world` as the APIs would; counts of what was done by
    "system action" (e.g. "moco create"). An id that is already gone counts as done, as in apply."""
    rng = rng or random.Random(0)
    done: Counter[str] = Counter()
    for change in changes:
        system, action = change["system"], change["action"]
        collection: dict[Any, Any] = (world.moco.schedules if system == "moco"
                                      else world.personio.attendance_periods)
        send = change.get("send") or {}
        if action == "create" and system == "moco":
            record = MocoSchedule(id=world.moco.new_id(), user_id=int(send["user_id"]), date=send["date"],
                                  absence_code=int(send["absence_code"]), am=bool(send["am"]), pm=bool(send["pm"]),
                                  comment=send.get("comment") or "")
            collection[record.id] = record
        elif action == "create":
            period_id = _new_uuid(rng, collection)
            collection[period_id] = PersonioAttendancePeriod(
                id=period_id, person_id=str(send["person_id"]), type="WORK", start=send["start"], end=send.get("end"),
                comment=send.get("comment") or "", status="CONFIRMED")
        elif action == "update" and change["id"] in collection:
            _update(collection[change["id"]], system, send)
        elif action == "delete":
            collection.pop(change["id"], None)
        for extra in change.get("also_delete") or ():
            collection.pop(extra, None)
        done[f"{system} {action}"] += 1
    return done


def _update(record: Any, system: str, send: dict[str, Any]) -> None:
    if system == "moco":
        record.absence_code = int(send["absence_code"])
        record.am, record.pm = bool(send["am"]), bool(send["pm"])
        record.comment = send.get("comment") or ""
    else:  # PATCH with skip_approval: the times and comment, approved
        record.start, record.end = send["start"], send.get("end")
        record.comment = send.get("comment") or ""
        record.status = "CONFIRMED"


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
