"""Contract tests of the MOCO stand-in: the ground under every later test must be checked."""

from __future__ import annotations

import re
import time

from reconciler.sandbox.seed import MOCO_USER_KEY
from tests.conftest import TODAY, Moco, call, sample, side_door


def links(answer) -> dict[str, str]:
    header = answer.header("Link") or ""
    return {rel: url for url, rel in re.findall(r'<([^>]+)>;\s*rel="(\w+)"', header)}


# ----------------------------------------------------------------------------- pagination


def test_pagination_walk_follows_link_next_and_lists_every_record_once(moco):
    url = "/users?include_archived=true&per_page=4"
    seen, pages = [], 0
    answer = None
    while url:
        answer = moco("GET", url)
        assert answer.status == 200
        pages += 1
        seen += [user["id"] for user in answer.json()]
        total = int(answer.header("X-Total"))
        url = links(answer).get("next")
    assert len(seen) == len(set(seen)) == total == 15
    assert pages == 4
    assert answer.header("X-Page") == "4" and "next" not in links(answer)


def test_link_lists_last_before_next_with_absolute_sorted_urls(moco):
    answer = moco("GET", "/users?per_page=5&include_archived=true")
    header = answer.header("Link")
    assert header.index('rel="last"') < header.index('rel="next"')
    assert links(answer)["next"] == f"{moco.sandbox.moco_url}/users?include_archived=true&page=2&per_page=5"
    assert answer.header("X-Per-Page") == "5" and answer.header("X-Page") == "1"


def test_single_page_has_no_link_header_at_all(moco):
    answer = moco("GET", "/users?include_archived=true")
    assert answer.header("X-Total") == "15"
    assert answer.header("Link") is None


def test_per_page_is_capped_at_100(moco):
    answer = moco("GET", "/users/presences?from=2000-01-01&to=2100-01-01&per_page=500")
    assert answer.header("X-Per-Page") == "100"
    assert int(answer.header("X-Total")) > 100 and len(answer.json()) == 100


def test_exactly_100_records_are_one_page_and_101_are_two(moco, sandbox):
    presences = moco("GET", "/users/presences?from=2000-01-01&to=2100-01-01&per_page=100")
    total = int(presences.header("X-Total"))
    assert total > 101
    ids = sorted(p["id"] for p in moco("GET", "/users/presences?from=2000-01-01&to=2100-01-01").json())
    assert len(ids) == 100
    # Keep exactly 101, then 100, records and look at the headers.
    for keep in (101, 100):
        state = sandbox.world.moco.presences
        for presence_id in sorted(state)[keep:]:
            del state[presence_id]
        answer = moco("GET", "/users/presences?from=2000-01-01&to=2100-01-01")
        assert answer.header("X-Total") == str(keep)
        assert ("next" in links(answer)) is (keep == 101)


def test_lower_case_header_knob(moco, sandbox):
    sandbox.knobs["moco"].lowercase_headers = True
    answer = moco("GET", "/users?per_page=2")
    assert "x-total" in answer.headers and "X-Total" not in answer.headers
    assert "link" in answer.headers


# ----------------------------------------------------------------------------- authentication


def test_missing_or_wrong_key_is_401_with_message(sandbox):
    for headers in ({}, {"Authorization": "Token token=wrong"}, {"Authorization": "Basic abc"}):
        answer = call("GET", sandbox.moco_url + "/users", headers=headers)
        assert answer.status == 401
        assert answer.json() == {"message": "Unauthorized"}


def test_bearer_form_is_accepted_too(sandbox):
    answer = call("GET", sandbox.moco_url + "/users", headers={"Authorization": "Bearer sandbox-moco-account-key"})
    assert answer.status == 200


def test_user_key_without_staff_rights_gets_403_with_empty_body_on_users(sandbox):
    user_key = Moco(sandbox, MOCO_USER_KEY)
    for path in ("/users", "/users/employments"):
        answer = user_key("GET", path)
        assert answer.status == 403 and answer.body == b""
    # ... and sees only its own presences, whatever user_id it asks for.
    other = next(p.user_id for p in sandbox.world.moco.presences.values())
    assert user_key("GET", f"/users/presences?user_id={other}").json() == []


# ----------------------------------------------------------------------------- users, employments


def test_archived_users_are_hidden_unless_asked_for(moco):
    active = {u["email"] for u in moco("GET", "/users").json()}
    everyone = {u["email"] for u in moco("GET", "/users?include_archived=true").json()}
    assert "olaf.altmann@acme.example" in everyone - active
    assert all(u["active"] for u in moco("GET", "/users").json())


