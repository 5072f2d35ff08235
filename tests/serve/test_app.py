"""The serve application over real HTTP (aiohttp's test server on 127.0.0.1): authentic deliveries are queued
as hints, forged, unsigned, altered or oversized ones change nothing; probes and /metrics answer as a
Prometheus scraper and a Kubernetes kubelet expect."""

from __future__ import annotations

import asyncio
import io
import itertools
import json
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp.test_utils import TestClient, TestServer
from prometheus_client.parser import text_string_to_metric_families

from reconciler.serve.app import MAX_BODY, ServeState, make_app
from reconciler.serve.metrics import CONTENT_TYPE, OUTCOMES
from reconciler.serve.signatures import moco_signature
from reconciler.sync.ownership import absence_comment

SECRET = "0123456789abcdef0123456789abcdef"
TOKEN = "personio-webhook-token"
PRESENCE = {"id": 982237015, "date": "2026-11-27", "from": "07:30", "to": "13:15",
            "user": {"id": 933590696, "firstname": "John", "lastname": "Doe"}}


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def state(**overrides: Any) -> ServeState:
    values: dict[str, Any] = {"moco_secret": SECRET, "personio_secret": TOKEN, "clock": Clock()}
    return ServeState(**{**values, **overrides})


def serve(served: ServeState, scenario: Callable[[TestClient], Awaitable[Any]]) -> Any:
    async def main() -> Any:
        async with TestClient(TestServer(make_app(served))) as client:
            return await scenario(client)
    return asyncio.run(main())


def moco_headers(body: bytes, target: str = "Presence", event: str = "update", **extra: str) -> dict[str, str]:
    return {"X-Moco-Target": target, "X-Moco-Event": event, "X-Moco-Signature": moco_signature(SECRET, body),
            "Content-Type": "application/json", **extra}


def personio_body(event_name: str = "attendance-period.updated") -> bytes:
    payload = {"id": "a1", "person": {"id": 77}, "start": {"date_time": "2026-11-27T08:00:00"}}
    return json.dumps({"company_id": "1", "event_name": event_name, "occurred_at": "2026-11-30T10:00:00Z",
                       "payload": payload, "meta": {}}).encode()


async def post(client: TestClient, path: str, body: bytes | io.BytesIO, headers: dict[str, str]) -> tuple[int, str]:
    async with client.post(path, data=body, headers=headers) as answer:
        return answer.status, await answer.text()


def test_signed_moco_delivery_is_accepted_and_its_hint_queued():
    served, woken = state(), []
    served.wake = lambda: woken.append(1)
    body = json.dumps(PRESENCE).encode()
    status, text = serve(served, lambda c: post(c, "/hooks/moco", body, moco_headers(body)))
    assert (status, text.strip()) == (202, "accepted: Presence update")
    [batch] = served.coalescer.drain()
    assert (batch.direction, batch.person, batch.records, batch.first) == (
        "hours_to_personio", 933590696, frozenset({982237015}), 100.0)
    assert woken == [1]


def test_forged_unsigned_and_altered_moco_deliveries_are_401_and_change_nothing():
    served = state()
    body = json.dumps(PRESENCE).encode()
    forged = {**moco_headers(body), "X-Moco-Signature": moco_signature("f" * 32, body)}
    unsigned = {k: v for k, v in moco_headers(body).items() if k != "X-Moco-Signature"}
    altered = body.replace(b"13:15", b"13:16")

    async def scenario(client: TestClient) -> list[tuple[int, str]]:
        return [await post(client, "/hooks/moco", body, forged),
                await post(client, "/hooks/moco", body, unsigned),
                await post(client, "/hooks/moco", altered, moco_headers(body))]

    answers = serve(served, scenario)
    assert [status for status, _ in answers] == [401, 401, 401]
    assert "missing X-Moco-Signature" in answers[1][1] and "does not match" in answers[2][1]
    assert all(SECRET not in text for _, text in answers)
    assert len(served.coalescer) == 0


def test_unconfigured_secrets_refuse_every_delivery_without_naming_a_value():
    served = state(moco_secret=None, personio_secret="")
    body = json.dumps(PRESENCE).encode()

    async def scenario(client: TestClient) -> list[tuple[int, str]]:
        return [await post(client, "/hooks/moco", body, moco_headers(body)),
                await post(client, "/hooks/personio", personio_body(), {"Authorization": TOKEN})]

    answers = serve(served, scenario)
    assert [status for status, _ in answers] == [401, 401]
    assert "no MOCO webhook secret is configured" in answers[0][1]
    assert "no Personio webhook secret is configured" in answers[1][1]
    assert all(TOKEN not in text and SECRET not in text for _, text in answers)
    assert len(served.coalescer) == 0


