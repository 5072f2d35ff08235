"""The `personio-employments` check: whether Personio's `GET /v2/persons/{id}/employments` answers on this account,
and which of the attributes the coming people direction needs its employments carry (systems/personio/employments.py
`SHAPE`: where the termination date and the department sit, and the scope, are guesses until Personio publishes
them); and whether the departments list (`GET /v2/org-units`) answers.

It reads one employment of the first person listed (`limit=1`) and one page of departments, as reconcile would.
Nothing syncs people yet: what is missing or refused is a warning at worst. The detail says what was seen: field
names and counts, never a person, an id or a date.
"""

from __future__ import annotations

from reconciler.doctor.model import Check, passed, skipped, warned
from reconciler.doctor.personio_reads import persons
from reconciler.doctor.reads import Context, field_said
from reconciler.errors import ApiError, PermissionDenied, UnexpectedResponse
from reconciler.systems.http import Record, Source
from reconciler.systems.personio import employments

NAME = "personio-employments"
SOURCE = Source("Personio", "GET /v2/persons/{id}/employments")
NOT_YET = "no direction syncs people yet"
NEEDED = ((employments.START, "the hire date"), (employments.END, "the termination date, for leavers"),
          (employments.HOURS, "hires would get no MOCO employment"),
          (employments.DEPARTMENT, "hires would get the default team"))


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
    except UnexpectedResponse:
        raise
    except ApiError as error:
        return warned(NAME, f"{shown} was refused ({error.status}; reconcile assumes personio:persons:read covers "
                            f"it); {NOT_YET}, but creating and archiving MOCO users would need it")
    body = response.body
    rows = body.get("_data", body.get("data")) if isinstance(body, dict) else None
    if not isinstance(rows, list):
        return warned(NAME, f"{shown} did not answer with a `_data` list; {NOT_YET}")
    return judge(rows, await _departments(ctx))


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


def judge(rows: list[object], departments: str = "") -> Check:
    """The first employment read as reconcile reads it; the attributes found, and those missing."""
    also = f"; {departments}" if departments else ""
    if not rows:
        return warned(NAME, f"the first person lists no employment: its fields could not be looked at{also}")
    row = rows[0]
    try:
        read = employments.read_employment(Record(SOURCE, employments.KIND, row))
    except UnexpectedResponse as error:
        names = ", ".join(sorted(row)) if isinstance(row, dict) else "none"
        return warned(NAME, f"an employment does not read as reconcile reads it ({field_said(error, SOURCE)}); its "
                            f"fields: {names}; {NOT_YET}{also}")
    assert isinstance(row, dict)  # it read
    found = [name for name, _ in NEEDED if name in read.fields]
    termination = employments.termination_given(row)
    said = ", ".join(f"{name} (as {termination})" if name == employments.END and termination != employments.END
                     else name for name in found) or "none"
    missing = [f"{name} ({why})" for name, why in NEEDED if name not in read.fields]
    if missing or departments:
        lacking = f"; missing: {', '.join(missing)} (the credential may not read these attributes)" if missing \
            else ""
        return warned(NAME, f"an employment reads with {said}{lacking}{also}; {NOT_YET}")
    return passed(NAME, f"an employment reads with {said}; the departments list answers")


