"""Both stand-ins' data together: what one seeded company has, and the side door's dump of it."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from reconciler.sandbox.moco.records import MocoState
from reconciler.sandbox.personio.records import PersonioState


@dataclass
class World:
    """Both systems' data, as one seeded company has it."""

    moco: MocoState
    personio: PersonioState

    def dump(self) -> dict[str, Any]:
        """Everything, for the side door's state dump (records as stored, not API-shaped)."""
        return {
            "moco": {
                "users": [asdict(u) for u in self.moco.users.values()],
                "employments": [asdict(e) for e in self.moco.employments.values()],
                "schedules": [asdict(s) for s in self.moco.schedules.values()],
                "presences": [asdict(p) for p in self.moco.presences.values()],
                "units": [asdict(u) for u in self.moco.units.values()],
            },
            "personio": {
                "persons": [asdict(p) for p in self.personio.persons.values()],
                "absence_types": [asdict(t) for t in self.personio.absence_types.values()],
                "absence_periods": [asdict(p) for p in self.personio.absence_periods.values()],
                "attendance_periods": [asdict(p) for p in self.personio.attendance_periods.values()],
                "holiday_calendars": [asdict(c) for c in self.personio.holiday_calendars.values()],
                "org_units": [asdict(u) for u in self.personio.org_units.values()],
            },
        }
