"""The employee lifecycle's planner: hires become MOCO users, leavers' MOCO users are archived. Pure: a
`PlanInput` in, changes and warnings out; no I/O. The rules (docs/people.md):

- **Hires** (`people.create_in_moco`): an employed Personio person whose MOCO email (the override's, else their
  own) belongs to no MOCO user, not excluded, not sharing an email, becomes a MOCO user on or after their hire
  date (never before), in their department's team or the default one, tagged `USER_TAG`, with an employment from
  the hire date whose pattern spreads Personio's weekly hours over Monday to Friday (wanted.py). Without weekly
  hours the user is created without one, and the plan says so.
- **Leavers** (`people.archive_in_moco`): a matched person Personio no longer employs (INACTIVE) whose MOCO user
  is active is archived after their last day (their employment's termination date), the user's employments open
  on that day ended on it.
- Never: a MOCO user no Personio person claims (freelancers, externals), an excluded or shared one, two hires
  who would have one MOCO email (an override naming another's address), a delete, a reactivation. Every team
  the spec names must be a MOCO team (a `PlanError` naming the key otherwise).
- Names, emails and teams are not sensitive: every change shows them, in every format.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from datetime import date
from typing import Any

from reconciler.errors import PlanError
from reconciler.plan.model import Change, PlannedPart
from reconciler.records import Employment, MocoUnit, MocoUser, Person, PersonioEmployment
from reconciler.spec.model import PeopleSettings
from reconciler.sync import sources
from reconciler.sync.absences_to_moco.moco_days import employments_by_user
from reconciler.sync.direction import PlanInput
from reconciler.sync.identity import Pair
from reconciler.sync.ownership import PERSON_MARKER, USER_TAG
from reconciler.sync.people_to_moco.apply import Archive, NewEmployment, NewUser
from reconciler.sync.people_to_moco.wanted import Hire, current, find_team, hire, leaver, team_for, team_keys

NAME = "people_to_moco"


def plan(given: PlanInput) -> PlannedPart:
    settings, snapshot, today = given.spec.people, given.snapshot, given.snapshot.today
    changes: list[Change] = []
    warnings: list[str] = []
    notes: list[str] = []
    if settings.create_in_moco:
        units = snapshot[sources.MOCO_UNITS]
        check_teams(settings, units)
        departments = dict(snapshot[sources.PERSONIO_DEPARTMENTS])
        employments = _by_person(snapshot[sources.PERSONIO_HIRES])
        later: list[date] = []
        claims = Counter(email for _, email in given.matching.unmatched)
        for person, email in given.matching.unmatched:
            if claims[email] > 1:  # e.g. an override naming another person's address: one user for two people
                warnings.append(f"Personio person {person.email}: {claims[email]} Personio persons would have the "
                                f"MOCO email {email}; none of them gets a MOCO user (fix users.overrides)")
                continue
            found = employments.get(person.id, [])
            employment = current(found)
            if employment is not None and employment.start is not None and employment.start > today:
                later.append(employment.start)
                continue
            change, warning = _hire(person, email, hire(found, today), settings, units, departments,
                                    today)
            changes += [change] if change else []
            warnings += [warning] if warning else []
        if later:
            notes.append(f"people: {len(later)} hire{'s start' if len(later) != 1 else ' starts'} later (the first on "
                         f"{min(later)}); their MOCO users are created on their first day")
    if settings.archive_in_moco:
        employments = _by_person(snapshot[sources.PERSONIO_LEAVERS])
        moco = employments_by_user(snapshot[sources.MOCO_EMPLOYMENTS])
        for pair in given.matching.pairs:
            if not pair.person.active:
                change, warning = _leaver(pair, employments.get(pair.person.id, []), moco.get(pair.user.id, []),
                                          today)
                changes += [change] if change else []
                warnings += [warning] if warning else []
    # The guard's pool: everyone matched, also when `--user` plans some of them (the others stay managed); an
    # incremental run reads who is who only for the people touched, and counts against those (plan/guard.py).
    return PlannedPart(changes=tuple(changes), warnings=tuple(warnings), notes=tuple(notes),
                       owned=len(given.matching.managed_user_ids))


def check_teams(settings: PeopleSettings, units: tuple[MocoUnit, ...] | list[MocoUnit]) -> None:
    """Every team the spec names is a MOCO team, whether or not a hire is due (a typo shows on the first run)."""
    if not units:
        raise PlanError("MOCO: GET /units lists no team, and every MOCO user needs one: people.create_in_moco "
                        "cannot create users (is the API key a staff member's?)")
    for key, team in team_keys(settings):
        find_team(team, units, key)


def _by_person(employments: Iterable[PersonioEmployment]) -> dict[str, list[PersonioEmployment]]:
    """Each person's employments, in the order Personio lists them (the most recent first)."""
    found: dict[str, list[PersonioEmployment]] = defaultdict(list)
    for employment in employments:
        found[employment.person_id].append(employment)
    return found


