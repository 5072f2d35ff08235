"""MOCO's lists: `page` and `per_page`, the total in `X-Total`, the next page in `Link: rel="next"`.

With X-Total known, pages 2..n are fetched concurrently (as fast as the service's limiter allows);
without it, `Link: rel="next"` is followed. Headers are read in any case.
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import Mapping
from typing import Any

from reconciler.errors import ApiError, Unavailable, UnexpectedResponse
from reconciler.systems.http import Response, Service, read_again_once, records, repeated, visit

PER_PAGE = 100


async def link_pages(service: Service, path: str, params: dict[str, Any] | None = None, *,
                     per_page: int = PER_PAGE) -> list[dict[str, Any]]:
    """Every record of a MOCO list, each once.

    A read that does not add up (X-Total moves between pages, a record is listed twice, or the
    records read are not as many as X-Total says) is done once more; if that one does not add up
    either, the read stops with an error naming the list and what is wrong.
    """
    params = dict(params or {})
    endpoint = service.endpoint("GET", path, params)

    async def read() -> tuple[list[dict[str, Any]], ApiError | None]:
        first = await service.request("GET", path, params={**params, "per_page": per_page, "page": 1})
        items = _records(service, first, 1)
        total = _header_int(first.headers, "X-Total")
        size = _header_int(first.headers, "X-Per-Page") or per_page
        if total is None or size <= 0:
            items += await _follow_next(service, path, first)
            return items, repeated(service, endpoint, items)
        rest = await asyncio.gather(*(
            service.request("GET", path, params={**params, "per_page": size, "page": number})
            for number in range(2, max(1, math.ceil(total / size)) + 1)
        ))
        totals = [total]
        for number, page in enumerate(rest, start=2):
            items += _records(service, page, number)
            totals.append(_header_int(page.headers, "X-Total"))  # type: ignore[arg-type]
        if any(other != total for other in totals):
            said = ", then ".join(dict.fromkeys("none" if t is None else str(t) for t in totals))
            return items, Unavailable(service.name, f"{endpoint} kept changing while it was read (X-Total {said}), "
                                                    "also when read again; try again in a moment")
        if problem := repeated(service, endpoint, items):
            return items, problem
        if len(items) != total:
            return items, UnexpectedResponse(service.name, f"{endpoint} said X-Total {total} but listed {len(items)} "
                                                           "records, also when read again: the list cannot be trusted")
        return items, None

    return await read_again_once(read)


async def _follow_next(service: Service, path: str, first: Response) -> list[dict[str, Any]]:
    """The records of the pages after `first`, following `Link: rel="next"` until there is none."""
    items: list[dict[str, Any]] = []
    seen: set[str] = set()
    next_url = _link(first.headers, "next")
    number = 1
    while next_url:
        visit(seen, next_url, service=service.name, path=path)
        page = await service.request("GET", next_url)
        number += 1
        items += _records(service, page, number)
        next_url = _link(page.headers, "next")
    return items


def _records(service: Service, response: Response, page: int) -> list[dict[str, Any]]:
    if not isinstance(response.body, list):
        raise UnexpectedResponse(service.name, f"{response.call} did not answer with a list")
    return records(service, response.call, page, response.body)


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
