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
from functools import lru_cache
from typing import Any, Generic, Literal, TypeVar, overload

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

    __slots__ = ("source", "kind", "prefix", "data", "_label")

    def __init__(self, source: Source, kind: str, data: Any, *, prefix: str = "", label: str | None = None) -> None:
        if not isinstance(data, dict):
            raise source.error(f"{source.endpoint} answered {describe(data)} where {_label(kind, None)} was expected")
        self.source = source
        self.kind = kind
        self.prefix = prefix
        self.data = data
        # How messages name the record, worded only when one does (most records never need it): a
        # string, None (from the id), or the record this object is inside (its label).
        self._label: str | Record | None = label or None

    @property
    def label(self) -> str:
        """How messages name the record, e.g. `presence 123`."""
        label = self._label
        if label is None:
            label = self._label = _label(self.kind, self.data.get("id"))
        elif isinstance(label, Record):
            label = self._label = label.label
        return label

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
        return self.data.get(name, MISSING) is None

    # ------------------------------------------------------------------ typed fields

    def obj(self, name: str) -> Record | None:
        """An object inside the record; None when it is missing or null."""
        value = self.data.get(name)  # missing or null alike
        return None if value is None else self.part(name)

    def part(self, name: str) -> Record:
        """An object inside the record that must be there."""
        value = self.data.get(name, MISSING)
        if not isinstance(value, dict):
            raise self.fail(name, value, "an object")
        inner = Record(self.source, self.kind, value, prefix=f"{self.prefix}{name}.")
        inner._label = self if self._label is None else self._label
        return inner

    @overload
    def ref(self, name: str, *, number: Literal[True] = True) -> int: ...
    @overload
    def ref(self, name: str, *, number: Literal[False]) -> str: ...

    def ref(self, name: str, *, number: bool = True) -> int | str:
        """The id of the object in field `name`, e.g. `user.id`; both must be there."""
        return self.part(name).key(number=number)

    @overload
    def key(self, name: str = "id", *, number: Literal[True] = True) -> int: ...
    @overload
    def key(self, name: str = "id", *, number: Literal[False]) -> str: ...
    @overload
    def key(self, name: str = "id", *, number: bool) -> int | str: ...

    def key(self, name: str = "id", *, number: bool = True) -> int | str:
        """An identifier: a whole number (`number`), else a string (a number is taken as one)."""
        value = self.data.get(name, MISSING)
        if number:
            if value.__class__ is int or (isinstance(value, int) and not isinstance(value, bool)):
                return value
            if isinstance(value, str) and value.isdecimal():
                return int(value)
            raise self.fail(name, value, "a whole number")
        if isinstance(value, str) and not value.isspace() and value:
            return value
        if isinstance(value, int) and not isinstance(value, bool):
            return str(value)
        raise self.fail(name, value, "an id (a string)")

    def optional_int(self, name: str) -> int | None:
        """A whole number or a string of digits; None when missing, null or empty."""
        value = self.data.get(name)  # missing or null alike
        if value is None or value == "":
            return None
        return self.key(name)

    def text(self, name: str, default: str = "") -> str:
        return self._plain(name, default, str, "a string")

    def flag(self, name: str, default: bool) -> bool:
        return self._plain(name, default, bool, "true or false")

    def _plain(self, name: str, default: T, kind: type[T], expected: str) -> T:
        """A value of JSON type `kind`; `default` when it is missing or null."""
        value = self.data.get(name)  # missing or null alike
        if value is None:
            return default
        if isinstance(value, kind):
            return value
        raise self.fail(name, value, expected)

    def number(self, name: str, default: float = 0.0) -> float:
        value = self.data.get(name)  # missing or null alike
        if value is None:
            return default
        if (number := _float(value)) is not None:
            return number
        raise self.fail(name, value, "a number")

    def get(self, name: str, form: Format[T]) -> T | None:
        """A string in `form`; None when it is missing, null or empty."""
        value = self.data.get(name)  # missing or null alike
        return None if value is None or value == "" else self.need(name, form)

    def need(self, name: str, form: Format[T]) -> T:
        """A string in `form` that must be there."""
        value = self.data.get(name, MISSING)
        if isinstance(value, str):
            try:
                return form.parse(value)
            except ValueError:
                pass
        raise self.fail(name, value, form.expected)

    def numbers(self, name: str) -> tuple[float, ...]:
        """A list of numbers (a null entry reads as 0); empty when missing or null."""
        value = self.data.get(name)  # missing or null alike
        if value is None:
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


class Reader(Generic[T]):
    """Reads a list's records page by page as they arrive (a pager's `keep`), so that only what `parse`
    makes of them is kept, never the raw pages. `done` then gives exactly what `read_all` would have of
    the whole list: the notices of skipped records in the list's order, and the first record that
    cannot be read raised, as the list's order has it (a page is read as it arrives, but a read that
    does not add up is done again, and only the read that stands counts).

    `fast(row)` may read a row of the common shape directly, without a `Record`; it returns None for
    any other row, which `parse` then reads (and words what is wrong with it). With `noting`, `parse`
    takes a second argument: a list for the notices it words itself.
    """

    def __init__(self, source: Source, kind: str, parse: Callable[..., T | None], *,
                 fast: Callable[[dict[str, Any]], T | None] | None = None, noting: bool = False) -> None:
        self.source, self.kind, self.parse, self.fast, self.noting = source, kind, parse, fast, noting
        self.marked = False  # a page held a notice or an unreadable record: `done` looks for them

    def __call__(self, rows: list[dict[str, Any]]) -> list[Any]:
        out: list[Any] = []
        fast = self.fast
        for row in rows:
            if fast is not None and (found := fast(row)) is not None:
                out.append(found)
                continue
            record = Record(self.source, self.kind, row)
            noted: list[str] = []
            try:
                parsed = self.parse(record, noted) if self.noting else self.parse(record)
            except Skipped as skipped:
                noted.append(record.notice(skipped.reason))
                parsed = None
            except UnexpectedResponse as error:
                self.marked = True
                out.append(_Failed(error))
                break  # the read stops here, as `read_all` would
            if noted:
                self.marked = True
                out += map(_Noted, noted)
            if parsed is not None:
                out.append(parsed)
        return out

    def done(self, items: list[Any], notices: list[str]) -> list[T]:
        """The records read, once the list is whole; the notices noted (once each), or the error raised."""
        if not self.marked:
            return items
        out = []
        for item in items:
            if isinstance(item, _Noted):
                if item.text not in notices:
                    notices.append(item.text)
            elif isinstance(item, _Failed):
                raise item.error
            else:
                out.append(item)
        return out


@dataclass(frozen=True, slots=True)
class _Noted:
    text: str


@dataclass(frozen=True, slots=True)
class _Failed:
    error: UnexpectedResponse


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


# Dates and times repeat all over a list: each is parsed once, and records share it (memory).
SHARED = 1 << 16  # distinct values remembered per format
DAY = Format("a date (YYYY-MM-DD)", lru_cache(maxsize=SHARED)(date.fromisoformat))
MOMENT = Format("a date-time (YYYY-MM-DDTHH:MM:SS)", lru_cache(maxsize=SHARED)(datetime.fromisoformat))
CLOCK = Format('a time ("HH:MM")', lru_cache(maxsize=SHARED)(_hours_minutes))
