"""Faster stand-ins for the benchmark's sandbox process only: the same answers, without the quadratic cost.

The stand-ins build a list's whole answer (every matching record, sorted and rendered) for each page
they serve, and check a new Personio attendance period against every stored one. Fine for a test
company; with a year of 2,000 people (a million presences) one page takes seconds and a full read
hours. And while a handler builds, the event loop stands still, so requests that arrive meanwhile are
counted against the rate limit late, and a client that kept the limit is refused (429). Here, in the
benchmark's own sandbox process and nowhere else:

- a list's rendered records are kept per list (path, key, filters; not the page) until anything
  writes (any request other than GET, on either port, the side door's included, but for tokens and
  clearing the request log; `invalidate()` for changes made in-process), so pages 2..n cost a slice;
- a list not kept yet is built in a worker thread, so the event loop goes on counting arrivals; writes
  (and the benchmark's own changes, `world_lock`) wait until it is built; after the benchmark changed
  the data, `rebuild()` builds the lists seen so far again, so a run starts with them kept, as on a
  service that answers a list's first page no slower than its others;
- people's records are indexed by their owner (indexes.py): a list filtered to some people or to a
  recent moment is built by the stand-in's handler over those records only, and the overlap check of a
  new attendance period looks at that person's periods only (the check itself is the stand-in's own).

What the stand-ins answer, page by page, is unchanged; only the sandbox's CPU and timing differ.
"""

from __future__ import annotations

import asyncio
import copy
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Awaitable, Callable, Coroutine

import indexes
from aiohttp import web

from reconciler.sandbox.moco.presences import Presences
from reconciler.sandbox.moco.schedules import Schedules
from reconciler.sandbox.moco.service import MocoService
from reconciler.sandbox.personio import service as personio_service
from reconciler.sandbox.personio.absences import Absences
from reconciler.sandbox.personio.attendances import Attendances
from reconciler.sandbox.personio.persons import Persons
from reconciler.sandbox.personio.service import PersonioService

Handler = Callable[[Any, web.Request], Awaitable[web.Response]]

_ROWS: dict[tuple[Any, ...], list[dict[str, Any]]] = {}
_RECIPES: dict[tuple[Any, ...], Callable[[], None]] = {}  # how to build each list seen (into _ROWS)
built_seconds = [0.0]  # time spent building lists in the worker, all told
_BUILDER = ThreadPoolExecutor(max_workers=1, thread_name_prefix="bench-lists")
_installed = False
world_lock = asyncio.Lock()  # held while a list is built in the worker, and by every change to the data


def invalidate() -> None:
    _ROWS.clear()


def _run(coroutine: Coroutine[Any, Any, Any]) -> Any:
    """Run a handler that never awaits (the list handlers) to its end, in the worker thread."""
    try:
        coroutine.send(None)
    except StopIteration as done:
        return done.value
    coroutine.close()
    raise RuntimeError("a list handler awaited; it cannot be built in the worker")


def _timed(work: Callable[[], Any]) -> Any:
    started = time.perf_counter()
    try:
        return work()
    finally:
        built_seconds[0] += time.perf_counter() - started


async def _in_worker(work: Callable[[], Any]) -> Any:
    async with world_lock:
        return await asyncio.get_running_loop().run_in_executor(_BUILDER, _timed, work)


async def rebuild() -> int:
    """Build again every list built before (after the benchmark changed the data), so that the next run
    finds them kept, as the run before it did; how many."""
    async with world_lock:
        invalidate()
        recipes = list(_RECIPES.items())

        def build_all() -> None:
            for _key, recipe in recipes:
                try:
                    recipe()
                except Exception:  # noqa: BLE001 - an answer that is an error is not kept; asked again, it comes again
                    pass

        await asyncio.get_running_loop().run_in_executor(_BUILDER, _timed, build_all)
    return len(recipes)


def _moco_key(request: web.Request) -> tuple[Any, ...]:
    query = tuple(sorted((k, v) for k, v in request.query.items() if k not in ("page", "per_page")))
    return "moco", request.path, request.headers.get("Authorization", ""), query


def _builder(handler_object: Any, query: Any) -> Any:
    """A copy of a handler object that sees the stores narrowed to what `query` can match (indexes.py)."""
    builder = copy.copy(handler_object)
    state = handler_object.state
    view = indexes.narrowed(state, handler_object.service, query)
    if view is not state:
        builder.sandbox = indexes.view_of(handler_object.sandbox, handler_object.service, view)
    return builder


