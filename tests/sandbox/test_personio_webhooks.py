"""Contract tests of the Personio stand-in's webhooks: its one config, the events every change of a period
raises (through the API and the side door), and the events list's filters, pages and refusals."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from urllib.parse import quote

from reconciler.sandbox.personio.records import DELETION_EVENTS, PERIOD_EVENTS, WEBHOOK_ID, PersonioWebhookEvent
from reconciler.sandbox.personio.webhooks import SCOPE
from reconciler.sandbox.seed import PERSONIO_CLIENT_ID, PERSONIO_CLIENT_SECRET
from tests.conftest import call, side_door

EVENTS = f"/v2/webhooks/{WEBHOOK_ID}/events"


def names(personio, query: str = "") -> list[str]:
    answer = personio("GET", EVENTS + query)
    assert answer.status == 200, answer.body
    return [e["event_name"] for e in answer.json()["_data"]]


def stamp(moment: datetime) -> str:
    return quote(moment.isoformat(timespec="milliseconds").replace("+00:00", "Z"))


def a_period(sandbox, collection: str):
    return sorted(getattr(sandbox.world.personio, collection).values(), key=lambda p: p.id)[0]


def test_one_config_enabled_for_deletions_and_its_filters(personio):
    body = personio("GET", "/v2/webhooks").json()
    (config,) = body["_data"]
    assert config["id"] == WEBHOOK_ID and config["status"] == "ENABLED"
    assert set(config["enabled_events"]) == set(DELETION_EVENTS)
    assert personio("GET", "/v2/webhooks?enabled_events=absence-period.deleted").json()["_data"] == [config]
    assert personio("GET", "/v2/webhooks?enabled_events=person.updated").json()["_data"] == []
    assert personio("GET", "/v2/webhooks?status=DISABLED").json()["_data"] == []
    assert personio("GET", "/v2/webhooks?limit=201").status == 400
    assert names(personio) == []  # nothing happened yet


def every_period_event(sandbox) -> None:
    (config,) = sandbox.world.personio.webhooks.values()
    config.enabled_events = list(PERIOD_EVENTS)


def test_writes_through_the_api_raise_their_events(sandbox, personio):
    every_period_event(sandbox)
    person = next(iter(sandbox.world.personio.persons))
    created = personio("POST", "/v2/attendance-periods?skip_approval=true", json_body={
        "person": {"id": person}, "type": "WORK", "start": {"date_time": "2026-12-28T08:00:00"},
        "end": {"date_time": "2026-12-28T09:00:00"}, "comment": "x"}).json()["id"]
    assert personio("PATCH", f"/v2/attendance-periods/{created}?skip_approval=true",
                     json_body={"comment": "y"}).status == 204
    assert personio("DELETE", f"/v2/attendance-periods/{created}").status == 204
    absence = a_period(sandbox, "absence_periods")
    assert personio("DELETE", f"/v2/absence-periods/{absence.id}").status == 204
    refused = personio("DELETE", f"/v2/absence-periods/{absence.id}")

    assert refused.status == 404
    events = personio("GET", EVENTS).json()["_data"]
    assert [e["event_name"] for e in events] == ["attendance-period.created", "attendance-period.updated",
                                                 "attendance-period.deleted", "absence-period.deleted"]
    assert events[2]["payload"] == {"id": created, "person": {"id": person}}
    assert events[3]["payload"] == {"id": absence.id, "person": {"id": absence.person_id}}
    assert set(events[0]) == {"id", "company_id", "event_name", "occurred_at", "payload", "meta"}
    assert events[0]["occurred_at"].endswith("Z")


def test_changes_through_the_side_door_raise_the_events_personio_would(sandbox, personio):
    every_period_event(sandbox)
    absence, attendance = a_period(sandbox, "absence_periods"), a_period(sandbox, "attendance_periods")
    side_door(sandbox, "PATCH", f"/records/personio/absence_periods/{absence.id}", json_body={"comment": "certificate"})
    side_door(sandbox, "PATCH", f"/records/personio/absence_periods/{absence.id}",
              json_body={"ends_at": "2099-01-02T00:00:00"})
    other = "REJECTED" if absence.status != "REJECTED" else "APPROVED"
    side_door(sandbox, "PATCH", f"/records/personio/absence_periods/{absence.id}", json_body={"status": other})
    side_door(sandbox, "PATCH", f"/records/personio/attendance_periods/{attendance.id}", json_body={"locked": True})
    side_door(sandbox, "PATCH", f"/records/personio/attendance-periods/{attendance.id}",
              json_body={"end": attendance.start[:11] + "23:00:00"})
    side_door(sandbox, "DELETE", f"/records/personio/attendance_periods/{attendance.id}")
    side_door(sandbox, "DELETE", f"/records/personio/absence_periods/{absence.id}")
    side_door(sandbox, "DELETE", f"/records/personio/persons/{absence.person_id}")  # no period: no event

    assert names(personio) == ["absence-period.updated.timerange", "absence-period.updated.status",
                               "attendance-period.updated", "attendance-period.deleted", "absence-period.deleted"]


def test_the_events_list_filters_by_name_and_moment_and_keeps_30_days(sandbox, personio):
    state = sandbox.world.personio
    now = datetime.now(UTC)
    for days, name in ((40, "absence-period.deleted"), (2, "absence-period.deleted"), (1, "attendance-period.deleted")):
        moment = (now - timedelta(days=days)).isoformat(timespec="milliseconds").replace("+00:00", "Z")
        state.webhook_events.append(PersonioWebhookEvent(id=f"e{days}", webhook_id=WEBHOOK_ID, event_name=name,
                                                         occurred_at=moment, payload={"id": f"p{days}"}))

    assert names(personio) == ["absence-period.deleted", "attendance-period.deleted"]  # not the one of 40 days ago
    assert names(personio, "?event_name=attendance-period.deleted") == ["attendance-period.deleted"]
    assert names(personio, f"?occurred_at.gte={stamp(now - timedelta(days=1, hours=1))}") == [
        "attendance-period.deleted"]
    assert names(personio, f"?occurred_at.lte={stamp(now - timedelta(days=1, hours=1))}") == [
        "absence-period.deleted"]
    assert names(personio, "?occurred_at.gte=" + quote("2026-01-01T00:00:00+01:00")) == [
        "absence-period.deleted", "attendance-period.deleted"]
    assert personio("GET", EVENTS + "?occurred_at.gte=2026-01-01T00:00:00").status == 400  # no zone: no date-time
    assert personio("GET", EVENTS + "?occurred_at.gte=yesterday").status == 400


def test_the_events_list_pages_by_cursor_with_the_filters_inside(sandbox, personio):
    for number in range(5):
        sandbox.world.personio.webhook_events.append(PersonioWebhookEvent(
            id=f"e{number}", webhook_id=WEBHOOK_ID, event_name="absence-period.deleted",
            occurred_at=datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
            payload={"id": f"p{number}"}))
    url, seen = f"{EVENTS}?limit=2&event_name=absence-period.deleted", []
    while url:
        body = personio("GET", url).json()
        seen += [e["id"] for e in body["_data"]]
        url = body["_meta"]["links"].get("next", {}).get("href")
        assert url is None or "event_name" not in url
    assert seen == [f"e{n}" for n in range(5)]
    assert personio("GET", f"{EVENTS}?limit=0").status == 400


def test_refusals_unknown_webhook_missing_scope_and_a_disabled_config(sandbox, personio):
    assert personio("GET", "/v2/webhooks/nope/events").status == 404
    sandbox.world.personio.webhooks[WEBHOOK_ID].status = "DISABLED"
    personio("DELETE", f"/v2/absence-periods/{a_period(sandbox, 'absence_periods').id}")
    assert names(personio) == []  # a disabled config records nothing
    sandbox.world.personio.withheld_scopes.add(SCOPE)
    for path in ("/v2/webhooks", EVENTS):
        refused = personio("GET", path)
        assert refused.status == 403 and refused.json()["errors"][0]["title"] == "Insufficient access scope"
    token = call("POST", sandbox.personio_url + "/v2/auth/token", form={
        "grant_type": "client_credentials", "client_id": PERSONIO_CLIENT_ID, "client_secret": PERSONIO_CLIENT_SECRET})
    assert SCOPE not in token.json()["scope"] and "personio:absences:read" in token.json()["scope"]
