"""Checked spec data → the frozen `Spec`.

`build_spec` runs only on data that passed the schema and the semantic checks and that
`spec.defaults.with_defaults` completed, so it reads every setting directly and decides no default.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from reconciler.records import AbsenceKind, AttendanceDirection
from reconciler.spec.model import (
    AbsenceSettings,
    AttendanceSettings,
    HolidaySettings,
    MocoSettings,
    PeopleSettings,
    PersonioSettings,
    PrivacySettings,
    RateLimit,
    SafetySettings,
    Spec,
    UserOverride,
    UserSettings,
    normalise_email,
)


def build_spec(data: dict[str, Any], source: str) -> Spec:
    moco, personio, users, absences = data["moco"], data["personio"], data["users"], data["absences"]
    return Spec(
        source=source,
        version=data["version"],
        start_date=date.fromisoformat(data["start_date"]),
        timezone=data["timezone"],
        moco=MocoSettings(
            api_root=_moco_api_root(moco),
            api_key_env=moco["api_key_env"],
            webhook_secret_env=moco["webhook_secret_env"],
            rate_limit=_rate_limit(moco["rate_limit"]),
        ),
        personio=PersonioSettings(
            base_url=personio["base_url"].rstrip("/"),
            client_id_env=personio["client_id_env"],
            client_secret_env=personio["client_secret_env"],
            webhook_secret_env=personio["webhook_secret_env"],
            rate_limit=_rate_limit(personio["rate_limit"]),
        ),
        users=UserSettings(
            overrides=tuple(
                UserOverride(personio=normalise_email(entry["personio"]), moco=normalise_email(entry["moco"]))
                for entry in users["overrides"]
            ),
            exclude=frozenset(normalise_email(email) for email in users["exclude"]),
        ),
        absences=AbsenceSettings(
            enabled=absences["enabled"],
            until_days=absences["until_days"],
            # types has no default: it is required while absences are enabled, and may be left out otherwise.
            types=tuple((name, AbsenceKind(kind)) for name, kind in absences["types"].items())
            if "types" in absences
            else (),
            unmapped=absences["unmapped"],
        ),
        holidays=HolidaySettings(sync=data["holidays"]["sync"], kinds=frozenset(data["holidays"]["kinds"])),
        people=_people(data["people"]),
        attendances=AttendanceSettings(direction=AttendanceDirection(data["attendances"]["direction"]),
                                       record_as=data["attendances"]["record_as"]),
        safety=SafetySettings(max_change_percent=data["safety"]["max_change_percent"],
                              min_owned=data["safety"]["min_owned"], min_changes=data["safety"]["min_changes"]),
        privacy=PrivacySettings(frozenset(AbsenceKind(kind) for kind in data["privacy"]["sensitive_kinds"])),
    )


def _people(people: dict[str, Any]) -> PeopleSettings:
    """The people settings; team and department names lose their surrounding spaces."""
    unit = people["unit"]
    default_team: str | None = unit["default"]
    return PeopleSettings(
        create_in_moco=people["create_in_moco"],
        archive_in_moco=people["archive_in_moco"],
        welcome_email=people["welcome_email"],
        default_team=default_team.strip() if default_team is not None else None,
        teams_by_department=tuple((name.strip(), team.strip()) for name, team in unit["by_department"].items()),
    )


def _moco_api_root(moco: dict[str, Any]) -> str:
    """`base_url` without its trailing slash, else the API root of the MOCO subdomain."""
    base_url: str | None = moco["base_url"]
    if base_url:
        return base_url.rstrip("/")
    return f"https://{moco['subdomain']}.mocoapp.com/api/v1"


def _rate_limit(budget: dict[str, Any]) -> RateLimit:
    return RateLimit(int(budget["requests"]), float(budget["per_seconds"]))
