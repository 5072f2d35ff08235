"""The fast readers of the long lists (MOCO presences, Personio attendance periods) read a record
without a `Record` only where the strict reader would read it alike: any record they take is read to
the same value, with no notice; anything else they leave to the strict reader, which words what is
wrong. And a list read page by page as it arrives says what a whole list would: skipped records
noted in the list's order, the first unreadable record raised, only the read that stands counted."""

from __future__ import annotations

import asyncio
import copy
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from reconciler.errors import UnexpectedResponse
from reconciler.systems.http import Reader, Record, Skipped, Source, kept
from reconciler.systems.moco.client import _presence, _presence_fast
from reconciler.systems.moco.paging import link_pages
from reconciler.systems.personio.client import _attendance, _attendance_fast
from tests.property.profiles import property_settings

SOURCE = Source("Acme", "GET /list")
GONE = object()  # the field left out

PRESENCE = {"id": 904405622, "date": "2026-01-02", "from": "08:00", "to": "11:50", "is_home_office": False,
            "user": {"id": 943951903, "firstname": "Lina", "lastname": "Köhler"},
            "created_at": "2026-11-29T09:18:05Z", "updated_at": "2026-11-29T09:18:05Z"}
ATTENDANCE = {"id": "49d0703a-ea42-43d0-9aaf-28cc46bb3f17", "type": "WORK", "person": {"id": "1065022"},
              "project": None, "attribution_date": "2026-01-02", "start": {"date_time": "2026-01-02T08:30:00"},
              "end": {"date_time": "2026-01-02T12:25:00"}, "comment": "[reconcile] MOCO presence 963147940",
              "approval": {"status": "CONFIRMED"}, "is_auto_generated": False,
              "created_at": "2026-11-29T09:18:05Z", "updated_at": "2026-11-29T09:18:05Z"}

# Values a field may take instead: JSON of every type, and strings close to what the fields hold.
VALUES = st.one_of(
    st.sampled_from([GONE, None, True, False, 0, 7, -1, 2.5, "", " ", "7", "x", [], [1], {}, {"id": 1},
                     {"id": "7"}, {"id": " "}, {"id": None}, {"date_time": "2026-01-02T08:30:00"},
                     {"date_time": ""}, {"date_time": 5}, {"status": "PENDING"}, {"status": None},
                     "08:00", "8:00", "24:00", "08:00:00", "2026-01-02", "2026-02-30", "2026-01-02T08:30:00",
                     "2026-01-02T08:30:00+01:00", "WORK", "BREAK"]),
    st.text(max_size=12), st.integers(), st.floats(allow_nan=False))
PRESENCE_FIELDS = ["id", "date", "from", "to", "is_home_office", "updated_at", "user", "user.id"]
ATTENDANCE_FIELDS = ["id", "type", "person", "person.id", "start", "start.date_time", "end", "end.date_time",
                     "comment", "approval", "approval.status", "duration", "attribution_date"]


def mutated(base: dict[str, Any], changes: list[tuple[str, Any]]) -> dict[str, Any]:
    row = copy.deepcopy(base)
    for path, value in changes:
        *outer, name = path.split(".")
        node = row
        for key in outer:
            node = node.get(key) if isinstance(node, dict) else None
        if not isinstance(node, dict):
            continue
        if value is GONE:
            node.pop(name, None)
        else:
            node[name] = copy.deepcopy(value)
    return row


def strictly(parse: Any, row: dict[str, Any], *, noting: bool = False) -> tuple[str, Any, list[str]]:
    """What the strict reader makes of `row`: ("read", value, notices) or ("refused", message, notices)."""
    notices: list[str] = []
    record = Record(SOURCE, "record", row)
    try:
        return "read", parse(record, notices) if noting else parse(record), notices
    except (UnexpectedResponse, Skipped) as refused:
        return "refused", str(refused), notices


def changes_of(fields: list[str]) -> st.SearchStrategy[list[tuple[str, Any]]]:
    return st.lists(st.tuples(st.sampled_from(fields), VALUES), max_size=4)


def test_the_common_shapes_are_read_fast_and_alike():
    assert _presence_fast(PRESENCE) == strictly(_presence, PRESENCE, noting=True)[1] is not None
    assert _attendance_fast(ATTENDANCE) == strictly(_attendance, ATTENDANCE)[1] is not None
    running = {**PRESENCE, "to": None}
    assert _presence_fast(running) == strictly(_presence, running, noting=True)[1]


@property_settings(max_examples=400)
@given(changes_of(PRESENCE_FIELDS))
def test_a_presence_read_fast_is_read_as_the_strict_reader_reads_it(changes):
    row = mutated(PRESENCE, changes)
    fast = _presence_fast(row)
    if fast is not None:
        assert strictly(_presence, row, noting=True) == ("read", fast, [])


@property_settings(max_examples=400)
@given(changes_of(ATTENDANCE_FIELDS))
def test_an_attendance_period_read_fast_is_read_as_the_strict_reader_reads_it(changes):
    row = mutated(ATTENDANCE, changes)
    fast = _attendance_fast(row)
    if fast is not None:
        assert strictly(_attendance, row) == ("read", fast, [])


def test_a_field_of_the_wrong_type_is_left_to_the_strict_reader_which_names_it():
    row = {**PRESENCE, "from": 800}
    assert _presence_fast(row) is None
    reader = Reader(SOURCE, "presence", _presence, fast=_presence_fast, noting=True)
    with pytest.raises(UnexpectedResponse, match=r"^Acme: cannot read presence 904405622 from GET /list: from is a "
                                                 r"number \(800\), expected a time"):
        reader.done(reader([PRESENCE, row]), [])


def _user(record: Record) -> Any:
    if record.is_null("user"):
        raise Skipped("belongs to no user")
    return record.key()


def test_a_list_read_page_by_page_notes_and_refuses_in_the_lists_order():
    reader = Reader(SOURCE, "thing", _user)
    pages = [reader([{"id": 1, "user": None}, {"id": 2}]), reader([{"id": "x"}, {"id": 4, "user": None}]),
             reader([{"id": 5, "user": None}])]
    notices: list[str] = []
    with pytest.raises(UnexpectedResponse, match=r"cannot read thing x from GET /list: id is a string"):
        reader.done([item for page in pages for item in page], notices)
    assert notices == ["Acme GET /list: thing 1 belongs to no user; skipped"]  # before the refused record only


def test_only_the_read_that_stands_is_noted():
    """A MOCO list that names a record twice is read again; what the first read skipped is not noted."""
    reads = [[{"id": 1, "user": None}, {"id": 1}], [{"id": 1}, {"id": 2}]]

    class Answer:
        def __init__(self, body: Any) -> None:
            self.body, self.headers, self.call = body, {"X-Total": "2", "X-Per-Page": "100"}, "GET /list"

    class Service:
        name = "Acme"

        def endpoint(self, *args: Any) -> str:
            return "GET /list"

        async def request(self, *args: Any, **kwargs: Any) -> Answer:
            return Answer(reads.pop(0))

    reader = Reader(SOURCE, "thing", _user)
    notices: list[str] = []
    found = reader.done(asyncio.run(link_pages(Service(), "/list", keep=reader)), notices)  # type: ignore[arg-type]
    assert (found, notices) == ([1, 2], [])


def test_without_a_reader_a_page_is_kept_as_it_came():
    rows = [{"id": 1}]
    assert kept(None, rows) is rows
