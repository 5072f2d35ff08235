"""The MOCO API v1 client: users, employments, schedules (absences), presences (working hours); the teams
and the writes that create and archive users are its `MocoPeople` part (people.py).

Thin over the HTTP core (`reconciler.systems.http.Service`, given MOCO's pager and error reader by
`connect.py`); it knows MOCO's endpoints and payloads and turns them into the domain records of
`records.py`. It knows nothing of the spec's mapping rules.

Every field is read through a `Record`: one of the wrong type stops the read with an
`UnexpectedResponse` naming the endpoint, the record and the field. Where MOCO's OpenAPI spec
allows null and the record means nothing without it (a presence's `from`; the `user` of a
schedule, employment or presence), the record is skipped and `notices` says so.
"""

from __future__ import annotations

import asyncio
from collections.abc import Collection
from datetime import UTC, date, datetime
from functools import partial
from typing import Any

from reconciler.errors import NotFound, UnexpectedResponse
from reconciler.records import AbsenceKind, Employment, MocoAbsence, MocoUser, Presence, builder
from reconciler.systems.http import CLOCK, DAY, MOMENT, Record, Service, Skipped, Source, read_all, relied_on
from reconciler.systems.moco.people import MocoPeople, _user

# UNVERIFIED (doctor: moco-employments): MOCO's docs call `from` required on /users/employments and say
# "`to` can be left blank for all open ended employments" (moco.md §4). That may mean a request without `to`
# has no upper bound (recorded traffic lists ended and open employments that way), or that it lists only the
# open-ended ones; and a request with `to` may leave the open-ended ones out (`to: null` compared
# literally). An ended employment missing from the read leaves its days to the default pattern (Monday to
# Friday), and absences would land on days the person did not work. So employments are read both ways at
# once, from EMPLOYMENTS_FROM without `to` and from EMPLOYMENTS_FROM to EMPLOYMENTS_TO, and merged by id
# (`_merged`): every employment is in one of the two answers under each reading. It costs each employments
# read a second request (a page per 100 employments; per user in a run for some people). An employment
# with from: null came back for a from/to filter (recorded), so `from` leaves none out.
EMPLOYMENTS_FROM = "1970-01-01"
# Far beyond any sync window; a plain date any date parser takes (not 9999-12-31, which some stacks keep
# for "no end" or cannot store with a time zone added).
EMPLOYMENTS_TO = "2999-12-31"  # also the doctor's (moco-employments)


