"""How the employee lifecycle is made in MOCO, on mocked HTTP through the real MOCO client: a hire is a user and
then its employment, neither ever sent twice; a leaver's employments are ended before the user is archived."""

from __future__ import annotations

import asyncio
import re
from datetime import date
from typing import Any

import aiohttp
import pytest
from aioresponses import CallbackResult

from reconciler.apply import Pace, apply_changes
from reconciler.errors import ApiError, OutcomeUnknown
from reconciler.plan.cost import writes
from reconciler.plan.model import Change
from reconciler.sync.people_to_moco.apply import Archive, NewEmployment, NewUser, PeopleSteps
from tests.systems.helpers import MOCO, calls, paged, run_with_clients

FOUR = (4.0, 4.0, 4.0, 4.0, 4.0)
START = date(2026, 12, 7)
TAG = "reconcile:personio"
USERS = re.compile(rf"{re.escape(MOCO)}/users\?.*")
EMPLOYMENTS = re.compile(rf"{re.escape(MOCO)}/users/employments\?.*")
STEPS = PeopleSteps()


def new_user(employment: bool = True) -> NewUser:
    return NewUser("Nina", "Neumeyer", "nina@acme.example", 2, False, (TAG,),
                   NewEmployment(START, FOUR, FOUR) if employment else None)


def hire(employment: bool = True) -> Change:
    send = new_user(employment)
    return Change("create", "people_to_moco", "moco", "user", send.email, send.email, START,
                  after={"name": "Nina Neumeyer", "email": send.email}, send=send, source="Personio person p1")


def leave(ends: tuple[int, ...] = (100, 101)) -> Change:
    return Change("update", "people_to_moco", "moco", "user", "max@acme.example", "max@acme.example", START,
                  before={"active": True}, after={"active": False}, target=10,
                  send=Archive(10, date(2026, 12, 6), ends))


def user_row(ident: int = 7, tags: tuple[str, ...] = (TAG,), active: bool = True) -> dict[str, Any]:
    return {"id": ident, "email": "nina@acme.example", "firstname": "Nina", "lastname": "Neumeyer", "active": active,
            "tags": list(tags), "unit": {"id": 2, "name": "Development"}}


def employment_row(ident: int, user_id: int = 7, start: str | None = "2026-12-07", end: str | None = None
                   ) -> dict[str, Any]:
    return {"id": ident, "pattern": {"am": list(FOUR), "pm": list(FOUR)}, "from": start, "to": end,
            "user": {"id": user_id}}


class Log:
    """Every request the mocked MOCO got, in the order it got them: (method, path, JSON body)."""

    def __init__(self) -> None:
        self.requests: list[tuple[str, str, Any]] = []

    def answer(self, method: str, payload: Any = None, *, status: int = 200, headers: dict[str, str] | None = None,
               exception: BaseException | None = None):  # noqa: ANN201
        def callback(url: Any, **kwargs: Any) -> CallbackResult:
            self.requests.append((method, url.path.removeprefix("/api/v1"), kwargs.get("json")))
            if exception is not None:
                raise exception
            return CallbackResult(status=status, payload=payload, headers=headers)

        return callback

    def paged(self, rows: list[Any]):  # noqa: ANN201
        return self.answer("GET", rows, headers=paged(rows)["headers"])

    def writes(self) -> list[tuple[str, str, Any]]:
        return [request for request in self.requests if request[0] != "GET"]

    def paths(self) -> list[tuple[str, str]]:
        return [(method, path) for method, path, _ in self.requests]


def mock_moco(log: Log, *, found: list[dict[str, Any]] | tuple[list[dict[str, Any]], ...] = (),
              employments: list[dict[str, Any]] = (), user_post: dict[str, Any] | None = None):  # noqa: ANN201
    """`found`: the answers to GET /users?email= in turn (one list: every time)."""

    def mock(m) -> None:
        answers = found if isinstance(found, tuple) else (found,)
        for index, rows in enumerate(answers):
            m.get(USERS, callback=log.paged(list(rows)), repeat=index == len(answers) - 1)
        if not answers:
            m.get(USERS, callback=log.paged([]), repeat=True)
        m.get(EMPLOYMENTS, callback=log.paged(list(employments)), repeat=True)
        if user_post is not None:
            m.post(f"{MOCO}/users", callback=log.answer("POST", user_post))
        m.post(f"{MOCO}/users/employments", callback=log.answer("POST", employment_row(500)))

    return mock


# ----------------------------------------------------------------------------- a hire


