"""Personio's duration-only attendance periods (no times, a length on a day): the one place that reads and
writes their `duration` (systems/personio/durations.py), and the client reading and writing them."""

from __future__ import annotations

import asyncio
import re
from datetime import date, datetime, timedelta
from typing import Any

import pytest
from aioresponses import CallbackResult

from reconciler.errors import UnexpectedResponse
from reconciler.systems.personio import PersonioClient, durations
from tests.systems.helpers import PERSONIO, canned, run_with_clients

SEVEN_THIRTY = timedelta(hours=7, minutes=30)


def duration_only(**changes: Any) -> dict[str, Any]:
    """A duration-only period as Personio v2 lists it (personio.md §13.1)."""
    return {"id": "d1", "type": "WORK", "person": {"id": "7"}, "start": None, "end": None,
            "attribution_date": "2026-06-01", "duration": "PT7H30M", "comment": "Projektarbeit",
            "approval": {"status": "CONFIRMED"}, **changes}


def read(rows: list[dict[str, Any]]) -> list[Any]:
    client = PersonioClient(canned("Personio", PERSONIO, rows))
    return asyncio.run(client.attendance_periods(date(2026, 6, 1), date(2026, 6, 30)))


# ----------------------------------------------------------------------------- the forms read


@pytest.mark.parametrize(("value", "length"), [
    ("PT7H30M", SEVEN_THIRTY), ("PT7.5H", SEVEN_THIRTY), ("PT7,5H", SEVEN_THIRTY), ("PT450M", SEVEN_THIRTY),
    ("PT27000S", SEVEN_THIRTY), ("P0DT7H30M0S", SEVEN_THIRTY), ("pt7h30m", SEVEN_THIRTY), ("PT0S", timedelta(0)),
    ("P1D", timedelta(hours=24)), ("PT24H", timedelta(hours=24)), ("PT30M15S", timedelta(minutes=30, seconds=15)),
    ("7:30", SEVEN_THIRTY), ("07:30", SEVEN_THIRTY), ("07:30:00", SEVEN_THIRTY), ("24:00", timedelta(hours=24)),
    (450, SEVEN_THIRTY), (450.0, SEVEN_THIRTY), (0, timedelta(0)), (1440, timedelta(hours=24)),
    ({"value": 7.5, "unit": "HOURS"}, SEVEN_THIRTY), ({"value": 450, "unit": "minutes"}, SEVEN_THIRTY),
    ({"value": 27000, "unit": "SECOND"}, SEVEN_THIRTY), ({"value": 27000000, "unit": "MILLISECONDS"}, SEVEN_THIRTY),
])
def test_each_accepted_form_reads_as_its_length(value, length):
    assert durations.parse(value) == length
    (period,) = read([duration_only(duration=value)])
    assert period.duration == length


@pytest.mark.parametrize("value", [
    None, True, "", "x", "450", "PT", "P", "P1DT", "P1W", "P1M", "P1Y", "PT25H", "-PT1H", "25:00", "7:75", "7h30",
    1441, -1, 27000, float("nan"), float("inf"), [450], {"value": 7.5}, {"unit": "HOURS"}, {"value": "7", "unit": "H"},
    {"value": 1, "unit": "DAYS"}, {"value": True, "unit": "HOURS"},
])
def test_an_unreadable_duration_stops_the_read_naming_the_period_and_the_field(value):
    with pytest.raises(UnexpectedResponse) as caught:
        read([duration_only(duration=value)])
    message = str(caught.value)
    assert message.startswith("Personio: cannot read attendance period d1 from GET /v2/attendance-periods?")
    assert ": duration is " in message and "expected a length of 0 to 24 hours" in message


def test_a_missing_duration_says_it_is_a_period_without_start():
    row = duration_only()
    del row["duration"]
    with pytest.raises(UnexpectedResponse, match=r"duration is missing, expected a length of 0 to 24 hours, as a "
                                                 r"period without start \(duration-only\) has it"):
        read([row])


def test_a_bare_number_is_minutes_and_seconds_of_a_working_day_cannot_pass_as_them():
    """The ambiguity of a bare number: read as minutes; a day's length in seconds reads as over 24 hours."""
    assert durations.parse(450) == SEVEN_THIRTY
    with pytest.raises(ValueError):
        durations.parse(27000)  # 7:30 in seconds: 450 hours as minutes, refused rather than misread


