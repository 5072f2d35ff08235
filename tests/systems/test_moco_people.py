"""MOCO's people on mocked HTTP: users with tags and team, the teams, a user by email, and the writes that
create a user with an employment and archive a leaver (systems/moco/people.py). Recorded payloads in, domain
records out; the bodies sent are exactly the documented ones, and no create is ever sent twice."""

from __future__ import annotations

import asyncio
import re
from datetime import date
from typing import Any

import aiohttp
import pytest
from aioresponses import CallbackResult

from reconciler.errors import NotFound, OutcomeUnknown, Rejected, UnexpectedResponse
from reconciler.records import Employment, MocoUnit, MocoUser
from tests.conftest import sample
from tests.systems.helpers import MOCO, calls, paged, run_with_clients

FOUR = (4.0, 4.0, 4.0, 4.0, 4.0)


def recording(sent: list[Any], answer: Any, status: int = 200):  # noqa: ANN201
    """An aioresponses callback (of one method's route) that notes each JSON body sent and answers `answer`."""

    def callback(url: Any, **kwargs: Any) -> CallbackResult:
        sent.append(kwargs.get("json"))
        return CallbackResult(status=status, payload=answer)

    return callback


# ----------------------------------------------------------------------------- reads


def test_users_read_tags_and_team_from_recorded_payloads():
    recorded = sample("moco-users-list.json")["body"]
    users = run_with_clients(lambda c, m: c.moco.users(),
                             mock=lambda m: m.get(re.compile(rf"{MOCO}/users\?.*"), **paged(recorded)))
    assert {(u.tags, u.unit_id, u.unit_name) for u in users} == {((), 909175374, "Team 1")}


def test_users_with_tags_and_without_tags_or_team_read_as_before():
    rows = [{"id": 1, "email": "A@x.example", "firstname": "A", "lastname": "B", "active": True,
             "tags": ["reconcile:personio", "Berlin"], "unit": {"id": 7, "name": "Development"}},
            {"id": 2, "email": "b@x.example"},  # as the oldest recordings: neither tags nor unit
            {"id": 3, "email": "c@x.example", "tags": None, "unit": None}]
    users = run_with_clients(lambda c, m: c.moco.users(),
                             mock=lambda m: m.get(re.compile(rf"{MOCO}/users\?.*"), **paged(rows)))
    assert users == [MocoUser(1, "a@x.example", "A", "B", True, ("reconcile:personio", "Berlin"), 7, "Development"),
                     MocoUser(2, "b@x.example", "", "", True), MocoUser(3, "c@x.example", "", "", True)]


@pytest.mark.parametrize("row", [
    pytest.param({"tags": "Berlin"}, id="tags-text"),
    pytest.param({"tags": ["ok", 3]}, id="tag-number"),
    pytest.param({"unit": "Team 1"}, id="unit-text"),
    pytest.param({"unit": {"id": "x", "name": 7}}, id="unit-id-and-name"),
])
def test_tags_or_team_of_the_wrong_type_read_as_none_and_never_stop_a_run(row):
    """No direction relies on them but to tell a user reconcile created: a malformed list reads as no tags (not
    reconcile's, the safe side), and a run syncing absences does not stop on a field it does not use."""
    rows = [{"id": 1, "email": "a@x.example", "firstname": "A", "lastname": "B", **row}]
    users = run_with_clients(lambda c, m: c.moco.users(),
                             mock=lambda m: m.get(re.compile(rf"{MOCO}/users\?.*"), **paged(rows)))
    assert users == [MocoUser(1, "a@x.example", "A", "B", True)]


