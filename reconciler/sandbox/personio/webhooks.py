"""Personio webhooks: the configs (`GET /v2/webhooks`) and each config's events (`GET /v2/webhooks/{id}/events`),
and `record`, which every create, update and delete of an absence or attendance period calls (the API's and
the side door's), so that the events list holds what happened; a person's employment changed through the side
door raises `employment.updated`.

What Personio documents (developer.personio.de/reference/get_v2-webhooks-id-events.md, …/get_v2-webhooks.md,
…/v2.0/reference/webhooks): both need the scope `personio:webhooks:read`; the configs list filters by
`enabled_events` and `status`, pages by cursor with `limit` 1-200 (default 100); the events list keeps 30
days and filters by `occurred_at.gte`, `occurred_at.lte` (date-times, the example `2023-01-01T12:00:00.000Z`)
and `event_name`; an event is `{company_id, event_name, occurred_at, payload, meta}`. A config with a
`token` (sandbox-only, set through the side door) also has each event POSTed to its `url`
(`state.deliver`, the sandbox's outbox); without one the stand-in only keeps the events for the list.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
from aiohttp import web

from reconciler.sandbox.deliveries import Outbox
from reconciler.sandbox.personio.errors import bad_request, not_found, problem
from reconciler.sandbox.personio.records import (
    EMPLOYMENT_FIELDS,
    PersonioAbsencePeriod,
    PersonioAttendancePeriod,
    PersonioPerson,
    PersonioState,
    PersonioWebhook,
    PersonioWebhookEvent,
)
from reconciler.sandbox.personio.service import PersonioService

SCOPE = "personio:webhooks:read"
KEPT = timedelta(days=30)  # "Only events in the last 30 days will be included."
# UNVERIFIED (doctor: personio-webhooks): the events list's page size. The configs list documents limit 1-200, default
# 100; the same here.
MAX_LIMIT, DEFAULT_LIMIT = 200, 100


def event_payload(record: PersonioAbsencePeriod | PersonioAttendancePeriod | PersonioPerson, names_person: bool,
                  *, employment: bool = False) -> dict[str, Any]:
    """What an event's `payload` holds. UNVERIFIED (doctor: personio-webhooks): Personio calls its webhooks
    dataless notifications and no example payload of a period event could be read; the stand-in sends the
    period's id and, unless its config says otherwise (`names_person`, sandbox-only), the person's, as the
    v2 objects name it. A person event's payload is the person's id; an employment event's (`employment`) is
    the employment's id and, as a period's, its person's."""
    if isinstance(record, PersonioPerson):
        if not employment:
            return {"id": record.id}
        ident = record.employment_id or f"employment-{record.id}"
        return {"id": ident, "person": {"id": record.id}} if names_person else {"id": ident}
    return {"id": record.id, "person": {"id": record.person_id}} if names_person else {"id": record.id}


def record(state: PersonioState, event_name: str,
           period: PersonioAbsencePeriod | PersonioAttendancePeriod | PersonioPerson) -> None:
    """An event for every enabled config whose `enabled_events` include `event_name` (an `employment.*` event's
    record is the person whose employment it is)."""
    occurred = datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    for config in state.webhooks.values():
        if config.status == "ENABLED" and event_name in (config.enabled_events or ()):
            event = PersonioWebhookEvent(
                id=str(uuid.uuid4()), webhook_id=config.id, event_name=event_name, occurred_at=occurred,
                payload=event_payload(period, config.names_person,
                                      employment=event_name.startswith("employment.")))
            state.webhook_events.append(event)
            if config.token and state.deliver is not None:
                state.deliver(config, event)


def delivery_to(outbox: Outbox) -> Callable[[PersonioWebhook, PersonioWebhookEvent], None]:
    """What `state.deliver` is in a running sandbox: POST the event (its envelope, as the events list shows
    it) to the config's url with the config's token as the whole Authorization header."""

    def deliver(config: PersonioWebhook, event: PersonioWebhookEvent) -> None:
        outbox.send("personio", event.event_name, config.url,
                    {"Content-Type": "application/json", "Authorization": config.token or ""},
                    orjson.dumps(event.to_api()))

    return deliver


