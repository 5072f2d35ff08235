"""Personio holidays (personio.md §13.2): `GET /v2/holidays`, one entry per person and date.

A person's holidays are those of the calendars assigned to them: their office's (`PersonioPerson.office`) and
the company's. The entries are worked out from the calendars on every request (calendars.py), never stored,
so a calendar or office changed through the side door shows in the next answer.

`person.id` (at most 50 ids), `date.gte` and `date.lte` are all required on the first request; the range
starts at most 10 years before the sandbox's today and ends at most 3 years after it. Anything else is a 400
naming the parameter. Sorted by person, then date; cursor pages as every other v2 list.
"""

from __future__ import annotations

import re
import uuid
from datetime import date
from typing import Any

from aiohttp import web

from reconciler.sandbox.personio.calendars import Holiday, holidays_in
from reconciler.sandbox.personio.errors import bad_request
from reconciler.sandbox.personio.records import PersonioPerson, PersonioState
from reconciler.sandbox.personio.service import PersonioService, csv

MAX_PERSONS = 50  # ids of `person.id` a request may name
YEARS_BACK, YEARS_AHEAD = 10, 3  # how far from today the asked range may reach
_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
# Entry ids are derived from person and date, so that they stay the same from one request to the next.
_ENTRY_IDS = uuid.UUID("6f1d3c2e-8a4b-4e0f-9c71-2d5b8e6a4f10")


# UNVERIFIED (personio.md §13.2; doctor: personio-holidays): Personio has not published the fields of a holiday
# entry. This is the team's decision until it does, in this one place.
def entry_json(person_id: str, holiday: Holiday) -> dict[str, Any]:
    day = holiday.day.isoformat()
    return {"id": str(uuid.uuid5(_ENTRY_IDS, f"{person_id}/{day}")), "person": {"id": person_id}, "date": day,
            "name": holiday.name, "half_day": holiday.half_day, "type": holiday.type}


def person_holidays(state: PersonioState, person: PersonioPerson, first: date, last: date) -> list[Holiday]:
    """The person's holidays from `first` to `last` (inclusive), in date order. Their office's calendars come
    before the company's: a day two calendars hold is given once, as the first has it."""
    calendars = sorted((c for c in state.holiday_calendars.values() if c.office in (None, person.office)),
                       key=lambda c: (c.office is None, c.id))
    days: dict[date, Holiday] = {}
    for calendar in calendars:
        removed = set(calendar.removed)
        for year in range(first.year, last.year + 1):
            for holiday in holidays_in(calendar.rules, year):
                if first <= holiday.day <= last and holiday.day.isoformat() not in removed:
                    days.setdefault(holiday.day, holiday)
    return [days[day] for day in sorted(days)]


def _shifted(day: date, years: int) -> date:
    """The same day `years` later (or earlier); 29 February becomes the 28th in a year without one."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


def _day(query: dict[str, str], name: str) -> date:
    value = query[name]
    try:
        if not _DAY.match(value):
            raise ValueError(value)
        return date.fromisoformat(value)
    except ValueError:
        raise bad_request(f"Invalid request content: {name} must be a date (YYYY-MM-DD).") from None


def _person_order(person: PersonioPerson) -> tuple[int, str]:
    """Persons in the order the persons list has them: by numeric id."""
    return (int(person.id), "") if person.id.isdigit() else (0, person.id)


class Holidays(PersonioService):
    async def list_holidays(self, request: web.Request) -> web.Response:
        self.auth(request)
        today = self.sandbox.params.today

        def items(query: dict[str, str]) -> list[dict[str, Any]]:
            persons = csv(query.get("person.id"))
            missing = [name for name, given in (("person.id", persons), ("date.gte", query.get("date.gte")),
                                                ("date.lte", query.get("date.lte"))) if not given]
            if missing:
                raise bad_request(f"Missing required parameters: {', '.join(missing)}.")
            assert persons is not None  # not missing
            if len(persons) > MAX_PERSONS:
                raise bad_request(f"person.id takes at most {MAX_PERSONS} ids.")
            first, last = _day(query, "date.gte"), _day(query, "date.lte")
            if first < _shifted(today, -YEARS_BACK):
                raise bad_request(f"date.gte must be at most {YEARS_BACK} years ago.")
            if last > _shifted(today, YEARS_AHEAD):
                raise bad_request(f"date.lte must be at most {YEARS_AHEAD} years from today.")
            if first > last:
                raise bad_request("date.gte must not be after date.lte.")
            known = sorted((self.state.persons[i] for i in persons if i in self.state.persons), key=_person_order)
            return [entry_json(p.id, h) for p in known for h in person_holidays(self.state, p, first, last)]

        return self.page(request, items, max_limit=100, default_limit=100)
