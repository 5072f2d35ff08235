"""Deletions in Personio since a moment, from its Webhooks Events API: what an incremental run cannot
see in Personio's lists (`updated_at.gte` lists no deleted record).

Personio keeps the events of each webhook config for 30 days (`GET /v2/webhooks/{id}/events`, scope
`personio:webhooks:read`), whether or not their delivery succeeded, so a job that only pulls needs no
receiver: one config enabled for `absence-period.deleted` and `attendance-period.deleted` is enough.
`deleted_since` finds such a config (`GET /v2/webhooks`), reads its deletion events since the run's
bound, and says per direction which people to plan again:

- `absences_to_moco`: the person of a deleted absence period, over their whole window (its synced MOCO
  absences must go; the period may have moved before it was deleted, so its last days say little);
- `hours_to_personio`: the person of a deleted attendance period, on its day when the event says it,
  else over their whole window (MOCO is the source of truth: a synced period deleted in Personio is
  written again).

A deletion whose event names no person is never dropped: the direction is planned whole where that is
cheap (PLAN_WHOLE_WHEN_UNTRACED), and otherwise the plan says a full run is needed. When no config is
enabled for these events, or Personio refuses the scope (403) or the endpoint (404), the run goes on
as before and the plan says that Personio's deletions are seen only by a full run, and how to change
that. Every assumption about this API that no source confirms is in the block marked UNVERIFIED below.
"""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from reconciler.errors import NotFound, PermissionDenied
from reconciler.sync.direction import ALL_DAYS, Touched
from reconciler.systems.http import MOMENT, Record
from reconciler.systems.http.together import together
from reconciler.systems.personio.client import PersonioClient

ABSENCES, HOURS = "absences_to_moco", "hours_to_personio"  # the directions' names (sync/registry.py)
DELETED = {ABSENCES: "absence-period.deleted", HOURS: "attendance-period.deleted"}  # documented event names
SCOPE = "personio:webhooks:read"
KEPT = timedelta(days=30)  # "Only events in the last 30 days will be included."

# What an incremental run does with a deletion whose event names no person: plan the direction whole
# where its full read is small (absences: MOCO schedules and Personio absence periods, a few percent of a
# full run), and leave the rest to the nightly full run, saying so in the plan (working hours: presences
# and attendance periods are nearly all of a full run's requests, issue 12).
PLAN_WHOLE_WHEN_UNTRACED = frozenset({ABSENCES})

# ----------------------------------------------------------------------------------------- UNVERIFIED
# Sources: developer.personio.de/reference/get_v2-webhooks-id-events.md and …/get_v2-webhooks.md (OpenAPI
# excerpts), …/v2.0/reference/webhooks (the event envelope), …/docs/attendance-and-absence-events.
# 1. The events list answers like every v2 list: records in `_data`, the next page in
#    `_meta.links.next.href` (the reference's response schema could not be read). Its page size is not
#    known either, so no `limit` is sent (the server's default), and every page is followed.
# 2. An event in that list is the delivered envelope `{company_id, event_name, occurred_at, payload, meta}`,
#    perhaps with an `id`.
# 3. `occurred_at.gte` takes an RFC 3339 date-time in UTC with `Z`, as the reference's example
#    (`2023-01-01T12:00:00.000Z`) has it, unlike the v2 lists' date-time filters, which refuse a `Z`.
# 4. A deletion's `payload` names the period's `id`; Personio calls its webhooks "dataless notifications"
#    and no example payload could be read. Where the payload also names the person (`person.id` as the
#    v2 objects do, or `person_id`) and the period's start (`start.date_time` of an attendance period),
#    they are used; where it names no person, see PLAN_WHOLE_WHEN_UNTRACED.
# 5. A config's `status` reads `ENABLED` while it records events; a config without `status` is taken as
#    enabled. Its `created_at`, when given, says since when it records.
PERSON_FIELDS = (("person", "id"), ("person_id", None))
START_FIELD = ("start", "date_time")
ENABLED = "ENABLED"


