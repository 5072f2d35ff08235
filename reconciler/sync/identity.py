"""Who is who: Personio persons matched to MOCO users by email, with the spec's overrides and
exclusions. Pure: data in, pairs and warnings out."""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from collections.abc import Mapping, Sized
from dataclasses import dataclass
from typing import Any

from reconciler.errors import PlanError
from reconciler.records import MocoUser, Person
from reconciler.spec import UserSettings
from reconciler.spec.model import normalise_email


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
    # The matching table (`reconcile users`): emails of everyone not paired, and why.
    only_personio: tuple[str, ...] = ()  # active, no MOCO user with that email (or the override's)
    # The same people as records, each with the MOCO email their user would have (the override's, else their
    # own): who a lifecycle direction may create a MOCO user for.
    unmatched: tuple[tuple[Person, str], ...] = ()
    only_moco: tuple[str, ...] = ()  # active, no Personio person with that email
    excluded: tuple[str, ...] = ()  # users.exclude, from either system
    archived: tuple[str, ...] = ()  # matched, but archived in MOCO: nothing can be written for them
    shared: tuple[str, ...] = ()  # one email on several users or persons: none of them synced
    overrides_used: tuple[tuple[str, str], ...] = ()  # (Personio email, MOCO email) of overrides that pair someone
    overrides_unmatched: tuple[str, ...] = ()  # what is wrong with each override that pairs nobody


def match_people(users: list[MocoUser] | tuple[MocoUser, ...], persons: list[Person] | tuple[Person, ...],
                 settings: UserSettings, *, hiring: bool = False) -> Matching:
    """Who is who. `hiring`: hires get MOCO users (people.create_in_moco), and an employed person without one is
    said to be a hire rather than asked to be excluded."""
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
    table: dict[str, list[Any]] = defaultdict(list)  # the matching table's columns, by Matching field
    systems: tuple[tuple[str, Mapping[str, Sized]], ...] = (("MOCO users", users_by_email),
                                                            ("Personio persons", persons_by_email))
    for system, by_email in systems:
        for email, same in sorted(by_email.items()):
            if len(same) > 1:
                warnings.append(f"{len(same)} {system} share the email {email}; none of them is synced")
                table["shared"].append(f"{email} ({len(same)} {system})")

    pairs: list[Pair] = []
    unmatched: list[tuple[Person, str]] = []
    claimed: dict[int, str] = {}  # MOCO user id -> the Personio email it is paired with
    # Explicit overrides claim their MOCO user first; a MOCO user is never paired twice (that would
    # write one person's hours onto two Personio persons and make absences flip back and forth).
    ordered = sorted(persons_by_email.items(), key=lambda item: (item[0] not in overrides, item[0]))
    for email, same in ordered:
        person = same[0]
        if len(same) > 1:
            continue
        target = overrides.get(email, email)
        if email in excluded or target in excluded:
            table["excluded"].append(email)
            continue
        candidates = users_by_email.get(target, [])
        if len(candidates) > 1:
            continue
        via = f" (override → {target})" if target != email else ""
        if not candidates:
            if person.active:
                warnings.append(f"Personio person {email}{via} has no MOCO user with that email; " + (
                    "people_to_moco creates one on their hire date (people.create_in_moco), or add users.exclude"
                    if hiring else "add users.overrides or users.exclude"))
                table["only_personio"].append(email + via)
                unmatched.append((person, target))
            continue
        user = candidates[0]
        if user.id in claimed:
            if person.active:
                warnings.append(f"Personio person {email}{via} is not synced: MOCO user {user.email} is already "
                                f"paired with Personio person {claimed[user.id]}; add users.exclude or an override")
            continue
        claimed[user.id] = email
        if via:
            table["overrides_used"].append((email, target))
        if not user.active:
            table["archived"].append(user.email)
            continue  # archived in MOCO: nothing can be written for them
        pairs.append(Pair(person=person, user=user))

    for email, same in sorted(users_by_email.items()):
        user = same[0]
        if email in excluded and len(same) == 1 and user.id not in claimed:
            table["excluded"].append(email)
        if len(same) > 1 or not user.active or user.id in claimed or email in excluded:
            continue
        warnings.append(f"MOCO user {email} has no Personio person with that email; add users.overrides or "
                        "users.exclude")
        table["only_moco"].append(email)

    for personio_email, moco_email in sorted(overrides.items()):
        if personio_email not in persons_by_email:
            warnings.append(f"users.overrides: no Personio person has the email {personio_email}")
            table["overrides_unmatched"].append(f"{personio_email} → {moco_email}: no Personio person has that email")
        elif moco_email not in users_by_email:
            warnings.append(f"users.overrides: no MOCO user has the email {moco_email}")
            table["overrides_unmatched"].append(f"{personio_email} → {moco_email}: no MOCO user has that email")

    pairs.sort(key=lambda p: p.moco_email)
    return Matching(
        pairs=tuple(pairs),
        warnings=tuple(warnings),
        managed_user_ids=frozenset(p.user.id for p in pairs),
        managed_person_ids=frozenset(p.person.id for p in pairs),
        unmatched=tuple(sorted(unmatched, key=lambda found: found[1])),
        **{column: tuple(sorted(set(rows))) for column, rows in table.items()},
    )


