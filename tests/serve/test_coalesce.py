"""Hints become few batches: a burst coalesces, a quiet period elapses, a steady stream is flushed."""

from datetime import date

import pytest

from reconciler.plan.scope import ALL_DAYS
from reconciler.serve.coalesce import Batch, Coalescer
from reconciler.serve.events import MOCO, PERSONIO, Hint, moco_hint

ABSENCES, HOLIDAYS, HOURS = "absences_to_moco", "holidays_to_moco", "hours_to_personio"
PEOPLE = "people_to_moco"


def presence(person, day=1, record=None):
    return Hint(MOCO, (HOURS,), person, frozenset({date(2026, 11, day)}), record, "Presence update")


def test_a_burst_of_1000_hints_for_50_people_is_at_most_50_batches():
    queue = Coalescer(quiet=3, max_wait=30)
    for n in range(1000):
        queue.add(presence(1000 + n % 50, day=1 + n % 28, record=n), now=n * 0.001)
    assert len(queue) == 50
    assert queue.due(now=1.5) == []  # still inside the quiet period
    batches = queue.due(now=5.0)
    assert len(batches) == 50 and len(queue) == 0
    assert sum(batch.hints for batch in batches) == 1000
    assert {batch.person for batch in batches} == set(range(1000, 1050))
    first = next(batch for batch in batches if batch.person == 1000)
    assert first.days == {date(2026, 11, 1 + n % 28) for n in range(0, 1000, 50)}
    assert first.records == frozenset(range(0, 1000, 50))


def test_a_batch_is_due_once_its_quiet_period_has_passed():
    queue = Coalescer(quiet=3, max_wait=30)
    queue.add(presence(7), now=10.0)
    queue.add(presence(7, day=2), now=12.0)  # a new hint restarts the quiet period
    assert queue.due(now=14.9) == []
    assert queue.next_due() == 15.0
    (batch,) = queue.due(now=15.0)
    assert (batch.person, batch.days, batch.hints) == (7, {date(2026, 11, 1), date(2026, 11, 2)}, 2)
    assert queue.next_due() is None


def test_a_steady_stream_is_flushed_by_the_max_wait():
    queue = Coalescer(quiet=3, max_wait=10)
    flushed, now = [], 0.0
    while now < 25:
        queue.add(presence(7), now=now)  # every second: never quiet for 3 s
        flushed += [(now, batch) for batch in queue.due(now)]
        now += 1.0
    assert [at for at, _ in flushed] == [10.0, 21.0]
    assert flushed[0][1].hints == 11  # the hints of 0..10 s


def test_all_days_absorbs_single_days():
    queue = Coalescer()
    queue.add(presence(7, day=3), now=0)
    queue.add(Hint(MOCO, (HOURS,), 7, ALL_DAYS, None, "User update"), now=0)
    queue.add(presence(7, day=4), now=0)
    (batch,) = queue.drain()
    assert batch.days == ALL_DAYS


def test_people_of_different_systems_and_directions_are_kept_apart():
    queue = Coalescer()
    queue.add(Hint(MOCO, (ABSENCES, HOURS), 7, ALL_DAYS, 7, "User update"), now=0)
    queue.add(Hint(PERSONIO, (HOURS,), "7", ALL_DAYS, "a", "attendance-period.created"), now=0)
    keys = {(b.direction, b.source, b.person) for b in queue.drain()}
    assert keys == {(ABSENCES, MOCO, 7), (HOURS, MOCO, 7), (HOURS, PERSONIO, "7")}


def test_a_delete_without_person_becomes_a_whole_direction_batch_covering_that_direction():
    queue = Coalescer(quiet=3, max_wait=5)
    queue.add(presence(7), now=0)
    queue.add(Hint(MOCO, (ABSENCES,), 5, ALL_DAYS, 1, "Schedule update"), now=0)
    queue.add(Hint(MOCO, (HOURS,), None, ALL_DAYS, 55, "Presence delete"), now=1)
    queue.add(Hint(MOCO, (HOURS,), None, ALL_DAYS, 56, "Presence delete"), now=1.5)
    queue.add(presence(8), now=4)  # not due yet, but the whole direction covers it
    batches = queue.due(now=6.0)
    whole = [b for b in batches if b.whole]
    assert len(whole) == 1 and whole[0].direction == HOURS
    assert whole[0].records == {55, 56} and whole[0].hints == 4 and whole[0].first == 0
    assert [(b.direction, b.person) for b in batches if not b.whole] == [(ABSENCES, 5)]
    assert len(queue) == 0


def test_drain_hands_over_everything_pending():
    queue = Coalescer()
    queue.add(presence(7), now=0)
    assert [b.person for b in queue.drain()] == [7] and len(queue) == 0


@pytest.mark.parametrize("quiet, max_wait", [(0, 10), (5, 4)])
def test_nonsense_timings_are_refused(quiet, max_wait):
    with pytest.raises(ValueError, match="quiet"):
        Coalescer(quiet=quiet, max_wait=max_wait)


