"""Personio's persons: whether they carry the email reconcile matches them by, and their statuses; and how
Personio's cursor pages link to the next one. Every person is read (counts need all of them); nothing of
one is ever shown: counts only."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import Any

from reconciler.doctor.model import Check, Status, counted, failed, passed, plural, skipped, worst
from reconciler.doctor.personio_reads import PERSONS, persons, persons_pages
from reconciler.doctor.reads import Context
from reconciler.systems.personio.client import PERSON_STATUSES

EMAILS, STATUSES, PAGINATION = "personio-person-emails", "personio-person-statuses", "personio-pagination"


async def person_emails(ctx: Context) -> Check:
    return judge_emails(await persons(ctx))


async def person_statuses(ctx: Context) -> Check:
    return judge_statuses(await persons(ctx))


def _email(row: dict[str, Any]) -> str | None:
    """A person's email as reconcile compares it; "" when it is missing or blank; None when it is no string."""
    value = row.get("email")
    if value is None:
        return ""
    return value.strip().lower() if isinstance(value, str) else None


def judge_emails(rows: Sequence[dict[str, Any]]) -> Check:
    total = len(rows)
    emails = [_email(row) for row in rows]
    unreadable = sum(email is None for email in emails)
    missing = sum(email == "" for email in emails)
    shared = sum(count for count in Counter(email for email in emails if email).values() if count > 1)
    if not total:
        return failed(EMAILS, f"GET {PERSONS} listed no persons: there is nobody to match; check that the API "
                              "credential may read persons")
    if unreadable:
        return failed(EMAILS, f"{plural(unreadable, 'person')} of {total} carry an email that is not a string: "
                              "reconcile cannot read it, and a run stops there")
    if missing == total:
        return failed(EMAILS, f"none of the {plural(total, 'person')} carries an email: reconcile matches people "
                              "by email, so nobody can be matched; allow the API credential to read the email "
                              "attribute")
    verdicts: list[tuple[Status, str]] = []
    if missing:
        verdicts.append(("warn", f"{missing} of {plural(total, 'person')} carry no email: they cannot be matched to "
                                 "MOCO users (the plan counts the active ones)"))
    if shared:
        verdicts.append(("warn", f"{plural(shared, 'person')} share an email with another: none of them is synced "
                                 "(`reconcile users` lists the shared emails)"))
    if not verdicts:
        verdicts.append(("pass", f"all {plural(total, 'person')} carry an email, no two the same: reconcile matches "
                                 "them to MOCO users by email, case-insensitively"))
    else:
        verdicts.append(("pass", f"{total - missing - shared} of {total} carry an email of their own"))
    return worst(EMAILS, verdicts)


def judge_statuses(rows: Sequence[dict[str, Any]]) -> Check:
    """Statuses with counts, and what reconcile makes of each (client.py PERSON_STATUSES)."""
    if not rows:
        return skipped(STATUSES, f"GET {PERSONS} listed no persons: no status to look at")
    seen: Counter[str] = Counter()
    for row in rows:
        value = row.get("status")
        seen["none" if value is None or value == "" else
             value.strip().upper() if isinstance(value, str) else "unreadable"] += 1
    if seen["unreadable"]:
        return failed(STATUSES, f"{plural(seen['unreadable'], 'person')} carry a status that is not a string: "
                                "reconcile cannot read it, and a run stops there")
    employed = sorted(status for status, yes in PERSON_STATUSES.items() if yes)
    gone = sorted(status for status, yes in PERSON_STATUSES.items() if not yes)
    unknown = {status: count for status, count in seen.items() if status not in PERSON_STATUSES}
    does = (f"{', '.join(employed)} are taken as employed, {', '.join(gone)} as not; people are paired by email "
            "whatever their status (their absences sync either way), the status decides only whether one without "
            "a MOCO user is named in the plan's warnings")
    if unknown:
        return Check(STATUSES, "warn", f"{counted(seen)}: {counted(unknown)} not a status reconcile knows, taken as "
                                       f"employed (the plan says how many came so); {does}")
    return Check(STATUSES, "pass", f"{counted(seen)}: {does}")


async def pagination(ctx: Context) -> Check:
    """Two pages of one person each: the first links to the next, which lists another person."""
    sample = await persons_pages(ctx)
    return judge_pagination(sample.rows, sample.links, sample.complete)


def judge_pagination(rows: Sequence[dict[str, Any]], links: Sequence[str], complete: bool) -> Check:
    if not links:
        return passed(PAGINATION, f"GET {PERSONS}?limit=1 fits one page (one person or none): no next link to "
                                  "follow; reconcile follows `_meta.links.next.href` until it is absent")
    href = links[0]
    where = "an absolute address" if href.startswith(("http://", "https://")) else "a relative address"
    ids = [row.get("id") for row in rows]
    if len(ids) < 2 or ids[0] == ids[1]:
        return failed(PAGINATION, f"`_meta.links.next.href` ({where}) led to a page listing the same person again: "
                                  "reconcile reads such a list twice, then stops the run")
    more = "" if complete else ", and further"
    return passed(PAGINATION, f"`_meta.links.next.href` is {where} ({'with' if 'cursor' in href else 'without'} a "
                              f"cursor); it led to the next person{more}: reconcile follows it until it is absent, "
                              "on the configured host")