def occurred_at(moment: datetime) -> str:
    """A moment for the events list's `occurred_at` filters (see UNVERIFIED, 3)."""
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
# ----------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Deletions:
    """What was deleted in Personio since a moment: per direction the people (and days) to plan again,
    the directions to plan whole (a deletion there names no person), and sentences for the plan."""

    touched: Mapping[str, Touched] = field(default_factory=dict)
    whole: frozenset[str] = frozenset()
    notes: tuple[str, ...] = ()
    read: bool = False  # whether all of Personio's deletions asked for could be read (else `notes` say why)

    def add_to(self, touched: Mapping[str, Touched]) -> dict[str, Touched]:
        """`touched` (what each direction's updated-after reads found) with these deletions' people and
        days added; only for the directions in `touched`."""
        out = {}
        for name, found in touched.items():
            extra = self.touched.get(name, Touched()).personio
            personio = {person: frozenset(found.personio.get(person, frozenset()) | extra.get(person, frozenset()))
                        for person in {*found.personio, *extra}}
            out[name] = dataclasses.replace(found, personio=personio)
        return out


async def deleted_since(client: PersonioClient, since: datetime, directions: Collection[str] = (ABSENCES, HOURS),
                        now: datetime | None = None) -> Deletions:
    """Personio's deletions of absence and attendance periods at `since` (aware) or later, for `directions`."""
    wanted = {name: DELETED[name] for name in DELETED if name in directions}
    since = since if since.tzinfo else since.replace(tzinfo=UTC)
    if not wanted:
        return Deletions(read=True)
    try:
        configs = [_config(r) for r in await client.service.records("/v2/webhooks", {"limit": 100}, "webhook")]
        chosen = {name: config for name, event in wanted.items() if (config := _choose(configs, event, since))}
        missing = [event for name, event in wanted.items() if name not in chosen]
        lists = await _read(client, {name: (config, wanted[name]) for name, config in chosen.items()}, since)
    except (PermissionDenied, NotFound) as refused:
        return Deletions(notes=(_refused(refused),))
    touched, whole = {}, set()
    notes = [_not_enabled(missing, configs)] if missing else []
    notes += _gaps(chosen.values(), since, now or client.service.last_date)
    for name, found in zip(chosen, lists, strict=True):
        event = wanted[name]
        persons, untraced = _persons(found, event, days=name == HOURS)
        touched[name] = Touched(personio=persons)
        if untraced:
            notes.append(_untraced(name, event, untraced))
            if name in PLAN_WHOLE_WHEN_UNTRACED:
                whole.add(name)
    return Deletions(touched=touched, whole=frozenset(whole), notes=tuple(notes), read=not missing)


# ------------------------------------------------------------------------------------------- reading


@dataclass(frozen=True)
class _Config:
    id: str
    events: frozenset[str]
    enabled: bool
    status: str
    created_at: datetime | None


def _config(r: Record) -> _Config:
    events = r.value("enabled_events")
    if not isinstance(events, list) or not all(isinstance(e, str) for e in events):
        raise r.fail("enabled_events", events, "a list of event names")
    status = r.text("status")
    created = r.get("created_at", MOMENT)
    return _Config(id=r.key(number=False), events=frozenset(events), enabled=status.upper() in ("", ENABLED),
                   status=status, created_at=created if created is None or created.tzinfo else
                   created.replace(tzinfo=UTC))


def _choose(configs: list[_Config], event: str, since: datetime) -> _Config | None:
    """The enabled config recording `event`: one that recorded since `since` if any, then by id."""
    usable = [c for c in configs if c.enabled and event in c.events]
    usable.sort(key=lambda c: (c.created_at is not None and c.created_at > since, c.id))
    return usable[0] if usable else None


async def _read(client: PersonioClient, asked: Mapping[str, tuple[_Config, str]], since: datetime
                ) -> list[list[Record]]:
    """Per direction in `asked`, the events of its config and kind since `since`. A config that records
    only deletions (what the README advises for this job) is read once for every kind, unfiltered: one
    request a run instead of one a kind; any other is read by `event_name`, so that its created and
    updated events never fill the pages."""
    once = {config.id for config, _event in asked.values() if config.events <= set(DELETED.values())}
    reads = {webhook: _events(client, webhook, None, since) for webhook in sorted(once)}
    reads |= {name: _events(client, config.id, event, since) for name, (config, event) in asked.items()
              if config.id not in once}
    found = dict(zip(reads, await together(list(reads.values())), strict=True))
    return [found[config.id if config.id in once else name] for name, (config, _event) in asked.items()]


