"""Issue 20 against the sandbox, `reconcile serve` run as a user runs it (tests/e2e/serving.py): deliveries an
attacker with a captured delivery or a webhook secret could send cannot stall webhook sync or make serve spend
without bound.

- The poison delivery (a Personio event whose person.id is 20,000 characters) is answered as malformed and a real
  change made after it still reaches Personio in seconds (before: it was queued, every targeted run failed with
  a request too long, and the real change waited 15 minutes for the interval run).
- A captured MOCO presence delete, replayed after a restart, costs no request (before: 29 a replay, the whole
  hours direction planned); replayed within the window it is dropped as a repeat.
- 1,000 signed update events naming presence ids nobody made cost a bounded number of MOCO requests (before:
  1,019, one GET per id)."""

from __future__ import annotations

import json
import time
from collections import Counter

import pytest

from reconciler.serve.coalesce import QUIET
from reconciler.serve.targets import UNKNOWN_IDS_PER_RUN
from tests.conftest import Moco
from tests.e2e.serving import PERSONIO_TOKEN, Served, fast_spec, post, start_serve, sync_directly, wait_for
from tests.e2e.test_serve import free_slots, periods_by_presence, signed, synced_users

REAL_CHANGE_WAIT = 30.0  # seconds a real change may take to arrive here (the quiet time and one targeted run)


@pytest.fixture
def spec(sandbox, tmp_path):
    path = fast_spec(sandbox, tmp_path / "mapping.yaml")
    sync_directly(sandbox, path)
    return path


def stopped(served: Served) -> str:
    code, log = served.stop()
    assert code == 0, log
    return log


def api_requests(sandbox) -> Counter[str]:
    return Counter(entry.service for entry in list(sandbox.log.entries) if not entry.path.startswith("/_sandbox"))


def idle(served: Served) -> bool:
    """No targeted run follows within serve's quiet time and a margin."""
    runs = served.metric("reconcile_reconciles_total", kind="targeted", result="ok")
    time.sleep(QUIET + 1.0)
    return served.metric("reconcile_reconciles_total", kind="targeted", result="ok") == runs


def test_the_poison_delivery_is_refused_and_a_real_change_after_it_arrives_in_seconds(sandbox, spec):
    served = start_serve(sandbox, spec)
    try:
        poison = json.dumps({"company_id": "1", "event_name": "attendance-period.created",
                             "occurred_at": "2026-11-30T10:00:00Z",
                             "payload": {"id": "1", "person": {"id": "7" * 20_000}}, "meta": {}}).encode()
        status, answer = post(served.url + "/hooks/personio", poison,
                              {"Authorization": PERSONIO_TOKEN, "Content-Type": "application/json"})
        assert status == 200 and answer.startswith(b"malformed, not queued"), answer[:200]
        user, day, start, end = free_slots(sandbox, synced_users(sandbox), 1)[0]
        made = Moco(sandbox)("POST", "/users/presences", json_body={"date": day, "from": start, "to": end},
                             headers={"X-IMPERSONATE-USER-ID": str(user)})
        assert made.status == 200, made.body
        ident = made.json()["id"]
        wait_for(lambda: ident in periods_by_presence(sandbox), REAL_CHANGE_WAIT, "the real change in Personio")
        assert served.metric("reconcile_events_received_total", source="personio", outcome="malformed") == 1
        assert served.metric("reconcile_reconciles_total", kind="targeted", result="failed") == 0
        assert served.get("/readyz").status == 200
    finally:
        print(stopped(served)[-4000:])


