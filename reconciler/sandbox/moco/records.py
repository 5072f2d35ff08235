"""The MOCO stand-in's stored records, its live state, and how a user renders in the API.

Records are mutable (the stand-in changes them as MOCO would). Shapes follow ../shared/api/moco.md;
schedules, presences and employments are rendered by their handlers, which need the knobs.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from reconciler.sandbox.common import utc_now

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


# The teams every MOCO state has (no random draw: the seeded records stay as they were). Every user shows
# "Team 1" unless put in another; its id is the one the sandbox's users always showed.
TEAM_1 = 909_181_617
SEEDED_UNITS = ((TEAM_1, "Team 1"), (909_181_618, "Development"), (909_181_619, "Sales"))
UNITS_ENTERED = "2018-10-17T09:33:46Z"  # as the docs' example (units.md): fixed, so seeded worlds compare equal


@dataclass
class MocoUnit:
    """A team (everii-Group/mocoapp-api-docs `sections/units.md`: id, name, users, created_at, updated_at)."""

    id: int
    name: str
    created_at: str = UNITS_ENTERED
    updated_at: str = UNITS_ENTERED


def seeded_units() -> dict[int, MocoUnit]:
    return {ident: MocoUnit(ident, name) for ident, name in SEEDED_UNITS}


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
    tags: list[str] = field(default_factory=list)
    unit_id: int = TEAM_1
    # What `POST /users` was sent as `welcome_email` (None: not created through the API). MOCO shows it
    # nowhere; the stand-in keeps it so that tests can see whether a welcome email was asked for.
    welcome_email: bool | None = None

    def ref(self) -> dict[str, Any]:
        return {"id": self.id, "firstname": self.firstname, "lastname": self.lastname}

    def to_api(self, units: dict[int, MocoUnit]) -> dict[str, Any]:
        """The user as `GET /users` shows it, its team named from `units` (the state's)."""
        unit = units.get(self.unit_id)
        unit_name = unit.name if unit else ""
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
            "tags": list(self.tags),
            "custom_properties": {},
            "unit": {"id": self.unit_id, "name": unit_name},
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
class MocoWebHook:
    """A web hook (everii-Group/mocoapp-api-docs `sections/web_hooks.md`: id, target, event, hook, disabled,
    disabled_at, created_at, updated_at). `secret` signs its deliveries; MOCO shows it in the web hook
    overview of its UI, not in the API (UNVERIFIED; doctor: moco-webhooks), so the stand-in shows it through
    the side door only."""

    id: int
    target: str  # Presence | Schedule | User (and MOCO's other targets, which the stand-in never sends)
    event: str  # create | update | delete
    hook: str  # the URL deliveries are POSTed to
    secret: str  # 32 hex characters
    disabled: bool = False
    disabled_at: str | None = None
    created_at: str = field(default_factory=utc_now)
    updated_at: str = field(default_factory=utc_now)

    def to_api(self) -> dict[str, Any]:
        return {"id": self.id, "target": self.target, "event": self.event, "hook": self.hook,
                "disabled": self.disabled, "disabled_at": self.disabled_at, "created_at": self.created_at,
                "updated_at": self.updated_at}


@dataclass
class MocoKey:
    """An API key. Account keys with full access act as staff; plain user keys do not."""

    owner_user_id: int | None
    staff: bool


@dataclass
class MocoState:
    users: dict[int, MocoUser] = field(default_factory=dict)
    employments: dict[int, MocoEmployment] = field(default_factory=dict)
    schedules: dict[int, MocoSchedule] = field(default_factory=dict)
    presences: dict[int, MocoPresence] = field(default_factory=dict)
    keys: dict[str, MocoKey] = field(default_factory=dict)
    web_hooks: dict[int, MocoWebHook] = field(default_factory=dict)  # none until a test or a person adds one
    units: dict[int, MocoUnit] = field(default_factory=seeded_units)  # the teams (SEEDED_UNITS)
    next_id: int = 800_000_000

    def new_id(self) -> int:
        self.next_id += 1
        return self.next_id
