"""Awaiting several reads at once, so that one failing never leaves the others running."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Iterable
from typing import Any


async def together(reads: Iterable[Awaitable[Any]]) -> list[Any]:
    """The results of `reads`, awaited at once. When one fails, the others are stopped and waited for
    before the error goes on, so no request is left running on a session about to close."""
    tasks = [asyncio.ensure_future(read) for read in reads]
    try:
        return list(await asyncio.gather(*tasks))
    except BaseException:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        raise


async def nothing() -> list[Any]:
    """A read that reads nothing: in `together(...)`, the place of a read that is not needed this time."""
    return []
