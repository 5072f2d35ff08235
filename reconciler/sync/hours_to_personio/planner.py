"""The working-hours planner: MOCO presences become approved Personio attendance periods.

Pure: a `PlanInput` in, changes, conflicts and warnings out; no I/O. The rules (with
`attendances.direction: moco_to_personio`; `personio_managed` writes nothing):

- Each MOCO presence of a matched person, from `start_date` to today, becomes one Personio WORK
  period with the same local start and end, approved (`skip_approval=true`), carrying the marker
  comment with the presence id. A presence still running (no end yet) is not written until it ends.
- A presence edited in MOCO (any day since `start_date`) patches its period; a presence deleted in
  MOCO deletes its period. A synced period someone un-approved in Personio is approved again.
- Periods without the marker were entered in Personio by hand and are never touched. One that
  overlaps a presence we would write makes that presence a conflict instead of a write.
- A duration-only period without the marker (Personio tracking a length a day, no times) holds its day:
  while MOCO has presences of that person there, nothing is written, updated or deleted on it, and the plan
  says so in one conflict (tracked.py).
- With `attendances.record_as: duration` each presence becomes a duration-only period (its length on its
  day) instead; a synced period of the other shape is replaced (`Recreate`: deleted, then created).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from operator import attrgetter
from typing import Any

from reconciler.plan.model import Action, Change, Conflict, HandMade, PlannedPart, Removal
from reconciler.records import ATTENDANCE_APPROVED, AttendancePeriod, Presence
from reconciler.sync import sources
from reconciler.sync.differences import explain
from reconciler.sync.direction import PlanInput
from reconciler.sync.hours_to_personio.apply import DurationEdit, NewDurationPeriod, NewPeriod, PeriodEdit, Recreate
from reconciler.sync.hours_to_personio.tracked import (
    duration_state,
    duration_view,
    held_days,
    held_reason,
    same_length,
)
from reconciler.sync.identity import Pair
from reconciler.sync.ownership import ATTENDANCE_MARKER, Claim, claim, is_ours, left_alone

NAME = "hours_to_personio"
FIELD_WORDS = {"start": "times", "end": "times", "duration": "duration", "comment": "source"}


def _hhmm(moment: datetime | None) -> str | None:
    return None if moment is None else moment.strftime("%H:%M")


def span(moment_from: datetime, moment_to: datetime | None) -> str:
    """How a period's times read: "08:00–12:00", "22:00–2026-11-21 02:00", "08:00–…"."""
    end = _hhmm(moment_to) or "…"
    if moment_to is not None and moment_to.date() != moment_from.date():
        end = f"{moment_to.date()} {end}"
    return f"{_hhmm(moment_from)}–{end}"


def view(period: AttendancePeriod) -> dict[str, Any]:
    # A period whose approval Personio does not state counts as approved: re-approving it on every
    # run would never converge (the third-party v2 fixture carries no `approval` at all). A comment
    # without reconcile's marker is marked `HandMade`: never in clear in outputs meant to be shared.
    comment = HandMade.of(period.comment, is_ours(period.comment)) or ""
    if period.duration is not None:
        return duration_view(period.duration, comment, period.status or ATTENDANCE_APPROVED)
    return {"start": _hhmm(period.start), "end": _hhmm(period.end), "comment": comment,
            "approval": period.status or ATTENDANCE_APPROVED}


def wanted_view(presence: Presence) -> dict[str, Any]:
    assert presence.start is not None  # only a readable presence is written
    return {"start": presence.start.strftime("%H:%M"), "end": presence.end.strftime("%H:%M") if presence.end else None,
            "comment": ATTENDANCE_MARKER.comment(presence.id), "approval": ATTENDANCE_APPROVED}


def _state(start: datetime, end: datetime | None, comment: str, approval: str) -> dict[str, Any]:
    """What is compared between a period and its presence: the day, the local times (an end on a later
    day says how many days later) and the marker and approval. The plan shows `view`."""
    later = f" +{(end.date() - start.date()).days}d" if end is not None and end.date() != start.date() else ""
    return {"day": start.date().isoformat(), "start": _hhmm(start), "end": (_hhmm(end) or "") + later,
            "comment": comment, "approval": approval}


