"""apply on a fake MOCO: each change reported, failures contained, unknown creates re-read."""

from __future__ import annotations

import asyncio
import json
import signal
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from typing import Any

from reconciler.apply import ApplyReport, Pace, apply_changes
from reconciler.errors import (
    AuthenticationFailed,
    OutcomeUnknown,
    Rejected,
    Unavailable,
)
from reconciler.plan import Change, Removal
from reconciler.records import AbsenceKind, MocoAbsence
from reconciler.sync.absences_to_moco.apply import AbsenceEdit, NewAbsence

COMMENT = "[reconcile] Personio absence p1"


HOLIDAY = {"absence_kind": "holiday", "am": True, "pm": True, "comment": COMMENT}


def absence(action: str, day: int, **fields: Any) -> Change:
    return Change(action, "absences_to_moco", "moco", "absence", "jane@acme.example",  # type: ignore[arg-type]
                  "jane@acme.example", date(2026, 12, day), **fields)


def create(day: int, user_id: int = 1) -> Change:
    return absence("create", day, after=HOLIDAY, send=NewAbsence(AbsenceKind.HOLIDAY, True, True, COMMENT,
                                                                 user_id=user_id, day=date(2026, 12, day)))


@dataclass
class FakeMoco:
    """Holds schedules like MOCO; `fail` maps a day to the error its create raises."""

    schedules: dict[int, MocoAbsence] = field(default_factory=dict)
    fail: dict[int, Exception] = field(default_factory=dict)
    commit_before_failing: bool = False
    reread_error: Exception | None = None
    calls: list[str] = field(default_factory=list)
    next_id: int = 100

    async def create_schedule(self, user_id: int, day: date, kind: AbsenceKind, *, am: bool, pm: bool,
                              comment: str) -> MocoAbsence:
        self.calls.append(f"POST {day}")
        error = self.fail.get(day.day)
        if error and not self.commit_before_failing:
            raise error
        self.next_id += 1
        absence = MocoAbsence(self.next_id, user_id, day, kind, am, pm, comment)
        self.schedules[absence.id] = absence
        if error:
            raise error
        return absence

    async def update_schedule(self, schedule_id: int, *, kind: AbsenceKind, am: bool, pm: bool, comment: str) -> Any:
        self.calls.append(f"PUT {schedule_id}")
        old = self.schedules[schedule_id]
        self.schedules[schedule_id] = MocoAbsence(old.id, old.user_id, old.day, kind, am, pm, comment)

    async def delete_schedule(self, schedule_id: int) -> bool:
        self.calls.append(f"DELETE {schedule_id}")
        return self.schedules.pop(schedule_id, None) is not None

    async def schedules_between(self, start: date, end: date) -> list[MocoAbsence]:
        self.calls.append(f"GET {start}")
        if self.reread_error:
            raise self.reread_error
        return [s for s in self.schedules.values() if start <= s.day <= end]


@dataclass
class FakeClients:
    moco: Any


def run(changes: list[Change], moco: FakeMoco, **kwargs: Any):
    clients = FakeClients(moco=_Adapter(moco))
    return asyncio.run(apply_changes(changes, clients, Pace(verify_delay=0, **kwargs)))


class _Adapter:
    """The client's method names over the fake (schedules() is both a list and a re-read)."""

    def __init__(self, fake: FakeMoco) -> None:
        self.fake = fake
        self.create_schedule = fake.create_schedule
        self.update_schedule = fake.update_schedule
        self.delete_schedule = fake.delete_schedule
        self.schedules = fake.schedules_between


def test_every_change_is_reported_in_plan_order():
    moco = FakeMoco()
    report = run([create(1), create(2), create(3)], moco)
    assert [o.status for o in report.outcomes] == ["applied"] * 3
    assert [o.change.date.day for o in report.outcomes] == [1, 2, 3]
    assert report.ok and report.summary() == "Apply complete: 3 applied, 0 failed, 0 skipped."


