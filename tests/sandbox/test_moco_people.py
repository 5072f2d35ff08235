"""Contract tests of the MOCO stand-in's people routes (users written, teams, employments written), as MOCO's
docs describe them (everii-Group/mocoapp-api-docs `sections/users.md`, `units.md`, `employments.md`), and the
real client against them: a hire's user and employment made, read back, ended and archived."""

from __future__ import annotations

import asyncio
import json
from datetime import date, timedelta
from typing import Any

import pytest

from reconciler.errors import Rejected
from reconciler.sandbox.moco.records import TEAM_1
from reconciler.sandbox.moco.web_hooks import register
from reconciler.sandbox.seed import MOCO_USER_KEY
from reconciler.spec import parse_spec
from reconciler.systems.connect import Tuning, open_clients, read_credentials
from tests.conftest import TODAY, Moco, sample

NINA = {"firstname": "Nina", "lastname": "Neumeyer", "email": "Nina.Neumeyer@ACME.example", "unit_id": TEAM_1}
FOUR = [4, 4, 4, 4, 4]


def units_by_name(moco) -> dict[str, int]:
    return {unit["name"]: unit["id"] for unit in moco("GET", "/units").json()}


def deliveries(sandbox, event: str) -> list[dict[str, Any]]:
    return [json.loads(d.body) for d in sandbox.outbox.records if d.event == event]


def hooked(sandbox) -> None:
    """A hook for every User event, so that the writes' deliveries can be seen (nobody listens: dropped)."""
    for event in ("create", "update", "delete"):
        register(sandbox, "User", event, "http://127.0.0.1:9/hook")


# ----------------------------------------------------------------------------- teams


def test_units_are_the_seeded_teams_with_their_users_paged_like_every_list(moco, sandbox):
    answer = moco("GET", "/units")
    assert answer.status == 200 and answer.header("X-Total") == "3"
    teams = answer.json()
    assert [t["name"] for t in teams] == ["Team 1", "Development", "Sales"]
    assert set(teams[0]) == {"id", "name", "users", "created_at", "updated_at"}
    assert teams[0]["id"] == TEAM_1  # the team every seeded user always showed
    assert sorted(u["id"] for u in teams[0]["users"]) == sorted(sandbox.world.moco.users)
    assert set(teams[0]["users"][0]) == {"id", "firstname", "lastname", "email"}
    assert teams[1]["users"] == teams[2]["users"] == []
    second = moco("GET", "/units?per_page=2&page=2")
    assert [t["name"] for t in second.json()] == ["Sales"] and second.header("X-Page") == "2"
    assert moco("GET", f"/units/{TEAM_1}").json()["name"] == "Team 1"
    assert moco("GET", "/units/1").status == 404


def test_seeded_users_show_team_1_and_no_tags_as_before(moco):
    for user in moco("GET", "/users?include_archived=true").json():
        assert user["unit"] == {"id": TEAM_1, "name": "Team 1"} and user["tags"] == []


def test_people_routes_are_for_staff_keys_only(sandbox):
    user_key = Moco(sandbox, MOCO_USER_KEY)
    some = next(iter(sandbox.world.moco.users))
    employment = next(iter(sandbox.world.moco.employments))
    for method, path, body in (("GET", "/units", None), ("POST", "/users", NINA), ("PUT", f"/users/{some}", {}),
                               ("POST", "/users/employments", {}), ("GET", f"/users/employments/{employment}", None),
                               ("PUT", f"/users/employments/{employment}", {"to": "2026-12-31"})):
        answer = user_key(method, path, json_body=body)
        assert (answer.status, answer.body) == (403, b""), (method, path)


# ----------------------------------------------------------------------------- users written


def test_create_user_answers_200_with_the_user_as_get_shows_it(moco, sandbox):
    hooked(sandbox)
    development = units_by_name(moco)["Development"]
    answer = moco("POST", "/users", json_body={**NINA, "unit_id": development, "tags": ["reconcile:personio"],
                                               "welcome_email": True})
    assert answer.status == 200  # not 201
    created = answer.json()
    assert created["email"] == "nina.neumeyer@acme.example"  # stored lower-cased, as recorded
    assert (created["active"], created["extern"], created["tags"]) == (True, False, ["reconcile:personio"])
    assert created["unit"] == {"id": development, "name": "Development"}
    assert set(sample("moco-user-create.json")["body"]) <= set(created)
    assert moco("GET", "/users?email=nina.neumeyer@acme.example").json() == [created]
    assert moco("GET", f"/users/{created['id']}").json() == created
    stored = sandbox.world.moco.users[created["id"]]
    assert stored.welcome_email is True  # kept for tests; MOCO shows it nowhere
    assert created["id"] in [u["id"] for u in moco("GET", f"/units/{development}").json()["users"]]
    assert deliveries(sandbox, "User create") == [created]


