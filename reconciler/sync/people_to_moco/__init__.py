"""People Personio → MOCO, the employee lifecycle: a hire gets a MOCO user (and an employment) on their first
day, a leaver's MOCO user is archived after their last day. Opt-in (`people.create_in_moco`,
`people.archive_in_moco`). It plans people's accounts, not records on days: its window is today, and its
changes are made today. Full runs read Personio's employments of the people who may be hired or may have left
(after who is who); incremental runs and `serve` plan the people a Personio person or employment event, or a
changed MOCO user, names."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

from reconciler.plan.scope import Touched
from reconciler.plan.snapshot import Need, Window
from reconciler.spec import Spec
from reconciler.spec.model import MIN_ARCHIVALS, PEOPLE_OFF
from reconciler.sync import sources
from reconciler.sync.direction import MOCO, PERSONIO, Direction, Lifecycle, Watched
from reconciler.sync.ownership import PERSON_MARKER
from reconciler.sync.people_to_moco.apply import PeopleSteps
from reconciler.sync.people_to_moco.planner import NAME, plan
from reconciler.systems.connect import Clients


def off(spec: Spec) -> str | None:
    return None if spec.people.synced else f"people: not synced ({PEOPLE_OFF})"


def window(spec: Spec, today: date) -> Window:
    """Today: accounts are made and archived on the day of the run."""
    return Window(today, today)


def reads(spec: Spec, days: Window) -> tuple[Need, ...]:
    """The employments of who may be hired or may have left (after who is who); MOCO's teams and Personio's
    departments for hires; MOCO's employments to end a leaver's."""
    people = spec.people
    out: list[Need] = []
    if people.create_in_moco:
        out += [Need(sources.MOCO_UNITS), Need(sources.PERSONIO_HIRES)]
        out += [Need(sources.PERSONIO_DEPARTMENTS)] if people.teams_by_department else []
    if people.archive_in_moco:
        out += [Need(sources.PERSONIO_LEAVERS), Need(sources.MOCO_EMPLOYMENTS)]
    return tuple(out)


async def touched(clients: Clients, days: Window, since: datetime) -> Touched:
    """Nothing beyond the people: MOCO's changed users, and Personio's person and employment events, which every
    direction watching people gets (read/changed.py, read/personio.py)."""
    return Touched()


def describe(values: Mapping[str, Any]) -> str:
    """A user as the plan shows it: "Nina Neumeyer <nina@acme.example>, team Development, 40 h a week"."""
    text = f"{values.get('name', '')} <{values.get('email', '')}>, team {values.get('team') or '(none)'}"
    if values.get("active") is False:
        return f"{text}, archived, employment ends {values.get('employment_to')}"
    if "hired" in values:
        hours = values.get("weekly_hours")
        week = f"{hours:g} h a week from {values['hired']}" if hours else "no employment (no weekly hours)"
        return f"{text}, {week}"
    return f"{text}, active"


# A hire is a Personio person event (person.created, employment.*); a leaver too (status, termination); a user
# archived or reactivated by hand a MOCO User webhook.
WATCHES = (Watched(MOCO, "User", person=True), Watched(PERSONIO, "person", person=True))

DIRECTION = Direction(
    name=NAME, title="people Personio → MOCO", system="moco", service="MOCO", kind="user", off=off, window=window,
    reads=reads, plan=plan, describe=describe, steps=PeopleSteps(), marker=PERSON_MARKER, touched=touched,
    watches=WATCHES, lifecycle=Lifecycle(MIN_ARCHIVALS),
)
