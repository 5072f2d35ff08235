"""The MOCO and Personio clients on mocked HTTP: recorded payloads in, domain records out."""

from __future__ import annotations

import asyncio
import re
from datetime import date, datetime, time
from typing import Any
from urllib.parse import parse_qs

import pytest
from aioresponses import CallbackResult, aioresponses
from tests.conftest import sample
from tests.systems.test_http import FakeTime, calls

from reconciler.systems.connect import Credentials, Tuning, open_clients, read_credentials
from reconciler.errors import AuthenticationFailed, PermissionDenied, ReconcileError, UnexpectedResponse
from reconciler.records import AbsenceKind
from reconciler.systems.personio.client import created_id, read_absence_period
from reconciler.spec import parse_spec

MOCO = "https://acme.mocoapp.com/api/v1"
PERSONIO = "https://api.personio.de"
SPEC = parse_spec("""\
version: 1
start_date: 2026-01-01
moco: {subdomain: acme}
absences: {types: {Paid vacation: holiday}}
attendances: {direction: moco_to_personio}
""", today=date(2026, 11, 25))
CREDENTIALS = Credentials("moco-SECRET", "client-id", "client-SECRET")
TOKEN = {"access_token": "papi-token-1", "token_type": "Bearer", "expires_in": 86400}


def run_with_clients(body: Any, *, mock: Any = None) -> Any:
    fake = FakeTime()

    async def scenario() -> Any:
        with aioresponses() as mocked:
            mocked.post(f"{PERSONIO}/v2/auth/token", payload=TOKEN, repeat=True)
            if mock:
                mock(mocked)
            async with open_clients(SPEC, CREDENTIALS, Tuning(sleep=fake.sleep, clock=fake.clock)) as clients:
                return await body(clients, mocked)

    return asyncio.run(scenario())


def paged(payload: list, total: int | None = None) -> dict[str, Any]:
    headers = {"X-Total": str(len(payload) if total is None else total), "X-Per-Page": "100", "X-Page": "1"}
    return {"payload": payload, "headers": headers}


# ----------------------------------------------------------------------------- credentials


def test_missing_environment_variables_are_named_and_values_never_shown():
    with pytest.raises(ReconcileError) as caught:
        read_credentials(SPEC, {"MOCO_API_KEY": "x", "PERSONIO_CLIENT_ID": "  "})
    message = str(caught.value)
    assert "$PERSONIO_CLIENT_ID" in message and "$PERSONIO_CLIENT_SECRET" in message
    assert "$MOCO_API_KEY" not in message and "personio.client_id_env" in message
    credentials = read_credentials(SPEC, {"MOCO_API_KEY": "k", "PERSONIO_CLIENT_ID": "i", "PERSONIO_CLIENT_SECRET": "s"})
    assert "k" not in repr(credentials).replace("Credentials", "")


# ----------------------------------------------------------------------------- MOCO


def test_users_from_recorded_payload_include_archived_and_lower_case_emails():
    recorded = sample("moco-users-list.json")["body"]

    async def body(clients, mocked) -> Any:
        users = await clients.moco.users()
        url = next(str(u) for m, u in mocked.requests if "users" in str(u))
        assert "include_archived=true" in url and "per_page=100" in url
        return users

    users = run_with_clients(body, mock=lambda m: m.get(re.compile(rf"{MOCO}/users\?.*"), **paged(recorded)))
    assert len(users) == len(recorded)
    assert all(u.email == u.email.lower() for u in users)


def test_sends_the_moco_token_header():
    seen = {}

    def answer(url: Any, **kwargs: Any) -> CallbackResult:
        seen.update(kwargs["headers"])
        return CallbackResult(payload=[], headers={"X-Total": "0"})

    run_with_clients(lambda c, m: c.moco.users(), mock=lambda m: m.get(re.compile(rf"{MOCO}/users.*"), callback=answer))
    assert seen["Authorization"] == "Token token=moco-SECRET"


