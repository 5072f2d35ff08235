"""Which MOCO absence each day of one person's window should hold, from their approved Personio
absence periods: working days only (the MOCO employment pattern, no weekends, no public holidays),
half days as half days, and one kind per day where periods overlap. A public holiday is a hand-made one
in MOCO, or, where holidays are synced (holidays_to_moco), a day of the person's Personio holiday
calendar (`skip`): that day belongs to the holiday."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any

from reconciler.plan.model import Withheld
from reconciler.plan.snapshot import Window
from reconciler.records import AbsenceKind, AbsencePeriod, Employment, Holiday, MocoAbsence
from reconciler.sync.identity import Pair
from reconciler.sync.ownership import ABSENCE_MARKER, HOLIDAY_MARKER, is_ours

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
                "comment": ABSENCE_MARKER.comment(self.period.id)}


def wanted_days(pair: Pair, periods: list[AbsencePeriod], kinds: dict[str, AbsenceKind], type_names: dict[str, str],
                employments: list[Employment], moco_days: dict[date, list[MocoAbsence]], window: Window,
                sensitive: Collection[AbsenceKind] = frozenset(), skip: Collection[date] | None = None
                ) -> tuple[dict[date, Wanted], list[str]]:
    """The MOCO absence each day of the window should hold for one person. `skip`: the person's Personio
    holidays where holidays are synced; None where they are not, and then a public holiday reconcile synced
    earlier still counts as one (it stays in MOCO)."""
    warnings: list[str] = []
    holidays = {day for day, entries in moco_days.items()
                if any(a.kind is AbsenceKind.PUBLIC_HOLIDAY and (not is_ours(a.comment) or (
                    skip is None and HOLIDAY_MARKER.source(a.comment) is not None)) for a in entries)}
    holidays |= set(skip or ())
    candidates: dict[date, list[Wanted]] = defaultdict(list)
    unpatterned: set[date] = set()
    for period in periods:
        kind = kinds.get(period.type_id)
        if kind is None:
            continue
        days = Window(max(period.first_day, window.start), min(period.last_day or window.end, window.end))
        for day in days.days():
            if day in holidays or not works(employments, day, unpatterned):
                continue
            am = not (period.first_day_pm_only and day == period.first_day)
            pm = not (period.last_day_am_only and day == period.last_day)
            if not (am or pm):
                warnings.append(f"{pair.moco_email}: Personio absence {period.id} on {day} is both afternoon-only "
                                "and morning-only; skipped")
                continue
            candidates[day].append(Wanted(kind, am, pm, period, type_names.get(period.type_id, period.type_id)))
    warnings += unpatterned_warning(pair, unpatterned, "absence")

    wanted: dict[date, Wanted] = {}
    overlaps: dict[tuple[str, str], list[date]] = defaultdict(list)
    private: dict[tuple[str, str], bool] = defaultdict(bool)
    for day, options in candidates.items():
        options.sort(key=lambda w: (PRECEDENCE.index(w.kind), -w.period.first_day.toordinal(), w.period.id))
        best = options[0]
        same = [w for w in options if w.kind is best.kind]
        wanted[day] = Wanted(best.kind, any(w.am for w in same), any(w.pm for w in same), best.period, best.type_name)
        for other in options:
            if other.kind is not best.kind:
                overlaps[(best.type_name, other.type_name)].append(day)
                private[(best.type_name, other.type_name)] |= best.kind in sensitive or other.kind in sensitive
    for (kept, dropped), dates in sorted(overlaps.items()):
        text = (f"{pair.moco_email}: approved {kept!r} and {dropped!r} overlap on {_span(dates)}; MOCO holds "
                f"one absence per day, so {kept!r} is synced there")
        warnings.append(Withheld(text, f"approved absences of two types overlap on {len(dates)} day"
                                       f"{'s' if len(dates) != 1 else ''} of one person, one of a sensitive kind; "
                                       "MOCO holds one absence per day")
                        if private[(kept, dropped)] else text)
    return wanted, warnings


def holiday_days(holidays: Iterable[Holiday], kinds: Collection[str]) -> dict[str, dict[date, Holiday]]:
    """The Personio holidays of the kinds synced (`holidays.kinds`), by person and day: absences leave these
    days to holidays_to_moco, which writes them. Where two calendars give a person one day, the full day wins
    over a half day, then the lowest id."""
    by_person: dict[str, dict[date, Holiday]] = defaultdict(dict)
    for holiday in holidays:
        if holiday.kind not in kinds:
            continue
        days = by_person[holiday.person_id]
        seen = days.get(holiday.day)
        if seen is None or (holiday.half_day, holiday.id) < (seen.half_day, seen.id):
            days[holiday.day] = holiday
    return dict(by_person)


def works(employments: list[Employment], day: date, unpatterned: set[date]) -> bool:
    """Whether the person works on `day`: a weekday with hours in their MOCO employment pattern. Without a
    pattern that day they are taken to work Monday to Friday, and the day is added to `unpatterned`."""
    if day.weekday() >= 5:
        return False
    hours = working_hours(employments, day)
    if hours is None:
        unpatterned.add(day)
        hours = (DEFAULT_PATTERN[0][day.weekday()], DEFAULT_PATTERN[1][day.weekday()])
    return hours != (0.0, 0.0)


def unpatterned_warning(pair: Pair, days: set[date], noun: str) -> list[str]:
    """What to say of a person's `days` (of an absence, a holiday) that no MOCO pattern covers."""
    if not days:
        return []
    plural = "s" if len(days) != 1 else ""
    return [f"{pair.moco_email}: no MOCO employment pattern covers {len(days)} {noun} day{plural} ({min(days)}…); "
            "treated as working Monday to Friday"]


def working_hours(employments: list[Employment], day: date) -> tuple[float, float] | None:
    """A person's (morning, afternoon) hours on `day` by their latest MOCO employment covering it; None when
    none does."""
    covering = [e for e in employments if e.covers(day)]
    if not covering:
        return None
    latest = max(covering, key=lambda e: (e.start or date.min, e.id))
    return latest.hours(day)


def _span(days: list[date]) -> str:
    days = sorted(days)
    return str(days[0]) if len(days) == 1 else f"{days[0]}..{days[-1]} ({len(days)} days)"
