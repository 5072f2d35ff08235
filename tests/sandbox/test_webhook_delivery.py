"""The sandbox sends webhooks as MOCO and Personio do: each change through the API or the side door reaches a
registered receiver, passes the receiver's own checks (serve/signatures.py) and reads as the right hint
(serve/events.py); a failing receiver is retried, a dead one never slows or fails the API call."""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from datetime import date
from typing import Any

import pytest
from aiohttp import web

from reconciler.plan.scope import ALL_DAYS
from reconciler.sandbox.deliveries import ATTEMPTS, Outbox
from reconciler.serve.events import MOCO, Hint, moco_hint, personio_hint
from reconciler.serve.signatures import verify_moco, verify_personio
from tests.conftest import side_door

ABSENCES, HOURS = "absences_to_moco", "hours_to_personio"

SECRET = "0123456789abcdef0123456789abcdef"
TOKEN = "sandbox-personio-webhook-token"


class Receiver:
    """A tiny webhook receiver on 127.0.0.1 in its own thread; answers `statuses` in turn, then 200."""

    def __init__(self, statuses: list[int] | None = None) -> None:
        self.statuses = list(statuses or [])
        self.received: list[tuple[dict[str, str], bytes]] = []
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self.url = ""

    async def _handle(self, request: web.Request) -> web.Response:
        self.received.append((dict(request.headers), await request.read()))
        return web.Response(status=self.statuses.pop(0) if self.statuses else 200)

    async def _start(self) -> None:
        app = web.Application()
        app.router.add_post("/hook", self._handle)
        self._runner = web.AppRunner(app, access_log=None, handle_signals=False)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.url = f"http://127.0.0.1:{self._runner.addresses[0][1]}/hook"

    def __enter__(self) -> Receiver:
        self._thread.start()
        asyncio.run_coroutine_threadsafe(self._start(), self._loop).result(timeout=10)
        return self

    def __exit__(self, *exc: Any) -> None:
        asyncio.run_coroutine_threadsafe(self._runner.cleanup(), self._loop).result(timeout=10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=10)
        self._loop.close()

    def wait_for(self, count: int, timeout: float = 5.0) -> list[tuple[dict[str, str], bytes]]:
        deadline = time.monotonic() + timeout
        while len(self.received) < count and time.monotonic() < deadline:
            time.sleep(0.02)
        assert len(self.received) >= count, f"{len(self.received)} of {count} deliveries arrived"
        return self.received


@pytest.fixture
def receiver():
    with Receiver() as running:
        yield running


def register(sandbox, **body: Any) -> None:
    answer = side_door(sandbox, "POST", "/webhooks", json_body=body)
    assert answer.status == 201, answer.body


def deliveries(sandbox, until: str | None = None, timeout: float = 5.0) -> list[dict[str, Any]]:
    deadline = time.monotonic() + timeout
    while True:
        shown = side_door(sandbox, "GET", "/deliveries").json()
        if until is None or (shown and all(d["outcome"] == until for d in shown)) or time.monotonic() > deadline:
            return shown
        time.sleep(0.05)


def a_user(sandbox) -> int:
    return min(u.id for u in sandbox.world.moco.users.values() if u.active)


def checked_moco(headers: dict[str, str], body: bytes) -> Hint:
    assert verify_moco(body, headers, SECRET).ok
    assert not verify_moco(body, headers, "f" * 32).ok
    hint = moco_hint(body, headers)
    assert isinstance(hint, Hint), hint
    return hint


def test_nothing_is_sent_and_no_task_runs_until_a_hook_is_registered(sandbox, moco):
    user = a_user(sandbox)
    assert moco("POST", "/users/presences", headers={"X-IMPERSONATE-USER-ID": str(user)},
                json_body={"date": "2026-11-27", "from": "08:00", "to": "09:00"}).status == 200
    assert deliveries(sandbox) == [] and sandbox.outbox._senders == []


def test_moco_presence_changes_through_the_api_and_the_side_door_arrive_signed(sandbox, moco, receiver):
    register(sandbox, service="moco", url=receiver.url, secret=SECRET)
    user = a_user(sandbox)
    created = moco("POST", "/users/presences", headers={"X-IMPERSONATE-USER-ID": str(user)},
                   json_body={"date": "2026-11-27", "from": "08:00", "to": "09:00"}).json()
    (headers, body), = receiver.wait_for(1)
    assert headers["X-Moco-Target"] == "Presence" and headers["X-Moco-Event"] == "create"
    assert headers["X-Moco-Origin"] == "api" and headers["X-Moco-Timestamp"].isdigit()
    assert checked_moco(headers, body) == Hint(MOCO, (HOURS,), user, frozenset({date(2026, 11, 27)}),
                                               created["id"], "Presence create")

    changed = side_door(sandbox, "PATCH", f"/records/moco/presences/{created['id']}",
                        json_body={"date": "2026-11-26"})
    assert changed.status == 200
    headers, body = receiver.wait_for(2)[1]
    assert headers["X-Moco-Event"] == "update" and "X-Moco-Origin" not in headers  # as if in MOCO's UI
    assert checked_moco(headers, body).days == frozenset({date(2026, 11, 26)})


