"""The absence planner: Personio is the source of truth, MOCO gets one absence per person and day.

Pure: (spec, snapshot, matching) in, changes, conflicts and warnings out; no I/O. The rules:

- Only APPROVED Personio absence periods of types mapped in `absences.types` (by name, compared
  case-insensitively, or by id) count. Unmapped types are skipped with a warning, or stop the plan
  with `unmapped: error`.
- The window is `start_date` .. today + `until_days`; nothing outside it is read or written.
- Each period becomes one MOCO absence per working day of the person: not on Saturdays and Sundays,
  not on weekdays the person's MOCO employment pattern has no hours, not on days that carry a MOCO
  public holiday. A first day starting with the second half is afternoon only; a last day ending
  with the first half is morning only.
- MOCO holds one absence per person and day. Where approved periods overlap, one kind wins
  (`PRECEDENCE`) and the plan says so.
- Synced absences carry a marker comment naming the Personio period. Hand-made MOCO absences are
  never updated or deleted: on a wanted day they are a conflict and the day is left alone, except
  "not plannable" ones, which the synced absence replaces (the record is updated in place).
- Synced absences no longer wanted (cancelled, rejected, shortened, no longer mapped) are deleted;
  changed ones updated. A day is only ever touched through one change.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from deepdiff import DeepDiff

from reconciler.errors import ReconcileError
from reconciler.sync.identity import Matching, Pair
from reconciler.sync.ownership import absence_comment, absence_source, is_ours
from reconciler.records import AbsenceKind, AbsencePeriod, AbsenceType, Employment, MocoAbsence, halves
from reconciler.plan import Change, Conflict, PlannedPart
from reconciler.plan.snapshot import Snapshot
from reconciler.spec import Spec, normalise_type_name

# Which kind MOCO keeps when approved periods overlap on a day: sickness during a vacation is not
# vacation (German law credits those days back), a vacation outranks neutral absences, and so on.
PRECEDENCE = (AbsenceKind.SICK_DAY, AbsenceKind.HOLIDAY, AbsenceKind.ABSENCE, AbsenceKind.UNPLANNABLE,
              AbsenceKind.PUBLIC_HOLIDAY)

# Monday to Friday, both halves, for users MOCO has no employment pattern for on a day.
DEFAULT_PATTERN = ((1.0,) * 5, (1.0,) * 5)


@dataclass(frozen=True)
class Wanted:
    """What one person's MOCO day should hold."""

    kind: AbsenceKind
    am: bool
    pm: bool
    period: AbsencePeriod
    type_name: str

    def view(self) -> dict[str, Any]:
        return {"absence_kind": self.kind.value, "am": self.am, "pm": self.pm,
                "comment": absence_comment(self.period.id)}


def view(absence: MocoAbsence) -> dict[str, Any]:
    return {"absence_kind": absence.kind.value, "am": absence.am, "pm": absence.pm, "comment": absence.comment}


class PlanError(ReconcileError):
    """The spec and the systems' data cannot be planned together (e.g. `unmapped: error`)."""


