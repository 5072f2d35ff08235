"""The `personio-employments` check: whether Personio's `GET /v2/persons/{id}/employments` answers on this account,
and which of the attributes the coming people direction needs its employments carry (systems/personio/employments.py
`SHAPE`: where the termination date and the department sit, and the scope, are guesses until Personio publishes
them); and whether the departments list (`GET /v2/org-units`) answers.

It reads one employment of the first person listed (`limit=1`) and one page of departments, as reconcile would.
Where the spec leaves the people direction off (`people.create_in_moco`, `people.archive_in_moco`), what is
missing or refused is a warning at worst. Where it is on, what would make the direction wrong fails: the
endpoint refused or not read, an employment that does not read, `start_date` missing where hires are created;
the termination date missing (personio-leavers judges it on inactive persons), weekly hours or the department
missing, or the departments list refused, stay warnings (hires then get no employment, or the default team;
personio-departments judges the list). The detail says what was seen: field names and counts, never a person, an
id or a date.
"""

from __future__ import annotations

import re

from reconciler.doctor.model import Check, Status, failed, passed, skipped, warned
from reconciler.doctor.personio_reads import persons
from reconciler.doctor.reads import Context, field_said, trouble
from reconciler.errors import ApiError, PermissionDenied, UnexpectedResponse
from reconciler.spec.model import PeopleSettings
from reconciler.systems.http import Record, Source
from reconciler.systems.personio import employments

NAME = "personio-employments"
SOURCE = Source("Personio", "GET /v2/persons/{id}/employments")
NOT_YET = "no direction syncs people yet"
PERSON_PATH = re.compile(r"/v2/persons/[^/\s]+/employments")  # as errors name it; the person's id is taken out
NEEDED = ((employments.START, "the hire date"), (employments.END, "the termination date, for leavers"),
          (employments.HOURS, "hires would get no MOCO employment"),
          (employments.DEPARTMENT, "hires would get the default team"))
# Where the direction is on: what a missing attribute does, the switch it matters to, and whether it then fails.
CREATE, ARCHIVE = "people.create_in_moco", "people.archive_in_moco"
ON = {employments.START: ("no hire is created: the hire date is what creates one", CREATE, True),
      # A warning only: the employment looked at is usually an employed person's, which may well leave the
      # termination out; personio-leavers looks at inactive persons' own and fails the way that matters.
      employments.END: ("leavers' MOCO users are archived with the employment ended the day before the run, unless "
                        "an inactive person's employment has it (personio-leavers looks)", ARCHIVE, False),
      employments.HOURS: ("hires are created without an employment", CREATE, False),
      employments.DEPARTMENT: ("hires get the default team", CREATE, False)}


async def employments_check(ctx: Context) -> Check:
    try:
        everyone = await persons(ctx)
    except PermissionDenied:
        return skipped(NAME, "skipped: Personio refused personio:persons:read, which names the persons whose "
                             "employments are read (see personio-scopes)")
    ids = [str(row["id"]) for row in everyone if isinstance(row, dict) and row.get("id")]
    if not ids:
        return skipped(NAME, "no Personio person whose employments could be read")
    service = ctx.clients.personio.service
    path = employments.path(ids[0])
    shown = SOURCE.endpoint
    try:
        response = await service.request("GET", path, params={"limit": 1})
    except UnexpectedResponse as error:  # said with the path's person id taken out: a detail names nobody
        said = f"{shown} did not answer as reconcile reads it ({PERSON_PATH.sub(shown, trouble(error))})"
        return (failed if _on(ctx.spec.people) else warned)(NAME, said)
    except ApiError as error:
        said = f"{shown} was refused ({error.status}; reconcile assumes personio:persons:read covers it)"
        if _on(ctx.spec.people):
            return failed(NAME, f"{said}; {_switched(ctx.spec.people)}: the people direction reads every person's "
                                "employments, and a run that syncs people stops here")
        return warned(NAME, f"{said}; {NOT_YET}, but creating and archiving MOCO users would need it")
    body = response.body
    rows = body.get("_data", body.get("data")) if isinstance(body, dict) else None
    if not isinstance(rows, list):
        if _on(ctx.spec.people):
            return failed(NAME, f"{shown} did not answer with a `_data` list; {_switched(ctx.spec.people)}: a run "
                                "that syncs people stops here")
        return warned(NAME, f"{shown} did not answer with a `_data` list; {NOT_YET}")
    return judge(rows, await _departments(ctx), ctx.spec.people)


def _on(people: PeopleSettings | None) -> bool:
    return people is not None and people.synced


