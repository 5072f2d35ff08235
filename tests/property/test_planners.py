"""Properties of the three planners together, on random companies (see companies.py).

Each test plans a drawn company with every direction (absences and holidays Personio → MOCO, hours
MOCO → Personio) through the real snapshot code; most apply the plan through the real `apply_changes` onto
the company's fake clients, then look at what changed:

- after apply, a new plan has no changes, and the same conflicts (convergence);
- a change only targets or removes its own direction's synced records, or a hand-made "not plannable" MOCO
  absence it replaces; after apply every other record is as it was, and a "not plannable" that went was
  named by a change whose direction's synced record holds its day;
- nothing outside a direction's window is written or removed (holidays: the absences' window);
- one change per (direction, system, person, day) for MOCO absences, no record in two changes of any
  directions, and no MOCO day written by two directions;
- the same input gives the same plan, planned twice or with every input list shuffled;
- after apply, Personio holds each ended presence once, with its local start and end;
- after apply, a synced person's MOCO day holds at most one synced absence or holiday, and each working
  day with a Personio holiday of a synced kind holds exactly one public holiday and no synced absence
  (unless a hand-made record of another kind is in the way);
- every write is one the systems accept (halves, start before end, no overlapping periods).

The smallest failures found so far are pinned as explicit examples (found.py). Profiles are in
profiles.py: `HYPOTHESIS_PROFILE=soak make test PYTEST_ARGS=tests/property` looks much harder.
"""

from __future__ import annotations

import random
from collections import Counter, defaultdict
from copy import deepcopy
from datetime import date, datetime, timedelta
from typing import Any

from hypothesis import event, example, find, given
from hypothesis import strategies as st

from reconciler.plan import Plan
from reconciler.records import AbsenceKind, AttendancePeriod, Employment, Holiday, MocoAbsence
from reconciler.sync.identity import match_people
from reconciler.sync.ownership import (
    ABSENCE_MARKER,
    ATTENDANCE_MARKER,
    HOLIDAY_MARKER,
    Marker,
    absence_source,
    attendance_source,
    holiday_source,
    is_ours,
)
from tests.property import found
from tests.property.companies import Drawn, companies
from tests.property.profiles import property_settings

WRITTEN = ("absences", "attendances")  # the two lists the directions write
READ_ONLY = ("users", "persons", "employments", "periods", "presences", "holidays", "types")
MARKERS: dict[str, Marker] = {"absences_to_moco": ABSENCE_MARKER, "holidays_to_moco": HOLIDAY_MARKER,
                              "hours_to_personio": ATTENDANCE_MARKER}
PUBLIC = AbsenceKind.PUBLIC_HOLIDAY


class Reversed(random.Random):
    """A "shuffle" that reverses: the explicit examples' lists come out in the other order."""

    def shuffle(self, x: list) -> None:  # type: ignore[override]
        x.reverse()


def _plan(drawn: Drawn) -> Plan:
    return drawn.company.plan(drawn.spec)


def _records(drawn: Drawn) -> dict[tuple[str, Any], MocoAbsence | AttendancePeriod]:
    company = drawn.company
    return {**{("moco", a.id): a for a in company.absences}, **{("personio", p.id): p for p in company.attendances}}


def _in_window(drawn: Drawn, key: tuple[str, Any], record: Any) -> bool:
    if key[0] == "moco":
        return record.day in drawn.absence_window
    return record.start.date() in drawn.hours_window


def _window_of(drawn: Drawn, direction: str):  # noqa: ANN202
    """Holidays are planned over the absences' window."""
    return drawn.hours_window if direction == "hours_to_personio" else drawn.absence_window


def _synced(record: Any) -> bool:
    """Whether a record carries a marker of a direction that writes its system (a synced record)."""
    if isinstance(record, MocoAbsence):
        return absence_source(record.comment) is not None or holiday_source(record.comment) is not None
    return attendance_source(record.comment) is not None


def _named(change: Any) -> list[Any]:
    """The ids of the records a change writes or removes."""
    return ([change.target] if change.target is not None else []) + [r.id for r in change.removes]


def _show(plan: Plan) -> str:
    return "\n".join(f"{c.action} {c.system} {c.user} {c.date} target={c.target} removes="
                     f"{[r.id for r in c.removes]} before={c.before} after={c.after} ({c.reason})"
                     for c in plan.changes) or "(no changes)"


def _apply(drawn: Drawn) -> tuple[Plan, dict, dict]:
    """Plan, apply, and the written records before and after."""
    plan = _plan(drawn)
    before = _records(drawn)
    read_only = {name: list(getattr(drawn.company, name)) for name in READ_ONLY}
    drawn.company.apply(plan)
    assert {name: list(getattr(drawn.company, name)) for name in READ_ONLY} == read_only, "a read-only list changed"
    return plan, before, _records(drawn)


