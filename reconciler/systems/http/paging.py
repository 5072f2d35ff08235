"""Reading a whole list: the `Pager` a vendor supplies for its paging style, and what every pager
needs (dropping a record seen on two pages, stopping a link trail that loops)."""

from __future__ import annotations

from collections.abc import Hashable, Iterable
from typing import TYPE_CHECKING, Any, Protocol

from reconciler.errors import UnexpectedResponse

if TYPE_CHECKING:
    from reconciler.systems.http.transport import Service


class Pager(Protocol):
    async def __call__(self, service: Service, path: str,
                       params: dict[str, Any] | None = None) -> list[dict[str, Any]]:
        """Every record of the list at `path`, each once."""
        ...


def unique_by_id(items: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """The records in order, each `id` once (the first wins). Records without an id, or with one that
    is no scalar (left for the client to reject as unreadable), are all kept."""
    seen: set[Any] = set()
    unique = []
    for item in items:
        key = item.get("id")
        if isinstance(key, Hashable):
            if key is not None and key in seen:
                continue
            seen.add(key)
        unique.append(item)
    return unique


def visit(seen: set[str], link: str, *, service: str, path: str) -> None:
    """Note that `link` is followed next; raise when it was followed before: the list loops."""
    if link in seen:
        raise UnexpectedResponse(service, f"pagination of {path} loops at {link}")
    seen.add(link)
