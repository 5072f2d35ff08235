"""Which Personio absence types become which MOCO kinds: the spec's `absences.types`, resolved
against the types Personio has, and what to say about approved absences that cannot be synced."""

from __future__ import annotations

import difflib
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from reconciler.errors import PlanError
from reconciler.plan.model import Withheld
from reconciler.records import AbsenceKind, AbsencePeriod, AbsenceType
from reconciler.spec import Spec, normalise_type_name
from reconciler.sync.identity import Pair


@dataclass(frozen=True)
class TypeMap:
    kinds: dict[str, AbsenceKind]  # Personio type id → MOCO kind, for the types that are synced
    names: dict[str, str]  # Personio type id → name
    warnings: tuple[str, ...]
    unmatched: tuple[str, ...] = ()  # keys of absences.types that name no Personio type

    def name(self, type_id: str) -> str:
        return self.names.get(type_id, type_id)


def resolve_types(mapping: tuple[tuple[str, AbsenceKind], ...], types: tuple[AbsenceType, ...]
                  ) -> tuple[dict[str, AbsenceKind], list[str], list[str]]:
    """Personio type id → MOCO kind, from the spec's names or ids; warnings; the keys that match nothing."""
    by_id = {t.id: t for t in types}
    by_name: dict[str, list[AbsenceType]] = defaultdict(list)
    for t in types:
        by_name[normalise_type_name(t.name)].append(t)
    kinds: dict[str, AbsenceKind] = {}
    named_by: dict[str, str] = {}
    warnings: list[str] = []
    unmatched: list[str] = []
    for key, kind in mapping:
        matches = [by_id[key]] if key in by_id else by_name.get(normalise_type_name(key), [])
        if not matches:
            warnings.append(f"absences.types[{key!r}] matches no Personio absence type "
                            f"({_known(key, [t.name for t in types])})")
            unmatched.append(key)
            continue
        if len(matches) > 1:
            warnings.append(f"absences.types[{key!r}] matches {len(matches)} Personio absence types of that name; "
                            f"all are mapped to {kind.value} (map by id to tell them apart)")
        for t in matches:
            if t.id in kinds and kinds[t.id] is not kind:
                raise PlanError(f"absences.types maps the Personio absence type {t.name!r} twice, as "
                                f"{named_by[t.id]!r} → {kinds[t.id].value} and as {key!r} → {kind.value}")
            kinds[t.id] = kind
            named_by[t.id] = key
    return kinds, warnings, unmatched


def _known(key: str, type_names: list[str]) -> str:
    """"did you mean 'Paid vacation'?" when a Personio type is named alike, else the types Personio has."""
    names = sorted(set(type_names))
    close = difflib.get_close_matches(normalise_type_name(key), [normalise_type_name(n) for n in names], n=1,
                                      cutoff=0.6)
    if close:
        return f"did you mean {next(n for n in names if normalise_type_name(n) == close[0])!r}?"
    return "Personio has: " + (", ".join(repr(name) for name in names) or "none")


def check_unmatched(types: TypeMap, lost: dict[str, int], source: str) -> None:
    """A key of absences.types that names no Personio type while synced absences of an unmapped type
    would be deleted is almost always a typo: stop the plan (PlanError) rather than delete them."""
    if not types.unmatched or not lost:
        return
    names = list(types.names.values())
    keys = "; ".join(f"absences.types[{key!r}] matches no Personio absence type ({_known(key, names)})"
                     for key in types.unmatched)
    doomed = ", ".join(f"{count} of {name!r}" for name, count in sorted(lost.items()))
    raise PlanError(f"{keys}; without a mapping the plan would delete synced MOCO absences ({doomed}). Correct the "
                    f"name in {source}; nothing was planned or written.")


def type_map(spec: Spec, types: tuple[AbsenceType, ...], pairs: Iterable[Pair],
             periods_by_person: dict[str, list[AbsencePeriod]]) -> TypeMap:
    """The synced types, with warnings for approved absences of hourly or unmapped types (or, with
    `absences.unmapped: error`, a PlanError naming them)."""
    kinds, warnings, unmatched = resolve_types(spec.absences.types, types)
    names = {t.id: t.name for t in types}
    hourly = {t.id for t in types if t.hourly and t.id in kinds}
    unmapped: dict[str, list[str]] = defaultdict(list)
    in_hours: dict[str, list[str]] = defaultdict(list)
    for pair in pairs:
        for period in periods_by_person.get(pair.person.id, []):
            if period.type_id in hourly:
                in_hours[names[period.type_id]].append(pair.personio_email)
            elif period.type_id not in kinds:
                unmapped[names.get(period.type_id, period.type_id)].append(pair.personio_email)
    # These name people beside a type that may be health data (a doctor's appointment in hours, an
    # unmapped "Sick child"): outputs meant to be shared count the people instead (Withheld).
    for name, emails in sorted(in_hours.items()):
        said = (f"Personio absence type {name!r} is measured in hours, and MOCO absences are whole or half days: "
                f"{_absences(emails, 'approved absence')} not synced")
        warnings.append(Withheld(f"{said} ({_people(emails)})", f"{said} ({_count(emails)})"))
    if unmapped and spec.absences.unmapped == "error":
        listed = "; ".join(f"{name!r} ({_absences(emails, 'absence')} of {_count(emails)})"
                           for name, emails in sorted(unmapped.items()))
        raise PlanError(f"approved Personio absences of types not in absences.types (absences.unmapped: error): "
                        f"{listed}. Map them in {spec.source} or set absences.unmapped: skip")
    for name, emails in sorted(unmapped.items()):
        said = (f"Personio absence type {name!r} is not in absences.types: "
                f"{_absences(emails, 'approved absence')} skipped")
        warnings.append(Withheld(f"{said} ({_people(emails)})", f"{said} ({_count(emails)})"))
    synced = {type_id: kind for type_id, kind in kinds.items() if type_id not in hourly}
    return TypeMap(kinds=synced, names=names, warnings=tuple(warnings), unmatched=tuple(unmatched))


def _absences(emails: list[str], noun: str) -> str:
    return f"{len(emails)} {noun}{'s' if len(emails) != 1 else ''}"


def _people(emails: list[str]) -> str:
    return ", ".join(sorted(set(emails)))


def _count(emails: list[str]) -> str:
    people = len(set(emails))
    return f"{people} {'person' if people == 1 else 'people'}"
