"""Issue 20, finding 6, for `reconcile serve`: a breach of the mass-change guard in MOCO's absences holds
those, and the working hours (the other direction, the other system) still reach Personio from a webhook;
/readyz stays ready and says what is held (no person), /metrics counts it, the log says it."""

from __future__ import annotations

import json

from reconciler.sync.ownership import is_ours
from tests.conftest import Moco
from tests.e2e.serving import fast_spec, start_serve, sync_directly, wait_for
from tests.e2e.test_serve import free_slots, periods_by_presence, synced_users


def test_a_breach_in_absences_holds_them_and_a_presence_still_reaches_personio(sandbox, tmp_path):
    spec = fast_spec(sandbox, tmp_path / "mapping.yaml")
    sync_directly(sandbox, spec)
    synced = [s for s in sandbox.world.moco.schedules.values() if is_ours(s.comment)]
    assert len(synced) >= 10
    sandbox.world.personio.absence_periods.clear()  # Personio answers no absence: a breach in MOCO
    served = start_serve(sandbox, spec)
    try:
        ready = served.get("/readyz")
        assert ready.status == 200, ready.body
        held = (f"ready; held by the mass-change guard: absences_to_moco in MOCO: {len(synced)} changes held "
                "(100 % of the records reconcile owns there; the limit is 30 %)")
        assert ready.body.decode().strip() == held
        assert served.metric("reconcile_changes_held") == len(synced)

        user, day, start, end = free_slots(sandbox, synced_users(sandbox), 1)[0]
        answer = Moco(sandbox)("POST", "/users/presences", json_body={"date": day, "from": start, "to": end},
                               headers={"X-IMPERSONATE-USER-ID": str(user)})
        assert answer.status == 200, answer.body
        presence = answer.json()["id"]
        wait_for(lambda: presence in periods_by_presence(sandbox), 60, "the presence in Personio")
        assert len([s for s in sandbox.world.moco.schedules.values() if is_ours(s.comment)]) == len(synced)
        assert served.get("/readyz").body.decode().strip() == held
    finally:
        code, log = served.stop()
    assert code == 0, log
    lines = [json.loads(line) for line in log.splitlines() if line.startswith("{")]
    (first, *_) = [line for line in lines if line.get("event") == "serve.held"]
    assert first["held"] == [{"direction": "absences_to_moco", "system": "moco", "count": len(synced),
                              "share": 100.0, "threshold": 30}]
    assert "@" not in first["message"]
