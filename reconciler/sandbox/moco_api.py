"""The MOCO stand-in: the parts of MOCO API v1 that reconcile uses, awkward where MOCO is.

Faithful to ../shared/api/moco.md and the recorded traffic in ../shared/api/samples/:
- `Authorization: Token token=KEY` (or `Bearer KEY`); 401 `{"message": "Unauthorized"}` otherwise.
  A plain user key without staff rights gets 403 with an empty body on /users and employments,
  and sees only its owner's schedules and presences.
- Pages of at most 100, `X-Page`/`X-Per-Page`/`X-Total` as strings, `Link` with absolute URLs and
  sorted query parameters, `rel="last"` before `rel="next"`, no `Link` at all on a single page.
- Creates answer 200 (not 201); DELETE /schedules answers 200 with the deleted object, DELETE
  presences 204. 422 bodies are bare field maps with German messages; `am=false` with `pm=false`
  and malformed times answer 500 with a text/plain page. 403 and 404 bodies are empty.
- `assignment.name` is German; `assignment.code` is a string (and absent with a knob, as in all
  recordings). Weekends are accepted.
"""

from __future__ import annotations

import math
import re
from datetime import date
from typing import TYPE_CHECKING, Any

from aiohttp import web

from .common import Reply, ServiceApi, json_body, json_response, pipeline, query_int
from .records import (
    MOCO_ASSIGNMENT_COLORS,
    MOCO_ASSIGNMENT_NAMES,
    MOCO_COMPANY,
    MocoKey,
    MocoPresence,
    MocoSchedule,
    utc_now,
)

if TYPE_CHECKING:
    from .server import Sandbox

API = "/api/v1"
PER_PAGE_MAX = 100

# UNVERIFIED: what MOCO does with a second schedule for the same user and day without
# `overwrite` is not documented (ISS #117). The stand-in stores both, the worst case for a sync:
# a client that creates twice leaves a visible duplicate instead of being saved by the server.
SAME_DAY_SCHEDULES_ALLOWED = True

_TIME = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")
_SERVER_ERROR_PAGE = (
    "500 Internal Server Error\nIf you are the administrator of this website, then please read this web "
    "application's log file and/or the web server's log file to find out what went wrong."
)

# German validation messages, as a German-language MOCO account answers.
BLANK = "muss ausgefüllt werden"
INVALID = "ist nicht gültig"
OVERLAPS = "range overlaps"  # recorded live in English even on German accounts (CLI probe)


def _server_error() -> Reply:
    return Reply(web.Response(status=500, text=_SERVER_ERROR_PAGE, content_type="text/plain"))


def _empty(status: int) -> Reply:
    return Reply(web.Response(status=status))


def _invalid(errors: dict[str, list[str]]) -> Reply:
    return Reply(json_response(errors, status=422))


def _parse_date(value: Any) -> date | None:
    if not isinstance(value, str):
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        return None


def _flag(value: Any, default: bool) -> bool:
    if value is None:
        return default
    if isinstance(value, str):
        return value.lower() in ("true", "1")
    return bool(value)


