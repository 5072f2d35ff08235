"""The spec in a few plain lines, for people reading `reconcile validate`."""

from __future__ import annotations

from reconciler.records import AttendanceDirection
from reconciler.spec.model import Spec


def describe_spec(spec: Spec) -> list[str]:
    """A few lines telling what the spec will do, for people reading `validate` output."""
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
    lines.append(f"mass-change guard: apply holds the changes of a system where a run deletes or updates more than "
                 f"{spec.safety.max_change_percent:g} % of the records reconcile owns there (from "
                 f"{spec.safety.min_owned} owned and {spec.safety.min_changes} changed records on), unless --force")
    kinds = ", ".join(sorted(kind.value for kind in spec.privacy.sensitive_kinds)) or "none"
    lines.append(f"sensitive absence kinds, never paired with a person in Markdown plans, logs, plan files and "
                 f"reports: {kinds}")
    return lines