def test_units_are_read_page_by_page():
    first = [{"id": i, "name": f"Team {i}", "users": [{"id": 5, "firstname": "A", "lastname": "B"}]}
             for i in range(1, 101)]
    headers = {"X-Total": "102", "X-Per-Page": "100"}

    async def body(clients, mocked) -> Any:
        units = await clients.moco.units()
        assert calls(mocked, "GET", f"{MOCO}/units") == 2
        return units

    def mock(m) -> None:
        m.get(f"{MOCO}/units?page=1&per_page=100", payload=first, headers={**headers, "X-Page": "1"})
        m.get(f"{MOCO}/units?page=2&per_page=100", payload=[{"id": 101, "name": "Development"},
                                                            {"id": 102, "name": "Sales"}],
              headers={**headers, "X-Page": "2"})

    units = run_with_clients(body, mock=mock)
    assert len(units) == 102 and units[0] == MocoUnit(1, "Team 1") and units[-1] == MocoUnit(102, "Sales")


def test_a_unit_without_a_readable_id_is_named():
    with pytest.raises(UnexpectedResponse, match=r"cannot read a unit from GET /api/v1/units: id is missing"):
        run_with_clients(lambda c, m: c.moco.units(),
                         mock=lambda m: m.get(re.compile(rf"{MOCO}/units.*"), **paged([{"name": "Team 1"}])))


def test_a_user_by_email_asks_lower_cased_archived_included_and_compares_here_too():
    everyone = [{"id": 1, "email": "nina@acme.example", "active": False},
                {"id": 2, "email": "other@acme.example"}]  # a MOCO that ignored the filter

    async def body(clients, mocked) -> Any:
        found = await clients.moco.user_by_email("  Nina@ACME.example ")
        url = next(str(u) for m, u in mocked.requests if "/users" in str(u))
        assert "email=nina@acme.example" in url and "include_archived=true" in url
        return found

    found = run_with_clients(body, mock=lambda m: m.get(re.compile(rf"{MOCO}/users\?.*"), **paged(everyone)))
    assert found == MocoUser(1, "nina@acme.example", "", "", False)
    none = run_with_clients(lambda c, m: c.moco.user_by_email("nobody@acme.example"),
                            mock=lambda m: m.get(re.compile(rf"{MOCO}/users\?.*"), **paged(everyone)))
    assert none is None


def test_two_users_with_one_email_are_not_guessed_between():
    twins = [{"id": 2, "email": "nina@acme.example"}, {"id": 1, "email": "NINA@acme.example"}]
    with pytest.raises(UnexpectedResponse, match=r"GET /api/v1/users lists 2 users with the email nina@acme.example "
                                                 r"\(ids 1, 2\)"):
        run_with_clients(lambda c, m: c.moco.user_by_email("nina@acme.example"),
                         mock=lambda m: m.get(re.compile(rf"{MOCO}/users\?.*"), **paged(twins)))


# ----------------------------------------------------------------------------- users written


def test_create_user_sends_the_documented_fields_and_reads_the_recorded_answer():
    recorded = sample("moco-user-create.json")
    sent: list[Any] = []
    user = run_with_clients(
        lambda c, m: c.moco.create_user("Nina", "Neumeyer", "Nina.Neumeyer@ACME.example", 909175374,
                                        tags=("reconcile:personio",), welcome_email=True),
        mock=lambda m: m.post(f"{MOCO}/users", callback=recording(sent, recorded["body"])))
    assert sent == [{"firstname": "Nina", "lastname": "Neumeyer", "email": "nina.neumeyer@acme.example",
                     "unit_id": 909175374, "active": True, "tags": ["reconcile:personio"], "welcome_email": True}]
    assert "password" not in sent[0]  # today's docs require none
    # The recorded answer (sent upper-case, stored lower-case; archived and with two tags in that recording).
    assert user == MocoUser(933662734, "yalffqjwt2@example.org", "-", "TestUser.test_create_full", False,
                            ("test1", "test2"), 909175374, "Team 1")


def test_the_recorded_create_sent_only_fields_the_client_knows_besides_the_password():
    """What the 2022 recording sent beyond our body: the password older docs required and optional extras."""
    ours = {"firstname", "lastname", "email", "unit_id", "active", "tags", "welcome_email"}
    recorded = set(sample("moco-user-create.json")["request"]["body"])
    assert {"firstname", "lastname", "email", "unit_id", "active", "tags"} <= recorded
    assert recorded - ours == {"password", "external", "language", "mobile_phone", "work_phone", "home_address",
                               "bday", "info"}


