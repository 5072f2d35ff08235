"""MOCO schedules (absences): list, read, create, change and delete, with MOCO's quirks.

Creates answer 200 (not 201) and DELETE answers 200 with the deleted object; `am=false` with
`pm=false` answers 500; `assignment.name` is German and `assignment.code` a string (absent with a knob).
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from reconciler.sandbox.common import json_response, query_int, utc_now
from reconciler.sandbox.moco.errors import BLANK, INVALID, empty, invalid, server_error
from reconciler.sandbox.moco.records import MOCO_ASSIGNMENT_COLORS, MOCO_ASSIGNMENT_NAMES, MOCO_COMPANY, MocoSchedule
from reconciler.sandbox.moco.service import MocoService, flag, int_set, parse_date
from reconciler.sandbox.moco.web_hooks import notify

# UNVERIFIED (doctor: moco-writes): what MOCO does with a second schedule for the same user and day without
# `overwrite` is not documented (ISS #117). The stand-in stores both, the worst case for a sync:
# a client that creates twice leaves a visible duplicate instead of being saved by the server.
SAME_DAY_SCHEDULES_ALLOWED = True


class Schedules(MocoService):
    def schedule_json(self, record: MocoSchedule) -> dict[str, Any]:
        assignment: dict[str, Any] = {
            "id": 945_370_000 + record.absence_code,
            "name": MOCO_ASSIGNMENT_NAMES[record.absence_code],
            "customer_name": MOCO_COMPANY,
            "color": MOCO_ASSIGNMENT_COLORS[record.absence_code],
            "type": "Absence",
        }
        if self.knobs.assignment_code:
            assignment["code"] = str(record.absence_code)
        return {
            "id": record.id,
            "date": record.date,
            "comment": record.comment,
            "am": record.am,
            "pm": record.pm,
            "symbol": record.symbol,
            "assignment": assignment,
            "user": self.user_ref(record.user_id),
            "created_at": record.created_at,
            "updated_at": record.updated_at,
        }

    async def list_schedules(self, request: web.Request) -> web.Response:
        key = self.auth(request)
        start, end = self.window(request)
        user_id = query_int(request.query, "user_id", 0)
        # Unknown absence codes filter everything out (recorded: 200 [] rather than 422).
        codes = int_set(request.query.get("absence_code"))
        ids = self.ids_filter(request)
        updated_after = request.query.get("updated_after")
        rows = [
            self.schedule_json(s)
            for s in sorted(self.state.schedules.values(), key=lambda s: (s.date, s.id))
            if self.visible(key, s)
            and (not start or s.date >= start) and (not end or s.date <= end)
            and (not user_id or s.user_id == user_id)
            and (codes is None or s.absence_code in codes)
            and (ids is None or s.id in ids)
            and (not updated_after or s.updated_at > updated_after)
        ]
        return self.page(request, rows)

    async def get_schedule(self, request: web.Request) -> web.Response:
        key = self.auth(request)
        return json_response(self.schedule_json(self.find(request, key, self.state.schedules)))

    def check_schedule_fields(self, body: dict[str, Any], errors: dict[str, list[str]], *, creating: bool) -> None:
        if creating or "date" in body:
            if body.get("date") in (None, ""):
                errors["date"] = [BLANK]
            elif parse_date(body["date"]) is None:
                errors["date"] = [INVALID]
        if creating or "absence_code" in body:
            code: Any = body.get("absence_code")  # any JSON value: int() refuses the wrong ones
            try:
                if isinstance(code, bool) or int(code) not in MOCO_ASSIGNMENT_NAMES:
                    raise ValueError
            except (TypeError, ValueError):
                errors["absence_code"] = [BLANK if code in (None, "") else INVALID]

    async def create_schedule(self, request: web.Request) -> web.Response:
        key = self.auth(request)
        body = await self.object_body(request)
        errors: dict[str, list[str]] = {}
        self.check_schedule_fields(body, errors, creating=True)
        user_id: Any = body.get("user_id", key.owner_user_id)  # any JSON value, read only when digits
        user = self.state.users.get(int(user_id)) if str(user_id).isdigit() else None
        if user is None or not user.active:
            errors["user_id"] = [INVALID]
        elif not key.staff and user.id != key.owner_user_id:
            raise empty(403)
        if errors or user is None:  # no user: an error said so
            raise invalid(errors)
        am, pm = flag(body.get("am"), True), flag(body.get("pm"), True)
        if not am and not pm:
            raise server_error()  # documented bug: MOCO answers 500 (ISS #116)
        day = body["date"]
        if flag(body.get("overwrite"), False) or not SAME_DAY_SCHEDULES_ALLOWED:
            for existing in [s for s in self.state.schedules.values() if s.user_id == user.id and s.date == day]:
                del self.state.schedules[existing.id]
                notify(self.sandbox, "Schedule", "delete", {"id": existing.id}, through_api=True,
                       actor=key.owner_user_id)
        record = MocoSchedule(
            id=self.state.new_id(), user_id=user.id, date=day, absence_code=int(body["absence_code"]), am=am, pm=pm,
            comment=body.get("comment") or "", symbol=body.get("symbol"),
        )
        self.state.schedules[record.id] = record
        answer = self.schedule_json(record)
        notify(self.sandbox, "Schedule", "create", answer, through_api=True, actor=key.owner_user_id)
        return json_response(answer)  # 200, not 201

    async def update_schedule(self, request: web.Request) -> web.Response:
        key = self.auth(request)
        record = self.find(request, key, self.state.schedules)
        body = await self.object_body(request)
        errors: dict[str, list[str]] = {}
        self.check_schedule_fields(body, errors, creating=False)
        if errors:
            raise invalid(errors)
        am = flag(body.get("am"), record.am) if "am" in body else record.am
        pm = flag(body.get("pm"), record.pm) if "pm" in body else record.pm
        if not am and not pm:
            raise server_error()
        record.am, record.pm = am, pm
        if "date" in body:
            record.date = body["date"]
        if "absence_code" in body:
            record.absence_code = int(body["absence_code"])
        if "comment" in body:
            record.comment = body["comment"] or ""
        if "symbol" in body:
            record.symbol = body["symbol"]
        record.updated_at = utc_now()
        answer = self.schedule_json(record)
        notify(self.sandbox, "Schedule", "update", answer, through_api=True, actor=key.owner_user_id)
        return json_response(answer)

    async def delete_schedule(self, request: web.Request) -> web.Response:
        key = self.auth(request)
        record = self.find(request, key, self.state.schedules)
        del self.state.schedules[record.id]
        notify(self.sandbox, "Schedule", "delete", {"id": record.id}, through_api=True, actor=key.owner_user_id)
        return json_response(self.schedule_json(record))  # 200 with the deleted object
