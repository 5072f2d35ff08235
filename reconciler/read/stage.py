"""The reading stage: (clients, spec, directions, scope) → the records to plan from, who is who (matched
once), and what the plan must say about the read. One function per kind of scope (plan/scope.py):

- everyone, or some days (`Subset`): every list the directions need, at once;
- some people (`Subset` with users): who is who first, then only their records (MOCO by user,
  Personio by person);
- changed since a moment (`ChangedSince`) and hinted by webhooks (`Hinted`): what changed (read/changed.py,
  read/personio.py),
  then who those people are (read/who.py, not everyone), then their records over the days touched, and
  what the directions read after the rest (`Direction.followups`);
- a saved scope (`Saved`): those people and days again, who is who read whole, or taken as the run that
  planned it read it (the read-back after apply).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from reconciler.plan.scope import MARGIN, ChangedSince, Hinted, Saved, Scope, Subset, Touched, describe, parse_since
from reconciler.plan.snapshot import Need, Snapshot, Window, narrowed
from reconciler.read import who
from reconciler.read.changed import changed_since, people, scopes, windows
from reconciler.read.fetch import PEOPLE, fetch_snapshot, needs
from reconciler.spec import Spec
from reconciler.sync.build import hiring, matching_of
from reconciler.sync.direction import Direction
from reconciler.sync.identity import Matching, Pair, only_people
from reconciler.sync.sources import MOCO_USERS, PERSONIO_PERSONS
from reconciler.systems.connect import Clients
from reconciler.systems.http.together import together

Found = dict[str, Subset | None]  # per direction: the people and days to plan (None: not planned)


@dataclass(frozen=True)
class Reading:
    """What a run read: the records, who is who by the spec (matched once, here), and for a run scoped
    per direction (incremental, targeted, saved) each direction's scope, the moment it looked back to and
    the lines the plan opens with; with `people` and `touched`, what a read-back of it may reuse."""

    snapshot: Snapshot
    matching: Matching
    scopes: Found | None = None  # None: every direction planned over the run's `Subset`
    since: str = ""  # the moment an incremental run looked back to, or a targeted run ran at (UTC, ISO 8601)
    notes: tuple[str, ...] = ()
    people: Snapshot | None = None
    touched: Mapping[str, Touched] | None = None

    def __repr__(self) -> str:  # counts only, as Plan's (a year of a big company's records)
        return f"Reading({self.snapshot!r}, since={self.since!r})"

    def again(self) -> Saved | None:
        """The scope that reads again what this reading planned, reusing who is who (None: a run that is
        not scoped per direction reads again as it read)."""
        if self.scopes is None:
            return None
        return Saved(self.since, tuple(self.scopes.items()), self.people, self.touched)


@dataclass(frozen=True)
class _Run:
    """What every kind of read shares: the clients, the spec (and the base spec of --base-spec, whose
    reads are added), the directions and the day the run counts as today."""

    clients: Clients
    specs: tuple[Spec, ...]
    directions: tuple[Direction, ...]
    today: date

    @property
    def spec(self) -> Spec:
        return self.specs[0]


async def read(clients: Clients, spec: Spec, directions: tuple[Direction, ...], scope: Scope, today: date,
               base: Spec | None = None) -> Reading:
    """Read what a plan of `directions` over `scope` needs (also for `base`, planned against the same read)."""
    run = _Run(clients, (spec,) if base is None else (spec, base), directions, today)
    if isinstance(scope, ChangedSince):
        return await _changed_since(run, scope)
    if isinstance(scope, Hinted):
        return await _hinted(run, scope)
    if isinstance(scope, Saved):
        return await _saved(run, scope)
    if scope.users:
        return await _some_people(run, scope)
    snapshot = await fetch_snapshot(clients, today, [need for each in run.specs
                                                     for need in needs(each, today, directions, scope)],
                                    match=lambda lists: _matchings(run, lists))
    return Reading(snapshot, matching_of(spec, snapshot))


def _matchings(run: _Run, lists: Mapping[str, Sequence[Any]], matching: Matching | None = None) -> tuple[Matching, ...]:
    """Who is who by each spec of the run (the first's given when known), for the lists read after it."""
    people = Snapshot(run.today, {name: tuple(found) for name, found in lists.items()})
    return tuple(matching if matching is not None and index == 0 else matching_of(each, people)
                 for index, each in enumerate(run.specs))


async def _some_people(run: _Run, subset: Subset) -> Reading:
    """--user: who is who first, then only those people's records (MOCO by user, Personio by person)."""
    identity = await fetch_snapshot(run.clients, run.today, PEOPLE)
    matching = matching_of(run.spec, identity)
    everyone: Found = {direction.name: subset for direction in run.directions}
    return Reading(await _records(run, identity, matching, everyone), matching)


async def _saved(run: _Run, scope: Saved) -> Reading:
    """A saved incremental scope: its people and days again. Who is who is read whole, unless the run that
    planned it comes along with what it read (the read-back after apply)."""
    identity = scope.people if scope.people is not None else await fetch_snapshot(run.clients, run.today, PEOPLE)
    matching = matching_of(run.spec, identity)
    found = dict(scope.scopes)
    snapshot = await _records(run, identity, matching, found, scope.touched)
    line = describe(datetime.fromisoformat(scope.since), found, _titles(run))
    return Reading(snapshot, matching, found, scope.since, (line,))


async def _changed_since(run: _Run, scope: ChangedSince) -> Reading:
    """--changed-since: what changed since the bound, deletions in Personio included, then who those people
    are and their records over those days only."""
    await run.clients.personio.service.auth.headers()  # the token's answer brings Personio's clock (its Date)
    moment = parse_since(scope.since, run.clients.server_now())
    days = windows(run.spec, run.today, run.directions)
    changed = await changed_since(run.clients, run.spec, run.directions, days, moment - MARGIN)
    reading = await _of_changes(run, days, changed.touched, changed.whole)
    line = describe(moment, reading.scopes or {}, _titles(run), personio_deletions=changed.personio.deletions)
    return _said(reading, moment, (line, *changed.personio.notes))


async def _hinted(run: _Run, scope: Hinted) -> Reading:
    """A targeted run (`reconcile serve`): the people and days webhooks named, read and planned as an
    incremental run's; a direction hinted None is planned whole, one not hinted not at all."""
    hinted = dict(scope.touched)
    await run.clients.personio.service.auth.headers()  # the token's answer brings Personio's clock (its Date)
    moment = run.clients.server_now()
    days = {name: window if name in hinted else None for name, window in
            windows(run.spec, run.today, run.directions).items()}
    touched = {name: found for name, found in hinted.items() if found is not None and days.get(name)}
    whole = tuple(d for d in run.directions if d.off(run.spec) is None and d.name in hinted and hinted[d.name] is None)
    reading = await _of_changes(run, days, touched, whole)
    return _said(reading, moment, (describe(moment, reading.scopes or {}, _titles(run), targeted=True),))


def _said(reading: Reading, moment: datetime, notes: tuple[str, ...]) -> Reading:
    return dataclasses.replace(reading, since=moment.isoformat(timespec="seconds"), notes=notes)


async def _of_changes(run: _Run, days: Mapping[str, Window | None], touched: Mapping[str, Touched],
                      whole: tuple[Direction, ...]) -> Reading:
    """Who the changed people are, each direction's scope, and their records over those days only."""
    if whole or len(run.specs) > 1:  # planned whole, or another spec's overrides: who is who read whole
        identity = await fetch_snapshot(run.clients, run.today, PEOPLE)
    else:
        users, persons = await who.people_of(run.clients, run.spec.users, *people(touched.values()))
        identity = Snapshot(run.today, {MOCO_USERS.name: tuple(users), PERSONIO_PERSONS.name: tuple(persons)})
    matching = matching_of(run.spec, identity)
    found: Found = scopes(touched, matching, days, frozenset(d.name for d in run.directions if d.lifecycle))
    for direction in whole:  # a direction that cannot tell what changed is planned whole
        found[direction.name] = Subset()
    snapshot = await _records(run, identity, matching, found, touched)
    return Reading(snapshot, matching, found, people=identity, touched=touched)


Later = tuple[Direction, Window, tuple[Pair, ...]]  # a direction whose followups read after the rest


async def _records(run: _Run, identity: Snapshot, matching: Matching, found: Found,
                   touched: Mapping[str, Touched] | None = None) -> Snapshot:
    """The identity read, and each direction's lists for its scope in `found` (None: not read): for the
    scope's days, and, where it names people, only theirs (MOCO by user, Personio by person). With
    `touched` (an incremental run), a direction's followups are read after the rest, from what it found."""
    chosen: dict[str, list[Need]] = {}
    later: list[Later] = []
    for direction in run.directions:
        scope = found.get(direction.name)
        if scope is not None:
            chosen[direction.name], follows = _reads_of(run, direction, scope, matching, touched)
            later += follows
    later = _deferred(chosen, later)
    rest = await fetch_snapshot(run.clients, run.today, [need for own in chosen.values() for need in own],
                                identity.lists, match=lambda lists: _matchings(run, lists, matching))
    first = Snapshot(run.today, {**identity.lists, **rest.lists}, rest.notices)
    reads = [(followup.source, followup.read(run.clients, first, window, (touched or {})[direction.name], pairs))
             for direction, window, pairs in later for followup in direction.followups]
    results = await together(read for _, read in reads)
    lists = {source.name: tuple(result) for (source, _), result in zip(reads, results, strict=True)}
    return Snapshot(run.today, {**first.lists, **lists}, tuple(getattr(run.clients, "notices", rest.notices)))


def _reads_of(run: _Run, direction: Direction, scope: Subset, matching: Matching,
              touched: Mapping[str, Touched] | None) -> tuple[list[Need], list[Later]]:
    """A direction's lists for its scope (narrowed to its people where it names some), and whether its
    followups read later."""
    own = [need for each in run.specs for need in needs(each, run.today, (direction,), scope) if need not in PEOPLE]
    if not scope.users:
        return own, []
    pairs = only_people(matching, scope.users, hires=hiring(run.spec, run.directions)).pairs
    own = list(narrowed(own, frozenset(p.user.id for p in pairs), frozenset(p.person.id for p in pairs)))
    window = direction.days(run.spec, run.today, scope)
    if touched is None or direction.name not in touched or not direction.followups or window is None:
        return own, []
    return own, [(direction, window, pairs)]


def _deferred(chosen: dict[str, list[Need]], later: list[Later]) -> list[Later]:
    """Of the directions with followups, those that read them after the rest: the lists they defer are left
    out of their first reads, unless another direction reads that list too (then it is read with the rest)."""
    kept = []
    for entry in later:
        direction = entry[0]
        deferred = {followup.source for followup in direction.followups}
        elsewhere = {need.source for name, own in chosen.items() if name != direction.name for need in own}
        if not deferred & elsewhere:
            chosen[direction.name] = [need for need in chosen[direction.name] if need.source not in deferred]
            kept.append(entry)
    return kept


def _titles(run: _Run) -> dict[str, str]:
    return {direction.name: direction.title for direction in run.directions}
