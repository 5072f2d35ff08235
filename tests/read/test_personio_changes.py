"""What changed in Personio, read from its webhook events (read/personio.py over systems/personio/events.py) on
mocked HTTP: with a subscription recording the change events, the records they name are read again by id and no
updated_at list is read; without one, the lists are polled and the plan says so. Which config is read, with
which filters and `limit`, every page; which people and days come out; what a malformed answer, a config without
`enabled_events`, an event without a name, a missing scope, a missing or disabled webhook and a deletion that
names nobody do."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from aioresponses import CallbackResult

from reconciler.errors import UnexpectedResponse
from reconciler.plan.scope import ALL_DAYS, Touched
from reconciler.read.changed import merge
from reconciler.read.personio import _names, personio_changes
from reconciler.sync import registry
from reconciler.systems.personio.events import SCOPE
from tests.systems.helpers import PERSONIO, run_with_clients

ABSENCES, HOURS = "absences_to_moco", "hours_to_personio"
SINCE = datetime(2026, 11, 25, 8, 0, tzinfo=UTC)
NOW = datetime(2026, 11, 25, 9, 15, tzinfo=UTC)
DELETIONS = ["absence-period.deleted", "attendance-period.deleted"]
EVERY = [name for names in _names(registry.DIRECTIONS) for name in names]  # deletions, changes of periods, people
WEBHOOKS = re.compile(rf"^{PERSONIO}/v2/webhooks\?limit=100$")
EVENTS = re.compile(rf"^{PERSONIO}/v2/webhooks/([^/]+)/events\?.*$")
POLLED = re.compile(rf"^{PERSONIO}/v2/(absence-periods|attendance-periods|persons)\?.*updated_at\.gt.*$")
BY_ID = re.compile(rf"^{PERSONIO}/v2/(absence-periods|attendance-periods)\?.*\bid=.*$")


def config(ident: str = "wh-1", events: list[str] | None = None, **more: Any) -> dict[str, Any]:
    return {"id": ident, "url": "https://hooks.example/x", "enabled_events": EVERY if events is None else events,
            "status": "ENABLED", **more}


def page(rows: Any, next_href: str | None = None) -> dict[str, Any]:
    links = {"self": {"href": "x"}, **({"next": {"href": next_href}} if next_href else {})}
    return {"_data": rows, "_meta": {"links": links}}


def event(name: str, payload: Any, ident: str | None = None) -> dict[str, Any]:
    row = {"company_id": "9", "event_name": name, "occurred_at": "2026-11-25T08:30:00.000Z", "payload": payload,
           "meta": {}}
    return {**({"id": ident} if ident else {}), **row}


def absence(ident: str, person: str, first: str = "2026-11-02") -> dict[str, Any]:
    return {"id": ident, "person": {"id": person}, "absence_type": {"id": "t-1"},
            "starts_from": {"date_time": f"{first}T00:00:00", "type": "FIRST_HALF"}, "ends_at": None,
            "approval": {"status": "APPROVED"}, "updated_at": "2026-11-25T08:20:00"}


def attendance(ident: str, person: str, day: str) -> dict[str, Any]:
    return {"id": ident, "type": "WORK", "person": {"id": person}, "start": {"date_time": f"{day}T08:00:00"},
            "end": {"date_time": f"{day}T12:00:00"}, "attribution_date": day, "comment": "",
            "approval": {"status": "CONFIRMED"}}


def query(url: Any) -> dict[str, str]:
    return {key: values[0] for key, values in parse_qs(urlsplit(str(url)).query).items()}


def mock_personio(m: Any, configs: list[dict[str, Any]], events: dict[str, list[dict[str, Any]]] | None = None,
                  records: list[dict[str, Any]] | None = None, polled: dict[str, list[dict[str, Any]]] | None = None
                  ) -> None:
    """Personio with these webhook configs, each config's events (filtered by `event_name` as asked), period
    `records` read by id, and updated_at lists answering `polled`."""
    m.get(WEBHOOKS, payload=page(configs))

    def answer_events(url: Any, **_: Any) -> CallbackResult:
        webhook = EVENTS.match(str(url)).group(1)  # type: ignore[union-attr]
        name = query(url).get("event_name")
        rows = [e for e in (events or {}).get(webhook, []) if not name or e.get("event_name") == name]
        return CallbackResult(payload=page(rows))

    def answer_ids(url: Any, **_: Any) -> CallbackResult:
        ids = set(query(url)["id"].split(","))
        kind = "absence_type" if "/absence-periods" in str(url) else "attribution_date"
        return CallbackResult(payload=page([r for r in records or [] if r["id"] in ids and kind in r]))

    m.get(EVENTS, callback=answer_events, repeat=True)
    m.get(BY_ID, callback=answer_ids, repeat=True)
    def answer_polled(url: Any, **_: Any) -> CallbackResult:
        kind = POLLED.match(str(url)).group(1)  # type: ignore[union-attr]
        return CallbackResult(payload=page((polled or {}).get(kind, [])))

    m.get(POLLED, callback=answer_polled, repeat=True)


def changes(mock: Any, since: datetime = SINCE, directions: tuple[str, ...] = (ABSENCES, HOURS)
            ) -> tuple[Any, list[str]]:
    async def body(clients: Any, mocked: Any) -> Any:
        found = await personio_changes(clients, since, registry.select(directions), now=NOW)
        return found, [str(url) for (_method, url) in mocked.requests]

    result: tuple[Any, list[str]] = run_with_clients(body, mock=mock)
    return result


def notes(found: Any) -> tuple[str, ...]:
    """The notes after the line saying how Personio's changes were read."""
    assert found.notes[0].startswith("Personio: ")
    return tuple(found.notes[1:])