def test_a_hire_asks_moco_by_email_then_creates_the_user_then_its_employment():
    log = Log()
    run_with_clients(lambda c, m: STEPS.create(c, hire()), mock=mock_moco(log, user_post=user_row()))
    assert [step for step in log.paths() if step != ("GET", "/users/employments")] == [
        ("GET", "/users"), ("POST", "/users"), ("POST", "/users/employments")]
    assert log.paths().index(("GET", "/users/employments")) == 2  # read before the employment is made
    assert log.writes() == [
        ("POST", "/users", {"firstname": "Nina", "lastname": "Neumeyer", "email": "nina@acme.example", "unit_id": 2,
                            "active": True, "tags": [TAG], "welcome_email": False}),
        ("POST", "/users/employments", {"user_id": 7, "from": "2026-12-07",
                                        "pattern": {"am": list(FOUR), "pm": list(FOUR)}})]


def test_a_hire_without_weekly_hours_creates_the_user_alone():
    log = Log()
    run_with_clients(lambda c, m: STEPS.create(c, hire(employment=False)), mock=mock_moco(log, user_post=user_row()))
    assert [(method, path) for method, path, _ in log.writes()] == [("POST", "/users")]


def test_a_user_of_ours_found_by_email_is_taken_and_only_the_missing_employment_made():
    """An earlier attempt's user (its answer lost): no second user, the employment finished."""
    log = Log()
    run_with_clients(lambda c, m: STEPS.create(c, hire()), mock=mock_moco(log, found=[user_row()]))
    assert [(method, path) for method, path, _ in log.writes()] == [("POST", "/users/employments")]


def test_a_user_of_ours_with_its_employment_already_made_gets_nothing_more():
    log = Log()
    run_with_clients(lambda c, m: STEPS.create(c, hire()),
                     mock=mock_moco(log, found=[user_row()], employments=[employment_row(500, start="2026-12-07")]))
    assert log.writes() == []


def test_an_employment_of_that_user_not_covering_the_first_day_does_not_count():
    log = Log()
    run_with_clients(lambda c, m: STEPS.create(c, hire()),
                     mock=mock_moco(log, found=[user_row()],
                                    employments=[employment_row(400, start="2020-01-01", end="2021-12-31")]))
    assert [(method, path) for method, path, _ in log.writes()] == [("POST", "/users/employments")]


def test_a_user_made_by_hand_with_that_email_since_the_plan_stops_the_create_and_nothing_is_sent():
    log = Log()
    with pytest.raises(ApiError, match=r"a user with the email nina@acme\.example was made in MOCO since the plan "
                                       r"read it \(not by this change\); none was created") as caught:
        run_with_clients(lambda c, m: STEPS.create(c, hire()),
                         mock=mock_moco(log, found=[user_row(tags=("Berlin",))], user_post=user_row()))
    assert not isinstance(caught.value, OutcomeUnknown)
    assert log.writes() == []


@pytest.mark.parametrize("lost", [aiohttp.ServerDisconnectedError(), asyncio.TimeoutError()],
                         ids=["dropped", "timeout"])
def test_a_user_create_whose_answer_is_lost_raises_outcome_unknown_and_is_never_sent_again(lost):
    log = Log()

    async def body(clients, mocked) -> Any:
        try:
            return await STEPS.create(clients, hire())
        finally:
            assert calls(mocked, "POST", f"{MOCO}/users") == 1

    def mock(m) -> None:
        mock_moco(log)(m)
        m.post(f"{MOCO}/users", callback=log.answer("POST", exception=lost))
        m.post(f"{MOCO}/users", callback=log.answer("POST", user_row()))  # never reached

    with pytest.raises(OutcomeUnknown):
        run_with_clients(body, mock=mock)
    assert [(method, path) for method, path, _ in log.writes()] == [("POST", "/users")]


def test_apply_resolves_a_lost_user_create_by_re_reading_and_finishes_the_employment_once():
    """The real apply: the POST's answer is lost; re-reading finds the tagged user, and its employment is made
    once; the user is never posted again."""
    log = Log()

    async def body(clients, mocked) -> Any:
        return await apply_changes([hire()], clients, Pace(verify_delay=0))

    def mock(m) -> None:
        mock_moco(log, found=([], [user_row()]))(m)
        m.post(f"{MOCO}/users", callback=log.answer("POST", exception=aiohttp.ServerDisconnectedError()))
        m.post(f"{MOCO}/users", callback=log.answer("POST", user_row()))  # never reached

    report = run_with_clients(body, mock=mock)
    (outcome,) = report.outcomes
    assert outcome.status == "applied" and "re-reading found it created" in outcome.detail
    assert [(method, path) for method, path, _ in log.writes()] == [("POST", "/users"), ("POST", "/users/employments")]