def test_a_captured_presence_delete_replayed_after_a_restart_costs_no_request(sandbox, spec):
    served = start_serve(sandbox, spec)
    try:
        presence = next(iter(sorted(periods_by_presence(sandbox))))
        assert Moco(sandbox)("DELETE", f"/users/presences/{presence}").status == 204
        wait_for(lambda: presence not in periods_by_presence(sandbox), REAL_CHANGE_WAIT, "the deletion in Personio")
        delivery = next(d for d in list(sandbox.outbox.records) if d.event == "Presence delete")
        assert delivery.status == 202
    finally:
        stopped(served)

    served = start_serve(sandbox, spec, register=False)  # a new process: it has seen no delivery yet
    try:
        sandbox.log.entries.clear()
        answers = [post(served.url + "/hooks/moco", delivery.body, delivery.headers) for _ in range(20)]
        assert answers[0][0] in (200, 202) and {status for status, _ in answers[1:]} == {200}
        assert all(answer.strip() == b"ignored: a repeat" for _, answer in answers[1:])
        wait_for(lambda: idle(served), 30, "serve idle")
        requests = api_requests(sandbox)
        assert sum(requests.values()) <= 3, dict(requests)  # before: 29 a replay (the hours direction whole)
        assert served.metric("reconcile_reconciles_total", kind="targeted", result="ok") == 0
    finally:
        print(stopped(served)[-4000:])


def test_1000_update_events_naming_presence_ids_nobody_made_cost_a_bounded_number_of_requests(sandbox, spec):
    served = start_serve(sandbox, spec)
    try:
        users = synced_users(sandbox)
        sandbox.log.entries.clear()
        for n in range(1000):  # signed with the key: what a holder of MOCO's webhook key could send
            body = json.dumps({"id": 900_000_000 + n, "date": "2026-11-20", "from": "08:00", "to": "09:00",
                               "user": {"id": users[n % len(users)]}}).encode()
            status, _ = post(served.url + "/hooks/moco", body, {"X-Moco-Target": "Presence", "X-Moco-Event": "update",
                                                                "X-Moco-Signature": signed(body)})
            assert status == 202
        wait_for(lambda: served.metric("reconcile_reconciles_total", kind="targeted", result="ok") >= 1, 60,
                 "the targeted run")
        wait_for(lambda: idle(served), 60, "serve idle")
        moco = api_requests(sandbox)["moco"]
        # one `ids` list and at most one GET per unknown id the run may read, and the people's reads: far below
        # one GET per id (1,019 before). The rest is left to the incremental run, brought forward (FORWARD_GAP
        # after the start-up run; test_runner_bounds.py shows when).
        assert moco <= UNKNOWN_IDS_PER_RUN + 10, moco
        assert served.metric("reconcile_events_dropped_total") == 1000 - UNKNOWN_IDS_PER_RUN
    finally:
        print(stopped(served)[-4000:])


def test_serve_s_own_attendance_creates_coming_back_from_personio_cost_no_run(sandbox, spec):
    """Issue 20, finding 8: Personio's `attendance-period.created` of each period serve wrote (dataless: its id
    and person, no day) was planned again, a targeted run that found nothing to do."""
    served = start_serve(sandbox, spec)
    try:
        made = {}
        for user, day, start, end in free_slots(sandbox, synced_users(sandbox), 5):
            answer = Moco(sandbox)("POST", "/users/presences", json_body={"date": day, "from": start, "to": end},
                                   headers={"X-IMPERSONATE-USER-ID": str(user)})
            assert answer.status == 200, answer.body
            made[answer.json()["id"]] = user
        wait_for(lambda: set(made) <= set(periods_by_presence(sandbox)), REAL_CHANGE_WAIT, "the periods in Personio")

        def created() -> int:
            return sum(1 for d in list(sandbox.outbox.records)
                       if d.event == "attendance-period.created" and d.status is not None)

        wait_for(lambda: created() >= len(made), REAL_CHANGE_WAIT, "Personio's created events delivered")
        wait_for(lambda: idle(served), 30, "serve idle")
        echoed = served.metric("reconcile_events_echoed_total") \
            + served.metric("reconcile_events_received_total", source="personio", outcome="ignored")
        assert echoed >= len(made)
        assert served.metric("reconcile_events_received_total", source="personio", outcome="accepted") \
            == served.metric("reconcile_events_echoed_total")  # every accepted one was dropped as an echo
    finally:
        print(stopped(served)[-4000:])
