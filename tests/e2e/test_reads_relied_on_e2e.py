"""Against the sandbox (issue 19): a field reconcile relies on missing from every record stops the run before
any write; MOCO's employments give the same plan under either reading of their `to`; persons whose Personio
status is UNSPECIFIED (or one reconcile does not know) are taken as employed."""

from __future__ import annotations

import json
from datetime import date, timedelta
from urllib.parse import parse_qs

import pytest
from click.testing import CliRunner

from reconciler.cli import cli
from reconciler.sandbox.personio.records import PersonioAbsencePeriod
from reconciler.sync.ownership import is_ours
from tests.conftest import TODAY


def reconcile(*args: str):
    return CliRunner().invoke(cli, [*args, "--today", TODAY.isoformat()], catch_exceptions=False)


def writes(sandbox) -> list[str]:
    return [f"{e.method} {e.path}" for e in sandbox.log.entries if e.method in ("POST", "PUT", "PATCH", "DELETE")
            and e.path != "/v2/auth/token"]


def plan(spec, *args: str) -> dict:
    result = reconcile("plan", "-c", str(spec), "--format", "json", *args)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


# ----------------------------------------------------------------------------- a field missing from every record


def test_absence_periods_without_approval_stop_plan_and_apply_before_any_write(sandbox, setup):
    """Read on, every period would read as not approved and apply would delete every synced MOCO absence."""
    synced = [s for s in sandbox.world.moco.schedules.values() if is_ours(s.comment)]
    assert synced  # what a read taken at its word would have planned away
    sandbox.knobs["personio"].update({"absence_approval": False})
    sandbox.log.clear()
    for command in (("plan",), ("apply", "--auto-approve")):
        result = reconcile(*command, "-c", str(setup))
        assert result.exit_code == 1, result.output
        assert "error: Personio: GET /v2/absence-periods: no absence period carries approval.status (" in result.output
        assert "so the run stops before writing anything" in result.output and "Traceback" not in result.output
        assert "run `reconcile doctor`" in result.output
    assert writes(sandbox) == []  # not in MOCO, not in Personio (working hours were planned in the same run)
    assert [s for s in sandbox.world.moco.schedules.values() if is_ours(s.comment)] == synced
    assert any(e.path == "/v2/absence-periods" for e in sandbox.log.entries)  # the read that stopped it


# ----------------------------------------------------------------------------- employments under either reading


def part_timer(sandbox) -> tuple[int, str, date]:
    """The seeded part-timer who went full-time: her MOCO user id, her Personio person id, and the day the
    full-time employment began (her Wednesday-off employment ended the day before)."""
    employments = sandbox.world.moco.employments.values()
    ended = next(e for e in employments if e.to_date is not None)
    user = sandbox.world.moco.users[ended.user_id]
    person = next(p for p in sandbox.world.personio.persons.values() if (p.email or "").lower() == user.email)
    return user.id, person.id, date.fromisoformat(ended.to_date) + timedelta(days=1)


def free_wednesday(sandbox, user_id: int, person_id: str, before: date) -> date:
    """A Wednesday before `before`, in the sync window, on which neither it nor the Thursday after holds
    anything of this person in either system."""
    moco_days = {s.date for s in sandbox.world.moco.schedules.values() if s.user_id == user_id}
    periods = [p for p in sandbox.world.personio.absence_periods.values() if p.person_id == person_id]
    day = before - timedelta(days=(before.weekday() - 2) % 7 or 7)
    while day >= sandbox.params.start_date:
        days = (day.isoformat(), (day + timedelta(days=1)).isoformat())
        if not (set(days) & moco_days) and not any(p.starts_from[:10] <= days[1] and
                                                     (p.ends_at is None or p.ends_at[:10] > days[0]) for p in periods):
            return day
        day -= timedelta(days=7)
    raise AssertionError("no free Wednesday under the ended employment")