def absence_updated(state: PersonioState, before: dict[str, Any], after: PersonioAbsencePeriod) -> None:
    """The events of a changed absence period: Personio notifies a changed time range and a changed
    status; other changes (a comment, a certificate) raise none."""
    if (before.get("starts_from"), before.get("starts_type"), before.get("ends_at"), before.get("ends_type")) != (
            after.starts_from, after.starts_type, after.ends_at, after.ends_type):
        record(state, "absence-period.updated.timerange", after)
    if before.get("status") != after.status:
        record(state, "absence-period.updated.status", after)


SANDBOX_ONLY = {"locked"}  # fields of a stored period that Personio does not have: changing them raises no event


def side_door_changed(state: PersonioState, collection: str, before: dict[str, Any],
                      after: PersonioAbsencePeriod | PersonioAttendancePeriod | PersonioPerson | None) -> None:
    """The events of a period or person the side door changed (`after`) or deleted (None); other collections
    raise none."""
    if collection == "persons":
        person = after if isinstance(after, PersonioPerson) else PersonioPerson(**before)
        if after is None:
            record(state, "person.deleted", person)
            return
        changed = {name for name, value in vars(person).items() if before.get(name) != value and name != "updated_at"}
        if changed & set(EMPLOYMENT_FIELDS):  # Personio keeps these on the employment: its own event
            record(state, "employment.updated", person)
        if not changed or changed - set(EMPLOYMENT_FIELDS):
            record(state, "person.updated", person)
        return
    kind = {"absence_periods": "absence-period", "attendance_periods": "attendance-period"}.get(collection)
    if kind is None:
        return
    if after is None:
        period_type = PersonioAbsencePeriod if kind == "absence-period" else PersonioAttendancePeriod
        record(state, f"{kind}.deleted", period_type(**before))
    elif isinstance(after, PersonioAbsencePeriod):
        absence_updated(state, before, after)
    elif any(before.get(name) != value for name, value in vars(after).items()
             if name not in SANDBOX_ONLY and name != "updated_at"):  # the side door's own stamp is no change
        record(state, f"{kind}.updated", after)


def _moment(value: str) -> datetime:
    """A date-time filter: RFC 3339 with `Z` or an offset, as the reference's `format: date-time` and its
    example have it; 400 otherwise."""
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise bad_request("Invalid request content.") from None
    if moment.tzinfo is None:
        raise bad_request("Invalid request content.")
    return moment


class Webhooks(PersonioService):
    def check_scope(self, request: web.Request) -> None:
        self.auth(request)
        if SCOPE in self.state.withheld_scopes:
            raise problem(403, "Insufficient access scope", "Client scope insufficient to access resource",
                          "commonforbidden")

    async def list_webhooks(self, request: web.Request) -> web.Response:
        self.check_scope(request)

        def items(query: dict[str, str]) -> list[dict[str, Any]]:
            event, status = query.get("enabled_events"), query.get("status")
            return [w.to_api() for w in sorted(self.state.webhooks.values(), key=lambda w: w.id)
                    if (not event or event in (w.enabled_events or ())) and (not status or w.status == status)]

        return self.page(request, items, max_limit=200, default_limit=100)

    async def list_events(self, request: web.Request) -> web.Response:
        self.check_scope(request)
        webhook_id = request.match_info["id"]
        if webhook_id not in self.state.webhooks:
            raise not_found("There is no webhook for the specified id.")

        def items(query: dict[str, str]) -> list[dict[str, Any]]:
            since = max(_moment(query["occurred_at.gte"]), datetime.now(UTC) - KEPT) \
                if "occurred_at.gte" in query else datetime.now(UTC) - KEPT
            until = _moment(query["occurred_at.lte"]) if "occurred_at.lte" in query else None
            name = query.get("event_name")
            return [e.to_api() for e in self.state.webhook_events
                    if e.webhook_id == webhook_id and (not name or e.event_name == name)
                    and since <= _moment(e.occurred_at) and (until is None or _moment(e.occurred_at) <= until)]

        return self.page(request, items, max_limit=MAX_LIMIT, default_limit=DEFAULT_LIMIT)
