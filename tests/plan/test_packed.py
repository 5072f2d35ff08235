"""Issue 22: a first sync's changes are held packed a batch at a time (plan/packed.py), and read back as
they went in: the same items, in the same order, however they are asked for."""

from __future__ import annotations

import pytest

from reconciler.plan.packed import Packed, Where
from tests.plan.test_privacy_positions import JANE, company_with


def test_items_read_back_in_order_across_batches():
    items = Packed(range(10), batch=3)
    assert items.packed == 3  # 0-2, 3-5, 6-8 packed; 9 still open
    assert list(items) == list(range(10)) and len(items) == 10 and items
    assert [items[i] for i in range(10)] == list(range(10)) and items[-1] == 9 and items[-10] == 0
    assert items[2:5] == (2, 3, 4) and items[::4] == (0, 4, 8)
    assert items == tuple(range(10)) and tuple(range(10)) == items and items == list(range(10))
    assert items != tuple(range(9)) and items != (*range(9), 99)
    with pytest.raises(IndexError):
        items[10]
    with pytest.raises(IndexError):
        items[-11]


def test_a_small_sequence_is_never_packed_and_an_empty_one_is_false():
    assert Packed(range(5), batch=10).packed == 0
    assert not Packed() and len(Packed()) == 0 and Packed() == ()


def test_appending_and_adding():
    items = Packed[int](batch=2)
    items += [1, 2, 3]
    items.append(4)
    assert list(items) == [1, 2, 3, 4] and items + (5,) == (1, 2, 3, 4, 5) and (0,) + items == (0, 1, 2, 3, 4)


def test_changes_come_back_equal_with_their_types():
    changes = company_with(JANE).plan().changes
    assert len(changes) > 4
    packed = Packed(changes, batch=2)
    assert packed.packed >= 2 and tuple(packed) == tuple(changes)
    assert [type(c.send) for c in packed] == [type(c.send) for c in changes]
    assert [type((c.before or {}).get("comment")) for c in packed] == \
        [type((c.before or {}).get("comment")) for c in changes]  # hand-made text stays marked HandMade


def test_a_packed_plan_prints_counts_not_its_items():
    items = Packed(range(100_000), batch=1000)
    assert repr(items) == "Packed(100000 items, 100 batches packed)"


def test_where_keeps_what_it_keeps_in_order():
    items = Packed(range(10), batch=3)
    evens = Where(items, lambda n: n % 2 == 0, 5)
    assert list(evens) == [0, 2, 4, 6, 8] and len(evens) == 5 and evens[1] == 2 and evens == (0, 2, 4, 6, 8)
    assert repr(evens) == "Where(5 of 10 items)"
