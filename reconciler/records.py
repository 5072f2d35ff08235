"""Domain vocabulary shared by the spec, the planners and the clients. No I/O."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, fields
from datetime import date, datetime, time, timedelta
from enum import Enum
from typing import TYPE_CHECKING, Any, TypeVar, cast

if TYPE_CHECKING:
    from _typeshed import DataclassInstance

R = TypeVar("R", bound="DataclassInstance")


class AbsenceKind(str, Enum):
    """MOCO's absence kinds, named as in the spec, with MOCO's `absence_code`."""

    UNPLANNABLE = "unplannable"
    PUBLIC_HOLIDAY = "public_holiday"
    SICK_DAY = "sick_day"
    HOLIDAY = "holiday"
    ABSENCE = "absence"

    @property
    def code(self) -> int:
        return _ABSENCE_CODES[self]

    @classmethod
    def from_code(cls, code: int | str) -> AbsenceKind:
        return _KINDS_BY_CODE[int(code)]

    def __str__(self) -> str:
        return self.value


_ABSENCE_CODES = {
    AbsenceKind.UNPLANNABLE: 1,
    AbsenceKind.PUBLIC_HOLIDAY: 2,
    AbsenceKind.SICK_DAY: 3,
    AbsenceKind.HOLIDAY: 4,
    AbsenceKind.ABSENCE: 5,
}
_KINDS_BY_CODE = {code: kind for kind, code in _ABSENCE_CODES.items()}


def halves(am: bool, pm: bool) -> str:
    """How a MOCO absence's halves read: "full day", "morning" or "afternoon"."""
    return "full day" if am and pm else "morning" if am else "afternoon"


class AttendanceDirection(str, Enum):
    """Which system owns working hours."""

    MOCO_TO_PERSONIO = "moco_to_personio"
    PERSONIO_MANAGED = "personio_managed"

    def __str__(self) -> str:
        return self.value


# --------------------------------------------------------------------------- MOCO records


@dataclass(frozen=True, slots=True)
class MocoUser:
    id: int
    email: str  # lower-cased
    first_name: str
    last_name: str
    active: bool
    tags: tuple[str, ...] = ()  # MOCO's user tags, as MOCO lists them
    unit_id: int | None = None  # the user's team (MOCO `unit`); None when MOCO names none
    unit_name: str = ""

    @property
    def name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()


@dataclass(frozen=True, slots=True)
class MocoUnit:
    """A MOCO team (`GET /units`): every user belongs to one."""

    id: int
    name: str


@dataclass(frozen=True, slots=True)
class Employment:
    """A MOCO weekly pattern, valid from `start` to `end` (inclusive; None = unbounded)."""

    id: int
    user_id: int
    start: date | None
    end: date | None
    am: tuple[float, ...]  # hours per morning, Monday first
    pm: tuple[float, ...]

    def covers(self, day: date) -> bool:
        return (self.start is None or self.start <= day) and (self.end is None or day <= self.end)

    def hours(self, day: date) -> tuple[float, float]:
        """Planned (morning, afternoon) hours on `day`; days beyond the pattern have none."""
        weekday = day.weekday()
        am = self.am[weekday] if weekday < len(self.am) else 0.0
        pm = self.pm[weekday] if weekday < len(self.pm) else 0.0
        return am, pm


@dataclass(frozen=True, slots=True)
class MocoAbsence:
    """One MOCO schedule: one user, one day, morning and/or afternoon."""

    id: int
    user_id: int
    day: date
    kind: AbsenceKind
    am: bool
    pm: bool
    comment: str
    symbol: int | None = None


@dataclass(frozen=True, slots=True)
class Presence:
    """One MOCO presence (working hours): local wall-clock times, `end` None while running.

    A presence whose user or start MOCO leaves out is kept (`readable` False): it is not written,
    and the period synced from it is not taken for deleted."""

    id: int
    user_id: int | None  # None: MOCO names no user (the OpenAPI spec allows it); never synced
    day: date
    start: time | None  # None: MOCO gives no start (allowed too); never synced
    end: time | None
    is_home_office: bool = False
    updated_at: str = ""

    @property
    def readable(self) -> bool:
        return self.user_id is not None and self.start is not None


# --------------------------------------------------------------------------- Personio records

# Personio's word for "approved": absence periods say APPROVED, attendance periods CONFIRMED.
ABSENCE_APPROVED = "APPROVED"
ATTENDANCE_APPROVED = "CONFIRMED"


