"""Who is who for some people only: an incremental run reads the people whose records changed, and
those the full run's matching weighs against them, instead of every MOCO user and Personio person.

`match_people` on what this reads gives those people the pairs the full run gives them:

1. the MOCO users named by id and the Personio persons named by id (MOCO `ids`, Personio `id`);
2. then, by email, every Personio person that may claim one of those users (the same address and
   every override naming it) or that shares a named person's email, and the MOCO user each named
   person pairs with (its override's email, else its own; MOCO stores emails lower-cased);
3. when a user of step 1 is claimed by no person found, the email filter may have missed (Personio
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
from reconciler.systems.http.together import together
from reconciler.systems.moco import narrow as moco_narrow
from reconciler.systems.personio import narrow as personio_narrow


async def _none() -> list[Any]:
    return []


async def people_of(clients: Any, settings: UserSettings, user_ids: Collection[int], person_ids: Collection[str]
                    ) -> tuple[list[MocoUser], list[Person]]:
    """The MOCO users and Personio persons the matching of these people needs (see the module)."""
    if not user_ids and not person_ids:
        return [], []
    users, persons = await together([
        moco_narrow.users_by_ids(clients.moco, user_ids) if user_ids else _none(),
        personio_narrow.persons_by_ids(clients.personio, person_ids) if person_ids else _none()])
    personio_emails: set[str] = set()
    moco_emails: set[str] = set()
    for user in users:
        if user.email:
            personio_emails |= claimants_of(user.email, settings)
            if not moco_narrow.MOCO_EMAILS_UNIQUE:
                moco_emails.add(user.email)
    for person in persons:
        if person.email:
            target = target_of(person.email, settings)
            personio_emails |= {person.email.lower(), *claimants_of(target, settings)}
            moco_emails.add(target)
    if moco_narrow.MOCO_EMAILS_UNIQUE:
        moco_emails -= {user.email for user in users}
    more_users, more_persons = await together([
        moco_narrow.users_by_emails(clients.moco, moco_emails) if moco_emails else _none(),
        personio_narrow.persons_by_emails(clients.personio, personio_emails) if personio_emails else _none()])
    users = _once({u.id: u for u in [*users, *more_users]})
    persons = _once({p.id: p for p in [*persons, *more_persons]})
    named = [user for user in users if user.id in user_ids]
    if unclaimed(named, persons, settings):
        persons = await clients.personio.persons()
    return users, persons


def _once(by_id: dict[Any, Any]) -> list[Any]:
    return list(by_id.values())
