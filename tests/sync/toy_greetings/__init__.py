"""A toy third direction, written only to prove that a direction is one folder and one registry
line: Personio first names → a greeting note per person in a made-up "Notes" system.

Nothing outside this folder knows it; the test registers it in `registry.DIRECTIONS` alone.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from reconciler.plan.model import Change, PlannedPart
from reconciler.plan.snapshot import Need, Source, Window
from reconciler.spec import Spec
from reconciler.sync.direction import Direction, PlanInput
from reconciler.sync.ownership import Marker, claim, left_alone

NAME = "greetings_to_notes"
MARKER = Marker("Personio person", r"\S+")
NOTES = Source("notes.notes", lambda clients, window: clients.notes.notes(), windowed=False)


@dataclass(frozen=True)
class Note:
    id: int
    user_id: int
    text: str
    comment: str


def plan(given: PlanInput) -> PlannedPart:
    notes_by_user: dict[int, list[Note]] = {}
    for note in given.snapshot[NOTES]:
        notes_by_user.setdefault(note.user_id, []).append(note)
    changes = []
    for pair in given.matching.pairs:
        owned = claim(notes_by_user.get(pair.user.id, []), MARKER)
        ours = owned.all_ours()
        wanted = {"text": f"Hello {pair.person.first_name}", "comment": MARKER.comment(pair.person.id)}
        common = dict(direction=NAME, system="notes", kind="greeting", user=pair.moco_email, person=pair.moco_email,
                      date=given.snapshot.today, source=f"Personio person {pair.person.id}")
        if not ours:
            changes.append(Change("create", after=wanted, send={"user_id": pair.user.id, **wanted},
                                  reason="new person", **common))
        elif {"text": ours[0].text, "comment": ours[0].comment} != wanted:
            changes.append(Change("update", before={"text": ours[0].text, "comment": ours[0].comment}, after=wanted,
                                  target=ours[0].id, send=wanted, reason="renamed in Personio", **common))
    orphans = {f"Notes user {user_id}": len(claim(notes, MARKER).all_ours())
               for user_id, notes in notes_by_user.items() if user_id not in given.matching.managed_user_ids}
    return PlannedPart(changes=tuple(changes), warnings=tuple(left_alone(orphans, "greeting")),
                       notes=(f"greetings Personio → Notes ({len(given.matching.pairs)} people matched)",))


class Steps:
    async def create(self, clients: Any, change: Change) -> None:
        await clients.notes.create(**change.send)

    async def update(self, clients: Any, change: Change) -> None:
        await clients.notes.update(change.target, **change.send)

    async def delete(self, clients: Any, record_id: Any) -> bool:
        return await clients.notes.delete(record_id)

    async def find_created(self, clients: Any, change: Change) -> bool:
        return any(note.comment == change.send["comment"] for note in await clients.notes.notes())


def describe(values: Mapping[str, Any]) -> str:
    return f"“{values['text']}”"


def window(spec: Spec, today: date) -> Window:
    return Window(today, today)


DIRECTION = Direction(
    name=NAME, title="greetings Personio → Notes", system="notes", service="Notes", kind="greeting",
    off=lambda spec: None, window=window, reads=lambda spec, days: (Need(NOTES),), plan=plan, describe=describe,
    steps=Steps(),
)
