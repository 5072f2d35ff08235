"""The Personio stand-in's stored records, its live state, and how each renders in the API.

Records are mutable (the stand-in changes them as Personio would); `to_api()` gives the JSON object
the real API returns. Shapes follow ../shared/api/personio.md; where a shape is unverified, the
comment at the field says so.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from reconciler.sandbox.common import utc_now


@dataclass
class PersonioPerson:
    id: str  # digit strings, as in the documented examples
    email: str | None  # as entered in Personio, case and all
    first_name: str
    last_name: str
    status: str = "ACTIVE"  # ACTIVE (active, leave, onboarding) | INACTIVE
    employment_id: str = ""
    created_at: str = field(default_factory=utc_now)
    updated_at: str = field(default_factory=utc_now)


@dataclass
class PersonioAbsenceType:
    # UNVERIFIED shape: no official /v2/absence-types example could be retrieved. We assume
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

    def to_api(self) -> dict[str, Any]:
        return {
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


@dataclass
class PersonioAttendancePeriod:
    id: str
    person_id: str
    type: str  # WORK | BREAK
    start: str  # local date-time without offset
    end: str | None
    comment: str = ""
    status: str = "CONFIRMED"  # CONFIRMED | PENDING | REJECTED
    project_id: str | None = None
    locked: bool = False  # sandbox-only: a period Personio refuses to change (e.g. payroll closed)
    created_at: str = field(default_factory=utc_now)
    updated_at: str = field(default_factory=utc_now)

    def to_api(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "type": self.type,
            "person": {"id": self.person_id},
            "project": None if self.project_id is None else {"id": self.project_id},
            "attribution_date": self.start[:10],
            "start": {"date_time": self.start},
            "end": None if self.end is None else {"date_time": self.end},
            "comment": self.comment,
            "approval": {"status": self.status},
            "is_auto_generated": False,
            "created_at": self.created_at,
            "updated_at": self.updated_at,
        }


@dataclass
class PersonioState:
    persons: dict[str, PersonioPerson] = field(default_factory=dict)
    absence_types: dict[str, PersonioAbsenceType] = field(default_factory=dict)
    absence_periods: dict[str, PersonioAbsencePeriod] = field(default_factory=dict)
    attendance_periods: dict[str, PersonioAttendancePeriod] = field(default_factory=dict)
    clients: dict[str, str] = field(default_factory=dict)  # client_id -> client_secret
    tokens: dict[str, tuple[str, float]] = field(default_factory=dict)  # token -> (client_id, expires at)