def test_employments_keep_float_patterns_and_open_dates():
    rows = sample("moco-employments-list.json")["body"] + sample("moco-employments-list-from-null.json")["body"]
    employments = run_with_clients(lambda c, m: c.moco.employments(),
                                   mock=lambda m: m.get(re.compile(rf"{MOCO}/users/employments.*"), **paged(rows)))
    assert len(employments) == len(rows)
    undated = [e for e in employments if e.start is None]
    assert undated and undated[0].end is None and undated[0].covers(date(1999, 1, 1))
    assert all(len(e.am) == 5 and isinstance(e.am[0], float) for e in employments)


def test_schedules_with_assignment_code_take_one_read():
    rows = [{**sample("moco-schedule-get.json")["body"], "id": i} for i in (1, 2)]
    for row in rows:
        row["assignment"] = {**row["assignment"], "code": "3"}

    async def body(clients, mocked) -> Any:
        result = await clients.moco.schedules(date(2026, 1, 1), date(2026, 12, 31))
        assert calls(mocked, "GET", f"{MOCO}/schedules") == 1
        return result

    absences = run_with_clients(body, mock=lambda m: m.get(re.compile(rf"{MOCO}/schedules\?.*"), **paged(rows)))
    assert {a.kind for a in absences} == {AbsenceKind.SICK_DAY}


def test_schedules_without_assignment_code_are_read_once_per_kind():
    """Every recorded schedule lacks assignment.code; the absence_code filter tells the kind."""
    recorded = sample("moco-schedules-list.json")["body"][0]  # a sick half day, named "Krankheit"
    legacy = sample("moco-schedule-create-legacy-project.json")["body"]  # a pre-2020 project schedule

    def answer(url: Any, **kwargs: Any) -> CallbackResult:
        code = parse_qs(url.query_string).get("absence_code", [None])[0]
        rows = {None: [recorded, legacy], "3": [recorded]}.get(code, [])
        return CallbackResult(payload=rows, headers={"X-Total": str(len(rows))})

    async def body(clients, mocked) -> Any:
        result = await clients.moco.schedules(date(2019, 1, 1), date(2021, 12, 31))
        assert calls(mocked, "GET", f"{MOCO}/schedules") == 6  # the plain read, then one per kind
        return result

    absences = run_with_clients(body, mock=lambda m: m.get(re.compile(rf"{MOCO}/schedules\?.*"), callback=answer,
                                                           repeat=True))
    assert len(absences) == 1
    only = absences[0]
    assert (only.kind, only.am, only.pm, only.day) == (AbsenceKind.SICK_DAY, False, True, date(2020, 1, 1))


def test_an_ignored_absence_code_filter_is_detected_not_guessed_around():
    recorded = sample("moco-schedules-list.json")["body"]
    with pytest.raises(UnexpectedResponse, match="the filter seems ignored"):
        run_with_clients(lambda c, m: c.moco.schedules(date(2019, 1, 1), date(2021, 12, 31)),
                         mock=lambda m: m.get(re.compile(rf"{MOCO}/schedules\?.*"), repeat=True, **paged(recorded)))


def test_presences_parse_times_and_open_presences():
    rows = sample("moco-presences-list.json")["body"] + [sample("moco-presence-touch-open.json")["body"]]
    presences = run_with_clients(lambda c, m: c.moco.presences(date(2020, 1, 1), date(2022, 12, 31)),
                                 mock=lambda m: m.get(re.compile(rf"{MOCO}/users/presences.*"), **paged(rows)))
    assert presences[0].start == time(8, 30) and presences[0].end == time(10, 30)
    assert presences[-1].end is None


