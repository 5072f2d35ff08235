"""Personio's Webhooks Events API, read as it is: the events of a kind since a moment, what an incremental
run cannot see in Personio's lists (`updated_at.gte` lists no deleted record). Which events a run asks for
and what they mean for its directions is the reading stage's (reconciler/read/deletions.py): here they come
back raw, with the Personio-wide facts of their payloads (`event_person`, `event_day`).

Personio keeps the events of each webhook config for 30 days (`GET /v2/webhooks/{id}/events`, scope
`personio:webhooks:read`), whether or not their delivery succeeded, so a job that only pulls needs no
receiver: one config enabled for the deletion events a run reads is enough. `events_since` finds such a
config (`GET /v2/webhooks`) for each event name asked, and reads its events since the run's bound. When no
config is enabled for an event, or Personio refuses the scope (403) or the endpoint (404), it says so in
notes that tell how to change that. Every assumption about this API that no source confirms is in the
block marked UNVERIFIED below.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from reconciler.errors import NotFound, PermissionDenied
from reconciler.systems.http import MOMENT, Record
from reconciler.systems.http.together import together
from reconciler.systems.personio.client import PersonioClient

SCOPE = "personio:webhooks:read"
KEPT = timedelta(days=30)  # "Only events in the last 30 days will be included."

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
# 4. A period's `payload` names the period's `id`; Personio calls its webhooks "dataless notifications"
#    and no example payload could be read. Where the payload also names the person (`person.id` as the
#    v2 objects do, or `person_id`) and an attendance period's start (`start.date_time`), they are used;
#    what a run does when it names no person is its directions' (sync/direction.py, `untraced`).
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
class Events:
    """What `events_since` found: per event name asked whose config is enabled, the events read (other
    names may be among them: `named` keeps those of one name); sentences for the plan; whether every
    event name asked could be read."""

    found: Mapping[str, list[Record]] = field(default_factory=dict)
    notes: tuple[str, ...] = ()
    read: bool = False

    def named(self, name: str) -> Iterator[Record]:
        """The events of `name` read for it. Every event is checked to have a name; those of other
        names are skipped (an unfiltered read lists every kind its config records)."""
        for event in self.found.get(name, ()):
            found = event.text("event_name")
            if not found:
                raise event.fail("event_name", event.value("event_name"), "an event name")
            if found == name:  # another kind, or the filter was not applied: not this event
                yield event


async def events_since(client: PersonioClient, since: datetime, wanted: Sequence[str],
                       advised: Sequence[str] | None = None, now: datetime | None = None) -> Events:
    """The events of the names `wanted` that occurred at `since` (aware) or later. `advised`: every event
    name reconcile reads this way (the notes tell how to enable them); `wanted` by default."""
    advised = tuple(advised or wanted)
    since = since if since.tzinfo else since.replace(tzinfo=UTC)
    if not wanted:
        return Events(read=True)
    try:
        configs = [_config(r) for r in await client.service.records("/v2/webhooks", {"limit": 100}, "webhook")]
        chosen = {event: config for event in wanted if (config := _choose(configs, event, since))}
        missing = [event for event in wanted if event not in chosen]
        lists = await _read(client, chosen, since, advised)
    except (PermissionDenied, NotFound) as refused:
        return Events(notes=(_refused(refused, advised),))
    notes = [_not_enabled(missing, configs, advised)] if missing else []
    notes += _gaps(chosen.values(), since, now or client.service.last_date)
    return Events(found=dict(zip(chosen, lists, strict=True)), notes=tuple(notes), read=not missing)


def event_person(payload: Record) -> str | None:
    """The Personio person an event's payload names (see UNVERIFIED, 4), or None."""
    for name, inner in PERSON_FIELDS:
        if payload.data.get(name) in (None, ""):
            continue
        return payload.ref(name, number=False) if inner else payload.key(name, number=False)
    return None


def event_day(payload: Record, where: tuple[str, ...]) -> date | None:
    """The day at `where` in an event's payload (a date-time's date), or None when it names none."""
    *outer, last = where
    part: Record | None = payload
    for name in outer:
        part = part.obj(name) if part else None
    moment = part.get(last, MOMENT) if part else None
    return moment.date() if moment else None


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


async def _read(client: PersonioClient, asked: Mapping[str, _Config], since: datetime, advised: Sequence[str]
                ) -> list[list[Record]]:
    """Per event name in `asked`, the events of its config since `since`. A config that records only
    events reconcile reads this way (what the README advises) is read once for all of them, unfiltered:
    one request a run instead of one an event name; any other is read by `event_name`, so that its other
    events never fill the pages."""
    once = {config.id for config in asked.values() if config.events <= set(advised)}
    reads = {f"config {webhook}": _events(client, webhook, None, since) for webhook in sorted(once)}
    reads |= {event: _events(client, config.id, event, since) for event, config in asked.items()
              if config.id not in once}
    found = dict(zip(reads, await together(list(reads.values())), strict=True))
    return [found[f"config {config.id}" if config.id in once else event] for event, config in asked.items()]


async def _events(client: PersonioClient, webhook_id: str, event: str | None, since: datetime) -> list[Record]:
    path = f"/v2/webhooks/{webhook_id}/events"
    params = {"occurred_at.gte": occurred_at(since)} | ({"event_name": event} if event else {})
    return await client.service.records(path, params, "event")


# ------------------------------------------------------------------------------------------- notes


def _how(advised: Iterable[str]) -> str:
    return (f"to see them in incremental runs, enable a Personio webhook for {' and '.join(advised)} "
            f"(POST /v2/webhooks; its URL may be any HTTPS endpoint, since its events are pulled) and give the "
            f"API credential the scope {SCOPE}")


def _not_enabled(missing: list[str], configs: list[_Config], advised: Iterable[str]) -> str:
    disabled = sorted(c.id for c in configs if not c.enabled and set(missing) & c.events)
    found = f"webhook {', '.join(disabled)} lists them but is not enabled" if disabled else \
        f"no enabled Personio webhook records {' or '.join(missing)}"
    return f"deletions in Personio are seen only by a full run: {found}; {_how(advised)}"


def _refused(error: PermissionDenied | NotFound, advised: Iterable[str]) -> str:
    why = f"the API credential lacks the scope {SCOPE}" if isinstance(error, PermissionDenied) else \
        "Personio does not offer its webhooks API here"
    return f"deletions in Personio are seen only by a full run: {why} ({error.call or 'GET /v2/webhooks'} " \
           f"answered {error.status}); {_how(advised)}"


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
