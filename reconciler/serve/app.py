"""The HTTP face of `reconcile serve` (issue 13): an aiohttp application receiving webhooks and answering probes.

`make_app(state)` serves
- `POST /hooks/moco` and `POST /hooks/personio`: read the raw body (at most MAX_BODY bytes, else 413; whole
  within BODY_TIMEOUT, else 408; a client hanging up is counted as aborted, not an error),
  authenticate it (signatures.py; a bad, missing or unconfigured secret is 401, counted and told in the
  refusals' line a minute (refusals.py), with a short reason that
  never holds a secret, and changes nothing), read it as a hint (events.py), add the hint to the
  Coalescer at `state.clock()` and call `state.wake()` so the runner can plan. Nothing else happens in
  the handler: Personio expects an answer within 3 s, MOCO retries slow or failed deliveries.
  Hint -> 202, Ignored -> 200, each counted in `reconcile_events_received{source, outcome}`.
- `GET /healthz`: 200 "ok" while the process runs. `GET /readyz`: 200 once the credentials were checked
  and the last reconcile did not fail, else 503 with the reason. `GET /metrics`: Prometheus text format.
- Unknown paths are 404 and wrong methods 405 (aiohttp's router).

MALFORMED (the decision): an authentic delivery that cannot be read is answered 200 with its reason, not
4xx. MOCO retries every non-2xx answer and disables a hook after repeated failures, and Personio retries
too; resending the same unreadable bytes cannot help, and a disabled hook would silently stop every later
event. The delivery is counted as outcome=malformed and logged (the reason holds no record content), and
the safety net (the interval and daily reconciles) repairs whatever it would have hinted. An operator
sees a rising malformed counter on /metrics instead of a silently disabled webhook.

Assumes one event loop: the handlers and the runner share the Coalescer without locks, and the runner
(not built yet) takes `coalescer.due(clock())` after each wake. Readiness is set by the runner through
`state.readiness`; its failure reason must hold no health data (it is shown on /readyz).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field

from aiohttp import web

from reconciler import logs
from reconciler.serve.coalesce import Coalescer
from reconciler.serve.events import Hint, Ignored, Outcome, moco_hint, personio_hint
from reconciler.serve.metrics import CONTENT_TYPE, Metrics
from reconciler.serve.refusals import Refusals
from reconciler.serve.signatures import Verdict, verify_moco, verify_personio
from reconciler.sync.direction import MOCO, PERSONIO

MAX_BODY = 1024 * 1024  # bytes; a MOCO record or a dataless Personio envelope is a few KiB at most
BODY_TIMEOUT = 10.0  # seconds for a delivery's whole body to arrive once its headers have (else 408)
MOCO_PATH, PERSONIO_PATH = "/hooks/moco", "/hooks/personio"


@dataclass
class Readiness:
    """What /readyz answers: ready once the credentials were checked and no reconcile failed since."""

    credentials_checked: bool = False
    last_failure: str | None = None  # why the last reconcile failed (None: it did not, or none ran yet)
    held: str | None = None  # what the mass-change guard holds (runner.py): still ready, the rest is applied

    def problem(self) -> str | None:
        if not self.credentials_checked:
            return self.last_failure or "credentials not checked yet"
        if self.last_failure:
            return f"last reconcile failed: {self.last_failure}"
        return None


@dataclass
class ServeState:
    """Everything the handlers need; the runner shares the coalescer, metrics and readiness."""

    moco_secret: str | None  # None or "": every MOCO delivery is refused with 401
    personio_secret: str | None  # None or "": every Personio delivery is refused with 401
    coalescer: Coalescer = field(default_factory=Coalescer)
    metrics: Metrics = field(default_factory=Metrics)
    clock: Callable[[], float] = time.monotonic  # the coalescer's clock (seconds, monotonic)
    readiness: Readiness = field(default_factory=Readiness)
    wake: Callable[[], None] = lambda: None  # called after each queued hint (e.g. an asyncio.Event's set)
    # Why a hint is an echo of reconcile's own write (answered 200, counted `ignored`), or None (echoes.py).
    echo: Callable[[Hint], str | None] = lambda hint: None
    body_timeout: float = BODY_TIMEOUT
    refusals: Refusals = field(default_factory=Refusals)  # told in the log once a minute (refusals.py)

    def refused(self, source: str, kind: str, reason: str = "") -> None:
        """Count a refusal on /metrics (kind: a metrics.OUTCOMES) and in the next log line of refusals."""
        self.metrics.event(source, kind)
        if told := self.refusals.add(source, kind, self.clock(), reason):
            logs.line("serve.refused", told.message, level="warning", **told.fields)


Verify = Callable[[bytes, Mapping[str, str], str | None], Verdict]
Read = Callable[[bytes, Mapping[str, str]], Outcome]


def _text(status: int, text: str) -> web.Response:
    return web.Response(status=status, text=text + "\n")


def _closing(status: int, text: str) -> web.Response:
    """An answer after which the connection is closed: what is left of its body is not waited for."""
    answer = _text(status, text)
    answer.force_close()
    return answer


def _hook(state: ServeState, source: str, verify: Verify, read: Read,
          secret: Callable[[], str | None]) -> Callable[[web.Request], Awaitable[web.Response]]:
    """The handler of one source's webhook: authenticate, read, queue; never more."""

    async def handle(request: web.Request) -> web.Response:
        try:
            if (request.content_length or 0) > MAX_BODY:  # said at once: not waited for
                raise web.HTTPRequestEntityTooLarge(max_size=MAX_BODY, actual_size=request.content_length or 0)
            async with asyncio.timeout(state.body_timeout):
                body = await request.read()  # aiohttp raises 413 beyond the app's client_max_size
        except web.HTTPRequestEntityTooLarge:  # counted under the path's source: nothing else says who sent it
            state.refused(source, "too_large", f"over {MAX_BODY} bytes")
            return _closing(413, f"body larger than {MAX_BODY} bytes")
        except TimeoutError:
            state.refused(source, "too_slow", f"body not whole within {state.body_timeout:.0f} s")
            return _closing(408, f"the body did not arrive within {state.body_timeout:.0f} s")
        except (ConnectionError, web.RequestPayloadError):  # hung up, or a broken chunked framing: not an error
            state.refused(source, "aborted", "the body did not arrive whole")
            return _closing(400, "the body did not arrive whole")
        verdict = verify(body, request.headers, secret())
        if not verdict.ok:
            state.refused(source, "unauthorized", verdict.reason)
            return _text(401, f"unauthorized: {verdict.reason}")
        repeat = state.coalescer.repeated(source, body, state.clock())  # a replay or resend: no work (coalesce.py)
        outcome = Ignored("a repeat") if repeat else read(body, request.headers)
        if isinstance(outcome, Hint) and (why := state.echo(outcome)):
            outcome = Ignored(why)
        if isinstance(outcome, Hint):
            state.coalescer.add(outcome, state.clock())
            state.metrics.event(source, "accepted")
            state.wake()
            return _text(202, f"accepted: {outcome.event}")
        if isinstance(outcome, Ignored):
            state.metrics.event(source, "ignored")
            return _text(200, f"ignored: {outcome.reason}")
        state.refused(source, "malformed", outcome.reason)
        return _text(200, f"malformed, not queued: {outcome.reason}")

    return handle


def make_app(state: ServeState) -> web.Application:
    """The serve application over `state` (see the module docstring for its routes)."""
    app = web.Application(client_max_size=MAX_BODY)

    async def healthz(request: web.Request) -> web.Response:
        return _text(200, "ok")

    async def readyz(request: web.Request) -> web.Response:
        problem = state.readiness.problem()
        if problem:
            return _text(503, f"not ready: {problem}")
        return _text(200, f"ready; held by the mass-change guard: {state.readiness.held}" if state.readiness.held
                     else "ready")

    async def metrics(request: web.Request) -> web.Response:
        answer = web.Response(body=state.metrics.render())
        answer.headers["Content-Type"] = CONTENT_TYPE
        return answer

    app.router.add_post(MOCO_PATH, _hook(state, MOCO, verify_moco, moco_hint, lambda: state.moco_secret))
    app.router.add_post(PERSONIO_PATH, _hook(state, PERSONIO, verify_personio,
                                             lambda body, headers: personio_hint(body),
                                             lambda: state.personio_secret))
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/readyz", readyz)
    app.router.add_get("/metrics", metrics)
    return app
