"""GET /metrics text parses with Prometheus's own parser and shows what happened."""

import pytest
from prometheus_client import REGISTRY
from prometheus_client.parser import text_string_to_metric_families

from reconciler.serve.metrics import Metrics


def samples(metrics: Metrics) -> dict[tuple[str, frozenset], float]:
    text = metrics.render().decode()
    return {(sample.name, frozenset(sample.labels.items())): sample.value
            for family in text_string_to_metric_families(text) for sample in family.samples}


def test_rendered_metrics_parse_and_show_the_counters():
    metrics = Metrics()
    metrics.event("moco", "accepted")
    metrics.event("moco", "accepted")
    metrics.event("personio", "unauthorized")
    metrics.reconciled("targeted", ok=True)
    metrics.reconciled("incremental", ok=False)
    metrics.reconciled("full", ok=True, at=1_764_500_000.0)
    metrics.changes(applied=5, failed=1)
    metrics.requests("moco", sent=40, throttled=2)
    metrics.requests("personio", sent=12)
    metrics.applied_after(4.2)
    metrics.applied_after(75.0)
    found = samples(metrics)

    def value(name, **labels):
        return found[(name, frozenset(labels.items()))]

    assert value("reconcile_events_received_total", source="moco", outcome="accepted") == 2
    assert value("reconcile_events_received_total", source="personio", outcome="unauthorized") == 1
    assert value("reconcile_reconciles_total", kind="targeted", result="ok") == 1
    assert value("reconcile_reconciles_total", kind="incremental", result="failed") == 1
    assert value("reconcile_changes_applied_total") == 5 and value("reconcile_changes_failed_total") == 1
    assert value("reconcile_api_requests_total", service="moco") == 40
    assert value("reconcile_api_requests_total", service="personio") == 12
    assert value("reconcile_api_429_total", service="moco") == 2
    assert value("reconcile_event_to_applied_seconds_count") == 2
    assert value("reconcile_event_to_applied_seconds_bucket", le="5.0") == 1
    assert value("reconcile_event_to_applied_seconds_bucket", le="60.0") == 1
    assert value("reconcile_event_to_applied_seconds_bucket", le="90.0") == 2
    assert value("reconcile_last_full_reconcile_timestamp_seconds") == 1_764_500_000.0


def test_a_failed_full_reconcile_leaves_the_last_full_time():
    metrics = Metrics()
    metrics.reconciled("full", ok=True, at=100.0)
    metrics.reconciled("full", ok=False, at=200.0)
    assert samples(metrics)[("reconcile_last_full_reconcile_timestamp_seconds", frozenset())] == 100.0


def test_each_metrics_object_has_its_own_registry():
    one, other = Metrics(), Metrics()
    one.event("moco", "ignored")
    key = ("reconcile_events_received_total", frozenset({("source", "moco"), ("outcome", "ignored")}))
    assert samples(one)[key] == 1 and samples(other)[key] == 0
    assert REGISTRY.get_sample_value("reconcile_events_received_total",
                                     {"source": "moco", "outcome": "ignored"}) is None


@pytest.mark.parametrize("call", [lambda m: m.event("moco", "great"), lambda m: m.reconciled("weekly", ok=True)])
def test_unknown_label_values_are_refused(call):
    with pytest.raises(ValueError, match="unknown"):
        call(Metrics())
