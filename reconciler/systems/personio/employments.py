"""Personio's employments (`GET /v2/persons/{person_id}/employments`) and departments (`GET /v2/org-units`):
when a person starts, their termination date (the last day), weekly hours and department, for the people
direction (issue 24). `PersonioClient.employments` and `.departments` read them; this module is the one place
that knows the shape of an employment and of an org unit, and every guess about them is in SHAPE below.

Published (developer.personio.de/reference/get_v2-persons-person-id-employments.md, personio.md §13.4): one
list per person, cursor pages, `limit` 1 to 50 (default 10), "the most recent employments appearing first", 404
for an unknown person; the attributes `start_date`, `termination_date`, `weekly_working_hours`, supervisor and
org units. An employment may come with only `id`, `person` and `status`, where the credential may not read its
attributes (developer.personio.de/discuss/6914b9020a95c90a2bdeabbf): `PersonioEmployment.fields` says what came.

Strict on what identifies a record and on dates (an id or a date that is there but cannot be read stops the read,
naming endpoint, employment and field); lenient on what only informs (hours, department: unreadable reads as
None), as a run must not stop on an attribute that a hire can do without.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from urllib.parse import quote

from reconciler.errors import NotFound
from reconciler.records import PersonioEmployment
from reconciler.systems.http import Reader, Record, Service
from reconciler.systems.http.together import together

KIND = "employment"  # how messages name one: "cannot read employment e1 from GET /v2/persons/7/employments?…"
PAGE_SIZE = 50  # the documented maximum of `limit`
ORG_UNITS = "/v2/org-units"
ORG_UNIT = "org unit"
# The names `PersonioEmployment.fields` holds, one for each attribute reconcile reads.
START, END, HOURS, DEPARTMENT = "start_date", "termination_date", "weekly_working_hours", "department"


@dataclass(frozen=True)
class Shape:
    """Where an employment keeps what reconcile reads, and how the departments are listed."""

    start: str  # YYYY-MM-DD
    hours: str  # a number, or a numeric string
    termination: tuple[tuple[str, ...], ...]  # paths to the termination date, the first one given wins
    org_units: str  # a list of {id, type}
    department: str  # `type` of the org unit that is the department (compared ignoring case)
    department_object: str  # or an object {id} of that name
    org_units_type: str  # `type` asked of GET /v2/org-units for the departments
    org_units_page: int  # its `limit`


# UNVERIFIED (doctor: personio-employments): what Personio has not published, kept here and nowhere else.
# - The termination date's place. personio.md §13.4 names `termination_date`; a user's answer shows it inside an
#   object, `termination: {termination_date, terminated_at, last_working_date, type, reason}`
#   (developer.personio.de/discuss/696a61c9486fbb2362d81955), and the changelog "v2 Persons GET and POST - Support
#   for 'full_time_weekly_working_hours' and 'terminated_at'" says the termination object carries `terminated_at`.
#   `terminated_at` is NOT read: it may be when the termination was entered rather than the last day (the user's
#   answer has it null beside a termination_date), and an employment ended on the day it was entered would end
#   weeks early. `termination.date` is a guess of the design's. A date-time is read as its date.
# - `weekly_working_hours`: v1 sent it as a string ("40", personio.md §3.1 [S21]); a number or such a string is
#   read, anything else as unknown (None).
# - The department: org units on the employment as a list `org_units: [{id, type}]` whose `type` is department,
#   or an object `department: {id}`; neither is published.
# - The departments' names: `GET /v2/org-units?type=DEPARTMENT` (developer.personio.de/reference/listorgunits,
#   "in beta mode"; the value's case comes from a third-party tool's listing, the page size is a guess), each org
#   unit `{id, name}` as `GET /v2/org-units/{id}` answers (reference/getorgunit).
# - The scope: both are read under `personio:persons:read`, the person and employment API's.
SHAPE = Shape(start=START, hours=HOURS,
              termination=(("termination_date",), ("termination", "termination_date"), ("termination", "date")),
              org_units="org_units", department="DEPARTMENT", department_object="department",
              org_units_type="DEPARTMENT", org_units_page=50)


def path(person_id: str) -> str:
    return f"/v2/persons/{quote(person_id, safe='')}/employments"


async def read(service: Service, person_ids: Any, notices: list[str]) -> list[PersonioEmployment]:
    """The employments of every person in `person_ids` (each once, in id order; each person's most recent
    first): one list per person, all at once under the service's pacing. A person Personio no longer knows
    (404: deleted meanwhile) has none."""
    wanted = sorted({str(ident) for ident in person_ids})
    found = await together(_of(service, person, notices) for person in wanted)
    return [employment for employments in found for employment in employments]


async def _of(service: Service, person: str, notices: list[str]) -> list[PersonioEmployment]:
    where, params = path(person), {"limit": PAGE_SIZE}
    reader = Reader(service.source("GET", where, params), KIND, read_employment)
    try:
        rows = await service.pages(where, params, keep=reader)
    except NotFound:
        return []
    return reader.done(rows, notices)


def read_employment(r: Record, shape: Shape = SHAPE) -> PersonioEmployment:
    """One employment: `id` and `person.id` must be there; a date that is there must read; the rest may be
    missing (`fields` then leaves it out)."""
    ident, person = r.key(number=False), r.ref("person", number=False)
    came = {name for name, there in ((START, shape.start in r.data), (HOURS, shape.hours in r.data),
                                     (END, termination_given(r.data, shape) is not None),
                                     (DEPARTMENT, shape.org_units in r.data or shape.department_object in r.data))
            if there}
    return PersonioEmployment(id=ident, person_id=person, start=_day(r, shape.start), end=termination(r, shape),
                              weekly_hours=hours(r.data.get(shape.hours)), department_id=department(r.data, shape),
                              fields=frozenset(came))


def termination_given(row: dict[str, Any], shape: Shape = SHAPE) -> str | None:
    """Which of the termination paths the employment has (the first, dotted, e.g. `termination.termination_date`),
    null values included: None when it has none (its object missing, or none of its names in it)."""
    for names in shape.termination:
        node: Any = row
        for name in names[:-1]:
            node = node.get(name) if isinstance(node, dict) else None
        if isinstance(node, dict) and names[-1] in node:
            return ".".join(names)
    return None


def termination(r: Record, shape: Shape = SHAPE) -> date | None:
    """The termination date, the last day employed: the first path of `shape.termination` that holds a value.
    A value there that is not a date (or a date-time) stops the read, naming the field."""
    for names in shape.termination:
        inner: Record | None = r
        for name in names[:-1]:
            inner = inner.obj(name) if inner is not None else None
        if inner is not None and inner.data.get(names[-1]) not in (None, ""):
            return _day(inner, names[-1])
    return None


def _day(r: Record, name: str) -> date | None:
    """A date, or a date-time read as its date; None when missing, null or empty."""
    value = r.data.get(name)
    if value is None or value == "":
        return None
    if isinstance(value, str):
        try:
            return date.fromisoformat(value) if len(value) == 10 else datetime.fromisoformat(value).date()
        except ValueError:
            pass
    raise r.fail(name, value, "a date (YYYY-MM-DD)")


def hours(value: Any) -> float | None:
    """Weekly hours: a number, or a string of one ("40", "37.5"); None for anything else, or below zero."""
    if isinstance(value, bool):
        return None
    if isinstance(value, str):
        try:
            value = float(value.strip())
        except ValueError:
            return None
    if isinstance(value, (int, float)) and 0 <= value < float("inf"):
        return float(value)
    return None


def department(row: dict[str, Any], shape: Shape = SHAPE) -> str | None:
    """The department's org unit id: the first entry of `org_units` whose type is the department's, else the
    object `department`'s id; None when neither reads."""
    units = row.get(shape.org_units)
    for unit in units if isinstance(units, list) else ():
        if isinstance(unit, dict) and str(unit.get("type", "")).strip().upper() == shape.department.upper():
            if (ident := _id(unit.get("id"))) is not None:
                return ident
    single = row.get(shape.department_object)
    return _id(single.get("id")) if isinstance(single, dict) else None


def _id(value: Any) -> str | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int) or (isinstance(value, str) and value.strip()):
        return str(value)
    return None


def org_units_params(shape: Shape = SHAPE) -> dict[str, str | int]:
    return {"type": shape.org_units_type, "limit": shape.org_units_page}


async def departments(service: Service, notices: list[str]) -> dict[str, str]:
    """Every department: org unit id -> name (`GET /v2/org-units?type=DEPARTMENT`, cursor pages)."""
    units = await service.read(ORG_UNITS, org_units_params(), ORG_UNIT, _org_unit, notices)
    return dict(units)


def _org_unit(r: Record) -> tuple[str, str]:
    name = r.value("name")
    if not isinstance(name, str):
        raise r.fail("name", name, "a string")
    return r.key(number=False), name.strip()
