"""How the MOCO stand-in refuses: 401 JSON, empty 403 and 404, German 422 field maps, the 500 page, the bare 429."""

from __future__ import annotations

from aiohttp import web

from reconciler.sandbox.common import Reply, json_response, retry_after_header

_SERVER_ERROR_PAGE = (
    "500 Internal Server Error\nIf you are the administrator of this website, then please read this web "
    "application's log file and/or the web server's log file to find out what went wrong."
)

# German validation messages, as a German-language MOCO account answers.
BLANK = "muss ausgefüllt werden"
INVALID = "ist nicht gültig"
OVERLAPS = "range overlaps"  # recorded live in English even on German accounts (CLI probe)
TAKEN = "ist bereits vergeben"  # a taken email on POST /users (recorded: samples/moco-error-422.json)


def unauthorized() -> Reply:
    return Reply(json_response({"message": "Unauthorized"}, status=401))


def server_error() -> Reply:
    return Reply(web.Response(status=500, text=_SERVER_ERROR_PAGE, content_type="text/plain"))


def empty(status: int) -> Reply:
    return Reply(web.Response(status=status))


def invalid(errors: dict[str, list[str]]) -> Reply:
    return Reply(json_response(errors, status=422))


def invalid_payload() -> Reply:
    return Reply(json_response({"message": "Invalid payload"}, status=422))


def rate_limited(retry_after: int | None) -> web.Response:
    # MOCO documents no headers on 429; the limiter it publishes answers with an empty body.
    return web.Response(status=429, headers=retry_after_header(retry_after))
