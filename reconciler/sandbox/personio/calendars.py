"""The holiday calendars of the Personio stand-in: which days each one holds in a year, worked out by rule.

A calendar is stored as a rule set (`PersonioHolidayCalendar.rules`), never as its days: `GET /v2/holidays`
may ask for ten years back and three ahead, for every person, so the days of a year are computed when asked
(and kept per year, they never change). Three rule sets: Berlin's public holidays, Bavaria's (the Munich
office), and the company's own half days on 24 and 31 December. The names are the German ones, as a German
company's Personio shows them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache

BERLIN, MUNICH = "Berlin", "Munich"  # the seeded company's offices
PUBLIC_HOLIDAY, COMPANY_HOLIDAY = "PUBLIC_HOLIDAY", "COMPANY_HOLIDAY"


@dataclass(frozen=True)
class Holiday:
    """One day of one calendar."""

    day: date
    name: str
    half_day: bool = False
    type: str = PUBLIC_HOLIDAY


def easter_sunday(year: int) -> date:
    """Easter Sunday of `year` in the Gregorian calendar (the anonymous Gregorian algorithm, Meeus/Jones/Butcher)."""
    a, b, c = year % 19, year // 100, year % 100
    d, e = b // 4, b % 4
    f = (b + 8) // 25
    g = (b - f + 1) // 3
    h = (19 * a + b - d - g + 15) % 30
    i, k = c // 4, c % 4
    l_ = (32 + 2 * e + 2 * i - h - k) % 7
    m = (a + 11 * h + 22 * l_) // 451
    month = (h + l_ - 7 * m + 114) // 31
    day = (h + l_ - 7 * m + 114) % 31 + 1
    return date(year, month, day)


def national(year: int) -> dict[date, str]:
    """The public holidays of every German state, year after year (no one-off days)."""
    easter = easter_sunday(year)
    return {
        date(year, 1, 1): "Neujahr",
        easter - timedelta(days=2): "Karfreitag",
        easter + timedelta(days=1): "Ostermontag",
        date(year, 5, 1): "Tag der Arbeit",
        easter + timedelta(days=39): "Christi Himmelfahrt",
        easter + timedelta(days=50): "Pfingstmontag",
        date(year, 10, 3): "Tag der Deutschen Einheit",
        date(year, 12, 25): "1. Weihnachtstag",
        date(year, 12, 26): "2. Weihnachtstag",
    }


def _germany(year: int) -> dict[date, str]:
    """The public holidays of every German state that year, one-off days included."""
    days = national(year)
    if year == 2017:  # the Reformation's 500th anniversary, once a holiday everywhere
        days[date(2017, 10, 31)] = "Reformationstag"
    return days


def _berlin(year: int) -> dict[date, str]:
    days = _germany(year)
    if year >= 2019:  # Berlin's holiday since 2019
        days[date(year, 3, 8)] = "Internationaler Frauentag"
    if year in (2020, 2025):  # the 75th and 80th anniversaries of the end of the war, once each
        days[date(year, 5, 8)] = "Tag der Befreiung"
    return days


def _bavaria(year: int) -> dict[date, str]:
    easter = easter_sunday(year)
    days = _germany(year)
    days[date(year, 1, 6)] = "Heilige Drei Könige"
    days[easter + timedelta(days=60)] = "Fronleichnam"
    days[date(year, 8, 15)] = "Mariä Himmelfahrt"  # in Munich, as in most of Bavaria
    days[date(year, 11, 1)] = "Allerheiligen"
    return days


def _company(year: int) -> dict[date, str]:
    return {date(year, 12, 24): "Heiligabend", date(year, 12, 31): "Silvester"}


@lru_cache(maxsize=512)
def holidays_in(rules: str, year: int) -> tuple[Holiday, ...]:
    """The days a calendar of `rules` ("berlin", "bavaria" or "company") holds in `year`, in date order;
    none for rules it does not know (a calendar changed through the side door)."""
    if rules == "company":  # half days the company gives everyone
        return tuple(Holiday(day, name, half_day=True, type=COMPANY_HOLIDAY)
                     for day, name in sorted(_company(year).items()))
    public = {"berlin": _berlin, "bavaria": _bavaria}.get(rules)
    return () if public is None else tuple(Holiday(day, name) for day, name in sorted(public(year).items()))
