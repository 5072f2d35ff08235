"""The length of a Personio duration-only attendance period (`duration`): how reconcile reads and writes it.

Personio lets a company track attendance as a length a day, without start and end times. In v2 such a
period has `start` (and `end`) null, its day in `attribution_date` and its length in `duration`, which
may be created "from 0 to 24 h" (developer.personio.de/changelog/attendance-api-additions-related-to-
duration-only-time-tracking). That is all Personio publishes: the field's format is not. This module is
the one place that knows it: the client, the planner's sends and the sandbox all go through it.
"""

from __future__ import annotations

import math
import re
from datetime import timedelta
from typing import Any

from reconciler.systems.http import Record

# UNVERIFIED (doctor: attendance-periods): the format of `duration`. reconcile writes ISO 8601 ("PT7H30M",
# `write`), the form a JSON API built on java.time.Duration gives, and reads every plausible form (`parse`),
# each explicitly:
#
#   - an ISO 8601 duration of days, hours, minutes and seconds: "PT7H30M", "PT7.5H", "PT27000S", "P0DT7H30M0S",
#     "PT0S", "P1D" (24 h); years, months and weeks are not read (no length of a day's work is one);
#   - a clock-like string "H:MM" or "H:MM:SS": "7:30", "07:30:00", "24:00";
#   - a JSON number, read as MINUTES (Personio's v1 attendances count `break` in minutes);
#   - an object {"value": <number>, "unit": "SECONDS" | "MINUTES" | "HOURS" | "MILLISECONDS"} (any case,
#     singular or plural).
#
# The ambiguity is the bare number: minutes or seconds? It is read as minutes, and every reading must lie
# within Personio's own bounds, 0 to 24 hours; anything else is unreadable. So a duration Personio gave in
# seconds reads as more than 24 hours (any length over 24 minutes: 1441 seconds and up) and stops the read
# with an UnexpectedResponse naming the period and the field, instead of being misread; only lengths of 24
# minutes or less in seconds would be misread, and a period reconcile wrote itself would then be planned
# for an update on every run, in plain sight. A string of digits alone ("450") is not read: it is the same
# question without even the JSON type to go on. Neither is a negative length, a boolean, null or any other
# shape: each is an UnexpectedResponse naming the field and what it held (`read`).
FIELD = "duration"
LONGEST = timedelta(hours=24)  # Personio: "minimum 0, maximum 24h"
EXPECTED = ('a length of 0 to 24 hours, as a period without start (duration-only) has it: an ISO 8601 duration '
            '("PT7H30M"), "H:MM", a number of minutes or {"value", "unit"}')

_NUMBER = r"(\d+(?:[.,]\d+)?)"
_ISO = re.compile(rf"P(?:{_NUMBER}D)?(?:T(?:{_NUMBER}H)?(?:{_NUMBER}M)?(?:{_NUMBER}S)?)?", re.IGNORECASE)
_CLOCK = re.compile(r"(\d{1,2}):([0-5]\d)(?::([0-5]\d))?")
_UNITS = {"MILLISECOND": 0.001, "SECOND": 1.0, "MINUTE": 60.0, "HOUR": 3600.0}


def parse(value: Any) -> timedelta:
    """A `duration` as Personio may give it (the forms above); ValueError for anything else or a length
    outside 0 to 24 hours."""
    length = _length(value)
    if not timedelta(0) <= length <= LONGEST:
        raise ValueError(f"{value!r} is outside 0 to 24 hours")
    return length


def read(r: Record, name: str = FIELD) -> timedelta:
    """The `duration` of a duration-only period; an UnexpectedResponse naming the field when it is unreadable."""
    value = r.value(name)
    try:
        return parse(value)
    except ValueError:
        raise r.fail(name, value, EXPECTED) from None


def write(length: timedelta) -> str:
    """A length as reconcile sends it: ISO 8601, hours, minutes and seconds ("PT7H30M", "PT0S")."""
    seconds = round(length.total_seconds())
    if seconds < 0:
        raise ValueError(f"a duration cannot be negative: {length}")
    hours, rest = divmod(seconds, 3600)
    minutes, seconds = divmod(rest, 60)
    text = "".join(f"{amount}{unit}" for amount, unit in ((hours, "H"), (minutes, "M"), (seconds, "S")) if amount)
    return f"PT{text or '0S'}"


def iso_length(value: Any) -> timedelta:
    """Only the form reconcile writes (ISO 8601), of any length: what the sandbox's Personio takes (it checks
    the range itself, answering as Personio would); ValueError for anything else."""
    if not isinstance(value, str) or _ISO.fullmatch(value.strip()) is None:
        raise ValueError(f"{value!r} is not an ISO 8601 duration")
    return _length(value)


def _length(value: Any) -> timedelta:
    if isinstance(value, bool) or value is None:
        raise ValueError(repr(value))
    if isinstance(value, (int, float)):
        return _scaled(value, 60.0)
    if isinstance(value, dict):
        return _with_unit(value)
    if isinstance(value, str):
        text = value.strip()
        if (iso := _ISO.fullmatch(text)) is not None and any(iso.groups()) and not text.upper().endswith("T"):
            days, hours, minutes, seconds = (_decimal(part) for part in iso.groups())
            return timedelta(days=days, hours=hours, minutes=minutes, seconds=seconds)
        if (clock := _CLOCK.fullmatch(text)) is not None:
            hours_, minutes_, seconds_ = clock.groups()
            return timedelta(hours=int(hours_), minutes=int(minutes_), seconds=int(seconds_ or 0))
    raise ValueError(repr(value))


def _with_unit(value: dict[str, Any]) -> timedelta:
    amount, unit = value.get("value"), value.get("unit")
    if isinstance(amount, bool) or not isinstance(amount, (int, float)) or not isinstance(unit, str):
        raise ValueError(repr(value))
    scale = _UNITS.get(unit.strip().upper().removesuffix("S"))
    if scale is None:
        raise ValueError(repr(value))
    return _scaled(amount, scale)


def _scaled(amount: float, seconds_each: float) -> timedelta:
    if not math.isfinite(amount) or abs(amount) > 1e9:  # a finite length a timedelta can hold; range checked after
        raise ValueError(repr(amount))
    return timedelta(seconds=round(amount * seconds_each, 3))


def _decimal(part: str | None) -> float:
    return float(part.replace(",", ".")) if part else 0.0
