"""Who is who for some people only: an incremental run reads the people whose records changed, and
those the full run's matching weighs against them, instead of every MOCO user and Personio person.

`match_people` on what this reads gives those people the pairs the full run gives them:

1. the MOCO users named by id (MOCO `ids`, archived ones included);
2. by email, every Personio person that may claim one of those users: the same address and every
   override naming it (an override claims first; persons sharing an email pair with nobody);
3. the Personio persons named by id (`id`) that step 2 did not bring, then, by email, the persons
   sharing their email and those that may claim the MOCO user they pair with, and that user (its
   override's email, else their own; MOCO stores emails lower-cased, so one that finds nobody decides);
4. when a user of step 1 is claimed by no person found, the email filter may have missed (Personio
   does not say whether it compares case): the whole Personio list is read instead of guessing.

What it takes on trust is in the narrow modules' constants (reconciler/systems/*/narrow.py), e.g.
that no two MOCO users share an email (MOCO_EMAILS_UNIQUE).
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from typing import Any

from reconciler.records import MocoUser, Person
from reconciler.spec import UserSettings
from reconciler.sync.identity import claimants_of, target_of, unclaimed
from reconciler.systems.connect import Clients
from reconciler.systems.http.together import nothing, together
from reconciler.systems.moco import narrow as moco_narrow
from reconciler.systems.personio import narrow as personio_narrow

# MOCO's email filter takes one address a request (MOCO_EMAILS_PER_REQUEST): with more users to find by
# email than this, the whole user list (a request per 100 users) is read instead, e.g. after a bulk
# import of absences in Personio.
MOCO_EMAIL_LOOKUPS_MAX = 10


@dataclass
class _Known:
    """What the rounds so far read, and asked."""

    users: dict[int, MocoUser] = field(default_factory=dict)
    persons: dict[str, Person] = field(default_factory=dict)
    asked_ids: set[Any] = field(default_factory=set)
    asked_emails: dict[str, set[str]] = field(default_factory=lambda: {"moco": set(), "personio": set()})
    everyone: bool = False  # the whole MOCO user list was read


@dataclass(frozen=True)
class _Round:
    """What one round asks: MOCO users by id and by email, Personio persons by id and by email."""

    moco_ids: frozenset[int]
    moco_emails: frozenset[str]
    personio_ids: frozenset[str]
    personio_emails: frozenset[str]

    def __bool__(self) -> bool:
        return bool(self.moco_ids or self.moco_emails or self.personio_ids or self.personio_emails)


async def people_of(clients: Clients, settings: UserSettings, user_ids: Collection[int], person_ids: Collection[str]
                    ) -> tuple[list[MocoUser], list[Person]]:
    """The MOCO users and Personio persons the matching of these people needs (see the module). Read in
    rounds, each asking only what the rounds before did not answer: a person is asked for by id only
    when no pending email lookup may bring them (a person who changed is often a user who changed)."""
    known = _Known()
    while True:
        ask = _next(settings, user_ids, person_ids, known)
        if len(ask.moco_emails) > MOCO_EMAIL_LOOKUPS_MAX:
            known.users.update((user.id, user) for user in await clients.moco.users())
            known.everyone = True
            continue
        if not ask:
            break
        await _ask(clients, ask, known)
    users = list(known.users.values())
    if unclaimed([user for user in users if user.id in user_ids], list(known.persons.values()), settings):
        return users, await clients.personio.persons()
    return users, list(known.persons.values())


def _next(settings: UserSettings, user_ids: Collection[int], person_ids: Collection[str], known: _Known) -> _Round:
    """What the next round asks, from what the rounds before found."""
    wanted = _wanted(settings, user_ids, person_ids, known.users, known.persons)
    moco_ids = frozenset() if known.everyone else frozenset(user_ids) - known.asked_ids
    personio_emails = frozenset(wanted["personio"] - known.asked_emails["personio"])
    unique = {user.email for user in known.users.values()} if moco_narrow.MOCO_EMAILS_UNIQUE else set()
    moco_emails = frozenset() if known.everyone else frozenset(wanted["moco"] - known.asked_emails["moco"] - unique)
    ids = frozenset() if moco_ids or personio_emails else frozenset(person_ids) - set(known.persons) - known.asked_ids
    return _Round(moco_ids, moco_emails, ids, personio_emails)


async def _ask(clients: Clients, ask: _Round, known: _Known) -> None:
    known.asked_ids |= ask.moco_ids | ask.personio_ids
    known.asked_emails["moco"] |= ask.moco_emails
    known.asked_emails["personio"] |= ask.personio_emails
    found = await together([
        moco_narrow.users_by_ids(clients.moco, ask.moco_ids) if ask.moco_ids else nothing(),
        moco_narrow.users_by_emails(clients.moco, ask.moco_emails) if ask.moco_emails else nothing(),
        personio_narrow.persons_by_ids(clients.personio, ask.personio_ids) if ask.personio_ids else nothing(),
        personio_narrow.persons_by_emails(clients.personio, ask.personio_emails) if ask.personio_emails
        else nothing()])
    known.users.update((user.id, user) for user in [*found[0], *found[1]])
    known.persons.update((person.id, person) for person in [*found[2], *found[3]])


def _wanted(settings: UserSettings, user_ids: Collection[int], person_ids: Collection[str],
            users: dict[int, MocoUser], persons: dict[str, Person]) -> dict[str, set[str]]:
    """The emails to look up, per system, for what is known so far: every Personio email that may claim
    a named user, the email of each named person (another may share it), the MOCO email that person
    pairs with and every Personio email that may claim that; with MOCO_EMAILS_UNIQUE off, each named
    user's email in MOCO too."""
    out: dict[str, set[str]] = {"moco": set(), "personio": set()}
    for user in users.values():
        if user.id in user_ids and user.email:
            out["personio"] |= claimants_of(user.email, settings)
            if not moco_narrow.MOCO_EMAILS_UNIQUE:
                out["moco"].add(user.email)
    for person in persons.values():
        if person.id in person_ids and person.email:
            target = target_of(person.email, settings)
            out["personio"] |= {person.email.strip().lower(), *claimants_of(target, settings)}
            out["moco"].add(target)
    return out
