"""Personio absence types and absence periods: the cursor-paged lists and deleting a period."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from reconciler.sandbox.personio.errors import not_found
from reconciler.sandbox.personio.service import PersonioService, csv
from reconciler.sandbox.personio.webhooks import record


class Absences(PersonioService):
    async def list_absence_types(self, request: web.Request) -> web.Response:
        self.auth(request)
        return self.page(request, lambda q: [t.to_api() for t in self.state.absence_types.values()],
                         max_limit=100, default_limit=100)

    async def list_absence_periods(self, request: web.Request) -> web.Response:
        self.auth(request)

        def items(query: dict[str, str]) -> list[dict[str, Any]]:
            ids, persons, types = csv(query.get("id")), csv(query.get("person.id")), csv(query.get("absence_type.id"))
            # "Date ranges match overlapping periods" (docs): starts_from.gte and ends_at.lte form a
            # window, and every period overlapping it is returned, open-ended ones included.
            # UNVERIFIED beyond that sentence (doctor: personio-filters); the other two bounds are applied literally.
            window_start = query.get("starts_from.date_time.gte")
            window_end = query.get("ends_at.date_time.lte")
            starts_before = query.get("starts_from.date_time.lte")
            ends_after = query.get("ends_at.date_time.gte")
            updated_gte, updated_lte = query.get("updated_at.gte"), query.get("updated_at.lte")
            rows = []
            for p in sorted(self.state.absence_periods.values(), key=lambda p: (p.person_id, p.starts_from, p.id)):
                end = p.ends_at or "9999-12-31T23:59:59"
                if ids is not None and p.id not in ids or persons is not None and p.person_id not in persons:
                    continue
                if types is not None and p.absence_type_id not in types:
                    continue
                if window_start and end < window_start or window_end and p.starts_from > window_end:
                    continue
                if starts_before and p.starts_from > starts_before or ends_after and end < ends_after:
                    continue
                stamp = p.updated_at.rstrip("Z")
                if updated_gte and stamp < updated_gte or updated_lte and stamp > updated_lte:
                    continue
                rows.append(p.to_api(approval=self.knobs.absence_approval))
            return rows

        return self.page(request, items, max_limit=100, default_limit=100)

    async def delete_absence_period(self, request: web.Request) -> web.Response:
        self.auth(request)
        period = self.state.absence_periods.pop(request.match_info["id"], None)
        if period is None:
            raise not_found()
        record(self.state, "absence-period.deleted", period)
        return web.Response(status=204)
