"""A verified webhook delivery, read as a hint: which direction to plan again, for whom, on which days.

Assumes the delivery was authenticated first (signatures.py). Its content is never data to write: a
hint only says which records to re-read, through the same planners as `apply`. Whatever cannot be
read is a `Malformed` reason, never an exception; what concerns no direction is `Ignored` with a reason.

MOCO (everii-Group/mocoapp-api-docs `webhooks.md`; OAS info): `X-Moco-Target` and `X-Moco-Event` say
what changed; the body is the record, except on `delete`, where it holds only the `id`.
- `Schedule` (hand edits to absences in MOCO) -> absences_to_moco, for the record's `user.id`, all days
  (an edit may have moved the absence from a day the payload no longer names).
- `Presence` -> hours_to_personio, for `user.id` on the presence's `date`; the record id travels along,
  so an edit that moved a presence from another day can be traced by its id (`Touched.moco_moved`).
- `User` -> both directions, that user, all days (identity).
- A `delete` of a Schedule or Presence names nobody: its hint has `person=None` (plan the direction
  whole soon, or trace the record id), never a guess. `X-Moco-User-Id` names who MADE the change (the
  docs: "The user ID that triggered this hook"), not whose record it is, so it is never the person.

Our own writes (OWN_WRITE below): reconcile writes MOCO Schedules only (absences_to_moco), each with
`ABSENCE_MARKER` in its comment. `X-Moco-Origin: api` alone says any API client did it, so a Schedule
event is ignored only when it came from the API AND its comment carries that marker. A hand edit in
MOCO's UI of a marked record is not ignored (that is drift to repair). Our own deletes cannot be told
apart (the payload holds only the id) and become a whole-direction hint whose plan is empty.

Personio (developer.personio.de/v2.0/reference/webhooks; shared/api/personio.md section 10): an envelope
`{company_id, event_name, occurred_at, payload, meta}`, "dataless". The payload's person and start are
read as systems/personio/events.py reads them (its UNVERIFIED block: PERSON_FIELDS, START_FIELD).
Personio sends no origin, so our own attendance writes come back as hints; their plan is empty.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

import orjson

from reconciler.serve.signatures import header
from reconciler.sync.direction import ALL_DAYS
from reconciler.sync.ownership import ABSENCE_MARKER
from reconciler.systems.personio.events import ABSENCES, HOURS, PERSON_FIELDS, START_FIELD

MOCO, PERSONIO = "moco", "personio"
BOTH = (ABSENCES, HOURS)
MOCO_TARGETS = {"Schedule": (ABSENCES,), "Presence": (HOURS,), "User": BOTH}
MOCO_EVENTS = frozenset({"create", "update", "delete"})
# Personio event names by their kind (the part before the first dot), lower-cased: the period events
# are documented (personio.md section 10); "Person.created/updated/deleted" appear in the event-driven
# guide (developer.personio.de/v2.0/docs/event-driven-data-from-personio). Employment events are not
# read: which employment change matters to identity is not documented, and the nightly full run sees it.
PERSONIO_KINDS = {"absence-period": (ABSENCES,), "attendance-period": (HOURS,), "person": BOTH}
# UNVERIFIED: a person event's payload names its person by PERSON_FIELDS or else by its own `id`.


# ----------------------------------------------------------------------------------------- OWN_WRITE
def own_write(target: str, origin: str | None, record: Mapping[str, Any]) -> bool:
    """Whether a MOCO event was caused by reconcile's own write (see the module docstring)."""
    if target != "Schedule" or (origin or "").strip().lower() != "api":
        return False
    comment = record.get("comment")
    return isinstance(comment, str) and ABSENCE_MARKER.source(comment) is not None


@dataclass(frozen=True)
class Hint:
    """Plan `directions` again for `person` (a MOCO user id for `source` moco, a Personio person id for
    personio) on `days` (ALL_DAYS: the whole window). `person=None`: the event names nobody (a delete);
    plan the directions whole soon, or trace `record` (the id of the record the event names)."""

    source: str
    directions: tuple[str, ...]
    person: int | str | None
    days: frozenset[date]
    record: int | str | None
    event: str  # e.g. "Presence delete", "absence-period.deleted" (for logs; no content)


@dataclass(frozen=True)
class Ignored:
    reason: str


@dataclass(frozen=True)
class Malformed:
    reason: str


Outcome = Hint | Ignored | Malformed


