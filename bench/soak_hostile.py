"""Hostile webhook deliveries for bench/soak_serve.py: what an attacker on the internet, a replaying proxy or a
confused sender throws at `reconcile serve`'s two hooks, each with the answers that count as held.

Every delivery is sent with http.client or a raw socket (header bytes that are not UTF-8, a client that hangs up
mid-body), and answers with its status. A delivery "got through" when serve answered it in a way it must not:
a forged or unsigned one accepted, an oversized one read, any 5xx, or no answer at all where one was due.
Pure senders: what serve does with what it accepted is judged by the soak (every real change still applied,
nothing twice)."""

from __future__ import annotations

import hashlib
import hmac
import http.client
import json
import random
import socket
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

MOCO_SECRET = "0123456789abcdef0123456789abcdef"
PERSONIO_TOKEN = "personio-webhook-token-for-the-soak"
POISON = 20_000  # characters of a poison id (issue 20, finding 1)
OVERSIZED = 5 * 1024 * 1024  # bytes of an oversized body
ANY_ANSWER = frozenset(range(200, 500))  # what an authentic but odd delivery may get: accepted or refused, no 5xx


@dataclass
class Outcome:
    kind: str
    answers: list[str] = field(default_factory=list)  # each status, or what went wrong instead
    got_through: list[str] = field(default_factory=list)  # the answers that should not have been

    def line(self) -> str:
        shown = ", ".join(sorted(set(self.answers)))[:200]
        return f"{self.kind}: {shown}" + (f" — GOT THROUGH: {'; '.join(self.got_through[:3])}" if self.got_through
                                         else "")


@dataclass
class Target:
    url: str  # http://127.0.0.1:PORT of reconcile serve
    deliveries: Callable[[], list[dict[str, Any]]]  # the sandbox's real deliveries so far (for replays)

    @property
    def host_port(self) -> tuple[str, int]:
        parts = urlsplit(self.url)
        return parts.hostname or "127.0.0.1", parts.port or 80


def moco_headers(body: bytes, *, secret: str | None = MOCO_SECRET, target: str = "Presence",
                 event: str = "update") -> dict[str, str]:
    headers = {"Content-Type": "application/json", "X-Moco-Target": target, "X-Moco-Event": event,
               "X-Moco-Timestamp": "1764000000000", "X-Moco-User-Id": "1"}
    if secret is not None:
        headers["X-Moco-Signature"] = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return headers


def personio_body(event: str, period_id: str, person_id: str) -> bytes:
    return json.dumps({"id": str(uuid.uuid4()), "company_id": "1", "event_name": event,
                       "occurred_at": "2026-11-25T10:00:00.000Z",
                       "payload": {"id": period_id, "person": {"id": person_id}}, "meta": {}}).encode()


def post(target: Target, path: str, body: bytes, headers: dict[str, Any], timeout: float = 20) -> str:
    """The status serve answered, or what happened instead ("error: ...")."""
    host, port = target.host_port
    connection = http.client.HTTPConnection(host, port, timeout=timeout)
    try:
        connection.putrequest("POST", path)
        for name, value in headers.items():
            connection.putheader(name, value)  # bytes values go out as they are
        connection.putheader("Content-Length", str(len(body)))
        connection.endheaders()
        connection.send(body)
        answer = connection.getresponse()
        answer.read()
        return str(answer.status)
    except (OSError, http.client.HTTPException) as exc:
        return f"error: {type(exc).__name__}"
    finally:
        connection.close()


def _judge(kind: str, answers: list[str], allowed: frozenset[int]) -> Outcome:
    outcome = Outcome(kind, answers)
    outcome.got_through = [a for a in answers if not (a.isdigit() and int(a) in allowed)]
    return outcome


def _one(kind: str, allowed: frozenset[int]) -> Callable[[Callable[[], str]], Outcome]:
    return lambda send: _judge(kind, [send()], allowed)


# --------------------------------------------------------------------------- the deliveries


def forged_moco(target: Target, rng: random.Random) -> Outcome:
    body = json.dumps({"id": rng.randint(1, 10**9)}).encode()
    return _one("forged MOCO signature", frozenset({401}))(
        lambda: post(target, "/hooks/moco", body, moco_headers(body, secret="not-the-secret", event="delete")))


def unsigned_moco(target: Target, rng: random.Random) -> Outcome:
    body = json.dumps({"id": rng.randint(1, 10**9)}).encode()
    return _one("unsigned MOCO delivery", frozenset({401}))(
        lambda: post(target, "/hooks/moco", body, moco_headers(body, secret=None, event="delete")))


def forged_personio(target: Target, rng: random.Random) -> Outcome:
    body = personio_body("absence-period.created", str(uuid.uuid4()), str(rng.randint(1, 10**7)))
    headers = {"Content-Type": "application/json", "Authorization": "wrong-token-" + str(rng.random())}
    if rng.random() < 0.5:
        del headers["Authorization"]
    return _one("forged or unsigned Personio delivery", frozenset({401}))(
        lambda: post(target, "/hooks/personio", body, headers))


def oversized(target: Target, rng: random.Random) -> Outcome:
    body = b'{"id": 1, "pad": "' + b"x" * OVERSIZED + b'"}'
    if rng.random() < 0.5:
        return _one("oversized MOCO delivery (signed)", frozenset({413}))(
            lambda: post(target, "/hooks/moco", body, moco_headers(body)))
    headers = {"Content-Type": "application/json", "Authorization": PERSONIO_TOKEN}
    return _one("oversized Personio delivery (token)", frozenset({413}))(
        lambda: post(target, "/hooks/personio", body, headers))