async def _events(client: PersonioClient, webhook_id: str, event: str | None, since: datetime) -> list[Record]:
    path = f"/v2/webhooks/{webhook_id}/events"
    params = {"occurred_at.gte": occurred_at(since)} | ({"event_name": event} if event else {})
    return await client.service.records(path, params, "event")


def _persons(events: Iterable[Record], wanted: str, *, days: bool) -> tuple[dict[str, frozenset[date]], int]:
    """The people the `wanted` deletion events name, with their days (ALL_DAYS unless `days` and the event
    says its day), and how many deletions named nobody (each period counted once). Every event is checked
    to have a name; those of other names are skipped (an unfiltered read lists both kinds)."""
    found: dict[str, set[date]] = defaultdict(set)
    untraced: set[Any] = set()
    for number, event in enumerate(events):
        name = event.text("event_name")
        if not name:
            raise event.fail("event_name", event.value("event_name"), "an event name")
        if name != wanted:  # another kind, or the filter was not applied: not this deletion
            continue
        payload = event.obj("payload")
        person = _person(payload) if payload else None
        if person is None:
            ident = payload.value("id") if payload else None
            untraced.add(ident if isinstance(ident, (str, int)) and not isinstance(ident, bool) else ("#", number))
            continue
        start = _start(payload) if days and payload else None
        found[person] |= {start} if start else ALL_DAYS
    return {person: ALL_DAYS if ALL_DAYS <= days_ else frozenset(days_) for person, days_ in found.items()}, \
        len(untraced)


def _person(payload: Record) -> str | None:
    for name, inner in PERSON_FIELDS:
        if payload.data.get(name) in (None, ""):
            continue
        return payload.ref(name, number=False) if inner else payload.key(name, number=False)
    return None


def _start(payload: Record) -> date | None:
    outer, inner = START_FIELD
    part = payload.obj(outer)
    moment = part.get(inner, MOMENT) if part else None
    return moment.date() if moment else None


# ------------------------------------------------------------------------------------------- notes


def _how() -> str:
    return (f"to see them in incremental runs, enable a Personio webhook for {' and '.join(DELETED.values())} "
            f"(POST /v2/webhooks; its URL may be any HTTPS endpoint, since its events are pulled) and give the "
            f"API credential the scope {SCOPE}")


def _not_enabled(missing: list[str], configs: list[_Config]) -> str:
    disabled = sorted(c.id for c in configs if not c.enabled and set(missing) & c.events)
    found = f"webhook {', '.join(disabled)} lists them but is not enabled" if disabled else \
        f"no enabled Personio webhook records {' or '.join(missing)}"
    return f"deletions in Personio are seen only by a full run: {found}; {_how()}"


def _refused(error: PermissionDenied | NotFound) -> str:
    why = f"the API credential lacks the scope {SCOPE}" if isinstance(error, PermissionDenied) else \
        "Personio does not offer its webhooks API here"
    return f"deletions in Personio are seen only by a full run: {why} ({error.call or 'GET /v2/webhooks'} " \
           f"answered {error.status}); {_how()}"


def _gaps(configs: Iterable[_Config], since: datetime, now: datetime | None) -> list[str]:
    """What the events cannot cover: before Personio's 30 days, or before the config existed."""
    notes = []
    if now is not None and since < now - KEPT:
        notes.append(f"Personio keeps webhook events 30 days: deletions before {now - KEPT:%Y-%m-%d %H:%M} UTC are "
                     "seen only by a full run")
    late = sorted({c.created_at for c in configs if c.created_at and c.created_at > since})
    if late:
        notes.append(f"the Personio webhook read was created at {late[-1]:%Y-%m-%d %H:%M} UTC: deletions before "
                     "then are seen only by a full run")
    return notes


TITLES = {ABSENCES: "absences Personio → MOCO", HOURS: "working hours MOCO → Personio"}


def _untraced(name: str, event: str, count: int) -> str:
    what = f"{count} {event} event{'s' if count != 1 else ''} in Personio name{'s' if count == 1 else ''} no person"
    if name in PLAN_WHOLE_WHEN_UNTRACED:
        return f"{what}: {TITLES[name]} is planned whole"
    return f"{what}: the working hours those periods held are written again by a full run (without --changed-since)"
