"""Personio employments and departments: `GET /v2/persons/{id}/employments` and `GET /v2/org-units`.

Documented (developer.personio.de/reference/get_v2-persons-person-id-employments.md): cursor pages, `limit` 1 to
50 (default 10; more is a 400 naming the limit), "the most recent employments appearing first", 404 for an
unknown person, and the scope of the persons API. A stand-in person has one employment (id `employment_id`),
made of the person's `hire_date`, `termination_date`, `weekly_hours` and `department_id`; under the knob
`sparse_persons` it comes with only `id`, `person` and `status`, as a credential that may not read its attributes
gets it (developer.personio.de/discuss/6914b9020a95c90a2bdeabbf).

`GET /v2/org-units?type=department` lists the departments (`PersonioState.org_units`); `type` is required (400
without), any other type lists none.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from reconciler.sandbox.personio.errors import bad_request, not_found
from reconciler.sandbox.personio.records import PersonioPerson
from reconciler.sandbox.personio.service import PersonioService


# UNVERIFIED (doctor: personio-employments): the attributes' names and shapes beyond `id`, `person` and `status`
# (reconciler/systems/personio/employments.py, SHAPE): the termination date at the top level, the hours a number,
# the department an entry of `org_units` with its `type`. The stand-in shows the first of reconcile's readings.
def employment_json(person: PersonioPerson, *, sparse: bool = False) -> dict[str, Any]:
    shown: dict[str, Any] = {"id": person.employment_id or f"employment-{person.id}", "person": {"id": person.id},
                             "status": person.status}
    if not sparse:
        shown |= {"start_date": person.hire_date, "termination_date": person.termination_date,
                  "weekly_working_hours": person.weekly_hours,
                  "org_units": [] if person.department_id is None else [{"id": person.department_id,
                                                                          "type": "department"}]}
    return {**shown, "_meta": {"links": {"person": {"href": f"/v2/persons/{person.id}"}}}}


class Employments(PersonioService):
    async def list_employments(self, request: web.Request) -> web.Response:
        self.auth(request)
        person = self.state.persons.get(request.match_info["id"])
        if person is None:
            raise not_found("There is no resource for the specified id.")

        def items(query: dict[str, str]) -> list[dict[str, Any]]:
            ids = {part.strip() for part in query.get("id", "").split(",") if part.strip()}
            shown = employment_json(person, sparse=self.knobs.sparse_persons)
            return [shown] if not ids or shown["id"] in ids else []

        return self.page(request, items, max_limit=50, default_limit=10)

    async def list_org_units(self, request: web.Request) -> web.Response:
        self.auth(request)

        def items(query: dict[str, str]) -> list[dict[str, Any]]:
            kind = query.get("type", "").strip()
            if not kind:
                raise bad_request("Missing required parameters: type.")
            return [unit.to_api() for unit in sorted(self.state.org_units.values(), key=lambda u: u.id)
                    if unit.type.upper() == kind.upper()]

        return self.page(request, items, max_limit=100, default_limit=10)