def _json_object(body: bytes) -> dict[str, Any] | Malformed:
    try:
        data = orjson.loads(body)
    except orjson.JSONDecodeError:
        return Malformed("the body is not JSON")
    return data if isinstance(data, dict) else Malformed("the body is not a JSON object")


def _moco_id(value: Any) -> int | None:
    if isinstance(value, int) and not isinstance(value, bool) and value > 0:
        return value
    if isinstance(value, str) and value.isascii() and value.isdigit() and len(value) < 20 and int(value) > 0:
        return int(value)
    return None


def _day(value: Any) -> date | None | Malformed:
    """A payload's `YYYY-MM-DD` (or the date of a date-time); None when absent."""
    if value in (None, ""):
        return None
    try:
        if isinstance(value, str):
            return date.fromisoformat(value[:10])
    except ValueError:
        pass
    return Malformed("not a date")


def moco_hint(body: bytes, headers: Mapping[str, str]) -> Outcome:
    """What a verified MOCO delivery asks to plan again."""
    target, event = header(headers, "X-Moco-Target"), header(headers, "X-Moco-Event")
    if not target or not event:
        return Malformed("missing X-Moco-Target or X-Moco-Event header")
    if target not in MOCO_TARGETS:
        return Ignored(f"MOCO target {target[:40]} is not synced")
    if event not in MOCO_EVENTS:
        return Ignored(f"MOCO event {target} {event[:40]} changes nothing synced")
    record = _json_object(body)
    if isinstance(record, Malformed):
        return Malformed(f"MOCO {target} {event}: {record.reason}")
    name, directions = f"{target} {event}", MOCO_TARGETS[target]
    ident = _moco_id(record.get("id"))
    if ident is None:
        return Malformed(f"MOCO {name}: no record id")
    if own_write(target, header(headers, "X-Moco-Origin"), record):
        return Ignored(f"MOCO {name} {ident}: reconcile's own write (API, absence marker)")
    if target == "User":  # the user is the person, not a record of a direction: no record id travels
        return Hint(MOCO, directions, ident, ALL_DAYS, None, name)
    if event == "delete":
        return Hint(MOCO, directions, None, ALL_DAYS, ident, name)
    user = record.get("user")
    person = _moco_id(user.get("id")) if isinstance(user, dict) else None
    if person is None:
        return Malformed(f"MOCO {name} {ident}: no user.id")
    day = _day(record.get("date"))
    if isinstance(day, Malformed):
        return Malformed(f"MOCO {name} {ident}: date is not YYYY-MM-DD")
    days = frozenset({day}) if day and target == "Presence" else ALL_DAYS
    return Hint(MOCO, directions, person, days, ident, name)


def _personio_id(value: Any) -> str | None:
    if isinstance(value, bool) or not isinstance(value, (int, str)) or value == "":
        return None
    return str(value)


def _personio_person(payload: Mapping[str, Any], *, own_id: bool) -> str | None:
    for name, inner in PERSON_FIELDS:
        value = payload.get(name)
        if inner is not None:
            value = value.get(inner) if isinstance(value, dict) else None
        if _personio_id(value) is not None:
            return _personio_id(value)
    return _personio_id(payload.get("id")) if own_id else None


def personio_hint(body: bytes) -> Outcome:
    """What a verified Personio delivery asks to plan again."""
    envelope = _json_object(body)
    if isinstance(envelope, Malformed):
        return Malformed(f"Personio event: {envelope.reason}")
    name, payload = envelope.get("event_name"), envelope.get("payload")
    if not isinstance(name, str) or not name:
        return Malformed("Personio event: no event_name")
    if not isinstance(payload, dict):
        return Malformed(f"Personio {name}: payload is not an object")
    kind = name.split(".", 1)[0].lower()
    if kind not in PERSONIO_KINDS:
        return Ignored(f"Personio event {name} is not synced")
    directions = PERSONIO_KINDS[kind]
    person = _personio_person(payload, own_id=kind == "person")
    record = _personio_id(payload.get("id"))
    days = ALL_DAYS
    if directions == (HOURS,) and person is not None:
        outer, inner = START_FIELD
        start = payload.get(outer)
        day = _day(start.get(inner) if isinstance(start, dict) else None)
        if isinstance(day, Malformed):
            return Malformed(f"Personio {name}: {outer}.{inner} is not a date-time")
        days = frozenset({day}) if day else ALL_DAYS
    return Hint(PERSONIO, directions, person, days, record, name)
