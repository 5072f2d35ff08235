"""Personio's webhook configs and their events, as incremental runs read them (systems/personio/events.py,
read/personio.py): which config records which period, person and employment events, whether its events can
be read, and what an event holds (its keys, never a value).

Reads `GET /v2/webhooks` (every page) and, per enabled config recording an event reconcile reads, the first
page of `GET /v2/webhooks/{id}/events` (10 events of the last 30 days).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from reconciler.doctor.model import Check, Status, counted, warned, worst
from reconciler.doctor.reads import Context, refused, trouble
from reconciler.errors import ApiError, NotFound, Rejected
from reconciler.read.personio import PEOPLE, changes, deleted
from reconciler.spec import Spec
from reconciler.sync import registry
from reconciler.sync.direction import PERSONIO
from reconciler.systems.http import Service
from reconciler.systems.personio.events import ENABLED, KEPT, SCOPE, occurred_at

NAME = "personio-webhooks"
KINDS = ("absence-period.", "attendance-period.", "person.", "employment.")
EVENTS_SHOWN = 10


@dataclass(frozen=True)
class Config:
    id: str
    status: str
    events: tuple[str, ...] | None  # None: no list of enabled_events
    shape: str = ""  # what is wrong with `enabled_events`, when it is there but no list of names

    @property
    def enabled(self) -> bool:
        return self.status.upper() in ("", ENABLED)


@dataclass(frozen=True)
class Events:
    """The first page of one config's events: how many, their names, the keys of the envelope and payload."""

    count: int
    more: bool
    names: Mapping[str, int]
    envelope: tuple[str, ...]
    payload: tuple[str, ...]
    trouble: str = ""  # why they could not be read


def wanted(spec: Spec) -> tuple[list[str], list[str]]:
    """The events incremental runs of this spec read: deletions (else seen only by a full run), and changes
    (else polled from Personio's lists)."""
    active = [direction for direction in registry.DIRECTIONS if direction.off(spec) is None]
    kinds = [w for d in active for w in d.watches if w.system == PERSONIO and not w.person]
    people = any(w.system == PERSONIO and w.person for d in active for w in d.watches)
    deletions = list(dict.fromkeys(deleted(kind) for kind in kinds))
    names = [name for kind in kinds for name in changes(kind.name)]
    if people:  # employment events are read where a config records them, never polled: not asked for here
        names += [name for kind in PEOPLE if kind != "employment" for name in changes(kind)]
    return deletions, list(dict.fromkeys(names))


async def personio_webhooks(ctx: Context) -> Check:
    service = ctx.clients.personio.service
    deletions, names = wanted(ctx.spec)
    try:
        rows = await service.pages("/v2/webhooks", {"limit": 100})
    except ApiError as error:
        if refused(error):
            return warned(NAME, f"{trouble(error)}: incremental runs then poll Personio's lists for changes and "
                                "leave its deletions to the full run")
        if isinstance(error, NotFound):
            return warned(NAME, "GET /v2/webhooks answered 404 (Personio offers no webhooks API here): incremental "
                                "runs poll Personio's lists for changes and leave its deletions to the full run")
        raise
    configs = [_config(row) for row in rows]
    read = [c for c in configs if c.enabled and c.events and set(c.events) & {*deletions, *names}]
    found = {c.id: await _events(service, c.id) for c in read}
    return judge_webhooks(configs, found, deletions, names)


def _config(row: dict[str, Any]) -> Config:
    ident = row.get("id")
    status = row.get("status")
    events = row.get("enabled_events")
    shape = "" if events is None or (isinstance(events, list) and all(isinstance(e, str) for e in events)) else \
        "not a list of event names"
    return Config(id=str(ident) if isinstance(ident, (str, int)) and not isinstance(ident, bool) else "(no id)",
                  status=status if isinstance(status, str) else "",
                  events=tuple(events) if isinstance(events, list) and not shape else None, shape=shape)