def _switched(people: PeopleSettings) -> str:
    """`people.create_in_moco is true` (or archive, or both)."""
    on = [key for key, yes in ((CREATE, people.create_in_moco), (ARCHIVE, people.archive_in_moco)) if yes]
    return f"{' and '.join(on)} {'are' if len(on) > 1 else 'is'} true"


async def _departments(ctx: Context) -> str:
    """What one page of `GET /v2/org-units?type=DEPARTMENT` says, or "" when it answers with names."""
    params = {**employments.org_units_params(), "limit": 1}
    try:
        response = await ctx.clients.personio.service.request("GET", employments.ORG_UNITS, params=params)
    except UnexpectedResponse:
        raise
    except ApiError as error:
        return f"the departments list (GET {employments.ORG_UNITS}?type=DEPARTMENT) was refused ({error.status})"
    body = response.body
    rows = body.get("_data", body.get("data")) if isinstance(body, dict) else None
    if not isinstance(rows, list) or not all(isinstance(row, dict) and isinstance(row.get("name"), str)
                                             for row in rows):
        return f"the departments list (GET {employments.ORG_UNITS}) answers without a `_data` list of named units"
    return ""


def judge(rows: list[object], departments: str = "", people: PeopleSettings | None = None) -> Check:
    """The first employment read as reconcile reads it; the attributes found, and those missing. `people`: the
    spec's section, where the direction is on (else what is missing warns, as nothing reads it yet)."""
    if _on(people):
        assert people is not None
        return _judge_on(rows, departments, people)
    also = f"; {departments}" if departments else ""
    if not rows:
        return warned(NAME, f"the first person lists no employment: its fields could not be looked at{also}")
    read = _read(rows[0])
    if isinstance(read, str):
        return warned(NAME, f"{read}; {NOT_YET}{also}")
    found, said = read
    missing = [f"{name} ({why})" for name, why in NEEDED if name not in found]
    if missing or departments:
        lacking = f"; missing: {', '.join(missing)} (the credential may not read these attributes)" if missing \
            else ""
        return warned(NAME, f"an employment reads with {said}{lacking}{also}; {NOT_YET}")
    return passed(NAME, f"an employment reads with {said}; the departments list answers")


def _read(row: object) -> tuple[frozenset[str], str] | str:
    """The attributes an employment came with, and how to say them (`termination_date (as …)`); or, when it does
    not read as reconcile reads it, why (the field, never its value) and the fields it has."""
    try:
        read = employments.read_employment(Record(SOURCE, employments.KIND, row))
    except UnexpectedResponse as error:
        names = ", ".join(sorted(row)) if isinstance(row, dict) else "none"
        return f"an employment does not read as reconcile reads it ({field_said(error, SOURCE)}); its fields: {names}"
    assert isinstance(row, dict)  # it read
    found = [name for name, _ in NEEDED if name in read.fields]
    termination = employments.termination_given(row)
    said = ", ".join(f"{name} (as {termination})" if name == employments.END and termination != employments.END
                     else name for name in found) or "none"
    return read.fields, said


def _judge_on(rows: list[object], departments: str, people: PeopleSettings) -> Check:
    """Where the direction is on: what would make it wrong fails, the rest warns (ON)."""
    switched = _switched(people)
    also = f"; {departments}" if departments else ""
    if not rows:
        return warned(NAME, f"the first person lists no employment: its fields could not be looked at{also}; "
                            f"{switched}")
    read = _read(rows[0])
    if isinstance(read, str):
        return failed(NAME, f"{read}; {switched}: a run that syncs people stops there{also}")
    found, said = read
    verdicts: list[tuple[Status, str]] = []
    for name, (does, key, fails) in ON.items():
        if name in found:
            continue
        if not (people.create_in_moco if key == CREATE else people.archive_in_moco):
            verdicts.append(("warn", f"{name} missing ({key} is false: not read yet)"))
        else:
            verdicts.append(("fail" if fails else "warn", f"{name} missing: {does}"))
    if departments:
        verdicts.append(("warn", departments))
    status: Status = next((s for s in ("fail", "warn") if any(v == s for v, _ in verdicts)), "pass")
    lacking = "; ".join(text for _, text in verdicts)
    if status == "pass":
        return passed(NAME, f"an employment reads with {said}; the departments list answers; {switched}")
    why = " (the credential may not read these attributes)" if len(found) < len(ON) else ""
    return Check(NAME, status, f"an employment reads with {said}; {lacking}{why}; {switched}")