class MocoClient(MocoPeople):  # users' teams and the people writes: people.py
    def __init__(self, service: Service) -> None:
        self.service = service
        self.notices: list[str] = []  # one sentence per record skipped, e.g. a presence with from: null

    # ------------------------------------------------------------------ reads

    async def users(self) -> list[MocoUser]:
        """Every user, archived ones included (they carry active: false)."""
        users: list[MocoUser] = await self.service.read("/users", {"include_archived": "true"}, "user", _user,
                                                        self.notices)
        relied_on(self.service.source("GET", "/users"), users, "email", lambda user: bool(user.email), kind="user",
                  purpose="to match people with Personio's")
        return users

    async def employments(self, users: Collection[int] | None = None) -> list[Employment]:
        """Every employment, or those of `users` (MOCO's `user_id` filter takes one user: two requests each).
        Read both ways (see EMPLOYMENTS_FROM); a read in which no employment carries a pattern stops."""
        employments = await self._per_user(users, lambda extra: self._employments(extra))
        read = [e for e in employments if users is None or e.user_id in users]
        relied_on(self.service.source("GET", "/users/employments"), read, "pattern", lambda e: bool(e.am or e.pm),
                  kind="employment", purpose="to tell a person's working days (without it no day has hours, and "
                                             "the absences synced to them would be deleted)")
        return read

    async def _employments(self, extra: dict[str, Any]) -> list[Employment]:
        """The employments of one read, asked without `to` and with EMPLOYMENTS_TO at once, merged by id."""
        params = {"from": EMPLOYMENTS_FROM, **extra}
        answers = await asyncio.gather(*(
            self.service.read("/users/employments", asked, "employment", _stamped_employment, self.notices)
            for asked in (params, {**params, "to": EMPLOYMENTS_TO})), return_exceptions=True)
        read: list[tuple[Employment, datetime | None]] = []
        for answer in answers:  # the first read's error first, whichever came first
            if isinstance(answer, BaseException):
                raise answer
            read += answer
        return _merged(self.service.endpoint("GET", "/users/employments", params), self.service.name, read)

    async def schedules(self, start: date, end: date, users: Collection[int] | None = None) -> list[MocoAbsence]:
        """Every absence from `start` to `end` (inclusive), of everyone or of `users`."""
        absences = await self._per_user(users, lambda extra: self._schedules(start, end, extra))
        return sorted((a for a in absences if users is None or a.user_id in users), key=lambda a: (a.day, a.id))

    async def _per_user(self, users: Collection[int] | None, read: Any) -> list[Any]:
        """One read of everyone, or one per user (MOCO's `user_id` filter takes one id), at once."""
        if users is None:
            return list(await read({}))
        lists = await asyncio.gather(*(read({"user_id": user_id}) for user_id in sorted(users)))
        return [record for found in lists for record in found]

    async def changed(self, path: str, start: date, end: date, since: datetime) -> list[tuple[int, date]]:
        """(user id, day) of each schedule or presence (`path`) from `start` to `end` created or updated after
        `since` (MOCO's `updated_after`, ISO 8601 UTC; deletions are not listed)."""
        stamp = since.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        params = {"from": start.isoformat(), "to": end.isoformat(), "updated_after": stamp}
        records = await self.service.records(path, params, path.rsplit("/", 1)[-1].rstrip("s"))
        return [(record.ref("user"), record.need("date", DAY)) for record in records if not record.is_null("user")]

    async def _schedules(self, start: date, end: date, extra: dict[str, Any]) -> list[MocoAbsence]:
        """Every absence from `start` to `end` (inclusive).

        The kind comes from `assignment.code`. MOCO added that field in 2024 and every recorded
        payload lacks it, so when any entry comes without it the list is read once per kind with
        the `absence_code` filter instead (DECISIONS.md). Entries that are not absences (project
        schedules from before 2020) are skipped.
        """
        window = {"from": start.isoformat(), "to": end.isoformat(), **extra}
        records = [r for r in await self.service.records("/schedules", window, "schedule") if _is_absence(r)]
        if all(_code(r) is not None for r in records):
            return read_all(records, partial(_absence, kind=None), self.notices)
        by_assignment = await self._kinds_by_assignment(window, records)
        if by_assignment is not None:
            return [absence for record in records
                    if (absence := _read_one(record, by_assignment[_assignment(record)], self.notices))]
        kinds = list(AbsenceKind)
        lists = await asyncio.gather(*(
            self.service.records("/schedules", {**window, "absence_code": kind.code}, "schedule") for kind in kinds
        ))
        seen: dict[Any, AbsenceKind] = {}
        absences = []
        for kind, kind_records in zip(kinds, lists):
            kind_records = [r for r in kind_records if _is_absence(r)]
            for record in kind_records:
                ident = record.key()
                if ident in seen:
                    raise UnexpectedResponse(
                        self.service.name,
                        f"{self.service.endpoint('GET', '/schedules', window)} listed schedule {ident} for "
                        f"absence_code {seen[ident].code} and {kind.code}: the filter seems ignored and, without "
                        "assignment.code, absence kinds cannot be told apart",
                    )
                seen[ident] = kind
            absences += read_all(kind_records, partial(_absence, kind=kind), self.notices)
        return sorted(absences, key=lambda a: (a.day, a.id))

    async def _kinds_by_assignment(self, window: dict[str, Any], records: list[Record]
                                   ) -> dict[Any, AbsenceKind] | None:
        """Without `assignment.code`, the kind of each absence from its `assignment.id`: one schedule of each
        kind (`absence_code` filter, one per page) names the id of that kind's assignment, so the list is
        read once, not once per kind. UNVERIFIED (doctor: moco-schedules) that an account has one assignment per absence
        kind; when two kinds name one id, or an absence has an id no kind named, None: the caller reads per kind."""
        async def one_of(kind: AbsenceKind) -> Any:
            answer = await self.service.request("GET", "/schedules",
                                                params={**window, "absence_code": kind.code, "per_page": 1})
            first = answer.body[0] if isinstance(answer.body, list) and answer.body else None
            assignment = first.get("assignment") if isinstance(first, dict) else None
            return assignment.get("id") if isinstance(assignment, dict) else None

        kinds = list(AbsenceKind)
        ids = await asyncio.gather(*(one_of(kind) for kind in kinds))
        by_assignment = {ident: kind for ident, kind in zip(ids, kinds, strict=True) if ident is not None}
        if len(by_assignment) != sum(ident is not None for ident in ids):
            return None  # two kinds share an assignment: the ids tell nothing
        if any(_assignment(record) not in by_assignment for record in records):
            return None
        return by_assignment

    async def presences(self, start: date, end: date, users: Collection[int] | None = None) -> list[Presence]:
        """Every presence from `start` to `end` (inclusive), of everyone or of `users`."""
        presences = await self._per_user(users, lambda extra: self._presences(start, end, extra))
        return [p for p in presences if users is None or p.user_id in users]

    async def _presences(self, start: date, end: date, extra: dict[str, Any]) -> list[Presence]:
        window = {"from": start.isoformat(), "to": end.isoformat(), **extra}
        return await self.service.read("/users/presences", window, "presence", _presence, self.notices,
                                       fast=_presence_fast, noting=True)

    # ------------------------------------------------------------------ writes

    async def create_schedule(self, user_id: int, day: date, kind: AbsenceKind, *, am: bool, pm: bool,
                              comment: str) -> MocoAbsence:
        """Create one absence. Never retried once sent: an unknown outcome raises OutcomeUnknown. MOCO's
        undocumented `overwrite` is never sent: a day's other absences are the planner's to decide."""
        _check_half(am, pm)
        body: dict[str, Any] = {"date": day.isoformat(), "absence_code": kind.code, "user_id": user_id,
                                "am": am, "pm": pm, "comment": comment}
        response = await self.service.request("POST", "/schedules", json=body)
        return self._written(self.service.source("POST", "/schedules"), response.body, kind)

    async def update_schedule(self, schedule_id: int, *, kind: AbsenceKind, am: bool, pm: bool,
                              comment: str) -> MocoAbsence:
        _check_half(am, pm)
        body = {"absence_code": kind.code, "am": am, "pm": pm, "comment": comment}
        response = await self.service.request("PUT", f"/schedules/{schedule_id}", json=body)
        return self._written(self.service.source("PUT", f"/schedules/{schedule_id}"), response.body, kind)

    async def delete_schedule(self, schedule_id: int) -> bool:
        """Delete one absence; False when it was already gone."""
        try:
            await self.service.request("DELETE", f"/schedules/{schedule_id}")
        except NotFound:
            return False
        return True

    # ------------------------------------------------------------------ parsing

    def _written(self, source: Source, body: Any, kind: AbsenceKind) -> MocoAbsence:
        """The schedule a write answered with; it must be one this tool can read whole."""
        if not isinstance(body, dict):
            raise source.error(f"{source.endpoint} did not answer with the schedule")
        record = Record(source, "schedule", body)
        try:
            absence = _absence(record, kind if _code(record) is None else None)
        except Skipped as skipped:
            raise record.unusable(skipped.reason) from None
        if absence is None:
            raise record.unusable("is of an absence kind this tool does not know")
        return absence


