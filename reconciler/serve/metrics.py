"""What `reconcile serve` reports on GET /metrics, in Prometheus's text format (prometheus-client).

One `Metrics` object owns its own `CollectorRegistry` (never the process-wide default), so every test
and every server has counters of its own. Labels are closed sets (sources, outcomes, kinds, services)
and never hold a person, a date or an absence type: health data stays out of the metrics.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from prometheus_client import CONTENT_TYPE_PLAIN_0_0_4, CollectorRegistry, Counter, Gauge, Histogram, generate_latest

CONTENT_TYPE = CONTENT_TYPE_PLAIN_0_0_4  # what `render` writes (the classic text exposition format)
PREFIX = "reconcile"
# Of a delivery received: queued, answered 200 and let be, or refused (401, 413, 408: its body came too slowly,
# aborted: the client hung up or broke the body's framing before it was whole).
OUTCOMES = ("accepted", "ignored", "malformed", "unauthorized", "too_large", "too_slow", "aborted")
# Why serve closed a connection itself: over the cap, idle and closed to make room, no request headers in time
# (connections.py), a request aiohttp could not parse (answered 400 and closed).
CLOSES = ("over_cap", "evicted", "timeout", "bad_request")
KINDS = ("targeted", "incremental", "full")  # of a reconcile
RESULTS = ("ok", "failed")
SOURCES = ("moco", "personio")  # of a webhook
SERVICES = ("moco", "personio")  # an API's requests are counted under
# Seconds from an event's arrival to its change being applied: the debounce (a few seconds) plus a
# targeted run; issue 13 asks for 60 s at p95, so the buckets are finest below a minute.
LATENCY_BUCKETS = (1.0, 2.5, 5.0, 10.0, 15.0, 20.0, 30.0, 45.0, 60.0, 90.0, 120.0, 300.0, 900.0)


@dataclass
class Metrics:
    """The serve process's metrics, registered in a registry of their own."""

    registry: CollectorRegistry = field(default_factory=lambda: CollectorRegistry(auto_describe=True))

    def __post_init__(self) -> None:
        reg = self.registry
        self.events = Counter(f"{PREFIX}_events_received", "Webhook deliveries received, by source and outcome.",
                              ("source", "outcome"), registry=reg)
        self.reconciles = Counter(f"{PREFIX}_reconciles", "Reconciles run, by kind and result.",
                                  ("kind", "result"), registry=reg)
        self.changes_applied = Counter(f"{PREFIX}_changes_applied", "Changes written to MOCO or Personio.",
                                       registry=reg)
        self.changes_failed = Counter(f"{PREFIX}_changes_failed", "Changes that could not be written.",
                                      registry=reg)
        self.api_requests = Counter(f"{PREFIX}_api_requests", "HTTP requests sent, by service.",
                                    ("service",), registry=reg)
        self.api_throttled = Counter(f"{PREFIX}_api_429", "Answers 429 Too Many Requests, by service.",
                                     ("service",), registry=reg)
        self.echoed = Counter(f"{PREFIX}_events_echoed", "Accepted webhook events dropped from the queue as echoes "
                              "of reconcile's own writes (those arriving later are counted as ignored).",
                              registry=reg)
        self.dropped = Counter(f"{PREFIX}_events_dropped", "Accepted webhook events (or the ids they name) left to "
                               "the interval and daily runs: failed alone too often, beyond serve's bounds, or "
                               "naming a record serve never read.", registry=reg)
        self.connections_closed = Counter(f"{PREFIX}_connections_closed", "Connections serve closed itself, by "
                                          "reason: over the cap, idle and closed to make room, no request headers "
                                          "in time, a request that could not be parsed (400).",
                                          ("reason",), registry=reg)
        self.connections_open = Gauge(f"{PREFIX}_connections_open", "Connections open to serve's port.",
                                      registry=reg)
        self.event_to_applied = Histogram(f"{PREFIX}_event_to_applied_seconds",
                                          "Seconds from a webhook's arrival to its reconcile being applied.",
                                          buckets=LATENCY_BUCKETS, registry=reg)
        # Every known label set starts at 0, so dashboards and alerts see the series before the first event.
        for source in SOURCES:
            for outcome in OUTCOMES:
                self.events.labels(source=source, outcome=outcome)
        for reason in CLOSES:
            self.connections_closed.labels(reason=reason)
        for kind in KINDS:
            for result in RESULTS:
                self.reconciles.labels(kind=kind, result=result)
        for service in SERVICES:
            self.api_requests.labels(service=service)
            self.api_throttled.labels(service=service)
        self.last_full = Gauge(f"{PREFIX}_last_full_reconcile_timestamp_seconds",
                               "Unix time of the last successful full reconcile (0: none yet).", registry=reg)
        self.held = Gauge(f"{PREFIX}_changes_held", "Changes the mass-change guard holds (not applied) until a full "
                          "reconcile no longer holds them (runner.py).", registry=reg)

    def event(self, source: str, outcome: str) -> None:
        if outcome not in OUTCOMES:
            raise ValueError(f"unknown event outcome {outcome!r}; expected one of {', '.join(OUTCOMES)}")
        self.events.labels(source=source, outcome=outcome).inc()

    def closed(self, reason: str) -> None:
        """A connection serve closed itself (connections.py)."""
        if reason not in CLOSES:
            raise ValueError(f"unknown close reason {reason!r}; expected one of {', '.join(CLOSES)}")
        self.connections_closed.labels(reason=reason).inc()

    def reconciled(self, kind: str, ok: bool, *, at: float | None = None) -> None:
        """Count a reconcile; a successful full one at Unix time `at` sets the last-full gauge."""
        if kind not in KINDS:
            raise ValueError(f"unknown reconcile kind {kind!r}; expected one of {', '.join(KINDS)}")
        self.reconciles.labels(kind=kind, result=RESULTS[0] if ok else RESULTS[1]).inc()
        if kind == "full" and ok and at is not None:
            self.last_full.set(at)

    def changes(self, applied: int, failed: int) -> None:
        self.changes_applied.inc(applied)
        self.changes_failed.inc(failed)

    def requests(self, service: str, sent: int, throttled: int = 0) -> None:
        self.api_requests.labels(service=service).inc(sent)
        if throttled:
            self.api_throttled.labels(service=service).inc(throttled)

    def echoes(self, hints: int) -> None:
        self.echoed.inc(hints)

    def applied_after(self, seconds: float) -> None:
        self.event_to_applied.observe(max(0.0, seconds))

    def render(self) -> bytes:
        """The text exposition for GET /metrics (served with CONTENT_TYPE)."""
        return generate_latest(self.registry)