def plan_absences(spec: Spec, snapshot: Snapshot, matching: Matching) -> PlannedPart:
    settings = spec.absences
    if not settings.enabled:
        return PlannedPart(notes=("absences: not synced (absences.enabled: false)",))
    start, end = spec.absence_window(snapshot.today)
    warnings: list[str] = []
    kinds, type_warnings = resolve_types(settings.types, snapshot.absence_types)
    warnings += type_warnings
    type_names = {t.id: t.name for t in snapshot.absence_types}
    hourly = {t.id for t in snapshot.absence_types if t.hourly and t.id in kinds}

    periods_by_person: dict[str, list[AbsencePeriod]] = defaultdict(list)
    for period in snapshot.absence_periods:
        if period.status == "APPROVED" and period.overlaps(start, end):
            periods_by_person[period.person_id].append(period)
    periods_by_id = {p.id: p for p in snapshot.absence_periods}

    unmapped: dict[str, list[str]] = defaultdict(list)
    in_hours: dict[str, list[str]] = defaultdict(list)
    for pair in matching.pairs:
        for period in periods_by_person.get(pair.person.id, []):
            if period.type_id in hourly:
                in_hours[type_names[period.type_id]].append(pair.personio_email)
            elif period.type_id not in kinds:
                unmapped[type_names.get(period.type_id, period.type_id)].append(pair.personio_email)
    for name, emails in sorted(in_hours.items()):
        warnings.append(f"Personio absence type {name!r} is measured in hours, and MOCO absences are whole or half "
                        f"days: {len(emails)} approved absence{'s' if len(emails) != 1 else ''} not synced "
                        f"({', '.join(sorted(set(emails)))})")
    kinds = {type_id: kind for type_id, kind in kinds.items() if type_id not in hourly}
    if unmapped and settings.unmapped == "error":
        listed = "; ".join(f"{name!r} ({len(emails)} absence{'s' if len(emails) != 1 else ''}: "
                           f"{', '.join(sorted(set(emails)))})" for name, emails in sorted(unmapped.items()))
        raise PlanError(f"approved Personio absences of types not in absences.types (absences.unmapped: error): "
                        f"{listed}. Map them in {spec.source} or set absences.unmapped: skip")
    for name, emails in sorted(unmapped.items()):
        warnings.append(f"Personio absence type {name!r} is not in absences.types: {len(emails)} approved "
                        f"absence{'s' if len(emails) != 1 else ''} skipped ({', '.join(sorted(set(emails)))})")

    absences_by_user: dict[int, dict[date, list[MocoAbsence]]] = defaultdict(lambda: defaultdict(list))
    for absence in snapshot.moco_absences:
        if start <= absence.day <= end:
            absences_by_user[absence.user_id][absence.day].append(absence)
    employments_by_user: dict[int, list[Employment]] = defaultdict(list)
    for employment in snapshot.employments:
        employments_by_user[employment.user_id].append(employment)

    changes: list[Change] = []
    conflicts: list[Conflict] = []
    for pair in matching.pairs:
        days = absences_by_user.get(pair.user.id, {})
        wanted, pair_warnings = wanted_days(
            pair, periods_by_person.get(pair.person.id, []), kinds, type_names,
            employments_by_user.get(pair.user.id, []), days, start, end,
        )
        warnings += pair_warnings
        for day in sorted(set(wanted) | set(days)):
            change, conflict = plan_day(pair, day, wanted.get(day), days.get(day, []), periods_by_id, type_names)
            if change:
                changes.append(change)
            if conflict:
                conflicts.append(conflict)

    warnings += _unmanaged_warnings(absences_by_user, matching, snapshot)
    return PlannedPart(
        changes=tuple(changes), conflicts=tuple(conflicts), warnings=tuple(warnings),
        notes=(f"absences Personio → MOCO from {start} to {end} ({len(matching.pairs)} people matched)",),
    )


def _unmanaged_warnings(absences_by_user: dict[int, dict[date, list[MocoAbsence]]], matching: Matching,
                        snapshot: Snapshot) -> list[str]:
    """Absences reconcile wrote for people it no longer syncs stay; say so, once per person."""
    emails = {u.id: u.email for u in snapshot.moco_users}
    warnings = []
    for user_id, days in sorted(absences_by_user.items()):
        if user_id in matching.managed_user_ids:
            continue
        count = sum(1 for entries in days.values() for a in entries if is_ours(a.comment))
        if count:
            warnings.append(f"{emails.get(user_id, f'MOCO user {user_id}')} is no longer synced (excluded, unmatched "
                            f"or archived): {count} absence{'s' if count != 1 else ''} reconcile wrote earlier "
                            f"{'are' if count != 1 else 'is'} left alone")
    return warnings


