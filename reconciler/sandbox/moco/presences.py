"""MOCO presences (working hours): list, read, create, change and delete, with MOCO's quirks.

Writes act for the key's user or, for staff keys, for `X-IMPERSONATE-USER-ID`; overlapping presences
answer 422, malformed times 500; `is_home_office` holds for the whole day; DELETE answers 204.
"""

from __future__ import annotations

import re
from typing import Any

from aiohttp import web

from reconciler.sandbox.common import json_response, query_int, utc_now
from reconciler.sandbox.moco.errors import BLANK, INVALID, OVERLAPS, empty, invalid, server_error
from reconciler.sandbox.moco.records import MocoKey, MocoPresence
from reconciler.sandbox.moco.service import MocoService, flag, parse_date
from reconciler.sandbox.moco.web_hooks import notify

_TIME = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")


class Presences(MocoService):
    def presence_json(self, record: MocoPresence) -> dict[str, Any]:
        return {
            "id": record.id,
            "date": record.date,
            "from": record.from_time,
            "to": record.to_time,
            "is_home_office": record.is_home_office,
            "user": self.user_ref(record.user_id),
            "created_at": record.created_at,
            "updated_at": record.updated_at,
        }

    async def list_presences(self, request: web.Request) -> web.Response:
        key = self.auth(request)
        start, end = self.window(request)
        if bool(start) != bool(end):
            # UNVERIFIED answer (doctor: moco-presences); the docs only say `from` and `to` must be given together.
            raise invalid({"to" if start else "from": [BLANK]})
        user_id = query_int(request.query, "user_id", 0)
        ids = self.ids_filter(request)
        updated_after = request.query.get("updated_after")
        home = request.query.get("is_home_office")
        rows = [
            self.presence_json(p)
            for p in sorted(self.state.presences.values(), key=lambda p: (p.date, p.from_time, p.id))
            if self.visible(key, p)
            and (not (start and end) or start <= p.date <= end)  # both or neither, checked above
            and (not user_id or p.user_id == user_id)
            and (ids is None or p.id in ids)
            and (not updated_after or p.updated_at > updated_after)
            and (home is None or p.is_home_office == (home == "true"))
        ]
        return self.page(request, rows)

    async def get_presence(self, request: web.Request) -> web.Response:
        key = self.auth(request)
        return json_response(self.presence_json(self.find(request, key, self.state.presences)))

    def presence_owner(self, request: web.Request, key: MocoKey) -> int:
        """Presences belong to the key's user, or to X-IMPERSONATE-USER-ID for staff keys."""
        impersonate = request.headers.get("X-IMPERSONATE-USER-ID")
        if impersonate:
            if not key.staff:
                raise empty(403)
            if not impersonate.isdigit() or int(impersonate) not in self.state.users:
                raise invalid({"user": [INVALID]})
            return int(impersonate)
        if key.owner_user_id is None:
            raise invalid({"user": [BLANK]})
        return key.owner_user_id

    def check_presence(self, record: MocoPresence, exclude_id: int | None = None) -> None:
        if parse_date(record.date) is None:
            raise invalid({"date": [INVALID]})
        for value in (record.from_time, record.to_time):
            if value is not None and not _TIME.match(value):
                raise server_error()  # observed live: a malformed time answers 500
        if record.to_time is not None and record.to_time <= record.from_time:
            raise invalid({"to": [INVALID]})
        for other in self.state.presences.values():
            if other.id == exclude_id or other.user_id != record.user_id or other.date != record.date:
                continue
            both_open = other.to_time is None and record.to_time is None
            other_end = other.to_time or "24:00"
            end = record.to_time or "24:00"
            if both_open or (record.from_time < other_end and other.from_time < end):
                raise invalid({"from": [OVERLAPS]})

    def apply_home_office(self, record: MocoPresence) -> None:
        # Observed live: is_home_office is per day; setting it on one presence sets the whole date.
        for other in self.state.presences.values():
            if other.user_id == record.user_id and other.date == record.date:
                other.is_home_office = record.is_home_office

    async def create_presence(self, request: web.Request) -> web.Response:
        key = self.auth(request)
        body = await self.object_body(request)
        errors = {name: [BLANK] for name in ("date", "from") if not body.get(name)}
        if errors:
            raise invalid(errors)
        record = MocoPresence(
            id=self.state.new_id(), user_id=self.presence_owner(request, key), date=body["date"],
            from_time=body["from"], to_time=body.get("to") or None,
            is_home_office=flag(body.get("is_home_office"), False),
        )
        self.check_presence(record)
        self.state.presences[record.id] = record
        self.apply_home_office(record)
        answer = self.presence_json(record)
        notify(self.sandbox, "Presence", "create", answer, through_api=True, actor=key.owner_user_id)
        return json_response(answer)

    async def update_presence(self, request: web.Request) -> web.Response:
        key = self.auth(request)
        record = self.find(request, key, self.state.presences)
        body = await self.object_body(request)
        changed = MocoPresence(
            id=record.id, user_id=record.user_id, date=body.get("date", record.date),
            from_time=body.get("from", record.from_time),
            to_time=body["to"] if "to" in body else record.to_time,
            is_home_office=flag(body.get("is_home_office"), record.is_home_office),
            created_at=record.created_at, updated_at=utc_now(),
        )
        self.check_presence(changed, exclude_id=record.id)
        self.state.presences[record.id] = changed
        if "is_home_office" in body:
            self.apply_home_office(changed)
        answer = self.presence_json(changed)
        notify(self.sandbox, "Presence", "update", answer, through_api=True, actor=key.owner_user_id)
        return json_response(answer)

    async def delete_presence(self, request: web.Request) -> web.Response:
        key = self.auth(request)
        record = self.find(request, key, self.state.presences)
        del self.state.presences[record.id]
        notify(self.sandbox, "Presence", "delete", {"id": record.id}, through_api=True, actor=key.owner_user_id)
        return web.Response(status=204)
