"""Credentials for a service: the headers a request carries, and whether a refused one is worth
renewing. A vendor with tokens supplies its own `Authenticator`; a fixed key is a `StaticAuth`."""

from __future__ import annotations

from typing import Protocol


class Authenticator(Protocol):
    async def headers(self) -> dict[str, str]: ...

    async def renew(self, used: dict[str, str]) -> bool:
        """After a 401 with `used` headers: True when new credentials are worth one more try."""
        ...


class StaticAuth:
    """The same headers on every request; a 401 is final."""

    def __init__(self, headers: dict[str, str]) -> None:
        self._headers = headers

    async def headers(self) -> dict[str, str]:
        return self._headers

    async def renew(self, used: dict[str, str]) -> bool:
        return False
