"""Personio's Webhooks Events API, read as it is: the events of some kinds since a moment, which tell an
incremental run what changed in Personio without polling its lists (Personio forbids repetitive polling
where webhooks exist) and what its lists cannot show at all (`updated_at.gte` lists no deleted record). Which
events a run asks for and what they mean for its directions is the reading stage's (reconciler/read/
personio.py): here they come back raw, with the Personio-wide facts of their payloads (`event_person`,
`event_day`).

Personio keeps the events of each webhook config for 30 days (`GET /v2/webhooks/{id}/events`, scope
`personio:webhooks:read`), whether or not their delivery succeeded, so a job that only pulls needs no
receiver: one config enabled for the events a run reads is enough. `events_since` finds such a config
(`GET /v2/webhooks`) for each event name asked, and reads its events since the run's bound. When no config
is enabled for an event it must have, or Personio refuses the scope (403) or the endpoint (404), it says so
in notes that tell how to change that; a config without `enabled_events` and an event without a name are
skipped, and the notes say so. Every assumption about this API that no source confirms is in the
block marked UNVERIFIED below (doctor: personio-webhooks).
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
#    documented; EVENTS_PAGE is sent as `limit` (the configs list documents 1-200), and every page is followed.
# 2. An event in that list is the delivered envelope `{company_id, event_name, occurred_at, payload, meta}`,
#    perhaps with an `id`.
# 3. `occurred_at.gte` takes an RFC 3339 date-time in UTC with `Z`, as the reference's example
#    (`2023-01-01T12:00:00.000Z`) has it, unlike the v2 lists' date-time filters, which refuse a `Z`.
# 4. A period's `payload` names the period's `id`; Personio calls its webhooks "dataless notifications"
#    and no example payload could be read. Where the payload also names the person (`person.id` as the
#    v2 objects do, or `person_id`) and an attendance period's start (`start.date_time`), they are used;
#    what a run does when it names no person is its directions' (sync/direction.py, `untraced`).
# 5. A config's `status` reads `ENABLED` while it records events; a config without `status` is taken as
#    enabled. Its `created_at`, when given, says since when it records. A config without a list of
#    `enabled_events` records nothing reconcile can name: it is skipped, and the notes say so.
# 6. The names of the events that say a record was created or changed: the period events Personio
#    documents (developer.personio.de/docs/attendance-and-absence-events, the "Absence Webhooks - Status
#    Updated" changelog), `person.*`, and `employment.*` for a person's employment (personio.md §13.4;
#    their suffixes are not documented: those of persons are assumed). A person event's payload `id` is the
#    person; an employment event names its person as a period event does (PERSON_FIELDS), or nobody.
# All of it: UNVERIFIED (doctor: personio-webhooks).
PERSON_FIELDS = (("person", "id"), ("person_id", None))
EVENTS_PAGE = 100
CHANGE_EVENTS = {
    "absence-period": ("created", "updated.timerange", "updated.status"),
    "attendance-period": ("created", "updated"),
    "person": ("created", "updated"),
    "employment": ("created", "updated", "deleted"),
}
START_FIELD = ("start", "date_time")
ENABLED = "ENABLED"


def occurred_at(moment: datetime) -> str:
    """A moment for the events list's `occurred_at` filters (see UNVERIFIED, 3; doctor: personio-webhooks)."""
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
    webhooks: tuple[str, ...] = ()  # the ids of the configs whose events were read

    def named(self, name: str) -> Iterator[Record]:
        """The events of `name` read for it; those of other names are skipped (an unfiltered read lists
        every kind its config records). Events without a name were left out when read (notes say so)."""
        for event in self.found.get(name, ()):
            if event.text("event_name") == name:  # another kind, or the filter was not applied: not this event
                yield event


async def events_since(client: PersonioClient, since: datetime, wanted: Sequence[str],
                       advised: Sequence[str] | None = None, now: datetime | None = None,
                       optional: Sequence[str] = ()) -> Events:
    """The events of the names `wanted` (and of `optional`, where a config records them; the caller says
    what their absence means) that occurred at `since` (aware) or later. `advised`: every event name
    reconcile reads this way (the notes tell how to enable them); `wanted` by default. `read`: every name
    of `wanted` could be read."""
    advised = tuple(advised or wanted)
    since = since if since.tzinfo else since.replace(tzinfo=UTC)
    asked = list(dict.fromkeys([*wanted, *optional]))
    if not asked:
        return Events(read=True)
    try:
        rows = await client.service.records("/v2/webhooks", {"limit": 100}, "webhook")
        read = [(row, _config(row)) for row in rows]
        configs = [config for _, config in read if config is not None]
        chosen = {event: config for event in asked if (config := _choose(configs, event, since))}
        missing = [event for event in wanted if event not in chosen]
        lists = await _read(client, chosen, since, [*advised, *asked])
    except (PermissionDenied, NotFound) as refused:
        return Events(notes=(_refused(refused, advised),))
    unnamed = [row.key(number=False) if row.data.get("id") not in (None, "") else "?" for row, c in read if c is None]
    notes = [f"Personio webhook {', '.join(unnamed)} lists no enabled_events: skipped"] if unnamed else []
    notes += [_not_enabled(missing, configs, advised)] if missing else []
    kept = [[event for event in found if event.text("event_name")] for found in lists]
    distinct = {id(found): len(found) - len(named) for found, named in zip(lists, kept, strict=True)}  # read once
    nameless = sum(distinct.values())
    if nameless:
        notes.append(f"{nameless} Personio webhook event{'s' if nameless != 1 else ''} without an event_name: skipped")
    notes += _gaps(chosen.values(), since, now or client.service.last_date)
    return Events(found=dict(zip(chosen, kept, strict=True)), notes=tuple(notes), read=not missing and bool(wanted),
                  webhooks=tuple(sorted({config.id for config in chosen.values()})))


def event_person(payload: Record) -> str | None:
    """The Personio person an event's payload names (see UNVERIFIED, 4; doctor: personio-webhooks), or None."""
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


def _config(r: Record) -> _Config | None:
    """A config as read; None for one without a list of `enabled_events` (see UNVERIFIED, 5;
    doctor: personio-webhooks)."""
    if r.data.get("enabled_events") is None:
        return None
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
    params = {"occurred_at.gte": occurred_at(since), "limit": EVENTS_PAGE} | ({"event_name": event} if event else {})
    return await client.service.records(path, params, "event")


# ------------------------------------------------------------------------------------------- notes


def _how(advised: Iterable[str]) -> str:
    return (f"to see them in incremental runs, enable a Personio webhook for {', '.join(advised)} "
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
