"""Which public holiday each day of one person's window should hold in MOCO, from their Personio holiday
calendars: on the person's working days only (the same rule as absences: their MOCO employment pattern, no
weekends), a full day as a full day and a half day as the afternoon."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from reconciler.plan.snapshot import Window
from reconciler.records import AbsenceKind, Employment, Holiday
from reconciler.sync.absences_to_moco.days import unpatterned_warning, works
from reconciler.sync.identity import Pair
from reconciler.sync.ownership import HOLIDAY_MARKER

KIND_WORDS = {"public": "public holiday", "company": "company holiday"}


@dataclass(frozen=True)
class WantedHoliday:
    """What one person's MOCO day should hold: a public holiday, all day or the afternoon."""

    holiday: Holiday
    am: bool
    pm: bool

    def view(self) -> dict[str, Any]:
        return {"absence_kind": AbsenceKind.PUBLIC_HOLIDAY.value, "am": self.am, "pm": self.pm,
                "comment": HOLIDAY_MARKER.comment(self.holiday.id)}

    @property
    def what(self) -> str:
        """E.g. "Heiligabend: company holiday in Personio, half a day"."""
        half = ", half a day" if self.holiday.half_day else ""
        return f"{self.holiday.name}: {KIND_WORDS.get(self.holiday.kind, 'holiday')} in Personio{half}"


def wanted_holidays(pair: Pair, holidays: dict[date, Holiday], employments: list[Employment], window: Window
                    ) -> tuple[dict[date, WantedHoliday], list[str]]:
    """The public holiday each day of the window should hold for one person, and what to say about it."""
    unpatterned: set[date] = set()
    wanted = {day: WantedHoliday(holiday, am=not holiday.half_day, pm=True) for day, holiday in holidays.items()
              if day in window and works(employments, day, unpatterned)}
    return wanted, unpatterned_warning(pair, unpatterned, "holiday")
