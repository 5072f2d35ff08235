"""Contract tests of the Personio v2 stand-in."""

from __future__ import annotations

from reconciler.sandbox.seed import PERSONIO_CLIENT_ID, PERSONIO_CLIENT_SECRET
from tests.conftest import call, sample, side_door

CREDENTIALS = {"grant_type": "client_credentials", "client_id": PERSONIO_CLIENT_ID,
               "client_secret": PERSONIO_CLIENT_SECRET}


# ----------------------------------------------------------------------------- auth


def test_token_from_form_encoded_client_credentials(sandbox):
    answer = call("POST", sandbox.personio_url + "/v2/auth/token", form=CREDENTIALS)
    assert answer.status == 200
    body = answer.json()
    assert body["token_type"] == "Bearer" and body["expires_in"] == 86400
    assert body["access_token"].startswith("papi-")
    assert set(sample("personio-v2-auth-token.json")["body"]) <= set(body)


def test_token_errors_use_the_flat_oauth_shape(sandbox):
    url = sandbox.personio_url + "/v2/auth/token"
    wrong = call("POST", url, form={**CREDENTIALS, "client_secret": "nope"})
    assert wrong.status == 401 and wrong.json()["error"] == "invalid_client"
    assert set(sample("personio-v2-auth-token-error.json")["body"]) <= set(wrong.json())
    as_json = call("POST", url, json_body=CREDENTIALS)
    assert as_json.status == 400 and "x-www-form-urlencoded" in as_json.json()["error_description"]
    missing = call("POST", url, form={"grant_type": "client_credentials", "client_id": PERSONIO_CLIENT_ID})
    assert missing.status == 400 and missing.json()["meta"] == {"missing_parameters": ["client_secret"]}


def test_every_other_endpoint_needs_a_valid_bearer_token(sandbox):
    for headers in ({}, {"Authorization": "Bearer papi-made-up"}):
        answer = call("GET", sandbox.personio_url + "/v2/persons", headers=headers)
        assert answer.status == 401
        assert answer.header("Content-Type").startswith("application/problem+json")
        body = answer.json()
        assert body["personio_trace_id"] and body["errors"][0]["title"] == "Unauthorized"


def test_tokens_expire(personio, sandbox):
    sandbox.knobs["personio"].token_ttl = 0
    personio._token = None
    assert personio("GET", "/v2/persons").status == 401


# ----------------------------------------------------------------------------- pagination


def walk(personio, path):
    items, pages, url = [], 0, path
    while url:
        answer = personio("GET", url)
        assert answer.status == 200, answer.body
        body = answer.json()
        items += body["_data"]
        pages += 1
        url = body["_meta"]["links"].get("next", {}).get("href")
    return items, pages


def test_persons_cursor_walk_lists_everyone_once(personio, sandbox):
    items, pages = walk(personio, "/v2/persons?limit=5")
    assert len(items) == len({p["id"] for p in items}) == len(sandbox.world.personio.persons) == 14
    assert pages == 3


def test_next_link_is_absolute_and_carries_only_the_cursor(personio, sandbox):
    body = personio("GET", "/v2/persons?limit=2&status=ACTIVE").json()
    href = body["_meta"]["links"]["next"]["href"]
    assert href.startswith(f"{sandbox.personio_url}/v2/persons?cursor=")
    assert "limit" not in href and "status" not in href
    second = personio("GET", href).json()
    assert len(second["_data"]) == 2 and all(p["status"] == "ACTIVE" for p in second["_data"])


def test_relative_links_knob_imitates_links_before_september_2025(personio, sandbox):
    sandbox.knobs["personio"].relative_links = True
    href = personio("GET", "/v2/persons?limit=2").json()["_meta"]["links"]["next"]["href"]
    assert href.startswith("/v2/persons?cursor=")


def test_last_page_has_no_next_link(personio):
    body = personio("GET", "/v2/persons?limit=50").json()
    assert "next" not in body["_meta"]["links"] and "self" in body["_meta"]["links"]


