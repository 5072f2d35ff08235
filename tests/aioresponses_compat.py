"""Test-only shim: aioresponses 0.7.9 builds mocked responses without the `stream_writer`
argument that aiohttp 3.14 requires (pnuckowski/aioresponses#289, fix pending in PR #288).

aiohttp 3.14.0 is a security release, so the runtime is not pinned back; instead the mocked
response class gets the missing argument, the same way the pending upstream fix does. This is a
no-op on aiohttp versions without the argument. Remove it once aioresponses ships the fix.
"""

from __future__ import annotations

import inspect
from typing import Any
from unittest.mock import Mock

import aioresponses.core
from aiohttp import ClientResponse


def install() -> None:
    if "stream_writer" not in inspect.signature(ClientResponse.__init__).parameters:
        return
    if getattr(aioresponses.core.ClientResponse, "_reconcile_compat", False):
        return

    class CompatClientResponse(ClientResponse):
        _reconcile_compat = True

        def __init__(self, method: str, url: Any, **kwargs: Any) -> None:
            kwargs.setdefault("stream_writer", Mock(output_size=0))
            super().__init__(method, url, **kwargs)

    aioresponses.core.ClientResponse = CompatClientResponse  # type: ignore[misc]