def test_create_schedule_sends_one_day_and_reads_the_200_answer():
    recorded = sample("moco-schedule-create.json")
    sent: dict[str, Any] = {}

    def answer(url: Any, **kwargs: Any) -> CallbackResult:
        sent.update(kwargs["json"])
        return CallbackResult(status=200, payload=recorded["body"])

    absence = run_with_clients(
        lambda c, m: c.moco.create_schedule(933638919, date(2018, 10, 1), AbsenceKind.HOLIDAY, am=True, pm=False,
                                            comment="[reconcile] x"),
        mock=lambda m: m.post(f"{MOCO}/schedules", callback=answer))
    assert sent == {"date": "2018-10-01", "absence_code": 4, "user_id": 933638919, "am": True, "pm": False,
                    "comment": "[reconcile] x"}
    assert absence.id == recorded["body"]["id"] and absence.kind is AbsenceKind.HOLIDAY


def test_am_false_with_pm_false_is_never_sent():
    with pytest.raises(ValueError, match="needs am or pm"):
        run_with_clients(lambda c, m: c.moco.create_schedule(1, date(2026, 1, 5), AbsenceKind.HOLIDAY, am=False,
                                                             pm=False, comment=""))


def test_delete_of_an_absence_already_gone_is_not_an_error():
    gone = run_with_clients(lambda c, m: c.moco.delete_schedule(5),
                            mock=lambda m: m.delete(f"{MOCO}/schedules/5", status=404, body=""))
    assert gone is False
    deleted = run_with_clients(lambda c, m: c.moco.delete_schedule(8587603),
                               mock=lambda m: m.delete(f"{MOCO}/schedules/8587603",
                                                       payload=sample("moco-schedule-delete.json")["body"]))
    assert deleted is True


def test_user_key_without_staff_rights_is_explained():
    with pytest.raises(PermissionDenied, match="account API key with full access"):
        run_with_clients(lambda c, m: c.moco.users(),
                         mock=lambda m: m.get(re.compile(rf"{MOCO}/users.*"), status=403, body=""))


# ----------------------------------------------------------------------------- Personio


def test_token_is_fetched_once_with_form_encoded_credentials_and_app_id_goes_everywhere():
    seen: list[dict[str, Any]] = []

    def persons(url: Any, **kwargs: Any) -> CallbackResult:
        seen.append(kwargs["headers"])
        return CallbackResult(payload={"_data": [], "_meta": {"links": {}}})

    async def body(clients, mocked) -> None:
        await asyncio.gather(*(clients.personio.persons() for _ in range(3)))
        token_calls = [kw for (m, u), v in mocked.requests.items() if "auth/token" in str(u) for kw in v]
        assert len(token_calls) == 1
        assert token_calls[0].kwargs["data"] == {"grant_type": "client_credentials", "client_id": "client-id",
                                                 "client_secret": "client-SECRET"}

    run_with_clients(body, mock=lambda m: m.get(re.compile(rf"{PERSONIO}/v2/persons.*"), callback=persons,
                                                repeat=True))
    assert all(h["Authorization"] == "Bearer papi-token-1" and h["X-Personio-App-ID"] == "RECONCILE" for h in seen)


def test_refused_client_credentials_name_the_variables_not_the_secret():
    fake = FakeTime()

    async def scenario() -> None:
        with aioresponses() as mocked:
            mocked.post(f"{PERSONIO}/v2/auth/token", status=401,
                        payload=sample("personio-v2-auth-token-error.json")["body"])
            async with open_clients(SPEC, CREDENTIALS, Tuning(sleep=fake.sleep, clock=fake.clock)) as clients:
                await clients.personio.persons()

    with pytest.raises(AuthenticationFailed) as caught:
        asyncio.run(scenario())
    message = str(caught.value)
    assert "the client credentials were refused (invalid_client: Client authentication failed" in message
    assert "$PERSONIO_CLIENT_ID and $PERSONIO_CLIENT_SECRET" in message
    assert "client-SECRET" not in message and "baaaaaad-c0de" in message


