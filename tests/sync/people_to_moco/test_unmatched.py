"""Who a lifecycle direction may create a MOCO user for: the active Personio persons matching no MOCO user,
with the email their user would have."""

from __future__ import annotations

from reconciler.records import MocoUser, Person
from reconciler.spec import parse_spec
from reconciler.sync.identity import match_people
from tests.factories import TODAY


def person(ident, email, active=True):
    return Person(id=ident, email=email, first_name="", last_name="", active=active)


def test_unmatched_persons_come_as_records_with_their_future_moco_email():
    spec = parse_spec("version: 1\nstart_date: 2026-10-01\nmoco: {subdomain: acme}\nabsences: {enabled: false}\n"
                      "attendances: {direction: personio_managed}\nusers:\n  overrides:\n"
                      "    - {personio: nina@private.example, moco: nina@acme.example}\n"
                      "  exclude: [robot@acme.example]\n", today=TODAY)
    users = [MocoUser(1, "max@acme.example", "Max", "", True), MocoUser(2, "olaf@acme.example", "Olaf", "", False)]
    persons = [person("1", "Max@acme.example"), person("2", "nina@private.example"), person("3", "new@acme.example"),
               person("4", "gone@acme.example", active=False), person("5", "robot@acme.example"),
               person("6", "olaf@acme.example")]
    matching = match_people(users, persons, spec.users)
    assert [(p.id, email) for p, email in matching.unmatched] == [("3", "new@acme.example"),
                                                                   ("2", "nina@acme.example")]
    assert matching.only_personio == ("new@acme.example", "nina@private.example (override → nina@acme.example)")
    assert matching.archived == ("olaf@acme.example",)  # a rehire: never a new user beside the archived one


def test_where_hires_get_users_a_person_without_one_is_said_to_be_a_hire_not_asked_to_be_excluded():
    users = [MocoUser(1, "max@acme.example", "Max", "", True)]
    persons = [person("1", "max@acme.example"), person("3", "new@acme.example")]
    spec = parse_spec("version: 1\nstart_date: 2026-10-01\nmoco: {subdomain: acme}\nabsences: {enabled: false}\n"
                      "attendances: {direction: personio_managed}\n", today=TODAY)
    assert match_people(users, persons, spec.users).warnings == (
        "Personio person new@acme.example has no MOCO user with that email; add users.overrides or users.exclude",)
    assert match_people(users, persons, spec.users, hiring=True).warnings == (
        "Personio person new@acme.example has no MOCO user with that email; people_to_moco creates one on their hire "
        "date (people.create_in_moco), or add users.exclude",)
