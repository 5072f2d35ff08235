"""The employee lifecycle's planner on real records, real matching and real specs: who becomes a MOCO user today,
with which team and employment, whose MOCO user is archived, and who is never touched."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime

import pytest

from reconciler.errors import PlanError
from reconciler.plan.model import PlannedPart
from reconciler.plan.scope import Subset
from reconciler.plan.snapshot import Snapshot
from reconciler.records import Employment, MocoUnit, MocoUser, Person, PersonioEmployment
from reconciler.spec import Spec
from reconciler.sync import registry, sources
from reconciler.sync.build import build_plan
from reconciler.sync.direction import PlanInput
from reconciler.sync.identity import match_people
from reconciler.sync.people_to_moco import DIRECTION, describe
from reconciler.sync.people_to_moco.apply import Archive, NewUser
from tests.factories import make_spec

TODAY = date(2026, 12, 7)  # a Monday
YESTERDAY = date(2026, 12, 6)
UNITS = (MocoUnit(1, "Team 1"), MocoUnit(2, "Development"), MocoUnit(3, "Sales"))
DEPARTMENTS = (("d-eng", " engineering "), ("d-fin", "Finance"))
FIELDS = frozenset({"start_date", "termination_date", "weekly_working_hours", "department"})
FOUR = [4.0] * 5


def spec(*, create: bool = True, archive: bool = True, welcome: bool = True, default: str = "Team 1",
         by_department: str = "{Engineering: Development}", users: str = "") -> Spec:
    return make_spec(f"people: {{create_in_moco: {str(create).lower()}, archive_in_moco: {str(archive).lower()}, "
                     f"welcome_email: {str(welcome).lower()}, unit: {{default: {default}, "
                     f"by_department: {by_department}}}}}\n{users}")


def person(ident: str, email: str, first: str = "Nina", last: str = "Neumeyer", active: bool = True) -> Person:
    return Person(id=ident, email=email, first_name=first, last_name=last, active=active)


def user(ident: int, email: str, active: bool = True, team: str = "Team 1") -> MocoUser:
    return MocoUser(ident, email, email.split("@")[0].title(), "Moco", active, (), 1, team)


def employed(person_id: str, start: str | None = "2026-12-07", end: str | None = None, hours: float | None = 40.0,
             department: str | None = "d-eng") -> PersonioEmployment:
    return PersonioEmployment(id=f"e-{person_id}", person_id=person_id,
                              start=date.fromisoformat(start) if start else None,
                              end=date.fromisoformat(end) if end else None, weekly_hours=hours,
                              department_id=department, fields=FIELDS)


def moco_employment(ident: int, user_id: int, start: str | None, end: str | None) -> Employment:
    return Employment(ident, user_id, date.fromisoformat(start) if start else None,
                      date.fromisoformat(end) if end else None, tuple(FOUR), tuple(FOUR))


def planned(the_spec: Spec, users=(), persons=(), *, hires=(), leavers=(), moco=(), units=UNITS,
            departments=DEPARTMENTS, today: date = TODAY) -> PlannedPart:
    """The direction's planner over a snapshot of these records, who is who matched by the real matching."""
    snapshot = Snapshot(today, {
        sources.MOCO_USERS.name: tuple(users), sources.PERSONIO_PERSONS.name: tuple(persons),
        sources.MOCO_UNITS.name: tuple(units), sources.PERSONIO_DEPARTMENTS.name: tuple(departments),
        sources.PERSONIO_HIRES.name: tuple(hires), sources.PERSONIO_LEAVERS.name: tuple(leavers),
        sources.MOCO_EMPLOYMENTS.name: tuple(moco)})
    matching = match_people(list(users), list(persons), the_spec.users)
    return DIRECTION.plan(PlanInput(the_spec, snapshot, matching, DIRECTION.window(the_spec, today)))


NINA = person("p1", "nina@acme.example")


# ----------------------------------------------------------------------------- hires


