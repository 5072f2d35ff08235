"""Incremental runs, the pure parts: the bound `--changed-since` names, and the scope per direction."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from reconciler.errors import ReconcileError
from reconciler.plan.model import Subset
from reconciler.plan.scope import ALL_DAYS, MARGIN, Touched, describe, parse_since
from reconciler.plan.snapshot import Window
from reconciler.read.changed import scopes
from reconciler.records import MocoUser, Person
from reconciler.spec.model import UserSettings
from reconciler.sync.identity import match_people

NOW = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)


@pytest.mark.parametrize(("text", "moment"), [
    ("75m", NOW - timedelta(minutes=75)), ("2h", NOW - timedelta(hours=2)), ("1d", NOW - timedelta(days=1)),
    ("90s", NOW - timedelta(seconds=90)), (" 15 m ", NOW - timedelta(minutes=15)),
    ("2026-11-30T08:00:00Z", datetime(2026, 11, 30, 8, tzinfo=UTC)),
    ("2026-11-30T09:00:00+01:00", datetime(2026, 11, 30, 8, tzinfo=UTC)),
    ("2026-11-30T08:00:00", datetime(2026, 11, 30, 8, tzinfo=UTC)),  # no offset: UTC
])
def test_the_bound_is_a_duration_before_the_services_now_or_a_moment(text, moment):
    assert parse_since(text, NOW) == moment


@pytest.mark.parametrize(("text", "message"), [
    ("yesterday", "not a duration"), ("-5m", "not a duration"), ("0h", "above zero"),
    ("2026-12-01T00:00:00Z", "that is after now"),
])
def test_a_bound_that_cannot_be_read_is_an_error_naming_it(text, message):
    with pytest.raises(ReconcileError, match=message):
        parse_since(text, NOW)


def people():
    users = [MocoUser(1, "jane@acme.example", "Jane", "", True), MocoUser(2, "max@acme.example", "Max", "", True),
             MocoUser(3, "freelancer@other.example", "Fred", "", True)]
    persons = [Person("p1", "jane@acme.example", "Jane", "", True), Person("p2", "max@acme.example", "Max", "", True)]
    return match_people(users, persons, UserSettings(overrides=(), exclude=frozenset()))


WINDOWS = {"hours": Window(date(2026, 1, 1), date(2026, 11, 30)),
           "absences": Window(date(2026, 1, 1), date(2027, 3, 30))}


def test_each_direction_plans_the_people_and_the_span_of_days_that_changed():
    found = scopes({
        "hours": Touched(moco={1: frozenset({date(2026, 11, 27)}), 3: frozenset({date(2026, 11, 30)})},
                         personio={"p2": frozenset({date(2026, 11, 12)})}),
        "absences": Touched(personio={"p1": ALL_DAYS}),
    }, people(), WINDOWS)
    # the freelancer is synced by nobody: left out; Max's Personio edit counts by his pair
    assert found["hours"] == Subset(users=("jane@acme.example", "max@acme.example"), start=date(2026, 11, 12),
                                    end=date(2026, 11, 27))
    assert found["absences"] == Subset(users=("jane@acme.example",), start=date(2026, 1, 1), end=date(2027, 3, 30))


def test_nothing_changed_or_only_outside_the_window_plans_nothing():
    found = scopes({"hours": Touched(), "absences": Touched(moco={1: frozenset({date(2027, 6, 1)})})},
                   people(), WINDOWS)
    assert found == {"hours": None, "absences": None}
    assert scopes({}, people(), {"hours": None}) == {"hours": None}


def test_the_plan_says_which_kind_of_run_it_was():
    line = describe(NOW, {"hours": Subset(users=("jane@acme.example",), start=date(2026, 11, 27),
                                          end=date(2026, 11, 27)), "absences": None},
                    {"hours": "working hours MOCO → Personio", "absences": "absences Personio → MOCO"})
    assert line.startswith("incremental run: changes since 2026-11-30T08:55:00Z (the bound sent: "
                           f"2026-11-30T09:00:00Z asked for, less {int(MARGIN.total_seconds() // 60)} min")
    assert "working hours MOCO → Personio: 1 person (jane@acme.example) and days 2026-11-27 to 2026-11-27" in line
    assert "absences Personio → MOCO: nothing changed" in line
