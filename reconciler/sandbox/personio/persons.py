"""Personio persons: the cursor-paged list with its filters, and one person by id."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from reconciler.sandbox.common import json_response
from reconciler.sandbox.personio.errors import bad_request, not_found
from reconciler.sandbox.personio.records import PersonioPerson
from reconciler.sandbox.personio.service import LOCAL_DATE_TIME, PersonioService, csv


class Persons(PersonioService):
    def person_json(self, person: PersonioPerson, origin: str) -> dict[str, Any]:
        links = {"employments": {"href": f"{origin}/v2/persons/{person.id}/employments"}}
        if self.knobs.sparse_persons:
            return {"employments": [{"id": person.employment_id}], "id": person.id, "_meta": {"links": links}}
        return {
            "id": person.id,
            "email": person.email,
            "created_at": person.created_at,
            "updated_at": person.updated_at,
            "first_name": person.first_name,
            "last_name": person.last_name,
            "preferred_name": f"{person.first_name} {person.last_name}",
            "gender": "UNKNOWN",
            "profile_picture": {"url": f"{origin}/v1/company/employees/{person.id}/profile-picture"},
            "status": person.status,
            "custom_attributes": [],
            "employments": [{"id": person.employment_id}],
            "_meta": {"links": links},
        }

    async def list_persons(self, request: web.Request) -> web.Response:
        self.auth(request)
        origin = str(request.url.origin())

        def items(query: dict[str, str]) -> list[dict[str, Any]]:
            ids = csv(query.get("id"))
            emails = {e.lower() for e in csv(query.get("email")) or set()}
            status = query.get("status")
            after = query.get("updated_at.gt")
            if after is not None and not LOCAL_DATE_TIME.match(after):
                raise bad_request("Invalid request content.")
            return [
                self.person_json(p, origin)
                for p in sorted(self.state.persons.values(), key=lambda p: int(p.id))
                if (ids is None or p.id in ids) and (not emails or (p.email or "").lower() in emails)
                and (not status or p.status == status) and (after is None or p.updated_at.rstrip("Z") > after)
            ]

        return self.page(request, items, max_limit=50, default_limit=10)

    async def get_person(self, request: web.Request) -> web.Response:
        self.auth(request)
        person = self.state.persons.get(request.match_info["id"])
        if person is None:
            raise not_found("There is no resource for the specified id.")
        return json_response(self.person_json(person, str(request.url.origin())))