def test_find_created_takes_the_tagged_user_and_makes_the_missing_employment_exactly_once():
    log = Log()
    found = run_with_clients(lambda c, m: STEPS.find_created(c, hire()), mock=mock_moco(log, found=[user_row()]))
    assert found is True
    assert [(method, path) for method, path, _ in log.writes()] == [("POST", "/users/employments")]
    log = Log()
    found = run_with_clients(lambda c, m: STEPS.find_created(c, hire()),
                             mock=mock_moco(log, found=[user_row()], employments=[employment_row(500)]))
    assert found is True and log.writes() == []


@pytest.mark.parametrize("rows", [[], [user_row(tags=())]], ids=["none", "not-ours"])
def test_find_created_says_false_when_no_user_of_ours_has_that_email(rows):
    log = Log()
    found = run_with_clients(lambda c, m: STEPS.find_created(c, hire()), mock=mock_moco(log, found=rows))
    assert found is False and log.writes() == []


def test_an_employment_moco_refuses_after_the_user_was_made_says_so():
    log = Log()

    def mock(m) -> None:
        m.get(USERS, callback=log.paged([]), repeat=True)
        m.get(EMPLOYMENTS, callback=log.paged([]), repeat=True)
        m.post(f"{MOCO}/users", callback=log.answer("POST", user_row()))
        m.post(f"{MOCO}/users/employments", callback=log.answer("POST", {"from": ["range overlaps"]}, status=422))

    with pytest.raises(ApiError, match=r"MOCO user 7 \(nina@acme\.example\) was created, but not its employment"):
        run_with_clients(lambda c, m: STEPS.create(c, hire()), mock=mock)
    assert [(method, path) for method, path, _ in log.writes()] == [("POST", "/users"), ("POST", "/users/employments")]


# ----------------------------------------------------------------------------- a leaver


def test_archiving_ends_each_employment_before_the_user_is_archived():
    log = Log()

    def mock(m) -> None:
        for ident in (100, 101):
            m.put(f"{MOCO}/users/employments/{ident}",
                  callback=log.answer("PUT", employment_row(ident, 10, "2020-01-01", "2026-12-06")))
        m.put(f"{MOCO}/users/10", callback=log.answer("PUT", {**user_row(10), "active": False}))

    run_with_clients(lambda c, m: STEPS.update(c, leave()), mock=mock)
    assert log.requests == [("PUT", "/users/employments/100", {"to": "2026-12-06"}),
                            ("PUT", "/users/employments/101", {"to": "2026-12-06"}),
                            ("PUT", "/users/10", {"active": False})]


def test_a_failed_employment_end_leaves_the_user_active_for_the_next_plan():
    log = Log()

    def mock(m) -> None:
        m.put(f"{MOCO}/users/employments/100", callback=log.answer("PUT", {"to": ["invalid"]}, status=422))
        m.put(f"{MOCO}/users/10", callback=log.answer("PUT", {**user_row(10), "active": False}))

    with pytest.raises(ApiError):
        run_with_clients(lambda c, m: STEPS.update(c, leave((100,))), mock=mock)
    assert ("PUT", "/users/10", {"active": False}) not in log.requests


def test_the_lifecycle_never_deletes_a_user():
    with pytest.raises(NotImplementedError):
        asyncio.run(STEPS.delete(None, 10))  # type: ignore[arg-type]


# ----------------------------------------------------------------------------- what it costs


def test_the_cost_counts_each_write_of_a_hire_and_of_an_archival():
    assert writes(hire()) == 2  # the user, its employment
    assert writes(hire(employment=False)) == 1
    assert writes(leave((100, 101))) == 3  # two employments ended, the user archived
    assert writes(leave(())) == 1



def test_a_tagged_user_with_other_names_is_another_hires_and_is_never_taken():
    """Two creates of one email (an override naming another's address) never merge two people into one MOCO user:
    the second finds the first's tagged user, whose names differ, and stops without writing."""
    log = Log()
    other = {**user_row(), "firstname": "Eve", "lastname": "Muster"}
    with pytest.raises(ApiError, match=r"not by this change"):
        run_with_clients(lambda c, m: STEPS.create(c, hire()), mock=mock_moco(log, found=[other], user_post=user_row()))
    assert log.writes() == []