@dataclass(frozen=True, slots=True)
class Person:
    id: str
    email: str | None  # as Personio has it (case kept); None when the credential may not read it
    first_name: str
    last_name: str
    active: bool  # employed: ACTIVE, ONBOARDING, LEAVE or an unknown status (personio/client.py, PERSON_STATUSES)

    @property
    def name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()


@dataclass(frozen=True, slots=True)
class PersonioEmployment:
    """One employment of a Personio person (`GET /v2/persons/{id}/employments`, read in personio/employments.py):
    when it starts, its termination date (`end`, the last day employed; None while none is set), the weekly hours
    and the department's org unit id, each None when the credential may not read it or it is not set. `fields`
    names the attributes that came (as read: start_date, termination_date, weekly_working_hours, department), so
    that a sparse answer can be told from an empty one."""

    id: str
    person_id: str
    start: date | None
    end: date | None
    weekly_hours: float | None
    department_id: str | None
    fields: frozenset[str]


@dataclass(frozen=True, slots=True)
class AbsenceType:
    id: str
    name: str
    hourly: bool = False  # measured in hours: MOCO's whole and half days cannot hold it


@dataclass(frozen=True)
class AbsencePeriod:
    """A Personio absence period, read into days (see personio.read_absence_period).

    `first_day_pm_only`: the first day is afternoon only. `last_day_am_only`: the last day is
    morning only. `last_day` None: open-ended (runs to the end of the sync window).
    """

    id: str
    person_id: str
    type_id: str
    first_day: date
    last_day: date | None
    first_day_pm_only: bool
    last_day_am_only: bool
    status: str  # APPROVED | PENDING | REJECTED | ...
    updated_at: str = ""

    def covers(self, day: date) -> bool:
        return self.first_day <= day and (self.last_day is None or day <= self.last_day)

    def overlaps(self, start: date, end: date) -> bool:
        """Whether any day from `start` to `end` (inclusive) is in the period."""
        return self.first_day <= end and (self.last_day is None or self.last_day >= start)


@dataclass(frozen=True, slots=True)
class AttendancePeriod:
    """A Personio attendance period: local wall-clock date-times, no zone.

    A duration-only period (Personio tracks some companies' hours as a length a day, without times) has
    `duration` set, `end` None and `start` at midnight of its day (Personio's `attribution_date`), so that
    `start.date()` is its day wherever periods are sorted by day. It is never an open period (a timed one
    whose `end` is not known yet): ask `duration_only` before reading `end` None as still running."""

    id: str
    person_id: str
    kind: str  # WORK | BREAK
    start: datetime
    end: datetime | None
    comment: str
    status: str  # CONFIRMED | PENDING | REJECTED
    duration: timedelta | None = None  # the length of a duration-only period; None for a period with times

    @property
    def duration_only(self) -> bool:
        return self.duration is not None

    @property
    def day(self) -> date:
        """The day it counts for: its start's date (a duration-only period's `attribution_date`)."""
        return self.start.date()


@dataclass(frozen=True, slots=True)
class Holiday:
    """One holiday of one person on one day, from the holiday calendars of their office or company (Personio
    `GET /v2/holidays`, read in personio/holidays.py)."""

    id: str
    person_id: str
    day: date
    name: str
    half_day: bool  # covers half the day, not the whole
    kind: str  # public | company: a public holiday, or one the company defined


def builder(cls: type[R]) -> Callable[..., R]:
    """A constructor for the frozen slotted dataclass `cls` taking every field by position, in the order
    declared, that skips the generated `__init__` (which sets each field through `object.__setattr__`,
    a frozen dataclass's way round its own `__setattr__`): it makes the same record, about 2.5 times
    faster, for the fast readers that make hundreds of thousands of them. `cls` has no __post_init__."""
    if hasattr(cls, "__post_init__") or not hasattr(cls, "__slots__"):
        raise TypeError(f"{cls.__name__} cannot be built without its __init__")
    names = [f.name for f in fields(cls)]
    setters = ", ".join(f"_{i}=cls.{name}.__set__" for i, name in enumerate(names))
    body = "; ".join(f"_{i}(o, a{i})" for i in range(len(names)))
    args = ", ".join(f"a{i}" for i in range(len(names)))
    namespace: dict[str, Any] = {}
    exec(f"def make(cls, new):\n    def build({args}, *, cls=cls, new=new, {setters}):\n"  # noqa: S102
         f"        o = new(cls); {body}; return o\n    return build", namespace)
    return cast(Callable[..., R], namespace["make"](cls, object.__new__))
