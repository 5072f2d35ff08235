"""records.builder: the fast readers' constructor makes the very record the dataclass's own would."""

from dataclasses import FrozenInstanceError, dataclass, fields
from datetime import date, datetime, time, timedelta

import pytest

from reconciler.records import AttendancePeriod, Presence, builder


@pytest.mark.parametrize("record", [
    Presence(id=7, user_id=3, day=date(2026, 3, 2), start=time(9), end=None, is_home_office=True, updated_at="x"),
    AttendancePeriod(id="a", person_id="p", kind="BREAK", start=datetime(2026, 3, 2, 9),
                     end=datetime(2026, 3, 2, 9, 30), comment="c", status="PENDING"),
    AttendancePeriod(id="d", person_id="p", kind="WORK", start=datetime(2026, 3, 2), end=None, comment="",
                     status="CONFIRMED", duration=timedelta(hours=7, minutes=30)),
])
def test_builds_the_same_record_field_by_field(record):
    built = builder(type(record))(*(getattr(record, f.name) for f in fields(record)))
    assert built == record and hash(built) == hash(record) and repr(built) == repr(record)
    with pytest.raises(FrozenInstanceError):
        built.id = 8


def test_refuses_a_class_whose_init_does_more():
    @dataclass(frozen=True, slots=True)
    class Checked:
        value: int

        def __post_init__(self) -> None:
            raise ValueError

    with pytest.raises(TypeError):
        builder(Checked)
