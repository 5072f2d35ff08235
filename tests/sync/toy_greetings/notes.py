"""The made-up Notes system the toy direction writes to: a list of notes and the calls made to it. The
tests attach it to the clients of a run (`clients.notes`), beside the real MOCO and Personio ones."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import UTC, datetime

from tests.sync.toy_greetings import Note


@dataclass
class FakeNotes:
    stored: list[Note] = field(default_factory=list)
    calls: list[str] = field(default_factory=list)

    async def notes(self) -> list[Note]:
        self.calls.append("GET")
        return list(self.stored)

    async def create(self, *, user_id: int, text: str, comment: str) -> None:
        self.calls.append(f"POST {user_id}")
        self.stored.append(Note(len(self.stored) + 1, user_id, text, comment, datetime.now(UTC)))

    async def update(self, note_id: int, *, text: str, comment: str) -> None:
        self.calls.append(f"PUT {note_id}")
        self.edit(note_id, text=text, comment=comment)

    async def delete(self, note_id: int) -> bool:
        self.calls.append(f"DELETE {note_id}")
        return True

    def edit(self, note_id: int, *, at: datetime | None = None, **fields: str) -> None:
        """A change of a note, as someone makes it by hand (or the steps above), at `at` (now)."""
        self.stored = [replace(n, **fields, updated_at=at or datetime.now(UTC)) if n.id == note_id else n
                       for n in self.stored]

    def of(self, user_id: int) -> Note:
        return next(note for note in self.stored if note.user_id == user_id)