def test_user_shape_has_every_recorded_field(moco):
    recorded = sample("moco-users-list-2023.json")["body"][0]
    ours = moco("GET", "/users").json()[0]
    assert set(recorded) <= set(ours)


def test_employments_carry_float_patterns_and_open_ends(moco):
    rows = moco("GET", "/users/employments").json()
    recorded = sample("moco-employments-list.json")["body"][0]
    assert set(recorded) <= set(rows[0])
    assert all(isinstance(h, float) for row in rows for h in row["pattern"]["am"] + row["pattern"]["pm"])
    assert any(row["from"] is None for row in rows)
    assert any(row["to"] is not None for row in rows)


# ----------------------------------------------------------------------------- schedules


def first_user_id(sandbox) -> int:
    return next(u.id for u in sandbox.world.moco.users.values() if u.active)


def test_create_answers_200_with_german_name_and_string_code(moco, sandbox):
    user_id = first_user_id(sandbox)
    answer = moco("POST", "/schedules", json_body={"date": "2026-12-06", "absence_code": 4, "user_id": user_id})
    assert answer.status == 200  # not 201
    body = answer.json()
    assert body["assignment"]["code"] == "4" and body["assignment"]["name"] == "Urlaub"
    assert body["assignment"]["type"] == "Absence"
    assert (body["am"], body["pm"], body["comment"], body["symbol"]) == (True, True, "", None)  # defaults
    assert body["date"] == "2026-12-06"  # a Sunday: MOCO does not refuse weekends
    assert set(sample("moco-schedule-create.json")["body"]) <= set(body)


def test_am_false_with_pm_false_is_a_500_text_page(moco, sandbox):
    answer = moco("POST", "/schedules", json_body={
        "date": "2026-12-07", "absence_code": 4, "user_id": first_user_id(sandbox), "am": False, "pm": False})
    assert answer.status == 500
    assert answer.header("Content-Type").startswith("text/plain")


def test_validation_errors_are_bare_field_maps_in_german(moco, sandbox):
    answer = moco("POST", "/schedules", json_body={"absence_code": 9, "user_id": first_user_id(sandbox)})
    assert answer.status == 422
    assert answer.json() == {"date": ["muss ausgefüllt werden"], "absence_code": ["ist nicht gültig"]}
    answer = moco("POST", "/schedules", json_body={"date": "2026-12-07", "absence_code": 4, "user_id": 1})
    assert answer.json() == {"user_id": ["ist nicht gültig"]}


def test_same_day_twice_without_overwrite_stores_two_and_overwrite_replaces(moco, sandbox):
    user_id = first_user_id(sandbox)
    entry = {"date": "2026-12-08", "absence_code": 4, "user_id": user_id}
    moco("POST", "/schedules", json_body=entry)
    moco("POST", "/schedules", json_body={**entry, "absence_code": 3})
    day = moco("GET", f"/schedules?from=2026-12-08&to=2026-12-08&user_id={user_id}").json()
    assert len(day) == 2
    moco("POST", "/schedules", json_body={**entry, "absence_code": 5, "overwrite": True})
    day = moco("GET", f"/schedules?from=2026-12-08&to=2026-12-08&user_id={user_id}").json()
    assert [s["assignment"]["code"] for s in day] == ["5"]


def test_put_keeps_the_id_and_delete_answers_200_with_the_object(moco, sandbox):
    created = moco("POST", "/schedules", json_body={
        "date": "2026-12-09", "absence_code": 4, "user_id": first_user_id(sandbox)}).json()
    updated = moco("PUT", f"/schedules/{created['id']}", json_body={"am": False, "comment": "halber Tag"})
    assert updated.status == 200
    assert (updated.json()["id"], updated.json()["am"], updated.json()["pm"]) == (created["id"], False, True)
    assert moco("PUT", f"/schedules/{created['id']}", json_body={"pm": False}).status == 500
    deleted = moco("DELETE", f"/schedules/{created['id']}")
    assert deleted.status == 200 and deleted.json()["id"] == created["id"]
    gone = moco("GET", f"/schedules/{created['id']}")
    assert gone.status == 404 and gone.body == b""


def test_assignment_code_can_be_left_out_like_all_recorded_traffic(moco, sandbox):
    sandbox.knobs["moco"].assignment_code = False
    rows = moco("GET", "/schedules?absence_code=2").json()
    assert rows and all("code" not in row["assignment"] for row in rows)
    assert all(row["assignment"]["name"] == "Feiertag" for row in rows)  # the filter still tells the kind


