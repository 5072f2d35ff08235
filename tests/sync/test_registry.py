"""What a direction declares for every kind of run is checked when it is declared, and the registry
answers from those declarations alone: which directions a webhook concerns, in the registry's order."""

from __future__ import annotations

import dataclasses

import pytest

from reconciler.sync import registry, sources
from reconciler.sync.direction import MOCO, PERSONIO, Watched

ABSENCES, HOLIDAYS, HOURS = "absences_to_moco", "holidays_to_moco", "hours_to_personio"
PEOPLE = "people_to_moco"


def test_a_webhook_concerns_the_directions_that_watch_what_it_names():
    assert [d.name for d, _ in registry.watching(MOCO, "Presence")] == [HOURS]
    assert [d.name for d, _ in registry.watching(MOCO, "Schedule")] == [ABSENCES, HOLIDAYS]
    assert [d.name for d, _ in registry.watching(MOCO, "User")] == [ABSENCES, HOLIDAYS, HOURS, PEOPLE]
    assert [d.name for d, _ in registry.watching(PERSONIO, "absence-period")] == [ABSENCES]
    assert [d.name for d, _ in registry.watching(PERSONIO, "person")] == [ABSENCES, HOLIDAYS, HOURS, PEOPLE]
    assert registry.watching(MOCO, "Project") == () and registry.watching(PERSONIO, "presence") == ()


def test_each_direction_names_its_record_kind_in_each_system():
    absences, hours = registry.get(ABSENCES), registry.get(HOURS)
    assert (absences.record_kind(MOCO).name, absences.record_kind(PERSONIO).name) == ("Schedule", "absence-period")
    assert (hours.record_kind(MOCO).name, hours.record_kind(PERSONIO).name) == ("Presence", "attendance-period")
    assert not absences.record_kind(PERSONIO).one_day and hours.record_kind(MOCO).by_id
    holidays = registry.get(HOLIDAYS)  # Personio sends nothing when a holiday calendar changes
    assert (holidays.record_kind(MOCO).name, holidays.record_kind(PERSONIO)) == ("Schedule", None)


@pytest.mark.parametrize(("declared", "says"), [
    (dict(system="notes", name="Note"), "webhooks come from moco or personio"),
    (dict(system=MOCO, name="User", person=True, day=("date",)), "a person names itself"),
    (dict(system=PERSONIO, name="attendance-period", by_id=True), "only MOCO records are read again by id"),
    (dict(system=MOCO, name="Presence", listed=sources.MOCO_PRESENCES), "comes with how to read its owner"),
])
def test_a_declaration_that_cannot_work_is_refused_when_it_is_made(declared, says):
    with pytest.raises(ValueError, match=says):
        Watched(**declared)


def test_a_direction_watches_one_kind_of_record_in_a_system():
    hours = registry.get(HOURS)
    with pytest.raises(ValueError, match="more than one kind of moco record"):
        dataclasses.replace(hours, watches=(*hours.watches, Watched(MOCO, "Schedule")))
