"""Properties of the two planners together, on random companies (see companies.py).

Each test plans a drawn company with both directions through the real snapshot code; most apply the
plan through the real `apply_changes` onto the company's fake clients, then look at what changed:

- after apply, a new plan has no changes, and the same conflicts (convergence);
- no change targets or removes a hand-made record (but a "not plannable" MOCO absence a synced one
  replaces), and after apply every hand-made record is as it was;
- nothing outside a direction's window is written or removed;
- one change per (system, person, day) for absences, and no record in two changes;
- the same input gives the same plan, planned twice or with every input list shuffled;
- after apply, Personio holds each ended presence once, with its local start and end;
- every write is one the systems accept (halves, start before end, no overlapping periods).

The smallest failures found so far are pinned as explicit examples (found.py). Profiles are in
profiles.py: `HYPOTHESIS_PROFILE=soak make test PYTEST_ARGS=tests/property` looks much harder.
"""

from __future__ import annotations

import random
from collections import Counter
from copy import deepcopy
from datetime import datetime, timedelta
from typing import Any

from hypothesis import example, find, given
from hypothesis import strategies as st

from reconciler.plan import Plan
from reconciler.records import AbsenceKind, AttendancePeriod, MocoAbsence
from reconciler.sync.identity import match_people
from reconciler.sync.ownership import absence_source, attendance_source, is_ours
from tests.property import found
from tests.property.companies import Drawn, companies
from tests.property.profiles import property_settings

WRITTEN = ("absences", "attendances")  # the two lists the directions write
READ_ONLY = ("users", "persons", "employments", "periods", "presences", "types")


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
    return drawn.absence_window if direction == "absences_to_moco" else drawn.hours_window


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


@property_settings()
@given(companies())
def test_after_apply_a_new_plan_has_nothing_to_do_and_the_same_conflicts(drawn: Drawn) -> None:
    plan = _plan(drawn)
    drawn.company.apply(plan)
    again = _plan(drawn)
    assert not again.changes, f"first plan:\n{_show(plan)}\n\nsecond plan:\n{_show(again)}"
    assert again.conflicts == plan.conflicts


@property_settings()
@given(companies())
def test_hand_made_records_are_never_touched(drawn: Drawn) -> None:
    records = _records(drawn)
    plan = _plan(drawn)
    for change in plan.changes:
        touched = ([change.target] if change.target is not None else []) + [r.id for r in change.removes]
        for record_id in touched:
            record = records[(change.system, record_id)]
            if change.system == "moco":
                ours = absence_source(record.comment) is not None
                replaceable = not is_ours(record.comment) and record.kind is AbsenceKind.UNPLANNABLE
                assert ours or replaceable, f"{change.action} touches hand-made {record}:\n{_show(plan)}"
            else:
                assert attendance_source(record.comment) is not None, \
                    f"{change.action} touches hand-made {record}:\n{_show(plan)}"

    before = records
    drawn.company.apply(plan)
    after = _records(drawn)
    synced_days = {(a.user_id, a.day) for a in drawn.company.absences if absence_source(a.comment) is not None}
    for key, record in before.items():
        mine = absence_source(record.comment) if key[0] == "moco" else attendance_source(record.comment)
        if mine is not None:
            continue
        if after.get(key) == record:
            continue
        # Only a hand-made "not plannable" MOCO absence may go, and only for a synced absence that day.
        assert key[0] == "moco" and not is_ours(record.comment) and record.kind is AbsenceKind.UNPLANNABLE, \
            f"hand-made {record} became {after.get(key)}:\n{_show(plan)}"
        assert (record.user_id, record.day) in synced_days, \
            f"hand-made “not plannable” {record} went, and no synced absence took its day:\n{_show(plan)}"


@property_settings()
@given(companies())
def test_nothing_outside_a_direction_s_window_is_written_or_removed(drawn: Drawn) -> None:
    records = _records(drawn)
    plan = _plan(drawn)
    for change in plan.changes:
        window = _window_of(drawn, change.direction)
        assert change.date in window, f"{change} is dated outside {window}"
        for record_id in ([change.target] if change.target is not None else []) + [r.id for r in change.removes]:
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
def test_one_change_per_person_and_day_for_absences(drawn: Drawn) -> None:
    plan = _plan(drawn)
    days = Counter((c.system, c.user, c.date) for c in plan.changes if c.kind == "absence")
    twice = [day for day, count in days.items() if count > 1]
    assert not twice, f"two changes for {twice}:\n{_show(plan)}"
    # ... and no record is named by two changes of the plan (a removal included).
    named = Counter((c.system, record_id) for c in plan.changes
                    for record_id in ([c.target] if c.target is not None else []) + [r.id for r in c.removes])
    assert all(count == 1 for count in named.values()), f"a record in two changes:\n{_show(plan)}"


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