def resolve_types(mapping: tuple[tuple[str, AbsenceKind], ...], types: tuple[AbsenceType, ...]
                  ) -> tuple[dict[str, AbsenceKind], list[str]]:
    """Personio type id → MOCO kind, from the spec's names or ids."""
    by_id = {t.id: t for t in types}
    by_name: dict[str, list[AbsenceType]] = defaultdict(list)
    for t in types:
        by_name[normalise_type_name(t.name)].append(t)
    kinds: dict[str, AbsenceKind] = {}
    named_by: dict[str, str] = {}
    warnings: list[str] = []
    for key, kind in mapping:
        matches = [by_id[key]] if key in by_id else by_name.get(normalise_type_name(key), [])
        if not matches:
            known = ", ".join(sorted(repr(t.name) for t in types)) or "none"
            warnings.append(f"absences.types[{key!r}] matches no Personio absence type (Personio has: {known})")
            continue
        if len(matches) > 1:
            warnings.append(f"absences.types[{key!r}] matches {len(matches)} Personio absence types of that name; "
                            f"all are mapped to {kind.value} (map by id to tell them apart)")
        for t in matches:
            if t.id in kinds and kinds[t.id] is not kind:
                raise PlanError(f"absences.types maps the Personio absence type {t.name!r} twice, as "
                                f"{named_by[t.id]!r} → {kinds[t.id].value} and as {key!r} → {kind.value}")
            kinds[t.id] = kind
            named_by[t.id] = key
    return kinds, warnings


def _days(first: date, last: date) -> Iterator[date]:
    day = first
    while day <= last:
        yield day
        day += timedelta(days=1)


def wanted_days(pair: Pair, periods: list[AbsencePeriod], kinds: dict[str, AbsenceKind], type_names: dict[str, str],
                employments: list[Employment], moco_days: dict[date, list[MocoAbsence]], start: date, end: date
                ) -> tuple[dict[date, Wanted], list[str]]:
    """The MOCO absence each day of the window should hold for one person."""
    warnings: list[str] = []
    holidays = {day for day, entries in moco_days.items()
                if any(a.kind is AbsenceKind.PUBLIC_HOLIDAY and not is_ours(a.comment) for a in entries)}
    candidates: dict[date, list[Wanted]] = defaultdict(list)
    unpatterned: list[date] = []
    for period in periods:
        kind = kinds.get(period.type_id)
        if kind is None:
            continue
        last = min(period.last_day or end, end)
        for day in _days(max(period.first_day, start), last):
            if day.weekday() >= 5 or day in holidays:
                continue
            hours = _hours(employments, day)
            if hours is None:
                unpatterned.append(day)
                hours = (DEFAULT_PATTERN[0][day.weekday()], DEFAULT_PATTERN[1][day.weekday()])
            if hours == (0.0, 0.0):
                continue
            am = not (period.first_day_pm_only and day == period.first_day)
            pm = not (period.last_day_am_only and day == period.last_day)
            if not (am or pm):
                warnings.append(f"{pair.moco_email}: Personio absence {period.id} on {day} is both afternoon-only "
                                "and morning-only; skipped")
                continue
            candidates[day].append(Wanted(kind, am, pm, period, type_names.get(period.type_id, period.type_id)))
    if unpatterned:
        warnings.append(f"{pair.moco_email}: no MOCO employment pattern covers {len(unpatterned)} absence "
                        f"day{'s' if len(unpatterned) != 1 else ''} ({unpatterned[0]}…); treated as working "
                        "Monday to Friday")

    wanted: dict[date, Wanted] = {}
    overlaps: dict[tuple[str, str], list[date]] = defaultdict(list)
    for day, options in candidates.items():
        options.sort(key=lambda w: (PRECEDENCE.index(w.kind), -w.period.first_day.toordinal(), w.period.id))
        best = options[0]
        same = [w for w in options if w.kind is best.kind]
        wanted[day] = Wanted(best.kind, any(w.am for w in same), any(w.pm for w in same), best.period, best.type_name)
        for other in options:
            if other.kind is not best.kind:
                overlaps[(best.type_name, other.type_name)].append(day)
    for (kept, dropped), days in sorted(overlaps.items()):
        warnings.append(f"{pair.moco_email}: approved {kept!r} and {dropped!r} overlap on {_span(days)}; MOCO holds "
                        f"one absence per day, so {kept!r} is synced there")
    return wanted, warnings


def _hours(employments: list[Employment], day: date) -> tuple[float, float] | None:
    covering = [e for e in employments if e.covers(day)]
    if not covering:
        return None
    latest = max(covering, key=lambda e: (e.start or date.min, e.id))
    return latest.hours(day)


