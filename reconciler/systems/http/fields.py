"""Reading the records of a service's answer field by field.

A client reads every field through a `Record`, so a value of the wrong type is an
`UnexpectedResponse` naming the service, the endpoint, the record and the field, never a
TypeError or KeyError further on. The rule for every field: a required one must be there with the
right type; an optional one may be missing or null (it then reads as its default) but, when given,
must have the right type too. `Skipped` is for a record a client leaves out on purpose (one whose
documented-nullable field is null and without which the record means nothing): `read_all` notes
it and goes on.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any, Generic, TypeVar

from reconciler.errors import UnexpectedResponse

SHOWN = 40  # characters of an unexpected string value that a message shows
MISSING: Any = object()  # a field the record does not have
T = TypeVar("T")


def describe(value: Any) -> str:
    """How a message names a value it did not expect, e.g. `a number (930)` or `null`."""
    if value is MISSING:
        return "missing"
    if value is None:
        return "null"
    if isinstance(value, bool):
        return f"a boolean ({str(value).lower()})"
    if isinstance(value, (int, float)):
        return f"a number ({_short(str(value))})"
    if isinstance(value, str):
        return f'a string ("{_short(value)}")'
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__


def _same(text: str) -> str:
    return text


@dataclass(frozen=True)
class Format(Generic[T]):
    """How a field's string reads: what messages call it, and the parse (raising ValueError)."""

    expected: str
    parse: Callable[[str], T]


@dataclass(frozen=True)
class Source:
    """Where records come from, as messages name it; `redact` masks the credentials in any text."""

    service: str  # the service as messages name it
    endpoint: str  # e.g. "GET /api/v1/users?include_archived=true"
    redact: Callable[[str], str] = _same

    @property
    def place(self) -> str:
        """The service and the endpoint without its query, e.g. `Acme GET /api/v1/users`."""
        return f"{self.service} {self.endpoint.split('?')[0]}"

    def error(self, text: str) -> UnexpectedResponse:
        return UnexpectedResponse(self.service, self.redact(text))


