"""The base of the MOCO handlers: key auth, page headers and links, filters, finding a visible record."""

from __future__ import annotations

import math
import re
from datetime import date
from typing import Any, TypeVar

from aiohttp import web

from reconciler.sandbox.common import ServiceApi, json_body, json_response, query_int
from reconciler.sandbox.moco.errors import empty, invalid_payload, unauthorized
from reconciler.sandbox.moco.records import MocoKey, MocoState

PER_PAGE_MAX = 100

Owned = TypeVar("Owned")  # a record with a user_id: a schedule or a presence
R = TypeVar("R")


def parse_date(value: Any) -> date | None:
    if not isinstance(value, str):
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        return None


def flag(value: Any, default: bool) -> bool:
    if value is None:
        return default
    if isinstance(value, str):
        return value.lower() in ("true", "1")
    return bool(value)


def int_set(raw: str | None) -> set[int] | None:
    """A comma list of integers as a set (parts that are not digits dropped), None when absent."""
    if not raw:
        return None
    return {int(part) for part in raw.split(",") if part.strip().isdigit()}


class MocoService(ServiceApi):
    service = "moco"

    @property
    def state(self) -> MocoState:
        return self.sandbox.world.moco

    def auth(self, request: web.Request) -> MocoKey:
        header = request.headers.get("Authorization", "")
        match = re.fullmatch(r"Token token=(\S+)", header) or re.fullmatch(r"Bearer (\S+)", header)
        key = self.state.keys.get(match.group(1)) if match else None
        if key is None:
            raise unauthorized()
        return key

    def require_staff(self, key: MocoKey) -> None:
        if not key.staff:
            raise empty(403)

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

    @staticmethod
    def ids_filter(request: web.Request) -> set[int] | None:
        return int_set(request.query.get("ids"))

    @staticmethod
    def window(request: web.Request) -> tuple[str | None, str | None]:
        return request.query.get("from") or None, request.query.get("to") or None

    @staticmethod
    def visible(key: MocoKey, record: Any) -> bool:
        """Staff keys see every schedule and presence; a plain user key only its owner's."""
        return key.staff or record.user_id == key.owner_user_id

    def find(self, request: web.Request, key: MocoKey, records: dict[int, Owned]) -> Owned:
        """The record named by the path's id, or an empty 404 (also when the key may not see it)."""
        record = self.named(request, records)
        if not self.visible(key, record):
            raise empty(404)
        return record

    @staticmethod
    def named(request: web.Request, records: dict[int, R]) -> R:
        """The record the path's id names, or an empty 404."""
        raw = request.match_info["id"]
        record = records.get(int(raw)) if raw.isdigit() else None
        if record is None:
            raise empty(404)
        return record

    @staticmethod
    async def object_body(request: web.Request) -> dict[str, Any]:
        """The JSON object a write sends; anything else answers 422 "Invalid payload"."""
        body = await json_body(request)
        if not isinstance(body, dict):
            raise invalid_payload()
        return body
