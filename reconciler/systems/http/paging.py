"""Reading a whole list: the `Pager` a vendor supplies for its paging style, and what every pager
needs. A list that does not add up is never passed on as if it did: an entry that is no record
stops the read at once; a record listed twice (so that another may have been left out in its
place) is read once more and, if the second read does not add up either, stops it; a link trail
that loops stops it too. A record that seems deleted because a read went wrong is how synced copies
get deleted."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Hashable
from typing import TYPE_CHECKING, Any, Protocol

from reconciler.errors import ApiError, UnexpectedResponse
from reconciler.systems.http.fields import describe

if TYPE_CHECKING:
    from reconciler.systems.http.transport import Service

READS = 2  # reads of a list that does not add up: the first and one more


# What a list's reader keeps of one page's records, called as each page arrives (e.g. the domain
# records read from them, fields.Reader), so that the raw page need not be kept until the list ends.
Keep = Callable[[list[dict[str, Any]]], list[Any]]


class Pager(Protocol):
    async def __call__(self, service: Service, path: str, params: dict[str, Any] | None = None, *,
                       keep: Keep | None = None) -> list[Any]:
        """Every record of the list at `path`, each once; with `keep`, what it keeps of each page's
        records, in the list's order."""
        ...


Read = Callable[[], Awaitable[tuple[list[Any], ApiError | None]]]


def kept(keep: Keep | None, entries: list[dict[str, Any]]) -> list[Any]:
    """What `keep` keeps of one page's records; the records themselves without it."""
    return entries if keep is None else keep(entries)


def ids(entries: list[dict[str, Any]]) -> list[Any]:
    """The `id` of each record of a page (None where it has none), for `repeated`."""
    return [entry.get("id") for entry in entries]


async def read_again_once(read: Read) -> list[Any]:
    """The records of `read()`, which also says what does not add up about them (None: nothing).
    A read that does not add up is done once more; if that one does not add up either, its problem
    is raised."""
    problem: ApiError | None = None
    for _ in range(READS):
        items, problem = await read()
        if problem is None:
            return items
    assert problem is not None
    raise problem


def records(service: Service, call: str, page: int, entries: list[Any]) -> list[dict[str, Any]]:
    """The entries of one page, each a record (a JSON object); anything else stops the read."""
    for index, entry in enumerate(entries, start=1):
        if not isinstance(entry, dict):
            raise UnexpectedResponse(service.name, f"{call} (page {page}): entry {index} is {describe(entry)}, "
                                                   "not a record")
    return entries


def repeated(service: Service, endpoint: str, keys: list[Any]) -> UnexpectedResponse | None:
    """The error for a list whose records' `id`s (`keys`, see `ids`) name one twice; None when each is
    there once. Ids that are no scalar are left for the client to reject as unreadable."""
    seen: set[Any] = set()
    for key in keys:
        if key is None or (key.__class__ is not int and key.__class__ is not str and not isinstance(key, Hashable)):
            continue
        if key in seen:
            return UnexpectedResponse(service.name, f"{endpoint} listed record {key} twice, also when read again: "
                                                    "another record may be missing in its place, so the list "
                                                    "cannot be trusted")
        seen.add(key)
    return None


def visit(seen: set[str], link: str, *, service: str, path: str) -> None:
    """Note that `link` is followed next; raise when it was followed before: the list loops."""
    if link in seen:
        raise UnexpectedResponse(service, f"pagination of {path} loops at {link}")
    seen.add(link)
