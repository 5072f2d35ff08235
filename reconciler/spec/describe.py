"""The spec in a few plain lines, for people reading `reconcile validate`."""

from __future__ import annotations

from datetime import date, timedelta

from reconciler.records import AttendanceDirection
from reconciler.spec.limits import cut
from reconciler.spec.model import MIN_ARCHIVALS, PEOPLE_OFF, Spec

# Personio serves holidays from at most 10 years before today to at most 3 years after it (personio.md §13.2);
# systems/personio/holidays.py bounds its reads by the same years (YEARS_AHEAD), a layer above the spec's.
HOLIDAY_YEARS_AHEAD = 3
_HOLIDAY_KINDS = ("public", "company")  # in the schema's order


def describe_spec(spec: Spec, today: date | None = None) -> list[str]:
    """A few lines telling what the spec will do, for people reading `validate` output; `today` defaults to
    today in the spec's timezone."""
    lines = [
        f"sync from {spec.start_date} (timezone {spec.timezone})",
        f"MOCO: {spec.moco.api_root} (key in ${spec.moco.api_key_env}; at most {spec.moco.rate_limit})",
        f"Personio: {spec.personio.base_url} (credentials in ${spec.personio.client_id_env} "
        f"and ${spec.personio.client_secret_env})",
        f"secrets: each variable above, or a file its _FILE form names (${spec.moco.api_key_env}_FILE, …)",
    ]
    if spec.absences.enabled:
        mapped = ", ".join(f"{name} → {kind}" for name, kind in spec.absences.types)
        lines.append(
            f"absences Personio → MOCO up to today + {spec.absences.until_days} days; "
            f"unmapped types: {spec.absences.unmapped}; {mapped}"
        )
    else:
        lines.append("absences: not synced (absences.enabled: false)")
    lines.append(_holidays(spec, today or spec.today()))
    lines.append(_people(spec))
    if spec.attendances.direction is AttendanceDirection.MOCO_TO_PERSONIO:
        written = "duration-only periods (a length a day, no times)" if spec.attendances.record_as == "duration" \
            else "periods with times"
        lines.append(f"working hours MOCO → Personio as approved attendances: {written} "
                     f"(attendances.record_as: {spec.attendances.record_as})")
    else:
        lines.append("working hours: managed in Personio; nothing is written there")
    overrides, excluded = len(spec.users.overrides), len(spec.users.exclude)
    lines.append(
        f"users matched by email: {overrides} override{'s' if overrides != 1 else ''}, {excluded} excluded"
    )
    archivals = f"; and leavers' archivals above that share of the people matched, from {MIN_ARCHIVALS} on" \
        if spec.people.archive_in_moco else ""
    lines.append(f"mass-change guard: apply holds the changes of a system where a run deletes or updates more than "
                 f"{spec.safety.max_change_percent:g} % of the records reconcile owns there (from "
                 f"{spec.safety.min_owned} owned and {spec.safety.min_changes} changed records on){archivals}, "
                 "unless --force")
    kinds = ", ".join(sorted(kind.value for kind in spec.privacy.sensitive_kinds)) or "none"
    lines.append(f"sensitive absence kinds, never paired with a person in Markdown plans, logs, plan files and "
                 f"reports: {kinds}")
    return lines


def _holidays(spec: Spec, today: date) -> str:
    """The holidays line: what is synced, over which days, and whether Personio serves all of them."""
    if not spec.holidays.sync:
        return "holidays: not synced (holidays.sync: false)"
    kinds = ", ".join(kind for kind in _HOLIDAY_KINDS if kind in spec.holidays.kinds)
    line = (f"holidays Personio → MOCO as public_holiday absences ({kinds}), over the absences' window "
            f"(up to today + {spec.absences.until_days} days)")
    end, served = today + timedelta(days=spec.absences.until_days), holiday_horizon(today)
    if end > served:
        line += (f"; note: Personio serves holidays only up to {HOLIDAY_YEARS_AHEAD} years ahead ({served}), "
                 f"so the days after it up to {end} get no holiday")
    return line


def _people(spec: Spec) -> str:
    """The people line: what happens to hires and to leavers, only for what is switched on."""
    people = spec.people
    if not people.synced:
        return f"people: not synced ({PEOPLE_OFF})"
    parts = []
    if people.create_in_moco:
        mapped = len(people.teams_by_department)
        about = [f"team {cut(people.default_team or '')}"]
        if mapped:
            about.append(f"{mapped:,} department{'s' if mapped != 1 else ''} mapped")
        if people.welcome_email:
            about.append("MOCO sends its welcome email")
        parts.append(f"hires become MOCO users ({'; '.join(about)})")
    if people.archive_in_moco:
        parts.append("leavers are archived after their last day")
    return "people Personio → MOCO: " + ", ".join(parts)


def holiday_horizon(today: date) -> date:
    """The last day Personio serves holidays for: `HOLIDAY_YEARS_AHEAD` years after `today` (29 February
    becomes 28 February, as systems/personio/holidays.py counts it)."""
    try:
        return today.replace(year=today.year + HOLIDAY_YEARS_AHEAD)
    except ValueError:  # 29 February in a year without one
        return date(today.year + HOLIDAY_YEARS_AHEAD, 2, 28)