def test_a_user_without_a_welcome_email_or_active_is_stored_so(moco, sandbox):
    created = moco("POST", "/users", json_body={**NINA, "active": False, "external": True}).json()
    assert (created["active"], created["extern"]) == (False, True)
    assert sandbox.world.moco.users[created["id"]].welcome_email is False
    assert created["email"] not in {u["email"] for u in moco("GET", "/users").json()}  # archived


def test_a_taken_email_and_an_unknown_team_are_422_field_maps(moco, sandbox):
    taken = next(u.email for u in sandbox.world.moco.users.values() if not u.active)  # archived users count too
    answer = moco("POST", "/users", json_body={**NINA, "email": taken.upper()})
    assert answer.status == 422 and answer.json() == {"email": ["ist bereits vergeben"]}
    assert answer.json() == sample("moco-error-422.json")["body"]  # the recorded answer
    answer = moco("POST", "/users", json_body={**NINA, "unit_id": 1})
    assert answer.status == 422 and answer.json() == {"unit_id": ["ist nicht gültig"]}
    answer = moco("POST", "/users", json_body={"email": "nobody"})
    assert answer.json() == {"firstname": ["muss ausgefüllt werden"], "lastname": ["muss ausgefüllt werden"],
                             "email": ["ist nicht gültig"], "unit_id": ["muss ausgefüllt werden"]}
    assert moco("POST", "/users", json_body=[NINA]).json() == {"message": "Invalid payload"}


def test_put_changes_what_it_is_sent_and_active_false_archives(moco, sandbox):
    hooked(sandbox)
    created = moco("POST", "/users", json_body={**NINA, "tags": ["a"]}).json()
    answer = moco("PUT", f"/users/{created['id']}", json_body={"active": False})
    assert answer.status == 200
    archived = answer.json()
    assert archived["active"] is False and archived["updated_at"] >= created["updated_at"]
    assert {k: v for k, v in archived.items() if k not in ("active", "updated_at")} == \
        {k: v for k, v in created.items() if k not in ("active", "updated_at")}  # tags, team, name as they were
    assert deliveries(sandbox, "User update") == [archived]
    sales = units_by_name(moco)["Sales"]
    moved = moco("PUT", f"/users/{created['id']}", json_body={"unit_id": sales, "tags": []}).json()
    assert (moved["unit"]["name"], moved["tags"], moved["active"]) == ("Sales", [], False)


def test_put_refuses_what_post_refuses_and_an_unknown_user_is_an_empty_404(moco, sandbox):
    users = list(sandbox.world.moco.users.values())
    answer = moco("PUT", f"/users/{users[0].id}", json_body={"email": users[1].email, "unit_id": 3})
    assert answer.status == 422
    assert answer.json() == {"email": ["ist bereits vergeben"], "unit_id": ["ist nicht gültig"]}
    assert moco("PUT", f"/users/{users[0].id}", json_body={"email": users[0].email}).status == 200  # its own
    missing = moco("PUT", "/users/1", json_body={"active": False})
    assert (missing.status, missing.body) == (404, b"")


# ----------------------------------------------------------------------------- employments written


def new_user(moco) -> int:
    return moco("POST", "/users", json_body=NINA).json()["id"]


def test_create_employment_answers_200_with_float_patterns_and_from_today_by_default(moco, sandbox):
    hooked(sandbox)
    user_id = new_user(moco)
    answer = moco("POST", "/users/employments", json_body={"user_id": user_id, "pattern": {"am": FOUR, "pm": FOUR}})
    assert answer.status == 200
    created = answer.json()
    assert (created["from"], created["to"], created["weekly_target_hours"]) == (TODAY.isoformat(), None, 40.0)
    assert created["pattern"] == {"am": [4.0] * 5, "pm": [4.0] * 5}
    assert created["user"] == {"id": user_id, "firstname": "Nina", "lastname": "Neumeyer"}
    assert set(sample("moco-employment-create.json")["body"]) <= set(created)
    assert moco("GET", f"/users/employments/{created['id']}").json() == created
    assert moco("GET", f"/users/employments?user_id={user_id}").json() == [created]
    assert [d["id"] for d in deliveries(sandbox, "User update")] == [user_id]


def test_an_employment_needs_a_known_user_and_a_five_day_pattern(moco):
    answer = moco("POST", "/users/employments", json_body={})
    assert answer.status == 422
    assert answer.json() == {"user_id": ["muss ausgefüllt werden"], "pattern": ["muss ausgefüllt werden"]}
    answer = moco("POST", "/users/employments", json_body={"user_id": 1, "pattern": {"am": [4] * 7, "pm": FOUR},
                                                           "from": "someday"})
    assert answer.json() == {"user_id": ["ist nicht gültig"], "pattern": ["ist nicht gültig"],
                             "from": ["ist nicht gültig"]}