def _period_state(period: AttendancePeriod) -> dict[str, Any]:
    if period.duration is not None:
        return duration_state(period.day, period.duration, period.comment, view(period)["approval"])
    return _state(period.start, period.end, period.comment, view(period)["approval"])


def _same(period: AttendancePeriod, start: datetime, end: datetime, comment: str) -> bool:
    """Whether `period` is in step with a presence from `start` to `end` with the marker `comment`: exactly
    `_period_state(period) == _state(start, end, comment, approved)`, without wording either (a steady-state
    plan compares every period it read)."""
    other = period.end
    return (other is not None and period.comment == comment
            and (period.status or ATTENDANCE_APPROVED) == ATTENDANCE_APPROVED
            and ((period.start == start and other == end)  # the common case, which implies all that follows
                 or (period.start.date() == start.date() and period.start.hour == start.hour
                     and period.start.minute == start.minute and other.hour == end.hour and other.minute == end.minute
                     and (other.date() - period.start.date()).days == (end.date() - start.date()).days)))


def _times(presence: Presence) -> tuple[datetime, datetime]:
    """Local start and end; an end not after the start crosses midnight (22:00–02:00 ends the next day)."""
    assert presence.start is not None and presence.end is not None
    start, end = datetime.combine(presence.day, presence.start), datetime.combine(presence.day, presence.end)
    return start, end if end > start else end + timedelta(days=1)


def _overlap(start: datetime, end: datetime, period: AttendancePeriod) -> bool:
    """Whether a period overlaps `start`..`end`. A duration-only period has no times to overlap (its day is
    `held_days`' to judge); only a timed one without an end is open, running on."""
    if period.duration is not None:
        return False
    other_end = period.end or datetime.max
    return period.start < end and start < other_end


class AttendancePlanner:
    """Plans a person at a time (`Planner`, sync/direction.py): the records by person are sorted out once, here."""

    def __init__(self, given: PlanInput) -> None:
        snapshot, self.matching, self.window = given.snapshot, given.matching, given.window
        presences_by_user: dict[int, list[Presence]] = defaultdict(list)
        self.unreadable: set[int] = set()  # presences MOCO gives without user or start: their periods stay as they are
        first, last = self.window.start, self.window.end  # `in window`, for every record read
        for presence in snapshot[sources.MOCO_PRESENCES]:
            if not first <= presence.day <= last:
                continue
            if not presence.readable:
                self.unreadable.add(presence.id)
            else:
                presences_by_user[presence.user_id].append(presence)
        periods_by_person: dict[str, list[AttendancePeriod]] = defaultdict(list)
        for period in snapshot[sources.PERSONIO_ATTENDANCE_PERIODS]:
            if first <= period.start.date() <= last:
                periods_by_person[period.person_id].append(period)
        self.presences_by_user, self.periods_by_person = presences_by_user, periods_by_person
        self.as_duration = given.spec.attendances.record_as == "duration"
        self.running = 0
        self.owned = 0  # the synced periods of the people planned, added up as they are
        self.planned: set[str] = set()

    def person(self, pair: Pair) -> PlannedPart:
        owned = claim(self.periods_by_person.get(pair.person.id, ()), ATTENDANCE_MARKER)
        self.owned += len(owned.all_ours()) if pair.person.id not in self.planned else 0
        self.planned.add(pair.person.id)
        planned = _Person(pair, self.unreadable, self.as_duration).plan(
            self.presences_by_user.get(pair.user.id, []), owned)
        self.running += planned.running
        return PlannedPart(changes=tuple(planned.changes), conflicts=tuple(planned.conflicts))

    def finish(self) -> PlannedPart:
        matching, running = self.matching, self.running
        others = {person_id: len(claim(self.periods_by_person[person_id], ATTENDANCE_MARKER).all_ours())
                  for person_id in sorted(self.periods_by_person) if person_id not in self.planned}
        orphans = {f"Personio person {person_id}": count for person_id, count in others.items()
                   if person_id not in matching.managed_person_ids}
        matched = f"{len(matching.pairs)} {'person' if len(matching.pairs) == 1 else 'people'} matched"
        notes = [f"working hours MOCO → Personio from {self.window} ({matched})"]
        if running:
            notes.append(f"{running} MOCO presence{'s are' if running != 1 else ' is'} still running; written once "
                         f"{'they end' if running != 1 else 'it ends'}")
        return PlannedPart(warnings=tuple(left_alone(orphans, "attendance period")), notes=tuple(notes),
                           owned=self.owned + sum(others.values()))