def test_the_generator_draws_records_in_both_systems() -> None:
    """Guards the guards: the strategy does draw companies with several records of each system."""
    find(companies(), lambda d: len(d.company.absences) > 3 and len(d.company.attendances) > 2,
         settings=property_settings(max_examples=500))
    # ... and holidays synced, with Personio holidays (two on one day) and public holidays synced before.
    find(companies(), lambda d: d.spec.holidays.sync and len({(h.person_id, h.day) for h in d.company.holidays}) > 2
         and len(d.company.holidays) > len({(h.person_id, h.day) for h in d.company.holidays})
         and sum(holiday_source(a.comment) is not None for a in d.company.absences) > 1,
         settings=property_settings(max_examples=500))


@property_settings()
@given(companies())
@example(found.conflict_naming_a_period_the_plan_fixes()).xfail(
    reason="hours planner: a conflict's reason shows a period the same plan updates, as it was", raises=AssertionError)
def test_after_apply_a_new_plan_has_nothing_to_do_and_the_same_conflicts(drawn: Drawn) -> None:
    plan = _plan(drawn)
    drawn.company.apply(plan)
    again = _plan(drawn)
    assert not again.changes, f"first plan:\n{_show(plan)}\n\nsecond plan:\n{_show(again)}"
    assert again.conflicts == plan.conflicts


@property_settings()
@given(companies())
def test_hand_made_records_are_never_touched(drawn: Drawn) -> None:
    """A change touches its own direction's synced records only (or a hand-made "not plannable" MOCO absence
    it replaces); after apply every other record is as it was, and a "not plannable" that went was named by
    a change whose direction's synced record now holds its day."""
    records = _records(drawn)
    plan = _plan(drawn)
    named: dict[tuple[str, Any], Any] = {}
    for change in plan.changes:
        marker = MARKERS[change.direction]
        for record_id in _named(change):
            record = records[(change.system, record_id)]
            named[(change.system, record_id)] = change
            ours = marker.source(record.comment) is not None
            replaceable = change.system == "moco" and not is_ours(record.comment) \
                and record.kind is AbsenceKind.UNPLANNABLE
            assert ours or replaceable, f"{change.direction} {change.action} touches {record}:\n{_show(plan)}"

    before = records
    drawn.company.apply(plan)
    after = _records(drawn)
    for key, record in before.items():
        if _synced(record) or after.get(key) == record:
            continue
        # Only a hand-made "not plannable" MOCO absence may go, and only for a synced record that day.
        assert key[0] == "moco" and not is_ours(record.comment) and record.kind is AbsenceKind.UNPLANNABLE, \
            f"hand-made {record} became {after.get(key)}:\n{_show(plan)}"
        change = named.get(key)
        assert change is not None, f"hand-made “not plannable” {record} became {after.get(key)}, and no change " \
                                   f"named it:\n{_show(plan)}"
        marker = MARKERS[change.direction]
        assert any(a.user_id == record.user_id and a.day == record.day and marker.source(a.comment) is not None
                   for a in drawn.company.absences), \
            f"hand-made “not plannable” {record} went, and no synced record of {change.direction} took its " \
            f"day:\n{_show(plan)}"


@property_settings()
@given(companies())
def test_nothing_outside_a_direction_s_window_is_written_or_removed(drawn: Drawn) -> None:
    records = _records(drawn)
    plan = _plan(drawn)
    for change in plan.changes:
        window = _window_of(drawn, change.direction)
        assert change.date in window, f"{change} is dated outside {window}"
        for record_id in _named(change):
            key = (change.system, record_id)
            assert _in_window(drawn, key, records[key]), f"{change} touches {records[key]} outside {window}"
        sent = change.send.to_json() if change.send is not None else {}
        written = sent.get("date") or sent.get("start")  # a MOCO update keeps its target's day
        if written:
            assert datetime.fromisoformat(written).date() in window, f"{change} writes outside {window}"

    drawn.company.apply(plan)
    after = _records(drawn)
    for key, record in records.items():
        if not _in_window(drawn, key, record):
            assert after.get(key) == record, f"{record} outside the window became {after.get(key)}:\n{_show(plan)}"
    for key, record in after.items():
        if records.get(key) != record:
            assert _in_window(drawn, key, record), f"{record} written outside the window:\n{_show(plan)}"