def test_absence_code_filter_takes_a_list_and_ignores_nonsense(moco):
    both = moco("GET", "/schedules?absence_code=1,5").json()
    assert {row["assignment"]["code"] for row in both} == {"1", "5"}
    assert moco("GET", "/schedules?absence_code=ScheduleAbsenceCode.UNPLANNED").json() == []


def test_schedules_filter_by_date_window_and_user(moco, sandbox):
    user_id = first_user_id(sandbox)
    rows = moco("GET", f"/schedules?from=2026-12-01&to=2026-12-31&user_id={user_id}").json()
    assert rows and all("2026-12-01" <= r["date"] <= "2026-12-31" and r["user"]["id"] == user_id for r in rows)


# ----------------------------------------------------------------------------- presences


def test_presences_need_from_and_to_together(moco):
    assert moco("GET", "/users/presences?from=2026-11-01").status == 422
    assert moco("GET", "/users/presences?to=2026-11-01").status == 422
    rows = moco("GET", "/users/presences?from=2026-11-02&to=2026-11-06").json()
    assert rows and all("2026-11-02" <= r["date"] <= "2026-11-06" for r in rows)


def test_presences_have_breaks_and_one_is_still_running(moco):
    rows = moco("GET", f"/users/presences?from={TODAY}&to={TODAY}").json()
    assert [r["to"] for r in rows] == [None]
    week = moco("GET", "/users/presences?from=2026-11-16&to=2026-11-20").json()
    per_day: dict[tuple[int, str], int] = {}
    for r in week:
        per_day[(r["user"]["id"], r["date"])] = per_day.get((r["user"]["id"], r["date"]), 0) + 1
    assert 2 in per_day.values()
    assert set(sample("moco-presences-list.json")["body"][0]) <= set(week[0])


def test_presence_writes_impersonate_and_refuse_overlaps(moco, sandbox):
    user_id = first_user_id(sandbox)
    impersonate = {"X-IMPERSONATE-USER-ID": str(user_id)}
    created = moco("POST", "/users/presences", headers=impersonate,
                   json_body={"date": "2026-11-28", "from": "10:00", "to": "12:00"})
    assert created.status == 200 and created.json()["user"]["id"] == user_id
    overlap = moco("POST", "/users/presences", headers=impersonate,
                   json_body={"date": "2026-11-28", "from": "11:00", "to": "13:00"})
    assert overlap.status == 422 and overlap.json() == {"from": ["range overlaps"]}
    malformed = moco("POST", "/users/presences", headers=impersonate,
                     json_body={"date": "2026-11-28", "from": "8", "to": "9:00"})
    assert malformed.status == 500
    patched = moco("PATCH", f"/users/presences/{created.json()['id']}", json_body={"to": "12:30"})
    assert patched.json()["to"] == "12:30"
    deleted = moco("DELETE", f"/users/presences/{created.json()['id']}")
    assert deleted.status == 204 and deleted.body == b""


def test_updated_after_lists_only_later_changes(moco, sandbox):
    presence = next(iter(sandbox.world.moco.presences.values()))
    presence.updated_at = "2099-01-01T00:00:00Z"
    rows = moco("GET", "/users/presences?updated_after=2098-12-31T00:00:00Z").json()
    assert [r["id"] for r in rows] == [presence.id]


# ----------------------------------------------------------------------------- rate limit


def test_rate_limit_answers_429_with_empty_body_and_no_retry_after(moco, sandbox):
    side_door(sandbox, "PATCH", "/knobs", json_body={"moco": {"rate_limit_requests": 3, "rate_limit_seconds": 60}})
    statuses = [moco("GET", "/users?per_page=1").status for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    limited = moco("GET", "/users?per_page=1")
    assert limited.body == b"" and limited.header("Retry-After") is None
    # The window is per key: the user key has its own budget.
    assert Moco(sandbox, MOCO_USER_KEY)("GET", "/schedules?per_page=1").status == 200


def test_rate_limit_window_slides(moco, sandbox):
    sandbox.knobs["moco"].update({"rate_limit_requests": 2, "rate_limit_seconds": 0.5})
    assert [moco("GET", "/users?per_page=1").status for _ in range(3)] == [200, 200, 429]
    time.sleep(0.6)
    assert moco("GET", "/users?per_page=1").status == 200
