"""Personio v2's lists: records in `_data`, the next page's address in `_meta.links.next.href`.

Cursor pages are read one after another, as cursors require. A next link's path and query are used
on the configured host (see `Service.url`).
"""

from __future__ import annotations

from typing import Any

from reconciler.errors import ApiError, UnexpectedResponse
from reconciler.systems.http import Keep, Response, Service, ids, kept, read_again_once, records, repeated, visit


async def cursor_pages(service: Service, path: str, params: dict[str, Any] | None = None, *,
                       keep: Keep | None = None) -> list[Any]:
    """Every record of a Personio v2 list, following `_meta.links.next.href` until absent (with `keep`,
    what it keeps of each page, as it arrives).

    `data` and `meta` are read where `_data` and `_meta` are missing. A list that names a record
    twice is read once more; if it still does, the read stops with an error naming the record.
    """
    endpoint = service.endpoint("GET", path, params)

    async def read() -> tuple[list[Any], ApiError | None]:
        keys, items = await _read_once(service, path, params, keep)
        return items, repeated(service, endpoint, keys)

    return await read_again_once(read)


async def _read_once(service: Service, path: str, params: dict[str, Any] | None, keep: Keep | None
                     ) -> tuple[list[Any], list[Any]]:
    """The ids of a list's records and what is kept of them."""
    response = await service.request("GET", path, params=params)
    keys: list[Any] = []
    items: list[Any] = []
    seen: set[str] = set()
    number = 1
    while True:
        body = response.body
        data = body.get("_data", body.get("data")) if isinstance(body, dict) else None
        if not isinstance(data, list):
            raise UnexpectedResponse(service.name, f"{response.call} did not answer with a `_data` list")
        entries = records(service, response.call, number, data)
        keys += ids(entries)
        items += kept(keep, entries)
        href = _next_href(service, response)
        if not href:
            return keys, items
        visit(seen, href, service=service.name, path=path)
        response = await service.request("GET", href)
        number += 1


def _next_href(service: Service, response: Response) -> str | None:
    """`_meta.links.next.href` (or `meta.…`); None on the last page. Something there that cannot be
    read is an error, not a last page: a list cut short would plan deletions."""
    node: Any = response.body.get("_meta") or response.body.get("meta")
    for key in ("links", "next", "href"):
        if not node:
            return None
        if not isinstance(node, dict):
            raise _unreadable(service, response)
        node = node.get(key)
    if node and not isinstance(node, str):
        raise _unreadable(service, response)
    return node or None


def _unreadable(service: Service, response: Response) -> UnexpectedResponse:
    return UnexpectedResponse(service.name, f"{response.call} answered with an unreadable `_meta.links.next.href`")
