"""Public holidays of Germany (Berlin), which the seeded MOCO account has entered for every user."""

from __future__ import annotations

from datetime import date

from reconciler.sandbox.personio.calendars import national


def german_public_holidays(year: int) -> dict[date, str]:
    """Nation-wide German public holidays plus Berlin's Frauentag (every year, and no one-off days: the seeded
    MOCO account's entries, which the Personio stand-in's Berlin calendar refines), in the order they were
    always seeded (Frauentag second)."""
    return {date(year, 1, 1): "Neujahr", date(year, 3, 8): "Internationaler Frauentag"} | national(year)