def test_oversized_body_is_413_queues_nothing_and_is_counted():
    served = state()
    body = b'{"id": 1, "pad": "' + b"x" * MAX_BODY + b'"}'
    status, _ = serve(served, lambda c: post(c, "/hooks/moco", io.BytesIO(body), moco_headers(body)))
    assert status == 413 and len(served.coalescer) == 0
    assert served.metrics.events.labels(source="moco", outcome="too_large")._value.get() == 1


def test_refusals_are_counted_each_and_told_once_not_per_request(capsys):
    """100 forged deliveries: 100 on /metrics, one log line now (the first) and the rest left for the next."""
    served = state()

    async def forged(client: TestClient) -> list[int]:
        return [(await post(client, "/hooks/personio", personio_body(), {"Authorization": "wrong"}))[0]
                for _ in range(100)]

    assert serve(served, forged) == [401] * 100
    assert served.metrics.events.labels(source="personio", outcome="unauthorized")._value.get() == 100
    logged = capsys.readouterr().err.splitlines()
    assert logged == ["webhook refusals: personio: unauthorized 1 (Authorization header is not the configured "
                      "webhook secret)"]
    told = served.refusals.flush(served.clock() + 60)
    assert told is not None and told.fields["refused"] == {"personio": {"unauthorized": 99}}


def test_personio_delivery_needs_the_configured_token():
    served = state()

    async def scenario(client: TestClient) -> list[int]:
        good = await post(client, "/hooks/personio", personio_body(), {"Authorization": TOKEN})
        bad = await post(client, "/hooks/personio", personio_body(), {"Authorization": "Bearer " + TOKEN})
        return [good[0], bad[0]]

    assert serve(served, scenario) == [202, 401]
    [batch] = served.coalescer.drain()
    assert (batch.source, batch.person, batch.direction) == ("personio", "77", "hours_to_personio")


def test_own_marked_write_is_ignored_and_malformed_is_answered_2xx_but_not_queued():
    served = state()
    schedule = {"id": 123, "date": "2026-11-27", "comment": absence_comment("abc-123"), "user": {"id": 567}}
    ours = json.dumps(schedule).encode()
    broken = b"not json"

    async def scenario(client: TestClient) -> list[tuple[int, str]]:
        return [await post(client, "/hooks/moco", ours, moco_headers(ours, "Schedule", **{"X-Moco-Origin": "api"})),
                await post(client, "/hooks/moco", broken, moco_headers(broken)),
                await post(client, "/hooks/personio", b"[]", {"Authorization": TOKEN})]

    answers = serve(served, scenario)
    assert [status for status, _ in answers] == [200, 200, 200]
    assert "own write" in answers[0][1] and answers[1][1].startswith("malformed, not queued")
    assert len(served.coalescer) == 0


def test_metrics_parse_and_count_events_by_source_and_outcome():
    served = state()
    body = json.dumps(PRESENCE).encode()

    async def scenario(client: TestClient) -> tuple[str, str]:
        await post(client, "/hooks/moco", body, moco_headers(body))
        await post(client, "/hooks/moco", body, {})
        await post(client, "/hooks/personio", personio_body("document.created"), {"Authorization": TOKEN})
        async with client.get("/metrics") as answer:
            return answer.headers["Content-Type"], await answer.text()

    content_type, text = serve(served, scenario)
    assert content_type == CONTENT_TYPE == "text/plain; version=0.0.4; charset=utf-8"
    samples = {(s.labels["source"], s.labels["outcome"]): s.value
               for family in text_string_to_metric_families(text) if family.name == "reconcile_events_received"
               for s in family.samples if s.name.endswith("_total")}
    counted = {key: 0.0 for key in itertools.product(("moco", "personio"), OUTCOMES)}  # every series from 0
    assert samples == counted | {("moco", "accepted"): 1.0, ("moco", "unauthorized"): 1.0, ("personio", "ignored"): 1.0}


def test_probes_health_and_readiness_flip():
    served = state()

    async def probe(client: TestClient, path: str) -> tuple[int, str]:
        async with client.get(path) as answer:
            return answer.status, (await answer.text()).strip()

    async def scenario(client: TestClient) -> list[tuple[int, str]]:
        seen = [await probe(client, "/healthz"), await probe(client, "/readyz")]
        served.readiness.credentials_checked = True
        seen.append(await probe(client, "/readyz"))
        served.readiness.last_failure = "MOCO answered 500 on GET /users"
        seen.append(await probe(client, "/readyz"))
        served.readiness.last_failure = None
        seen.append(await probe(client, "/readyz"))
        return seen

    assert serve(served, scenario) == [
        (200, "ok"), (503, "not ready: credentials not checked yet"), (200, "ready"),
        (503, "not ready: last reconcile failed: MOCO answered 500 on GET /users"), (200, "ready")]