def test_limit_above_maximum_is_a_400_problem(personio):
    assert personio("GET", "/v2/persons?limit=51").status == 400
    assert personio("GET", "/v2/absence-periods?limit=101").status == 400
    assert personio("GET", "/v2/attendance-periods?limit=100").status == 200


def test_bad_cursor_is_a_400(personio):
    assert personio("GET", "/v2/persons?cursor=garbage").status == 400


# ----------------------------------------------------------------------------- persons


def test_person_shape_matches_the_documented_example(personio):
    person = personio("GET", "/v2/persons?limit=1").json()["_data"][0]
    assert set(sample("personio-v2-persons-list.json")["body"]["_data"][0]) <= set(person)


def test_email_filter_ignores_case(personio):
    found = personio("GET", "/v2/persons?email=max.mustermann@acme.example").json()["_data"]
    assert [p["email"] for p in found] == ["Max.Mustermann@ACME.EXAMPLE"]


def test_sparse_persons_knob_drops_email_and_names(personio, sandbox):
    sandbox.knobs["personio"].sparse_persons = True
    person = personio("GET", "/v2/persons?limit=1").json()["_data"][0]
    assert set(person) == set(sample("personio-v2-persons-list-sparse.json")["body"]["_data"][0])


# ----------------------------------------------------------------------------- absences


def test_absence_types_are_listed(personio):
    names = {t["name"] for t in personio("GET", "/v2/absence-types").json()["_data"]}
    assert {"Paid vacation", "Sick leave", "Parental leave"} <= names


def test_absence_periods_date_window_matches_overlapping_and_open_ended_periods(personio, sandbox):
    window = "starts_from.date_time.gte=2026-11-20T00:00:00&ends_at.date_time.lte=2026-11-21T23:59:59"
    items, _ = walk(personio, f"/v2/absence-periods?{window}")
    periods = sandbox.world.personio.absence_periods.values()
    expected = {p.id for p in periods if p.starts_from <= "2026-11-21T23:59:59"
                and (p.ends_at is None or p.ends_at >= "2026-11-20T00:00:00")}
    assert {p["id"] for p in items} == expected
    assert any(p["ends_at"] is None for p in items)  # the long sickness
    assert any(p["starts_from"]["date_time"] < "2026-11-20" for p in items)  # started before the window


def test_absence_period_shape_and_statuses(personio):
    items, _ = walk(personio, "/v2/absence-periods")
    assert set(sample("personio-v2-absence-periods-list.json")["body"]["_data"][0]) <= set(items[0])
    assert {p["approval"]["status"] for p in items} == {"APPROVED", "PENDING", "REJECTED"}
    half = [p for p in items if p["starts_from"]["type"] == "SECOND_HALF"]
    assert half and all(p["starts_from"]["date_time"].endswith("T00:00:00") for p in half)


def test_date_time_filters_with_z_or_offset_are_refused(personio):
    for value in ("2026-11-01T00:00:00Z", "2026-11-01T00:00:00%2B01:00"):
        assert personio("GET", f"/v2/attendance-periods?start.date_time.gte={value}").status == 400
        assert personio("GET", f"/v2/absence-periods?starts_from.date_time.gte={value}").status == 400
    assert personio("GET", "/v2/attendance-periods?start.date_time.gte=2026-11-01T00:00:00").status == 200


# ----------------------------------------------------------------------------- attendances


def a_person(sandbox) -> str:
    return next(p.id for p in sandbox.world.personio.persons.values() if p.status == "ACTIVE")


def period(person_id: str, day: str = "2026-11-29", start: str = "09:00:00", end: str = "12:00:00") -> dict:
    return {"person": {"id": person_id}, "type": "WORK", "start": {"date_time": f"{day}T{start}"},
            "end": {"date_time": f"{day}T{end}"}, "comment": "test"}