# ------------------------------------------------------------------------------------ from events


def test_with_every_change_event_recorded_the_records_named_are_read_by_id_and_no_list_is_polled():
    events = {"wh-1": [
        event("absence-period.created", {"id": "ap-1"}),
        event("absence-period.updated.status", {"id": "ap-1"}),  # the same period: read once
        event("attendance-period.updated", {"id": "at-1"}),
        event("attendance-period.created", {"id": "at-2", "person": {"id": "202"}}),  # gone since: its person
        event("attendance-period.deleted", {"id": "at-3", "person": {"id": "203"},
                                            "start": {"date_time": "2026-11-20T13:00:00"}}),
    ]}
    found, urls = changes(lambda m: mock_personio(
        m, [config()], events, [absence("ap-1", "101"), attendance("at-1", "201", "2026-11-24")]))

    assert dict(found.touched[ABSENCES].personio) == {"101": ALL_DAYS}
    assert dict(found.touched[HOURS].personio) == {"201": {date(2026, 11, 24)}, "202": ALL_DAYS,
                                                   "203": {date(2026, 11, 20)}}
    assert not [url for url in urls if "updated_at" in url]  # Personio forbids polling where webhooks exist
    by_id = sorted(url for url in urls if BY_ID.match(url))
    assert len(by_id) == 2 and "id=ap-1" in by_id[0] and "duration_type=ALL" in by_id[1]
    assert "at-1" in by_id[1] and "at-2" in by_id[1]
    assert found.deletions and not found.polled and not found.whole
    assert found.notes[0] == "Personio: absence-period, attendance-period, person changes from the events of " \
                             "webhook wh-1"
    (events_read,) = [url for url in urls if "/events" in url]
    assert "event_name" not in events_read and "limit=100" in events_read
    assert "occurred_at.gte=2026-11-25T08:00:00.000Z" in events_read


def test_an_updated_event_that_changed_nothing_only_costs_a_read_by_id():
    found, _urls = changes(lambda m: mock_personio(
        m, [config()], {"wh-1": [event("attendance-period.updated", {"id": "at-1"})]},
        [attendance("at-1", "201", "2026-11-24")]))
    assert dict(found.touched[HOURS].personio) == {"201": {date(2026, 11, 24)}}  # planned again: a hint, no change


def test_people_events_plan_their_person_again_over_the_whole_window_in_every_direction():
    events = {"wh-1": [event("person.created", {"id": "301"}), event("person.updated", {"id": 302}),
                       event("employment.updated", {"id": "e-9", "person": {"id": "303"}}),
                       event("employment.created", {"id": "e-10"})]}
    found, urls = changes(lambda m: mock_personio(m, [config()], events))

    for direction in (ABSENCES, HOURS):
        assert dict(found.touched[direction].personio) == {"301": ALL_DAYS, "302": ALL_DAYS, "303": ALL_DAYS}
    assert "1 Personio person or employment event names no person: a full run sees what changed" in notes(found)
    assert not [url for url in urls if "/v2/persons" in url]


# ---------------------------------------------------------------------------------- polled instead