def test_an_expired_token_is_renewed_once_on_401():
    tokens = iter([TOKEN, {**TOKEN, "access_token": "papi-token-2"}])

    def token(url: Any, **kwargs: Any) -> CallbackResult:
        return CallbackResult(payload=next(tokens))

    def persons(url: Any, **kwargs: Any) -> CallbackResult:
        if kwargs["headers"]["Authorization"] == "Bearer papi-token-1":
            return CallbackResult(status=401, payload=sample("personio-v2-error-403-scope-live.json")["body"])
        return CallbackResult(payload={"_data": [{"id": "1", "email": "a@x.example"}], "_meta": {"links": {}}})

    fake = FakeTime()

    async def scenario() -> Any:
        with aioresponses() as mocked:
            mocked.post(f"{PERSONIO}/v2/auth/token", callback=token, repeat=True)
            mocked.get(re.compile(rf"{PERSONIO}/v2/persons.*"), callback=persons, repeat=True)
            async with open_clients(SPEC, CREDENTIALS, Tuning(sleep=fake.sleep, clock=fake.clock)) as clients:
                result = await clients.personio.persons()
                assert clients.personio.service.auth.fetched == 2
                return result

    assert [p.email for p in asyncio.run(scenario())] == ["a@x.example"]


def test_persons_from_the_documented_example_and_a_sparse_credential():
    full = sample("personio-v2-persons-list.json")["body"]
    sparse = sample("personio-v2-persons-list-sparse.json")["body"]
    full = {**full, "_meta": {"links": {"next": {"href": f"{PERSONIO}/v2/persons?cursor=c2"}}}}

    def mock(m: aioresponses) -> None:
        m.get(f"{PERSONIO}/v2/persons?limit=50", payload=full)
        m.get(f"{PERSONIO}/v2/persons?cursor=c2", payload=sparse)

    persons = run_with_clients(lambda c, m: c.personio.persons(), mock=mock)
    assert persons[0].email == "jen.doe@example.com" and persons[0].active
    assert [p.email for p in persons[1:]] == [None, None]


def test_absence_periods_are_read_into_days_with_exclusive_midnight_ends():
    recorded = sample("personio-v2-absence-periods-list.json")["body"]
    seen: list[str] = []

    def answer(url: Any, **kwargs: Any) -> CallbackResult:
        seen.append(str(url))
        return CallbackResult(payload=recorded)

    periods = run_with_clients(lambda c, m: c.personio.absence_periods(date(2026, 6, 1), date(2026, 12, 31)),
                               mock=lambda m: m.get(re.compile(rf"{PERSONIO}/v2/absence-periods.*"), callback=answer))
    by_id = {p.id: p for p in periods}
    assert (by_id["x1"].first_day, by_id["x1"].last_day) == (date(2026, 6, 5), date(2026, 6, 5))
    assert (by_id["x2"].first_day, by_id["x2"].last_day) == (date(2026, 6, 10), date(2026, 6, 12))
    assert by_id["x3"].last_day is None
    assert not any(p.first_day_pm_only or p.last_day_am_only for p in periods)
    # One bound that means the same whether Personio reads ranges literally or as overlaps.
    assert "Z" not in seen[0] and "starts_from.date_time.lte=2026-12-31T23:59:59" in seen[0]
    assert "ends_at" not in seen[0] and "starts_from.date_time.gte" not in seen[0]


@pytest.mark.parametrize(("starts", "ends", "first", "last", "pm_only", "am_only"), [
    (("2026-06-05T00:00:00", "SECOND_HALF"), ("2026-06-06T00:00:00", "SECOND_HALF"), 5, 5, True, False),
    (("2026-06-05T00:00:00", "FIRST_HALF"), ("2026-06-05T12:00:00", "FIRST_HALF"), 5, 5, False, True),
    (("2026-06-05T00:00:00", "SECOND_HALF"), ("2026-06-09T12:00:00", "FIRST_HALF"), 5, 9, True, True),
])
def test_half_days_at_either_end(starts, ends, first, last, pm_only, am_only):
    period = read_absence_period({
        "id": "p", "person": {"id": "1"}, "absence_type": {"id": "t"}, "approval": {"status": "APPROVED"},
        "starts_from": {"date_time": starts[0], "type": starts[1]}, "ends_at": {"date_time": ends[0], "type": ends[1]},
    })
    assert (period.first_day, period.last_day) == (date(2026, 6, first), date(2026, 6, last))
    assert (period.first_day_pm_only, period.last_day_am_only) == (pm_only, am_only)