def test_create_with_skip_approval_is_confirmed_and_without_is_pending(personio, sandbox):
    person = a_person(sandbox)
    created = personio("POST", "/v2/attendance-periods?skip_approval=true", json_body=period(person))
    assert created.status == 201
    stored = personio("GET", f"/v2/attendance-periods/{created.json()['id']}").json()
    assert stored["approval"]["status"] == "CONFIRMED" and stored["start"]["date_time"] == "2026-11-29T09:00:00"
    pending = personio("POST", "/v2/attendance-periods", json_body=period(person, start="13:00:00", end="15:00:00"))
    assert personio("GET", f"/v2/attendance-periods/{pending.json()['id']}").json()["approval"]["status"] == "PENDING"


def test_start_after_end_is_a_422_problem(personio, sandbox):
    answer = personio("POST", "/v2/attendance-periods?skip_approval=true",
                      json_body=period(a_person(sandbox), start="17:00:00", end="09:00:00"))
    assert answer.status == 422
    assert answer.json()["errors"][0]["detail"] == "Start date greater than end date."


def test_overlapping_periods_are_refused(personio, sandbox):
    person = a_person(sandbox)
    assert personio("POST", "/v2/attendance-periods?skip_approval=true", json_body=period(person)).status == 201
    overlap = personio("POST", "/v2/attendance-periods?skip_approval=true",
                       json_body=period(person, start="11:00:00", end="14:00:00"))
    assert overlap.status == 422


def test_patch_and_delete_answer_204(personio, sandbox):
    created = personio("POST", "/v2/attendance-periods?skip_approval=true", json_body=period(a_person(sandbox)))
    period_id = created.json()["id"]
    patched = personio("PATCH", f"/v2/attendance-periods/{period_id}?skip_approval=true",
                       json_body={"end": {"date_time": "2026-11-29T12:30:00"}})
    assert patched.status == 204 and patched.body == b""
    assert personio("GET", f"/v2/attendance-periods/{period_id}").json()["end"]["date_time"] == "2026-11-29T12:30:00"
    assert personio("DELETE", f"/v2/attendance-periods/{period_id}").status == 204
    assert personio("GET", f"/v2/attendance-periods/{period_id}").status == 404


def test_locked_period_refuses_changes(personio, sandbox):
    created = personio("POST", "/v2/attendance-periods?skip_approval=true", json_body=period(a_person(sandbox)))
    period_id = created.json()["id"]
    assert side_door(sandbox, "PATCH", f"/records/personio/attendance-periods/{period_id}",
                     json_body={"locked": True}).status == 200
    refused = personio("PATCH", f"/v2/attendance-periods/{period_id}?skip_approval=true", json_body={"comment": "x"})
    assert 400 <= refused.status < 500 and refused.json()["errors"]
    assert personio("DELETE", f"/v2/attendance-periods/{period_id}").status == refused.status


def test_attendance_filters_by_person_and_date(personio, sandbox):
    person = a_person(sandbox)
    personio("POST", "/v2/attendance-periods?skip_approval=true", json_body=period(person))
    rows = personio("GET", f"/v2/attendance-periods?person.id={person}&attribution_date.gte=2026-11-29"
                           "&attribution_date.lte=2026-11-29").json()["_data"]
    assert [r["person"]["id"] for r in rows] == [person]
    assert set(sample("personio-v2-attendance-periods-list.json")["body"]["_data"][0]) <= set(rows[0])


# ----------------------------------------------------------------------------- rate limit


def test_rate_limit_is_configurable_and_answers_problem_json(personio, sandbox):
    personio.token()
    sandbox.knobs["personio"].update({"rate_limit_requests": 2, "rate_limit_seconds": 60, "retry_after": 7})
    statuses = [personio("GET", "/v2/absence-types").status for _ in range(3)]
    assert statuses == [200, 200, 429]
    limited = personio("GET", "/v2/absence-types")
    assert limited.header("Retry-After") == "7" and limited.json()["errors"][0]["title"] == "Too Many Requests"


def test_token_endpoint_has_its_own_limit(sandbox):
    sandbox.knobs["personio"].update({"token_rate_limit_requests": 1})
    url = sandbox.personio_url + "/v2/auth/token"
    assert [call("POST", url, form=CREDENTIALS).status for _ in range(2)] == [200, 429]
