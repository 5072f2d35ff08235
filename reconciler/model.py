"""Domain vocabulary shared by the spec, the planners and the clients. No I/O."""

from __future__ import annotations

from enum import Enum


class AbsenceKind(str, Enum):
    """MOCO's absence kinds, named as in the spec, with MOCO's `absence_code`."""

    UNPLANNABLE = "unplannable"
    PUBLIC_HOLIDAY = "public_holiday"
    SICK_DAY = "sick_day"
    HOLIDAY = "holiday"
    ABSENCE = "absence"

    @property
    def code(self) -> int:
        return _ABSENCE_CODES[self]

    @classmethod
    def from_code(cls, code: int | str) -> AbsenceKind:
        return _KINDS_BY_CODE[int(code)]

    def __str__(self) -> str:
        return self.value


_ABSENCE_CODES = {
    AbsenceKind.UNPLANNABLE: 1,
    AbsenceKind.PUBLIC_HOLIDAY: 2,
    AbsenceKind.SICK_DAY: 3,
    AbsenceKind.HOLIDAY: 4,
    AbsenceKind.ABSENCE: 5,
}
_KINDS_BY_CODE = {code: kind for kind, code in _ABSENCE_CODES.items()}


class AttendanceDirection(str, Enum):
    """Which system owns working hours."""

    MOCO_TO_PERSONIO = "moco_to_personio"
    PERSONIO_MANAGED = "personio_managed"

    def __str__(self) -> str:
        return self.value
