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
from typing import Any

from reconciler.records import MocoUser, Person
from reconciler.spec import UserSettings
from reconciler.sync.identity import claimants_of, target_of, unclaimed
from reconciler.systems.http.together import nothing, together
from reconciler.systems.moco import narrow as moco_narrow
from reconciler.systems.personio import narrow as personio_narrow

# MOCO's email filter takes one address a request (MOCO_EMAILS_PER_REQUEST): with more users to find by
# email than this, the whole user list (a request per 100 users) is read instead, e.g. after a bulk
# import of absences in Personio.
MOCO_EMAIL_LOOKUPS_MAX = 10


async def people_of(clients: Any, settings: UserSettings, user_ids: Collection[int], person_ids: Collection[str]
                    ) -> tuple[list[MocoUser], list[Person]]:
    """The MOCO users and Personio persons the matching of these people needs (see the module). Read in
    rounds, each asking only what the rounds before did not answer: a person is asked for by id only
    when no pending email lookup may bring them (a person who changed is often a user who changed)."""
    users: dict[int, MocoUser] = {}
    persons: dict[str, Person] = {}
    asked_ids: set[Any] = set()
    asked_emails: dict[str, set[str]] = {"moco": set(), "personio": set()}
    everyone = False  # the whole MOCO user list was read
    while True:
        wanted = _wanted(settings, user_ids, person_ids, users, persons)
        moco_ids = set() if everyone else set(user_ids) - asked_ids
        personio_emails = wanted["personio"] - asked_emails["personio"]
        moco_emails = set() if everyone else wanted["moco"] - asked_emails["moco"] - {
            user.email for user in users.values() if moco_narrow.MOCO_EMAILS_UNIQUE}
        ids = set() if moco_ids or personio_emails else set(person_ids) - set(persons) - asked_ids
        if len(moco_emails) > MOCO_EMAIL_LOOKUPS_MAX:
            users.update((user.id, user) for user in await clients.moco.users())
            everyone = True
            continue
        if not (moco_ids or personio_emails or moco_emails or ids):
            break
        asked_ids |= moco_ids | ids
        asked_emails["moco"] |= moco_emails
        asked_emails["personio"] |= personio_emails
        found = await together([
            moco_narrow.users_by_ids(clients.moco, moco_ids) if moco_ids else nothing(),
            moco_narrow.users_by_emails(clients.moco, moco_emails) if moco_emails else nothing(),
            personio_narrow.persons_by_ids(clients.personio, ids) if ids else nothing(),
            personio_narrow.persons_by_emails(clients.personio, personio_emails) if personio_emails else nothing()])
        users.update((user.id, user) for user in [*found[0], *found[1]])
        persons.update((person.id, person) for person in [*found[2], *found[3]])
    named = [user for user in users.values() if user.id in user_ids]
    if unclaimed(named, list(persons.values()), settings):
        return list(users.values()), await clients.personio.persons()
    return list(users.values()), list(persons.values())


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
