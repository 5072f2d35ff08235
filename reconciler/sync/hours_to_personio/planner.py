"""The working-hours planner: MOCO presences become approved Personio attendance periods.

Pure: (spec, snapshot, matching) in, changes, conflicts and warnings out; no I/O. The rules
(with `attendances.direction: moco_to_personio`; `personio_managed` writes nothing):

- Each MOCO presence of a matched person, from `start_date` to today, becomes one Personio WORK
  period with the same local start and end, approved (`skip_approval=true`), carrying the marker
  comment with the presence id. A presence still running (no end yet) is not written until it ends.
- A presence edited in MOCO (any day since `start_date`) patches its period; a presence deleted in
  MOCO deletes its period. A synced period someone un-approved in Personio is approved again.
- Periods without the marker were entered in Personio by hand and are never touched. One that
  overlaps a presence we would write makes that presence a conflict instead of a write.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta
from typing import Any

from reconciler.sync.identity import Matching, Pair
from reconciler.sync.ownership import attendance_comment, attendance_source, is_ours
from reconciler.records import AttendanceDirection, AttendancePeriod, Presence
from reconciler.plan import Change, Conflict, PlannedPart
from reconciler.plan.snapshot import Snapshot
from reconciler.spec import Spec

APPROVED = "CONFIRMED"


def _hhmm(moment: datetime | None) -> str | None:
    return None if moment is None else moment.strftime("%H:%M")


def _span(moment_from: datetime, moment_to: datetime | None) -> str:
    end = _hhmm(moment_to) or "…"
    if moment_to is not None and moment_to.date() != moment_from.date():
        end = f"{moment_to.date()} {end}"
    return f"{_hhmm(moment_from)}–{end}"


def view(period: AttendancePeriod) -> dict[str, Any]:
    # A period whose approval Personio does not state counts as approved: re-approving it on every
    # run would never converge (the third-party v2 fixture carries no `approval` at all).
    return {"start": _hhmm(period.start), "end": _hhmm(period.end), "comment": period.comment,
            "approval": period.status or APPROVED}


def wanted_view(presence: Presence) -> dict[str, Any]:
    return {"start": presence.start.strftime("%H:%M"), "end": presence.end.strftime("%H:%M") if presence.end else None,
            "comment": attendance_comment(presence.id), "approval": APPROVED}


def _times(presence: Presence) -> tuple[datetime, datetime]:
    """Local start and end; an end not after the start crosses midnight (22:00–02:00 ends the next day)."""
    assert presence.end is not None
    start, end = datetime.combine(presence.day, presence.start), datetime.combine(presence.day, presence.end)
    return start, end if end > start else end + timedelta(days=1)


def _overlap(start: datetime, end: datetime, period: AttendancePeriod) -> bool:
    other_end = period.end or datetime.max
    return period.start < end and start < other_end


def plan_attendances(spec: Spec, snapshot: Snapshot, matching: Matching) -> PlannedPart:
    if spec.attendances.direction is AttendanceDirection.PERSONIO_MANAGED:
        return PlannedPart(notes=("working hours: managed in Personio (attendances.direction: personio_managed); "
                                  "nothing is written there",))
    start, end = spec.attendance_window(snapshot.today)
    presences_by_user: dict[int, list[Presence]] = defaultdict(list)
    for presence in snapshot.presences:
        if start <= presence.day <= end:
            presences_by_user[presence.user_id].append(presence)
    periods_by_person: dict[str, list[AttendancePeriod]] = defaultdict(list)
    for period in snapshot.attendance_periods:
        if start <= period.start.date() <= end:
            periods_by_person[period.person_id].append(period)

    changes: list[Change] = []
    conflicts: list[Conflict] = []
    running = 0
    for pair in matching.pairs:
        part = plan_person(pair, presences_by_user.get(pair.user.id, []), periods_by_person.get(pair.person.id, []))
        changes += part[0]
        conflicts += part[1]
        running += part[2]

    warnings: list[str] = []
    for person_id, periods in sorted(periods_by_person.items()):
        if person_id in matching.managed_person_ids:
            continue
        count = sum(1 for p in periods if is_ours(p.comment))
        if count:
            warnings.append(f"Personio person {person_id} is no longer synced (excluded, unmatched or archived): "
                            f"{count} attendance period{'s' if count != 1 else ''} reconcile wrote earlier "
                            f"{'are' if count != 1 else 'is'} left alone")
    notes = [f"working hours MOCO → Personio from {start} to {end} ({len(matching.pairs)} people matched)"]
    if running:
        notes.append(f"{running} MOCO presence{'s are' if running != 1 else ' is'} still running; written once "
                     f"{'they end' if running != 1 else 'it ends'}")
    return PlannedPart(changes=tuple(changes), conflicts=tuple(conflicts), warnings=tuple(warnings),
                       notes=tuple(notes))


def plan_person(pair: Pair, presences: list[Presence], periods: list[AttendancePeriod]
                ) -> tuple[list[Change], list[Conflict], int]:
    email = pair.person.email or pair.personio_email  # as Personio has it
    person = pair.moco_email
    ours: dict[int, list[AttendancePeriod]] = defaultdict(list)
    handmade: list[AttendancePeriod] = []
    for period in periods:
        source = attendance_source(period.comment)
        if source is not None:
            ours[source].append(period)
        elif not is_ours(period.comment):
            handmade.append(period)
    for synced in ours.values():
        synced.sort(key=lambda p: p.id)

    changes: list[Change] = []
    conflicts: list[Conflict] = []
    running = 0
    wanted_ids = set()
    previous: Presence | None = None  # the last ended presence, to catch overlaps Personio would refuse
    for presence in sorted(presences, key=lambda p: (p.day, p.start, p.id)):
        wanted_ids.add(presence.id)
        existing = ours.get(presence.id, [])
        if presence.end is None:
            running += 1
            continue  # not written until it ends; a period synced before stays as it is
        start, end = _times(presence)
        if previous is not None and previous.day == presence.day and previous.end and previous.end > presence.start:
            conflicts.append(Conflict(
                user=email, person=person, date=presence.day, system="personio", kind="attendance",
                reason=f"MOCO presences {_span(*_times(previous))} and {_span(start, end)} overlap, and Personio "
                       "refuses overlapping periods; the later one is not written",
            ))
            continue
        previous = presence
        after = wanted_view(presence)
        write = {"person_id": pair.person.id, "start": start.isoformat(), "end": end.isoformat()}
        source = f"MOCO presence {presence.id}"
        keep = existing[0] if existing else None
        extras = tuple(p.id for p in existing[1:])
        in_step = keep is not None and keep.start.date() == presence.day and view(keep) == after
        if in_step and not extras:
            continue
        overlapping = [p for p in handmade if _overlap(start, end, p)]
        if overlapping and not in_step:
            shown = ", ".join(f"{p.kind.lower()} {_span(p.start, p.end)}" + (f" “{p.comment}”" if p.comment else "")
                              for p in overlapping)
            conflicts.append(Conflict(
                user=email, person=person, date=presence.day, system="personio", kind="attendance",
                reason=f"hand-made Personio attendance ({shown}) overlaps MOCO presence "
                       f"{_span(start, end)}; not written",
            ))
            continue
        if keep is None:
            changes.append(Change(action="create", system="personio", kind="attendance", user=email, person=person,
                                  date=presence.day, after=after, reason="worked in MOCO", source=source,
                                  write=write))
        elif in_step:  # right already; only surplus copies go
            changes.append(Change(action="delete", system="personio", kind="attendance", user=email, person=person,
                                  date=presence.day, before=view(existing[1]), target=existing[1].id,
                                  also_delete=extras[1:], reason="a second synced period for this presence",
                                  source=source))
        else:
            changes.append(Change(action="update", system="personio", kind="attendance", user=email, person=person,
                                  date=presence.day, before=view(keep), after=after, target=keep.id, also_delete=extras,
                                  reason=_update_reason(keep, presence, after), source=source, write=write))
    for presence_id, synced in sorted(ours.items()):
        if presence_id in wanted_ids:
            continue
        first = synced[0]
        changes.append(Change(action="delete", system="personio", kind="attendance", user=email, person=person,
                              date=first.start.date(), before=view(first), target=first.id,
                              also_delete=tuple(p.id for p in synced[1:]), reason="deleted in MOCO",
                              source=f"MOCO presence {presence_id}"))
    return changes, conflicts, running


def _update_reason(period: AttendancePeriod, presence: Presence, after: dict[str, Any]) -> str:
    edits = []
    if period.start.date() != presence.day:
        edits.append(f"moved from {period.start.date()}")
    if (_hhmm(period.start), _hhmm(period.end)) != (after["start"], after["end"]):
        edits.append("times")
    if period.comment != after["comment"]:
        edits.append("source")
    parts = ["changed in MOCO: " + ", ".join(edits)] if edits else []
    if period.status not in ("", APPROVED):
        parts.append(f"{period.status.lower()} in Personio; approved again")
    return "; ".join(parts)
