"""Whose record a bare id is: learnt from the records a run read, forgotten by a full run, never guessed."""

from datetime import date, datetime, time

from reconciler.plan.snapshot import Snapshot
from reconciler.records import AbsenceKind, AbsencePeriod, AttendancePeriod, MocoAbsence, Presence
from reconciler.serve.events import MOCO, PERSONIO
from reconciler.serve.owners import Owners
from reconciler.sync import sources

ABSENCES, HOURS = "absences_to_moco", "hours_to_personio"
TODAY = date(2026, 11, 30)
D1, D2 = date(2026, 11, 2), date(2026, 11, 3)


def presence(ident, user, day=D1):
    return Presence(ident, user, day, time(8), time(12))


def schedule(ident, user, day=D1):
    return MocoAbsence(ident, user, day, AbsenceKind.HOLIDAY, True, True, "")


def attendance(ident, person, start=datetime(2026, 11, 2, 22, 30)):
    return AttendancePeriod(ident, person, "WORK", start, None, "", "CONFIRMED")


def absence(ident, person, first=D1, last=date(2026, 11, 6)):
    return AbsencePeriod(ident, person, "t1", first, last, False, False, "APPROVED")


def snapshot(*, presences=(), schedules=(), attendances=(), absences=()):
    lists = {}
    for source, records in ((sources.MOCO_PRESENCES, presences), (sources.MOCO_SCHEDULES, schedules),
                            (sources.PERSONIO_ATTENDANCE_PERIODS, attendances),
                            (sources.PERSONIO_ABSENCE_PERIODS, absences)):
        if records is not None:
            lists[source.name] = tuple(records)
    return Snapshot(TODAY, lists)


def test_a_full_runs_snapshot_teaches_the_owner_and_day_of_every_synced_record():
    owners = Owners()
    owners.learn(snapshot(presences=[presence(11, 7, D1)], schedules=[schedule(12, 8, D2)],
                          attendances=[attendance("31", "77")], absences=[absence("41", "78")]), whole=True)
    assert owners.find(HOURS, MOCO, 11) == (7, D1)
    assert owners.find(ABSENCES, MOCO, 12) == (8, D2)
    assert owners.find(HOURS, PERSONIO, "31") == ("77", D1)  # the day the period starts on
    assert owners.find(ABSENCES, PERSONIO, "41") == ("78", D1)  # the absence's first day
    assert len(owners) == 4
    assert owners.find("holidays_to_moco", MOCO, 12) == (8, D2)  # the same list teaches both, learnt once


def test_an_id_never_read_is_not_known():
    owners = Owners()
    assert owners.find(HOURS, MOCO, 11) is None
    owners.learn(snapshot(presences=[presence(11, 7)]), whole=True)
    assert owners.find(HOURS, MOCO, 12) is None
    assert owners.find(HOURS, PERSONIO, 11) is None  # the same number in another system is another record


def test_a_full_run_forgets_records_it_no_longer_reads():
    owners = Owners()
    owners.learn(snapshot(presences=[presence(11, 7), presence(12, 7)], absences=[absence("41", "78")]), whole=True)
    owners.learn(snapshot(presences=[presence(12, 7, D2)], absences=[]), whole=True)
    assert owners.find(HOURS, MOCO, 11) is None
    assert owners.find(HOURS, MOCO, 12) == (7, D2)
    assert owners.find(ABSENCES, PERSONIO, "41") is None


def test_a_full_run_keeps_what_it_learnt_from_lists_it_did_not_read():
    owners = Owners()
    owners.learn(snapshot(presences=[presence(11, 7)], schedules=[schedule(12, 8)]), whole=True)
    owners.learn(snapshot(presences=[presence(13, 9)], schedules=None), whole=True)  # e.g. --only hours
    assert owners.find(ABSENCES, MOCO, 12) == (8, D1)
    assert owners.find(HOURS, MOCO, 11) is None


def test_other_runs_add_to_what_is_known():
    owners = Owners()
    owners.learn(snapshot(presences=[presence(11, 7)]), whole=True)
    owners.learn(snapshot(presences=[presence(12, 9, D2)]), whole=False)
    assert owners.find(HOURS, MOCO, 11) == (7, D1)
    assert owners.find(HOURS, MOCO, 12) == (9, D2)
    owners.learn(snapshot(presences=[presence(11, 7, D2)]))  # a targeted run saw it on another day
    assert owners.find(HOURS, MOCO, 11) == (7, D2)


def test_personio_numeric_string_ids_and_ints_are_the_same_record():
    owners = Owners()
    owners.learn(snapshot(attendances=[attendance("123456", "77")], absences=[absence("98", "78")]), whole=True)
    assert owners.find(HOURS, PERSONIO, 123456) == ("77", D1)
    assert owners.find(HOURS, PERSONIO, "123456") == ("77", D1)
    assert owners.find(ABSENCES, PERSONIO, 98) == ("78", D1)
    owners.remember(HOURS, PERSONIO, 555, "79", D2)
    assert owners.find(HOURS, PERSONIO, "555") == ("79", D2)


def test_non_numeric_personio_ids_are_kept_as_they_are():
    owners = Owners()
    owners.learn(snapshot(absences=[absence("p-9a", "78")]), whole=True)
    assert owners.find(ABSENCES, PERSONIO, "p-9a") == ("78", D1)
    assert owners.find(ABSENCES, PERSONIO, "P-9A") is None


def test_a_moco_presence_and_a_schedule_with_the_same_id_are_different_records():
    owners = Owners()
    owners.learn(snapshot(presences=[presence(5, 7, D1)], schedules=[schedule(5, 8, D2)]), whole=True)
    assert owners.find(HOURS, MOCO, 5) == (7, D1)
    assert owners.find(ABSENCES, MOCO, 5) == (8, D2)


def test_a_presence_that_names_no_user_is_not_learnt():
    owners = Owners()
    owners.learn(snapshot(presences=[presence(11, None), presence(12, 7)]), whole=True)
    assert owners.find(HOURS, MOCO, 11) is None
    assert owners.find(HOURS, MOCO, 12) == (7, D1)
    assert len(owners) == 1


def test_a_record_remembered_without_a_day_answers_its_owner_and_no_day():
    owners = Owners()
    owners.remember(HOURS, MOCO, 11, 7, None)
    assert owners.find(HOURS, MOCO, 11) == (7, None)


def test_many_people_keep_their_own_records():
    owners = Owners()
    owners.learn(snapshot(presences=[presence(n, 1000 + n % 50, date(2026, 1, 1 + n % 28)) for n in range(1, 1001)]),
                 whole=True)
    assert len(owners) == 1000
    assert all(owners.find(HOURS, MOCO, n) == (1000 + n % 50, date(2026, 1, 1 + n % 28)) for n in range(1, 1001))
