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
from reconciler.systems.http import Keep, Response, Service, ids, kept, read_again_once, records, repeated, visit

PER_PAGE = 100


async def link_pages(service: Service, path: str, params: dict[str, Any] | None = None, *,
                     per_page: int = PER_PAGE, keep: Keep | None = None) -> list[Any]:
    """Every record of a MOCO list, each once (with `keep`, what it keeps of each page, as it arrives).

    A read that does not add up (X-Total moves between pages, a record is listed twice, or the
    records read are not as many as X-Total says) is done once more; if that one does not add up
    either, the read stops with an error naming the list and what is wrong.
    """
    params = dict(params or {})
    endpoint = service.endpoint("GET", path, params)

    async def page(number: int, size: int) -> tuple[list[Any], list[Any], int | None]:
        """One page as it arrives: its records' ids, what is kept of them, and its X-Total."""
        answer = await service.request("GET", path, params={**params, "per_page": size, "page": number})
        entries = _records(service, answer, number)
        return ids(entries), kept(keep, entries), _header_int(answer.headers, "X-Total")

    async def read() -> tuple[list[Any], ApiError | None]:
        first = await service.request("GET", path, params={**params, "per_page": per_page, "page": 1})
        entries = _records(service, first, 1)
        keys, items = ids(entries), kept(keep, entries)
        total = _header_int(first.headers, "X-Total")
        size = _header_int(first.headers, "X-Per-Page") or per_page
        del entries
        if total is None or size <= 0:
            more_keys, more = await _follow_next(service, path, first, keep)
            return items + more, repeated(service, endpoint, keys + more_keys)
        rest = await asyncio.gather(*(page(number, size) for number in range(2, max(1, math.ceil(total / size)) + 1)))
        totals: list[int | None] = [total]
        for page_keys, page_items, page_total in rest:
            keys += page_keys
            items += page_items
            totals.append(page_total)
        if any(other != total for other in totals):
            said = ", then ".join(dict.fromkeys("none" if t is None else str(t) for t in totals))
            return items, Unavailable(service.name, f"{endpoint} kept changing while it was read (X-Total {said}), "
                                                    "also when read again; try again in a moment")
        if problem := repeated(service, endpoint, keys):
            return items, problem
        if len(keys) != total:
            return items, UnexpectedResponse(service.name, f"{endpoint} said X-Total {total} but listed {len(keys)} "
                                                           "records, also when read again: the list cannot be trusted")
        return items, None

    return await read_again_once(read)


async def _follow_next(service: Service, path: str, first: Response, keep: Keep | None
                       ) -> tuple[list[Any], list[Any]]:
    """The ids and the kept records of the pages after `first`, following `Link: rel="next"` until there is none."""
    keys: list[Any] = []
    items: list[Any] = []
    seen: set[str] = set()
    next_url = _link(first.headers, "next")
    number = 1
    while next_url:
        visit(seen, next_url, service=service.name, path=path)
        page = await service.request("GET", next_url)
        number += 1
        entries = _records(service, page, number)
        keys += ids(entries)
        items += kept(keep, entries)
        next_url = _link(page.headers, "next")
    return keys, items


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