@pytest.mark.parametrize("failure", [
    pytest.param({"exception": asyncio.TimeoutError()}, id="timeout"),
    pytest.param({"exception": aiohttp.ServerDisconnectedError()}, id="dropped"),
    pytest.param({"status": 502}, id="502"),
    pytest.param({"status": 500}, id="500"),
])
def test_a_user_create_whose_answer_is_lost_is_never_sent_again(failure):
    async def body(clients, mocked) -> Any:
        try:
            return await clients.moco.create_user("Nina", "Neumeyer", "nina@acme.example", 1, tags=(),
                                                  welcome_email=False)
        finally:
            assert calls(mocked, "POST", f"{MOCO}/users") == 1

    def mock(m) -> None:
        m.post(f"{MOCO}/users", **failure)
        m.post(f"{MOCO}/users", payload=sample("moco-user-create.json")["body"])  # never reached

    with pytest.raises(OutcomeUnknown, match=r"^MOCO: .*POST /api/v1/users\b.*; it may or may not have taken effect$"):
        run_with_clients(body, mock=mock)


def test_a_refused_user_create_names_the_endpoint_and_moco_s_fields():
    refused = sample("moco-error-422.json")["body"]  # {"email": ["ist bereits vergeben"]}
    with pytest.raises(Rejected) as caught:
        run_with_clients(lambda c, m: c.moco.create_user("A", "B", "email@example.org", 1, tags=(),
                                                         welcome_email=False),
                         mock=lambda m: m.post(f"{MOCO}/users", status=422, payload=refused))
    assert str(caught.value) == "MOCO: POST /api/v1/users was refused (422): email ist bereits vergeben"
    assert caught.value.fields == {"email": ("ist bereits vergeben",)}


def test_a_create_answered_with_no_user_is_named():
    with pytest.raises(UnexpectedResponse, match=r"^MOCO: POST /api/v1/users did not answer with the user$"):
        run_with_clients(lambda c, m: c.moco.create_user("A", "B", "a@x.example", 1, tags=(), welcome_email=False),
                         mock=lambda m: m.post(f"{MOCO}/users", payload=[]))


def test_archive_user_sends_active_false_alone():
    answer = {**sample("moco-user-create.json")["body"], "id": 7, "active": False}
    sent: list[Any] = []
    user = run_with_clients(lambda c, m: c.moco.archive_user(7),
                            mock=lambda m: m.put(f"{MOCO}/users/7", callback=recording(sent, answer)))
    assert sent == [{"active": False}]
    assert user is not None and user.id == 7 and not user.active and user.tags == ("test1", "test2")


def test_archive_user_takes_an_empty_answer_and_refuses_one_still_active():
    gone = run_with_clients(lambda c, m: c.moco.archive_user(7),
                            mock=lambda m: m.put(f"{MOCO}/users/7", status=200, body=""))
    assert gone is None
    with pytest.raises(UnexpectedResponse, match=r"^MOCO: PUT /users/7 answered with the user still active$"):
        run_with_clients(lambda c, m: c.moco.archive_user(7),
                         mock=lambda m: m.put(f"{MOCO}/users/7", payload={"id": 7, "active": True}))


def test_archiving_an_unknown_user_is_named():
    with pytest.raises(NotFound, match="PUT /api/v1/users/7"):
        run_with_clients(lambda c, m: c.moco.archive_user(7), mock=lambda m: m.put(f"{MOCO}/users/7", status=404))


# ----------------------------------------------------------------------------- employments written


def test_create_employment_sends_user_from_and_pattern_and_reads_the_recorded_answer():
    recorded = sample("moco-employment-create.json")
    sent: list[Any] = []
    employment = run_with_clients(
        lambda c, m: c.moco.create_employment(933685437, date(2020, 2, 1), (2, 2, 2, 2, 2), [2, 2, 2, 2, 2]),
        mock=lambda m: m.post(f"{MOCO}/users/employments", callback=recording(sent, recorded["body"])))
    assert sent == [recorded["request"]["body"]]  # exactly what the recording sent
    assert employment == Employment(recorded["body"]["id"], 933685437, date(2020, 2, 1), None, (2.0,) * 5,
                                    (2.0,) * 5)


