"""The Personio stand-in: the parts of Personio API v2 that reconcile uses.

Faithful to ../shared/api/personio.md and DECISIONS.md:
- `POST /v2/auth/token`, form-encoded client credentials → a 24 h bearer token; errors in the flat
  OAuth shape (`error`, `error_description`, ...), 401 for a wrong secret. 150 token requests/min.
- Bearer auth everywhere else; 401 problem+json `{personio_trace_id, timestamp, errors[]}`.
- Cursor pages: `_data` plus `_meta.links.next.href` (absolute; relative with a knob), absent on
  the last page. The next link carries only the cursor: filters and limit live inside it.
  `limit` above the endpoint's maximum is a 400.
- Date-time filters carrying `Z` or an offset answer 400 "Invalid request content".
- Attendance periods: POST honours `skip_approval` (default false → PENDING), 201 with the id;
  PATCH and DELETE answer 204; start after end is a 422 problem.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
import secrets
import time
import uuid
from datetime import date
from typing import TYPE_CHECKING, Any, Callable

from aiohttp import web

from .common import Reply, ServiceApi, json_body, json_response, pipeline, query_int
from .records import PersonioAttendancePeriod, utc_now

if TYPE_CHECKING:
    from .server import Sandbox

ERROR_DOCS = "https://developer.personio.de/v2.0/page/public-api-error-codes"
OAUTH_DOCS = "https://developer.personio.de/reference/errors"
TOKEN_PATH = "/v2/auth/token"
SCOPES = "personio:persons:read personio:absences:read personio:attendances:read personio:attendances:write"

# UNVERIFIED: the 201 body of POST /v2/attendance-periods is documented only as "the newly created
# attendance period ID". The stand-in answers {"id": ...} plus a self link (single-object v2
# responses are not wrapped in `_data`); the client also accepts `_data.id` and `data.id`.
def created_body(period_id: str, href: str) -> dict[str, Any]:
    return {"id": period_id, "_meta": {"links": {"self": {"href": href}}}}


# UNVERIFIED: how Personio refuses to change a locked (e.g. payroll-closed) attendance period.
# The stand-in answers 422 problem+json; reconcile treats any 4xx on one write as that change failing.
LOCKED_STATUS = 422

# UNVERIFIED: Personio v1 refused overlapping attendance periods ("Existing overlapping attendances
# periods"); v2's overlap behaviour is undocumented. The stand-in refuses overlaps with 422.
OVERLAP_STATUS = 422

_LOCAL_DATE_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def problem(status: int, title: str, detail: str, kind: str, meta: dict[str, str] | None = None) -> Reply:
    body = {
        "personio_trace_id": str(uuid.uuid4()),
        "timestamp": utc_now(),
        "errors": [{"title": title, "detail": detail, "type": f"{ERROR_DOCS}#{kind}", "_meta": meta or {}}],
    }
    return Reply(json_response(body, status=status, content_type="application/problem+json"))


def bad_request(detail: str = "Provided request parameters are invalid.") -> Reply:
    return problem(400, "Bad request", detail, "commonbad_request")


def oauth_error(status: int, error: str, description: str, anchor: str, meta: dict[str, Any] | None = None) -> Reply:
    body: dict[str, Any] = {
        "timestamp": utc_now(),
        "trace_id": str(uuid.uuid4()),
        "error": error,
        "error_description": description,
        "error_uri": f"{OAUTH_DOCS}#{anchor}",
    }
    if meta:
        body["meta"] = meta
    return Reply(json_response(body, status=status, content_type="application/problem+json"))


def _encode_cursor(query: dict[str, str], offset: int) -> str:
    raw = json.dumps({"q": query, "o": offset}, sort_keys=True).encode()
    return "cur_" + base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode_cursor(cursor: str) -> tuple[dict[str, str], int]:
    if not cursor.startswith("cur_"):
        raise bad_request("The cursor is invalid.")
    data = cursor[4:]
    try:
        decoded = json.loads(base64.urlsafe_b64decode(data + "=" * (-len(data) % 4)))
        return dict(decoded["q"]), int(decoded["o"])
    except (ValueError, KeyError, TypeError, binascii.Error):
        raise bad_request("The cursor is invalid.") from None


def _csv(value: str | None) -> set[str] | None:
    return None if not value else {part.strip() for part in value.split(",") if part.strip()}


class PersonioApi(ServiceApi):
    service = "personio"

    # ------------------------------------------------------------------ auth

    async def token(self, request: web.Request) -> web.Response:
        if request.content_type != "application/x-www-form-urlencoded":
            raise oauth_error(400, "invalid_request",
                              'The content type of the request must be "application/x-www-form-urlencoded".',
                              "credentials.oauth2.invalid_request.invalid_request_content_type")
        form = await request.post()
        missing = [name for name in ("grant_type", "client_id", "client_secret") if not form.get(name)]
        if missing:
            raise oauth_error(400, "invalid_request", "The request has missing or invalid required parameters.",
                              "credentials.oauth2.invalid_request.required_parameters_missing",
                              {"missing_parameters": missing})
        if form["grant_type"] != "client_credentials":
            raise oauth_error(400, "unsupported_grant_type", "The authorization grant type is not supported.",
                              "credentials.oauth2.unsupported_grant_type")
        client_id = str(form["client_id"])
        if self.state.clients.get(client_id) != form["client_secret"]:
            raise oauth_error(401, "invalid_client",
                              "Client authentication failed (e.g., unknown client, wrong secret, no client "
                              "authentication included, or unsupported authentication method).",
                              "credentials.oauth2.invalid_client")
        token = "papi-" + secrets.token_hex(32)
        self.state.tokens[token] = (client_id, time.monotonic() + self.knobs.token_ttl)
        return json_response({
            "access_token": token,
            "expires_in": int(self.knobs.token_ttl),
            "token_type": "Bearer",
            "scope": SCOPES,
        })

    def auth(self, request: web.Request) -> str:
        header = request.headers.get("Authorization", "")
        token = header[7:] if header.startswith("Bearer ") else None
        held = self.state.tokens.get(token) if token else None
        if held is None or held[1] <= time.monotonic():
            raise problem(401, "Unauthorized", "The access token is missing, invalid or expired.",
                          "commonunauthorized")
        return held[0]

    def rate_key(self, request: web.Request) -> tuple[str, int, float] | None:
        if request.path == TOKEN_PATH:
            knobs = self.knobs
            return f"token|{request.remote}", knobs.token_rate_limit_requests, knobs.token_rate_limit_seconds
        return None

    # ------------------------------------------------------------------ pages and filters

    def page(self, request: web.Request, items_for: Callable[[dict[str, str]], list[dict[str, Any]]],
             *, max_limit: int, default_limit: int) -> web.Response:
        """One cursor page. The filters and the limit travel inside the cursor, like Personio's."""
        cursor = request.query.get("cursor")
        if cursor:
            query, offset = _decode_cursor(cursor)
        else:
            query, offset = {k: v for k, v in request.query.items() if k != "cursor"}, 0
        limit = query_int(query, "limit", default_limit)
        if limit is None or not 1 <= limit <= max_limit:
            raise bad_request(f"The limit must be between 1 and {max_limit}.")
        self.check_filters(query)
        items = items_for(query)
        chunk = items[offset: offset + limit]
        origin = "" if self.knobs.relative_links else str(request.url.origin())
        self_href = origin + request.path_qs
        links: dict[str, Any] = {"self": {"href": self_href}}
        if offset + limit < len(items):
            links["next"] = {"href": f"{origin}{request.path}?cursor={_encode_cursor(query, offset + limit)}"}
        return json_response({"_data": chunk, "_meta": {"links": links}})

    @staticmethod
    def check_filters(query: dict[str, str]) -> None:
        for name, value in query.items():
            if name.endswith((".gte", ".lte", ".gt", ".lt")) and ("date_time" in name or name.startswith("updated_at")
                                                                   or name.startswith("created_at")):
                if not _LOCAL_DATE_TIME.match(value):
                    # Observed live: "2023-01-01T12:00:00Z" answers 400 "Invalid request content".
                    raise bad_request("Invalid request content.")
            if name.startswith("attribution_date") and not _DATE.match(value):
                raise bad_request("Invalid request content.")

    # ------------------------------------------------------------------ persons

    def person_json(self, person: Any, origin: str) -> dict[str, Any]:
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
            ids = _csv(query.get("id"))
            emails = {e.lower() for e in _csv(query.get("email")) or set()}
            status = query.get("status")
            return [
                self.person_json(p, origin)
                for p in sorted(self.state.persons.values(), key=lambda p: int(p.id))
                if (ids is None or p.id in ids) and (not emails or (p.email or "").lower() in emails)
                and (not status or p.status == status)
            ]

        return self.page(request, items, max_limit=50, default_limit=10)

    async def get_person(self, request: web.Request) -> web.Response:
        self.auth(request)
        person = self.state.persons.get(request.match_info["id"])
        if person is None:
            raise problem(404, "Resource not found", "There is no resource for the specified id.",
                          "commonresource_not_found")
        return json_response(self.person_json(person, str(request.url.origin())))

    # ------------------------------------------------------------------ absences

    async def list_absence_types(self, request: web.Request) -> web.Response:
        self.auth(request)
        return self.page(request, lambda q: [t.to_api() for t in self.state.absence_types.values()],
                         max_limit=100, default_limit=100)

    async def list_absence_periods(self, request: web.Request) -> web.Response:
        self.auth(request)

        def items(query: dict[str, str]) -> list[dict[str, Any]]:
            ids, persons, types = _csv(query.get("id")), _csv(query.get("person.id")), _csv(query.get("absence_type.id"))
            # "Date ranges match overlapping periods" (docs): starts_from.gte and ends_at.lte form a
            # window, and every period overlapping it is returned, open-ended ones included.
            # UNVERIFIED beyond that sentence; the other two bounds are applied literally.
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
                rows.append(p.to_api())
            return rows

        return self.page(request, items, max_limit=100, default_limit=100)

    async def delete_absence_period(self, request: web.Request) -> web.Response:
        self.auth(request)
        if self.state.absence_periods.pop(request.match_info["id"], None) is None:
            raise problem(404, "Resource not found", "The requested resource was not found.", "commonresource_not_found")
        return web.Response(status=204)

    # ------------------------------------------------------------------ attendances

    async def list_attendance_periods(self, request: web.Request) -> web.Response:
        self.auth(request)

        def items(query: dict[str, str]) -> list[dict[str, Any]]:
            ids, persons = _csv(query.get("id")), _csv(query.get("person.id"))
            bounds: list[tuple[str, Callable[[PersonioAttendancePeriod], str | None], bool]] = [
                ("start.date_time.gte", lambda p: p.start, True),
                ("start.date_time.lte", lambda p: p.start, False),
                ("end.date_time.gte", lambda p: p.end, True),
                ("end.date_time.lte", lambda p: p.end, False),
                ("updated_at.gte", lambda p: p.updated_at.rstrip("Z"), True),
                ("updated_at.lte", lambda p: p.updated_at.rstrip("Z"), False),
                ("attribution_date.gte", lambda p: p.start[:10], True),
                ("attribution_date.lte", lambda p: p.start[:10], False),
            ]
            status = query.get("status")
            rows = []
            for p in sorted(self.state.attendance_periods.values(), key=lambda p: (p.person_id, p.start, p.end or "")):
                if ids is not None and p.id not in ids or persons is not None and p.person_id not in persons:
                    continue
                if status and p.status != status:
                    continue
                if not all(_within(get(p), query[name], lower) for name, get, lower in bounds if name in query):
                    continue
                rows.append(p.to_api())
            return rows

        return self.page(request, items, max_limit=100, default_limit=100)

    def find_period(self, request: web.Request) -> PersonioAttendancePeriod:
        period = self.state.attendance_periods.get(request.match_info["id"])
        if period is None:
            raise problem(404, "Resource not found", "The requested resource was not found.", "commonresource_not_found")
        return period

    async def get_attendance_period(self, request: web.Request) -> web.Response:
        self.auth(request)
        return json_response(self.find_period(request).to_api())

    def check_period(self, period: PersonioAttendancePeriod, exclude_id: str | None = None) -> None:
        if period.person_id not in self.state.persons:
            raise problem(422, "Unprocessable Entity", "The person does not exist.", "commonunprocessable_entity")
        if period.type not in ("WORK", "BREAK"):
            raise bad_request("The attendance period type must be WORK or BREAK.")
        for value in (period.start, period.end):
            if value is not None and not _LOCAL_DATE_TIME.match(value):
                raise bad_request("Invalid request content.")
        if period.type == "BREAK" and period.project_id:
            raise problem(422, "Unprocessable Entity", "Break periods with project are not allowed.",
                          "commonunprocessable_entity")
        if period.end is not None:
            if period.start > period.end:
                raise problem(422, "Unprocessable Entity", "Start date greater than end date.",
                              "commonunprocessable_entity")
            if (date.fromisoformat(period.end[:10]) - date.fromisoformat(period.start[:10])).days > 1:
                raise problem(422, "Unprocessable Entity", "Period time range too long.", "commonunprocessable_entity")
        for other in self.state.attendance_periods.values():
            if other.id == exclude_id or other.person_id != period.person_id:
                continue
            if _overlaps(period, other):
                raise problem(OVERLAP_STATUS, "Unprocessable Entity",
                              "The attendance period overlaps an existing attendance period.",
                              "commonunprocessable_entity")

    @staticmethod
    def period_fields(body: dict[str, Any]) -> dict[str, Any]:
        """The writable fields present in a POST or PATCH body."""
        fields: dict[str, Any] = {}
        if "person" in body:
            fields["person_id"] = str((body["person"] or {}).get("id", ""))
        if "type" in body:
            fields["type"] = body["type"]
        if "start" in body:
            fields["start"] = (body["start"] or {}).get("date_time")
        if "end" in body:
            fields["end"] = None if body["end"] is None else body["end"].get("date_time")
        if "comment" in body:
            fields["comment"] = body["comment"] or ""
        if "project" in body:
            fields["project_id"] = None if body["project"] is None else str(body["project"].get("id"))
        return fields

    async def create_attendance_period(self, request: web.Request) -> web.Response:
        self.auth(request)
        body = await json_body(request)
        if not isinstance(body, dict):
            raise bad_request("Invalid request content.")
        fields = self.period_fields(body)
        if not fields.get("person_id") or not fields.get("start") or "type" not in fields:
            raise bad_request("The fields person, type and start are required.")
        approved = request.query.get("skip_approval", "false") == "true"
        period = PersonioAttendancePeriod(id=str(uuid.uuid4()), status="CONFIRMED" if approved else "PENDING",
                                          **{"end": None, **fields})
        self.check_period(period)
        self.state.attendance_periods[period.id] = period
        href = f"{request.url.origin()}/v2/attendance-periods/{period.id}"
        return json_response(created_body(period.id, href), status=201)

    async def patch_attendance_period(self, request: web.Request) -> web.Response:
        self.auth(request)
        period = self.find_period(request)
        if period.locked:
            raise problem(LOCKED_STATUS, "Unprocessable Entity",
                          "The attendance period is locked and can no longer be changed.", "commonunprocessable_entity")
        body = await json_body(request)
        if not isinstance(body, dict):
            raise bad_request("Invalid request content.")
        fields = self.period_fields(body)
        fields.pop("person_id", None)  # a period never moves to another person
        changed = PersonioAttendancePeriod(**{**period.__dict__, **fields})
        self.check_period(changed, exclude_id=period.id)
        changed.status = "CONFIRMED" if request.query.get("skip_approval", "false") == "true" else "PENDING"
        changed.updated_at = utc_now()
        self.state.attendance_periods[period.id] = changed
        return web.Response(status=204)

    async def delete_attendance_period(self, request: web.Request) -> web.Response:
        self.auth(request)
        period = self.find_period(request)
        if period.locked:
            raise problem(LOCKED_STATUS, "Unprocessable Entity",
                          "The attendance period is locked and can no longer be changed.", "commonunprocessable_entity")
        del self.state.attendance_periods[period.id]
        return web.Response(status=204)


