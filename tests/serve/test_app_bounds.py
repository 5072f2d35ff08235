"""Issue 20 through the serve application (aiohttp's test server, real HTTP): the poison delivery is answered as
malformed and queues nothing while a real change is still queued; a repeated delivery is dropped before any work;
a flood of authentic deliveries keeps the queue at its bound of people, and its memory small."""

from __future__ import annotations

import json
import tracemalloc

from aiohttp.test_utils import TestClient

from reconciler.serve.coalesce import PENDING_KEYS, RECORDS_PER_BATCH, REPEATS_KEPT, Coalescer
from reconciler.serve.events import Hint, moco_hint, personio_hint
from tests.serve.test_app import TOKEN, moco_headers, post, serve, state

FLOOD = 100_000
MEMORY_LIMIT = 64 * 1024 * 1024  # bytes the queue and the repeats may take under the flood (issue 20: 300 MiB
# for the whole process, against 860 MiB for 618,205 events before)


def personio_body(person: object, ident: str = "a1", event_name: str = "attendance-period.updated") -> bytes:
    payload = {"id": ident, "person": {"id": person}, "start": {"date_time": "2026-11-27T08:00:00"}}
    return json.dumps({"company_id": "1", "event_name": event_name, "occurred_at": "2026-11-30T10:00:00Z",
                       "payload": payload, "meta": {}}).encode()


def presence_body(ident: int, user: int) -> bytes:
    return json.dumps({"id": ident, "date": "2026-11-27", "from": "07:30", "to": "13:15",
                       "user": {"id": user}}).encode()


def personio_headers() -> dict[str, str]:
    return {"Authorization": TOKEN, "Content-Type": "application/json"}


def test_the_poison_delivery_is_answered_malformed_and_a_real_change_is_still_queued():
    served = state()

    async def scenario(client: TestClient) -> list[tuple[int, str]]:
        return [await post(client, "/hooks/personio", personio_body("7" * 20_000), personio_headers()),
                await post(client, "/hooks/personio", personio_body("77"), personio_headers())]

    (poison, real) = serve(served, scenario)
    assert poison[0] == 200 and poison[1].startswith("malformed, not queued") and "7777777777" not in poison[1]
    assert real[0] == 202
    assert [batch.person for batch in served.coalescer.drain()] == ["77"]
    assert served.metrics.registry.get_sample_value("reconcile_events_received_total",
                                                    {"source": "personio", "outcome": "malformed"}) == 1.0


def test_a_repeated_delivery_is_ignored_before_any_work():
    served = state()
    body = presence_body(982237015, 933590696)

    async def scenario(client: TestClient) -> list[tuple[int, str]]:
        return [await post(client, "/hooks/moco", body, moco_headers(body)) for _ in range(5)]

    answers = serve(served, scenario)
    assert [status for status, _ in answers] == [202, 200, 200, 200, 200]
    assert answers[1][1].strip() == "ignored: a repeat"
    [batch] = served.coalescer.drain()
    assert batch.hints == 1


def test_deliveries_for_more_people_than_the_queue_holds_are_not_queued_and_say_so():
    served = state()

    async def scenario(client: TestClient) -> list[int]:
        statuses = []
        for n in range(PENDING_KEYS + 100):
            body = presence_body(10_000 + n, 1_000 + n)
            statuses.append((await post(client, "/hooks/moco", body, moco_headers(body)))[0])
        return statuses

    statuses = serve(served, scenario)
    assert set(statuses) == {202}  # accepted: the incremental run brought forward covers what was not queued
    assert len(served.coalescer) == PENDING_KEYS and served.coalescer.overflowed


def test_a_flood_of_100000_authentic_deliveries_keeps_the_queue_at_its_bound_and_its_memory_small():
    """What the webhook handler does with each authenticated delivery (serve/app.py): the repeat check, the
    reading, the queueing, for 100,000 deliveries naming as many people and records, half MOCO, half Personio."""
    queue = Coalescer()
    tracemalloc.start()
    try:
        for n in range(FLOOD):
            if n % 2:
                source, body = "moco", presence_body(10_000_000 + n, 1_000_000 + n % 60_000)
                outcome = moco_hint(body, {"X-Moco-Target": "Presence", "X-Moco-Event": "update"})
            else:
                source, body = "personio", personio_body(f"{n % 60_000}", ident=f"period-{n}")
                outcome = personio_hint(body)
            assert not queue.repeated(source, body, n * 0.001)
            assert isinstance(outcome, Hint)
            queue.add(outcome, n * 0.001)
            assert len(queue) <= PENDING_KEYS
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert queue.overflowed and len(queue) == PENDING_KEYS
    assert len(queue._repeats) == REPEATS_KEPT
    assert all(len(batch.records) <= RECORDS_PER_BATCH for batch in queue.drain())
    assert peak < MEMORY_LIMIT, f"{peak / 2**20:.0f} MiB"