@property_settings()
@given(companies())
def test_one_change_per_direction_person_and_day_for_moco_absences(drawn: Drawn) -> None:
    plan = _plan(drawn)
    days = Counter((c.direction, c.system, c.user, c.date) for c in plan.changes if c.kind == "absence")
    twice = [day for day, count in days.items() if count > 1]
    assert not twice, f"two changes for {twice}:\n{_show(plan)}"
    # ... no record is named by two changes of the plan, of one direction or two (a removal included) ...
    named = Counter((c.system, record_id) for c in plan.changes for record_id in _named(c))
    assert all(count == 1 for count in named.values()), f"a record in two changes:\n{_show(plan)}"
    # ... and of the directions writing MOCO absences, one at most writes a day; the others only delete there.
    writers = defaultdict(set)
    for change in plan.changes:
        if change.kind == "absence" and change.action != "delete":
            writers[(change.system, change.user, change.date)].add(change.direction)
    both = {day: names for day, names in writers.items() if len(names) > 1}
    assert not both, f"two directions write {both}:\n{_show(plan)}"


@property_settings()
@given(companies(), st.randoms(use_true_random=False))
@example(found.two_hand_made_absences_on_a_vacation_day(), Reversed())
@example(found.two_hand_made_periods_over_a_presence(), Reversed())
@example(found.two_vacations_without_an_employment_pattern(), Reversed())
def test_same_input_same_plan_whatever_the_order_of_the_lists(drawn: Drawn, rnd: random.Random) -> None:
    plan = _plan(drawn)
    assert _plan(drawn) == plan, "planning twice gave two plans"
    shuffled = deepcopy(drawn)
    for name in (*WRITTEN, *READ_ONLY):
        items = list(getattr(shuffled.company, name))
        rnd.shuffle(items)
        setattr(shuffled.company, name, tuple(items) if name == "types" else items)
    again = _plan(shuffled)
    assert again.changes == plan.changes, f"in order:\n{_show(plan)}\n\nshuffled:\n{_show(again)}"
    assert again.conflicts == plan.conflicts
    assert again.warnings == plan.warnings
    assert again == plan
    assert again.fingerprint() == plan.fingerprint()


@property_settings()
@given(companies())
@example(found.synced_period_ending_a_day_late())
def test_after_apply_personio_holds_each_presence_as_moco_has_it(drawn: Drawn) -> None:
    """The hours direction's outcome, checked against a simple oracle: every ended presence of a
    synced person in the window, on a day without a conflict, is exactly one approved Personio period
    with its local start and end."""
    plan, _, _ = _apply(drawn)
    company = drawn.company
    matching = match_people(company.users, company.persons, drawn.spec.users)
    people = {pair.user.id: pair.person.id for pair in matching.pairs}
    emails = {pair.user.id: pair.moco_email for pair in matching.pairs}
    conflict_days = {(c.person, c.date) for c in plan.conflicts if c.system == "personio"}
    for presence in company.presences:
        if presence.user_id not in people or presence.end is None or presence.day not in drawn.hours_window:
            continue
        if (emails[presence.user_id], presence.day) in conflict_days:
            continue
        start = datetime.combine(presence.day, presence.start)
        end = datetime.combine(presence.day, presence.end)
        end = end if end > start else end + timedelta(days=1)
        synced = [p for p in company.attendances if attendance_source(p.comment) == presence.id
                  and p.person_id == people[presence.user_id]
                  and p.start.date() in drawn.hours_window]  # copies before the window: not read, not ours to judge
        assert [(p.start, p.end, p.status) for p in synced] == [(start, end, "CONFIRMED")], \
            f"presence {presence} is in Personio as {synced}:\n{_show(plan)}"


@property_settings()
@given(companies())
@example(found.presence_over_midnight_and_a_later_one_that_day())
@example(found.presence_over_midnight_and_one_the_next_morning())
@example(found.presence_over_a_period_with_another_marker())
@example(found.earlier_presence_over_one_synced_before())
def test_every_write_is_one_the_systems_accept(drawn: Drawn) -> None:
    """MOCO answers 500 to an absence of neither half; Personio refuses a period ending before it
    starts and, like the sandbox, overlapping periods of one person (the planner's own rule: a
    presence overlapping another period is a conflict, never a write)."""
    plan, before, after = _apply(drawn)
    for change in plan.changes:
        if change.action == "delete":
            continue
        if change.system == "moco":
            assert change.send.to_json()["am"] or change.send.to_json()["pm"], f"{change} has neither half"
        else:
            assert change.send.to_json()["start"] < change.send.to_json()["end"], f"{change} ends before it starts"
    written = [record for key, record in after.items() if key[0] == "personio" and before.get(key) != record]
    for period in written:
        others = [p for p in drawn.company.attendances if p.person_id == period.person_id and p.id != period.id
                  and p.start.date() in drawn.hours_window  # what the planner read; earlier ones it cannot see
                  and p.start < period.end and period.start < (p.end or datetime.max)]
        assert not others, f"apply wrote {period}, which overlaps {others}:\n{_show(plan)}"