def test_either_reading_of_employments_without_to_gives_the_same_plan(sandbox, setup):
    """An absence on a Wednesday the ended part-time employment had no hours for is not created under either
    reading; read without `to` alone, "open_ended" would leave that employment out and the day would be taken
    for a working day (the default pattern), an absence created on a day she did not work."""
    user_id, person_id, switch = part_timer(sandbox)
    wednesday = free_wednesday(sandbox, user_id, person_id, switch)
    vacation = next(t.id for t in sandbox.world.personio.absence_types.values() if t.name == "Paid vacation")
    sandbox.world.personio.absence_periods["wednesday-off"] = PersonioAbsencePeriod(
        id="wednesday-off", person_id=person_id, absence_type_id=vacation, starts_from=f"{wednesday}T00:00:00",
        starts_type="FIRST_HALF", ends_at=f"{wednesday + timedelta(days=2)}T00:00:00", ends_type="SECOND_HALF")
    email = sandbox.world.moco.users[user_id].email

    plans = {}
    for reading in ("all", "open_ended"):
        sandbox.knobs["moco"].update({"employments_without_to": reading})
        sandbox.log.clear()
        plans[reading] = plan(setup, "--only", "absences_to_moco")
        asked = [parse_qs(e.query) for e in sandbox.log.entries if e.path == "/api/v1/users/employments"]
        # both ways, one page each (a dozen people), at once: the double read costs one request a page
        assert sorted(q.get("to", [""])[0] for q in asked) == ["", "2999-12-31"]
    assert plans["all"] == plans["open_ended"]
    created = {c["date"] for c in plans["all"]["changes"] if c["person"] == email and c["action"] == "create"}
    assert (wednesday + timedelta(days=1)).isoformat() in created  # the Thursday: a working day, synced
    assert wednesday.isoformat() not in created  # the Wednesday she did not work
    assert not any(email in w and "no MOCO employment pattern covers" in w for w in plans["open_ended"]["warnings"])


def test_a_run_for_one_person_reads_their_employments_both_ways(sandbox, setup):
    user_id, _, _ = part_timer(sandbox)
    email = sandbox.world.moco.users[user_id].email
    sandbox.knobs["moco"].update({"employments_without_to": "open_ended"})
    everyone = plan(setup, "--only", "absences_to_moco")
    sandbox.log.clear()
    mine = plan(setup, "--only", "absences_to_moco", "--user", email)
    asked = [parse_qs(e.query) for e in sandbox.log.entries if e.path == "/api/v1/users/employments"]
    assert sorted((q["user_id"][0], q.get("to", [""])[0]) for q in asked) == [(str(user_id), ""),
                                                                               (str(user_id), "2999-12-31")]
    assert mine["changes"] == [c for c in everyone["changes"] if c["person"] == email]


# ----------------------------------------------------------------------------- person statuses


def nina(sandbox):
    """The new hire, in Personio only (no MOCO user yet)."""
    return next(p for p in sandbox.world.personio.persons.values() if (p.email or "").startswith("nina."))


@pytest.mark.parametrize(("status", "named"), [("UNSPECIFIED", True), ("ONBOARDING", True), ("SOMETHING_NEW", True),
                                               ("INACTIVE", False)])
def test_a_person_of_an_unknown_status_is_taken_as_employed(sandbox, setup, status, named):
    before = plan(setup)
    user_id, person_id, _ = part_timer(sandbox)
    email = sandbox.world.moco.users[user_id].email
    sandbox.world.personio.persons[person_id].status = "UNSPECIFIED"  # a matched person with absences
    newcomer = nina(sandbox)
    newcomer.status = status
    after = plan(setup)
    assert after["changes"] == before["changes"]  # their absences and hours sync as before
    assert any(c["person"] == email for c in after["changes"])
    unknown = 1 + (status not in ("ONBOARDING", "INACTIVE"))
    counted = "2 persons come" if unknown == 2 else "1 person comes"
    notice = (f"Personio GET /v2/persons: {counted} with status UNSPECIFIED, with none or with one reconcile does "
              "not know; taken as employed")
    assert any(w.startswith(notice) for w in after["warnings"]), after["warnings"]
    unmatched = f"Personio person {newcomer.email.lower()} has no MOCO user"
    assert any(w.startswith(unmatched) for w in after["warnings"]) is named
