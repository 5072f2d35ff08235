"""Ours or hand-made: decided here, once, for every direction (octoDNS's ownership, by comment).

A record reconcile writes carries a marker comment naming where it came from: a synced MOCO
absence `[reconcile] Personio absence <period id>`, a synced Personio attendance period
`[reconcile] MOCO presence <presence id>`, a synced MOCO public holiday `[reconcile] Personio holiday
<holiday entry id>`. A direction only ever updates or deletes records that
carry its own marker (DECISIONS.md, "Ownership"). Records without any marker were made by hand;
records with a marker of another form are neither, and are never touched.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Generic, Protocol, TypeVar

MARKER = "[reconcile]"

T = TypeVar("T")
M = TypeVar("M", bound="Marked")


def is_ours(comment: str | None) -> bool:
    """Whether a comment carries reconcile's marker at all (of any direction)."""
    return bool(comment and comment.lstrip().startswith(MARKER))


@dataclass(frozen=True)
class Marker:
    """The marker comment of one direction's records: `[reconcile] <label> <source id>`."""

    label: str  # what the source is, e.g. "Personio absence"
    id_pattern: str  # how its id looks (a regular expression)
    parse: Callable[[str], Any] = str  # the id's type

    def comment(self, source_id: Any) -> str:
        return f"{MARKER} {self.label} {source_id}"

    def source(self, comment: str | None) -> Any | None:
        """The source id a comment names, if it is this marker's."""
        match = _pattern(self.label, self.id_pattern).match((comment or "").lstrip())
        return self.parse(match.group(1)) if match else None


@lru_cache(maxsize=None)
def _pattern(label: str, id_pattern: str) -> re.Pattern[str]:
    """A marker's comment as a pattern, compiled once (every record read is claimed)."""
    return re.compile(rf"^{re.escape(MARKER)} {re.escape(label)} ({id_pattern})")


ABSENCE_MARKER = Marker("Personio absence", r"\S+")
ATTENDANCE_MARKER = Marker("MOCO presence", r"\d+", int)
# Holidays and absences both write MOCO absences; their labels differ, so each claims only its own records
# and sees the other's as foreign (never touched).
HOLIDAY_MARKER = Marker("Personio holiday", r"\S+")
# A MOCO user has no comment: a user reconcile created carries this tag instead (MOCO keeps and lists user tags,
# shows them to staff and filters by them: `GET /users?tags=`). The person marker names a change's source.
USER_TAG = "reconcile:personio"
PERSON_MARKER = Marker("Personio person", r"\S+")

# The markers' comment and source id, by name (the sandbox seeds synced records with them).
absence_comment, absence_source = ABSENCE_MARKER.comment, ABSENCE_MARKER.source
holiday_comment, holiday_source = HOLIDAY_MARKER.comment, HOLIDAY_MARKER.source
attendance_comment, attendance_source = ATTENDANCE_MARKER.comment, ATTENDANCE_MARKER.source


@dataclass(frozen=True)
class Claim(Generic[T]):
    """Records sorted by owner: ours (by the source id their marker names, oldest record first),
    hand-made ones, and foreign ones (another direction's marker). Only ours are ever changed."""

    ours: dict[Any, list[T]] = field(default_factory=dict)
    handmade: list[T] = field(default_factory=list)
    foreign: list[T] = field(default_factory=list)  # another direction's marker: never touched, yet there

    def all_ours(self) -> list[T]:
        return [record for records in self.ours.values() for record in records]


class Marked(Protocol):
    """A record `claim` sorts by default: by its comment, copies in the order of their ids."""

    @property
    def comment(self) -> str | None: ...

    @property
    def id(self) -> object: ...


def claim(records: Iterable[M], marker: Marker, *, comment: Callable[[M], str | None] = lambda r: r.comment,
          order: Callable[[M], Any] = lambda r: r.id) -> Claim[M]:
    ours: dict[Any, list[M]] = defaultdict(list)
    handmade: list[M] = []
    foreign: list[M] = []
    match, parse = _pattern(marker.label, marker.id_pattern).match, marker.parse  # marker.source, once per record
    for record in records:
        text = comment(record)
        found = match((text or "").lstrip())
        if found is not None:
            ours[parse(found.group(1))].append(record)
        else:
            (foreign if is_ours(text) else handmade).append(record)
    for copies in ours.values():
        if len(copies) > 1:
            copies.sort(key=order)
    return Claim(ours=dict(ours), handmade=handmade, foreign=foreign)


def left_alone(counts: Mapping[str, int], noun: str) -> list[str]:
    """Warnings for records reconcile wrote for people it no longer syncs: they stay, and we say so."""
    return [f"{who} is no longer synced (excluded, unmatched or archived): {count} {noun}"
            f"{'s' if count != 1 else ''} reconcile wrote earlier {'are' if count != 1 else 'is'} left alone"
            for who, count in counts.items() if count]