def _owner(r: Record) -> int:
    """The id of the record's user. The OpenAPI spec allows `user: null`: such a record is skipped."""
    if r.is_null("user"):
        raise Skipped("belongs to no user (user: null)")
    return r.ref("user")


def _employment(r: Record) -> Employment:
    ident, user_id = r.key(), _owner(r)
    pattern = r.obj("pattern")
    return Employment(id=ident, user_id=user_id, start=r.get("from", DAY), end=r.get("to", DAY),
                      am=pattern.numbers("am") if pattern else (), pm=pattern.numbers("pm") if pattern else ())


def _stamped_employment(r: Record) -> tuple[Employment, datetime | None]:
    """An employment with its `updated_at` (None when missing or unreadable: only `_merged` looks at it, and
    only for an employment that came differently in the two reads)."""
    stamp = r.value("updated_at")
    try:
        moment = MOMENT.parse(stamp) if isinstance(stamp, str) else None
    except ValueError:
        moment = None
    if moment is not None and moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return _employment(r), moment


def _merged(endpoint: str, service: str, read: list[tuple[Employment, datetime | None]]) -> list[Employment]:
    """The employments of both reads (see EMPLOYMENTS_FROM), each once. One in both answers is the same
    employment: when it came differently (changed between the two reads, which run at once), the copy with
    the later `updated_at` stands; without two different stamps to tell which, the read stops."""
    kept: dict[int, tuple[Employment, datetime | None]] = {}
    for employment, stamp in read:
        seen = kept.get(employment.id)
        if seen is None or seen[0] == employment:
            kept.setdefault(employment.id, (employment, stamp))
            continue
        if seen[1] is None or stamp is None or seen[1] == stamp:
            raise UnexpectedResponse(service, f"{endpoint} listed employment {employment.id} differently with and "
                                              f"without to={EMPLOYMENTS_TO}, under the same updated_at: the read "
                                              "cannot tell which is current; try again in a moment")
        if stamp > seen[1]:
            kept[employment.id] = (employment, stamp)
    return [employment for employment, _ in kept.values()]


