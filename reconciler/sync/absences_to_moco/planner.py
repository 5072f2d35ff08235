"""The absence planner: Personio is the source of truth, MOCO gets one absence per person and day.

Pure: a `PlanInput` in, changes, conflicts and warnings out; no I/O. The rules:

- Only APPROVED Personio absence periods of types mapped in `absences.types` (by name, compared
  case-insensitively, or by id) count. Unmapped types are skipped with a warning, or stop the plan
  with `unmapped: error` (types.py).
- The window is `start_date` .. today + `until_days`; nothing outside it is read or written.
- Each period becomes one MOCO absence per working day of the person (days.py).
- Synced absences carry a marker comment naming the Personio period. Hand-made MOCO absences are
  never updated or deleted: on a wanted day they are a conflict and the day is left alone, except
  "not plannable" ones, which the synced absence replaces (the record is updated in place).
- Synced absences no longer wanted (cancelled, rejected, shortened, no longer mapped) are deleted;
  changed ones updated. A day is only ever touched through one change, which names every record it
  writes or removes.
- Where holidays are synced (`holidays.sync`), a day of the person's Personio holiday calendar belongs to
  the holiday (holidays_to_moco writes it): no absence is wanted there, and the holidays' own records are
  not in the way elsewhere (that direction removes those no longer in Personio, in the same apply).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from typing import Any

from reconciler.plan.model import Action, Change, Conflict, HandMade, PlannedPart, Removal
from reconciler.records import ABSENCE_APPROVED, AbsenceKind, AbsencePeriod, Holiday, MocoAbsence, halves
from reconciler.sync import sources
from reconciler.sync.absences_to_moco.apply import AbsenceEdit, NewAbsence
from reconciler.sync.absences_to_moco.days import Wanted, holiday_days, wanted_days
from reconciler.sync.absences_to_moco.moco_days import (
    absences_by_user,
    employments_by_user,
    owned_and_left,
    sensitivity,
)
from reconciler.sync.absences_to_moco.types import TypeMap, check_unmatched, type_map
from reconciler.sync.differences import explain
from reconciler.sync.direction import PlanInput
from reconciler.sync.identity import Pair
from reconciler.sync.ownership import ABSENCE_MARKER, HOLIDAY_MARKER, claim, is_ours

NAME = "absences_to_moco"
FIELD_WORDS = {"absence_kind": "kind", "am": "morning", "pm": "afternoon", "comment": "source"}


def view(absence: MocoAbsence) -> dict[str, Any]:
    """An absence as a change shows it; a hand-made comment marked as such (`HandMade`: never in clear in
    outputs meant to be shared)."""
    return {"absence_kind": absence.kind.value, "am": absence.am, "pm": absence.pm,
            "comment": HandMade.of(absence.comment, is_ours(absence.comment))}


class AbsencePlanner:
    """Plans a person at a time (`Planner`, sync/direction.py): what concerns the whole run (the type map,
    the records by person, hand-made absences of people not matched) is worked out once, here."""

    def __init__(self, given: PlanInput) -> None:
        spec, snapshot, matching, window = given.spec, given.snapshot, given.matching, given.window
        self.spec, self.matching, self.window = spec, matching, window
        periods_by_person: dict[str, list[AbsencePeriod]] = defaultdict(list)
        all_periods = snapshot[sources.PERSONIO_ABSENCE_PERIODS]
        for period in all_periods:
            if period.status == ABSENCE_APPROVED and period.overlaps(window.start, window.end):
                periods_by_person[period.person_id].append(period)
        self.periods_by_person = periods_by_person
        self.types = type_map(spec, snapshot[sources.PERSONIO_ABSENCE_TYPES], matching.pairs, periods_by_person)
        self.warnings = list(self.types.warnings)
        self.absences_by_user = absences_by_user(snapshot[sources.MOCO_SCHEDULES], window)
        self.employments_by_user = employments_by_user(snapshot[sources.MOCO_EMPLOYMENTS])
        self.holidays = holiday_days(snapshot[sources.PERSONIO_HOLIDAYS], spec.holidays.kinds) \
            if spec.holidays.sync else None
        self.days_of = _Days(periods_by_id={p.id: p for p in all_periods}, type_names=self.types.names,
                             sensitive=frozenset(kind.value for kind in spec.privacy.sensitive_kinds),
                             holidays=self.holidays)
        self.emails = {u.id: u.email for u in snapshot[sources.MOCO_USERS]}
        self.lost: dict[str, int] = defaultdict(int)  # see `_lost`, added up person by person

    def person(self, pair: Pair) -> PlannedPart:
        days = self.absences_by_user.get(pair.user.id, {})
        skip = None if self.holidays is None else self.holidays.get(pair.person.id, {}).keys()
        wanted, pair_warnings = wanted_days(pair, self.periods_by_person.get(pair.person.id, []), self.types.kinds,
                                            self.types.names, self.employments_by_user.get(pair.user.id, []), days,
                                            self.window, self.spec.privacy.sensitive_kinds, skip)
        self.warnings += pair_warnings
        changes: list[Change] = []
        conflicts: list[Conflict] = []
        for day in sorted(set(wanted) | set(days)):
            change, conflict = self.days_of.plan_day(pair, day, wanted.get(day), days.get(day, []))
            changes += [change] if change else []
            conflicts += [conflict] if conflict else []
        for name, count in _lost(changes, self.days_of.periods_by_id, self.types).items():
            self.lost[name] += count
        return PlannedPart(changes=tuple(changes), conflicts=tuple(conflicts))

    def finish(self) -> PlannedPart:
        check_unmatched(self.types, dict(self.lost), self.spec.source)
        matching = self.matching
        owned, left = owned_and_left(self.absences_by_user, ABSENCE_MARKER, matching.managed_user_ids, self.emails,
                                     "absence")
        return PlannedPart(
            warnings=(*self.warnings, *left), owned=owned,
            notes=(f"absences Personio → MOCO from {self.window} ({len(matching.pairs)} "
                   f"{'person' if len(matching.pairs) == 1 else 'people'} matched)",),
        )


@dataclass(frozen=True)
class _Days:
    """Plans one person's day at a time, knowing every Personio period and type name."""

    periods_by_id: dict[str, AbsencePeriod]
    type_names: dict[str, str]
    sensitive: frozenset[str] = frozenset()  # kinds (privacy.sensitive_kinds) whose records are health data
    holidays: dict[str, dict[date, Holiday]] | None = None  # by person and day, where holidays are synced

    def plan_day(self, pair: Pair, day: date, wanted: Wanted | None, entries: list[MocoAbsence]
                 ) -> tuple[Change | None, Conflict | None]:
        """The one change (or conflict) for one person's day; either is marked sensitive when a record it
        writes, removes or leaves alone is of a sensitive kind, or Personio's absence that day is."""
        change, conflict = self._plan_day(pair, day, wanted, entries)
        return sensitivity(change, conflict, entries, {wanted.kind.value} if wanted else (), self.sensitive)

    def _plan_day(self, pair: Pair, day: date, wanted: Wanted | None, entries: list[MocoAbsence]
                  ) -> tuple[Change | None, Conflict | None]:
        owned = claim(entries, ABSENCE_MARKER)
        ours = sorted(owned.all_ours(), key=lambda a: a.id)
        email = pair.moco_email

        def change(action: Action, target: MocoAbsence, extras: list[MocoAbsence], **fields: Any) -> Change:
            return Change(action=action, direction=NAME, system="moco", kind="absence", user=email,
                          person=email, date=day, before=view(target), target=target.id,
                          removes=tuple(Removal(a.id, view(a)) for a in extras), **fields)

        if wanted is None:
            if not ours:
                return None, None
            return change("delete", ours[0], ours[1:], reason=self._gone_reason(pair, ours[0], entries),
                          source=f"Personio absence {ABSENCE_MARKER.source(ours[0].comment)}"), None

        # Synced holidays are in the way only where holidays are not synced: else this day is not one of the
        # person's Personio holidays, and holidays_to_moco deletes them before this day's create or update.
        foreign = [a for a in owned.foreign if self.holidays is None or HOLIDAY_MARKER.source(a.comment) is None]
        blocking = sorted([a for a in owned.handmade if a.kind is not AbsenceKind.UNPLANNABLE] + foreign,
                          key=lambda a: a.id)
        if blocking:
            # The comment's words stay in MOCO (a hand-made one may say why someone was away): only that there is one.
            shown = ", ".join(f"{a.kind.value}, {halves(a.am, a.pm)}" + (", with a comment" if a.comment else "")
                              for a in blocking)
            return None, Conflict(
                direction=NAME, system="moco", kind="absence", user=email, person=email, date=day,
                reason=f"hand-made MOCO absence ({shown}) on a day Personio says is {wanted.type_name} "
                       f"({wanted.kind.value}); left alone",
            )

        after = wanted.view()
        send = AbsenceEdit(wanted.kind, wanted.am, wanted.pm, after["comment"])
        source = f"Personio absence {wanted.period.id}"
        replaceable = sorted((a for a in owned.handmade if a.kind is AbsenceKind.UNPLANNABLE), key=lambda a: a.id)
        candidates = ours + replaceable
        if not candidates:
            new = NewAbsence(send.kind, send.am, send.pm, send.comment, user_id=pair.user.id, day=day)
            return Change(action="create", direction=NAME, system="moco", kind="absence", user=email, person=email,
                          date=day, after=after, send=new, reason=f"{wanted.type_name} in Personio",
                          source=source), None

        keep, extras = candidates[0], candidates[1:]
        replacing = keep not in ours
        if not replacing and view(keep) == after:
            if not extras:
                return None, None
            # Already right; only the surplus records go: our duplicates or a hand-made "not plannable".
            return change("delete", extras[0], extras[1:], reason=_surplus_reason(extras[0], ours),
                          source=source, surplus=all(a in ours for a in extras)), None
        if replacing:
            reason = "replaces a hand-made “not plannable” absence"
        else:
            reason = "changed in Personio: " + ", ".join(explain(view(keep), after, FIELD_WORDS))
        if extras:
            reason += f"; removes {len(extras)} more record{'s' if len(extras) != 1 else ''} on this day"
        return change("update", keep, extras, after=after, send=send, reason=reason, source=source), None

    def _gone_reason(self, pair: Pair, absence: MocoAbsence, entries: list[MocoAbsence]) -> str:
        holiday = (self.holidays or {}).get(pair.person.id, {}).get(absence.day)
        if holiday is not None:
            return f"the day is a holiday in Personio ({holiday.name}), synced as one"
        if any(a.kind is AbsenceKind.PUBLIC_HOLIDAY and (not is_ours(a.comment) or (
                self.holidays is None and HOLIDAY_MARKER.source(a.comment) is not None)) for a in entries):
            return "the day is a public holiday in MOCO"  # as days.py counts them
        period = self.periods_by_id.get(ABSENCE_MARKER.source(absence.comment) or "")
        if period is None:
            return "no longer in Personio"
        if period.status != ABSENCE_APPROVED:
            return f"now {period.status.lower()} in Personio"
        if period.covers(absence.day):
            return f"{self.type_names.get(period.type_id, 'its type')} no longer maps here, or the day is not a " \
                   "working day"
        return "no longer covered by the absence in Personio"


def _lost(changes: list[Change], periods_by_id: dict[str, AbsencePeriod], types: TypeMap) -> dict[str, int]:
    """Synced absences the plan deletes although their Personio absence is still approved, because its
    type is not mapped (any more), counted by type name."""
    lost: dict[str, int] = defaultdict(int)
    for change in changes:
        if change.action != "delete":
            continue
        for record in (change.before or {}, *(removal.before for removal in change.removes)):
            period = periods_by_id.get(ABSENCE_MARKER.source(record.get("comment")) or "")
            if period and period.status == ABSENCE_APPROVED and period.type_id not in types.kinds:
                lost[types.name(period.type_id)] += 1
    return dict(lost)


def _surplus_reason(absence: MocoAbsence, ours: list[MocoAbsence]) -> str:
    return "a second synced absence on this day" if absence in ours else \
        "replaced by the synced absence on this day (hand-made “not plannable”)"