def _span(days: list[date]) -> str:
    days = sorted(days)
    return str(days[0]) if len(days) == 1 else f"{days[0]}..{days[-1]} ({len(days)} days)"


def plan_day(pair: Pair, day: date, wanted: Wanted | None, entries: list[MocoAbsence],
             periods_by_id: dict[str, AbsencePeriod], type_names: dict[str, str]
             ) -> tuple[Change | None, Conflict | None]:
    """The one change (or conflict) for one person's day."""
    ours = sorted((a for a in entries if is_ours(a.comment)), key=lambda a: a.id)
    handmade = [a for a in entries if not is_ours(a.comment)]
    email = pair.moco_email

    if wanted is None:
        if not ours:
            return None, None
        first = ours[0]
        return Change(
            action="delete", system="moco", kind="absence", user=email, date=day, before=view(first),
            target=first.id, also_delete=tuple(a.id for a in ours[1:]),
            reason=_gone_reason(first, periods_by_id, type_names),
            source=f"Personio absence {absence_source(first.comment)}",
        ), None

    blocking = [a for a in handmade if a.kind is not AbsenceKind.UNPLANNABLE]
    if blocking:
        shown = ", ".join(f"{a.kind.value}, {halves(a.am, a.pm)}" + (f", “{a.comment}”" if a.comment else "")
                          for a in blocking)
        return None, Conflict(
            user=email, date=day,
            reason=f"hand-made MOCO absence ({shown}) on a day Personio says is {wanted.type_name} "
                   f"({wanted.kind.value}); left alone",
        )

    after = wanted.view()
    write = {"user_id": pair.user.id, "kind": wanted.kind.value}
    source = f"Personio absence {wanted.period.id}"
    replaceable = sorted((a for a in handmade if a.kind is AbsenceKind.UNPLANNABLE), key=lambda a: a.id)
    candidates = ours + replaceable
    if not candidates:
        return Change(action="create", system="moco", kind="absence", user=email, date=day,
                      after=after, reason=f"{wanted.type_name} in Personio", source=source, write=write), None

    keep, extras = candidates[0], candidates[1:]
    replacing = not is_ours(keep.comment)
    if not replacing and not DeepDiff(view(keep), after) and not extras:
        return None, None
    if not replacing and not DeepDiff(view(keep), after):
        # Already right; only the surplus records go: our duplicates or a hand-made "not plannable".
        return Change(action="delete", system="moco", kind="absence", user=email, date=day,
                      before=view(extras[0]), target=extras[0].id, also_delete=tuple(a.id for a in extras[1:]),
                      reason=_surplus_reason(extras[0]), source=source), None
    if replacing:
        reason = "replaces a hand-made “not plannable” absence"
    else:
        changed = sorted(DeepDiff(view(keep), after).affected_root_keys)
        words = {"absence_kind": "kind", "am": "morning", "pm": "afternoon", "comment": "source"}
        reason = "changed in Personio: " + ", ".join(words.get(f, f) for f in changed)
    if extras:
        reason += f"; removes {len(extras)} more record{'s' if len(extras) != 1 else ''} on this day"
    return Change(action="update", system="moco", kind="absence", user=email, date=day,
                  before=view(keep), after=after, target=keep.id, also_delete=tuple(a.id for a in extras), reason=reason,
                  source=source, write=write), None


def _gone_reason(absence: MocoAbsence, periods_by_id: dict[str, AbsencePeriod], type_names: dict[str, str]) -> str:
    period = periods_by_id.get(absence_source(absence.comment) or "")
    if period is None:
        return "no longer in Personio"
    if period.status != "APPROVED":
        return f"now {period.status.lower()} in Personio"
    if period.covers(absence.day):
        return f"{type_names.get(period.type_id, 'its type')} no longer maps here, or the day is not a working day"
    return "no longer covered by the absence in Personio"


def _surplus_reason(absence: MocoAbsence) -> str:
    return "a second synced absence on this day" if is_ours(absence.comment) else \
        "replaced by the synced absence on this day (hand-made “not plannable”)"
