"""The real changes of bench/soak_serve.py: presences created, edited and deleted through MOCO's API (as the
person's user), pending or rejected absences approved in Personio (through the side door, which sends Personio's
webhook), each with what serve must make of it on the other side, read from the sandbox's state."""

from __future__ import annotations

import json
import random
import time
import urllib.request
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from soak_process import TODAY, SandboxProcess

from reconciler.sandbox.seed import MOCO_API_KEY
from reconciler.sync.ownership import ABSENCE_MARKER, ATTENDANCE_MARKER


@dataclass
class Change:
    """One real change and what serve must make of it."""

    what: str
    kind: str  # presence | absence
    source: str  # the MOCO presence id or the Personio period id
    times: tuple[str, str] | None = None  # the presence's (from, to); None: deleted
    made_at: float = 0.0
    arrived_after: float | None = None
    nothing_to_write: bool = False  # an approved absence that writes nothing, as the final (empty) plan says


def moco_as(sandbox: SandboxProcess, method: str, path: str, user_id: int, body: Any = None) -> Any:
    api = sandbox.side_url.replace("/_sandbox", "/api/v1")
    request = urllib.request.Request(f"{api}{path}", data=json.dumps(body).encode() if body is not None else None,
                                     method=method, headers={"Content-Type": "application/json",
                                                             "Authorization": f"Token token={MOCO_API_KEY}",
                                                             "X-IMPERSONATE-USER-ID": str(user_id)})
    with urllib.request.urlopen(request, timeout=30) as answer:
        raw = answer.read()
    return json.loads(raw) if raw else None


def synced_pairs(state: dict[str, Any]) -> list[tuple[int, str]]:
    """(MOCO user, Personio person) whose working hours are synced: a synced period names one of their presences."""
    presences = {p["id"]: p["user_id"] for p in state["moco"]["presences"]}
    return sorted({(presences[source], p["person_id"]) for p in state["personio"]["attendance_periods"]
                   if (source := ATTENDANCE_MARKER.source(p["comment"])) in presences})


def free_days(state: dict[str, Any], user_id: int, person_id: str, start: date) -> list[date]:
    """Past working days on which neither system holds anything for this person."""
    taken = {r["date"] for r in (*state["moco"]["presences"], *state["moco"]["schedules"]) if r["user_id"] == user_id}
    taken |= {p["start"][:10] for p in state["personio"]["attendance_periods"] if p["person_id"] == person_id}
    absent = [(p["starts_from"][:10], (p["ends_at"] or "9999")[:10]) for p in state["personio"]["absence_periods"]
              if p["person_id"] == person_id]
    days = []
    for back in range(1, (TODAY - start).days):
        day = TODAY - timedelta(days=back)
        text = day.isoformat()
        if day.weekday() < 5 and text not in taken and not any(a <= text <= b for a, b in absent):
            days.append(day)
    return days


def approvable(state: dict[str, Any], mapped: set[str]) -> list[dict[str, Any]]:
    """Pending or rejected absences of a mapped type of a matched person, within the sync window, on a weekday.
    (It may still be a day with nothing to write: a public holiday, a day off in the work pattern, a day another
    absence already holds. The soak then takes the final plan's word: nothing left to do.)"""
    types = {t["id"] for t in state["personio"]["absence_types"] if t["name"] in mapped}
    matched = {person for _user, person in synced_pairs(state)}
    found = []
    for period in state["personio"]["absence_periods"]:
        if period["status"] == "APPROVED" or period["absence_type_id"] not in types or \
                period["person_id"] not in matched:
            continue
        first = date.fromisoformat(period["starts_from"][:10])
        last = date.fromisoformat((period["ends_at"] or period["starts_from"])[:10])
        if any((first + timedelta(days=d)).weekday() < 5 and first + timedelta(days=d) >= TODAY - timedelta(days=30)
               for d in range(max(1, (last - first).days))):
            found.append(period)
    return found


def arrived(change: Change, state: dict[str, Any]) -> bool:
    if change.kind == "absence":
        return any(ABSENCE_MARKER.source(s["comment"]) == change.source for s in state["moco"]["schedules"])
    periods = [(p["start"][11:16], (p["end"] or "")[11:16]) for p in state["personio"]["attendance_periods"]
               if str(ATTENDANCE_MARKER.source(p["comment"])) == change.source]
    return periods == ([change.times] if change.times else [])


def real_steps(sandbox: SandboxProcess, state: dict[str, Any], rng: random.Random, changes: list[Change],
               start: date) -> list[Any]:
    """The real changes of a seed, as callables in the order they must happen; each adds its Change to `changes`
    (or updates it)."""
    steps: list[Any] = []
    pairs = synced_pairs(state)
    rng.shuffle(pairs)
    for user_id, person_id in pairs[:4]:
        days = free_days(state, user_id, person_id, start)
        if not days:
            continue
        day = rng.choice(days[:20]).isoformat()
        made: dict[str, Any] = {}

        def create(user_id: int = user_id, day: str = day, made: dict[str, Any] = made) -> None:
            presence = moco_as(sandbox, "POST", "/users/presences", user_id, {"date": day, "from": "09:00", "to": "17:00"})
            made["change"] = Change(f"presence {presence['id']} created ({day})", "presence", str(presence["id"]),
                                    ("09:00", "17:00"), made_at=time.monotonic())
            changes.append(made["change"])

        def edit(user_id: int = user_id, made: dict[str, Any] = made) -> None:
            change = made["change"]
            end = rng.choice(["15:45", "16:30", "18:15"])
            moco_as(sandbox, "PUT", f"/users/presences/{change.source}", user_id, {"to": end})
            change.what += f", edited to end {end}"
            change.times, change.made_at = ("09:00", end), time.monotonic()

        def delete(user_id: int = user_id, made: dict[str, Any] = made) -> None:
            change = made["change"]
            moco_as(sandbox, "DELETE", f"/users/presences/{change.source}", user_id)
            change.what += ", deleted"
            change.times, change.made_at = None, time.monotonic()

        steps.append(create)
        if rng.random() < 0.7:
            steps.append(edit)
        if rng.random() < 0.5:
            steps.append(delete)
    mapped = set(_mapped_types(sandbox))
    for period in rng.sample(approvable(state, mapped), k=min(3, len(approvable(state, mapped)))):
        def approve(period: dict[str, Any] = period) -> None:
            sandbox.side("PATCH", f"/records/personio/absence-periods/{period['id']}", {"status": "APPROVED"})
            changes.append(Change(f"absence {period['id']} approved ({period['starts_from'][:10]})", "absence",
                                       period["id"], made_at=time.monotonic()))
        steps.insert(rng.randint(0, len(steps)), approve)
    return steps


def _mapped_types(sandbox: SandboxProcess) -> list[str]:
    text = sandbox.spec_path.read_text()
    block = text[text.index("  types:"):text.index("  unmapped:")]
    return [line.split(":")[0].strip() for line in block.splitlines()[1:] if ":" in line]
