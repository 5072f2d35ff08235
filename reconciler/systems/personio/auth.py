"""Personio's OAuth2 client-credentials token: fetched once per run, renewed once on a 401. The
client id and secret and every token held are its `secrets`, masked in whatever the service raises."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable

from reconciler.errors import ApiError, AuthenticationFailed
from reconciler.systems.http import Record, Service, describe

TOKEN_PATH = "/v2/auth/token"
TOKEN_EARLY_RENEWAL = 60.0  # seconds before expiry a cached token is replaced
DEFAULT_LIFETIME = 86400.0  # seconds a token lives when the answer does not say


class PersonioToken:
    """OAuth2 client credentials → one bearer token, cached for the run and renewed once on a 401.

    An `Authenticator` for the Personio `Service`, fetching its token through that same service.
    Concurrent callers share one renewal: whoever comes second finds a newer token already there.
    """

    def __init__(self, service: Service, client_id: str, client_secret: str, *, client_id_env: str,
                 client_secret_env: str) -> None:
        self.service = service
        self._client_id = client_id
        self._client_secret = client_secret
        self._envs = (client_id_env, client_secret_env)
        self._token: str | None = None
        self._held: list[str] = []  # every token offered this run: an old one may be echoed too
        self._expires = 0.0
        self._lock = asyncio.Lock()
        self.fetched = 0
        # The token answer's `scope` (space-separated names), when it gives one as a string; None otherwise.
        # Only `reconcile doctor` reads it: whether a write scope was granted cannot be seen without writing.
        self.scope: str | None = None

    async def headers(self) -> dict[str, str]:
        if self._token is None or self.service.clock() >= self._expires:
            async with self._lock:
                if self._token is None or self.service.clock() >= self._expires:
                    await self._fetch()
        return {"Authorization": f"Bearer {self._token}"}

    async def renew(self, used: dict[str, str]) -> bool:
        async with self._lock:
            if used.get("Authorization") == f"Bearer {self._token}":
                await self._fetch()
        return True

    def secrets(self) -> Iterable[str]:
        return (self._client_id, self._client_secret, *self._held)

    async def _fetch(self) -> None:
        form = {"grant_type": "client_credentials", "client_id": self._client_id,
                "client_secret": self._client_secret}
        try:
            # Asking twice for a token is harmless, so the token call may be retried like a read.
            response = await self.service.request("POST", TOKEN_PATH, form=form, idempotent=True,
                                                  authenticate=False)
        except ApiError as exc:
            if exc.status in (400, 401, 403):
                id_env, secret_env = self._envs
                refused = f" ({exc.detail})" if exc.detail else f" ({exc.status})"
                raise AuthenticationFailed(
                    "Personio", f"the client credentials were refused{refused}; check ${id_env} and ${secret_env}",
                    status=exc.status, call=exc.call, trace_id=exc.trace_id, detail=exc.detail,
                ) from None
            raise
        source = self.service.source("POST", TOKEN_PATH)
        body = response.body
        if not isinstance(body, dict):  # a string is not shown: it may be the token itself
            raise source.error(f"{source.endpoint} answered {'a string' if isinstance(body, str) else describe(body)}"
                               ", not a token object")
        offered = body.get("access_token")
        if isinstance(offered, (str, int)) and not isinstance(offered, bool) and str(offered).strip():
            self._held.append(str(offered))  # masked from here on, also in an error about this very answer
        answer = Record(source, "token", body)
        token = answer.text("access_token")
        if not token:
            raise source.error(f"{source.endpoint} answered without an access_token")
        lifetime = answer.number("expires_in") or DEFAULT_LIFETIME
        self._token = token
        self.scope = body["scope"] if isinstance(body.get("scope"), str) else None
        self._expires = self.service.clock() + max(0.0, lifetime - TOKEN_EARLY_RENEWAL)
        self.fetched += 1
