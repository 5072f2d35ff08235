"""Personio's client-credentials auth: the token endpoint, its own rate limit, and the bearer check."""

from __future__ import annotations

import secrets
import time

from aiohttp import web

from reconciler.sandbox.common import ServiceApi, json_response
from reconciler.sandbox.personio.errors import oauth_error, problem
from reconciler.sandbox.personio.records import PersonioState

TOKEN_PATH = "/v2/auth/token"
SCOPES = ("personio:persons:read personio:absences:read personio:attendances:read personio:attendances:write "
          "personio:webhooks:read")


def bearer_client(state: PersonioState, request: web.Request) -> str:
    """The client id behind the request's bearer token; 401 problem+json when missing, unknown or expired."""
    header = request.headers.get("Authorization", "")
    token = header[7:] if header.startswith("Bearer ") else None
    held = state.tokens.get(token) if token else None
    if held is None or held[1] <= time.monotonic():
        raise problem(401, "Unauthorized", "The access token is missing, invalid or expired.",
                      "commonunauthorized")
    return held[0]


class Tokens(ServiceApi):
    service = "personio"

    async def token(self, request: web.Request) -> web.Response:
        if request.content_type != "application/x-www-form-urlencoded":
            raise oauth_error(400, "invalid_request",
                              'The content type of the request must be "application/x-www-form-urlencoded".',
                              "credentials.oauth2.invalid_request.invalid_request_content_type")
        form = await request.post()
        missing = [name for name in ("grant_type", "client_id", "client_secret") if not form.get(name)]
        if missing:
            raise oauth_error(400, "invalid_request", "The request has missing or invalid required parameters.",
                              "credentials.oauth2.invalid_request.required_parameters_missing",
                              {"missing_parameters": missing})
        if form["grant_type"] != "client_credentials":
            raise oauth_error(400, "unsupported_grant_type", "The authorization grant type is not supported.",
                              "credentials.oauth2.unsupported_grant_type")
        client_id = str(form["client_id"])
        if self.state.clients.get(client_id) != form["client_secret"]:
            raise oauth_error(401, "invalid_client",
                              "Client authentication failed (e.g., unknown client, wrong secret, no client "
                              "authentication included, or unsupported authentication method).",
                              "credentials.oauth2.invalid_client")
        token = "papi-" + secrets.token_hex(32)
        self.state.tokens[token] = (client_id, time.monotonic() + self.knobs.token_ttl)
        return json_response({
            "access_token": token,
            "expires_in": int(self.knobs.token_ttl),
            "token_type": "Bearer",
            "scope": " ".join(s for s in SCOPES.split() if s not in self.state.withheld_scopes),
        })

    def rate_key(self, request: web.Request) -> tuple[str, int, float] | None:
        """The token endpoint's own window (150 per minute, per caller); None for every other path."""
        if request.path == TOKEN_PATH:
            knobs = self.knobs
            return f"token|{request.remote}", knobs.token_rate_limit_requests, knobs.token_rate_limit_seconds
        return None