def test_an_overlapping_employment_is_refused_and_one_after_the_end_is_not(moco):
    """UNVERIFIED that MOCO refuses overlaps (OVERLAPPING_EMPLOYMENTS_REFUSED): the stand-in does."""
    user_id = new_user(moco)
    entry = {"user_id": user_id, "pattern": {"am": FOUR, "pm": FOUR}, "from": "2026-01-01"}
    first = moco("POST", "/users/employments", json_body=entry).json()
    answer = moco("POST", "/users/employments", json_body={**entry, "from": "2026-06-01"})
    assert answer.status == 422 and answer.json() == {"from": ["range overlaps"]}
    moco("PUT", f"/users/employments/{first['id']}", json_body={"to": "2026-05-31"})
    assert moco("POST", "/users/employments", json_body={**entry, "from": "2026-06-01"}).status == 200
    reopened = moco("PUT", f"/users/employments/{first['id']}", json_body={"to": None})
    assert reopened.status == 422 and reopened.json() == {"from": ["range overlaps"]}


def test_put_and_patch_change_only_what_they_are_sent(moco, sandbox):
    hooked(sandbox)
    user_id = new_user(moco)
    created = moco("POST", "/users/employments", json_body={
        "user_id": user_id, "pattern": {"am": FOUR, "pm": FOUR}, "from": "2026-01-01"}).json()
    ended = moco("PUT", f"/users/employments/{created['id']}", json_body={"to": "2026-11-30"}).json()
    assert ended["to"] == "2026-11-30" and ended["updated_at"] >= created["updated_at"]
    assert {k: v for k, v in ended.items() if k not in ("to", "updated_at")} == \
        {k: v for k, v in created.items() if k not in ("to", "updated_at")}
    halves = moco("PATCH", f"/users/employments/{created['id']}",
                  json_body={"pattern": {"am": FOUR, "pm": [0, 0, 0, 0, 0]}}).json()
    assert (halves["weekly_target_hours"], halves["to"], halves["from"]) == (20.0, "2026-11-30", "2026-01-01")
    assert moco("PUT", f"/users/employments/{created['id']}", json_body={"to": "2025-12-31"}).json() == \
        {"to": ["ist nicht gültig"]}  # before `from`
    assert moco("PUT", "/users/employments/1", json_body={"to": "2026-11-30"}).status == 404
    assert len(deliveries(sandbox, "User update")) == 3  # the create and both changes


# ----------------------------------------------------------------------------- the real client


def test_the_client_creates_reads_ends_and_archives_a_hire_on_the_sandbox(sandbox):
    spec = parse_spec(sandbox.spec_yaml(), today=TODAY)
    start, last = TODAY - timedelta(days=3), TODAY + timedelta(days=30)

    async def scenario() -> Any:
        async with open_clients(spec, read_credentials(spec, sandbox.env()), Tuning()) as clients:
            moco = clients.moco
            teams = {unit.name: unit.id for unit in await moco.units()}
            assert await moco.user_by_email("nina.neumeyer@acme.example") is None
            user = await moco.create_user("Nina", "Neumeyer", "Nina.Neumeyer@acme.example", teams["Development"],
                                          tags=("reconcile:personio",), welcome_email=True)
            found = await moco.user_by_email("NINA.NEUMEYER@acme.example")
            employment = await moco.create_employment(user.id, start, (4.0,) * 5, (3.5, 4, 4, 4, 4))
            read = await moco.employments([user.id])
            with pytest.raises(Rejected, match=r"POST /api/v1/users/employments was refused \(422\): from range "
                                               r"overlaps"):
                await moco.create_employment(user.id, start, (4.0,) * 5, (4.0,) * 5)
            with pytest.raises(Rejected, match=r"POST /api/v1/users was refused \(422\): email ist bereits vergeben"):
                await moco.create_user("N", "N", "nina.neumeyer@acme.example", teams["Sales"], tags=(),
                                       welcome_email=False)
            ended = await moco.end_employment(employment.id, last)
            archived = await moco.archive_user(user.id)
            after = await moco.user_by_email("nina.neumeyer@acme.example")
            return teams, user, found, employment, read, ended, archived, after

    teams, user, found, employment, read, ended, archived, after = asyncio.run(scenario())
    assert set(teams) == {"Team 1", "Development", "Sales"}
    assert (user.email, user.name, user.active, user.tags) == ("nina.neumeyer@acme.example", "Nina Neumeyer", True,
                                                               ("reconcile:personio",))
    assert (user.unit_id, user.unit_name) == (teams["Development"], "Development")
    assert found == user
    assert (employment.user_id, employment.start, employment.end) == (user.id, start, None)
    assert employment.hours(date(2026, 11, 23)) == (4.0, 3.5)  # a Monday
    assert read == [employment]
    assert ended is not None and (ended.id, ended.start, ended.end) == (employment.id, start, last)
    assert archived is not None and not archived.active and archived.tags == user.tags
    assert after is not None and not after.active and after.unit_id == teams["Development"]  # archived: still read
    stored = sandbox.world.moco
    assert stored.users[user.id].welcome_email is True and stored.employments[employment.id].to_date == last.isoformat()
    counts = sandbox.log.counts("moco")
    assert counts["POST /api/v1/users"] == 2 and counts["POST /api/v1/users/employments"] == 2
