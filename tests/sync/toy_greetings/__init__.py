"""A toy third direction, written only to prove that a direction is one folder and one registry
line: Personio first names → a greeting note per person in a made-up "Notes" system.

Nothing outside this folder knows it; the tests register it in `registry.DIRECTIONS` alone. It takes
part in every kind of run: full, incremental (`touched`: notes edited since a moment, read from the
Notes system) and `reconcile serve` (it watches MOCO users and Personio persons, whose webhooks name a
person: a person's first name is what a greeting holds).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from reconciler.plan.model import Change, PlannedPart
from reconciler.plan.scope import ALL_DAYS, Touched
from reconciler.plan.snapshot import Need, Window, whole
from reconciler.spec import Spec
from reconciler.sync.direction import MOCO, PERSONIO, Direction, PlanInput, Watched
from reconciler.sync.ownership import Marker, claim, left_alone

NAME = "greetings_to_notes"
MARKER = Marker("Personio person", r"\S+")
NOTES = whole("notes.notes", lambda clients: clients.notes.notes())


@dataclass(frozen=True)
class Note:
    id: int
    user_id: int
    text: str
    comment: str
    updated_at: datetime | None = None


@dataclass(frozen=True)
class Greeting:
    """What a create or an update sends to the Notes system."""

    text: str
    comment: str
    user_id: int | None = None  # a create: whose note

    def to_json(self) -> dict[str, Any]:
        return {**({"user_id": self.user_id} if self.user_id is not None else {}), "text": self.text,
                "comment": self.comment}


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
            changes.append(Change("create", after=wanted, send=Greeting(**wanted, user_id=pair.user.id),
                                  reason="new person", **common))
        elif {"text": ours[0].text, "comment": ours[0].comment} != wanted:
            changes.append(Change("update", before={"text": ours[0].text, "comment": ours[0].comment}, after=wanted,
                                  target=ours[0].id, send=Greeting(**wanted), reason="renamed in Personio", **common))
    orphans = {f"Notes user {user_id}": len(claim(notes, MARKER).all_ours())
               for user_id, notes in notes_by_user.items() if user_id not in given.matching.managed_user_ids}
    return PlannedPart(changes=tuple(changes), warnings=tuple(left_alone(orphans, "greeting")),
                       notes=(f"greetings Personio → Notes ({len(given.matching.pairs)} people matched)",))


class Steps:
    async def create(self, clients: Any, change: Change) -> None:
        assert isinstance(change.send, Greeting) and change.send.user_id is not None
        await clients.notes.create(user_id=change.send.user_id, text=change.send.text, comment=change.send.comment)

    async def update(self, clients: Any, change: Change) -> None:
        assert isinstance(change.send, Greeting)
        await clients.notes.update(change.target, text=change.send.text, comment=change.send.comment)

    async def delete(self, clients: Any, record_id: Any) -> bool:
        return await clients.notes.delete(record_id)

    async def find_created(self, clients: Any, change: Change) -> bool:
        assert isinstance(change.send, Greeting)
        return any(note.comment == change.send.comment for note in await clients.notes.notes())


async def touched(clients: Any, days: Window, since: datetime) -> Touched:
    """Greetings edited in the Notes system since `since` (by hand): their MOCO users, every day."""
    found: dict[int, frozenset[date]] = defaultdict(frozenset)
    for note in await clients.notes.notes():
        if note.updated_at is not None and note.updated_at >= since:
            found[note.user_id] = ALL_DAYS
    return Touched(moco=dict(found))


def describe(values: Mapping[str, Any]) -> str:
    return f"“{values['text']}”"


def window(spec: Spec, today: date) -> Window:
    return Window(today, today)


DIRECTION = Direction(
    name=NAME, title="greetings Personio → Notes", system="notes", service="Notes", kind="greeting",
    off=lambda spec: None, window=window, reads=lambda spec, days: (Need(NOTES),), plan=plan, describe=describe,
    steps=Steps(), marker=MARKER, touched=touched,
    watches=(Watched(MOCO, "User", person=True), Watched(PERSONIO, "person", person=True)),
)
