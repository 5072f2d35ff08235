"""What both directions writing MOCO absences (absences, holidays) work out alike: MOCO's absences by user and
day, the work patterns by user, which changes and conflicts are sensitive, and the records each one owns. Pure."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Iterable, Mapping
from dataclasses import replace
from datetime import date

from reconciler.plan.model import Change, Conflict
from reconciler.plan.snapshot import Window
from reconciler.records import Employment, MocoAbsence
from reconciler.sync.ownership import Marker, claim, left_alone

Days = dict[date, list[MocoAbsence]]


def absences_by_user(absences: Iterable[MocoAbsence], window: Window) -> dict[int, Days]:
    """MOCO's absences in the window, by user and day."""
    found: dict[int, Days] = defaultdict(lambda: defaultdict(list))
    for absence in absences:
        if absence.day in window:
            found[absence.user_id][absence.day].append(absence)
    return found


def employments_by_user(employments: Iterable[Employment]) -> dict[int, list[Employment]]:
    found: dict[int, list[Employment]] = defaultdict(list)
    for employment in employments:
        found[employment.user_id].append(employment)
    return found


def sensitivity(change: Change | None, conflict: Conflict | None, entries: list[MocoAbsence],
                wanted: Collection[str], sensitive: frozenset[str]) -> tuple[Change | None, Conflict | None]:
    """The day's change or conflict, marked sensitive when a record it writes, removes or leaves alone
    (`entries`, for a conflict) is of a sensitive kind, or one `wanted` there is."""
    kinds = set(wanted)
    if change:
        records = (change.before, change.after, *(removal.before for removal in change.removes))
        kinds |= {record["absence_kind"] for record in records if record}
        return replace(change, sensitive=not kinds.isdisjoint(sensitive)), None
    if conflict:
        kinds |= {absence.kind.value for absence in entries}
        return None, replace(conflict, sensitive=not kinds.isdisjoint(sensitive))
    return None, None


def owned_and_left(by_user: Mapping[int, Days], marker: Marker, managed: frozenset[int],
                   emails: Mapping[int, str], noun: str) -> tuple[int, list[str]]:
    """How many records carry `marker` (the guard's count), and the warnings for people no longer synced whose
    such records stay."""
    orphans = {emails.get(user_id, f"MOCO user {user_id}"): len(claim(
                   (a for entries in days.values() for a in entries), marker).all_ours())
               for user_id, days in sorted(by_user.items()) if user_id not in managed}
    owned = len(claim((a for days in by_user.values() for entries in days.values() for a in entries),
                      marker).all_ours())
    return owned, left_alone(orphans, noun)
