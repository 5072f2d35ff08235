"""The spec as the rest of reconcile sees it: frozen, typed, every setting filled in.

The dataclasses carry no defaults of their own: a `Spec` is built only from data that
`spec.defaults.with_defaults` completed from the JSON Schema, the one place defaults are written.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Literal
from zoneinfo import ZoneInfo

from reconciler.records import AbsenceKind, AttendanceDirection


@dataclass(frozen=True)
class RateLimit:
    requests: int
    per_seconds: float

    def __str__(self) -> str:
        return f"{self.requests} requests / {self.per_seconds:g} s"


@dataclass(frozen=True)
class MocoSettings:
    api_root: str  # e.g. https://acme.mocoapp.com/api/v1, never a trailing slash
    api_key_env: str
    webhook_secret_env: str  # names the variable with the MOCO webhook secret (reconcile serve); never the value
    rate_limit: RateLimit


@dataclass(frozen=True)
class PersonioSettings:
    base_url: str  # never a trailing slash; /v2/... is appended
    client_id_env: str
    client_secret_env: str
    webhook_secret_env: str  # names the variable with the Personio webhook token (reconcile serve); never the value
    rate_limit: RateLimit


@dataclass(frozen=True)
class UserOverride:
    personio: str  # normalised email (see normalise_email)
    moco: str  # normalised email


@dataclass(frozen=True)
class UserSettings:
    overrides: tuple[UserOverride, ...]
    exclude: frozenset[str]  # normalised emails


@dataclass(frozen=True)
class AbsenceSettings:
    enabled: bool
    until_days: int
    # Personio absence type (name or id, as written) → MOCO kind, in file order; empty when disabled.
    types: tuple[tuple[str, AbsenceKind], ...]
    unmapped: Literal["skip", "error"]


@dataclass(frozen=True)
class HolidaySettings:
    """Holidays Personio → MOCO: the holidays of each person's Personio holiday calendars (`GET /v2/holidays`)
    become MOCO absences of kind public_holiday, over the absences' window; hand-made ones are never touched."""

    sync: bool
    kinds: frozenset[str]  # which Personio holidays: public (public holidays), company (the company's own)


@dataclass(frozen=True)
class PeopleSettings:
    """The employee lifecycle Personio → MOCO (the direction people_to_moco): a hire becomes a MOCO user with an
    employment, a leaver's MOCO user is archived after their last day. Team names are MOCO's (`GET /units`), as
    written, surrounding spaces taken off; whether a team exists is checked at plan time, not here."""

    create_in_moco: bool
    archive_in_moco: bool
    welcome_email: bool  # sent as MOCO's welcome_email when a user is created
    default_team: str | None  # the team of a hire whose department maps to none; set whenever create_in_moco is
    # Personio department name → MOCO team name, in file order; departments compare by normalise_department_name.
    teams_by_department: tuple[tuple[str, str], ...]

    @property
    def synced(self) -> bool:
        """Whether the direction runs at all: either switch on (else nothing is read for it or written)."""
        return self.create_in_moco or self.archive_in_moco


PEOPLE_OFF = "people.create_in_moco and people.archive_in_moco: false"  # why people are not synced, as said


# The employee lifecycle's floor in the mass-change guard: this many archivals in one run are let through whatever
# their share of the people matched (one or two leavers in a small company are routine; four of six at once are
# not). Used by the direction (sync/people_to_moco) and said by `validate`.
MIN_ARCHIVALS = 3


@dataclass(frozen=True)
class SafetySettings:
    max_change_percent: float  # of the records reconcile owns in one system
    min_owned: int  # the guard applies from this many owned records on
    min_changes: int  # and to runs that delete or update at least this many


@dataclass(frozen=True)
class PrivacySettings:
    """Health data stays in the two systems: shared outputs never pair a person with these kinds."""

    sensitive_kinds: frozenset[AbsenceKind]


@dataclass(frozen=True)
class AttendanceSettings:
    direction: AttendanceDirection
    # How a presence is written to Personio: a period with its times, or a duration-only period (its length on
    # its day), for companies that track attendance as durations in Personio.
    record_as: Literal["times", "duration"]


@dataclass(frozen=True)
class Spec:
    source: str  # the file it came from, for messages
    start_date: date
    timezone: str
    moco: MocoSettings
    personio: PersonioSettings
    users: UserSettings
    absences: AbsenceSettings
    holidays: HolidaySettings
    people: PeopleSettings
    safety: SafetySettings
    attendances: AttendanceSettings
    version: int
    privacy: PrivacySettings
    zone: ZoneInfo = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "zone", ZoneInfo(self.timezone))

    def today(self, now: datetime | None = None) -> date:
        """Today's date in the spec's timezone."""
        return (now.astimezone(self.zone) if now else datetime.now(self.zone)).date()


def normalise_type_name(name: str) -> str:
    """How absence type names compare: case and surrounding/inner runs of spaces do not matter."""
    return " ".join(name.split()).casefold()


def normalise_department_name(name: str) -> str:
    """How Personio department names compare (`people.unit.by_department`): case and surrounding spaces do not
    matter."""
    return name.strip().casefold()


def normalise_email(email: str) -> str:
    """How emails compare: case and surrounding spaces do not matter."""
    return email.strip().lower()
