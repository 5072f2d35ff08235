"""A burst of 1,000 MOCO events for 50 people through `reconcile serve` costs about what one incremental run of
the same changes costs (`apply --changed-since`), with no 429: two identical sandboxes, the same 1,000 edits in
each, serve in one and the incremental apply in the other, requests counted by the sandboxes."""

from __future__ import annotations

import subprocess
import sys
import time
from collections import Counter
from datetime import UTC, datetime, timedelta

from reconciler.sandbox.seed import SeedParams
from reconciler.sandbox.server import Sandbox
from reconciler.serve.coalesce import QUIET
from tests.conftest import TODAY, SandboxThread, side_door
from tests.e2e.serving import env_of, fast_spec, start_serve, sync_directly, wait_for
from tests.e2e.test_serve import periods_by_presence

PEOPLE, PER_PERSON = 50, 20
CLOSE = 1.15  # serve's requests may exceed the incremental run's by this factor


def chosen(sandbox) -> list[tuple[int, str, str]]:
    """20 synced presences of each of 50 people with an end after 09:00: (id, new end, the day), by user and day."""
    synced = periods_by_presence(sandbox)
    by_user: dict[int, list] = {}
    for presence in sorted(sandbox.world.moco.presences.values(), key=lambda p: (p.user_id, p.date, p.id)):
        if presence.id in synced and presence.to_time and presence.to_time > "09:00":
            by_user.setdefault(presence.user_id, []).append(presence)
    users = sorted(user for user, found in by_user.items() if len(found) >= PER_PERSON)[:PEOPLE]
    assert len(users) == PEOPLE, f"only {len(users)} people with {PER_PERSON} synced presences"
    picked = []
    for user in users:
        for presence in by_user[user][-PER_PERSON:]:
            end = datetime.strptime(presence.to_time, "%H:%M") - timedelta(minutes=5)
            picked.append((presence.id, end.strftime("%H:%M"), presence.date))
    return picked


def edit(sandbox, picked: list[tuple[int, str, str]]) -> None:
    """Each presence's end 5 minutes earlier, as a change in MOCO's UI (the side door; a webhook each when
    one is registered)."""
    now = datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
    for ident, end, _ in picked:
        answer = side_door(sandbox, "PATCH", f"/records/moco/presences/{ident}", json_body={"to_time": end,
                                                                                           "updated_at": now})
        assert answer.status == 200, answer.body


def api_requests(sandbox) -> Counter[str]:
    return Counter(entry.service for entry in list(sandbox.log.entries) if not entry.path.startswith("/_sandbox"))


def all_written(sandbox, picked: list[tuple[int, str, str]]) -> bool:
    periods = periods_by_presence(sandbox)
    return all(ident in periods and (periods[ident].end or "").endswith(f"{end}:00") for ident, end, _ in picked)


def test_a_burst_of_1000_events_for_50_people_costs_about_one_incremental_run(tmp_path):
    params = SeedParams(seed=1, people=PEOPLE + 4, today=TODAY)
    with SandboxThread(Sandbox(params)) as served_box, SandboxThread(Sandbox(params)) as job_box:
        specs = {}
        for name, box in (("served", served_box), ("job", job_box)):
            specs[name] = fast_spec(box, tmp_path / f"{name}.yaml")
            sync_directly(box, specs[name])
        picked = chosen(served_box)
        assert picked == chosen(job_box)  # the same company, the same edits

        served = start_serve(served_box, specs["served"])
        edit(job_box, picked)  # the incremental apply of the same edits runs meanwhile, on the other sandbox
        job_box.log.entries.clear()
        job = subprocess.Popen([sys.executable, "-m", "reconciler", "apply", "-c", str(specs["job"]),
                                "--auto-approve", "--changed-since", "10m", "--today", TODAY.isoformat()],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env_of(job_box))
        try:
            served_box.log.entries.clear()
            edit(served_box, picked)
            wait_for(lambda: all_written(served_box, picked), 120, "the 1,000 edits in Personio", every=0.5)
            wait_for(lambda: served.metric("reconcile_events_received_total", source="moco", outcome="accepted")
                     >= PEOPLE * PER_PERSON, 30, "every delivery")
            wait_for(lambda: _echoed(served) >= PEOPLE * PER_PERSON, 30, "the echoes of serve's own writes")
            wait_for(lambda: _settled(served), 30, "serve idle")
            by_serve = api_requests(served_box)
            throttled = served.metric("reconcile_api_429_total", service="moco") \
                + served.metric("reconcile_api_429_total", service="personio")
            runs = served.metric("reconcile_reconciles_total", kind="targeted", result="ok")
            echoes = _echoed(served)
        except AssertionError as failed:
            raise AssertionError(f"{failed}\nserve's log:\n{served.stop()[1][-4000:]}") from None
        code, log = served.stop()
        assert code == 0, log

        _, errors = job.communicate(timeout=120)
        assert job.returncode == 0, errors
        assert all_written(job_box, picked)
        by_job = api_requests(job_box)

    assert throttled == 0
    assert runs <= 2, f"{runs} targeted runs for one burst"
    assert echoes >= PEOPLE * PER_PERSON  # Personio's events of reconcile's own 1,000 writes: not planned again
    total_serve, total_job = sum(by_serve.values()), sum(by_job.values())
    assert total_serve <= total_job * CLOSE, f"serve {dict(by_serve)} against one incremental run {dict(by_job)}"
    print(f"\nburst of {PEOPLE * PER_PERSON} events: serve {dict(by_serve)} in {runs:.0f} targeted runs; "
          f"one incremental run {dict(by_job)}")


def _echoed(served) -> float:
    """Personio's events of serve's own writes: dropped from the queue, or ignored as they came."""
    return served.metric("reconcile_events_echoed_total") \
        + served.metric("reconcile_events_received_total", source="personio", outcome="ignored")


def _settled(served) -> bool:
    """No batch pending: once every echo came, no targeted run follows within serve's quiet time (3 s) and
    a margin."""
    first = served.metric("reconcile_reconciles_total", kind="targeted", result="ok")
    time.sleep(QUIET + 0.5)
    return served.metric("reconcile_reconciles_total", kind="targeted", result="ok") == first
