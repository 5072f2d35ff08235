"""Lists read after who is who (MATCHED): Personio's employments of the people who may be hired or may have left,
which only the run's matching can tell. Read once both systems' people are in, matched once for every such list;
and the people a lifecycle may hire kept by `--user` and by incremental runs."""

from __future__ import annotations

import asyncio
from datetime import date, datetime
from types import SimpleNamespace

import pytest

from reconciler.errors import PlanError
from reconciler.plan.scope import ALL_DAYS, Touched
from reconciler.plan.snapshot import MATCHED, Need, Window
from reconciler.read.changed import scopes
from reconciler.read.fetch import PEOPLE, fetch_snapshot
from reconciler.records import MocoUser, Person, PersonioEmployment
from reconciler.spec import parse_spec
from reconciler.sync import sources
from reconciler.sync.identity import match_people, only_people

TODAY = date(2026, 12, 7)
SPEC = parse_spec("version: 1\nstart_date: 2026-10-01\nmoco: {subdomain: acme}\nabsences: {enabled: false}\n"
                  "attendances: {direction: personio_managed}\nusers:\n  overrides:\n"
                  "    - {personio: nina@private.example, moco: nina@acme.example}\n", today=TODAY)

USERS = [MocoUser(1, "max@acme.example", "Max", "M", True), MocoUser(2, "ida@acme.example", "Ida", "I", True),
         MocoUser(3, "freelancer@extern.example", "Fre", "L", True)]
PERSONS = [Person("p1", "max@acme.example", "Max", "M", True),
           Person("p2", "ida@acme.example", "Ida", "I", False),  # left: matched, inactive
           Person("p3", "new@acme.example", "New", "Hire", True),  # a hire: no MOCO user
           Person("p4", "nina@private.example", "Nina", "N", True),  # a hire by an override
           Person("p5", "gone@acme.example", "Gone", "G", False)]  # inactive, no MOCO user: nobody


def employment(person_id: str) -> PersonioEmployment:
    return PersonioEmployment(f"e-{person_id}", person_id, date(2026, 12, 1), None, 40.0, None, frozenset())


class Moco:
    def __init__(self, users=USERS, delay: float = 0.02) -> None:
        self.list, self.delay, self.asked = list(users), delay, 0

    async def users(self):
        self.asked += 1
        await asyncio.sleep(self.delay)  # slower than anything else: the lists after who is who must wait
        return list(self.list)


class Personio:
    def __init__(self, persons=PERSONS) -> None:
        self.list, self.asked = list(persons), []

    async def persons(self):
        self.asked.append("persons")
        return list(self.list)

    async def employments(self, person_ids):
        self.asked.append(("employments", tuple(person_ids)))
        return [employment(ident) for ident in person_ids]


def clients(moco=None, personio=None) -> SimpleNamespace:
    return SimpleNamespace(moco=moco or Moco(), personio=personio or Personio(),
                           server_now=lambda: datetime(2026, 12, 7, 12))


class Matcher:
    """The reading stage's `match`: who is who from both systems' people, noting what it was given."""

    def __init__(self, specs=(SPEC,)) -> None:
        self.specs, self.given = specs, []

    def __call__(self, lists):
        self.given.append({name: tuple(found) for name, found in lists.items()})
        return tuple(match_people(lists[sources.MOCO_USERS.name], lists[sources.PERSONIO_PERSONS.name], spec.users)
                     for spec in self.specs)


LIFECYCLE = [Need(sources.PERSONIO_HIRES), Need(sources.PERSONIO_LEAVERS)]


# ----------------------------------------------------------------------------- fetch_snapshot


def test_lists_after_who_is_who_wait_for_both_systems_people_and_share_one_matching():
    moco, personio, match = Moco(), Personio(), Matcher()
    read = asyncio.run(fetch_snapshot(clients(moco, personio), TODAY, [*PEOPLE, *LIFECYCLE], match=match))
    assert len(match.given) == 1  # two lists after it, matched once
    assert match.given[0] == {sources.MOCO_USERS.name: tuple(USERS), sources.PERSONIO_PERSONS.name: tuple(PERSONS)}
    assert moco.asked == 1 and personio.asked.count("persons") == 1  # the run's one read of each, shared
    assert sorted(a for a in personio.asked if a != "persons") == [("employments", ("p2",)),
                                                                   ("employments", ("p3", "p4"))]
    assert {e.person_id for e in read[sources.PERSONIO_HIRES]} == {"p3", "p4"}
    assert {e.person_id for e in read[sources.PERSONIO_LEAVERS]} == {"p2"}
    assert read[sources.MOCO_USERS] == tuple(USERS)


def test_without_the_people_among_the_reads_they_are_read_for_the_matching():
    moco, personio, match = Moco(), Personio(), Matcher()
    read = asyncio.run(fetch_snapshot(clients(moco, personio), TODAY, [Need(sources.PERSONIO_HIRES)], match=match))
    assert moco.asked == 1 and "persons" in personio.asked and len(match.given) == 1
    assert {e.person_id for e in read[sources.PERSONIO_HIRES]} == {"p3", "p4"}


def test_a_read_after_who_is_who_without_a_matching_is_refused():
    with pytest.raises(ValueError, match=r"personio\.employments_of_hires is read after who is who, and this read "
                                         r"matches nobody"):
        asyncio.run(fetch_snapshot(clients(), TODAY, [*PEOPLE, Need(sources.PERSONIO_HIRES)]))


def test_who_is_who_itself_is_never_read():
    with pytest.raises(ValueError, match="who is who is matched from the people read, not read itself"):
        MATCHED.every(clients())


