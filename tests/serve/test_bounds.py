"""Issue 20: what one delivery, or a flood of authentic ones, can make serve hold and do is bounded. Ids of
another shape than the services use are refused before they are queued; the queue holds at most PENDING_KEYS
people and RECORDS_PER_BATCH ids each; the same body from the same source again within the window is a repeat;
a failed run is split so one person's failure cannot hold back the others; serve's own Personio creates
coming back as `attendance-period.created` (which name no day) are echoes."""

from __future__ import annotations

import json
from datetime import date

import pytest

from reconciler.serve.coalesce import (
    PENDING_KEYS,
    RECORDS_PER_BATCH,
    REPEAT_WINDOW,
    REPEATS_KEPT,
    Coalescer,
)
from reconciler.serve.echoes import WINDOW, Echoes
from reconciler.serve.events import (
    MOCO,
    PERSONIO_ID_LENGTH,
    Hint,
    Malformed,
    moco_hint,
    personio_hint,
)
from tests.serve.test_echoes import PERSON_OF, written

HOURS = "hours_to_personio"
PRESENCE = {"X-Moco-Target": "Presence", "X-Moco-Event": "update"}


def personio(payload: dict, event_name: str = "attendance-period.updated"):
    return personio_hint(json.dumps({"company_id": "1", "event_name": event_name,
                                     "occurred_at": "2026-11-30T10:00:00Z", "payload": payload}).encode())


def presence(ident, user=7, day=1, event="update"):
    return Hint(MOCO, (HOURS,), user, frozenset({date(2026, 11, day)}), ident, f"Presence {event}")


# ---------------------------------------------------------------------- the shape of ids


def test_the_poison_delivery_a_person_id_of_20000_characters_is_malformed_never_a_hint():
    """Issue 20, finding 1: it was queued, and every targeted run's `/v2/persons` request grew past 8 KiB."""
    poison = personio({"id": "a1", "person": {"id": "7" * 20_000}, "start": {"date_time": "2026-11-27T08:00:00"}})
    assert isinstance(poison, Malformed) and "Personio's shape" in poison.reason
    assert len(poison.reason) < 200  # the id is not repeated


@pytest.mark.parametrize("person", ["x" * (PERSONIO_ID_LENGTH + 1), "7/../persons", "7 8", "7\n", "ä", -1, 2**64,
                                    {"id": 7}])
def test_personio_ids_of_another_shape_are_malformed(person):
    assert isinstance(personio({"id": "a1", "person": {"id": person}}), Malformed)
    assert isinstance(personio({"id": person, "person": {"id": "7"}}), Malformed)  # the record's own id too


@pytest.mark.parametrize("person", ["x" * PERSONIO_ID_LENGTH, "12345", 12345, "3f2a-9c_0"])
def test_personio_ids_of_the_shape_personio_uses_are_read(person):
    hint = personio({"id": "a1", "person": {"id": person}})
    assert isinstance(hint, Hint) and hint.person == str(person)


@pytest.mark.parametrize("ident", [2**63, "9" * 20, "1" * 5000, 0, -5, "12a", 1.5])
def test_moco_ids_of_another_shape_are_malformed(ident):
    assert isinstance(moco_hint(json.dumps({"id": ident, "user": {"id": 7}}).encode(), PRESENCE), Malformed)
    assert isinstance(moco_hint(json.dumps({"id": 5, "user": {"id": ident}}).encode(), PRESENCE), Malformed)


def test_moco_ids_up_to_19_digits_below_2_63_are_read():
    hint = moco_hint(json.dumps({"id": 2**63 - 1, "date": "2026-11-27", "user": {"id": "9" * 18}}).encode(),
                     PRESENCE)
    assert isinstance(hint, Hint) and (hint.record, hint.person) == (2**63 - 1, int("9" * 18))


# ---------------------------------------------------------------------- the queue's bounds


def test_the_queue_holds_at_most_its_people_and_says_it_overflowed():
    queue = Coalescer()
    for n in range(PENDING_KEYS + 500):
        queue.add(presence(n, user=1000 + n), now=0.0)
    assert len(queue) == PENDING_KEYS and queue.overflowed
    assert {batch.person for batch in queue.drain()} == set(range(1000, 1000 + PENDING_KEYS))  # the first ones


def test_hints_for_people_already_queued_still_join_when_the_queue_is_full():
    queue = Coalescer(keys=2)
    queue.add(presence(1, user=7), now=0.0)
    queue.add(presence(2, user=8), now=0.0)
    queue.add(presence(3, user=7, day=2), now=0.0)
    assert not queue.overflowed
    queue.add(presence(4, user=9), now=0.0)  # a third person: not queued
    assert queue.overflowed and len(queue) == 2
    seven = next(batch for batch in queue.drain() if batch.person == 7)
    assert seven.records == {1, 3} and seven.hints == 2


