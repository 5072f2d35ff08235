"""The base of the Personio handlers: bearer auth, cursor pages and the date-time filter check.

A cursor page carries the filters and the limit inside its cursor, like Personio's: the next link
holds only `cursor=`. Date-time filters with `Z` or an offset answer 400 "Invalid request content".
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from typing import Any, Callable

from aiohttp import web

from reconciler.sandbox.common import ServiceApi, json_response, query_int
from reconciler.sandbox.personio.auth import bearer_client
from reconciler.sandbox.personio.errors import bad_request, problem
from reconciler.sandbox.personio.records import PersonioState

LOCAL_DATE_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


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


# The scope each resource needs (personio.md §2.2: each v2 endpoint states its own), by path prefix and whether
# the call reads or writes. A scope in `PersonioState.withheld_scopes` answers 403, as Personio answers a
# credential without it (samples/personio-v2-error-403-scope-live.json). Employments (under /v2/persons) and org
# units are guarded by the persons scope: UNVERIFIED (doctor: personio-employments), as reconcile assumes it.
SCOPES = (("/v2/persons", "persons"), ("/v2/absence-types", "absences"), ("/v2/absence-periods", "absences"),
          ("/v2/attendance-periods", "attendances"), ("/v2/webhooks", "webhooks"), ("/v2/holidays", "absences"),
          ("/v2/org-units", "persons"))


def scope_of(method: str, path: str) -> str | None:
    """The scope a call needs, e.g. `personio:absences:read`; None for a path no scope guards."""
    resource = next((name for prefix, name in SCOPES if path == prefix or path.startswith(prefix + "/")), None)
    if resource is None:
        return None
    return f"personio:{resource}:{'read' if method in ('GET', 'HEAD') else 'write'}"


def csv(value: str | None) -> set[str] | None:
    return None if not value else {part.strip() for part in value.split(",") if part.strip()}


class PersonioService(ServiceApi):
    service = "personio"

    @property
    def state(self) -> PersonioState:
        return self.sandbox.world.personio

    def auth(self, request: web.Request) -> str:
        """The client behind the bearer token (401 without one); 403 when its credential lacks the call's scope."""
        client = bearer_client(self.state, request)
        if scope_of(request.method, request.path) in self.state.withheld_scopes:
            raise problem(403, "Insufficient access scope", "Client scope insufficient to access resource",
                          "commonforbidden")
        return client

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
                if not LOCAL_DATE_TIME.match(value):
                    # Observed live: "2023-01-01T12:00:00Z" answers 400 "Invalid request content".
                    raise bad_request("Invalid request content.")
            if name.startswith("attribution_date") and not _DATE.match(value):
                raise bad_request("Invalid request content.")
