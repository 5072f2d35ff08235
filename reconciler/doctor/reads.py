"""How the checks read: through the run's clients and the HTTP core, read-only, a few records where a sample
says enough, and never a word of a service's answer that could name a person.

`Context` is what every check is given: the spec, the clients, today and `shared`, the lists several
checks look at, each read once (the first check to ask starts the read, the others wait for it). Errors
become one line through `trouble`, worded here from the error's type, status and endpoint (its path, never
its query, which may carry the ids or emails a probe asked for) and never from the service's own words.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from reconciler.doctor.model import Check, failed
from reconciler.errors import (
    ApiError,
    AuthenticationFailed,
    NotFound,
    PermissionDenied,
    RateLimited,
    ReconcileError,
    Rejected,
    Unavailable,
    UnexpectedResponse,
)
from reconciler.spec import Spec
from reconciler.systems.connect import Clients
from reconciler.systems.http import Service, Source

# The Personio scope each of its resources needs (personio.md §2.2), by path prefix.
PERSONIO_SCOPES = (("/v2/persons", "personio:persons:read"), ("/v2/absence-types", "personio:absences:read"),
                   ("/v2/absence-periods", "personio:absences:read"),
                   ("/v2/attendance-periods", "personio:attendances:read"), ("/v2/webhooks", "personio:webhooks:read"))
MOCO_RIGHTS = "an account API key with full access (or a staff user's key)"


@dataclass
class Shared:
    """Reads several checks look at, each made once: `once(key, read)` starts `read()` the first time and
    gives every caller the same outcome (its records, or its error)."""

    _reads: dict[str, asyncio.Future[Any]] = field(default_factory=dict)

    def once(self, key: str, read: Callable[[], Awaitable[Any]]) -> Awaitable[Any]:
        if key not in self._reads:
            self._reads[key] = asyncio.ensure_future(read())
        return asyncio.shield(self._reads[key])

    def close(self) -> None:
        """Cancel what nobody waited for (a check that failed before it asked), so no task outlives the run."""
        for future in self._reads.values():
            if not future.done():
                future.cancel()
            elif not future.cancelled():
                future.exception()  # retrieved: an error nobody awaited is not logged at exit


@dataclass(frozen=True)
class Context:
    spec: Spec
    clients: Clients
    today: date
    shared: Shared = field(default_factory=Shared)


# ----------------------------------------------------------------------------------------------- samples


@dataclass(frozen=True)
class Sample:
    """Records of a list read from its start, no further than a number of pages: `complete` when the list
    ended within them. `links` are the next-page addresses the pages gave (for the pagination check)."""

    rows: tuple[dict[str, Any], ...]
    pages: int
    complete: bool
    links: tuple[str, ...] = ()
    headers: Mapping[str, str] = field(default_factory=dict)  # the first page's, names lower-cased
    total: int | None = None  # MOCO's X-Total, when given


async def cursor_sample(service: Service, path: str, params: dict[str, Any], pages: int) -> Sample:
    """A Personio v2 list (`_data`, `_meta.links.next.href`) from its first page, at most `pages` pages."""
    response = await service.request("GET", path, params=params)
    headers = {name.lower(): value for name, value in response.headers.items()}
    rows: list[dict[str, Any]] = []
    links: list[str] = []
    for number in range(1, pages + 1):
        body = response.body
        data = body.get("_data", body.get("data")) if isinstance(body, dict) else None
        if not isinstance(data, list):
            raise UnexpectedResponse(service.name, f"GET {path} did not answer with a `_data` list")
        rows += [row for row in data if isinstance(row, dict)]
        href = _next_href(body)
        if not href:
            return Sample(tuple(rows), number, True, tuple(links), headers)
        links.append(href)
        if number == pages:
            break
        response = await service.request("GET", href)
    return Sample(tuple(rows), pages, False, tuple(links), headers)


def _next_href(body: dict[str, Any]) -> str | None:
    node: Any = body.get("_meta") or body.get("meta")
    for key in ("links", "next", "href"):
        node = node.get(key) if isinstance(node, dict) else None
    return node if isinstance(node, str) and node else None


async def moco_page(service: Service, path: str, params: dict[str, Any], per_page: int = 100) -> Sample:
    """The first page of a MOCO list (`per_page` records), with its headers and X-Total."""
    response = await service.request("GET", path, params={**params, "per_page": per_page, "page": 1})
    if not isinstance(response.body, list):
        raise UnexpectedResponse(service.name, f"GET {path} did not answer with a list")
    rows = tuple(row for row in response.body if isinstance(row, dict))
    total = response.headers.get("X-Total")
    link = response.headers.get("Link", "")
    return Sample(rows, 1, 'rel="next"' not in link and "rel=next" not in link, (),
                  {name.lower(): value for name, value in response.headers.items()},
                  int(total) if total and total.strip().isdigit() else None)


def rate_headers(headers: Mapping[str, str]) -> list[str]:
    """The names of the rate-limit headers among `headers` (X-RateLimit-*, RateLimit-*, Retry-After)."""
    return sorted({name for name in headers
                   if name.lower().startswith(("x-ratelimit", "ratelimit", "x-rate-limit")) or
                   name.lower() == "retry-after"}, key=str.lower)


# ----------------------------------------------------------------------------------------------- errors


def endpoint_of(error: ApiError) -> str:
    """The call an error is about, without its query (e.g. `GET /v2/persons`)."""
    return (error.call or f"a {error.service} request").split("?")[0]


def scope_for(path: str) -> str | None:
    """The Personio scope a path needs, e.g. `personio:persons:read`."""
    bare = path.split("?")[0].split(" ")[-1]
    return next((scope for prefix, scope in PERSONIO_SCOPES if bare == prefix or bare.startswith(prefix + "/")), None)


def refused(error: ApiError) -> bool:
    """Whether a read was refused for the credential's rights: 403, or 401 on a call after the token (Personio
    has answered a missing right on /v2/persons with 401)."""
    return isinstance(error, PermissionDenied) or (isinstance(error, AuthenticationFailed) and error.status == 401
                                                   and "/auth/token" not in (error.call or ""))


_FIELD = re.compile(r": ([A-Za-z_][\w.\[\]]*) is (?:missing|null|a |an |true|false)")


def trouble(error: Exception) -> str:
    """One line about an error, naming its endpoint and what it means, never a record or a service's words."""
    if not isinstance(error, ApiError):
        return str(error) if isinstance(error, ReconcileError) else \
            f"the check itself failed ({type(error).__name__}); this is a bug in reconcile doctor: please report it"
    where = endpoint_of(error)
    if refused(error):
        scope = scope_for(where) if error.service == "Personio" else None
        lacks = f"the API credential lacks the scope {scope}" if scope else \
            f"the key lacks the rights; reconcile needs {MOCO_RIGHTS}" if error.service == "MOCO" else \
            "the API credential lacks the rights"
        return f"{where} was refused ({error.status}): {lacks}"
    if isinstance(error, UnexpectedResponse):
        found = _FIELD.search(error.message)
        what = f"a record whose `{found.group(1)}` is not what reconcile reads" if found else \
            "something reconcile cannot read"
        return f"{where} answered {what}; a run would stop there too (`reconcile plan` names the record)"
    if isinstance(error, NotFound):
        return f"{where} answered 404: {error.service} does not offer it here"
    if isinstance(error, Rejected):
        return f"{where} was refused ({error.status}): {error.service} does not take what reconcile sends there"
    if isinstance(error, RateLimited):
        return f"{where}: {error.service} still answered 429 after reconcile waited; try again in a few minutes"
    if isinstance(error, Unavailable):
        return f"{where} answered {error.status}" if error.status else \
            f"no answer from {error.service} ({where}): unreachable or timed out"
    return f"{where} answered {error.status}" if error.status else f"{where} failed"


async def guarded(name: str, check: Awaitable[Check]) -> Check:
    """The check's outcome; an error it did not handle itself fails it, in `trouble`'s words."""
    try:
        return await check
    except asyncio.CancelledError:
        raise
    except Exception as error:  # noqa: BLE001 - a diagnosis never ends in a traceback
        return failed(name, trouble(error))


_VALUE = re.compile(r" \(.*?\)(?=, expected)")


def field_said(error: UnexpectedResponse, source: Source, keep: str | None = None) -> str:
    """What a reader says of a record's field (e.g. `half_day is missing, expected true or false`), for a check's
    detail: without the record's id, and without the value (a person's id or a day stays out of the report),
    unless the field is `keep` (a value of configuration, such as a holiday's `type`)."""
    said = error.message.split(f"{source.endpoint}: ", 1)[-1]
    return said if keep is not None and said.startswith(f"{keep} ") else _VALUE.sub("", said)