def delete(record):
    return Hint(MOCO, (HOURS,), None, ALL_DAYS, record, "Presence delete")


def people(batches: list[Batch]) -> set[tuple[str, str, object]]:
    """Who the batches plan: their own people and those of the batches they took along."""
    return {(b.direction, b.source, b.person) for batch in batches for b in (batch, *batch.covered)}


def test_records_an_update_named_are_told_apart_from_created_and_deleted_ones():
    queue = Coalescer()
    queue.add(Hint(MOCO, (HOURS,), 7, frozenset({date(2026, 11, 1)}), 1, "Presence create"), now=0)
    queue.add(presence(7, day=2, record=2), now=0)
    queue.add(presence(7, day=3, record=3), now=0)
    queue.add(Hint(MOCO, (ABSENCES,), None, ALL_DAYS, 4, "Schedule delete"), now=0)
    person, whole = sorted(queue.drain(), key=lambda b: b.whole)
    assert (person.records, person.updated) == ({1, 2, 3}, {2, 3})  # 2 and 3 may have moved from another day
    assert (whole.records, whole.updated) == ({4}, frozenset())


def test_a_user_change_names_no_record_that_may_have_moved():
    queue = Coalescer()
    user = moco_hint(b'{"id": 7}', {"X-Moco-Target": "User", "X-Moco-Event": "update"})
    assert isinstance(user, Hint)
    queue.add(user, now=0)
    batches = queue.drain()
    assert {b.direction for b in batches} == {ABSENCES, HOLIDAYS, HOURS, PEOPLE}
    assert all(not b.records and not b.updated for b in batches)  # 7 is a user, not a presence or schedule


def test_a_failed_batch_queued_again_keeps_its_hints_and_joins_the_new_ones():
    queue = Coalescer(quiet=3, max_wait=30)
    queue.add(presence(7, day=1, record=1), now=0)
    (failed,) = queue.due(now=3)
    queue.again([failed])
    assert len(queue) == 1
    queue.add(Hint(MOCO, (HOURS,), 7, frozenset({date(2026, 11, 2)}), 2, "Presence create"), now=29)
    assert queue.next_due() is not None and queue.next_due() <= 30  # its first hint's wait is not restarted
    (batch,) = queue.due(now=30)
    assert (batch.person, batch.first, batch.last, batch.hints) == (7, 0, 29, 2)
    assert batch.days == {date(2026, 11, 1), date(2026, 11, 2)}
    assert (batch.records, batch.updated) == ({1, 2}, {1})


def test_batches_queued_again_stay_apart_by_person_and_direction():
    queue = Coalescer()
    queue.add(Hint(MOCO, (ABSENCES, HOURS), 7, ALL_DAYS, None, "User update"), now=0)
    queue.add(presence(8), now=0)
    failed = queue.drain()
    queue.again(failed)
    again = queue.drain()
    assert sorted(again, key=str) == sorted(failed, key=str)


def test_a_whole_batch_takes_along_the_pending_batches_of_its_direction_of_either_system():
    queue = Coalescer()
    queue.add(presence(7, record=1), now=0)
    queue.add(Hint(PERSONIO, (HOURS,), "77", ALL_DAYS, "a1", "attendance-period.created"), now=1)
    queue.add(Hint(MOCO, (ABSENCES,), 5, ALL_DAYS, 2, "Schedule update"), now=2)
    queue.add(delete(55), now=3)
    batches = queue.drain()
    (whole,) = [b for b in batches if b.whole]
    assert {(b.source, b.person) for b in whole.covered} == {(MOCO, 7), (PERSONIO, "77")}
    assert whole.hints == 3 and whole.first == 0  # it stands for the hints it took along
    assert [(b.direction, b.person) for b in batches if not b.whole] == [(ABSENCES, 5)]  # another direction
    assert sum(b.hints for b in batches) == 4


def test_a_whole_batch_queued_again_still_plans_the_people_it_took_along():
    queue = Coalescer()
    queue.add(presence(7, record=1), now=0)
    queue.add(delete(55), now=1)
    (failed,) = queue.drain()
    assert people([failed]) == {(HOURS, MOCO, None), (HOURS, MOCO, 7)}
    queue.again([failed])
    assert people(queue.drain()) == {(HOURS, MOCO, None), (HOURS, MOCO, 7)}


def test_a_whole_batch_queued_again_beside_a_new_delete_still_plans_the_people_it_took_along():
    queue = Coalescer()
    queue.add(presence(7, record=1), now=0)
    queue.add(delete(55), now=1)
    (failed,) = queue.drain()
    queue.add(delete(56), now=2)  # came in while the failed run was on
    queue.again([failed])
    (batch,) = queue.drain()
    assert batch.records == {55, 56} and batch.hints == 3
    assert people([batch]) == {(HOURS, MOCO, None), (HOURS, MOCO, 7)}  # person 7's change is not lost