@pytest.mark.parametrize(("length", "written"), [
    (SEVEN_THIRTY, "PT7H30M"), (timedelta(hours=8), "PT8H"), (timedelta(minutes=45), "PT45M"),
    (timedelta(0), "PT0S"), (timedelta(hours=24), "PT24H"), (timedelta(hours=1, seconds=5), "PT1H5S"),
])
def test_one_form_is_written_and_reads_back_as_itself(length, written):
    assert durations.write(length) == written
    assert durations.parse(written) == length


# ----------------------------------------------------------------------------- the client


def test_a_duration_only_period_reads_as_a_length_on_its_day_never_as_an_open_period():
    (period,) = read([duration_only()])
    assert period.duration_only and period.duration == SEVEN_THIRTY
    assert period.start == datetime(2026, 6, 1) and period.day == date(2026, 6, 1) and period.end is None
    assert (period.person_id, period.kind, period.comment, period.status) == ("7", "WORK", "Projektarbeit",
                                                                               "CONFIRMED")


def test_a_timed_period_reads_by_its_times_even_beside_a_duration():
    row = {"id": "t1", "type": "WORK", "person": {"id": "7"}, "start": {"date_time": "2026-06-01T08:00:00"},
           "end": {"date_time": "2026-06-01T12:00:00"}, "attribution_date": "2026-06-01", "duration": "whatever"}
    (period,) = read([row])
    assert not period.duration_only and period.duration is None and period.end == datetime(2026, 6, 1, 12)


@pytest.mark.parametrize(("changes", "field"), [
    ({"attribution_date": None}, "attribution_date"), ({"attribution_date": "01.06.2026"}, "attribution_date"),
    ({"end": {"date_time": "2026-06-01T12:00:00"}}, "end"),
])
def test_a_duration_only_period_needs_its_day_and_no_end(changes, field):
    with pytest.raises(UnexpectedResponse, match=rf": {field} is "):
        read([duration_only(**changes)])


def test_every_list_read_asks_for_both_kinds_bounded_by_the_day_they_count_for():
    seen: list[str] = []

    def answer(url: Any, **kwargs: Any) -> CallbackResult:
        seen.append(str(url))
        return CallbackResult(payload={"_data": [duration_only()] if len(seen) == 1 else [], "_meta": {"links": {}}})

    periods = run_with_clients(
        lambda c, m: c.personio.attendance_periods(date(2026, 6, 1), date(2026, 6, 30)),
        mock=lambda m: m.get(re.compile(rf"{PERSONIO}/v2/attendance-periods.*"), callback=answer, repeat=True))
    [url] = seen
    assert "duration_type=ALL" in url and "attribution_date.gte=2026-06-01" in url
    assert "attribution_date.lte=2026-06-30" in url and "start.date_time" not in url
    assert [p.duration for p in periods] == [SEVEN_THIRTY]

    seen.clear()
    run_with_clients(lambda c, m: c.personio.attendance_periods_changed(datetime(2026, 6, 1, 8)),
                     mock=lambda m: m.get(re.compile(rf"{PERSONIO}/v2/attendance-periods.*"), callback=answer,
                                          repeat=True))
    assert ["duration_type=ALL" in url for url in seen] == [True]


def test_a_duration_only_period_is_created_and_changed_with_a_duration_on_a_day():
    sent: list[tuple[str, str, Any]] = []

    def answer(url: Any, **kwargs: Any) -> CallbackResult:
        sent.append((str(url.path), url.query_string, kwargs["json"]))
        return CallbackResult(status=201, payload={"id": "new-1"}) if len(sent) == 1 else CallbackResult(status=204)

    async def both(c: Any, m: Any) -> str:
        new_id = await c.personio.create_duration_attendance("7", date(2026, 6, 1), SEVEN_THIRTY, "[reconcile] x")
        await c.personio.update_duration_attendance(new_id, date(2026, 6, 2), timedelta(hours=8), "[reconcile] x")
        return str(new_id)

    new_id = run_with_clients(both, mock=lambda m: (
        m.post(re.compile(rf"{PERSONIO}/v2/attendance-periods.*"), callback=answer),
        m.patch(re.compile(rf"{PERSONIO}/v2/attendance-periods/new-1.*"), callback=answer)))
    assert new_id == "new-1"
    assert sent == [
        ("/v2/attendance-periods", "skip_approval=true",
         {"person": {"id": "7"}, "type": "WORK", "attribution_date": "2026-06-01", "duration": "PT7H30M",
          "comment": "[reconcile] x"}),
        ("/v2/attendance-periods/new-1", "skip_approval=true",
         {"attribution_date": "2026-06-02", "duration": "PT8H", "comment": "[reconcile] x"}),
    ]
