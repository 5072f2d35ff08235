"""Who is who for some people (plan/who.py), against the sandbox: reading only the people who changed,
and those the matching weighs against them, pairs them exactly as the full run pairs them — overrides,
emails in capitals, emails two persons share, exclusions, archived users, people in one system only —
and reads the whole list only when an email finds nobody."""

from __future__ import annotations

import asyncio

import pytest

from reconciler.read import who
from reconciler.records import MocoUser as User
from reconciler.records import Person
from reconciler.sandbox.moco.records import MocoUser
from reconciler.sandbox.personio.records import PersonioPerson
from reconciler.spec import parse_spec
from reconciler.spec.model import UserOverride, UserSettings
from reconciler.sync.identity import Matching, claimants_of, match_people, target_of, unclaimed
from reconciler.systems.connect import open_clients, read_credentials
from tests.conftest import TODAY


def matched(sandbox, spec, users=(), persons=()) -> tuple[Matching, Matching, list[str]]:
    """The full run's matching, the matching of what `people_of` reads for these people, and the
    requests `people_of` made."""
    async def read():
        async with open_clients(spec, read_credentials(spec, sandbox.env())) as clients:
            full = match_people(await clients.moco.users(), await clients.personio.persons(), spec.users)
            sandbox.log.entries.clear()
            found = await who.people_of(clients, spec.users, frozenset(users), frozenset(persons))
            return full, match_people(*found, spec.users)

    full, narrow = asyncio.run(read())
    sent = [f"{e.service} {e.path}?{e.query}" for e in sandbox.log.entries if e.path != "/v2/auth/token"]
    return full, narrow, sent


def pairs_of(matching: Matching, users, persons) -> set[tuple[int, str]]:
    return {(p.user.id, p.person.id) for p in matching.pairs if p.user.id in users or p.person.id in persons}


def spec_of(sandbox, extra: str = ""):
    text = sandbox.spec_yaml().replace("  exclude:\n", extra + "  exclude:\n")
    return parse_spec(text, today=TODAY)


def moco_user(sandbox, email: str) -> MocoUser:
    return next(u for u in sandbox.world.moco.users.values() if u.email == email)


def person(sandbox, email: str) -> PersonioPerson:
    return next(p for p in sandbox.world.personio.persons.values() if (p.email or "").lower() == email)


def add_person(sandbox, email: str) -> PersonioPerson:
    new = PersonioPerson(id=str(900 + len(sandbox.world.personio.persons)), email=email, first_name="New",
                         last_name="Person")
    sandbox.world.personio.persons[new.id] = new
    return new


def same_pairs(sandbox, spec, users=(), persons=()) -> list[str]:
    full, narrow, sent = matched(sandbox, spec, users, persons)
    assert pairs_of(narrow, users, persons) == pairs_of(full, users, persons)
    return sent


def whole_list(sent: list[str]) -> bool:
    return any(line.startswith("personio /v2/persons?") and "id=" not in line and "email=" not in line
               for line in sent)


def test_the_changed_people_are_paired_as_the_full_run_pairs_them_from_a_few_reads(sandbox):
    spec = spec_of(sandbox)
    jane, max_ = moco_user(sandbox, "jane@acme.example"), moco_user(sandbox, "max.mustermann@acme.example")
    others = sorted(u.id for u in sandbox.world.moco.users.values() if u.active and u.email.endswith("@acme.example")
                    and u.email != "robot@acme.example")
    users = [jane.id, max_.id, *others[:3]]  # an override, capitals in Personio, and three more
    persons = sorted(p.id for p in sandbox.world.personio.persons.values())[3:6]
    full, narrow, sent = matched(sandbox, spec, users, persons)
    assert pairs_of(narrow, users, persons) == pairs_of(full, users, persons)
    assert len(pairs_of(narrow, users, ())) == len(set(users))
    # users by ids, persons by id, persons by email, and a MOCO user by email for a person not among them
    assert not whole_list(sent) and len(sent) <= 3 + len(persons)


@pytest.mark.parametrize("email", ["jane@acme.example", "max.mustermann@acme.example"])
def test_an_override_and_an_email_in_capitals_pair_from_either_side(sandbox, email):
    spec = spec_of(sandbox)
    user = moco_user(sandbox, email)
    owner = person(sandbox, "jane.doe@acme.example" if email.startswith("jane") else email)
    for users, persons in (([user.id], ()), ((), [owner.id])):
        full, narrow, sent = matched(sandbox, spec, users, persons)
        assert pairs_of(narrow, users, persons) == pairs_of(full, users, persons) == {(user.id, owner.id)}
        assert not whole_list(sent)


