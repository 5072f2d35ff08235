"""Personio's deletions read from its webhook events (read/deletions.py over systems/personio/events.py) on mocked
HTTP: which config is read, with which filters, every page; which people and days come out; what a malformed
answer, a missing scope, a missing or disabled webhook and a deletion that names nobody do."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from reconciler.errors import UnexpectedResponse
from reconciler.plan.scope import ALL_DAYS, Touched
from reconciler.read.deletions import Deletions, deleted_since
from reconciler.systems.personio.events import SCOPE
from tests.systems.helpers import PERSONIO, run_with_clients

ABSENCES, HOURS = "absences_to_moco", "hours_to_personio"

SINCE = datetime(2026, 11, 25, 8, 0, tzinfo=UTC)
NOW = datetime(2026, 11, 25, 9, 15, tzinfo=UTC)
BOTH = ["absence-period.deleted", "attendance-period.deleted"]
EVERY = [*BOTH, "absence-period.created", "attendance-period.created"]  # read by kind: created events never read
WEBHOOKS = re.compile(rf"^{PERSONIO}/v2/webhooks\?limit=100$")


def config(ident: str = "wh-1", events: list[str] | None = None, **more: Any) -> dict[str, Any]:
    return {"id": ident, "url": "https://hooks.example/x", "enabled_events": EVERY if events is None else events,
            "status": "ENABLED", **more}


def page(rows: list[Any], next_href: str | None = None) -> dict[str, Any]:
    links = {"self": {"href": "x"}, **({"next": {"href": next_href}} if next_href else {})}
    return {"_data": rows, "_meta": {"links": links}}


def event(name: str, payload: Any, ident: str | None = None) -> dict[str, Any]:
    row = {"company_id": "9", "event_name": name, "occurred_at": "2026-11-25T08:30:00.000Z", "payload": payload,
           "meta": {}}
    return {**({"id": ident} if ident else {}), **row}


def events_url(webhook: str, name: str) -> re.Pattern[str]:
    return re.compile(rf"^{PERSONIO}/v2/webhooks/{webhook}/events\?.*event_name={re.escape(name)}.*$")


def read(mock: Any, since: datetime = SINCE, directions: tuple[str, ...] = (ABSENCES, HOURS)) -> Any:
    return run_with_clients(lambda clients, mocked: deleted_since(clients.personio, since, directions, now=NOW),
                            mock=mock)


def requested(mocked: Any, part: str) -> list[str]:
    return [str(url) for (method, url) in mocked.requests if part in str(url)]


def test_deletions_name_people_with_their_days_from_every_page_of_the_enabled_config():
    seen: dict[str, Any] = {}

    def mock(m) -> None:
        m.get(WEBHOOKS, payload=page([config("wh-0", ["person.updated"]), config("wh-1")]))
        m.get(events_url("wh-1", "absence-period.deleted"), payload=page(
            [event("absence-period.deleted", {"id": "ap-1", "person": {"id": 101}}, "e1")],
            next_href=f"{PERSONIO}/v2/webhooks/wh-1/events?cursor=next"))
        m.get(f"{PERSONIO}/v2/webhooks/wh-1/events?cursor=next", payload=page(
            [event("absence-period.deleted", {"id": "ap-2", "person_id": "102"}, "e2"),
             event("absence-period.created", {"id": "ap-3", "person": {"id": 103}}, "e3")]))
        m.get(events_url("wh-1", "attendance-period.deleted"), payload=page([
            event("attendance-period.deleted", {"id": "at-1", "person": {"id": "201"},
                                                "start": {"date_time": "2026-11-24T08:00:00"}}),
            event("attendance-period.deleted", {"id": "at-2", "person": {"id": "201"},
                                                "start": {"date_time": "2026-11-20T13:00:00"}}),
            event("attendance-period.deleted", {"id": "at-3", "person": {"id": "202"}})]))

    async def body(clients, mocked) -> Any:
        found = await deleted_since(clients.personio, SINCE, now=NOW)
        seen["urls"] = [str(url) for (_m, url) in mocked.requests]
        return found

    found = run_with_clients(body, mock=mock)

    assert found.read and not found.notes and not found.whole
    assert dict(found.touched[ABSENCES].personio) == {"101": ALL_DAYS, "102": ALL_DAYS}  # a created event is not one
    assert dict(found.touched[HOURS].personio) == {"201": {date(2026, 11, 24), date(2026, 11, 20)}, "202": ALL_DAYS}
    events = [url for url in seen["urls"] if "/events" in url and "cursor" not in url]
    assert len(events) == 2 and all("occurred_at.gte=2026-11-25T08:00:00.000Z" in url for url in events)
    assert not any("wh-0" in url for url in seen["urls"])


def test_a_config_recording_only_deletions_is_read_once_for_both_kinds():
    def body(clients, mocked) -> Any:
        async def go() -> Any:
            found = await deleted_since(clients.personio, SINCE, now=NOW)
            return found, requested(mocked, "/events")
        return go()

    found, urls = run_with_clients(body, mock=lambda m: (
        m.get(WEBHOOKS, payload=page([config(events=BOTH)])),
        m.get(re.compile(rf"^{PERSONIO}/v2/webhooks/wh-1/events\?occurred_at.gte=[^&]*$"), payload=page([
            event("absence-period.deleted", {"id": "ap-1", "person": {"id": "101"}}),
            event("attendance-period.deleted", {"id": "at-1", "person": {"id": "201"},
                                                "start": {"date_time": "2026-11-24T08:00:00"}})]))))
    assert found.read and len(urls) == 1 and "event_name" not in urls[0]
    assert dict(found.touched[ABSENCES].personio) == {"101": ALL_DAYS}
    assert dict(found.touched[HOURS].personio) == {"201": {date(2026, 11, 24)}}


def test_an_event_without_a_name_in_an_unfiltered_read_stops_the_run():
    with pytest.raises(UnexpectedResponse) as caught:
        read(lambda m: (
            m.get(WEBHOOKS, payload=page([config(events=BOTH)])),
            m.get(re.compile(rf"^{PERSONIO}/v2/webhooks/wh-1/events\?occurred_at.gte=[^&]*$"), payload=page([
                {**event("absence-period.deleted", {"id": "ap-1", "person": {"id": "101"}}), "event_name": ""}]))))
    assert "/v2/webhooks/wh-1/events" in str(caught.value) and "event_name" in str(caught.value)


def test_only_the_directions_asked_for_are_read():
    def body(clients, mocked) -> Any:
        async def go() -> Any:
            found = await deleted_since(clients.personio, SINCE, (HOURS,), now=NOW)
            return found, requested(mocked, "/events")
        return go()

    found, urls = run_with_clients(body, mock=lambda m: (
        m.get(WEBHOOKS, payload=page([config()])),
        m.get(events_url("wh-1", "attendance-period.deleted"), payload=page([]))))
    assert set(found.touched) == {HOURS} and len(urls) == 1


@pytest.mark.parametrize("rows, place, says", [
    ([config(events="absence-period.deleted")], "GET /v2/webhooks", "enabled_events is a string"),
    ("not a list", "GET /v2/webhooks", "did not answer with a `_data` list"),
])
def test_a_malformed_webhook_list_stops_the_run_naming_the_endpoint(rows, place, says):
    with pytest.raises(UnexpectedResponse) as caught:
        read(lambda m: m.get(WEBHOOKS, payload=page(rows) if isinstance(rows, list) else {"_data": rows}))
    assert place in str(caught.value) and says in str(caught.value)


@pytest.mark.parametrize("payload, says", [
    ("ap-1", "payload is a string"),
    ({"id": "ap-1", "person": "101"}, "payload.person is a string"),
    ({"id": "ap-1", "person": {"id": None}}, "payload.person.id is null"),
])
def test_a_malformed_event_stops_the_run_naming_the_events_endpoint(payload, says):
    def mock(m) -> None:
        m.get(WEBHOOKS, payload=page([config()]))
        m.get(events_url("wh-1", "absence-period.deleted"), payload=page([event("absence-period.deleted", payload)]))
        m.get(events_url("wh-1", "attendance-period.deleted"), payload=page([]))

    with pytest.raises(UnexpectedResponse) as caught:
        read(mock)
    message = str(caught.value)
    assert "GET /v2/webhooks/wh-1/events" in message and says in message


@pytest.mark.parametrize("where", ["list", "events"])
@pytest.mark.parametrize("status, says", [(403, f"the API credential lacks the scope {SCOPE}"),
                                          (404, "does not offer its webhooks API")])
def test_a_refused_read_leaves_the_run_as_before_with_a_note_how_to_enable_it(where, status, says):
    refused = {"personio_trace_id": "t-1", "errors": [{"title": "Insufficient access scope"}]}

    def mock(m) -> None:
        if where == "list":
            m.get(WEBHOOKS, status=status, payload=refused)
            return
        m.get(WEBHOOKS, payload=page([config()]))
        m.get(re.compile(rf"^{PERSONIO}/v2/webhooks/wh-1/events.*"), status=status, payload=refused, repeat=True)

    found = read(mock)
    assert not found.read and not found.touched and not found.whole
    (note,) = found.notes
    assert note.startswith("deletions in Personio are seen only by a full run: ") and says in note
    assert f"answered {status}" in note and "absence-period.deleted and attendance-period.deleted" in note


@pytest.mark.parametrize("configs, says", [
    ([], "no enabled Personio webhook records absence-period.deleted or attendance-period.deleted"),
    ([config(status="DISABLED")], "webhook wh-1 lists them but is not enabled"),
])
def test_without_a_config_recording_the_deletions_the_note_says_which_are_missing(configs, says):
    found = read(lambda m: m.get(WEBHOOKS, payload=page(configs)))
    assert not found.read and not found.touched
    (note,) = found.notes
    assert says in note and SCOPE in note and "POST /v2/webhooks" in note


def test_a_config_recording_one_kind_of_deletion_is_read_and_the_other_kind_noted():
    def mock(m) -> None:
        m.get(WEBHOOKS, payload=page([config(events=["absence-period.deleted"])]))  # deletions only: read unfiltered
        m.get(re.compile(rf"^{PERSONIO}/v2/webhooks/wh-1/events\?occurred_at.gte=[^&]*$"), payload=page(
            [event("absence-period.deleted", {"id": "ap-1", "person": {"id": 101}})]))

    found = read(mock)
    assert not found.read and set(found.touched) == {ABSENCES}
    assert dict(found.touched[ABSENCES].personio) == {"101": ALL_DAYS}
    (note,) = found.notes
    assert "no enabled Personio webhook records attendance-period.deleted;" in note


def test_deletions_that_name_nobody_plan_absences_whole_and_leave_hours_to_a_full_run():
    def mock(m) -> None:
        m.get(WEBHOOKS, payload=page([config()]))
        m.get(events_url("wh-1", "absence-period.deleted"), payload=page([
            event("absence-period.deleted", {"id": "ap-1"}, "e1"), event("absence-period.deleted", {"id": "ap-2"}),
            event("absence-period.deleted", {"id": "ap-3", "person": {"id": 7}})]))
        m.get(events_url("wh-1", "attendance-period.deleted"), payload=page([
            event("attendance-period.deleted", {"id": "at-1"}), event("attendance-period.deleted", None)]))

    found = read(mock)
    assert found.read and found.whole == {ABSENCES}
    assert dict(found.touched[ABSENCES].personio) == {"7": ALL_DAYS} and not found.touched[HOURS].personio
    absences, hours = found.notes
    assert absences == ("2 absence-period.deleted events in Personio name no person: absences Personio → MOCO is "
                        "planned whole")
    assert hours.startswith("2 attendance-period.deleted events in Personio name no person: the working hours")
    assert "full run (without --changed-since)" in hours


def test_what_the_events_cannot_cover_is_said():
    created = (SINCE + timedelta(minutes=10)).isoformat().replace("+00:00", "Z")

    def mock(m) -> None:
        m.get(WEBHOOKS, payload=page([config(created_at=created)]))
        m.get(re.compile(rf"^{PERSONIO}/v2/webhooks/wh-1/events.*"), payload=page([]), repeat=True)

    found = read(mock, since=NOW - timedelta(days=40))
    assert found.read
    kept, late = found.notes
    assert kept == "Personio keeps webhook events 30 days: deletions before 2026-10-26 09:15 UTC are seen only by a " \
                   "full run"
    assert late.startswith("the Personio webhook read was created at 2026-11-25 08:10 UTC")


def test_a_config_recording_since_the_bound_is_preferred_to_a_newer_one():
    def mock(m) -> None:
        m.get(WEBHOOKS, payload=page([config("wh-a", created_at="2026-11-25T08:59:00Z"),
                                      config("wh-b", created_at="2026-01-01T00:00:00Z")]))
        m.get(re.compile(rf"^{PERSONIO}/v2/webhooks/wh-b/events.*"), payload=page([]), repeat=True)

    found = read(mock)
    assert found.read and not found.notes


def test_deletions_are_added_to_what_the_updated_after_reads_found():
    day, other = date(2026, 11, 20), date(2026, 11, 21)
    deletions = Deletions(touched={HOURS: Touched(personio={"1": frozenset({day}), "2": ALL_DAYS}),
                                   ABSENCES: Touched(personio={"3": ALL_DAYS})}, read=True)
    found = {HOURS: Touched(moco={5: frozenset({other})}, personio={"1": frozenset({other})})}

    merged = deletions.add_to(found)

    assert set(merged) == {HOURS}  # a direction not asked is not added
    assert merged[HOURS].moco == {5: frozenset({other})}
    assert merged[HOURS].personio == {"1": {day, other}, "2": ALL_DAYS}
