"""Who is who: the matching table `reconcile users` shows."""

from __future__ import annotations

from reconciler.records import MocoUser, Person
from reconciler.spec import UserOverride, UserSettings
from reconciler.sync.identity import match_people


def user(n: int, email: str, active: bool = True) -> MocoUser:
    return MocoUser(n, email, "", "", active)


def person(n: int, email: str, active: bool = True) -> Person:
    return Person(str(n), email, "", "", active)


def test_every_case_of_the_matching_table():
    users = [user(1, "ann@acme.example"), user(2, "twice@acme.example"), user(3, "twice@acme.example"),
             user(4, "old@acme.example", active=False), user(5, "bob@acme.example"), user(6, "moco.only@acme.example")]
    persons = [person(1, "Ann@ACME.example"), person(2, "twice@acme.example"), person(4, "old@acme.example"),
               person(5, "robert@acme.example"), person(7, "hr.only@acme.example")]
    settings = UserSettings(overrides=(UserOverride("robert@acme.example", "bob@acme.example"),
                                       UserOverride("ghost@acme.example", "ann@acme.example")),
                            exclude=frozenset({"moco.only@acme.example"}))
    matching = match_people(users, persons, settings)
    assert [(p.personio_email, p.moco_email) for p in matching.pairs] == [
        ("ann@acme.example", "ann@acme.example"), ("robert@acme.example", "bob@acme.example")]
    assert matching.overrides_used == (("robert@acme.example", "bob@acme.example"),)
    assert matching.only_personio == ("hr.only@acme.example",)
    assert matching.only_moco == ()
    assert matching.excluded == ("moco.only@acme.example",)
    assert matching.archived == ("old@acme.example",)
    assert matching.shared == ("twice@acme.example (2 MOCO users)",)
    assert matching.overrides_unmatched == ("ghost@acme.example → ann@acme.example: no Personio person has that "
                                            "email",)
