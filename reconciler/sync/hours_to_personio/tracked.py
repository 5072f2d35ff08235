"""Duration-only attendance periods in the working-hours planner: how one reads in a plan, when a synced one
is in step with its presence, and the days a hand-made one holds.

Personio lets a company track attendance as a length a day, without start and end (personio.md §13.1). A
duration-only period carrying no marker of ours was entered in Personio (by hand, or by Personio's own
tracking): reconcile never changes or deletes it, and writes nothing for that person on its day while MOCO
has presences there (`held_days`), as Personio would count those hours twice. The plan says so in one
conflict a day (`held_reason`), naming what reconcile wrote on that day earlier, which stays as it is too.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import date, timedelta
from typing import Any

from reconciler.records import ATTENDANCE_APPROVED, AttendancePeriod, Presence
from reconciler.sync.ownership import Claim


def length_text(length: timedelta) -> str:
    """How a length reads in a plan: "7:30" (hours and minutes; seconds only when there are any)."""
    seconds = round(length.total_seconds())
    hours, rest = divmod(seconds, 3600)
    minutes, seconds = divmod(rest, 60)
    return f"{hours}:{minutes:02d}" + (f":{seconds:02d}" if seconds else "")


def duration_view(length: timedelta, comment: str, approval: str) -> dict[str, Any]:
    """A duration-only period as the plan shows it (`before`, `after`): its length, marker and approval."""
    return {"duration": length_text(length), "comment": comment, "approval": approval}


def duration_state(day: date, length: timedelta, comment: str, approval: str) -> dict[str, Any]:
    """What is compared between a duration-only period and its presence: the day, the length, the marker and
    the approval."""
    return {"day": day.isoformat(), "duration": length_text(length), "comment": comment, "approval": approval}


def same_length(period: AttendancePeriod, day: date, length: timedelta, comment: str) -> bool:
    """Whether `period` is a duration-only period in step with a presence of `length` on `day`: exactly
    `duration_state` of both agreeing (to the second the plan shows), without wording either."""
    return (period.duration is not None and period.day == day and period.comment == comment
            and (period.status or ATTENDANCE_APPROVED) == ATTENDANCE_APPROVED
            and round(period.duration.total_seconds()) == round(length.total_seconds()))


def shown(period: AttendancePeriod, comment: bool = True) -> str:
    """A period in a sentence: "7:30 h without times with a comment", or "08:00–12:00" for one with times.
    A comment's words are never shown: a hand-made one stays in Personio (it may say why someone was away)."""
    if period.duration is not None:
        text = f"{length_text(period.duration)} h without times"
    else:
        end = period.end.strftime("%H:%M") if period.end is not None else "…"
        text = f"{period.start:%H:%M}–{end}"
    return text + (" with a comment" if comment and period.comment else "")


def held_days(presences: Iterable[Presence], owned: Claim[AttendancePeriod]) -> dict[date, list[AttendancePeriod]]:
    """The days a duration-only period reconcile does not own (hand-made, or another direction's) lies on and
    MOCO has presences of the same person on, each with those periods: nothing is written there."""
    worked = {presence.day for presence in presences}
    held: dict[date, list[AttendancePeriod]] = defaultdict(list)
    for period in (*owned.handmade, *owned.foreign):
        if period.duration is not None and period.day in worked:
            held[period.day].append(period)
    return dict(held)


def held_reason(tracked: list[AttendancePeriod], ours: list[AttendancePeriod]) -> str:
    """The conflict of a held day: the duration-only periods there, and what reconcile wrote there earlier
    (`ours`), which is left as it is: never deleted without a word."""
    lengths = ", ".join(shown(p).replace(" without times", "") for p in sorted(tracked, key=lambda p: p.id))
    reason = (f"Personio has a duration-only attendance on this day (tracked without times: {lengths}); no period "
              "is written for it")
    if ours:
        listed = ", ".join(shown(p, comment=False) for p in sorted(ours, key=lambda p: (p.start, p.id)))
        one = len(ours) == 1
        reason += (f"; the {'period' if one else f'{len(ours)} periods'} reconcile wrote here earlier ({listed}) "
                   f"{'is' if one else 'are'} left as {'it is' if one else 'they are'}, so Personio counts the day "
                   "twice until one side is removed there")
    return reason