def test_unknown_paths_are_404_and_wrong_methods_405():
    async def scenario(client: TestClient) -> list[int]:
        statuses = []
        for method, path in (("GET", "/nope"), ("GET", "/hooks/moco"), ("POST", "/healthz")):
            async with client.request(method, path) as answer:
                statuses.append(answer.status)
        return statuses

    assert serve(state(), scenario) == [404, 405, 405]


def test_a_burst_of_1000_deliveries_for_50_people_is_at_most_50_batches():
    served, clock = state(), Clock()
    served.clock = clock
    deliveries = []
    for n in range(1000):
        record = {**PRESENCE, "id": 10_000 + n, "date": f"2026-11-{1 + n % 28:02d}", "user": {"id": 1 + n % 50}}
        body = json.dumps(record).encode()
        deliveries.append((body, moco_headers(body)))

    async def scenario(client: TestClient) -> list[int]:
        statuses = []
        for body, headers in deliveries:
            clock.now += 0.001
            statuses.append((await post(client, "/hooks/moco", body, headers))[0])
        return statuses

    assert set(serve(served, scenario)) == {202}
    batches = served.coalescer.due(clock.now + served.coalescer.quiet)
    assert 0 < len(batches) <= 50 and sum(b.hints for b in batches) == 1000
    assert {b.person for b in batches} == set(range(1, 51))


async def raw_post(client: TestClient, path: str, headers: list[tuple[bytes, bytes]], body: bytes) -> tuple[int, bytes]:
    """A POST written byte for byte (header values that are not UTF-8 included), and its status and body."""
    reader, writer = await asyncio.open_connection(client.host, client.port)
    lines = [b"POST " + path.encode() + b" HTTP/1.1", b"Host: x", b"Connection: close",
             b"Content-Length: " + str(len(body)).encode(), *(name + b": " + value for name, value in headers)]
    writer.write(b"\r\n".join(lines) + b"\r\n\r\n" + body)
    await writer.drain()
    answer = await reader.read()
    writer.close()
    head, _, rest = answer.partition(b"\r\n\r\n")
    return int(head.split(b" ")[1]), rest


def test_header_bytes_that_are_not_utf8_are_answered_never_a_500():
    """Issue 20, finding 5: a non-UTF-8 Personio Authorization header (no token needed), and a signed MOCO
    delivery whose X-Moco-Target is not ASCII, whose answer repeats the header."""
    body = b'{"id": 5, "date": "2026-11-27", "user": {"id": 7}}'

    async def scenario(client: TestClient) -> Any:
        personio = await raw_post(client, "/hooks/personio", [(b"Authorization", b"\xff\xfe token")], personio_body())
        signed = [(b"X-Moco-Target", b"Pr\xc3\xa4sence\xff"), (b"X-Moco-Event", b"update"),
                  (b"X-Moco-Signature", moco_signature(SECRET, body).encode())]
        moco = await raw_post(client, "/hooks/moco", signed, body)
        return personio, moco

    (personio_status, personio_text), (moco_status, moco_text) = serve(state(), scenario)
    assert personio_status == 401 and b"not the configured webhook secret" in personio_text
    assert moco_status == 200 and moco_text.startswith(b"ignored: MOCO target Pr\\xe4sence\\udcff is not synced")


def test_what_a_delivery_names_is_repeated_escaped_and_cut():
    """Issue 20, finding 4: an event name holding a line break, or 100 KB long, is neither a second log line
    nor repeated whole."""
    async def scenario(client: TestClient) -> Any:
        forged = await post(client, "/hooks/personio", personio_body('x.y\n{"level": "error"}'),
                            {"Authorization": TOKEN})
        long = await post(client, "/hooks/personio", personio_body("z" * 100_000), {"Authorization": TOKEN})
        return forged, long

    (forged_status, forged_text), (long_status, long_text) = serve(state(), scenario)
    assert forged_status == 200 and "\n" not in forged_text.rstrip("\n") and '\\n{"level": "error"}' in forged_text
    assert long_status == 200 and len(long_text) < 200 and long_text.rstrip("\n").endswith("is not synced")
