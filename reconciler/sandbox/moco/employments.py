"""MOCO employments (weekly patterns, "Wochenmodell"): one read, and for staff keys created and changed, as
everii-Group/mocoapp-api-docs `sections/employments.md` describes them.

`POST /users/employments` requires user_id and pattern (`{"am": [5 hours], "pm": [5 hours]}`, Monday to
Friday); `from` defaults to the sandbox's today, `to` to none (open-ended); it answers 200. `PUT`/`PATCH
/users/employments/{id}` change what they are sent (none of the fields required). The list is read in users.py.
MOCO has no web hook target for employments: each write raises the `User` web hook ("update") with the
employment's user, UNVERIFIED (doctor: moco-writes) whether MOCO does.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from reconciler.sandbox.common import json_response, utc_now
from reconciler.sandbox.moco.errors import BLANK, INVALID, OVERLAPS, invalid
from reconciler.sandbox.moco.records import MocoEmployment, MocoKey
from reconciler.sandbox.moco.service import MocoService, parse_date
from reconciler.sandbox.moco.web_hooks import notify

# UNVERIFIED (doctor: moco-writes; moco.md section 4, "Overlapping employments"): whether MOCO refuses an
# employment that overlaps another of the same user. The stand-in refuses it, 422 `{"from": ["range overlaps"]}`
# as MOCO answers an overlapping presence (recorded live), so that a client that creates twice is seen doing it.
OVERLAPPING_EMPLOYMENTS_REFUSED = True
# Monday to Friday: every documented and recorded pattern. UNVERIFIED (doctor: moco-writes) that 7 are refused.
PATTERN_DAYS = 5
_NO_END = "9999-12-31"


def employment_json(e: MocoEmployment, user: dict[str, Any]) -> dict[str, Any]:
    """An employment as MOCO shows it (floats in the pattern, `weekly_target_hours` their sum)."""
    return {
        "id": e.id,
        "weekly_target_hours": float(sum(e.am) + sum(e.pm)),
        "pattern": {"am": [float(h) for h in e.am], "pm": [float(h) for h in e.pm]},
        "from": e.from_date,
        "to": e.to_date,
        "user": user,
        "created_at": e.created_at,
        "updated_at": e.updated_at,
    }


def _pattern(value: Any) -> tuple[list[float], list[float]] | None:
    """`{"am": [...], "pm": [...]}` of five hours each (whole or decimal, none negative); None otherwise."""
    if not isinstance(value, dict):
        return None
    am, pm = _hours(value.get("am")), _hours(value.get("pm"))
    return (am, pm) if am is not None and pm is not None else None


def _hours(value: Any) -> list[float] | None:
    if not isinstance(value, list) or len(value) != PATTERN_DAYS or not all(
            isinstance(h, (int, float)) and not isinstance(h, bool) and h >= 0 for h in value):
        return None
    return [float(h) for h in value]


class Employments(MocoService):
    def _json(self, e: MocoEmployment) -> dict[str, Any]:
        return employment_json(e, self.user_ref(e.user_id))

    def _find(self, request: web.Request, key: MocoKey) -> MocoEmployment:
        self.require_staff(key)
        return self.find(request, key, self.state.employments)

    async def get_employment(self, request: web.Request) -> web.Response:
        return json_response(self._json(self._find(request, self.auth(request))))

    def _checked(self, body: dict[str, Any], record: MocoEmployment, *, creating: bool) -> MocoEmployment:
        """`record` changed by `body` (a new one when `creating`), or a 422 field map naming what is wrong."""
        errors: dict[str, list[str]] = {}
        changed = MocoEmployment(id=record.id, user_id=record.user_id, am=record.am, pm=record.pm,
                                 from_date=record.from_date, to_date=record.to_date, created_at=record.created_at)
        if creating or "user_id" in body:
            user_id: Any = body.get("user_id")
            if user_id in (None, ""):
                errors["user_id"] = [BLANK]
            elif isinstance(user_id, bool) or not str(user_id).isdigit() or int(user_id) not in self.state.users:
                errors["user_id"] = [INVALID]
            else:
                changed.user_id = int(user_id)
        if creating or "pattern" in body:
            pattern = _pattern(body.get("pattern"))
            if pattern is None:
                errors["pattern"] = [BLANK if body.get("pattern") is None else INVALID]
            else:
                changed.am, changed.pm = pattern
        for name in ("from", "to"):
            if name not in body:
                continue
            day = parse_date(body[name])
            if body[name] not in (None, "") and day is None:
                errors[name] = [INVALID]
            elif name == "from":  # null or empty: the default, today (as on create)
                changed.from_date = (day or self.sandbox.params.today).isoformat()
            else:
                changed.to_date = day.isoformat() if day else None
        if "to" not in errors and changed.to_date and changed.from_date and changed.to_date < changed.from_date:
            errors["to"] = [INVALID]
        if errors:
            raise invalid(errors)
        if OVERLAPPING_EMPLOYMENTS_REFUSED and any(
                other.id != changed.id and other.user_id == changed.user_id and _overlap(other, changed)
                for other in self.state.employments.values()):
            raise invalid({"from": [OVERLAPS]})
        return changed

    async def create_employment(self, request: web.Request) -> web.Response:
        key = self.auth(request)
        self.require_staff(key)
        body = await self.object_body(request)
        blank = MocoEmployment(id=0, user_id=0, am=[], pm=[], from_date=self.sandbox.params.today.isoformat())
        record = self._checked(body, blank, creating=True)
        record.id = self.state.new_id()
        record.created_at = record.updated_at = utc_now()
        self.state.employments[record.id] = record
        return self._written(record, key)

    async def update_employment(self, request: web.Request) -> web.Response:
        key = self.auth(request)
        record = self._find(request, key)
        body = await self.object_body(request)
        changed = self._checked(body, record, creating=False)
        changed.updated_at = utc_now()
        self.state.employments[record.id] = changed
        return self._written(changed, key)

    def _written(self, record: MocoEmployment, key: MocoKey) -> web.Response:
        user = self.state.users.get(record.user_id)
        if user is not None:
            notify(self.sandbox, "User", "update", user.to_api(self.state.units), through_api=True,
                   actor=key.owner_user_id)
        return json_response(self._json(record))  # 200, not 201


def _overlap(a: MocoEmployment, b: MocoEmployment) -> bool:
    """Whether two employments share a day (a missing `from` is no lower bound, a missing `to` no upper one)."""
    return (a.from_date or "") <= (b.to_date or _NO_END) and (b.from_date or "") <= (a.to_date or _NO_END)