async def _events(service: Service, webhook: str) -> Events:
    path = f"/v2/webhooks/{webhook}/events"
    since = {"occurred_at.gte": occurred_at(datetime.now(UTC) - KEPT + timedelta(minutes=1))}
    try:
        try:
            response = await service.request("GET", path, params={**since, "limit": EVENTS_SHOWN})
        except Rejected:  # the events list's page size is not documented: the server's own then
            response = await service.request("GET", path, params=since)
    except ApiError as error:
        return Events(0, False, {}, (), (), trouble(error))
    body = response.body
    data = body.get("_data", body.get("data")) if isinstance(body, dict) else None
    if not isinstance(data, list):
        return Events(0, False, {}, (), (), f"GET {path} answered no `_data` list")
    events = [event for event in data if isinstance(event, dict)]
    meta = body.get("_meta") if isinstance(body, dict) else None
    links = meta.get("links") if isinstance(meta, dict) else None
    more = isinstance(links, dict) and isinstance(links.get("next"), dict)
    names = Counter(str(e.get("event_name")) if isinstance(e.get("event_name"), str) else "no event_name"
                    for e in events)
    return Events(len(events), more, names, tuple(sorted({key for e in events for key in e})),
                  tuple(sorted({key for e in events for key in _keys(e.get("payload"))})))


def _keys(payload: Any) -> list[str]:
    """The keys of a payload, one level down as `person.id`; never a value."""
    if not isinstance(payload, dict):
        return []
    return [f"{key}.{inner}" if isinstance(value, dict) and value else key
            for key, value in payload.items() for inner in (value if isinstance(value, dict) and value else [""])]


def judge_webhooks(configs: Sequence[Config], found: Mapping[str, Events], deletions: Sequence[str],
                   names: Sequence[str]) -> Check:
    if not configs:
        return warned(NAME, f"no Personio webhook config: incremental runs poll Personio's lists for changes and "
                            f"leave its deletions to the full run; to see them, create one enabled for "
                            f"{' and '.join(deletions) or 'the deletion events'} (POST /v2/webhooks; any HTTPS URL, "
                            f"its events are pulled) and give the API credential {SCOPE}")
    verdicts: list[tuple[Status, str]] = [("pass", "; ".join(_described(c) for c in configs))]
    for config in configs:
        if config.shape:
            verdicts.append(("fail", f"webhook {config.id}'s enabled_events is {config.shape}: an incremental run "
                                     "stops reading it"))
        elif config.events is None:
            verdicts.append(("warn", f"webhook {config.id} lists no enabled_events: reconcile cannot tell what it "
                                     "records, and skips it"))
    recorded = {event for c in configs if c.enabled and c.events for event in c.events}
    lost = [name for name in deletions if name not in recorded]
    if lost:
        verdicts.append(("warn", f"no enabled config records {', '.join(lost)}: those deletions are seen only by a "
                                 "full run"))
    polled = [name for name in names if name not in recorded]
    if polled:
        verdicts.append(("warn", f"no enabled config records {_grouped(polled)}: incremental runs poll Personio's "
                                 "updated_at lists for those changes, which Personio permits only where no webhook "
                                 "offers them; enable those events (README, \"What changed in Personio\")"))
    for ident, events in found.items():
        verdicts.append(_judge_events(ident, events))
    return worst(NAME, verdicts)


def _grouped(names: Sequence[str]) -> str:
    """`absence-period.created/.updated.status, person.created/.updated`: event names by the kind they begin with."""
    kinds: dict[str, list[str]] = {}
    for name in names:
        kind, _, rest = name.partition(".")
        kinds.setdefault(kind, []).append(rest)
    return ", ".join(f"{kind}.{'/.'.join(rests)}" for kind, rests in kinds.items())


def _described(config: Config) -> str:
    events = [e for e in config.events or () if e.startswith(KINDS)]
    what = ", ".join(events) if events else "no period, person or employment event" if config.events is not None \
        else "no enabled_events"
    return f"webhook {config.id} {config.status or 'without status (taken as enabled)'}: {what}"


def _judge_events(ident: str, events: Events) -> tuple[Status, str]:
    if events.trouble:
        return "warn", f"the events of webhook {ident} cannot be read ({events.trouble}): incremental runs then " \
                       "leave Personio's deletions to the full run"
    if not events.count:
        return "pass", f"webhook {ident}'s events are readable (none in the last 30 days)"
    count = f"{events.count}{'+' if events.more else ''}"
    person = any(key in ("person.id", "person_id") for key in events.payload)
    does = "the person is named: reconcile plans that person's days" if person else \
        "no person is named: a deletion then plans the direction whole, or says it is left to the full run"
    return "pass", (f"webhook {ident}'s events are readable ({count} in the last 30 days: {counted(events.names)}); "
                    f"event keys: {', '.join(events.envelope)}; payload keys: {', '.join(events.payload) or 'none'} "
                    f"({does})")