@dataclass
class _Person:
    """One person's presences against their Personio periods."""

    pair: Pair
    unreadable: set[int]  # presence ids MOCO lists without user or start
    as_duration: bool  # attendances.record_as: duration
    changes: list[Change] = field(default_factory=list)
    conflicts: list[Conflict] = field(default_factory=list)
    running: int = 0

    def change(self, action: Action, presence_day: Any, *, existing: list[AttendancePeriod], **fields: Any) -> None:
        target = existing[0] if existing else None
        self.changes.append(Change(
            action=action, direction=NAME, system="personio", kind="attendance",
            user=self.pair.person.email or self.pair.personio_email, person=self.pair.moco_email, date=presence_day,
            before=view(target) if target else None, target=target.id if target else None,
            removes=tuple(Removal(p.id, view(p)) for p in existing[1:]), **fields))

    def conflict(self, day: Any, reason: str) -> None:
        self.conflicts.append(Conflict(direction=NAME, system="personio", kind="attendance",
                                       user=self.pair.person.email or self.pair.personio_email,
                                       person=self.pair.moco_email, date=day, reason=reason))

    def plan(self, presences: list[Presence], owned: Claim[AttendancePeriod]) -> _Person:
        """Plan, then check that no write lands on a period that stays (one synced from another presence
        that is itself not written); block such writes as conflicts and plan again, until none does."""
        blocked: dict[int, str] = {}
        writes: dict[int, tuple[datetime, datetime]]
        held = held_days(presences, owned) if owned.handmade or owned.foreign else {}
        for _ in range(len(presences) + 1):
            self.changes, self.conflicts, self.running, writes = [], [], 0, {}
            self._pass(presences, owned, blocked, writes, held)
            collisions = self._collisions(presences, owned, writes, held)
            if not collisions:
                break
            blocked.update(collisions)
        for day, tracked in sorted(held.items()):
            self.conflict(day, held_reason(tracked, [p for p in owned.all_ours() if p.day == day]))
        return self

    def _pass(self, presences: list[Presence], owned: Claim[AttendancePeriod], blocked: dict[int, str],
              writes: dict[int, tuple[datetime, datetime]], held: dict[date, list[AttendancePeriod]]) -> None:
        previous: tuple[datetime, datetime] | None = None  # the last written presence: Personio refuses overlaps
        for presence in sorted(presences, key=attrgetter("day", "start", "id")):
            existing = owned.ours.get(presence.id, [])
            if presence.end is None:
                self.running += 1
                continue  # not written until it ends; a period synced before stays as it is
            if presence.day in held:
                continue  # a duration-only period Personio has there holds the day: one conflict says so
            if presence.end == presence.start:
                self.conflict(presence.day, f"MOCO presence {presence.start:%H:%M}–{presence.end:%H:%M} has no length; "
                                            "not written")
                continue
            start, end = _times(presence)
            if presence.id in blocked:
                self.conflict(presence.day, f"MOCO presence {span(start, end)} {blocked[presence.id]}; not written")
                continue
            stuck = sorted({period.day for period in existing if period.day in held})
            if stuck:
                self.conflict(presence.day, f"MOCO presence {span(start, end)} was moved here from {stuck[0]}, where "
                                            "Personio has a duration-only attendance (tracked without times); its "
                                            "period there is left as it is, and none is written here")
                continue
            if previous is not None and previous[1] > start:  # over midnight too
                why = "Personio would count those hours twice" if self.as_duration else \
                    "Personio refuses overlapping periods"
                self.conflict(presence.day, f"MOCO presences {span(*previous)} and {span(start, end)} overlap, and "
                                            f"{why}; the later one is not written")
                continue
            previous = start, end
            keep = existing[0] if existing else None
            comment, length = ATTENDANCE_MARKER.comment(presence.id), end - start
            in_step = keep is not None and (same_length(keep, presence.day, length, comment) if self.as_duration
                                            else _same(keep, start, end, comment))
            if in_step and len(existing) == 1:
                continue  # the steady state: nothing worded for it
            send: PeriodEdit | DurationEdit
            new: NewPeriod | NewDurationPeriod
            if self.as_duration:
                after = duration_view(length, comment, ATTENDANCE_APPROVED)
                wanted = duration_state(presence.day, length, comment, ATTENDANCE_APPROVED)
                send = DurationEdit(presence.day, length, comment)
                new = NewDurationPeriod(presence.day, length, comment, person_id=self.pair.person.id)
            else:
                after = wanted_view(presence)
                wanted = _state(start, end, comment, ATTENDANCE_APPROVED)
                send = PeriodEdit(start, end, comment)
                new = NewPeriod(start, end, comment, person_id=self.pair.person.id)
            source = f"MOCO presence {presence.id}"
            overlapping = sorted((p for p in owned.handmade + owned.foreign if _overlap(start, end, p)),
                                 key=lambda p: (p.start, p.id))
            if overlapping and not in_step:
                shown = ", ".join(f"{p.kind.lower()} {span(p.start, p.end)}" + (" with a comment" if p.comment else "")
                                  for p in overlapping)  # its words stay in Personio
                whose = "hand-made" if all(p in owned.handmade for p in overlapping) else "other"
                self.conflict(presence.day, f"{whose} Personio attendance ({shown}) overlaps MOCO presence "
                                            f"{span(start, end)}; not written")
                continue
            if keep is None:
                writes[presence.id] = start, end
                self.change("create", presence.day, existing=[], after=after, reason="worked in MOCO", source=source,
                            send=new)
            elif in_step:  # right already; only surplus copies go
                self.change("delete", presence.day, existing=existing[1:],
                            reason="a second synced period for this presence", source=source, surplus=True)
            elif keep.duration_only != self.as_duration:  # the other shape: no PATCH makes one of the other
                writes[presence.id] = start, end
                self.change("update", presence.day, existing=existing, after=after, send=Recreate(new),
                            reason=_recreate_reason(self.as_duration), source=source)
            else:
                writes[presence.id] = start, end
                self.change("update", presence.day, existing=existing, after=after, send=send,
                            reason=_update_reason(keep, wanted), source=source)
        kept = {presence.id for presence in presences} | self.unreadable
        for presence_id in sorted(owned.ours.keys() - kept):
            synced = owned.ours[presence_id]
            if any(period.day in held for period in synced):
                continue  # left as it is on a held day, as that day's conflict says
            self.change("delete", synced[0].start.date(), existing=synced, reason="deleted in MOCO",
                        source=f"MOCO presence {presence_id}")

    def _collisions(self, presences: list[Presence], owned: Claim[AttendancePeriod],
                    writes: dict[int, tuple[datetime, datetime]], held: dict[date, list[AttendancePeriod]]
                    ) -> dict[int, str]:
        """Writes that would overlap a synced period that stays: one of a presence not written (a conflict,
        running, or MOCO gives no start, or one on a held day), which Personio would refuse."""
        if not writes:  # the steady state
            return {}
        removed = {removal.id for change in self.changes for removal in change.removes} | \
            {change.target for change in self.changes if change.action == "delete"}
        present = {presence.id for presence in presences} | self.unreadable
        staying = [(presence_id, period) for presence_id, periods in owned.ours.items()
                   if (presence_id in present and presence_id not in writes) or any(p.day in held for p in periods)
                   for period in periods if period.id not in removed]
        found: dict[int, str] = {}
        for presence_id, (start, end) in sorted(writes.items()):
            for other, period in staying:
                if other != presence_id and _overlap(start, end, period):
                    found[presence_id] = f"overlaps {span(period.start, period.end)}, synced from MOCO presence {other}"
                    break
        return found


def _recreate_reason(as_duration: bool) -> str:
    """Why a synced period of the other kind is replaced: Personio turns neither kind into the other (`Recreate`)."""
    if as_duration:
        return "attendances.record_as: duration; the period with times is deleted and created anew without times"
    return "attendances.record_as: times; the duration-only period is deleted and created anew with times"


def _update_reason(period: AttendancePeriod, wanted: dict[str, Any]) -> str:
    before = _period_state(period)
    edits = [f"moved from {before['day']}"] if before["day"] != wanted["day"] else []
    edits += explain(before, wanted, FIELD_WORDS)
    parts = ["changed in MOCO: " + ", ".join(edits)] if edits else []
    if period.status not in ("", ATTENDANCE_APPROVED):
        parts.append(f"{period.status.lower()} in Personio; approved again")
    return "; ".join(parts)