def _works(employments: list[Employment], day: date) -> bool:
    """Whether a person works on `day` by MOCO: their latest employment covering it, else Monday to Friday."""
    if day.weekday() >= 5:
        return False
    covering = [e for e in employments if (e.start is None or e.start <= day) and (e.end is None or day <= e.end)]
    if not covering:
        return True
    latest = max(covering, key=lambda e: (e.start or date.min, e.id))
    return bool(latest.am[day.weekday()] or latest.pm[day.weekday()])


@property_settings()
@given(companies())
def test_after_apply_a_moco_day_holds_one_synced_record_and_each_holiday_its_public_holiday(drawn: Drawn) -> None:
    """After apply, for each synced person and day of the window in MOCO:

    - each direction that is on holds at most one record there (but on a day it has a conflict: left alone);
    - while absences are synced, no synced absence shares the day with a synced holiday (nor, while holidays
      are not synced, with the public holiday one of them left: a holiday for absences);
    - where holidays are synced, the person works and Personio has a holiday of a synced kind, and nothing
      is in the way (a hand-made record other than "not plannable" or a public holiday, another marker, a
      synced absence while absences are not synced): exactly one public holiday, synced with the halves
      Personio gives (all day if any entry is, else the afternoon) or hand-made, no "not plannable" beside a
      synced one, no synced absence, and no conflict.
    """
    plan, _, _ = _apply(drawn)
    company, spec = drawn.company, drawn.spec
    on = {"absences_to_moco": spec.absences.enabled, "holidays_to_moco": spec.holidays.sync}
    matching = match_people(company.users, company.persons, spec.users)
    conflicts = {(c.direction, c.person, c.date) for c in plan.conflicts if c.system == "moco"}
    by_day: dict[tuple[int, date], list[MocoAbsence]] = defaultdict(list)
    for absence in company.absences:
        by_day[(absence.user_id, absence.day)].append(absence)
    checked = 0  # holiday days checked (`--hypothesis-show-statistics` shows how often there are any)
    for pair in matching.pairs:
        email = pair.moco_email
        employments = [e for e in company.employments if e.user_id == pair.user.id]
        entries: dict[date, list[Holiday]] = defaultdict(list)
        for holiday in company.holidays:
            if holiday.person_id == pair.person.id and holiday.kind in spec.holidays.kinds:
                entries[holiday.day].append(holiday)
        for day in drawn.absence_window.days():
            records = by_day.get((pair.user.id, day), [])
            shown = f"{email} {day}: {records}\n{_show(plan)}"
            synced = {name: [a for a in records if MARKERS[name].source(a.comment) is not None] for name in on}
            for name, mine in synced.items():
                if on[name]:
                    assert len(mine) <= 1 or (name, email, day) in conflicts, f"{name} left {len(mine)}: {shown}"
            if on["absences_to_moco"] and synced["absences_to_moco"]:
                holidays = synced["holidays_to_moco"] if on["holidays_to_moco"] else \
                    [a for a in synced["holidays_to_moco"] if a.kind is PUBLIC]
                assert not holidays, f"a synced absence and a synced holiday: {shown}"

            if not (on["holidays_to_moco"] and entries.get(day) and _works(employments, day)):
                continue
            others = [a for a in records if a not in synced["holidays_to_moco"] and (
                (a in synced["absences_to_moco"] and not on["absences_to_moco"]) or
                (a not in synced["absences_to_moco"] and (is_ours(a.comment) or a.kind not in (
                    AbsenceKind.UNPLANNABLE, PUBLIC))))]
            if others:
                continue
            checked += 1
            assert ("holidays_to_moco", email, day) not in conflicts, f"a conflict, nothing in the way: {shown}"
            assert not (on["absences_to_moco"] and synced["absences_to_moco"]), f"a synced absence stays: {shown}"
            if any(a.kind is PUBLIC and not is_ours(a.comment) for a in records):
                assert not synced["holidays_to_moco"], f"a synced holiday beside a hand-made one: {shown}"
                continue
            full = any(not h.half_day for h in entries[day])
            assert [(a.kind, a.am, a.pm) for a in synced["holidays_to_moco"]] == [(PUBLIC, full, True)], \
                f"Personio's holiday {entries[day]} is not in MOCO as one: {shown}"
            assert all(a in synced["holidays_to_moco"] for a in records), f"more than the holiday: {shown}"
    event("holiday days checked", "none" if not checked else "1-2" if checked < 3 else "3 or more")
