"""The people direction's reads (issue 24, `people_to_moco`): MOCO's teams and whether the spec's team names are
among them (`moco-units`), Personio's departments and whether `people.unit.by_department` names them
(`personio-departments`), and whether Personio's inactive persons carry the termination date a leaver's MOCO user
is archived after (`personio-leavers`).

Each runs only where the spec switches the direction on (`people.create_in_moco`, `people.archive_in_moco`), and
skips otherwise. Teams and departments are configuration and are named; persons never are: counts only, no id,
no email, no date of one.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import cast

from reconciler.doctor.model import Check, Status, failed, passed, plural, skipped, warned, worst
from reconciler.doctor.personio_employments import PERSON_PATH
from reconciler.doctor.reads import Context, refused, trouble
from reconciler.errors import ApiError, PlanError
from reconciler.records import MocoUnit, Person, PersonioEmployment
from reconciler.spec.model import PEOPLE_OFF, PeopleSettings, normalise_department_name
from reconciler.sync.people_to_moco.wanted import current, find_team, team_keys

UNITS, DEPARTMENTS, LEAVERS = "moco-units", "personio-departments", "personio-leavers"
LEAVERS_SAMPLE = 5  # inactive persons whose employments are read
DEFAULT_KEY = "people.unit.default"
BY_DEPARTMENT = "people.unit.by_department"


# ----------------------------------------------------------------------------------------------- moco-units


async def moco_units(ctx: Context) -> Check:
    """Every MOCO team (`GET /units`, as the direction reads them); where hires are created, each team the spec
    names found as the direction finds it (`find_team`)."""
    people = ctx.spec.people
    if not people.synced:
        return skipped(UNITS, PEOPLE_OFF)
    try:
        units = await ctx.clients.moco.units()
    except ApiError as error:
        if refused(error):
            return failed(UNITS, f"{trouble(error)}; the people direction reads MOCO's teams here, which takes "
                                 "staff rights")
        raise
    return judge_units(units, people)


def judge_units(units: Sequence[MocoUnit], people: PeopleSettings) -> Check:
    seen = plural(len(units), "team")
    if not people.create_in_moco:
        return passed(UNITS, f"{seen} (GET /units answers; people.create_in_moco is false: no team is looked up)")
    keys = team_keys(people)
    wrong = []
    for key, name in keys:
        try:
            find_team(name, units, key)
        except PlanError as error:
            wrong.append(str(error))
    if wrong:
        return failed(UNITS, f"{seen}; {'; '.join(wrong)}: a plan that creates a hire stops there")
    return passed(UNITS, f"{seen}; the {plural(len(keys), 'team name')} the spec gives "
                         f"({DEFAULT_KEY}{f', {BY_DEPARTMENT}' if people.teams_by_department else ''}) found")


# ----------------------------------------------------------------------------------------------- departments


async def personio_departments(ctx: Context) -> Check:
    """Every Personio department (`GET /v2/org-units?type=DEPARTMENT`); each key of `people.unit.by_department`
    among them."""
    people = ctx.spec.people
    if not people.synced:
        return skipped(DEPARTMENTS, PEOPLE_OFF)
    if not people.create_in_moco:
        return skipped(DEPARTMENTS, "people.create_in_moco is false: no hire's department is looked at")
    if not people.teams_by_department:
        return skipped(DEPARTMENTS, f"{BY_DEPARTMENT} is empty: every hire gets the team of {DEFAULT_KEY}")
    try:
        departments = await ctx.clients.personio.departments()
    except ApiError as error:
        if refused(error):
            return failed(DEPARTMENTS, f"{trouble(error)}: {BY_DEPARTMENT} maps departments by the names this "
                                       "list gives")
        raise
    return judge_departments(departments, people)


def judge_departments(departments: Mapping[str, str], people: PeopleSettings) -> Check:
    listed = {normalise_department_name(name) for name in departments.values()}
    keys = [name for name, _ in people.teams_by_department]
    missing = [name for name in keys if normalise_department_name(name) not in listed]
    seen = f"Personio lists {plural(len(departments), 'department')}"
    if missing:
        names = ", ".join(repr(name) for name in missing)
        return warned(DEPARTMENTS, f"{seen}; {len(missing)} of the {plural(len(keys), 'key')} of {BY_DEPARTMENT} "
                                   f"{'names' if len(missing) == 1 else 'name'} none of them ({names}; compared "
                                   f"ignoring case): hires in it get the default team ({DEFAULT_KEY})")
    return passed(DEPARTMENTS, f"{seen}; {'the key' if len(keys) == 1 else f'each of the {len(keys)} keys'} of "
                               f"{BY_DEPARTMENT} names one of them")


# ----------------------------------------------------------------------------------------------- leavers


async def personio_leavers(ctx: Context) -> Check:
    """Every person as the client reads them; the employments of up to LEAVERS_SAMPLE inactive ones, as the
    direction reads them (the most recent first)."""
    people = ctx.spec.people
    if not people.synced:
        return skipped(LEAVERS, PEOPLE_OFF)
    if not people.archive_in_moco:
        return skipped(LEAVERS, "people.archive_in_moco is false: no leaver is archived")
    client = ctx.clients.personio
    everyone = cast(list[Person], await ctx.shared.once("person-records", client.persons))
    inactive = [person for person in everyone if not person.active]
    sample = inactive[:LEAVERS_SAMPLE]
    try:
        employments = await client.employments([person.id for person in sample]) if sample else []
    except ApiError as error:  # worded without the person's id, which the path holds
        said = PERSON_PATH.sub("/v2/persons/{id}/employments", trouble(error))
        return failed(LEAVERS, f"{said}: leavers are archived after the termination date their employment gives")
    return judge_leavers(len(everyone), len(inactive), [person.id for person in sample], employments)


def judge_leavers(total: int, inactive: int, sample: Sequence[str], employments: Sequence[PersonioEmployment]
                  ) -> Check:
    """Of the sampled inactive persons, how many have no termination date on their current employment."""
    if not sample:
        return passed(LEAVERS, f"no inactive person among {plural(total, 'person')}: nobody to archive in MOCO")
    mine: dict[str, list[PersonioEmployment]] = {}
    for employment in employments:
        mine.setdefault(employment.person_id, []).append(employment)
    latest = [current(mine.get(person, [])) for person in sample]
    without = [employment for employment in latest if employment is None or employment.end is None]
    unread = sum(employment is None or "termination_date" not in employment.fields for employment in without)
    n, k = len(sample), len(without)
    of = f"the first {n} of {inactive} inactive persons" if inactive > n else \
        "the 1 inactive person" if n == 1 else f"all {n} inactive persons"
    verdicts: list[tuple[Status, str]] = []
    if without:
        verdicts.append(("warn", f"{k} of {plural(n, 'inactive person')} {'has' if k == 1 else 'have'} no "
                                 "termination date readable: their MOCO users are archived with the employment "
                                 "ended the day before the run"))
        if unread:
            verdicts.append(("warn", f"{unread} of them without the attribute (the credential may not read it)"))
        verdicts.append(("pass", f"read: {of}"))
    else:
        verdicts.append(("pass", f"{of} {'has' if n == 1 else 'have'} a termination date: their MOCO users are "
                                 "archived after that day"))
    return worst(LEAVERS, verdicts)