def test_a_refused_change_fails_alone():
    moco = FakeMoco(fail={2: Rejected("MOCO", "POST /api/v1/schedules was refused (422): date ist nicht gültig",
                                      status=422)})
    report = run([create(1), create(2), create(3)], moco)
    assert [o.status for o in report.outcomes] == ["applied", "failed", "applied"]
    assert "ist nicht gültig" in report.outcomes[1].detail
    assert not report.ok and report.count("failed") == 1
    assert report.summary() == "Apply finished with failures: 2 applied, 1 failed, 0 skipped."


def test_refused_credentials_stop_new_changes_and_the_rest_are_skipped():
    moco = FakeMoco(fail={1: AuthenticationFailed("MOCO", "authentication failed (401)", status=401)})
    report = run([create(1), create(2), create(3)], moco, concurrency=1)
    assert [o.status for o in report.outcomes] == ["failed", "skipped", "skipped"]
    assert report.stopped_by == "MOCO: authentication failed (401)"
    assert moco.calls == ["POST 2026-12-01"]


def test_one_server_error_fails_its_change_only():
    moco = FakeMoco(fail={2: Unavailable("MOCO", "PUT /api/v1/schedules/7 failed (500)", status=500)})
    report = run([create(1), create(2), create(3), create(4)], moco, concurrency=1)
    assert [o.status for o in report.outcomes] == ["applied", "failed", "applied", "applied"]
    assert not report.stopped_by


def test_a_service_failing_change_after_change_is_down_and_stops_new_changes():
    down = Unavailable("MOCO", "gave up after 6 attempts")
    moco = FakeMoco(fail={1: down, 2: down, 3: down})
    report = run([create(day) for day in range(1, 6)], moco, concurrency=1)
    assert [o.status for o in report.outcomes] == ["failed", "failed", "failed", "skipped", "skipped"]
    assert "3 changes in a row failed like this: MOCO is down" in report.stopped_by
    assert moco.calls == ["POST 2026-12-01", "POST 2026-12-02", "POST 2026-12-03"]


def test_a_success_between_failures_resets_the_count():
    down = Unavailable("MOCO", "gave up after 6 attempts")
    moco = FakeMoco(fail={1: down, 2: down, 4: down, 5: down})
    report = run([create(day) for day in range(1, 7)], moco, concurrency=1)
    assert [o.status for o in report.outcomes] == ["failed", "failed", "applied", "failed", "failed", "applied"]


def test_an_unknown_create_that_happened_is_confirmed_by_re_reading():
    moco = FakeMoco(fail={1: OutcomeUnknown("MOCO", "the connection dropped")}, commit_before_failing=True)
    report = run([create(1)], moco)
    assert report.outcomes[0].status == "applied"
    assert report.outcomes[0].detail == ("its outcome was unknown (the connection dropped), but re-reading found it "
                                         "created")
    assert moco.calls == ["POST 2026-12-01", "GET 2026-12-01"]  # never sent twice
    assert len(moco.schedules) == 1


def test_a_server_error_after_a_create_is_not_called_a_lost_answer():
    moco = FakeMoco(fail={1: OutcomeUnknown("MOCO", "POST /api/v1/schedules failed after it was sent (500)")})
    detail = run([create(1)], moco).outcomes[0].detail
    assert detail.startswith("MOCO: its outcome was unknown (POST /api/v1/schedules failed after it was sent (500)) "
                             "and re-reading did not find it") and "lost" not in detail


def test_an_unknown_create_that_did_not_happen_fails_and_is_not_re_sent():
    moco = FakeMoco(fail={1: OutcomeUnknown("MOCO", "timed out")})
    report = run([create(1)], moco)
    assert report.outcomes[0].status == "failed"
    assert "re-reading did not find it; not re-sent" in report.outcomes[0].detail
    assert moco.calls == ["POST 2026-12-01", "GET 2026-12-01"]
    assert moco.schedules == {}


def test_an_unknown_create_whose_re_read_fails_says_so():
    moco = FakeMoco(fail={1: OutcomeUnknown("MOCO", "timed out")}, reread_error=Unavailable("MOCO", "down"))
    report = run([create(1)], moco)
    assert report.outcomes[0].status == "failed"
    assert "re-reading the day failed too" in report.outcomes[0].detail