# ---------------------------------------------------------------- who matters for some people
# An incremental run reads only the people whose records changed, not everyone. These say whom else
# `match_people` weighs for them, so that reading those too gives the pairs the full run gives.


def target_of(personio_email: str, settings: UserSettings) -> str:
    """The MOCO email a Personio email pairs with: its override's, else the same address."""
    email = normalise_email(personio_email)
    return next((o.moco for o in settings.overrides if o.personio == email), email)


def claimants_of(moco_email: str, settings: UserSettings) -> frozenset[str]:
    """The Personio emails that may pair with the MOCO user of this email: the same address and every
    override naming it (an override claims its MOCO user first; persons sharing an email pair with none)."""
    email = normalise_email(moco_email)
    return frozenset({email, *(o.personio for o in settings.overrides if o.moco == email)})


def unclaimed(users: list[MocoUser] | tuple[MocoUser, ...], persons: list[Person] | tuple[Person, ...],
              settings: UserSettings) -> tuple[str, ...]:
    """Emails of active, not excluded MOCO users among `users` that no person of `persons` targets: with
    narrowed reads, nobody found may mean a filter that missed (e.g. one comparing case), so the caller
    reads everyone before it takes such a user for one with no Personio person."""
    targets = {target_of(p.email, settings) for p in persons if p.email}
    return tuple(sorted(u.email for u in users if u.email and u.active and u.email not in settings.exclude
                        and u.email not in targets))


def only_people(matching: Matching, emails: tuple[str, ...], *, hires: bool = False) -> Matching:
    """The matching cut down to the people `--user` names (by either system's email); the others stay
    managed, so nothing of theirs reads as left behind. An email that pairs nobody is an error; with `hires`
    (a lifecycle direction is planned: sync/direction.py), but for the unmatched ones it may hire."""
    wanted = {normalise_email(email) for email in emails}
    pairs = tuple(pair for pair in matching.pairs
                  if {normalise_email(pair.moco_email), normalise_email(pair.personio_email)} & wanted)
    unmatched = tuple((person, target) for person, target in matching.unmatched
                      if {normalise_email(target), normalise_email(person.email or "")} & wanted) if hires else ()
    found = {normalise_email(e) for pair in pairs for e in (pair.moco_email, pair.personio_email)} | \
        {normalise_email(e) for person, target in unmatched for e in (target, person.email or "")}
    for email in sorted(wanted - found):
        why = next((why for why, listed in (("is excluded (users.exclude)", matching.excluded),
                                            ("is archived in MOCO", matching.archived),
                                            ("is only in Personio", matching.only_personio),
                                            ("is only in MOCO", matching.only_moco),
                                            ("is shared by several people", matching.shared))
                    if email in {normalise_email(e) for e in listed}), "matches nobody in MOCO or Personio")
        raise PlanError(f"--user {email}: {why}, so there is nothing to sync for it; `reconcile users` lists who "
                        "is matched to whom")
    return dataclasses.replace(matching, pairs=pairs, unmatched=unmatched, warnings=())