def malformed(target: Target, rng: random.Random) -> Outcome:
    body = rng.choice([b"{not json", b"[1, 2", b'{"id": }', b"\xff\xfe\x00", b"", b"null", b"[]", b'"text"'])
    if rng.random() < 0.5:
        return _one("malformed JSON to MOCO's hook (signed)", frozenset({400, 202, 200, 204}))(
            lambda: post(target, "/hooks/moco", body, moco_headers(body)))
    headers = {"Content-Type": "application/json", "Authorization": PERSONIO_TOKEN}
    return _one("malformed JSON to Personio's hook (token)", frozenset({400, 202, 200, 204}))(
        lambda: post(target, "/hooks/personio", body, headers))


def poison(target: Target, rng: random.Random) -> Outcome:
    """An authentic delivery naming an id no service uses: 20,000 characters (finding 1)."""
    if rng.random() < 0.5:
        event = rng.choice(["absence-period.created", "attendance-period.updated", "person.updated"])
        body = personio_body(event, str(uuid.uuid4()), "9" * POISON)
        headers = {"Content-Type": "application/json", "Authorization": PERSONIO_TOKEN}
        return _one(f"poison person.id ({POISON:,} characters, {event})", ANY_ANSWER)(
            lambda: post(target, "/hooks/personio", body, headers))
    body = b'{"id": ' + b"7" * POISON + b', "user": {"id": 1}, "date": "2026-11-20"}'
    return _one(f"poison MOCO presence id ({POISON:,} digits)", ANY_ANSWER)(
        lambda: post(target, "/hooks/moco", body, moco_headers(body)))


def replay(target: Target, rng: random.Random) -> Outcome:
    """A real delivery the sandbox made, sent again as it was (headers and body): no key needed."""
    delivered = [d for d in target.deliveries() if d.get("outcome") == "delivered"]
    if not delivered:
        return Outcome("replayed delivery", ["nothing delivered yet to replay"])
    chosen = rng.choice(delivered)
    path = urlsplit(chosen["url"]).path
    headers = {k: v for k, v in chosen["headers"].items() if k.lower() not in ("content-length", "host")}
    answers = [post(target, path, chosen["body"].encode(), headers) for _ in range(rng.randint(1, 3))]
    return _judge(f"replayed delivery ({chosen['event']})", answers, ANY_ANSWER)


def odd_headers(target: Target, rng: random.Random) -> Outcome:
    """Header bytes that are not UTF-8 (Personio's Authorization), not ASCII (a signed MOCO X-Moco-Target)."""
    if rng.random() < 0.5:
        body = personio_body("absence-period.created", str(uuid.uuid4()), "1")
        headers: dict[str, Any] = {"Content-Type": "application/json", "Authorization": b"\xff\xfe\x80token"}
        return _one("non-UTF-8 Personio Authorization", frozenset({401}))(
            lambda: post(target, "/hooks/personio", body, headers))
    body = json.dumps({"id": rng.randint(1, 10**9)}).encode()
    headers = {**moco_headers(body), "X-Moco-Target": "Pr\xe4senz\u2028\n".encode("utf-8")[:8]}
    return _one("non-ASCII X-Moco-Target (signed)", ANY_ANSWER)(lambda: post(target, "/hooks/moco", body, headers))


def hang_up(target: Target, rng: random.Random) -> Outcome:
    """A client that promises a body and hangs up halfway: no answer is due; serve must go on (checked after)."""
    host, port = target.host_port
    try:
        with socket.create_connection((host, port), timeout=10) as raw:
            raw.sendall(b"POST /hooks/moco HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                        b"X-Moco-Signature: 00\r\nContent-Length: 100000\r\n\r\n{\"id\": 1")
        return Outcome("client hangs up mid-body", ["hung up"])
    except OSError as exc:
        return Outcome("client hangs up mid-body", [f"error: {type(exc).__name__}"],
                       [f"could not connect: {type(exc).__name__}"])


def flood(target: Target, rng: random.Random) -> Outcome:
    """Many deliveries at once from 8 clients: unauthenticated ones, or authentic ones naming unknown ids."""
    which = rng.choice(["unauthenticated", "unknown MOCO ids (signed)", "unknown Personio periods (token)"])
    count = rng.randint(100, 300)

    def one(index: int) -> str:
        if which == "unauthenticated":
            body = json.dumps({"id": index}).encode()
            return post(target, "/hooks/moco", body, moco_headers(body, secret=None))
        if which.startswith("unknown MOCO"):
            body = json.dumps({"id": 10**9 + rng.randint(0, 10**8), "user": {"id": 1}}).encode()
            return post(target, "/hooks/moco", body, moco_headers(body, event=rng.choice(["update", "delete"])))
        body = personio_body("absence-period.updated.status", str(uuid.uuid4()), str(rng.randint(1, 10**7)))
        return post(target, "/hooks/personio", body, {"Content-Type": "application/json",
                                                      "Authorization": PERSONIO_TOKEN})

    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(one, range(count)))
    allowed = frozenset({401, 429}) if which == "unauthenticated" else ANY_ANSWER
    return _judge(f"flood of {which}", answers, allowed)


HOSTILE: dict[str, Callable[[Target, random.Random], Outcome]] = {
    "forged moco": forged_moco, "unsigned moco": unsigned_moco, "forged personio": forged_personio,
    "oversized": oversized, "malformed": malformed, "poison": poison, "replay": replay,
    "odd headers": odd_headers, "hang-up": hang_up, "flood": flood,
}