def test_someone_elses_record_with_the_same_day_does_not_count_as_ours():
    moco = FakeMoco(fail={1: OutcomeUnknown("MOCO", "timed out")})
    moco.schedules[5] = MocoAbsence(5, 1, date(2026, 12, 1), AbsenceKind.HOLIDAY, True, True, "by hand")
    assert run([create(1)], moco).outcomes[0].status == "failed"


def test_update_then_removal_of_the_days_other_records():
    moco = FakeMoco()
    moco.schedules[7] = MocoAbsence(7, 1, date(2026, 12, 1), AbsenceKind.UNPLANNABLE, True, False, "by hand")
    moco.schedules[8] = MocoAbsence(8, 1, date(2026, 12, 1), AbsenceKind.UNPLANNABLE, False, True, "by hand")
    by_hand = {"absence_kind": "unplannable", "am": True, "pm": False, "comment": "by hand"}
    change = absence("update", 1, before=by_hand, target=7, removes=(Removal(8, {**by_hand, "am": False, "pm": True}),),
                     after=HOLIDAY, send=AbsenceEdit(AbsenceKind.HOLIDAY, True, True, COMMENT))
    report = run([change], moco)
    assert report.ok and moco.calls == ["PUT 7", "DELETE 8"]
    assert list(moco.schedules) == [7] and moco.schedules[7].kind is AbsenceKind.HOLIDAY


def test_deleting_what_is_already_gone_counts_as_done():
    moco = FakeMoco()
    change = absence("delete", 1, before=HOLIDAY, target=7)
    report = run([change], moco)
    assert report.outcomes[0].status == "applied" and report.outcomes[0].detail == "1 record was already gone"


def test_an_apply_outside_the_main_thread_runs_without_signal_handlers():
    """Embedding reconcile (a thread of a larger program) must not fail on signal set-up."""
    import threading

    from reconciler.run import Stopping

    seen: list[str] = []

    async def inside() -> None:
        with Stopping(signal.SIGTERM) as stopping:
            seen.append(stopping.reason)

    thread = threading.Thread(target=lambda: asyncio.run(inside()))
    thread.start()
    thread.join(timeout=10)
    assert seen == [""]


def test_a_heartbeat_reports_progress_while_changes_run():
    beats: list[tuple[int, int]] = []

    class Slow(FakeMoco):
        async def create_schedule(self, *args: Any, **kwargs: Any) -> MocoAbsence:
            await asyncio.sleep(0.05)
            return await super().create_schedule(*args, **kwargs)

    moco = Slow()
    clients = FakeClients(moco=_Adapter(moco))
    report = asyncio.run(apply_changes([create(day) for day in range(1, 7)], clients,
                                       Pace(concurrency=1, verify_delay=0),
                                       progress=lambda outcome, done, total: outcome is None and beats.append(
                                           (done, total)), heartbeat=0.06))
    assert report.ok and len(beats) >= 3
    assert [total for _, total in beats] == [6] * len(beats) and beats == sorted(beats)


def test_a_failed_read_back_after_creating_keeps_the_report_and_says_what_is_missing():
    from reconciler.apply import Outcome
    from reconciler.errors import UnexpectedResponse
    from reconciler.run import RunOptions, Stopping, _settle
    from tests.factories import TODAY, Company, make_spec

    clients = Company().clients()

    async def broken() -> list:
        raise UnexpectedResponse("MOCO", "GET /api/v1/users listed record 7 twice")

    clients.moco.users = broken
    report = ApplyReport(outcomes=[Outcome(create(1), "applied")])

    async def scenario() -> None:
        with Stopping() as stopping:
            await _settle(make_spec(), clients, RunOptions(today=TODAY, pace=Pace(verify_delay=0)), report, stopping)

    asyncio.run(scenario())
    assert [o.status for o in report.outcomes] == ["applied"]
    assert report.unsettled.startswith("could not read back what was written (MOCO: GET /api/v1/users listed record "
                                       "7 twice)") and not report.ok