def test_a_hire_starting_today_becomes_a_tagged_moco_user_with_an_employment_from_that_day():
    part = planned(spec(), [user(1, "max@acme.example")], [NINA, person("p2", "max@acme.example", "Max", "M")],
                   hires=[employed("p1")])
    (change,) = part.changes
    assert (change.action, change.direction, change.system, change.kind) == ("create", "people_to_moco", "moco",
                                                                            "user")
    assert (change.user, change.person, change.date, change.target) == ("nina@acme.example", "nina@acme.example",
                                                                       TODAY, None)
    assert change.after == {"name": "Nina Neumeyer", "email": "nina@acme.example", "team": "Development",
                            "weekly_hours": 40.0, "hired": "2026-12-07", "active": True}
    assert change.send.to_json() == {
        "firstname": "Nina", "lastname": "Neumeyer", "email": "nina@acme.example", "unit_id": 2, "active": True,
        "tags": ["reconcile:personio"], "welcome_email": True,
        "employment": {"from": "2026-12-07", "pattern": {"am": FOUR, "pm": FOUR}}}
    assert change.source == "Personio person p1"
    assert json.loads(json.dumps(change.to_json()))["send"]["tags"] == ["reconcile:personio"]
    assert part.warnings == () and part.notes == ()


def test_the_welcome_email_is_sent_as_the_spec_says():
    (change,) = planned(spec(welcome=False), [], [NINA], hires=[employed("p1")]).changes
    assert change.send.to_json()["welcome_email"] is False


def test_a_hire_from_months_ago_is_created_today_with_the_employment_from_the_real_hire_date():
    """create_in_moco switched on later, or a run missed: the user is made today, the employment starts when
    Personio says the person started."""
    (change,) = planned(spec(), [], [NINA], hires=[employed("p1", "2026-03-01")]).changes
    assert change.date == TODAY
    assert change.after["hired"] == "2026-03-01"
    assert change.send.to_json()["employment"]["from"] == "2026-03-01"
    assert change.reason.startswith("hired 2026-03-01")


def test_a_future_hire_gets_no_user_yet_and_the_plan_counts_them_without_names():
    persons = [NINA, person("p2", "olaf@acme.example", "Olaf", "Ost")]
    part = planned(spec(), [], persons, hires=[employed("p1", "2027-01-04"), employed("p2", "2026-12-14")])
    assert part.changes == ()
    assert part.notes == ("people: 2 hires start later (the first on 2026-12-14); their MOCO users are created on "
                          "their first day",)
    assert not any(word in note for note in part.notes for word in ("nina", "olaf", "Nina", "Olaf"))
    one = planned(spec(), [], [NINA], hires=[employed("p1", "2026-12-08")])
    assert one.changes == () and one.notes == ("people: 1 hire starts later (the first on 2026-12-08); their MOCO "
                                               "users are created on their first day",)


def test_the_hire_date_counts_in_the_spec_s_time_zone():
    """23:30 UTC on the 6th is already the 7th in Berlin: a hire starting on the 7th is created by that run, one
    starting on the 8th is not."""
    the_spec = spec()
    today = the_spec.today(datetime(2026, 12, 6, 23, 30, tzinfo=UTC))
    assert today == TODAY
    assert len(planned(the_spec, [], [NINA], hires=[employed("p1", "2026-12-07")], today=today).changes) == 1
    assert planned(the_spec, [], [NINA], hires=[employed("p1", "2026-12-08")], today=today).changes == ()


@pytest.mark.parametrize(("department", "team", "unit_id"), [
    pytest.param("d-eng", "Development", 2, id="mapped-ignoring-case-and-spaces"),
    pytest.param("d-fin", "Team 1", 1, id="unmapped-to-default"),
    pytest.param("d-unknown", "Team 1", 1, id="unknown-department-to-default"),
    pytest.param(None, "Team 1", 1, id="no-department-to-default"),
])
def test_a_hire_s_team_is_their_department_s_else_the_default(department, team, unit_id):
    (change,) = planned(spec(), [], [NINA], hires=[employed("p1", department=department)]).changes
    assert change.after["team"] == team and change.send.to_json()["unit_id"] == unit_id


def test_a_team_the_spec_names_that_moco_lacks_stops_the_plan_even_with_no_hire_due():
    with pytest.raises(PlanError, match=r"people\.unit\.by_department\.Engineering: no MOCO team 'Developmnet' "
                                        r"\(did you mean 'Development'\?\)"):
        planned(spec(by_department="{Engineering: Developmnet}"), [user(1, "max@acme.example")],
                [person("p2", "max@acme.example")])
    with pytest.raises(PlanError, match=r"people\.unit\.default: no MOCO team 'Sale' \(did you mean 'Sales'\?\)"):
        planned(spec(default="Sale"), [], [])