def test_an_email_two_persons_share_pairs_nobody_as_in_the_full_run(sandbox):
    spec = spec_of(sandbox)
    user = moco_user(sandbox, "erika.braun@acme.example")
    add_person(sandbox, "Erika.Braun@acme.example")
    assert same_pairs(sandbox, spec, users=[user.id]) is not None
    full, narrow, _ = matched(sandbox, spec, [user.id])
    assert not pairs_of(narrow, [user.id], ())


def test_an_override_claims_its_moco_user_before_the_person_of_that_email(sandbox):
    user = moco_user(sandbox, "lukas.lehmann@acme.example")
    claimant = add_person(sandbox, "lukas.private@mail.example")
    spec = spec_of(sandbox, "    - personio: lukas.private@mail.example\n      moco: lukas.lehmann@acme.example\n")
    own = person(sandbox, "lukas.lehmann@acme.example")
    for users, persons, pairs in (([user.id], (), {(user.id, claimant.id)}), ((), [own.id], set())):
        full, narrow, _ = matched(sandbox, spec, users, persons)
        assert pairs_of(narrow, users, persons) == pairs_of(full, users, persons) == pairs


def test_excluded_archived_and_one_system_only_pair_nobody(sandbox):
    spec = spec_of(sandbox)
    robot, olaf = moco_user(sandbox, "robot@acme.example"), moco_user(sandbox, "olaf.altmann@acme.example")
    nina = person(sandbox, "nina.neumeyer@acme.example")
    full, narrow, sent = matched(sandbox, spec, [robot.id, olaf.id], [nina.id])
    assert pairs_of(narrow, [robot.id, olaf.id], [nina.id]) == pairs_of(full, [robot.id, olaf.id], [nina.id]) == set()
    assert not whole_list(sent)  # excluded and archived users need no proof that nobody claims them


def test_a_user_no_person_claims_is_decided_on_the_whole_list(sandbox):
    spec = spec_of(sandbox)
    frank = moco_user(sandbox, "frank@freelance.example")  # a freelancer, only in MOCO
    full, narrow, sent = matched(sandbox, spec, [frank.id])
    assert pairs_of(narrow, [frank.id], ()) == pairs_of(full, [frank.id], ()) == set()
    assert whole_list(sent)


def test_nothing_changed_reads_nobody(sandbox):
    spec = spec_of(sandbox)
    full, narrow, sent = matched(sandbox, spec)
    assert sent == [] and narrow.pairs == ()


def test_the_emails_the_matching_weighs():
    settings = UserSettings(overrides=(UserOverride("jane.doe@acme.example", "jane@acme.example"),),
                            exclude=frozenset({"robot@acme.example"}))
    assert target_of("Jane.Doe@ACME.example", settings) == "jane@acme.example"
    assert target_of("max@acme.example", settings) == "max@acme.example"
    assert claimants_of("jane@acme.example", settings) == {"jane@acme.example", "jane.doe@acme.example"}
    users = [User(1, "jane@acme.example", "", "", True), User(2, "robot@acme.example", "", "", True),
             User(3, "olaf@acme.example", "", "", False), User(4, "frank@other.example", "", "", True)]
    persons = [Person("p1", "Jane.Doe@acme.example", "", "", True)]
    assert unclaimed(users, persons, settings) == ("frank@other.example",)


def test_many_people_to_find_by_email_in_moco_read_the_whole_user_list(sandbox, monkeypatch):
    monkeypatch.setattr(who, "MOCO_EMAIL_LOOKUPS_MAX", 2)  # MOCO's email filter takes one address a request
    spec = spec_of(sandbox)
    persons = sorted(p.id for p in sandbox.world.personio.persons.values())[:5]
    full, narrow, sent = matched(sandbox, spec, (), persons)
    assert pairs_of(narrow, (), persons) == pairs_of(full, (), persons) and pairs_of(full, (), persons)
    moco = [line for line in sent if line.startswith("moco /api/v1/users?")]
    assert moco and all("email=" not in line and "ids=" not in line for line in moco)