def _hire(person: Person, email: str, decided: Hire | str, settings: PeopleSettings, units: Any,
          departments: dict[str, str], today: date) -> tuple[Change | None, str | None]:
    """A hire's user, made today (the day of the run: on their hire date, or later when a run was missed or
    create_in_moco was switched on later; the employment still starts on the hire date)."""
    if isinstance(decided, str):
        return None, f"Personio person {email}: {decided}; no MOCO user created"
    if not person.first_name.strip() or not person.last_name.strip():
        return None, (f"Personio person {email}: no first or last name readable, which MOCO requires; no MOCO user "
                      "created (allow the credential to read them)")
    department = departments.get(decided.employment.department_id or "")
    team = team_for(department, settings, units)
    employment = NewEmployment(decided.start, *decided.pattern) if decided.pattern else None
    hours = decided.employment.weekly_hours if decided.pattern else None
    after = {"name": person.name, "email": email, "team": team.name, "weekly_hours": hours,
             "hired": decided.start.isoformat(), "active": True}
    send = NewUser(person.first_name.strip(), person.last_name.strip(), email, team.id, settings.welcome_email,
                   (USER_TAG,), employment)
    reason = f"hired {decided.start}" + (f", department {department}" if department else "") + ", no MOCO user"
    warning = None if employment else (f"Personio person {email}: no weekly hours in Personio; their MOCO user is "
                                       "created without an employment (MOCO counts no target hours): add one in MOCO")
    return Change(action="create", direction=NAME, system="moco", kind="user", user=email, person=email,
                  date=today, after=after, send=send, reason=reason,
                  source=f"{PERSON_MARKER.label} {person.id}"), warning


def _leaver(pair: Pair, found: list[PersonioEmployment], open_in_moco: list[Employment], today: date
            ) -> tuple[Change | None, str | None]:
    """A leaver's archival, made today (the day after their last day, or later)."""
    decided = leaver(found, today)
    user = pair.user
    if isinstance(decided, str):
        return None, f"MOCO user {user.email}: {decided}"
    last = decided.last_day
    ends = tuple(sorted(e.id for e in open_in_moco if (e.start is None or e.start <= last)
                        and (e.end is None or e.end > last)))
    starting = sorted(e.id for e in open_in_moco if e.start is not None and e.start > last)
    warning = (f"MOCO user {user.email}: {len(starting)} employment{'s start' if len(starting) != 1 else ' starts'} "
               f"after their last day {last}; left as {'they are' if len(starting) != 1 else 'it is'}") \
        if starting else None
    before = _user_view(user) | {"active": True, "employments_open": list(ends)}
    after = _user_view(user) | {"active": False, "employment_to": last.isoformat()}
    reason = f"left {last}, inactive in Personio" if decided.said else \
        f"Personio: inactive, with no termination date readable; employment ended {last}, the day before this run"
    return Change(action="update", direction=NAME, system="moco", kind="user", user=user.email,
                  person=pair.moco_email, date=today, before=before, after=after, target=user.id,
                  send=Archive(user.id, last, ends), reason=reason,
                  source=f"{PERSON_MARKER.label} {pair.person.id}"), warning


def _user_view(user: MocoUser) -> dict[str, Any]:
    return {"name": user.name, "email": user.email, "team": user.unit_name}
