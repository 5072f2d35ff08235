"""Credentials for a service: the headers a request carries, whether a refused one is worth
renewing, and the secret values in them (masked wherever a service echoes them back). A vendor
with tokens supplies its own `Authenticator`; a fixed key is a `StaticAuth`."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Protocol


class Authenticator(Protocol):
    async def headers(self) -> dict[str, str]: ...

    async def renew(self, used: dict[str, str]) -> bool:
        """After a 401 with `used` headers: True when new credentials are worth one more try."""
        ...

    def secrets(self) -> Iterable[str]:
        """Every credential value sent so far or to be sent: never to appear in a message."""
        ...


class StaticAuth:
    """The same headers on every request; a 401 is final. The secret of each header is its value's
    last word (`Token token=KEY`, `Bearer KEY`: the key) unless `secrets` names them."""

    def __init__(self, headers: dict[str, str], secrets: Iterable[str] | None = None) -> None:
        self._headers = headers
        self._secrets = tuple(secrets) if secrets is not None else tuple(
            _last_word(value) for value in headers.values() if value.strip())

    async def headers(self) -> dict[str, str]:
        return self._headers

    async def renew(self, used: dict[str, str]) -> bool:
        return False

    def secrets(self) -> Iterable[str]:
        return self._secrets


def _last_word(value: str) -> str:
    """The credential in a header value: `KEY` of `Bearer KEY` and of `Token token=KEY`."""
    word = value.split()[-1]
    return word[len("token="):] if word.startswith("token=") and len(word) > len("token=") else word
