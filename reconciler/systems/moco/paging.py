"""MOCO's lists: `page` and `per_page`, the total in `X-Total`, the next page in `Link: rel="next"`.

With X-Total known, pages 2..n are fetched concurrently (as fast as the service's limiter allows);
without it, `Link: rel="next"` is followed. Headers are read in any case.
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import Mapping
from typing import Any

from reconciler.errors import Unavailable, UnexpectedResponse
from reconciler.systems.http import Response, Service, unique_by_id, visit

PER_PAGE = 100
TRIES = 3  # reads of a list that keeps changing before giving up


async def link_pages(service: Service, path: str, params: dict[str, Any] | None = None, *,
                     per_page: int = PER_PAGE, tries: int = TRIES) -> list[dict[str, Any]]:
    """Every record of a MOCO list, each once.

    A list that changes while it is read (X-Total differs between pages, or a record shifts onto
    two pages) is read again, up to `tries` times.
    """
    params = dict(params or {})
    for _ in range(tries):
        first = await service.request("GET", path, params={**params, "per_page": per_page, "page": 1})
        items = _records(service, first)
        total = _header_int(first.headers, "X-Total")
        size = _header_int(first.headers, "X-Per-Page") or per_page
        consistent = True
        if total is not None and size > 0:
            rest = await asyncio.gather(*(
                service.request("GET", path, params={**params, "per_page": size, "page": number})
                for number in range(2, max(1, math.ceil(total / size)) + 1)
            ))
            for page in rest:
                items += _records(service, page)
                consistent &= _header_int(page.headers, "X-Total") == total
        else:
            items += await _follow_next(service, path, first)
        unique = unique_by_id(items)
        if consistent and (total is None or len(unique) == total == len(items)):
            return unique
    raise Unavailable(service.name, f"the list at {path} kept changing while it was read ({tries} tries); "
                                    "try again in a moment")


async def _follow_next(service: Service, path: str, first: Response) -> list[dict[str, Any]]:
    """The records of the pages after `first`, following `Link: rel="next"` until there is none."""
    items: list[dict[str, Any]] = []
    seen: set[str] = set()
    next_url = _link(first.headers, "next")
    while next_url:
        visit(seen, next_url, service=service.name, path=path)
        page = await service.request("GET", next_url)
        items += _records(service, page)
        next_url = _link(page.headers, "next")
    return items


def _records(service: Service, response: Response) -> list[dict[str, Any]]:
    if not isinstance(response.body, list):
        raise UnexpectedResponse(service.name, f"{response.call} did not answer with a list")
    return [item for item in response.body if isinstance(item, dict)]


def _header_int(headers: Mapping[str, str], name: str) -> int | None:
    value = headers.get(name)  # CIMultiDict: X-Total and x-total alike
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None


def _link(headers: Mapping[str, str], rel: str) -> str | None:
    """The URL of `rel` in a Link header, wherever it stands in the list."""
    for part in headers.get("Link", "").split(","):
        section = part.strip()
        if not section.startswith("<") or ">" not in section:
            continue
        url, _, attributes = section[1:].partition(">")
        for attribute in attributes.split(";"):
            key, _, value = attribute.strip().partition("=")
            if key == "rel" and rel in value.strip('"').split():
                return url
    return None
