"""MOCO users and their employments (weekly work patterns): read-only, for staff keys only."""

from __future__ import annotations

from aiohttp import web

from reconciler.sandbox.common import query_int
from reconciler.sandbox.moco.service import MocoService


class Users(MocoService):
    async def session(self, request: web.Request) -> web.Response:
        """`GET /session`, MOCO's documented key check: the key's user. UNVERIFIED (doctor: moco-credentials):
        what an account key (no user of its own) answers; the stand-in answers `id` null for it."""
        key = self.auth(request)
        return web.json_response({"id": key.owner_user_id, "uuid": f"sandbox-{key.owner_user_id or 'account'}"})

    async def list_users(self, request: web.Request) -> web.Response:
        self.require_staff(self.auth(request))
        include_archived = request.query.get("include_archived") == "true"
        email = request.query.get("email", "").lower()
        ids = self.ids_filter(request)
        updated_after = request.query.get("updated_after")
        users = [
            u.to_api()
            for u in sorted(self.state.users.values(), key=lambda u: (u.lastname, u.firstname, u.id))
            if (u.active or include_archived) and (not email or u.email == email) and (ids is None or u.id in ids)
            and (not updated_after or u.updated_at > updated_after)
        ]
        return self.page(request, users)

    async def list_employments(self, request: web.Request) -> web.Response:
        self.require_staff(self.auth(request))
        start, end = self.window(request)
        user_id = query_int(request.query, "user_id", 0)
        # Without `to`, the knob says which reading of MOCO's docs the stand-in plays (knobs.py).
        open_ended_only = end is None and self.knobs.employments_without_to == "open_ended"
        rows = []
        for e in sorted(self.state.employments.values(), key=lambda e: (e.user_id, e.from_date or "")):
            if user_id and e.user_id != user_id:
                continue
            if open_ended_only and e.to_date is not None:
                continue
            if request.query.get("updated_after") and e.updated_at <= request.query["updated_after"]:
                continue
            if end and e.from_date and e.from_date > end:
                continue
            if start and e.to_date and e.to_date < start:
                continue
            rows.append({
                "id": e.id,
                "weekly_target_hours": float(sum(e.am) + sum(e.pm)),
                "pattern": {"am": [float(h) for h in e.am], "pm": [float(h) for h in e.pm]},
                "from": e.from_date,
                "to": e.to_date,
                "user": self.user_ref(e.user_id),
                "created_at": e.created_at,
                "updated_at": e.updated_at,
            })
        return self.page(request, rows)