def test_people_read_already_are_matched_not_read_again():
    class Unread:
        async def users(self):
            raise AssertionError("read again")

        async def persons(self):
            raise AssertionError("read again")

        async def employments(self, person_ids):
            return [employment(ident) for ident in person_ids]

    known = {sources.MOCO_USERS.name: tuple(USERS[:1]), sources.PERSONIO_PERSONS.name: tuple(PERSONS[:3])}
    match = Matcher()
    read = asyncio.run(fetch_snapshot(clients(Unread(), Unread()), TODAY, LIFECYCLE, known, match=match))
    assert match.given == [known]
    # Only Max's user is known: Ida (inactive, so no hire) is no leaver either; New is the one hire.
    assert {e.person_id for e in read[sources.PERSONIO_HIRES]} == {"p3"}
    assert read[sources.PERSONIO_LEAVERS] == ()


def test_nobody_to_ask_about_asks_personio_nothing():
    personio = Personio(persons=PERSONS[:1])
    read = asyncio.run(fetch_snapshot(clients(Moco(USERS[:1]), personio), TODAY, [*PEOPLE, *LIFECYCLE],
                                      match=Matcher()))
    assert personio.asked == ["persons"]
    assert read[sources.PERSONIO_HIRES] == () and read[sources.PERSONIO_LEAVERS] == ()


# ----------------------------------------------------------------------------- hires() and leavers()


def test_hires_are_the_unmatched_employed_and_leavers_the_inactive_matched():
    (matching,) = Matcher()({sources.MOCO_USERS.name: USERS, sources.PERSONIO_PERSONS.name: PERSONS})
    assert sources.hires([matching]) == {"p3", "p4"}
    assert sources.leavers([matching]) == {"p2"}
    assert sources.hires([]) == frozenset() and sources.leavers([]) == frozenset()


def test_with_two_specs_the_people_of_either_are_read():
    """--base-spec plans two specs: the employments of who either may hire are read."""
    base = parse_spec("version: 1\nstart_date: 2026-10-01\nmoco: {subdomain: acme}\nabsences: {enabled: false}\n"
                      "attendances: {direction: personio_managed}\nusers:\n  exclude: [new@acme.example, "
                      "ida@acme.example]\n", today=TODAY)
    one, other = Matcher((SPEC, base))({sources.MOCO_USERS.name: USERS, sources.PERSONIO_PERSONS.name: PERSONS})
    assert sources.hires([one]) == {"p3", "p4"} and sources.hires([other]) == {"p4"}
    assert sources.hires([one, other]) == sources.hires([one]) | sources.hires([other]) == {"p3", "p4"}
    assert sources.leavers([other]) == frozenset()
    assert sources.leavers([other, one]) == {"p2"}


# ----------------------------------------------------------------------------- --user names a hire


def matching():
    return match_people(USERS, PERSONS, SPEC.users)


def test_user_naming_a_hire_keeps_them_when_a_lifecycle_is_planned():
    for email in ("new@acme.example", "NEW@acme.example "):
        cut = only_people(matching(), (email,), hires=True)
        assert [(p.id, target) for p, target in cut.unmatched] == [("p3", "new@acme.example")] and cut.pairs == ()
    by_personio = only_people(matching(), ("nina@private.example",), hires=True)
    by_moco = only_people(matching(), ("nina@acme.example",), hires=True)
    assert [(p.id, t) for p, t in by_personio.unmatched] == [(p.id, t) for p, t in by_moco.unmatched] == [
        ("p4", "nina@acme.example")]
    both = only_people(matching(), ("max@acme.example", "new@acme.example"), hires=True)
    assert [pair.person.id for pair in both.pairs] == ["p1"] and [p.id for p, _ in both.unmatched] == ["p3"]


def test_user_naming_a_hire_without_a_lifecycle_is_still_an_error():
    with pytest.raises(PlanError, match=r"--user new@acme\.example: is only in Personio"):
        only_people(matching(), ("new@acme.example",))
    assert only_people(matching(), ("max@acme.example",)).unmatched == ()  # nobody to hire is carried along
    with pytest.raises(PlanError, match=r"--user nobody@acme\.example: matches nobody"):
        only_people(matching(), ("nobody@acme.example",), hires=True)


# ----------------------------------------------------------------------------- incremental runs


def test_a_changed_person_without_a_moco_user_is_planned_by_the_lifecycle_only():
    window = Window(TODAY, TODAY)
    touched = Touched(personio={"p3": ALL_DAYS, "p1": ALL_DAYS})
    days = {"people_to_moco": window, "absences_to_moco": Window(date(2026, 10, 1), date(2027, 3, 1))}
    found = scopes({"people_to_moco": touched, "absences_to_moco": touched}, matching(), days,
                   hiring=frozenset({"people_to_moco"}))
    assert found["people_to_moco"].users == ("max@acme.example", "new@acme.example")
    assert (found["people_to_moco"].start, found["people_to_moco"].end) == (TODAY, TODAY)
    assert found["absences_to_moco"].users == ("max@acme.example",)
    alone = scopes({"people_to_moco": Touched(personio={"p4": ALL_DAYS})}, matching(), {"people_to_moco": window},
                   hiring=frozenset({"people_to_moco"}))
    assert alone["people_to_moco"].users == ("nina@acme.example",)  # by the email their user would have
    assert scopes({"people_to_moco": Touched(personio={"p4": ALL_DAYS})}, matching(),
                  {"people_to_moco": window})["people_to_moco"] is None  # not a lifecycle: nobody