def _memo_moco_list(handler: Handler) -> Handler:
    async def cached(self: MocoService, request: web.Request) -> web.Response:
        key = _moco_key(request)
        if key not in _ROWS:
            def recipe() -> None:
                captured: list[list[dict[str, Any]]] = []
                builder = _builder(self, request.query)
                builder.page = lambda _request, items: captured.append(items)  # the rows instead of a page
                _run(handler(builder, request))
                _ROWS[key] = captured[0]

            await _in_worker(recipe)
            _RECIPES[key] = recipe
        return MocoService.page(self, request, _ROWS[key])

    return cached


def _personio_query(request: web.Request) -> dict[str, str] | None:
    """The filters of a Personio list request, from its cursor or its query (as `PersonioService.page`)."""
    cursor = request.query.get("cursor")
    if not cursor:
        return {k: v for k, v in request.query.items() if k != "cursor"}
    try:
        return personio_service._decode_cursor(cursor)[0]
    except Exception:  # noqa: BLE001 - the handler answers a bad cursor itself
        return None


def _personio_key(path: str, query: dict[str, str]) -> tuple[Any, ...]:
    return "personio", path, tuple(sorted(query.items()))


def _memo_personio_page(page: Callable[..., web.Response]) -> Callable[..., web.Response]:
    def cached(self: PersonioService, request: web.Request, items_for: Callable[[dict[str, str]], list[dict[str, Any]]],
               **limits: Any) -> web.Response:
        def items(query: dict[str, str]) -> list[dict[str, Any]]:
            key = _personio_key(request.path, query)
            if key not in _ROWS:
                _ROWS[key] = items_for(query)
            return _ROWS[key]

        return page(self, request, items, **limits)

    return cached


def _offload_personio_list(handler: Handler) -> Handler:
    async def listing(self: PersonioService, request: web.Request) -> web.Response:
        query = _personio_query(request)
        if query is None:
            return await handler(self, request)
        key = _personio_key(request.path, query)
        if key in _ROWS:
            return await handler(self, request)  # a slice of the kept list
        answer: list[web.Response] = []

        def recipe() -> None:  # builds the list (into _ROWS, by the page above) and answers this request
            answer.append(_run(handler(_builder(self, query), request)))

        await _in_worker(recipe)
        _RECIPES[key] = recipe
        return answer[0]

    return listing


def _indexed_check(check: Callable[..., None]) -> Callable[..., None]:
    def check_period(self: Attendances, period: Any, exclude_id: str | None = None) -> None:
        everyone = self.state.attendance_periods
        if not isinstance(everyone, indexes.Indexed):
            return check(self, period, exclude_id)
        builder = _builder(self, {"person.id": period.person_id})
        return check(builder, period, exclude_id)

    return check_period


def _changes_nothing(request: web.Request) -> bool:
    """GETs, tokens, clearing the request log; and the benchmark's own routes, which take the lock
    themselves (`sync` reads the stand-ins over HTTP before it changes anything)."""
    return request.method == "GET" or request.path.endswith("/auth/token") or request.path.startswith(
        "/_sandbox/bench/") or (request.method == "DELETE" and request.path.endswith("/_sandbox/requests"))


@web.middleware
async def forget_on_write(request: web.Request, handler: Any) -> web.StreamResponse:
    """Innermost middleware of both stand-ins: a write (or a side-door change) waits for a list being
    built, and drops the kept lists."""
    if _changes_nothing(request):
        return await handler(request)
    async with world_lock:
        invalidate()
        try:
            return await handler(request)
        finally:
            invalidate()


def install() -> None:
    """Patch the stand-in classes in this process (once, before their applications are made)."""
    global _installed
    if _installed:
        return
    _installed = True
    Presences.list_presences = _memo_moco_list(Presences.list_presences)  # type: ignore[method-assign]
    Schedules.list_schedules = _memo_moco_list(Schedules.list_schedules)  # type: ignore[method-assign]
    PersonioService.page = _memo_personio_page(PersonioService.page)  # type: ignore[method-assign]
    for cls, name in ((Persons, "list_persons"), (Absences, "list_absence_periods"),
                      (Attendances, "list_attendance_periods")):
        setattr(cls, name, _offload_personio_list(getattr(cls, name)))
    Attendances.check_period = _indexed_check(Attendances.check_period)  # type: ignore[method-assign]
