"""No credential in any error the systems raise, even when a service echoes it: the MOCO key, the
Personio client id and secret, and every bearer token held are masked in the message, the call,
the detail, the trace id and the field messages. Each case has a service echo one of them."""

from __future__ import annotations

import asyncio
import re
from datetime import date
from typing import Any

import aiohttp
import pytest
from aioresponses import CallbackResult, aioresponses

from reconciler.errors import ApiError
from reconciler.records import AbsenceKind
from reconciler.systems.connect import Tuning, open_clients
from reconciler.systems.http import MASK, StaticAuth
from tests.systems.helpers import BASE, CREDENTIALS, MOCO, PERSONIO, SPEC, TOKEN, FakeTime, make_service, paged, run

SECRETS = ("moco-SECRET", "client-id", "client-SECRET", "papi-token-1", "papi-token-2")


def everything_said(error: ApiError) -> str:
    fields = [f"{name}: {' '.join(texts)}" for name, texts in error.fields.items()]
    return "\n".join([str(error), repr(error), *map(str, error.args), error.detail, error.call or "",
                      error.trace_id or "", *fields])


def raised(body: Any, mock: Any, *, token: bool = True) -> ApiError:
    """The error `body(clients)` raises against mocked HTTP (Personio's token given unless `token` is False)."""
    fake = FakeTime()

    async def scenario() -> None:
        with aioresponses() as mocked:
            mock(mocked)
            if token:
                mocked.post(f"{PERSONIO}/v2/auth/token", payload=TOKEN, repeat=True)
            async with open_clients(SPEC, CREDENTIALS, Tuning(sleep=fake.sleep, clock=fake.clock)) as clients:
                await body(clients)

    with pytest.raises(ApiError) as caught:
        asyncio.run(scenario())
    return caught.value


def create_schedule(clients: Any) -> Any:
    return clients.moco.create_schedule(1, date(2026, 1, 5), AbsenceKind.HOLIDAY, am=True, pm=True, comment="")


USERS = re.compile(rf"{MOCO}/users\?.*")
PERSONS = re.compile(rf"{PERSONIO}/v2/persons.*")


def renewed_then_refused(mocked: aioresponses) -> None:
    tokens = iter([TOKEN, {**TOKEN, "access_token": "papi-token-2"}])
    mocked.post(f"{PERSONIO}/v2/auth/token", callback=lambda url, **kw: CallbackResult(payload=next(tokens)),
                repeat=True)

    def persons(url: Any, **kwargs: Any) -> CallbackResult:
        if kwargs["headers"]["Authorization"] == "Bearer papi-token-1":
            return CallbackResult(status=401, body="")
        return CallbackResult(status=400, payload={"errors": [{"title": "Bad", "detail": "papi-token-1 papi-token-2"}]})

    mocked.get(PERSONS, callback=persons, repeat=True)


CASES = [
    pytest.param(lambda c: c.moco.users(),
                 lambda m: m.get(USERS, status=401, payload={"message": "Invalid token moco-SECRET"}), True,
                 id="moco-401-message"),
    pytest.param(create_schedule,
                 lambda m: m.post(f"{MOCO}/schedules", status=422,
                                  payload={"moco-SECRET": ["Token token=moco-SECRET is not valid"]}), True,
                 id="moco-422-field-map"),
    pytest.param(lambda c: c.moco.users(),
                 lambda m: m.get(USERS, status=500, body="Authorization: Token token=moco-SECRET",
                                 content_type="text/plain"), True, id="moco-500-plain-text"),
    pytest.param(create_schedule,
                 lambda m: m.post(f"{MOCO}/schedules", exception=aiohttp.ServerDisconnectedError("echo moco-SECRET")),
                 True, id="moco-create-dropped-on-the-wire"),
    pytest.param(lambda c: c.moco.users(),
                 lambda m: m.get(USERS, exception=aiohttp.ClientConnectionResetError("echo moco-SECRET"), repeat=True),
                 True, id="moco-read-failing-on-the-wire"),
    pytest.param(lambda c: c.moco.users(),
                 lambda m: m.get(USERS, **paged([{"id": "moco-SECRET", "email": "a@x.example"}])), True,
                 id="moco-record-field"),
    pytest.param(lambda c: c.personio.persons(),
                 lambda m: m.post(f"{PERSONIO}/v2/auth/token", status=401, payload={
                     "error": "invalid_client", "error_description": "unknown client-id with client-SECRET",
                     "trace_id": "t-client-SECRET"}), False, id="personio-token-refused"),
    pytest.param(lambda c: c.personio.persons(),
                 lambda m: m.get(PERSONS, status=403, payload={
                     "errors": [{"title": "Forbidden", "detail": "Bearer papi-token-1 lacks a scope"}],
                     "personio_trace_id": "papi-token-1"}), True, id="personio-403-bearer-token"),
    pytest.param(lambda c: c.personio.persons(), renewed_then_refused, False, id="personio-old-and-new-token"),
    pytest.param(lambda c: c.personio.persons(),
                 lambda m: m.get(PERSONS, repeat=True, payload={
                     "_data": [], "_meta": {"links": {"next": {"href": "/v2/persons?cursor=papi-token-1"}}}}), True,
                 id="personio-pagination-link"),
]


@pytest.mark.parametrize(("body", "mock", "token"), CASES)
def test_an_echoed_credential_is_masked_in_every_part_of_the_error(body, mock, token):
    error = raised(body, mock, token=token)
    said = everything_said(error)
    assert MASK in str(error), said  # the echo did reach the message, masked
    for secret in SECRETS:
        assert secret not in said, said


@pytest.mark.parametrize("answer", ["papi-token-1", {"access_token": 12345678, "expires_in": "papi-token-1"},
                                    {"access_token": "papi-token-1", "expires_in": "in papi-token-1 seconds"}],
                         ids=["a-bare-string", "a-number-for-a-token", "the-token-echoed-elsewhere"])
def test_a_token_answer_that_cannot_be_read_does_not_show_the_token(answer):
    error = raised(lambda c: c.personio.persons(),
                   lambda m: m.post(f"{PERSONIO}/v2/auth/token", payload=answer), token=False)
    said = everything_said(error)
    assert said.startswith("Personio: ") and "papi-token-1" not in said and "12345678" not in said, said


def test_a_url_encoded_echo_is_masked_too():
    fake = FakeTime()
    secret = "a/b+c d"

    async def scenario() -> None:
        with aioresponses() as mocked:
            mocked.get(f"{BASE}/users", status=401, body="sent a%2Fb%2Bc%20d and a%2Fb%2Bc+d", content_type="text/plain")
            async with aiohttp.ClientSession() as session:
                service = make_service(session, fake, auth=StaticAuth({"X-Key": secret}, secrets=[secret]))
                await service.request("GET", "/users")

    with pytest.raises(ApiError) as caught:
        run(scenario)
    assert str(caught.value) == "MOCO: authentication failed (401) for GET /api/v1/users: sent *** and ***"


def test_the_secret_of_a_fixed_header_is_its_last_word():
    assert tuple(StaticAuth({"Authorization": "Token token=KEY-1"}).secrets()) == ("KEY-1",)
    assert tuple(StaticAuth({"Authorization": "Bearer KEY-2", "X-Api-Key": "KEY-3"}).secrets()) == ("KEY-2", "KEY-3")
    assert tuple(StaticAuth({"Authorization": "Token token=x"}, secrets=["y"]).secrets()) == ("y",)