def test_a_batch_keeps_at_most_its_bound_of_ids():
    queue = Coalescer()
    for n in range(RECORDS_PER_BATCH * 3):
        queue.add(presence(n), now=0.0)
    (batch,) = queue.drain()
    assert len(batch.records) == RECORDS_PER_BATCH and queue.overflowed
    assert batch.hints == RECORDS_PER_BATCH * 3


# ---------------------------------------------------------------------- repeats


def test_the_same_body_from_the_same_source_within_the_window_is_a_repeat():
    queue = Coalescer()
    body = b'{"id": 982237015}'
    assert not queue.repeated("moco", body, 0.0)
    assert queue.repeated("moco", body, 1.0)
    assert queue.repeated("moco", body, REPEAT_WINDOW - 1)
    assert not queue.repeated("personio", body, 2.0)  # another source: not the same delivery
    assert not queue.repeated("moco", body + b" ", 2.0)  # other bytes
    assert not queue.repeated("moco", body, REPEAT_WINDOW + 1)  # after the window: a change again


def test_the_repeats_remembered_are_bounded():
    queue = Coalescer()
    for n in range(REPEATS_KEPT + 10):
        queue.repeated("moco", str(n).encode(), 0.0)
    assert len(queue._repeats) == REPEATS_KEPT
    assert not queue.repeated("moco", b"0", 1.0)  # the oldest was forgotten first


# ---------------------------------------------------------------------- a failed run is split


def test_a_failed_runs_batches_are_planned_again_in_halves_and_one_failing_alone_is_dropped_after_its_tries():
    queue = Coalescer(tries=3)
    for person in (1, 2, 3, 4):
        queue.add(presence(person, user=person), now=0.0)
    failed = queue.due(now=5.0)
    assert len(failed) == 4
    assert queue.split(failed) == []
    first, second = queue.due(5.0), queue.due(5.0)
    assert [b.person for b in first] == [1, 2] and [b.person for b in second] == [3, 4]
    assert queue.split(second) == []  # the half holding the failing one
    assert [b.person for b in queue.due(5.0)] == [3]  # 3 runs alone, and succeeds
    poison = queue.due(5.0)
    assert [b.person for b in poison] == [4]
    assert queue.split(poison) == [] and queue.split(queue.due(5.0)) == []  # failed alone twice
    (dropped,) = queue.split(queue.due(5.0))  # the third time: given up
    assert (dropped.person, dropped.tries, len(queue)) == (4, 3, 0)


def test_a_split_part_comes_before_new_hints_and_shows_as_due_at_once():
    queue = Coalescer()
    queue.add(presence(1, user=1), now=0.0)
    queue.add(presence(2, user=2), now=0.0)
    queue.split(queue.due(5.0))
    queue.add(presence(3, user=3), now=6.0)
    assert queue.next_due() == 0.0 and len(queue) == 3
    assert [b.person for b in queue.due(6.0)] == [1]
    assert sorted(b.person for b in queue.drain()) == [2, 3]


# ---------------------------------------------------------------------- serve's own creates


def created(ident, person="41"):
    hint = personio({"id": ident, "person": {"id": person}}, "attendance-period.created")  # no day: dataless
    assert isinstance(hint, Hint)
    return hint


def test_serve_s_own_creates_coming_back_without_a_day_are_echoes_one_event_each():
    """Issue 20, finding 8: each came back as `attendance-period.created` and cost a targeted run."""
    echoes = Echoes()
    echoes.remember([written("create"), written("create")], PERSON_OF, now=0.0)
    assert echoes.hint(created("p1"), 1.0)
    assert echoes.hint(created("p2"), 1.0)
    assert echoes.hint(created("p3"), 1.0) is None  # a third create: reconcile made two, so this one is a change
    assert echoes.hint(created("p4", person="42"), 1.0) is None  # someone else's


def test_own_creates_are_echoes_for_the_window_only():
    echoes = Echoes()
    echoes.remember([written("create")], PERSON_OF, now=0.0)
    assert echoes.hint(created("p1"), WINDOW + 1) is None


def test_queued_create_events_of_serve_s_own_creates_are_dropped_and_a_hand_made_one_stays():
    echoes, queue = Echoes(), Coalescer()
    queue.add(created("p1"), 0.0)  # came while the run that created it was going
    queue.add(created("p2", person="42"), 0.0)
    echoes.remember([written("create")], PERSON_OF, now=1.0)
    assert queue.discard(lambda batch: echoes.batch(batch, 1.0)) == 1
    assert [batch.person for batch in queue.drain()] == ["42"]


def test_a_create_event_naming_another_day_is_a_change_even_while_serve_s_creates_are_remembered():
    echoes = Echoes()
    echoes.remember([written("create")], PERSON_OF, now=0.0)
    by_hand = personio({"id": "p9", "person": {"id": "41"}, "start": {"date_time": "2026-11-20T08:00:00"}},
                       "attendance-period.created")
    assert isinstance(by_hand, Hint) and echoes.hint(by_hand, 1.0) is None