def _absence(r: Record, kind: AbsenceKind | None) -> MocoAbsence | None:
    """None for an absence of a kind this tool does not know (left alone as hand-made)."""
    ident, user_id = r.key(), _owner(r)
    if kind is None:
        try:
            code = _code(r)
            if code is None:  # no assignment code: no kind this tool knows
                return None
            kind = AbsenceKind.from_code(code)
        except (KeyError, TypeError, ValueError):
            return None
    return MocoAbsence(
        id=ident, user_id=user_id, day=r.need("date", DAY), kind=kind,
        am=r.flag("am", True), pm=r.flag("pm", True), comment=r.text("comment"),
        symbol=r.optional_int("symbol"),  # the OAS says string; MOCO sends ints
    )


def _presence(r: Record, notices: list[str]) -> Presence:
    """The OpenAPI spec allows `from: null` and `user: null`. Such a presence cannot be synced, but it
    exists: it is read with the unknown part as None, so the period synced from it earlier is left
    alone rather than taken for deleted."""
    ident = r.key()
    user_id = None if r.is_null("user") else r.ref("user")
    start = None if r.is_null("from") else r.need("from", CLOCK)
    for unknown, reason in ((user_id is None, "belongs to no user (user: null)"),
                            (start is None, "has no start time (from: null)")):
        if not unknown:
            continue
        note = r.source.redact(f"{r.source.place}: {r.label} {reason}; not synced, and a period synced from it "
                               "is left alone")
        if note not in notices:
            notices.append(note)
    return Presence(id=ident, user_id=user_id, day=r.need("date", DAY), start=start, end=r.get("to", CLOCK),
                    is_home_office=r.flag("is_home_office", False), updated_at=r.text("updated_at"))


_new_presence = builder(Presence)  # (id, user_id, day, start, end, is_home_office, updated_at)


def _presence_fast(row: dict[str, Any]) -> Presence | None:
    """A presence of the common shape, read without a `Record` (most of a full run's records are presences):
    every field there with its plain JSON type and readable. None for any other, which `_presence` reads,
    words what is wrong with, or notes; both read a presence of the common shape alike."""
    ident, user, day, start = row.get("id"), row.get("user"), row.get("date"), row.get("from")
    if ident.__class__ is not int or user.__class__ is not dict or day.__class__ is not str or \
            start.__class__ is not str:
        return None
    user_id, end, home, updated = user.get("id"), row.get("to"), row.get("is_home_office"), row.get("updated_at")
    if user_id.__class__ is not int or (end is not None and end.__class__ is not str) or \
            (home is not None and home.__class__ is not bool) or (updated is not None and updated.__class__ is not str):
        return None
    try:
        return _new_presence(ident, user_id, DAY.parse(day), CLOCK.parse(start), CLOCK.parse(end) if end else None,
                             home or False, updated or "")
    except ValueError:
        return None


def _check_half(am: bool, pm: bool) -> None:
    if not (am or pm):
        # MOCO answers 500 to am=false with pm=false (ISS #116); a day off is deleted, not emptied.
        raise ValueError("a MOCO absence needs am or pm")


def _is_absence(r: Record) -> bool:
    """Whether a schedule is an absence: pre-2020 project schedules say `assignment.type: Project`."""
    assignment = r.obj("assignment")
    return assignment is None or assignment.text("type", "Absence") == "Absence"


def _assignment(r: Record) -> Any:
    """The id of a schedule's assignment (what is scheduled: an absence kind or a project), or None."""
    assignment = r.obj("assignment")
    ident = assignment.value("id") if assignment else None
    return ident if isinstance(ident, (int, str)) and not isinstance(ident, bool) else None


def _read_one(record: Record, kind: AbsenceKind, notices: list[str]) -> MocoAbsence | None:
    found = read_all([record], partial(_absence, kind=kind), notices)
    return found[0] if found else None


def _code(r: Record) -> int | None:
    assignment = r.obj("assignment")
    return assignment.optional_int("code") if assignment else None
