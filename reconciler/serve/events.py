"""A verified webhook delivery, read as a hint: which directions to plan again, for whom, on which days.

Assumes the delivery was authenticated first (signatures.py). Its content is never data to write: a
hint only says which records to re-read, through the same planners as `apply`. Whatever cannot be
read is a `Malformed` reason, never an exception; what concerns no direction is `Ignored` with a reason.

Which deliveries concern which direction, and how one becomes people and days, each direction declares
(sync/direction.py, `Watched`); this module asks the registry and names no direction.

MOCO (everii-Group/mocoapp-api-docs `webhooks.md`; OAS info): `X-Moco-Target` and `X-Moco-Event` say
what changed; the body is the record, except on `delete`, where it holds only the `id`.
- A record (a Schedule, a Presence): its `user.id`, on the day at the place its watchers name (a
  presence's `date`), else on every day (an edit may have moved it from a day the payload no longer
  names). The record id travels along, so an edit that moved it from another day can be traced.
- A person (a User): that user, all days.
- A `delete` of a record names nobody: its hint has `person=None` (plan the directions whole soon, or
  trace the record id), never a guess. `X-Moco-User-Id` names who MADE the change (the docs: "The user ID
  that triggered this hook"), not whose record it is, so it is never the person.

Our own writes (OWN_WRITE below): `X-Moco-Origin: api` alone says any API client did it, so a MOCO event
is ignored only when it came from the API AND its record carries the marker of a direction that writes
MOCO and watches it. A hand edit in MOCO's UI of a marked record is not ignored (that is drift to repair).
Our own deletes cannot be told apart (the payload holds only the id); serve's echoes catch them.

Personio (developer.personio.de/v2.0/reference/webhooks; shared/api/personio.md section 10): an envelope
`{company_id, event_name, occurred_at, payload, meta}`, "dataless". The payload's person is read as
systems/personio/events.py reads it (its UNVERIFIED block, doctor: personio-webhooks: PERSON_FIELDS), a person event's
own `id` otherwise; the day where the watchers name where it lies. Personio sends no origin, so our own writes come
back as hints; serve's echoes catch them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

import orjson

from reconciler.plan.scope import ALL_DAYS, merge_days
from reconciler.serve.signatures import header
from reconciler.sync import registry
from reconciler.sync.direction import MOCO, PERSONIO, Direction, Watched
from reconciler.systems.personio.events import PERSON_FIELDS

MOCO_EVENTS = frozenset({"create", "update", "delete"})
# ID_SHAPES: the shape of the ids the services use; a delivery naming an id of another shape is Malformed, never
# queued (issue 20: a 20,000-character Personio person id made every targeted run's `/v2/persons` request too long
# and stalled webhook sync). MOCO's ids are positive integers (64-bit: below 2**63, at most 19 digits); Personio's
# person and record ids are short strings (numbers, UUIDs; 64 characters leave room) of letters, digits, - and _.
MOCO_ID_MAX = 2**63 - 1
MOCO_ID_DIGITS = 19
PERSONIO_ID_LENGTH = 64
PERSONIO_ID_CHARACTERS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
SHOWN = 60  # the longest text of a delivery (a header, an event name) an answer or a log line repeats


def shown(text: str, limit: int = SHOWN) -> str:
    """A text a delivery controls, as answers and log lines may repeat it: printable ASCII only (anything else,
    a line break, a byte that was not UTF-8, escaped as Python escapes it), cut to `limit` characters."""
    cut = text[:limit]
    escaped = "".join(c if c.isprintable() and c.isascii() else c.encode("unicode_escape", "backslashreplace")
                      .decode("ascii") for c in cut)
    return escaped + ("…" if len(text) > limit else "")
Watchers = Sequence[tuple[Direction, Watched]]


# ----------------------------------------------------------------------------------------- OWN_WRITE
def own_write(watchers: Watchers, origin: str | None, record: Mapping[str, Any]) -> Direction | None:
    """The direction whose own write caused a MOCO event (see the module docstring), or None."""
    comment = record.get("comment")
    if (origin or "").strip().lower() != "api" or not isinstance(comment, str):
        return None
    return next((direction for direction, watched in watchers if direction.system == MOCO and not watched.person
                 and direction.marker.source(comment) is not None), None)


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


class Unshaped(ValueError):
    """An id present but not of the shape the service uses (ID_SHAPES)."""


def _moco_id(value: Any, what: str = "id") -> int | None:
    """A MOCO id (a positive 64-bit integer, or its digits); None when absent; Unshaped when of another shape."""
    if value is None or value == "":
        return None
    if isinstance(value, int) and not isinstance(value, bool) and 0 < value <= MOCO_ID_MAX:
        return value
    if isinstance(value, str) and value.isascii() and value.isdigit() and len(value) <= MOCO_ID_DIGITS \
            and 0 < int(value) <= MOCO_ID_MAX:
        return int(value)
    raise Unshaped(f"no {what} of MOCO's shape (a positive integer below 2**63)")


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
    try:
        return _moco_hint(body, headers)
    except Unshaped as unshaped:
        return Malformed(f"MOCO {shown(header(headers, 'X-Moco-Target') or '')} "
                         f"{shown(header(headers, 'X-Moco-Event') or '')}: {unshaped}")


def _moco_hint(body: bytes, headers: Mapping[str, str]) -> Outcome:
    target, event = header(headers, "X-Moco-Target"), header(headers, "X-Moco-Event")
    if not target or not event:
        return Malformed("missing X-Moco-Target or X-Moco-Event header")
    watchers = registry.watching(MOCO, target)
    if not watchers:
        return Ignored(f"MOCO target {shown(target)} is not synced")
    if event not in MOCO_EVENTS:
        return Ignored(f"MOCO event {shown(target)} {shown(event)} changes nothing synced")
    record = _json_object(body)
    if isinstance(record, Malformed):
        return Malformed(f"MOCO {target} {event}: {record.reason}")
    name, directions = f"{target} {event}", _names(watchers)  # a synced target and a known event: plain words
    ident = _moco_id(record.get("id"), "record id")
    if ident is None:
        return Malformed(f"MOCO {name}: no record id")
    writer = own_write(watchers, header(headers, "X-Moco-Origin"), record)
    if writer is not None:
        return Ignored(f"MOCO {name} {ident}: reconcile's own write (API, {writer.kind} marker)")
    if all(watched.person for _, watched in watchers):  # the user is the person: no record id travels
        return Hint(MOCO, directions, ident, ALL_DAYS, None, name)
    if event == "delete":
        return Hint(MOCO, directions, None, ALL_DAYS, ident, name)
    user = record.get("user")
    person = _moco_id(user.get("id"), "user.id") if isinstance(user, dict) else None
    if person is None:
        return Malformed(f"MOCO {name} {ident}: no user.id")
    days = _days(watchers, record)
    if isinstance(days, Malformed):
        return Malformed(f"MOCO {name} {ident}: {days.reason} is not YYYY-MM-DD")
    return Hint(MOCO, directions, person, days, ident, name)


def _names(watchers: Watchers) -> tuple[str, ...]:
    return tuple(dict.fromkeys(direction.name for direction, _ in watchers))


def _days(watchers: Watchers, record: Mapping[str, Any]) -> frozenset[date] | Malformed:
    """The days a record's event asks to plan: the day at the place each watcher names it, else every day
    (ALL_DAYS); several watchers: all their days. Malformed names the place that holds no date."""
    days: frozenset[date] = frozenset()
    for _, watched in watchers:
        if watched.day is None:
            return ALL_DAYS
        value: Any = record
        for part in watched.day:
            value = value.get(part) if isinstance(value, dict) else None
        day = _day(value)
        if isinstance(day, Malformed):
            return Malformed(".".join(watched.day))
        days = merge_days(days, frozenset({day}) if day else ALL_DAYS)
    return days or ALL_DAYS


def _personio_id(value: Any, what: str = "id") -> str | None:
    """A Personio id (ID_SHAPES) as a string; None when absent; Unshaped when of another shape."""
    if value is None or value == "":
        return None
    if isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= MOCO_ID_MAX:
        return str(value)
    if isinstance(value, str) and len(value) <= PERSONIO_ID_LENGTH and set(value) <= PERSONIO_ID_CHARACTERS:
        return value
    raise Unshaped(f"its {what} is not of Personio's shape (at most {PERSONIO_ID_LENGTH} letters, digits, - or _)")


def _personio_person(payload: Mapping[str, Any], *, own_id: bool) -> str | None:
    for name, inner in PERSON_FIELDS:
        value = payload.get(name)
        if inner is not None:
            value = value.get(inner) if isinstance(value, dict) else None
        found = _personio_id(value, "person id")
        if found is not None:
            return found
    return _personio_id(payload.get("id"), "person id") if own_id else None


def personio_hint(body: bytes) -> Outcome:
    """What a verified Personio delivery asks to plan again."""
    try:
        return _personio_hint(body)
    except Unshaped as unshaped:
        return Malformed(f"Personio event: {unshaped}")


def _personio_hint(body: bytes) -> Outcome:
    envelope = _json_object(body)
    if isinstance(envelope, Malformed):
        return Malformed(f"Personio event: {envelope.reason}")
    name, payload = envelope.get("event_name"), envelope.get("payload")
    if not isinstance(name, str) or not name:
        return Malformed("Personio event: no event_name")
    if not isinstance(payload, dict):
        return Malformed(f"Personio {shown(name)}: payload is not an object")
    kind = name.split(".", 1)[0].lower()
    employment = kind == "employment"  # a person's employment (their status): that person, if it names them
    watchers = registry.watching(PERSONIO, "person" if employment else kind)
    if not watchers:
        return Ignored(f"Personio event {shown(name)} is not synced")
    people = all(watched.person for _, watched in watchers)
    person = _personio_person(payload, own_id=people and not employment)
    if employment and person is None:
        return Ignored(f"Personio {shown(name)} names no person: the interval run reads it from the webhook's events")
    record = _personio_id(payload.get("id"), "record id")
    days = ALL_DAYS
    if person is not None and not people:
        found = _days(watchers, payload)
        if isinstance(found, Malformed):
            return Malformed(f"Personio {shown(name)}: {found.reason} is not a date-time")
        days = found
    return Hint(PERSONIO, _names(watchers), person, days, record, shown(name))