def test_a_deleted_schedule_sends_only_its_id(sandbox, moco, receiver):
    register(sandbox, service="moco", url=receiver.url, secret=SECRET, targets=["Schedule"], events=["delete"])
    schedule = min(sandbox.world.moco.schedules)
    assert moco("DELETE", f"/schedules/{schedule}").status == 200
    (headers, body), = receiver.wait_for(1)
    assert body == f'{{"id":{schedule}}}'.encode()
    assert checked_moco(headers, body) == Hint(MOCO, (ABSENCES, "holidays_to_moco"), None, ALL_DAYS, schedule,
                                               "Schedule delete")  # both write MOCO absences
    shown = deliveries(sandbox, until="delivered")
    assert [(d["event"], d["attempts"], d["status"]) for d in shown] == [("Schedule delete", 1, 200)]


def test_moco_hooks_are_registered_through_its_api_too(sandbox, moco):
    made = moco("POST", "/account/web_hooks", json_body={"target": "Presence", "event": "update",
                                                          "hook": "http://127.0.0.1:9/x"})
    assert made.status == 200 and "secret" not in made.json()
    assert moco("GET", "/account/web_hooks").json() == [made.json()]
    assert moco("POST", "/account/web_hooks", json_body={"target": "Presence", "event": "edit"}).json() == {
        "event": ["ist nicht gültig"], "hook": ["muss ausgefüllt werden"]}
    (shown,) = side_door(sandbox, "GET", "/webhooks").json()["moco"]
    assert len(shown["secret"]) == 32
    assert moco("DELETE", f"/account/web_hooks/{made.json()['id']}").status == 204
    assert moco("GET", "/account/web_hooks").json() == []


def test_personio_attendance_period_created_and_deleted_arrive_with_the_token(sandbox, personio, receiver):
    register(sandbox, service="personio", url=receiver.url, token=TOKEN)
    person = next(iter(sandbox.world.personio.persons))
    created = personio("POST", "/v2/attendance-periods?skip_approval=true", json_body={
        "person": {"id": person}, "type": "WORK", "start": {"date_time": "2026-11-27T08:00:00"},
        "end": {"date_time": "2026-11-27T09:00:00"}, "comment": "x"}).json()["id"]
    assert personio("DELETE", f"/v2/attendance-periods/{created}").status == 204
    arrived = receiver.wait_for(2)
    hints = []
    for headers, body in arrived:
        assert verify_personio(body, headers, TOKEN).ok and not verify_personio(body, headers, "other").ok
        hints.append(personio_hint(body))
    assert [(h.event, h.person, h.record, h.directions) for h in hints] == [
        ("attendance-period.created", person, created, (HOURS,)),
        ("attendance-period.deleted", person, created, (HOURS,))]


def test_a_receiver_answering_500_is_retried_until_it_takes_the_delivery(sandbox, moco):
    with Receiver(statuses=[500, 503]) as failing:
        register(sandbox, service="moco", url=failing.url, secret=SECRET, targets=["Schedule"], events=["delete"])
        assert moco("DELETE", f"/schedules/{min(sandbox.world.moco.schedules)}").status == 200
        bodies = {body for _, body in failing.wait_for(3)}
        assert len(bodies) == 1  # the same delivery three times
        (shown,) = deliveries(sandbox, until="delivered")
        assert (shown["attempts"], shown["status"], shown["outcome"]) == (3, 200, "delivered")


def test_a_dead_url_neither_slows_nor_fails_the_api_call(sandbox, moco):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        dead = f"http://127.0.0.1:{probe.getsockname()[1]}/hook"
    register(sandbox, service="moco", url=dead, secret=SECRET)
    user = a_user(sandbox)
    started = time.monotonic()
    answer = moco("POST", "/users/presences", headers={"X-IMPERSONATE-USER-ID": str(user)},
                  json_body={"date": "2026-11-27", "from": "08:00", "to": "09:00"})
    assert answer.status == 200 and time.monotonic() - started < 0.5
    (shown,) = deliveries(sandbox, until="failed")
    assert shown["attempts"] == ATTEMPTS and shown["status"] is None and "Connect" in shown["error"]


def test_bad_registrations_are_refused_with_a_message(sandbox):
    for body in ({"service": "moco"}, {"service": "moco", "url": "http://x", "secret": "short"},
                 {"service": "personio", "url": "http://x"}, {"service": "lexoffice", "url": "http://x"}):
        answer = side_door(sandbox, "POST", "/webhooks", json_body=body)
        assert answer.status == 400 and answer.json()["error"], body


def test_a_delivery_outside_a_serving_sandbox_is_dropped_not_raised():
    outbox = Outbox()
    assert outbox.send("moco", "Presence create", "http://127.0.0.1:9/x", {}, b"{}").outcome == "dropped"
    assert [d.outcome for d in outbox.records] == ["dropped"]