def test_attendance_periods_from_the_recorded_fixture():
    recorded = sample("personio-v2-attendance-periods-list.json")["body"]
    periods = run_with_clients(lambda c, m: c.personio.attendance_periods(date(2026, 6, 1), date(2026, 6, 30)),
                               mock=lambda m: m.get(re.compile(rf"{PERSONIO}/v2/attendance-periods.*"),
                                                    payload=recorded))
    kinds = [p.kind for p in periods]
    assert kinds.count("BREAK") == 1
    night = [p for p in periods if p.comment == "Night shift"][0]
    assert night.start == datetime(2026, 6, 2, 22) and night.end == datetime(2026, 6, 3, 2)


def test_create_attendance_skips_approval_and_sends_local_times():
    sent: dict[str, Any] = {}

    def answer(url: Any, **kwargs: Any) -> CallbackResult:
        sent["query"] = url.query_string
        sent["json"] = kwargs["json"]
        return CallbackResult(status=201, payload={"_data": {"id": "new-1"}})

    new_id = run_with_clients(
        lambda c, m: c.personio.create_attendance("7", datetime(2026, 3, 2, 8, 0), datetime(2026, 3, 2, 12, 15),
                                                  "[reconcile] MOCO presence 42"),
        mock=lambda m: m.post(re.compile(rf"{PERSONIO}/v2/attendance-periods.*"), callback=answer))
    assert new_id == "new-1" and sent["query"] == "skip_approval=true"
    assert sent["json"] == {"person": {"id": "7"}, "type": "WORK", "start": {"date_time": "2026-03-02T08:00:00"},
                            "end": {"date_time": "2026-03-02T12:15:00"}, "comment": "[reconcile] MOCO presence 42"}


@pytest.mark.parametrize("body", [{"id": "a"}, {"_data": {"id": "a"}}, {"data": {"id": "a"}}])
def test_created_id_accepts_each_envelope(body):
    assert created_id(body) == "a"


def test_created_id_without_an_id_is_unexpected():
    with pytest.raises(UnexpectedResponse):
        created_id({"success": True})


def test_periods_outside_the_window_are_dropped_here():
    rows = sample("personio-v2-absence-periods-list.json")["body"]
    periods = run_with_clients(lambda c, m: c.personio.absence_periods(date(2026, 6, 11), date(2026, 6, 30)),
                               mock=lambda m: m.get(re.compile(rf"{PERSONIO}/v2/absence-periods.*"), payload=rows))
    assert sorted(p.id for p in periods) == ["x2", "x3"]  # x1 (5 June) ended before the window


@pytest.mark.parametrize(("row", "hourly"), [
    ({"id": "a", "name": "Vacation", "unit": "DAY"}, False),
    ({"id": "b", "name": "Doctor", "unit": "HOUR"}, True),
    ({"id": "c", "name": "Doctor", "time_unit": "hours"}, True),
    ({"id": "d", "name": "Doctor", "measurement_unit": "hour"}, True),
    ({"id": "e", "name": "Unknown"}, False),
])
def test_absence_types_say_whether_they_are_measured_in_hours(row, hourly):
    types = run_with_clients(lambda c, m: c.personio.absence_types(),
                             mock=lambda m: m.get(re.compile(rf"{PERSONIO}/v2/absence-types.*"),
                                                  payload={"_data": [row], "_meta": {"links": {}}}))
    assert types[0].hourly is hourly
