"""reconcile's own writes coming back as webhooks are not planned again; everything else still is."""

import json
from datetime import date

from reconciler.apply import Outcome
from reconciler.plan.model import Change, Removal
from reconciler.serve.coalesce import Coalescer
from reconciler.serve.echoes import WINDOW, Echoes
from reconciler.serve.events import Hint, moco_hint, personio_hint
from tests.factories import Sent

ABSENCES, HOURS = "absences_to_moco", "hours_to_personio"
DAY = date(2026, 11, 26)
PERSON_OF = {"personio": {"jane@acme.example": "41"}}


def personio(event_name, payload):
    hint = personio_hint(json.dumps({"company_id": "1", "event_name": event_name, "occurred_at": "2026-11-30T10:00:00Z",
                                     "payload": payload, "meta": {}}).encode())
    assert isinstance(hint, Hint), hint
    return hint


def period(ident, person="41", day=DAY):
    return personio("attendance-period.updated", {"id": ident, "person": {"id": person},
                                                  "start": {"date_time": f"{day.isoformat()}T08:00:00"}})


def written(action, target=None, *, direction=HOURS, system="personio", removes=(), status="applied"):
    values = {"start": "08:00", "end": "12:00"}
    change = Change(action, direction, system, "attendance" if direction == HOURS else "absence",
                    "Jane@acme.example", "jane@acme.example", DAY, target=target,
                    before=None if action == "create" else values, after=None if action == "delete" else values,
                    removes=tuple(Removal(i, {}) for i in removes), send=Sent({"x": 1}) if action != "delete" else None)
    return Outcome(change, status, "")


def test_a_period_reconcile_wrote_is_an_echo_for_a_while_and_then_a_change_again():
    echoes = Echoes()
    echoes.remember([written("update", "a1", removes=("a2",))], PERSON_OF, now=100.0)
    assert echoes.hint(period("a1"), 101.0)
    assert echoes.hint(personio("attendance-period.deleted", {"id": "a2"}), 101.0)  # a removal: by id
    assert echoes.hint(period("a1"), 100.0 + WINDOW + 1) is None  # a hand edit later is planned


def test_a_created_period_is_known_by_its_person_and_day_only():
    echoes = Echoes()
    echoes.remember([written("create")], PERSON_OF, now=0.0)
    assert echoes.hint(period("new-id"), 1.0)  # its id was never known
    assert echoes.hint(period("other", day=date(2026, 11, 27)), 1.0) is None  # another day of that person
    assert echoes.hint(period("other", person="42"), 1.0) is None  # another person
    assert echoes.hint(personio("attendance-period.deleted", {"id": "x", "person": {"id": "41"}}), 1.0) is None


def test_what_a_run_did_not_write_is_no_echo():
    echoes = Echoes()
    echoes.remember([written("update", "a1", status="skipped"), written("create", status="skipped")], PERSON_OF,
                    now=0.0)
    assert echoes.hint(period("a1"), 1.0) is None


def test_moco_deletes_of_reconciles_own_absences_are_echoes_but_a_presence_with_the_same_id_is_not():
    echoes = Echoes()
    echoes.remember([written("delete", 5, direction=ABSENCES, system="moco")], PERSON_OF, now=0.0)
    schedule = moco_hint(b'{"id": 5}', {"X-Moco-Target": "Schedule", "X-Moco-Event": "delete"})
    presence = moco_hint(b'{"id": 5}', {"X-Moco-Target": "Presence", "X-Moco-Event": "delete"})
    assert echoes.hint(schedule, 1.0)
    assert echoes.hint(presence, 1.0) is None  # another table: MOCO ids are per kind of record


def test_a_schedule_either_moco_absence_direction_deleted_is_an_echo_for_both():
    """Absences and holidays both write MOCO absences: a Schedule delete concerns both, and whichever deleted
    the record, the webhook is reconcile's own write (MOCO ids are per kind of record, not per direction)."""
    schedule = moco_hint(b'{"id": 5}', {"X-Moco-Target": "Schedule", "X-Moco-Event": "delete"})
    assert isinstance(schedule, Hint) and schedule.directions == (ABSENCES, "holidays_to_moco")
    for direction in (ABSENCES, "holidays_to_moco"):
        echoes = Echoes()
        echoes.remember([written("delete", 5, direction=direction, system="moco")], PERSON_OF, now=0.0)
        assert echoes.hint(schedule, 1.0)
        other = moco_hint(b'{"id": 6}', {"X-Moco-Target": "Schedule", "X-Moco-Event": "delete"})
        assert echoes.hint(other, 1.0) is None


def test_queued_echoes_are_dropped_and_a_batch_with_one_real_change_stays():
    echoes, queue = Echoes(), Coalescer()
    queue.add(period("a1"), 0.0)  # came while the run that wrote a1 was going
    queue.add(period("b1", person="42"), 0.0)  # someone else's change
    echoes.remember([written("update", "a1")], PERSON_OF, now=1.0)
    assert queue.discard(lambda batch: echoes.batch(batch, 1.0)) == 1
    assert [batch.person for batch in queue.drain()] == ["42"]
