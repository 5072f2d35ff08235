"""Refusals told in one log line a minute (issue 20, finding 3): the first after a quiet minute at once, the rest
counted by source and kind until the minute is over; never a line per refusal."""

from __future__ import annotations

from reconciler.serve.refusals import Refusals


def test_the_first_refusal_is_told_at_once_and_the_rest_of_the_minute_in_one_line():
    refusals = Refusals(every=60)
    first = refusals.add("personio", "unauthorized", 100.0, "Authorization header is not the configured webhook secret")
    assert first is not None and first.message == ("webhook refusals: personio: unauthorized 1 (Authorization header "
                                                   "is not the configured webhook secret)")
    later = [refusals.add("personio", "unauthorized", 100.0 + n / 100, "wrong") for n in range(2315)]
    later += [refusals.add("moco", "too_large", 130.0, "over 1048576 bytes") for _ in range(3)]
    assert later == [None] * 2318 and refusals.due(159.9) is None
    told = refusals.due(160.0)
    assert told is not None
    assert told.message == ("webhook refusals in the last 60 s: personio: unauthorized 2,315 (wrong); "
                            "moco: too large 3 (over 1048576 bytes)")
    assert told.fields == {"refused": {"personio": {"unauthorized": 2315}, "moco": {"too_large": 3}}, "seconds": 60}
    assert refusals.due(500.0) is None  # nothing since


def test_a_long_reason_is_cut_and_flush_tells_what_is_left_at_shutdown():
    refusals = Refusals(every=60)
    refusals.add("moco", "malformed", 0.0, "x" * 10_000)
    refusals.add("connections", "over_cap", 1.0)
    told = refusals.flush(2.0)
    assert told is not None and told.message.startswith("webhook refusals in the last 2 s: connections: over the cap 1")
    assert len(told.message) < 300
    assert refusals.flush(3.0) is None