def test_a_failed_sick_day_change_is_logged_and_reported_without_its_record_id(capsys, tmp_path):
    """Issue 20, finding 8: the log line of a failed sick-day change named its MOCO record id (MOCO's
    schedule id finds the person and the day), and so did the apply report beside the sealed change."""
    from datetime import UTC, datetime

    from reconciler.report import log_failure, report_json, write_report

    class Failing(FakeMoco):
        async def delete_schedule(self, schedule_id: int) -> bool:
            raise Unavailable("MOCO", f"DELETE /api/v1/schedules/{schedule_id} failed (500) for jane@acme.example "
                                      "on 2026-12-02", status=500)

    sick = {"absence_kind": "sick_day", "am": True, "pm": True, "comment": COMMENT}
    changes = [absence("delete", 2, before=sick, target=981234, sensitive=True),
               absence("delete", 3, before=HOLIDAY, target=981235)]
    report = run(changes, Failing(), concurrency=1)
    assert [o.status for o in report.outcomes] == ["failed", "failed"]
    for outcome in report.failed():
        log_failure(outcome)
    holiday_line, sick_line = capsys.readouterr().err.strip().splitlines()  # the sensitive kind last
    assert "failed (500)" in sick_line and "DELETE /api/v1/schedules/… failed" in sick_line
    assert all(secret not in sick_line for secret in ("981234", "jane@acme.example", "2026-12-02"))
    assert "981235" in holiday_line  # an ordinary change keeps what helps to find it
    now = datetime.now(UTC)
    saved = report_json(spec="mapping.yaml", plan_file=None, plan=None, report=report, key=b"k", started=now,
                        finished=now)
    assert "981235" in str(saved["changes"][0]) and "981234" not in str(saved["changes"][1])
    write_report(tmp_path / "report.json", spec="mapping.yaml", plan_file=None, plan=None, report=report, key=b"k",
                 started=now, finished=now)  # --report: the same, written a change at a time
    assert (tmp_path / "report.json").read_text() == json.dumps(saved, indent=2, ensure_ascii=False) + "\n"


def creates_on_days(count: int) -> list[Change]:
    """One absence create a day for `count` days from 1 January 2026: a first sync's many days, in plan order."""
    days = [date(2026, 1, 1) + timedelta(days=n) for n in range(count)]
    return [replace(create(1), date=day, send=replace(create(1).send, day=day))  # type: ignore[type-var]
            for day in days]


def test_many_days_are_applied_in_order_with_no_more_of_them_under_way_than_the_concurrency():
    """A first sync has half a million days: they are taken one after the other by as many workers as the
    concurrency allows, never all made into tasks at once (issue 22), and they start in plan order."""
    moco = FakeMoco()
    most = 0
    slow_create = moco.create_schedule

    async def counting(*args: Any, **kwargs: Any) -> MocoAbsence:
        nonlocal most
        most = max(most, len(asyncio.all_tasks()))
        await asyncio.sleep(0)
        return await slow_create(*args, **kwargs)

    moco.create_schedule = counting  # type: ignore[method-assign]
    changes = creates_on_days(300)
    report = run(changes, moco, concurrency=4)
    assert report.ok and len(report.outcomes) == 300
    assert most <= 1 + 4  # the main task and the four workers
    posted = [call for call in moco.calls if call.startswith("POST")]
    assert posted == [f"POST {date(2026, 1, 1) + timedelta(days=n)}" for n in range(300)]


def test_a_long_apply_keeps_its_outcomes_packed_in_plan_order(monkeypatch):
    """A first sync's report holds a million outcomes: they are packed as they come (plan/packed.py), in the
    plan's order whatever order the workers finish them in (issue 22)."""
    from reconciler.plan import packed

    monkeypatch.setattr(packed, "BATCH", 8)
    moco = FakeMoco()
    slow_create = moco.create_schedule

    async def uneven(*args: Any, **kwargs: Any) -> MocoAbsence:
        await asyncio.sleep(0.001 * (len(moco.calls) % 3))  # later days overtake earlier ones
        return await slow_create(*args, **kwargs)

    moco.create_schedule = uneven  # type: ignore[method-assign]
    changes = creates_on_days(100)
    report = run(changes, moco, concurrency=4)
    assert isinstance(report.outcomes, packed.Packed) and report.outcomes.packed == 12
    assert [outcome.change.date for outcome in report.outcomes] == [change.date for change in changes]
    assert report.count("applied") == 100 and report.ok
