"""MOCO users and their teams (units): read, and for staff keys created and changed, as MOCO's docs describe
them (everii-Group/mocoapp-api-docs `sections/users.md`, `units.md`; shared/api/moco.md "Added 2026-12").

`POST /users` requires firstname, lastname, email and unit_id (today's docs; no password), answers 200 with
the user; a taken email is 422 `{"email": ["ist bereits vergeben"]}` (recorded, samples/moco-error-422.json),
an unknown team 422 on `unit_id`. `PUT /users/{id}` changes what it is sent (`active: false` archives; the
user's employment is left as it is: "must be terminated separately"). Each write raises the `User` web hook.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from reconciler.sandbox.common import json_response, query_int, utc_now
from reconciler.sandbox.moco.employments import employment_json
from reconciler.sandbox.moco.errors import BLANK, INVALID, TAKEN, invalid
from reconciler.sandbox.moco.records import MocoKey, MocoUnit, MocoUser
from reconciler.sandbox.moco.service import MocoService, flag
from reconciler.sandbox.moco.web_hooks import notify

TEXTS = ("firstname", "lastname", "email")  # required on create, never blank


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
            u.to_api(self.state.units)
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
            rows.append(employment_json(e, self.user_ref(e.user_id)))
        return self.page(request, rows)

    # ------------------------------------------------------------------ one user, and writes

    def _user(self, request: web.Request, key: MocoKey) -> MocoUser:
        """The user the path names (staff keys only), or an empty 404."""
        self.require_staff(key)
        return self.named(request, self.state.users)

    async def get_user(self, request: web.Request) -> web.Response:
        return json_response(self._user(request, self.auth(request)).to_api(self.state.units))

    def _checked(self, body: dict[str, Any], user: MocoUser | None) -> dict[str, list[str]]:
        """The field errors of a create (`user` None) or of a change to `user`, as MOCO's field map."""
        errors: dict[str, list[str]] = {}
        for name in TEXTS:
            if user is None or name in body:
                value = body.get(name)
                if not isinstance(value, str) or not value.strip():
                    errors[name] = [BLANK if value in (None, "") or isinstance(value, str) else INVALID]
        email = body.get("email")
        if "email" not in errors and isinstance(email, str):
            if "@" not in email:
                errors["email"] = [INVALID]
            elif any(u.email == email.strip().lower() and u is not user for u in self.state.users.values()):
                errors["email"] = [TAKEN]  # archived users keep their email too
        if user is None or "unit_id" in body:
            unit: Any = body.get("unit_id")
            if unit in (None, ""):
                errors["unit_id"] = [BLANK]
            elif not str(unit).isdigit() or isinstance(unit, bool) or int(unit) not in self.state.units:
                errors["unit_id"] = [INVALID]
        tags = body.get("tags")
        if tags is not None and (not isinstance(tags, list) or not all(isinstance(tag, str) for tag in tags)):
            errors["tags"] = [INVALID]
        return errors

    async def create_user(self, request: web.Request) -> web.Response:
        key = self.auth(request)
        self.require_staff(key)
        body = await self.object_body(request)
        errors = self._checked(body, None)
        if errors:
            raise invalid(errors)
        user = MocoUser(id=self.state.new_id(), firstname=body["firstname"].strip(),
                        lastname=body["lastname"].strip(), email=body["email"].strip().lower(),
                        active=flag(body.get("active"), True), extern=flag(body.get("external"), False),
                        tags=list(body.get("tags") or []), unit_id=int(body["unit_id"]),
                        welcome_email=flag(body.get("welcome_email"), False))
        self.state.users[user.id] = user
        answer = user.to_api(self.state.units)
        notify(self.sandbox, "User", "create", answer, through_api=True, actor=key.owner_user_id)
        return json_response(answer)  # 200, not 201

    async def update_user(self, request: web.Request) -> web.Response:
        """A partial change: only what the body names (the docs' example sends two fields)."""
        key = self.auth(request)
        user = self._user(request, key)
        body = await self.object_body(request)
        errors = self._checked(body, user)
        if errors:
            raise invalid(errors)
        for name in ("firstname", "lastname"):
            if name in body:
                setattr(user, name, body[name].strip())
        if "email" in body:
            user.email = body["email"].strip().lower()
        if "active" in body:
            user.active = flag(body["active"], user.active)
        if "external" in body:
            user.extern = flag(body["external"], user.extern)
        if "tags" in body:
            user.tags = list(body["tags"] or [])
        if "unit_id" in body:
            user.unit_id = int(body["unit_id"])
        user.updated_at = utc_now()
        answer = user.to_api(self.state.units)
        notify(self.sandbox, "User", "update", answer, through_api=True, actor=key.owner_user_id)
        return json_response(answer)

    # ------------------------------------------------------------------ teams

    def unit_json(self, unit: MocoUnit) -> dict[str, Any]:
        """A team with its users. UNVERIFIED (doctor: moco-users): whether MOCO lists archived users in a team; the
        stand-in does."""
        members = sorted((u for u in self.state.users.values() if u.unit_id == unit.id), key=lambda u: u.id)
        return {"id": unit.id, "name": unit.name,
                "users": [{**u.ref(), "email": u.email} for u in members],
                "created_at": unit.created_at, "updated_at": unit.updated_at}

    async def list_units(self, request: web.Request) -> web.Response:
        """Every team, paged like every list; staff keys only, as users (UNVERIFIED (doctor: moco-users) for a plain
        user key)."""
        self.require_staff(self.auth(request))
        ids = self.ids_filter(request)
        return self.page(request, [self.unit_json(unit) for unit in sorted(self.state.units.values(),
                                                                            key=lambda unit: unit.id)
                                   if ids is None or unit.id in ids])

    async def get_unit(self, request: web.Request) -> web.Response:
        self.require_staff(self.auth(request))
        return json_response(self.unit_json(self.named(request, self.state.units)))
