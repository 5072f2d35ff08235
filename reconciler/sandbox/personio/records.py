"""The Personio stand-in's stored records, its live state, and how each renders in the API.

Records are mutable (the stand-in changes them as Personio would); `to_api()` gives the JSON object
the real API returns. Shapes follow ../shared/api/personio.md; where a shape is unverified, the
comment at the field says so.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any

from reconciler.sandbox.common import utc_now
from reconciler.sandbox.personio.calendars import BERLIN, MUNICH
from reconciler.systems.personio import durations


def _days_ago(days: int) -> str:
    return (datetime.now(timezone.utc) - timedelta(days=days)).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass
class PersonioPerson:
    id: str  # digit strings, as in the documented examples
    email: str | None  # as entered in Personio, case and all
    first_name: str
    last_name: str
    status: str = "ACTIVE"  # ACTIVE | ONBOARDING | LEAVE | INACTIVE | UNSPECIFIED, or any value the side door sets
    employment_id: str = ""
    created_at: str = field(default_factory=utc_now)
    updated_at: str = field(default_factory=utc_now)
    # The office their employment is at: its holiday calendar gives their public holidays (GET /v2/holidays).
    # Personio keeps it on the employment; the stand-in, which serves no employments, keeps it here and shows
    # it in no API answer. A name no calendar has gives the person the company's holidays alone.
    office: str = BERLIN
    # Their employment (GET /v2/persons/{id}/employments, employments.py; its id is `employment_id`): first day,
    # termination date (the last day), weekly hours and department (an org unit id of `PersonioState.org_units`).
    # "YYYY-MM-DD" or None; None renders as null. Changed through the side door, they raise `employment.updated`.
    hire_date: str | None = None
    termination_date: str | None = None
    weekly_hours: float | None = None
    department_id: str | None = None


EMPLOYMENT_FIELDS = ("hire_date", "termination_date", "weekly_hours", "department_id")


@dataclass
class PersonioOrgUnit:
    """An org unit (`GET /v2/org-units`): the stand-in keeps departments only."""

    id: str
    name: str
    type: str = "DEPARTMENT"

    def to_api(self) -> dict[str, Any]:
        return {"id": self.id, "name": self.name, "type": self.type.lower()}


# The seeded company's departments, with fixed ids (no random draw, so that no seed changes).
ENGINEERING, SALES = "1001", "1002"


def company_departments() -> dict[str, PersonioOrgUnit]:
    return {ENGINEERING: PersonioOrgUnit(ENGINEERING, "Engineering"), SALES: PersonioOrgUnit(SALES, "Sales")}


@dataclass
class PersonioAbsenceType:
    # UNVERIFIED shape (doctor: absence-types): no official /v2/absence-types example could be retrieved. We assume
    # {id, name, category, unit} like v1's time-off types, with a UUID id.
    id: str
    name: str
    category: str
    unit: str = "DAY"

    def to_api(self) -> dict[str, Any]:
        return {"id": self.id, "name": self.name, "category": self.category, "unit": self.unit}


@dataclass
class PersonioAbsencePeriod:
    id: str
    person_id: str
    absence_type_id: str
    starts_from: str  # local date-time without offset, "YYYY-MM-DDTHH:MM:SS"
    starts_type: str  # FIRST_HALF (whole first day) | SECOND_HALF (afternoon only)
    ends_at: str | None  # None: open-ended; a later day's 00:00 is exclusive
    ends_type: str | None  # SECOND_HALF (whole last day) | FIRST_HALF (morning only)
    status: str = "APPROVED"  # APPROVED | PENDING | REJECTED | CANCELLED
    comment: str = ""
    timezone_id: str = "Europe/Berlin"
    created_at: str = field(default_factory=utc_now)
    updated_at: str = field(default_factory=utc_now)

    def to_api(self, *, approval: bool = True) -> dict[str, Any]:
        """The period as the API lists it; without `approval` (the knob `absence_approval`), no `approval` object."""
        shown = {
            "id": self.id,
            "person": {"id": self.person_id},
            "absence_type": {"id": self.absence_type_id},
            "starts_from": {"date_time": self.starts_from, "type": self.starts_type},
            "ends_at": None if self.ends_at is None else {"date_time": self.ends_at, "type": self.ends_type},
            "timezone_id": self.timezone_id,
            "comment": self.comment,
            "approval": {"status": self.status},
            "created_at": self.created_at,
            "updated_at": self.updated_at,
        }
        if not approval:
            del shown["approval"]
        return shown


@dataclass
class PersonioAttendancePeriod:
    """A period with times (`start`, and `end` unless still open), or a duration-only one (personio.md §13.1):
    `start` and `end` None, its length in `duration`, its day in `attribution_date`."""

    id: str
    person_id: str
    type: str  # WORK | BREAK
    start: str | None  # local date-time without offset; None: a duration-only period
    end: str | None
    comment: str = ""
    status: str = "CONFIRMED"  # CONFIRMED | PENDING | REJECTED
    project_id: str | None = None
    locked: bool = False  # sandbox-only: a period Personio refuses to change (e.g. payroll closed)
    created_at: str = field(default_factory=utc_now)
    updated_at: str = field(default_factory=utc_now)
    # A duration-only period's length, as the stand-in assumes Personio writes it: ISO 8601 ("PT7H30M"), the
    # form of reconciler/systems/personio/durations.py (UNVERIFIED there; doctor: attendance-periods); None for a
    # period with times.
    duration: str | None = None
    attribution_date: str | None = None  # "YYYY-MM-DD"; None for a period with times: its start's date

    @property
    def duration_only(self) -> bool:
        return self.start is None

    @property
    def day(self) -> str:
        """The day it counts for (`attribution_date`): a duration-only period's own, else its start's date."""
        return self.attribution_date or (self.start or "")[:10]

    def to_api(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "type": self.type,
            "person": {"id": self.person_id},
            "project": None if self.project_id is None else {"id": self.project_id},
            "attribution_date": self.day,
            "start": None if self.start is None else {"date_time": self.start},
            "end": None if self.end is None else {"date_time": self.end},
            "duration": self.duration if self.start is None else _timed_length(self.start, self.end),
            "comment": self.comment,
            "approval": {"status": self.status},
            "is_auto_generated": False,
            "created_at": self.created_at,
            "updated_at": self.updated_at,
        }


def _timed_length(start: str, end: str | None) -> str | None:
    """The `duration` of a period with times: its length once it has ended. UNVERIFIED (doctor: attendance-periods)
    that Personio gives one beside times at all; the stand-in does, so that reconcile is seen to read a timed
    period by its times."""
    if end is None:
        return None
    try:
        return durations.write(datetime.fromisoformat(end) - datetime.fromisoformat(start))
    except ValueError:  # a malformed time stored through the side door: no length to give
        return None


# The events the stand-in's one webhook config is enabled for: every event of absence and attendance
# periods Personio documents (developer.personio.de/docs/attendance-and-absence-events, and the
# "Absence Webhooks - Status Updated" changelog).
PERIOD_EVENTS = ("absence-period.created", "absence-period.updated.status", "absence-period.updated.timerange",
                 "absence-period.deleted", "attendance-period.created", "attendance-period.updated",
                 "attendance-period.deleted")
# The config the sandbox starts with records deletions only, as the README advises for a job that pulls
# them (one events read a run); a test or a later receiver may enable every period event.
DELETION_EVENTS = ("absence-period.deleted", "attendance-period.deleted")
# Every event an incremental run reads instead of polling (reconciler/read/personio.py): the period events and
# those of persons.
PERSON_EVENTS = ("person.created", "person.updated", "person.deleted")
CHANGE_EVENTS = (*PERIOD_EVENTS, *PERSON_EVENTS)
# A person's employment changed through the side door (EMPLOYMENT_FIELDS) raises `employment.updated` where a
# config enables it; no config does unless a test or receiver says so (kept out of CHANGE_EVENTS for that).
EMPLOYMENT_EVENTS = ("employment.created", "employment.updated", "employment.deleted")
WEBHOOK_ID = "533e7206-f4a3-11ed-9c8b-436fad0b82d1"  # the id in Personio's own example, fixed: seeds stay alike


@dataclass
class PersonioWebhook:
    """A webhook config. UNVERIFIED (doctor: personio-webhooks) shape beyond `id`, `enabled_events` and
    `status` (the list's filters): `url`, `description` and `created_at` as third-party clients send and read
    them."""

    id: str = WEBHOOK_ID
    url: str = "https://hooks.example.com/personio"
    description: str = "reconcile sandbox"
    # None (set through the side door): the config lists no `enabled_events`, as a changed API might send it
    enabled_events: list[str] | None = field(default_factory=lambda: list(DELETION_EVENTS))
    status: str = "ENABLED"  # ENABLED | DISABLED (UNVERIFIED, doctor: personio-webhooks); DISABLED records none
    created_at: str = field(default_factory=lambda: _days_ago(90))  # set up long before the runs read it
    # sandbox-only: whether its events' payload names the person (see webhooks.py, EVENT_PAYLOAD)
    names_person: bool = True
    # sandbox-only: when set, each event is also POSTed to `url` with this exact value in `Authorization`
    # (auth_type TOKEN; reconciler/serve/signatures.py PERSONIO_AUTH); None: events are only recorded.
    token: str | None = None

    def to_api(self) -> dict[str, Any]:
        return {"id": self.id, "url": self.url, "description": self.description,
                **({} if self.enabled_events is None else {"enabled_events": list(self.enabled_events)}),
                "status": self.status, "created_at": self.created_at}


@dataclass
class PersonioWebhookEvent:
    """One event of one webhook config, as `GET /v2/webhooks/{id}/events` lists it."""

    id: str
    webhook_id: str
    event_name: str
    occurred_at: str  # RFC 3339 UTC with milliseconds, as in Personio's examples: 2023-01-01T12:00:00.000Z
    payload: dict[str, Any]
    company_id: str = "1"

    def to_api(self) -> dict[str, Any]:
        return {"id": self.id, "company_id": self.company_id, "event_name": self.event_name,
                "occurred_at": self.occurred_at, "payload": dict(self.payload), "meta": {}}


@dataclass
class PersonioHolidayCalendar:
    """A holiday calendar, sandbox-only in shape (Personio's API has none; `GET /v2/holidays` gives its days per
    person). Its days come from a rule set of calendars.py for any year, less the days in `removed`."""

    id: str
    name: str
    rules: str  # "berlin" | "bavaria" | "company": the rule set of calendars.holidays_in
    office: str | None  # the office whose people it applies to; None: the whole company's
    removed: list[str] = field(default_factory=list)  # "YYYY-MM-DD" days taken out of it (through the side door)


def company_calendars() -> dict[str, PersonioHolidayCalendar]:
    """The seeded company's calendars: one per office, and the company's own for everyone. Fixed ids and no random
    draws, so that no seed changes."""
    calendars = (PersonioHolidayCalendar("berlin", "Feiertage Berlin", "berlin", BERLIN),
                 PersonioHolidayCalendar("bavaria", "Feiertage Bayern", "bavaria", MUNICH),
                 PersonioHolidayCalendar("company", "Firmenfeiertage", "company", None))
    return {c.id: c for c in calendars}


@dataclass
class PersonioState:
    persons: dict[str, PersonioPerson] = field(default_factory=dict)
    absence_types: dict[str, PersonioAbsenceType] = field(default_factory=dict)
    absence_periods: dict[str, PersonioAbsencePeriod] = field(default_factory=dict)
    attendance_periods: dict[str, PersonioAttendancePeriod] = field(default_factory=dict)
    clients: dict[str, str] = field(default_factory=dict)  # client_id -> client_secret
    tokens: dict[str, tuple[str, float]] = field(default_factory=dict)  # token -> (client_id, expires at)
    # One webhook config, created with the world and enabled for every period event; its events as they occur.
    webhooks: dict[str, PersonioWebhook] = field(default_factory=lambda: {WEBHOOK_ID: PersonioWebhook()})
    webhook_events: list[PersonioWebhookEvent] = field(default_factory=list)
    holiday_calendars: dict[str, PersonioHolidayCalendar] = field(default_factory=company_calendars)
    org_units: dict[str, PersonioOrgUnit] = field(default_factory=company_departments)
    withheld_scopes: set[str] = field(default_factory=set)  # sandbox-only: scopes its credential lacks (403)
    # sandbox-only: where a recorded event goes to be delivered (the sandbox's outbox); None: nowhere
    deliver: Callable[[PersonioWebhook, PersonioWebhookEvent], None] | None = field(
        default=None, repr=False, compare=False)