def test_moco_listing_no_team_stops_the_plan():
    with pytest.raises(PlanError, match=r"GET /units lists no team"):
        planned(spec(), [], [NINA], hires=[employed("p1")], units=())


@pytest.mark.parametrize(("hours", "each", "friday_pm"), [
    (38.3, 3.83, 3.83), (38.37, 3.83, 3.9), (37.75, 3.77, 3.82), (19.25, 1.92, 1.97)])  # docs/people.md's table
def test_odd_weekly_hours_leave_their_remainder_on_friday_afternoon_and_sum_exactly(hours, each, friday_pm):
    (change,) = planned(spec(), [], [NINA], hires=[employed("p1", hours=hours)]).changes
    pattern = change.send.to_json()["employment"]["pattern"]
    assert pattern["am"] == [each] * 5 and pattern["pm"] == [each] * 4 + [friday_pm]
    assert round(sum(pattern["am"]) + sum(pattern["pm"]), 2) == hours
    assert change.after["weekly_hours"] == hours


@pytest.mark.parametrize("hours", [None, 0.0])
def test_a_hire_without_weekly_hours_gets_a_user_without_an_employment_and_a_warning(hours):
    part = planned(spec(), [], [NINA], hires=[employed("p1", hours=hours)])
    (change,) = part.changes
    assert "employment" not in change.send.to_json()
    assert isinstance(change.send, NewUser) and change.send.employment is None
    assert change.after["weekly_hours"] is None
    assert part.warnings == ("Personio person nina@acme.example: no weekly hours in Personio; their MOCO user is "
                             "created without an employment (MOCO counts no target hours): add one in MOCO",)


def test_no_readable_employment_is_a_warning_and_no_user():
    part = planned(spec(), [], [NINA], hires=[])
    assert part.changes == ()
    assert part.warnings == ("Personio person nina@acme.example: Personio gives no hire date (allow the credential "
                             "to read employments' start_date); no MOCO user created",)
    assert planned(spec(), [], [NINA], hires=[employed("p1", start=None)]).changes == ()


def test_an_active_person_whose_employment_ended_is_not_hired():
    part = planned(spec(), [], [NINA], hires=[employed("p1", "2025-01-01", end="2026-11-30")])
    assert part.changes == ()
    assert part.warnings == ("Personio person nina@acme.example: left on 2026-11-30; no MOCO user created",)


def test_a_hire_without_a_name_is_not_created():
    part = planned(spec(), [], [person("p1", "nina@acme.example", first=" ", last="")], hires=[employed("p1")])
    assert part.changes == () and "no first or last name readable" in part.warnings[0]


def test_an_override_s_moco_email_is_the_new_user_s_email():
    the_spec = spec(users="users:\n  overrides:\n    - {personio: nina@private.example, moco: nina@acme.example}\n")
    (change,) = planned(the_spec, [], [person("p1", "nina@private.example")], hires=[employed("p1")]).changes
    assert change.send.to_json()["email"] == "nina@acme.example"
    assert (change.user, change.person, change.after["email"]) == ("nina@acme.example",) * 3


def test_an_excluded_person_is_never_hired():
    the_spec = spec(users="users:\n  exclude: [nina@acme.example]\n")
    part = planned(the_spec, [], [NINA], hires=[employed("p1")])
    assert part.changes == () and part.warnings == ()


def test_persons_sharing_an_email_are_never_hired():
    part = planned(spec(), [], [NINA, person("p2", "NINA@acme.example")], hires=[employed("p1"), employed("p2")])
    assert part.changes == ()


def test_with_create_off_nobody_is_hired_and_moco_s_teams_are_not_needed():
    part = planned(spec(create=False), [], [NINA], hires=[employed("p1")], units=())
    assert part.changes == () and part.notes == ()


# ----------------------------------------------------------------------------- leavers


def leaver_company(**kwargs):
    """Max left (INACTIVE in Personio), his MOCO user still active, with three employments: one open, one ended
    years ago, one starting after his last day."""
    users = [user(10, "max@acme.example"), user(11, "ida@acme.example")]
    persons = [person("p10", "max@acme.example", "Max", "Mustermann", active=False),
               person("p11", "ida@acme.example", "Ida", "Iversen")]
    moco = [moco_employment(100, 10, "2020-01-01", None), moco_employment(101, 10, "2015-01-01", "2019-12-31"),
            moco_employment(102, 10, "2027-01-01", None), moco_employment(110, 11, "2021-01-01", None)]
    return users, persons, moco


