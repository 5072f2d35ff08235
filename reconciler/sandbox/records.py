"""The stand-ins' stored records and how each renders in its API's documented shape.

Records are mutable (the stand-ins change them as the real services would); `to_api()` gives the
JSON object the real API returns. Shapes follow ../shared/api/moco.md and personio.md; where a
shape is unverified, the comment at the field says so.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from typing import Any


def utc_now() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


# --------------------------------------------------------------------------- MOCO

# assignment.name is localised per account; the sandbox account speaks German, like the
# recorded traffic ("Urlaub", "Krankheit", "Abwesenheit"). Never map by these names.
MOCO_ASSIGNMENT_NAMES = {
    1: "Nicht planbar",
    2: "Feiertag",
    3: "Krankheit",
    4: "Urlaub",
    5: "Abwesenheit",
}
MOCO_ASSIGNMENT_COLORS = {1: "#DDD", 2: "#BBB", 3: "#CCC", 4: "#BBB", 5: "#CCC"}
MOCO_COMPANY = "acme"


@dataclass
class MocoUser:
    id: int
    firstname: str
    lastname: str
    email: str  # MOCO stores emails lower-cased
    active: bool = True
    extern: bool = False
    created_at: str = field(default_factory=utc_now)
    updated_at: str = field(default_factory=utc_now)

    def ref(self) -> dict[str, Any]:
        return {"id": self.id, "firstname": self.firstname, "lastname": self.lastname}

    def to_api(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "firstname": self.firstname,
            "lastname": self.lastname,
            "active": self.active,
            "extern": self.extern,
            "email": self.email,
            "mobile_phone": "",
            "work_phone": "",
            "home_address": "",
            "info": "",
            "birthday": None,
            "iban": None,
            "avatar_url": None,
            "tags": [],
            "custom_properties": {},
            "unit": {"id": 909181617, "name": "Team 1"},
            "created_at": self.created_at,
            "updated_at": self.updated_at,
        }


@dataclass
class MocoEmployment:
    id: int
    user_id: int
    am: list[float]  # hours per morning, Monday..Friday
    pm: list[float]  # hours per afternoon, Monday..Friday
    from_date: str | None
    to_date: str | None = None
    created_at: str = field(default_factory=utc_now)
    updated_at: str = field(default_factory=utc_now)


@dataclass
class MocoSchedule:
    id: int
    user_id: int
    date: str
    absence_code: int
    am: bool = True
    pm: bool = True
    comment: str = ""
    symbol: int | None = None
    created_at: str = field(default_factory=utc_now)
    updated_at: str = field(default_factory=utc_now)


@dataclass
class MocoPresence:
    id: int
    user_id: int
    date: str
    from_time: str  # "HH:MM", local wall-clock
    to_time: str | None  # None while the presence is running
    is_home_office: bool = False
    created_at: str = field(default_factory=utc_now)
    updated_at: str = field(default_factory=utc_now)


@dataclass
class MocoKey:
    """An API key. Account keys with full access act as staff; plain user keys do not."""

    owner_user_id: int | None
    staff: bool


# --------------------------------------------------------------------------- Personio


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


# --------------------------------------------------------------------------- the world


@dataclass
class MocoState:
    users: dict[int, MocoUser] = field(default_factory=dict)
    employments: dict[int, MocoEmployment] = field(default_factory=dict)
    schedules: dict[int, MocoSchedule] = field(default_factory=dict)
    presences: dict[int, MocoPresence] = field(default_factory=dict)
    keys: dict[str, MocoKey] = field(default_factory=dict)
    next_id: int = 800_000_000

    def new_id(self) -> int:
        self.next_id += 1
        return self.next_id


@dataclass
class PersonioState:
    persons: dict[str, PersonioPerson] = field(default_factory=dict)
    absence_types: dict[str, PersonioAbsenceType] = field(default_factory=dict)
    absence_periods: dict[str, PersonioAbsencePeriod] = field(default_factory=dict)
    attendance_periods: dict[str, PersonioAttendancePeriod] = field(default_factory=dict)
    clients: dict[str, str] = field(default_factory=dict)  # client_id -> client_secret
    tokens: dict[str, tuple[str, float]] = field(default_factory=dict)  # token -> (client_id, expires at)


@dataclass
class World:
    """Both systems' data, as one seeded company has it."""

    moco: MocoState
    personio: PersonioState

    def dump(self) -> dict[str, Any]:
        """Everything, for the side door's state dump (records as stored, not API-shaped)."""
        return {
            "moco": {
                "users": [asdict(u) for u in self.moco.users.values()],
                "employments": [asdict(e) for e in self.moco.employments.values()],
                "schedules": [asdict(s) for s in self.moco.schedules.values()],
                "presences": [asdict(p) for p in self.moco.presences.values()],
            },
            "personio": {
                "persons": [asdict(p) for p in self.personio.persons.values()],
                "absence_types": [asdict(t) for t in self.personio.absence_types.values()],
                "absence_periods": [asdict(p) for p in self.personio.absence_periods.values()],
                "attendance_periods": [asdict(p) for p in self.personio.attendance_periods.values()],
            },
        }
