"""What the sandbox's state says, for bench/soak.py: second copies of synced records, hand-made
records changed, lists that are only read changed. Pure functions of the side door's state dumps."""

from __future__ import annotations

import sys
from collections import Counter
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from reconciler.sync.ownership import ABSENCE_MARKER, ATTENDANCE_MARKER, is_ours  # noqa: E402

NOT_PLANNABLE = 1  # MOCO's absence_code of "not plannable"



def _copies(counter: Counter) -> dict[Any, int]:
    return {key: count - 1 for key, count in counter.items() if count > 1}


def duplicates(state: dict[str, Any]) -> dict[str, dict[Any, int]]:
    """Second copies of synced records: MOCO absences by (user, day), Personio periods by presence."""
    absences = Counter((s["user_id"], s["date"]) for s in state["moco"]["schedules"]
                       if ABSENCE_MARKER.source(s["comment"]) is not None)
    periods = Counter(ATTENDANCE_MARKER.source(p["comment"]) for p in state["personio"]["attendance_periods"]
                      if ATTENDANCE_MARKER.source(p["comment"]) is not None)
    return {"moco absences": _copies(absences), "personio periods": _copies(periods)}


def new_duplicates(before: dict[str, Any], after: dict[str, Any]) -> list[str]:
    """The second copies `after` holds beyond those `before` already held (a seed may carry some)."""
    found = []
    earlier, later = duplicates(before), duplicates(after)
    for kind, copies in later.items():
        for key, count in sorted(copies.items(), key=str):
            extra = count - earlier[kind].get(key, 0)
            if extra > 0:
                found.append(f"{kind} {key}: {extra} more")
    return found


def hand_made(state: dict[str, Any]) -> dict[tuple[str, Any], dict[str, Any]]:
    """Records without reconcile's marker: made by hand (or by another tool), never ours to change."""
    records = {("moco", s["id"]): s for s in state["moco"]["schedules"] if not is_ours(s["comment"])}
    records.update({("personio", p["id"]): p for p in state["personio"]["attendance_periods"]
                    if not is_ours(p["comment"])})
    return records


def touched_by_hand(before: dict[str, Any], after: dict[str, Any]) -> list[str]:
    """Hand-made records that changed or went, but for "not plannable" absences a synced one replaced."""
    synced_days = {(s["user_id"], s["date"]) for s in after["moco"]["schedules"]
                   if ABSENCE_MARKER.source(s["comment"]) is not None}
    now = {("moco", s["id"]): s for s in after["moco"]["schedules"]}
    now.update({("personio", p["id"]): p for p in after["personio"]["attendance_periods"]})
    found = []
    for key, record in hand_made(before).items():
        if now.get(key) == record:
            continue
        if key[0] == "moco" and record["absence_code"] == NOT_PLANNABLE and \
                (record["user_id"], record["date"]) in synced_days:
            continue
        found.append(f"{key[0]} {key[1]}: {record} became {now.get(key)}")
    return found


READ_ONLY = (("moco", "users"), ("moco", "employments"), ("moco", "presences"), ("personio", "persons"),
             ("personio", "absence_types"), ("personio", "absence_periods"))


def read_only_changed(before: dict[str, Any], after: dict[str, Any]) -> list[str]:
    return [f"{system} {name}" for system, name in READ_ONLY if before[system][name] != after[system][name]]