def test_a_leaver_s_user_is_archived_after_the_last_day_and_their_open_employment_ended_on_it():
    users, persons, moco = leaver_company()
    part = planned(spec(), users, persons, leavers=[employed("p10", "2020-01-01", end="2026-12-06")], moco=moco)
    (change,) = part.changes
    assert (change.action, change.kind, change.target, change.date) == ("update", "user", 10, TODAY)
    assert (change.user, change.person) == ("max@acme.example", "max@acme.example")
    assert change.send == Archive(10, YESTERDAY, (100,))  # not 101 (ended long ago), not 102 (starts later)
    assert change.send.to_json() == {"active": False, "employments": [{"id": 100, "to": "2026-12-06"}]}
    assert change.before["active"] is True and change.after["active"] is False
    assert change.after["employment_to"] == "2026-12-06"
    assert change.reason == "left 2026-12-06, inactive in Personio"
    assert part.warnings == ("MOCO user max@acme.example: 1 employment starts after their last day 2026-12-06; left "
                             "as it is",)


def test_a_leaver_without_a_termination_date_leaves_yesterday_and_the_reason_says_so():
    users, persons, moco = leaver_company()
    for found in ([employed("p10", "2020-01-01")], []):
        (change,) = planned(spec(), users, persons, leavers=found, moco=moco).changes
        assert change.send.last_day == YESTERDAY
        assert change.reason == ("Personio: inactive, with no termination date readable; employment ended "
                                 "2026-12-06, the day before this run")


@pytest.mark.parametrize("end", ["2026-12-07", "2026-12-31"])
def test_an_inactive_person_still_employed_until_today_or_later_is_not_archived_yet(end):
    users, persons, moco = leaver_company()
    part = planned(spec(), users, persons, leavers=[employed("p10", "2020-01-01", end=end)], moco=moco)
    assert part.changes == ()
    assert part.warnings == (f"MOCO user max@acme.example: inactive in Personio, but employed until {end}: archived "
                             "after that day",)


def test_with_archive_off_no_leaver_is_archived():
    users, persons, moco = leaver_company()
    part = planned(spec(archive=False), users, persons, leavers=[employed("p10", end="2026-12-01")], moco=moco)
    assert part.changes == ()


def test_a_freelancer_s_moco_user_no_person_claims_is_never_touched():
    users = [user(20, "freelancer@extern.example"), user(21, "gone@extern.example")]
    part = planned(spec(), users, [person("p21", "gone@extern.example", active=False), NINA],
                   hires=[employed("p1")], leavers=[employed("p21", end="2026-12-01")],
                   moco=[moco_employment(200, 20, None, None), moco_employment(210, 21, None, None)])
    assert {change.user for change in part.changes} == {"nina@acme.example", "gone@extern.example"}
    assert all(change.target != 20 for change in part.changes)


def test_an_archived_moco_user_is_neither_archived_again_nor_hired_anew():
    users = [user(30, "rehired@acme.example", active=False), user(31, "left@acme.example", active=False)]
    persons = [person("p30", "rehired@acme.example"), person("p31", "left@acme.example", active=False)]
    part = planned(spec(), users, persons, hires=[employed("p30")], leavers=[employed("p31", end="2026-01-31")],
                   moco=[moco_employment(300, 30, None, "2025-12-31")])
    assert part.changes == ()


def test_owned_counts_the_matched_pairs_active_or_leaving():
    users, persons, moco = leaver_company()
    users = [*users, user(12, "freelancer@extern.example")]
    part = planned(spec(), users, [*persons, NINA], hires=[employed("p1")], leavers=[], moco=moco)
    assert part.owned == 2  # Max and Ida; not Nina (no user yet), not the freelancer


def test_no_lifecycle_change_is_sensitive_so_every_format_shows_names_and_teams():
    users, persons, moco = leaver_company()
    part = planned(spec(), users, [*persons, NINA], hires=[employed("p1")],
                   leavers=[employed("p10", end="2026-12-01")], moco=moco)
    assert [change.action for change in part.changes] == ["create", "update"]
    assert not any(change.sensitive for change in part.changes)


# ----------------------------------------------------------------------------- how the plan shows them