def test_a_pattern_that_is_not_monday_to_friday_is_never_sent():
    for am, pm in (((4.0,) * 7, FOUR), (FOUR, (4.0,) * 4), (FOUR, (4.0, 4.0, 4.0, 4.0, -1.0))):
        with pytest.raises(ValueError, match="MOCO pattern"):
            run_with_clients(lambda c, m, am=am, pm=pm: c.moco.create_employment(1, date(2026, 12, 1), am, pm))


def test_an_employment_create_whose_answer_is_lost_is_never_sent_again():
    async def body(clients, mocked) -> Any:
        try:
            return await clients.moco.create_employment(1, date(2026, 12, 1), FOUR, FOUR)
        finally:
            assert calls(mocked, "POST", f"{MOCO}/users/employments") == 1

    def mock(m) -> None:
        m.post(f"{MOCO}/users/employments", exception=asyncio.TimeoutError())
        m.post(f"{MOCO}/users/employments", payload=sample("moco-employment-create.json")["body"])

    with pytest.raises(OutcomeUnknown, match=r"POST /api/v1/users/employments timed out after it was sent"):
        run_with_clients(body, mock=mock)


def test_an_overlapping_employment_is_refused_with_moco_s_words():
    with pytest.raises(Rejected) as caught:
        run_with_clients(lambda c, m: c.moco.create_employment(1, date(2026, 12, 1), FOUR, FOUR),
                         mock=lambda m: m.post(f"{MOCO}/users/employments", status=422,
                                               payload={"from": ["range overlaps"]}))
    assert str(caught.value) == "MOCO: POST /api/v1/users/employments was refused (422): from range overlaps"


def test_end_employment_sends_to_alone_and_checks_the_answer():
    row = {"id": 5, "pattern": {"am": list(FOUR), "pm": list(FOUR)}, "from": "2024-01-01", "to": "2026-11-30",
           "user": {"id": 1}}
    sent: list[Any] = []
    ended = run_with_clients(lambda c, m: c.moco.end_employment(5, date(2026, 11, 30)),
                             mock=lambda m: m.put(f"{MOCO}/users/employments/5", callback=recording(sent, row)))
    assert sent == [{"to": "2026-11-30"}]
    assert ended == Employment(5, 1, date(2024, 1, 1), date(2026, 11, 30), FOUR, FOUR)
    with pytest.raises(UnexpectedResponse, match=r"answered with the employment ending never, not 2026-11-30"):
        run_with_clients(lambda c, m: c.moco.end_employment(5, date(2026, 11, 30)),
                         mock=lambda m: m.put(f"{MOCO}/users/employments/5", payload={**row, "to": None}))


def test_a_put_is_idempotent_and_tried_again_after_a_503():
    row = {"id": 5, "pattern": {"am": list(FOUR), "pm": list(FOUR)}, "from": None, "to": "2026-11-30",
           "user": {"id": 1}}

    async def body(clients, mocked) -> Any:
        ended = await clients.moco.end_employment(5, date(2026, 11, 30))
        assert calls(mocked, "PUT", f"{MOCO}/users/employments/5") == 2
        return ended

    def mock(m) -> None:
        m.put(f"{MOCO}/users/employments/5", status=503)
        m.put(f"{MOCO}/users/employments/5", payload=row)

    assert run_with_clients(body, mock=mock).end == date(2026, 11, 30)


def test_ending_an_unknown_employment_is_named():
    with pytest.raises(NotFound, match="PUT /api/v1/users/employments/5"):
        run_with_clients(lambda c, m: c.moco.end_employment(5, date(2026, 11, 30)),
                         mock=lambda m: m.put(f"{MOCO}/users/employments/5", status=404))
