"""The holiday planner: each person's Personio holidays become MOCO public holidays, one per working day.

Pure: a `PlanInput` in, changes, conflicts and warnings out; no I/O. The rules:

- The holidays of the kinds in `holidays.kinds` count, within the absences' window, on the person's
  working days (days.py); a half day is the afternoon.
- Synced holidays carry a marker comment naming the Personio entry (`HOLIDAY_MARKER`). They are the only
  records this direction updates or deletes: a holiday no longer in the person's calendars (taken out of
  it, or the person moved to another office) removes its synced record.
- Hand-made MOCO absences are never touched. A hand-made public holiday on the day means there is nothing
  to write; a hand-made "not plannable" is replaced (updated in place), as absences do; any other is a
  conflict and the day is left alone.
- A synced absence (absences_to_moco's marker) on a holiday is not in the way while absences are synced:
  that direction leaves holiday days to this one and deletes it in the same apply, before this create.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from reconciler.plan.model import Action, Change, Conflict, PlannedPart, Removal
from reconciler.records import AbsenceKind, Holiday, MocoAbsence, halves
from reconciler.sync import sources
from reconciler.sync.absences_to_moco.apply import AbsenceEdit, NewAbsence
from reconciler.sync.absences_to_moco.days import holiday_days
from reconciler.sync.absences_to_moco.moco_days import (
    absences_by_user,
    employments_by_user,
    owned_and_left,
    sensitivity,
)
from reconciler.sync.absences_to_moco.planner import FIELD_WORDS, view
from reconciler.sync.differences import explain
from reconciler.sync.direction import PlanInput
from reconciler.sync.holidays_to_moco.days import (
    KIND_WORDS,
    WantedHoliday,
    wanted_holidays,
)
from reconciler.sync.identity import Pair
from reconciler.sync.ownership import ABSENCE_MARKER, HOLIDAY_MARKER, claim

NAME = "holidays_to_moco"
PUBLIC = AbsenceKind.PUBLIC_HOLIDAY


class HolidayPlanner:
    """Plans a person at a time (`Planner`, sync/direction.py); the records by person are sorted once, here."""

    def __init__(self, given: PlanInput) -> None:
        spec, snapshot, self.matching, self.window = given.spec, given.snapshot, given.matching, given.window
        self.kinds = tuple(kind for kind in ("public", "company") if kind in spec.holidays.kinds)
        self.holidays = holiday_days(snapshot[sources.PERSONIO_HOLIDAYS], spec.holidays.kinds)
        self.every_kind = holiday_days(snapshot[sources.PERSONIO_HOLIDAYS], KIND_WORDS)  # to say why one goes
        self.absences_by_user = absences_by_user(snapshot[sources.MOCO_SCHEDULES], self.window)
        self.employments_by_user = employments_by_user(snapshot[sources.MOCO_EMPLOYMENTS])
        self.emails = {u.id: u.email for u in snapshot[sources.MOCO_USERS]}
        self.days_of = _Days(absences_synced=spec.absences.enabled, kinds=spec.holidays.kinds,
                             sensitive=frozenset(kind.value for kind in spec.privacy.sensitive_kinds))
        self.warnings: list[str] = []
        self.today = snapshot.today

    def person(self, pair: Pair) -> PlannedPart:
        days = self.absences_by_user.get(pair.user.id, {})
        wanted, warnings = wanted_holidays(pair, self.holidays.get(pair.person.id, {}),
                                           self.employments_by_user.get(pair.user.id, []), self.window)
        left = not pair.person.active  # Personio employs them no more: their last day has passed
        if left:
            wanted = {day: holiday for day, holiday in wanted.items() if day < self.today}
        self.warnings += warnings
        changes: list[Change] = []
        conflicts: list[Conflict] = []
        for day in sorted(set(wanted) | set(days)):
            change, conflict = self.days_of.plan_day(pair, day, wanted.get(day), days.get(day, []),
                                                     self.every_kind.get(pair.person.id, {}).get(day),
                                                     left=left and day >= self.today)
            changes += [change] if change else []
            conflicts += [conflict] if conflict else []
        return PlannedPart(changes=tuple(changes), conflicts=tuple(conflicts))

    def finish(self) -> PlannedPart:
        owned, left = owned_and_left(self.absences_by_user, HOLIDAY_MARKER, self.matching.managed_user_ids,
                                     self.emails, "public holiday")
        people = len(self.matching.pairs)
        return PlannedPart(
            warnings=(*self.warnings, *left), owned=owned,
            notes=(f"holidays Personio → MOCO from {self.window} ({people} {'person' if people == 1 else 'people'} "
                   f"matched; kinds: {', '.join(self.kinds)})",),
        )


@dataclass(frozen=True)
class _Days:
    """Plans one person's day at a time."""

    absences_synced: bool  # absences_to_moco's records on a holiday are removed by it (absences.enabled)
    kinds: frozenset[str]  # the kinds synced (holidays.kinds)
    sensitive: frozenset[str] = frozenset()  # kinds (privacy.sensitive_kinds) whose records are health data

    def plan_day(self, pair: Pair, day: date, wanted: WantedHoliday | None, entries: list[MocoAbsence],
                 listed: Holiday | None = None, *, left: bool = False) -> tuple[Change | None, Conflict | None]:
        """The one change (or conflict) for one person's day; `listed`: Personio's holiday that day of any
        kind, to say why a synced one goes; `left`: the day is after the person's last day. Either is marked
        sensitive when a record it writes, removes or leaves alone is of a sensitive kind (a holiday is not, by
        default; a hand-made sick day beside it is)."""
        change, conflict = self._plan_day(pair, day, wanted, entries, listed, left)
        return sensitivity(change, conflict, entries, {PUBLIC.value} if wanted else (), self.sensitive)

    def _plan_day(self, pair: Pair, day: date, wanted: WantedHoliday | None, entries: list[MocoAbsence],
                  listed: Holiday | None, left: bool = False) -> tuple[Change | None, Conflict | None]:
        owned = claim(entries, HOLIDAY_MARKER)
        ours = sorted(owned.all_ours(), key=lambda a: a.id)
        email = pair.moco_email

        def change(action: Action, target: MocoAbsence, extras: list[MocoAbsence], **fields: Any) -> Change:
            return Change(action=action, direction=NAME, system="moco", kind="absence", user=email, person=email,
                          date=day, before=view(target), target=target.id,
                          removes=tuple(Removal(a.id, view(a)) for a in extras), **fields)

        if wanted is None:
            if not ours:
                return None, None
            return change("delete", ours[0], ours[1:], source=f"Personio holiday {_source(ours[0])}",
                          reason=_gone(listed, self.kinds, left)), None
        source = f"Personio holiday {wanted.holiday.id}"
        if any(a.kind is PUBLIC for a in owned.handmade):
            if not ours:
                return None, None  # a public holiday is there already, made by hand: nothing to write
            return change("delete", ours[0], ours[1:], source=source,
                          reason="a hand-made public holiday is on this day"), None

        blocking = sorted([a for a in owned.handmade if a.kind is not AbsenceKind.UNPLANNABLE]
                          + [a for a in owned.foreign if not self._goes(a)], key=lambda a: a.id)
        if blocking:
            # The comment's words stay in MOCO: only that there is one.
            shown = ", ".join(f"{a.kind.value}, {halves(a.am, a.pm)}" + (", with a comment" if a.comment else "")
                              for a in blocking)
            return None, Conflict(direction=NAME, system="moco", kind="absence", user=email, person=email,
                                  date=day,
                                  reason=f"hand-made MOCO absence ({shown}) on a day Personio says is "
                                         f"{wanted.holiday.name} ({KIND_WORDS.get(wanted.holiday.kind, 'holiday')}); "
                                         "left alone")

        after = wanted.view()
        send = AbsenceEdit(PUBLIC, wanted.am, wanted.pm, after["comment"])
        replaceable = sorted((a for a in owned.handmade if a.kind is AbsenceKind.UNPLANNABLE), key=lambda a: a.id)
        candidates = ours + replaceable
        if not candidates:
            new = NewAbsence(PUBLIC, wanted.am, wanted.pm, send.comment, user_id=pair.user.id, day=day)
            return Change(action="create", direction=NAME, system="moco", kind="absence", user=email, person=email,
                          date=day, after=after, send=new, reason=wanted.what, source=source), None
        keep, extras = candidates[0], candidates[1:]
        replacing = keep not in ours
        if not replacing and _same(view(keep), after):
            if not extras:
                return None, None
            return change("delete", extras[0], extras[1:], source=source, surplus=all(a in ours for a in extras),
                          reason="a second synced public holiday on this day" if extras[0] in ours else
                          "replaced by the synced public holiday on this day (hand-made “not plannable”)"), None
        reason = f"{wanted.what}; replaces a hand-made “not plannable” absence" if replacing else \
            f"{wanted.what}; changed: " + ", ".join(explain(view(keep), after, FIELD_WORDS))
        if extras:
            reason += f"; removes {len(extras)} more record{'s' if len(extras) != 1 else ''} on this day"
        return change("update", keep, extras, after=after, send=send, reason=reason, source=source), None

    def _goes(self, absence: MocoAbsence) -> bool:
        """Whether another direction's record on a holiday is removed by it in the same apply: a synced
        absence while absences are synced (they leave holiday days to holidays)."""
        return self.absences_synced and ABSENCE_MARKER.source(absence.comment) is not None


def _same(have: dict[str, Any], want: dict[str, Any]) -> bool:
    """Whether a synced holiday is right as it is: kind and halves. The entry id in its comment is not compared:
    whether Personio keeps an entry's id from one read to the next is unverified (systems/personio/holidays.py),
    and the day is what the record is claimed by."""
    return all(have[key] == want[key] for key in ("absence_kind", "am", "pm"))


def _gone(listed: Holiday | None, kinds: frozenset[str], left: bool = False) -> str:
    """Why a synced holiday goes: the person left before it, Personio no longer lists the day, lists it as a kind
    not synced, or the day is not one the person works."""
    if left:
        return "after the person's last day (inactive in Personio)"
    if listed is None:
        return "no longer a holiday of this person in Personio (taken out of the calendar, or another office's)"
    if listed.kind not in kinds:
        return f"{listed.name} is a {KIND_WORDS.get(listed.kind, 'holiday')} in Personio, which holidays.kinds " \
               "does not sync"
    return f"{listed.name} falls on a day the person does not work in MOCO"


def _source(absence: MocoAbsence) -> str:
    return str(HOLIDAY_MARKER.source(absence.comment))

