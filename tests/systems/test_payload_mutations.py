"""Every field of every recorded payload, made null, a number, a string, a list, an object or left
out: each client reader either reads it or raises `UnexpectedResponse` naming the endpoint and the
field, never a TypeError, AttributeError or KeyError. The payloads go straight to the readers (a
`Canned` service sends nothing); what the pagers do with entries that are no record is in
test_strict_reads.py."""

from __future__ import annotations

import asyncio
import copy
from collections.abc import Callable, Iterator
from datetime import date, datetime
from typing import Any, NamedTuple

import pytest

from reconciler.errors import UnexpectedResponse
from reconciler.records import AbsenceKind
from reconciler.systems.moco import MocoClient
from reconciler.systems.personio import PersonioClient, PersonioToken
from tests.conftest import sample
from tests.systems.helpers import BASE, PERSONIO, canned

WINDOW = (date(2000, 1, 1), date(2030, 12, 31))
MISSING = object()  # the field left out
VALUES = [None, 930, "x", [1], {"a": 1}, MISSING]
Reader = Callable[[Any], Any]  # a payload -> a coroutine reading it through a client


class Target(NamedTuple):
    name: str  # the sample (or a hand-made payload: said so in the name)
    payload: Any  # the record that is mutated
    read: Reader


def moco_list(read: Callable[[MocoClient], Any]) -> Reader:
    def reader(row: Any) -> Any:
        def lists(path: str, params: dict[str, Any]) -> list[Any]:  # the per-kind read finds them as sick days
            return [row] if params.get("absence_code") in (None, 3) else []

        return read(MocoClient(canned("MOCO", BASE, lists)))
    return reader


def moco_write(write: Callable[[MocoClient], Any]) -> Reader:
    return lambda body: write(MocoClient(canned("MOCO", BASE, answer=body)))


def personio_list(read: Callable[[PersonioClient], Any]) -> Reader:
    return lambda row: read(PersonioClient(canned("Personio", PERSONIO, [row])))


def token(body: Any) -> Any:
    service = canned("Personio", PERSONIO, answer=body)
    return PersonioToken(service, "id", "secret", client_id_env="ID", client_secret_env="SECRET").headers()


def first(name: str, *keys: str) -> Any:
    body = sample(name)["body"]
    for key in keys:
        body = body[key]
    return body[0] if isinstance(body, list) else body


users = moco_list(lambda c: c.users())
employments = moco_list(lambda c: c.employments())
schedules = moco_list(lambda c: c.schedules(*WINDOW))
presences = moco_list(lambda c: c.presences(*WINDOW))
create = moco_write(lambda c: c.create_schedule(1, date(2026, 1, 5), AbsenceKind.HOLIDAY, am=True, pm=True, comment=""))
update = moco_write(lambda c: c.update_schedule(5, kind=AbsenceKind.HOLIDAY, am=True, pm=True, comment=""))
WITH_CODE = {**first("moco-schedule-get.json"), "assignment": {**first("moco-schedule-get.json")["assignment"],
                                                                 "code": "3"}}

TARGETS = [
    Target("moco-users-list.json", first("moco-users-list.json"), users),
    Target("moco-users-list-2023.json", first("moco-users-list-2023.json"), users),
    Target("moco-employments-list.json", first("moco-employments-list.json"), employments),
    Target("moco-employments-list-from-null.json", first("moco-employments-list-from-null.json"), employments),
    Target("moco-schedules-list.json", first("moco-schedules-list.json"), schedules),
    Target("moco-schedule-get.json+assignment.code", WITH_CODE, schedules),
    Target("moco-schedule-delete.json", first("moco-schedule-delete.json"), schedules),
    Target("moco-schedule-create.json", first("moco-schedule-create.json"), create),
    Target("moco-schedule-create-defaults.json", first("moco-schedule-create-defaults.json"), create),
    Target("moco-schedule-update.json", first("moco-schedule-update.json"), update),
    Target("moco-presences-list.json", first("moco-presences-list.json"), presences),
    Target("moco-presence-touch-open.json", first("moco-presence-touch-open.json"), presences),
    Target("moco-presence-update.json", first("moco-presence-update.json"), presences),
    Target("personio-v2-persons-list.json", first("personio-v2-persons-list.json", "_data"),
           personio_list(lambda c: c.persons())),
    Target("personio-v2-persons-list-sparse.json", first("personio-v2-persons-list-sparse.json", "_data"),
           personio_list(lambda c: c.persons())),
    Target("personio-v2-absence-periods-list.json", first("personio-v2-absence-periods-list.json", "_data"),
           personio_list(lambda c: c.absence_periods(*WINDOW))),
    Target("personio-v2-attendance-periods-list.json", first("personio-v2-attendance-periods-list.json", "_data"),
           personio_list(lambda c: c.attendance_periods(*WINDOW))),
    Target("hand-made duration-only attendance period",
           {"id": "d1", "type": "WORK", "person": {"id": "p1"}, "start": None, "end": None,
            "attribution_date": "2026-06-01", "duration": "PT7H30M", "comment": "", "approval": {"status": "CONFIRMED"}},
           personio_list(lambda c: c.attendance_periods(*WINDOW))),
    Target("personio-v2-auth-token.json", first("personio-v2-auth-token.json"), token),
    Target("hand-made absence type", {"id": "t1", "name": "Vacation", "unit": "DAY", "time_unit": "days",
                                      "measurement_unit": "day"}, personio_list(lambda c: c.absence_types())),
    Target("hand-made created attendance period", {"_data": {"id": "new-1"}},
           lambda body: PersonioClient(canned("Personio", PERSONIO, answer=body)).create_attendance(
               "7", datetime(2026, 3, 2, 8), datetime(2026, 3, 2, 12), "x")),
]


def paths(value: Any, prefix: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    """Every field inside `value`: each key of an object, the first entry of a list, and within them."""
    if isinstance(value, dict):
        for key, inner in value.items():
            yield (*prefix, key)
            yield from paths(inner, (*prefix, key))
    elif isinstance(value, list) and value:
        yield (*prefix, 0)
        yield from paths(value[0], (*prefix, 0))


def dotted(path: tuple[Any, ...]) -> str:
    return "".join(f"[{part}]" if isinstance(part, int) else f".{part}" for part in path).lstrip(".")


def mutated(payload: Any, path: tuple[Any, ...], value: Any) -> Any:
    copied = copy.deepcopy(payload)
    node = copied
    for part in path[:-1]:
        node = node[part]
    if value is MISSING:
        del node[path[-1]]
    else:
        node[path[-1]] = copy.deepcopy(value)
    return copied


CASES = [pytest.param(target, path, id=f"{target.name}:{dotted(path)}")
         for target in TARGETS for path in paths(target.payload)]


def test_every_target_reads_its_payload_as_recorded():
    for target in TARGETS:
        assert asyncio.run(target.read(copy.deepcopy(target.payload))) is not None, target.name


@pytest.mark.parametrize(("target", "path"), CASES)
def test_a_field_of_any_type_is_read_or_reported_never_a_crash(target, path):
    for value in VALUES:
        try:
            asyncio.run(target.read(mutated(target.payload, path, value)))
        except UnexpectedResponse as error:
            message = str(error)
            assert dotted(path) in message and (" /api/v1/" in message or " /v2/" in message), (value, message)
        except Exception as error:  # noqa: BLE001 - what this test is about
            pytest.fail(f"{dotted(path)} = {value!r}: {type(error).__name__}: {error}")