def test_describe_says_who_which_team_and_the_week_or_the_archival():
    users, persons, moco = leaver_company()
    part = planned(spec(), users, [*persons, NINA], hires=[employed("p1")],
                   leavers=[employed("p10", end="2026-12-01")], moco=moco)
    hire, archive = part.changes
    assert describe(hire.after) == ("Nina Neumeyer <nina@acme.example>, team Development, 40 h a week from "
                                    "2026-12-07")
    assert describe(archive.before) == "Max Moco <max@acme.example>, team Team 1, active"
    assert describe(archive.after) == ("Max Moco <max@acme.example>, team Team 1, archived, employment ends "
                                       "2026-12-01")
    no_hours = planned(spec(), [], [NINA], hires=[employed("p1", hours=None, department=None)]).changes[0]
    assert describe(no_hours.after) == ("Nina Neumeyer <nina@acme.example>, team Team 1, no employment (no weekly "
                                        "hours)")
    assert DIRECTION.describe is describe


def test_the_direction_is_off_unless_the_spec_switches_a_part_on():
    assert DIRECTION.off(spec(create=False, archive=False)) == ("people: not synced (people.create_in_moco and "
                                                                "people.archive_in_moco: false)")
    assert DIRECTION.off(spec(create=True, archive=False)) is None
    assert DIRECTION.off(spec(create=False, archive=True)) is None


def test_the_direction_reads_only_what_its_parts_need():
    window = DIRECTION.window(spec(), TODAY)
    assert (window.start, window.end) == (TODAY, TODAY)
    names = {need.source.name for need in DIRECTION.reads(spec(create=True, archive=False), window)}
    assert names == {"moco.units", "personio.employments_of_hires", "personio.departments"}
    names = {need.source.name for need in DIRECTION.reads(spec(create=False, archive=True), window)}
    assert names == {"personio.employments_of_leavers", "moco.employments"}
    names = {need.source.name for need in DIRECTION.reads(spec(by_department="{}"), window)}
    assert "personio.departments" not in names


# ----------------------------------------------------------------------------- through build_plan


def full_snapshot(the_spec: Spec, users, persons, *, hires=(), leavers=(), moco=()) -> Snapshot:
    return Snapshot(TODAY, {
        sources.MOCO_USERS.name: tuple(users), sources.PERSONIO_PERSONS.name: tuple(persons),
        sources.MOCO_UNITS.name: UNITS, sources.PERSONIO_DEPARTMENTS.name: DEPARTMENTS,
        sources.PERSONIO_HIRES.name: tuple(hires), sources.PERSONIO_LEAVERS.name: tuple(leavers),
        sources.MOCO_EMPLOYMENTS.name: tuple(moco)})


def test_user_plans_one_hire_by_either_email_and_no_one_else():
    the_spec = spec(users="users:\n  overrides:\n    - {personio: nina@private.example, moco: nina@acme.example}\n")
    users, persons, moco = leaver_company()
    persons = [*persons, person("p1", "nina@private.example"), person("p2", "olaf@acme.example", "Olaf", "Ost")]
    read = full_snapshot(the_spec, users, persons, hires=[employed("p1"), employed("p2")],
                         leavers=[employed("p10", end="2026-12-01")], moco=moco)
    directions = registry.select(("people_to_moco",))
    everyone = build_plan(the_spec, read, directions, partial=True)
    assert sorted(c.user for c in everyone.changes) == ["max@acme.example", "nina@acme.example", "olaf@acme.example"]
    for email in ("nina@private.example", "nina@acme.example"):
        plan = build_plan(the_spec, read, directions, partial=True, subset=Subset(users=(email,)))
        assert [(c.action, c.user) for c in plan.changes] == [("create", "nina@acme.example")]


def test_from_and_to_leaving_out_today_leave_the_lifecycle_unplanned():
    users, persons, moco = leaver_company()
    read = full_snapshot(spec(), users, [*persons, NINA], hires=[employed("p1")],
                         leavers=[employed("p10", end="2026-12-01")], moco=moco)
    directions = registry.select(("people_to_moco",))
    assert len(build_plan(spec(), read, directions, partial=True, subset=Subset(start=TODAY, end=TODAY)).changes) == 2
    later = build_plan(spec(), read, directions, partial=True, subset=Subset(start=date(2026, 12, 8)))
    assert later.changes == ()
    assert later.notes == ("people Personio → MOCO: no day of its window is within --from/--to",)