class MocoApi(ServiceApi):
    service = "moco"

    # ------------------------------------------------------------------ plumbing

    def auth(self, request: web.Request) -> MocoKey:
        header = request.headers.get("Authorization", "")
        match = re.fullmatch(r"Token token=(\S+)", header) or re.fullmatch(r"Bearer (\S+)", header)
        key = self.state.keys.get(match.group(1)) if match else None
        if key is None:
            raise Reply(json_response({"message": "Unauthorized"}, status=401))
        return key

    def require_staff(self, key: MocoKey) -> None:
        if not key.staff:
            raise _empty(403)

    def page(self, request: web.Request, items: list[dict[str, Any]]) -> web.Response:
        page = query_int(request.query, "page", 1)
        page = page if page and page > 0 else 1
        per_page = query_int(request.query, "per_page", PER_PAGE_MAX)
        per_page = min(per_page, PER_PAGE_MAX) if per_page and per_page > 0 else PER_PAGE_MAX
        total = len(items)
        last = max(1, math.ceil(total / per_page))
        chunk = items[(page - 1) * per_page: page * per_page]

        def url(number: int) -> str:
            params = dict(request.query)
            params["page"] = str(number)
            return str(request.url.with_query(sorted(params.items())))

        links = []
        if page > 1:
            links += [(url(1), "first"), (url(min(page - 1, last)), "prev")]
        if page < last:
            links += [(url(last), "last"), (url(page + 1), "next")]
        headers = {"X-Page": str(page), "X-Per-Page": str(per_page), "X-Total": str(total)}
        if links:
            headers["Link"] = ", ".join(f'<{href}>; rel="{rel}"' for href, rel in links)
        if self.knobs.lowercase_headers:
            headers = {name.lower(): value for name, value in headers.items()}
        return json_response(chunk, headers=headers)

    def user_ref(self, user_id: int) -> dict[str, Any]:
        user = self.state.users.get(user_id)
        return user.ref() if user else {"id": user_id, "firstname": "", "lastname": ""}

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

    @staticmethod
    def ids_filter(request: web.Request) -> set[int] | None:
        raw = request.query.get("ids")
        if not raw:
            return None
        return {int(part) for part in raw.split(",") if part.strip().isdigit()}

    @staticmethod
    def window(request: web.Request) -> tuple[str | None, str | None]:
        return request.query.get("from") or None, request.query.get("to") or None

    # ------------------------------------------------------------------ users

    async def list_users(self, request: web.Request) -> web.Response:
        self.require_staff(self.auth(request))
        include_archived = request.query.get("include_archived") == "true"
        email = request.query.get("email", "").lower()
        ids = self.ids_filter(request)
        users = [
            u.to_api()
            for u in sorted(self.state.users.values(), key=lambda u: (u.lastname, u.firstname, u.id))
            if (u.active or include_archived) and (not email or u.email == email) and (ids is None or u.id in ids)
        ]
        return self.page(request, users)

    async def list_employments(self, request: web.Request) -> web.Response:
        self.require_staff(self.auth(request))
        start, end = self.window(request)
        user_id = query_int(request.query, "user_id", 0)
        rows = []
        for e in sorted(self.state.employments.values(), key=lambda e: (e.user_id, e.from_date or "")):
            if user_id and e.user_id != user_id:
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

    # ------------------------------------------------------------------ schedules (absences)

    def visible_schedule(self, key: MocoKey, record: MocoSchedule) -> bool:
        return key.staff or record.user_id == key.owner_user_id

    async def list_schedules(self, request: web.Request) -> web.Response:
        key = self.auth(request)
        start, end = self.window(request)
        user_id = query_int(request.query, "user_id", 0)
        codes: set[int] | None = None
        if request.query.get("absence_code"):
            # Unknown values filter everything out (recorded: 200 [] rather than 422).
            codes = {int(p) for p in request.query["absence_code"].split(",") if p.strip().isdigit()}
        ids = self.ids_filter(request)
        updated_after = request.query.get("updated_after")
        rows = [
            self.schedule_json(s)
            for s in sorted(self.state.schedules.values(), key=lambda s: (s.date, s.id))
            if self.visible_schedule(key, s)
            and (not start or s.date >= start) and (not end or s.date <= end)
            and (not user_id or s.user_id == user_id)
            and (codes is None or s.absence_code in codes)
            and (ids is None or s.id in ids)
            and (not updated_after or s.updated_at > updated_after)
        ]
        return self.page(request, rows)

    def find_schedule(self, request: web.Request, key: MocoKey) -> MocoSchedule:
        raw = request.match_info["id"]
        record = self.state.schedules.get(int(raw)) if raw.isdigit() else None
        if record is None or not self.visible_schedule(key, record):
            raise _empty(404)
        return record

    async def get_schedule(self, request: web.Request) -> web.Response:
        key = self.auth(request)
        return json_response(self.schedule_json(self.find_schedule(request, key)))

    def check_schedule_fields(self, body: dict[str, Any], errors: dict[str, list[str]], *, creating: bool) -> None:
        if creating or "date" in body:
            if body.get("date") in (None, ""):
                errors["date"] = [BLANK]
            elif _parse_date(body["date"]) is None:
                errors["date"] = [INVALID]
        if creating or "absence_code" in body:
            code = body.get("absence_code")
            try:
                if isinstance(code, bool) or int(code) not in MOCO_ASSIGNMENT_NAMES:
                    raise ValueError
            except (TypeError, ValueError):
                errors["absence_code"] = [BLANK if code in (None, "") else INVALID]

    async def create_schedule(self, request: web.Request) -> web.Response:
        key = self.auth(request)
        body = await json_body(request)
        if not isinstance(body, dict):
            raise Reply(json_response({"message": "Invalid payload"}, status=422))
        errors: dict[str, list[str]] = {}
        self.check_schedule_fields(body, errors, creating=True)
        user_id = body.get("user_id", key.owner_user_id)
        user = self.state.users.get(int(user_id)) if str(user_id).isdigit() else None
        if user is None or not user.active:
            errors["user_id"] = [INVALID]
        elif not key.staff and user.id != key.owner_user_id:
            raise _empty(403)
        if errors:
            raise _invalid(errors)
        am, pm = _flag(body.get("am"), True), _flag(body.get("pm"), True)
        if not am and not pm:
            raise _server_error()  # documented bug: MOCO answers 500 (ISS #116)
        day = body["date"]
        if _flag(body.get("overwrite"), False) or not SAME_DAY_SCHEDULES_ALLOWED:
            for existing in [s for s in self.state.schedules.values() if s.user_id == user.id and s.date == day]:
                del self.state.schedules[existing.id]
        record = MocoSchedule(
            id=self.state.new_id(), user_id=user.id, date=day, absence_code=int(body["absence_code"]), am=am, pm=pm,
            comment=body.get("comment") or "", symbol=body.get("symbol"),
        )
        self.state.schedules[record.id] = record
        return json_response(self.schedule_json(record))  # 200, not 201

    async def update_schedule(self, request: web.Request) -> web.Response:
        key = self.auth(request)
        record = self.find_schedule(request, key)
        body = await json_body(request)
        if not isinstance(body, dict):
            raise Reply(json_response({"message": "Invalid payload"}, status=422))
        errors: dict[str, list[str]] = {}
        self.check_schedule_fields(body, errors, creating=False)
        if errors:
            raise _invalid(errors)
        am = _flag(body.get("am"), record.am) if "am" in body else record.am
        pm = _flag(body.get("pm"), record.pm) if "pm" in body else record.pm
        if not am and not pm:
            raise _server_error()
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
        return json_response(self.schedule_json(record))

    async def delete_schedule(self, request: web.Request) -> web.Response:
        key = self.auth(request)
        record = self.find_schedule(request, key)
        del self.state.schedules[record.id]
        return json_response(self.schedule_json(record))  # 200 with the deleted object

    # ------------------------------------------------------------------ presences (working hours)

    def visible_presence(self, key: MocoKey, record: MocoPresence) -> bool:
        return key.staff or record.user_id == key.owner_user_id

    async def list_presences(self, request: web.Request) -> web.Response:
        key = self.auth(request)
        start, end = self.window(request)
        if bool(start) != bool(end):
            # UNVERIFIED answer; the docs only say `from` and `to` must be given together.
            raise _invalid({"to" if start else "from": [BLANK]})
        user_id = query_int(request.query, "user_id", 0)
        ids = self.ids_filter(request)
        updated_after = request.query.get("updated_after")
        home = request.query.get("is_home_office")
        rows = [
            self.presence_json(p)
            for p in sorted(self.state.presences.values(), key=lambda p: (p.date, p.from_time, p.id))
            if self.visible_presence(key, p)
            and (not start or start <= p.date <= end)  # type: ignore[operator]
            and (not user_id or p.user_id == user_id)
            and (ids is None or p.id in ids)
            and (not updated_after or p.updated_at > updated_after)
            and (home is None or p.is_home_office == (home == "true"))
        ]
        return self.page(request, rows)

    def find_presence(self, request: web.Request, key: MocoKey) -> MocoPresence:
        raw = request.match_info["id"]
        record = self.state.presences.get(int(raw)) if raw.isdigit() else None
        if record is None or not self.visible_presence(key, record):
            raise _empty(404)
        return record

    async def get_presence(self, request: web.Request) -> web.Response:
        key = self.auth(request)
        return json_response(self.presence_json(self.find_presence(request, key)))

    def presence_owner(self, request: web.Request, key: MocoKey) -> int:
        """Presences belong to the key's user, or to X-IMPERSONATE-USER-ID for staff keys."""
        impersonate = request.headers.get("X-IMPERSONATE-USER-ID")
        if impersonate:
            if not key.staff:
                raise _empty(403)
            if not impersonate.isdigit() or int(impersonate) not in self.state.users:
                raise _invalid({"user": [INVALID]})
            return int(impersonate)
        if key.owner_user_id is None:
            raise _invalid({"user": [BLANK]})
        return key.owner_user_id

    def check_presence(self, record: MocoPresence, exclude_id: int | None = None) -> None:
        if _parse_date(record.date) is None:
            raise _invalid({"date": [INVALID]})
        for value in (record.from_time, record.to_time):
            if value is not None and not _TIME.match(value):
                raise _server_error()  # observed live: a malformed time answers 500
        if record.to_time is not None and record.to_time <= record.from_time:
            raise _invalid({"to": [INVALID]})
        for other in self.state.presences.values():
            if other.id == exclude_id or other.user_id != record.user_id or other.date != record.date:
                continue
            both_open = other.to_time is None and record.to_time is None
            other_end = other.to_time or "24:00"
            end = record.to_time or "24:00"
            if both_open or (record.from_time < other_end and other.from_time < end):
                raise _invalid({"from": [OVERLAPS]})

    def apply_home_office(self, record: MocoPresence) -> None:
        # Observed live: is_home_office is per day; setting it on one presence sets the whole date.
        for other in self.state.presences.values():
            if other.user_id == record.user_id and other.date == record.date:
                other.is_home_office = record.is_home_office

    async def create_presence(self, request: web.Request) -> web.Response:
        key = self.auth(request)
        body = await json_body(request)
        if not isinstance(body, dict):
            raise Reply(json_response({"message": "Invalid payload"}, status=422))
        errors = {name: [BLANK] for name in ("date", "from") if not body.get(name)}
        if errors:
            raise _invalid(errors)
        record = MocoPresence(
            id=self.state.new_id(), user_id=self.presence_owner(request, key), date=body["date"],
            from_time=body["from"], to_time=body.get("to") or None,
            is_home_office=_flag(body.get("is_home_office"), False),
        )
        self.check_presence(record)
        self.state.presences[record.id] = record
        self.apply_home_office(record)
        return json_response(self.presence_json(record))

    async def update_presence(self, request: web.Request) -> web.Response:
        key = self.auth(request)
        record = self.find_presence(request, key)
        body = await json_body(request)
        if not isinstance(body, dict):
            raise Reply(json_response({"message": "Invalid payload"}, status=422))
        changed = MocoPresence(
            id=record.id, user_id=record.user_id, date=body.get("date", record.date),
            from_time=body.get("from", record.from_time),
            to_time=body["to"] if "to" in body else record.to_time,
            is_home_office=_flag(body.get("is_home_office"), record.is_home_office),
            created_at=record.created_at, updated_at=utc_now(),
        )
        self.check_presence(changed, exclude_id=record.id)
        self.state.presences[record.id] = changed
        if "is_home_office" in body:
            self.apply_home_office(changed)
        return json_response(self.presence_json(changed))

    async def delete_presence(self, request: web.Request) -> web.Response:
        key = self.auth(request)
        record = self.find_presence(request, key)
        del self.state.presences[record.id]
        return web.Response(status=204)


