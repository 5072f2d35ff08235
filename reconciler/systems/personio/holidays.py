"""Personio's holidays (`GET /v2/holidays`): one entry per person and day, from the holiday calendars of each
person's office or company, each a full or a half day, a public holiday or one the company defined
(personio.md §13.2). `PersonioClient.holidays` reads them; this module is the one place that knows the
shape of an entry, reads one into a `Holiday`, and bounds the days asked for to what Personio takes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import TypeVar

from reconciler.records import Holiday
from reconciler.systems.http import DAY, Record

T = TypeVar("T")

PATH = "/v2/holidays"
KIND = "holiday"  # how messages name an entry: "cannot read holiday 123 from GET /v2/holidays?…"

# How far the days asked for may reach: Personio takes a range starting at most 10 years before today and
# ending at most 3 years after it (personio.md §13.2).
YEARS_BACK = 10
YEARS_AHEAD = 3


@dataclass(frozen=True)
class Shape:
    """The field names of an entry, and what its `type` values mean."""

    id: str
    person: str  # an object; its `id` is the person's
    date: str  # YYYY-MM-DD
    name: str
    half_day: str  # true or false
    type: str
    kinds: dict[str, str]  # `type` value -> Holiday.kind


# UNVERIFIED (doctor: personio-holidays): Personio has not published the field names of an entry yet. This is the
# team's decision until it does (personio.md §13.2), kept here and nowhere else; `reconcile doctor` reads a live
# account's entries as reconcile would and names the fields it finds. Also unverified: that `id` is
# the entry's own, one per person and day. Were it the calendar holiday's, shared by everyone of a calendar, the
# pager would find one id twice in a list and stop the read (http/paging.py, `repeated`), naming it.
SHAPE = Shape(id="id", person="person", date="date", name="name", half_day="half_day", type="type",
              kinds={"PUBLIC_HOLIDAY": "public", "COMPANY_HOLIDAY": "company"})


def read_holiday(r: Record, shape: Shape = SHAPE) -> Holiday:
    """One entry, every field required: a field that is missing or of the wrong type is an
    `UnexpectedResponse` naming the endpoint, the entry and the field. So is a `type` that is none of
    `shape.kinds`: while the shape is unverified, a value not in it more likely means the guess is wrong than
    that Personio added one, and there is no kind to take it for that is safe to sync. (A person's status,
    by contrast, is read whatever it is: there an unknown one has a safe side.)"""
    ident, person = r.key(shape.id, number=False), r.ref(shape.person, number=False)
    day, name = r.need(shape.date, DAY), _required(r, shape.name, str, "a string")
    half_day = _required(r, shape.half_day, bool, "true or false")
    value = r.value(shape.type)
    kind = shape.kinds.get(value.strip().upper()) if value.__class__ is str else None
    if kind is None:
        raise r.fail(shape.type, value, " or ".join(shape.kinds))
    return Holiday(id=ident, person_id=person, day=day, name=name, half_day=half_day, kind=kind)


def _required(r: Record, name: str, kind: type[T], expected: str) -> T:
    """A field that must be there with JSON type `kind` (`Record.text` and `Record.flag` read a missing one as
    their default: under an unverified name, that would read every holiday as a full day without a name)."""
    value = r.value(name)
    if value.__class__ is not kind:
        raise r.fail(name, value, expected)
    return value


def bounds(start: date, end: date, today: date) -> tuple[date, date] | None:
    """`start`..`end` within the range Personio takes, YEARS_BACK before `today` to YEARS_AHEAD after it; None
    when nothing of it is left (nothing to ask for)."""
    first, last = max(start, _shifted(today, -YEARS_BACK)), min(end, _shifted(today, YEARS_AHEAD))
    return (first, last) if first <= last else None


def _shifted(day: date, years: int) -> date:
    """`day` so many years on (back when negative). 29 February becomes 1 March going back and 28 February going
    ahead: inside the range either way, whichever of the two Personio counts from."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February in a year without one
        return date(day.year + years, 3, 1) if years < 0 else date(day.year + years, 2, 28)


# UNVERIFIED (doctor: personio-holidays): the page size Personio takes here is not published. Its other v2 lists
# take `limit` up to 50 (persons) or 100 (absence and attendance periods); 50 is within both, and a year of a
# company's holidays comes in about 15 entries a person, so 50 persons' year fills some 15 pages. Were 50 refused,
# the doctor check (which sends these parameters) and every run would say so with Personio's 400 and its words.
PAGE_SIZE = 50


def params(first: date, last: date) -> dict[str, str | int]:
    """The date filters and page size of a chunk's first request (its person ids beside them); the cursor pages
    after it carry only the cursor, as the next link gives it."""
    return {"date.gte": first.isoformat(), "date.lte": last.isoformat(), "limit": PAGE_SIZE}
