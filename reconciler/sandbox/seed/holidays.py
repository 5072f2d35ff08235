"""Public holidays of Germany (Berlin), which the seeded MOCO account has entered for every user."""

from __future__ import annotations

from datetime import date, timedelta

from reconciler.sandbox.personio.calendars import easter_sunday


def german_public_holidays(year: int) -> dict[date, str]:
    """Nation-wide German public holidays plus Berlin's Frauentag."""
    easter = easter_sunday(year)
    return {
        date(year, 1, 1): "Neujahr",
        date(year, 3, 8): "Internationaler Frauentag",
        easter - timedelta(days=2): "Karfreitag",
        easter + timedelta(days=1): "Ostermontag",
        date(year, 5, 1): "Tag der Arbeit",
        easter + timedelta(days=39): "Christi Himmelfahrt",
        easter + timedelta(days=50): "Pfingstmontag",
        date(year, 10, 3): "Tag der Deutschen Einheit",
        date(year, 12, 25): "1. Weihnachtstag",
        date(year, 12, 26): "2. Weihnachtstag",
    }