class Skipped(Exception):
    """A record left out on purpose; the reason completes "<kind> <id> ...", e.g. "has no start time"."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class Record:
    """One record (or an object inside it, `prefix` naming where) read field by field."""

    def __init__(self, source: Source, kind: str, data: Any, *, prefix: str = "", label: str | None = None) -> None:
        self.source = source
        self.kind = kind
        self.prefix = prefix
        self.data = data if isinstance(data, dict) else {}
        self.label = label or _label(kind, self.data.get("id"))
        if not isinstance(data, dict):
            raise source.error(f"{self.endpoint} answered {describe(data)} where {_label(kind, None)} was expected")

    @property
    def endpoint(self) -> str:
        return self.source.endpoint

    def fail(self, name: str, value: Any, expected: str) -> UnexpectedResponse:
        return self.source.error(f"cannot read {self.label} from {self.endpoint}: {self.prefix}{name} is "
                                 f"{describe(value)}, expected {expected}")

    def unusable(self, reason: str) -> UnexpectedResponse:
        """The error for a record that cannot be used where it cannot be skipped (e.g. a write's answer)."""
        return self.source.error(f"cannot use {self.label} from {self.endpoint}: it {reason}")

    def notice(self, reason: str) -> str:
        return self.source.redact(f"{self.source.place}: {self.label} {reason}; skipped")

    def value(self, name: str) -> Any:
        return self.data.get(name, MISSING)

    def is_null(self, name: str) -> bool:
        """Whether the field is there and null (missing is not null)."""
        return name in self.data and self.data[name] is None

    # ------------------------------------------------------------------ typed fields

    def obj(self, name: str) -> Record | None:
        """An object inside the record; None when it is missing or null."""
        return None if self.value(name) in (MISSING, None) else self.part(name)

    def part(self, name: str) -> Record:
        """An object inside the record that must be there."""
        value = self.value(name)
        if not isinstance(value, dict):
            raise self.fail(name, value, "an object")
        return Record(self.source, self.kind, value, prefix=f"{self.prefix}{name}.", label=self.label)

    def ref(self, name: str, *, number: bool = True) -> Any:
        """The id of the object in field `name`, e.g. `user.id`; both must be there."""
        return self.part(name).key(number=number)

    def key(self, name: str = "id", *, number: bool = True) -> Any:
        """An identifier: a whole number (`number`), else a string (a number is taken as one)."""
        value = self.value(name)
        if number:
            if isinstance(value, int) and not isinstance(value, bool):
                return value
            if isinstance(value, str) and value.isdecimal():
                return int(value)
            raise self.fail(name, value, "a whole number")
        if isinstance(value, str) and value.strip():
            return value
        if isinstance(value, int) and not isinstance(value, bool):
            return str(value)
        raise self.fail(name, value, "an id (a string)")

    def optional_int(self, name: str) -> int | None:
        """A whole number or a string of digits; None when missing, null or empty."""
        value = self.value(name)
        if value in (MISSING, None, ""):
            return None
        return self.key(name)

    def text(self, name: str, default: str = "") -> str:
        return self._plain(name, default, str, "a string")

    def flag(self, name: str, default: bool) -> bool:
        return self._plain(name, default, bool, "true or false")

    def _plain(self, name: str, default: T, kind: type[T], expected: str) -> T:
        """A value of JSON type `kind`; `default` when it is missing or null."""
        value = self.value(name)
        if value in (MISSING, None):
            return default
        if isinstance(value, kind):
            return value
        raise self.fail(name, value, expected)

    def number(self, name: str, default: float = 0.0) -> float:
        value = self.value(name)
        if value in (MISSING, None):
            return default
        if (number := _float(value)) is not None:
            return number
        raise self.fail(name, value, "a number")

    def get(self, name: str, form: Format[T]) -> T | None:
        """A string in `form`; None when it is missing, null or empty."""
        value = self.value(name)
        return None if value in (MISSING, None, "") else self.need(name, form)

    def need(self, name: str, form: Format[T]) -> T:
        """A string in `form` that must be there."""
        value = self.value(name)
        if isinstance(value, str):
            try:
                return form.parse(value)
            except ValueError:
                pass
        raise self.fail(name, value, form.expected)

    def numbers(self, name: str) -> tuple[float, ...]:
        """A list of numbers (a null entry reads as 0); empty when missing or null."""
        value = self.value(name)
        if value in (MISSING, None):
            return ()
        if not isinstance(value, list):
            raise self.fail(name, value, "a list of numbers")
        numbers = []
        for index, entry in enumerate(value):
            number = 0.0 if entry is None else _float(entry)
            if number is None:
                raise self.fail(f"{name}[{index}]", entry, "a number")
            numbers.append(number)
        return tuple(numbers)


def read_all(records: Iterable[Record], parse: Callable[[Record], T | None], notices: list[str]) -> list[T]:
    """`parse` of every record; a `Skipped` one is noted in `notices` (once), a None left out."""
    out = []
    for record in records:
        try:
            parsed = parse(record)
        except Skipped as skipped:
            notice = record.notice(skipped.reason)
            if notice not in notices:
                notices.append(notice)
            continue
        if parsed is not None:
            out.append(parsed)
    return out


def _label(kind: str, ident: Any) -> str:
    """How messages name a record: `presence 123`, or `a presence` when its id is unreadable."""
    if isinstance(ident, (int, str)) and not isinstance(ident, bool) and str(ident).strip():
        return f"{kind} {str(ident)[:SHOWN]}"
    return f"{'an' if kind[:1] in 'aeio' else 'a'} {kind}"  # a user, an employment


def _short(text: str) -> str:
    return text[:SHOWN] + ("..." if len(text) > SHOWN else "")


def _float(value: Any) -> float | None:
    """A JSON number as a float; None for anything else, or one too large for a float."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    try:
        return float(value)
    except OverflowError:
        return None


def _hours_minutes(value: str) -> time:
    hours, minutes = value.split(":")  # ValueError unless exactly one colon
    if not (hours.isdecimal() and minutes.isdecimal()):
        raise ValueError(value)
    return time(int(hours), int(minutes))


DAY = Format("a date (YYYY-MM-DD)", date.fromisoformat)
MOMENT = Format("a date-time (YYYY-MM-DDTHH:MM:SS)", datetime.fromisoformat)
CLOCK = Format('a time ("HH:MM")', _hours_minutes)