def _within(value: str | None, bound: str, lower: bool) -> bool:
    if value is None:
        return False
    return value >= bound if lower else value <= bound


def _overlaps(a: PersonioAttendancePeriod, b: PersonioAttendancePeriod) -> bool:
    a_end, b_end = a.end or "9999", b.end or "9999"
    return a.start < b_end and b.start < a_end


def rate_limited(retry_after: int | None) -> web.Response:
    # UNVERIFIED: no real Personio 429 body or header was found. problem+json like every v2 error.
    body = {
        "personio_trace_id": str(uuid.uuid4()),
        "timestamp": utc_now(),
        "errors": [{"title": "Too Many Requests", "detail": "Rate limit exceeded.",
                    "type": f"{ERROR_DOCS}#commontoo_many_requests", "_meta": {}}],
    }
    headers = {"Retry-After": str(retry_after)} if retry_after is not None else None
    return json_response(body, status=429, headers=headers, content_type="application/problem+json")


def personio_app(sandbox: Sandbox) -> web.Application:
    api = PersonioApi(sandbox)
    app = web.Application(middlewares=[pipeline(sandbox, "personio", api.rate_key, rate_limited)])
    r = app.router
    r.add_post(TOKEN_PATH, api.token)
    r.add_get("/v2/persons", api.list_persons)
    r.add_get("/v2/persons/{id}", api.get_person)
    r.add_get("/v2/absence-types", api.list_absence_types)
    r.add_get("/v2/absence-periods", api.list_absence_periods)
    r.add_delete("/v2/absence-periods/{id}", api.delete_absence_period)
    r.add_get("/v2/attendance-periods", api.list_attendance_periods)
    r.add_post("/v2/attendance-periods", api.create_attendance_period)
    r.add_get("/v2/attendance-periods/{id}", api.get_attendance_period)
    r.add_patch("/v2/attendance-periods/{id}", api.patch_attendance_period)
    r.add_delete("/v2/attendance-periods/{id}", api.delete_attendance_period)
    return app