def rate_limited(retry_after: int | None) -> web.Response:
    # MOCO documents no headers on 429; the limiter it publishes answers with an empty body.
    headers = {"Retry-After": str(retry_after)} if retry_after is not None else None
    return web.Response(status=429, headers=headers)


def moco_app(sandbox: Sandbox) -> web.Application:
    app = web.Application(middlewares=[pipeline(sandbox, "moco", lambda request: None, rate_limited)])
    api = MocoApi(sandbox)
    r = app.router
    r.add_get(f"{API}/users/employments", api.list_employments)
    r.add_get(f"{API}/users/presences", api.list_presences)
    r.add_post(f"{API}/users/presences", api.create_presence)
    r.add_get(f"{API}/users/presences/{{id}}", api.get_presence)
    r.add_put(f"{API}/users/presences/{{id}}", api.update_presence)
    r.add_patch(f"{API}/users/presences/{{id}}", api.update_presence)
    r.add_delete(f"{API}/users/presences/{{id}}", api.delete_presence)
    r.add_get(f"{API}/users", api.list_users)
    r.add_get(f"{API}/schedules", api.list_schedules)
    r.add_post(f"{API}/schedules", api.create_schedule)
    r.add_get(f"{API}/schedules/{{id}}", api.get_schedule)
    r.add_put(f"{API}/schedules/{{id}}", api.update_schedule)
    r.add_patch(f"{API}/schedules/{{id}}", api.update_schedule)
    r.add_delete(f"{API}/schedules/{{id}}", api.delete_schedule)
    return app
