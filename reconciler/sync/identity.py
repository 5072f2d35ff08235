"""Who is who: Personio persons matched to MOCO users by email, with the spec's overrides and
exclusions. Pure: data in, pairs and warnings out."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from reconciler.records import MocoUser, Person
from reconciler.spec import UserSettings


@dataclass(frozen=True)
class Pair:
    person: Person
    user: MocoUser

    @property
    def moco_email(self) -> str:
        return self.user.email

    @property
    def personio_email(self) -> str:
        return (self.person.email or "").lower()


@dataclass(frozen=True)
class Matching:
    pairs: tuple[Pair, ...]
    warnings: tuple[str, ...]
    # MOCO user ids reconcile manages (matched, active, not excluded); nobody else is touched.
    managed_user_ids: frozenset[int]
    # Personio person ids reconcile manages.
    managed_person_ids: frozenset[str]


def match_people(users: list[MocoUser] | tuple[MocoUser, ...], persons: list[Person] | tuple[Person, ...],
                 settings: UserSettings) -> Matching:
    warnings: list[str] = []
    excluded = settings.exclude
    overrides = {o.personio: o.moco for o in settings.overrides}

    users_by_email: dict[str, list[MocoUser]] = defaultdict(list)
    for user in users:
        if user.email:
            users_by_email[user.email].append(user)
    persons_by_email: dict[str, list[Person]] = defaultdict(list)
    without_email = 0
    for person in persons:
        if person.email:
            persons_by_email[person.email.lower()].append(person)
        elif person.active:
            without_email += 1
    if without_email:
        warnings.append(
            f"{without_email} active Personio person{'s come' if without_email != 1 else ' comes'} without an email "
            "and cannot be matched: allow the API credential to read the email attribute"
        )
    for email, same in sorted(users_by_email.items()):
        if len(same) > 1:
            warnings.append(f"{len(same)} MOCO users share the email {email}; none of them is synced")
    for email, same in sorted(persons_by_email.items()):
        if len(same) > 1:
            warnings.append(f"{len(same)} Personio persons share the email {email}; none of them is synced")

    pairs: list[Pair] = []
    claimed: dict[int, str] = {}  # MOCO user id -> the Personio email it is paired with
    # Explicit overrides claim their MOCO user first; a MOCO user is never paired twice (that would
    # write one person's hours onto two Personio persons and make absences flip back and forth).
    ordered = sorted(persons_by_email.items(), key=lambda item: (item[0] not in overrides, item[0]))
    for email, same in ordered:
        person = same[0]
        if len(same) > 1 or email in excluded:
            continue
        target = overrides.get(email, email)
        if target in excluded:
            continue
        candidates = users_by_email.get(target, [])
        if len(candidates) > 1:
            continue
        via = f" (override → {target})" if target != email else ""
        if not candidates:
            if person.active:
                warnings.append(f"Personio person {email}{via} has no MOCO user with that email; add "
                                "users.overrides or users.exclude")
            continue
        user = candidates[0]
        if user.id in claimed:
            if person.active:
                warnings.append(f"Personio person {email}{via} is not synced: MOCO user {user.email} is already "
                                f"paired with Personio person {claimed[user.id]}; add users.exclude or an override")
            continue
        claimed[user.id] = email
        if not user.active:
            continue  # archived in MOCO: nothing can be written for them
        pairs.append(Pair(person=person, user=user))

    for email, same in sorted(users_by_email.items()):
        user = same[0]
        if len(same) > 1 or not user.active or user.id in claimed or email in excluded:
            continue
        warnings.append(f"MOCO user {email} has no Personio person with that email; add users.overrides or "
                        "users.exclude")

    for personio_email, moco_email in sorted(overrides.items()):
        if personio_email not in persons_by_email:
            warnings.append(f"users.overrides: no Personio person has the email {personio_email}")
        elif moco_email not in users_by_email:
            warnings.append(f"users.overrides: no MOCO user has the email {moco_email}")

    pairs.sort(key=lambda p: p.moco_email)
    return Matching(
        pairs=tuple(pairs),
        warnings=tuple(warnings),
        managed_user_ids=frozenset(p.user.id for p in pairs),
        managed_person_ids=frozenset(p.person.id for p in pairs),
    )