def test_without_the_change_events_the_lists_are_polled_and_the_plan_says_how_to_stop_it():
    polled = {"absence-periods": [absence("ap-7", "107")], "attendance-periods": [attendance("at-7", "207", "2026-11-23")],
              "persons": [{"id": "307", "email": "p@x.example", "first_name": "P", "last_name": "Q", "status": "ACTIVE"}]}
    found, urls = changes(lambda m: mock_personio(m, [config(events=DELETIONS)], {"wh-1": []}, polled=polled))

    assert sorted(u.split("?")[0].rsplit("/", 1)[1] for u in urls if "updated_at" in u) == \
        ["absence-periods", "attendance-periods", "persons"]
    assert found.polled == {ABSENCES, HOURS} and found.deletions
    assert "107" in found.touched[ABSENCES].personio and "307" in found.touched[ABSENCES].personio
    assert found.notes[0].startswith("Personio: absence-period, attendance-period, person changes polled from "
                                     "Personio's updated_at lists, which Personio permits only where no webhook")
    assert "absence-period.created" in found.notes[0] and "person.updated" in found.notes[0]


@pytest.mark.parametrize("where", ["list", "events"])
@pytest.mark.parametrize("status, says", [(403, f"the API credential lacks the scope {SCOPE}"),
                                          (404, "does not offer its webhooks API")])
def test_a_refused_read_polls_as_before_with_a_note_how_to_enable_it(where, status, says):
    refused = {"personio_trace_id": "t-1", "errors": [{"title": "Insufficient access scope"}]}

    def mock(m: Any) -> None:
        m.get(POLLED, payload=page([]), repeat=True)
        if where == "list":
            m.get(WEBHOOKS, status=status, payload=refused)
            return
        m.get(WEBHOOKS, payload=page([config()]))
        m.get(EVENTS, status=status, payload=refused, repeat=True)

    found, _urls = changes(mock)
    assert not found.deletions and found.polled == {ABSENCES, HOURS} and not found.whole
    (note,) = notes(found)
    assert note.startswith("deletions in Personio are seen only by a full run: ") and says in note
    assert f"answered {status}" in note and "absence-period.deleted" in note


@pytest.mark.parametrize("configs, says", [
    ([], "no enabled Personio webhook records absence-period."),
    ([config(status="DISABLED")], "webhook wh-1 lists them but is not enabled"),
])
def test_without_a_config_the_note_says_which_events_are_missing(configs, says):
    found, _urls = changes(lambda m: mock_personio(m, configs))
    assert not found.deletions and found.polled == {ABSENCES, HOURS}
    (note,) = notes(found)
    assert says in note and SCOPE in note and "POST /v2/webhooks" in note


# ----------------------------------------------------------------------------------- deletions


def test_deletions_name_people_with_their_days_from_every_page():
    def mock(m: Any) -> None:
        m.get(WEBHOOKS, payload=page([config("wh-0", ["document.created"]), config("wh-1", DELETIONS)]))
        m.get(re.compile(rf"^{PERSONIO}/v2/webhooks/wh-1/events\?limit=100&occurred_at.*$"), payload=page(
            [event("absence-period.deleted", {"id": "ap-1", "person": {"id": 101}}, "e1")],
            next_href=f"{PERSONIO}/v2/webhooks/wh-1/events?cursor=next"))
        m.get(f"{PERSONIO}/v2/webhooks/wh-1/events?cursor=next", payload=page([
            event("absence-period.deleted", {"id": "ap-2", "person_id": "102"}, "e2"),
            event("attendance-period.deleted", {"id": "at-1", "person": {"id": "201"},
                                                "start": {"date_time": "2026-11-24T08:00:00"}}),
            event("attendance-period.deleted", {"id": "at-3", "person": {"id": "202"}})]))
        m.get(POLLED, payload=page([]), repeat=True)

    found, urls = changes(mock)

    assert found.deletions and not found.whole
    assert dict(found.touched[ABSENCES].personio) == {"101": ALL_DAYS, "102": ALL_DAYS}
    assert dict(found.touched[HOURS].personio) == {"201": {date(2026, 11, 24)}, "202": ALL_DAYS}
    assert not any("wh-0" in url for url in urls)


def test_deletions_that_name_nobody_plan_absences_whole_and_leave_hours_to_a_full_run():
    events = {"wh-1": [
        event("absence-period.deleted", {"id": "ap-1"}), event("absence-period.deleted", {"id": "ap-2"}),
        event("absence-period.deleted", {"id": "ap-3", "person": {"id": 7}}),
        event("absence-period.created", {"id": "ap-1"}),  # created, then deleted: one period
        event("attendance-period.deleted", {"id": "at-1"}), event("attendance-period.deleted", None)]}
    found, _urls = changes(lambda m: mock_personio(m, [config()], events))

    assert found.whole == {ABSENCES}
    assert dict(found.touched[ABSENCES].personio) == {"7": ALL_DAYS} and not found.touched[HOURS].personio
    absences, hours = notes(found)
    assert absences == "Personio events of 2 absence-periods name no person: absences Personio → MOCO is planned whole"
    assert hours.startswith("Personio events of 2 attendance-periods name no person: the working hours")


def test_what_the_events_cannot_cover_is_said():
    created = (SINCE + timedelta(minutes=10)).isoformat().replace("+00:00", "Z")
    found, _urls = changes(lambda m: mock_personio(m, [config(created_at=created)]), since=NOW - timedelta(days=40))
    kept, late = notes(found)
    assert kept == "Personio keeps webhook events 30 days: deletions before 2026-10-26 09:15 UTC are seen only by a " \
                   "full run"
    assert late.startswith("the Personio webhook read was created at 2026-11-25 08:10 UTC")


def test_a_config_recording_since_the_bound_is_preferred_to_a_newer_one():
    configs = [config("wh-a", created_at="2026-11-25T08:59:00Z"), config("wh-b", created_at="2026-01-01T00:00:00Z")]
    found, urls = changes(lambda m: mock_personio(m, configs))
    assert not notes(found) and all("wh-a" not in url for url in urls)


def test_only_the_directions_asked_for_are_read():
    found, urls = changes(lambda m: mock_personio(m, [config()]), directions=(HOURS,))
    assert set(found.touched) == {HOURS}


# --------------------------------------------------------------------- what cannot be read, and what is skipped


def test_a_config_without_enabled_events_and_an_event_without_a_name_are_skipped_and_said():
    configs = [{"id": "wh-x", "url": "https://hooks.example/y", "status": "ENABLED"}, config()]
    events = {"wh-1": [{**event("absence-period.deleted", {"id": "ap-1", "person": {"id": "101"}}), "event_name": ""},
                       {k: v for k, v in event("absence-period.deleted", {"id": "ap-2"}).items() if k != "event_name"},
                       event("absence-period.deleted", {"id": "ap-3", "person": {"id": "103"}})]}
    found, _urls = changes(lambda m: mock_personio(m, configs, events))
    assert dict(found.touched[ABSENCES].personio) == {"103": ALL_DAYS} and not found.whole
    assert notes(found) == ("Personio webhook wh-x lists no enabled_events: skipped",
                            "2 Personio webhook events without an event_name: skipped")


@pytest.mark.parametrize("rows, says", [
    ([config(events="absence-period.deleted")], "enabled_events is a string"),
    ("not a list", "did not answer with a `_data` list"),
])
def test_a_malformed_webhook_list_stops_the_run_naming_the_endpoint(rows, says):
    with pytest.raises(UnexpectedResponse) as caught:
        changes(lambda m: m.get(WEBHOOKS, payload=page(rows) if isinstance(rows, list) else {"_data": rows}))
    assert "GET /v2/webhooks" in str(caught.value) and says in str(caught.value)


@pytest.mark.parametrize("payload, says", [
    ("ap-1", "payload is a string"),
    ({"id": "ap-1", "person": "101"}, "payload.person is a string"),
    ({"id": "ap-1", "person": {"id": None}}, "payload.person.id is null"),
])
def test_a_malformed_event_stops_the_run_naming_the_events_endpoint(payload, says):
    with pytest.raises(UnexpectedResponse) as caught:
        changes(lambda m: mock_personio(m, [config(events=DELETIONS)],
                                        {"wh-1": [event("absence-period.deleted", payload)]}))
    message = str(caught.value)
    assert "GET /v2/webhooks/wh-1/events" in message and says in message


def test_what_changed_by_either_is_merged():
    day, other = date(2026, 11, 20), date(2026, 11, 21)
    one = Touched(moco={5: frozenset({other})}, personio={"1": frozenset({other})}, moco_ids=frozenset({9}))
    two = Touched(moco={5: ALL_DAYS}, personio={"1": frozenset({day}), "2": ALL_DAYS})

    merged = merge(one, two)

    assert merged.moco == {5: ALL_DAYS} and merged.moco_ids == {9}
    assert merged.personio == {"1": {day, other}, "2": ALL_DAYS}


def test_directions_that_watch_nothing_in_personio_read_nothing_there():
    found, urls = changes(lambda m: None, directions=())
    assert found.notes == () and not found.touched and not [url for url in urls if "/v2/" in url]
