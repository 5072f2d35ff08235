"""The Personio API v2 client: persons, absence types and periods, attendance periods, holidays, employments.

Thin over the HTTP core (`reconciler.systems.http.Service`, given Personio's pager, error reader
and token by `connect.py`): it knows Personio's endpoints and payloads and turns them into the
domain records of `records.py`. It knows nothing of the spec's mapping rules.

Every field is read through a `Record`: one of the wrong type stops the read with an
`UnexpectedResponse` naming the endpoint, the record and the field. `notices` would say which
records were skipped; Personio documents no null that would make a record meaningless, so none is.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from datetime import UTC, date, datetime, time, timedelta
from sys import intern
from typing import Any, Protocol, TypeVar

from reconciler.errors import NotFound, UnexpectedResponse
from reconciler.records import (
    AbsencePeriod,
    AbsenceType,
    AttendancePeriod,
    Holiday,
    Person,
    PersonioEmployment,
    builder,
)
from reconciler.systems.http import DAY, MOMENT, Reader, Record, Service, Source, relied_on
from reconciler.systems.http.together import together
from reconciler.systems.personio import durations, employments, holidays

# Personio documents `person.id` as a comma list on attendance periods; on absence periods it names the
# filter without saying. UNVERIFIED (doctor: personio-filters): a list there too. Either way every answer is filtered
# here again, so a filter Personio ignored costs pages, never correctness.
PERSON_IDS_PER_REQUEST = 50
T = TypeVar("T", bound="_Identified")

SLICE_DAYS = 31  # attendance periods: a long window is read in slices of about a month, at once (pacing still applies)
MAX_SLICES = 12  # and in no more than this many: each slice costs a request, full or not

# How far before the window absence periods are read. Personio documents that its date ranges "match
# overlapping periods" [personio.md §4.4, S9]: then `starts_from.date_time.gte` is the window's lower
# edge and an earlier bound only costs pages. UNVERIFIED (doctor: personio-filters): were it applied literally (periods
# *starting* after it), a period that began before the window and still runs into it (open-ended sickness,
# parental leave) would be missing, and its synced MOCO days planned as deletions; so the read
# starts this far back. German parental leave lasts up to three years a child; a period that began
# earlier still and runs into the window is read only under the documented reading. Before this bound,
# the read had no lower bound at all, and its cost grew with the company's age.
ABSENCE_LOOKBACK = timedelta(days=3 * 366)


def window_slices(start: date, end: date) -> list[tuple[date, date]]:
    """`start`..`end` in consecutive slices of SLICE_DAYS (longer for windows of over MAX_SLICES such slices)."""
    days = max(SLICE_DAYS, -(-((end - start).days + 1) // MAX_SLICES))
    out: list[tuple[date, date]] = []
    first = start
    while True:
        last = min(end, first + timedelta(days=days - 1))
        out.append((first, last))
        if last >= end:
            return out
        first = last + timedelta(days=1)


def _whole(slices: list[dict[str, Any]]) -> dict[str, Any]:
    """One read spanning `slices`: the first's lower bound (if any) and the last's upper bounds."""
    first, last = slices[0], slices[-1]
    return {**{key: value for key, value in last.items() if not key.endswith(".gte")},
            **{key: value for key, value in first.items() if key.endswith(".gte")}}


class _Identified(Protocol):
    """A record of a list read in slices: its id tells the slices' copies of it apart (`_once_each`)."""

    @property
    def id(self) -> str: ...


def _once_each(service: str, path: str, records: list[T]) -> list[T]:
    """Records of several slices, each once. Under the reading that Personio's date ranges match
    overlapping periods, a period can come in two slices; it must come alike (read alike: every field
    this tool reads the same), or the read stops."""
    once = {record.id: record for record in records}
    if len(once) == len(records):  # each listed once (as under the literal reading): nothing to compare
        return records
    kept: dict[Any, T] = {}
    for record in records:
        ident = record.id
        if ident in kept and kept[ident] != record:
            raise UnexpectedResponse(service, f"GET {path} listed {ident} twice, differently, in two slices of the "
                                              "window; read again later")
        kept.setdefault(ident, record)
    return list(kept.values())


def _utc(moment: datetime) -> str:
    """A moment for Personio's `updated_at` filters: its date-time filters take no `Z` and no offset
    (a `Z` was answered 400). UNVERIFIED (doctor: personio-filters): that `updated_at` compares in UTC, as its
    values are written; incremental runs overlap their bound by a margin (plan/scope.py, MARGIN) for this and
    for clock skew."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S")


APP_ID = "RECONCILE"  # X-Personio-App-ID: stable, UPPER_SNAKE_CASE, as Personio asks of integrators
CREATED = Source("Personio", "POST /v2/attendance-periods")
PERIODS = Source("Personio", "GET /v2/absence-periods")
# What `approval.status` is for, in the line that stops a read of absence periods none of which carries it.
APPROVAL_NEEDED = ("to tell approved absences from pending and rejected ones (without it none is approved, and "
                   "every absence synced to MOCO would be deleted)")


class PersonioClient:
    def __init__(self, service: Service) -> None:
        self.service = service
        self.service.headers.setdefault("X-Personio-App-ID", APP_ID)
        self.notices: list[str] = []  # one sentence per record skipped

    # ------------------------------------------------------------------ reads

    async def persons(self) -> list[Person]:
        """Every person; the notices say how many came with a status this tool does not know (PERSON_STATUSES)."""
        read = await self.service.read("/v2/persons", {"limit": 50}, "person", _person_and_status, self.notices)
        unknown = sum(not known for _, known in read)
        if unknown:
            place = self.service.source("GET", "/v2/persons").place
            note = (f"{place}: {unknown} person{' comes' if unknown == 1 else 's come'} with status UNSPECIFIED, "
                    "with none or with one reconcile does not know; taken as employed: their absences sync, and "
                    "one without a MOCO user is named in these warnings")
            if note not in self.notices:
                self.notices.append(note)
        return [person for person, _ in read]

    async def absence_types(self) -> list[AbsenceType]:
        return await self.service.read("/v2/absence-types", {"limit": 100}, "absence type", _absence_type,
                                       self.notices)

    async def absence_periods(self, start: date, end: date, persons: Collection[str] | None = None
                              ) -> list[AbsencePeriod]:
        """Every absence period overlapping `start`..`end` (inclusive), whatever its approval status.

        Only bounds on the start go to Personio: periods starting from ABSENCE_LOOKBACK before the
        window (see there why) to its last day. If Personio applied a `starts_from.date_time.gte` with
        an `ends_at.date_time.lte` literally, open-ended sickness would be missing, and its synced MOCO
        days planned as deletions; bounds on the start alone return every period overlapping the
        window under either reading. The window itself is applied here. One cursor, not slices of the
        window: absence periods are a few pages beside the attendance periods read at the same time,
        and under Personio's documented reading a period crossing two slices would come in both (a
        long sickness in every slice after its start), which costs pages without saving time.
        """
        slices = [{"starts_from.date_time.gte": f"{first.isoformat()}T00:00:00",  # no Z, no offset
                   "starts_from.date_time.lte": f"{last.isoformat()}T23:59:59", "limit": 100}
                  for first, last in [(start - ABSENCE_LOOKBACK, end)]]
        periods = await self._of(persons, "/v2/absence-periods", slices, "absence period", read_absence_period)
        read = [p for p in periods if persons is None or p.person_id in persons]
        relied_on(self.service.source("GET", "/v2/absence-periods"), read, "approval.status", lambda p: bool(p.status),
                  kind="absence period", purpose=APPROVAL_NEEDED)
        return [p for p in read if p.overlaps(start, end)]

    async def attendance_periods(self, start: date, end: date, persons: Collection[str] | None = None
                                 ) -> list[AttendancePeriod]:
        """Every attendance period of the days `start` to `end` (inclusive), of everyone or of `persons`: timed
        and duration-only alike (ATTENDANCE_KINDS). Bounded by `attribution_date`, the day a period counts
        for, as Personio's `start.date_time` filters never return a duration-only period (it has no start)."""
        slices = [{"attribution_date.gte": first.isoformat(), "attribution_date.lte": last.isoformat(),
                   **ATTENDANCE_KINDS, "limit": 100}
                  for first, last in window_slices(start, end)]
        periods = await self._of(persons, "/v2/attendance-periods", slices, "attendance period", _attendance,
                                 _attendance_fast)
        return [p for p in periods if persons is None or p.person_id in persons]

    async def holidays(self, person_ids: Collection[str], start: date, end: date, *, today: date) -> list[Holiday]:
        """The holidays of `person_ids` from `start` to `end` (inclusive), one per person and day, from their
        holiday calendars. Personio takes only days from 10 years before `today` to 3 years after it: the days
        asked for are bounded so (holidays.bounds), and none outside are read. `today` is the caller's (the
        spec's timezone decides it, which this client does not know). Person ids go PERSON_IDS_PER_REQUEST
        (Personio's limit here) to a cursor, all at once; nobody asked for, or no day left, sends nothing."""
        days = holidays.bounds(start, end, today)
        if days is None or not person_ids:
            return []
        wanted = set(person_ids)
        read = await self._of(wanted, holidays.PATH, [holidays.params(*days)], holidays.KIND, holidays.read_holiday)
        return [h for h in read if h.person_id in wanted and days[0] <= h.day <= days[1]]

    async def employments(self, person_ids: Collection[str]) -> list[PersonioEmployment]:
        """The employments of `person_ids`, one list per person read all at once (employments.py); a person
        deleted meanwhile has none. Nobody asked for sends nothing."""
        return await employments.read(self.service, person_ids, self.notices)

    async def departments(self) -> dict[str, str]:
        """Every department, org unit id -> name (employments.py)."""
        return await employments.departments(self.service, self.notices)

    async def _of(self, persons: Collection[str] | None, path: str, slices: list[dict[str, Any]], noun: str,
                  parse: Callable[[Record], T], fast: Callable[[dict[str, Any]], T | None] | None = None) -> list[T]:
        """The list for everyone, or for `persons` (`person.id`, PERSON_IDS_PER_REQUEST at a time), read in
        `slices` of the window at once: cursor pages follow one another, slices need not. Each page is read
        (`parse`, see `Reader`) as it arrives; what cannot be read is raised in the order of the slices."""
        ids = sorted(persons) if persons is not None else []
        chunks = [{"person.id": ",".join(ids[i:i + PERSON_IDS_PER_REQUEST])}
                  for i in range(0, len(ids), PERSON_IDS_PER_REQUEST)] if persons is not None else [{}]
        if persons is not None:  # a few people's records fill a page or two: one cursor, not a slice each
            slices = [_whole(slices)]
        asked = [{**params, **chunk} for params in slices for chunk in chunks]
        readers = [Reader(self.service.source("GET", path, params), noun, parse, fast=fast) for params in asked]
        lists = await together(self.service.pages(path, params, keep=reader) for params, reader in zip(asked, readers))
        return _once_each(self.service.name, path, [record for reader, found in zip(readers, lists)
                                                    for record in reader.done(found, self.notices)])

    async def absence_periods_changed(self, since: datetime) -> list[AbsencePeriod]:
        """Absence periods created or updated at `since` (UTC) or later; deletions are not listed."""
        return await self.service.read("/v2/absence-periods", {"updated_at.gte": _utc(since), "limit": 100},
                                       "absence period", read_absence_period, self.notices)

    async def attendance_periods_changed(self, since: datetime) -> list[AttendancePeriod]:
        """Attendance periods created or updated at `since` (UTC) or later; deletions are not listed."""
        return await self.service.read("/v2/attendance-periods",
                                       {"updated_at.gte": _utc(since), **ATTENDANCE_KINDS, "limit": 100},
                                       "attendance period", _attendance, self.notices, fast=_attendance_fast)

    # ------------------------------------------------------------------ writes

    async def create_attendance(self, person_id: str, start: datetime, end: datetime, comment: str) -> str:
        """Create one approved WORK period; return its id. Never re-sent once it may have arrived."""
        body = {"person": {"id": person_id}, "type": "WORK", "start": {"date_time": _local(start)},
                "end": {"date_time": _local(end)}, "comment": comment}
        response = await self.service.request("POST", "/v2/attendance-periods", params={"skip_approval": "true"},
                                              json=body)
        return created_id(response.body, self.service.source("POST", "/v2/attendance-periods"))

    async def update_attendance(self, period_id: str, start: datetime, end: datetime, comment: str) -> None:
        body = {"start": {"date_time": _local(start)}, "end": {"date_time": _local(end)}, "comment": comment}
        await self.service.request("PATCH", f"/v2/attendance-periods/{period_id}", params={"skip_approval": "true"},
                                   json=body)

    async def create_duration_attendance(self, person_id: str, day: date, length: timedelta, comment: str) -> str:
        """Create one approved duration-only WORK period (a length on a day, no times); return its id. Never
        re-sent once it may have arrived."""
        body = {"person": {"id": person_id}, "type": "WORK", "attribution_date": day.isoformat(),
                "duration": durations.write(length), "comment": comment}
        response = await self.service.request("POST", "/v2/attendance-periods", params={"skip_approval": "true"},
                                              json=body)
        return created_id(response.body, self.service.source("POST", "/v2/attendance-periods"))

    async def update_duration_attendance(self, period_id: str, day: date, length: timedelta, comment: str) -> None:
        """Change a duration-only period's length, day and comment. UNVERIFIED (doctor: personio-writes): that PATCH
        takes `duration` and `attribution_date` as POST does (Personio documents only the create); a refusal fails
        this one change."""
        body = {"attribution_date": day.isoformat(), "duration": durations.write(length), "comment": comment}
        await self.service.request("PATCH", f"/v2/attendance-periods/{period_id}", params={"skip_approval": "true"},
                                   json=body)

    async def delete_attendance(self, period_id: str) -> bool:
        """Delete one period; False when it was already gone."""
        try:
            await self.service.request("DELETE", f"/v2/attendance-periods/{period_id}")
        except NotFound:
            return False
        return True


# UNVERIFIED (doctor: personio-person-statuses): Personio documents a person's `status` as ACTIVE, INACTIVE,
# ONBOARDING, LEAVE, UNSPECIFIED … (personio.md §13.4), and its `status` filter's ACTIVE as "active, leave or
# onboarding employment" (§3.2); what UNSPECIFIED stands for it does not say. ACTIVE, ONBOARDING and LEAVE are
# people employed; INACTIVE is not. Any other status (UNSPECIFIED, none at all as a sparse credential gets, a
# value added later) is taken as employed: the safe side, since `Person.active` only decides whether a person
# nobody in MOCO matches is named in the plan's warnings and `reconcile users` (sync/identity.py pairs people
# whatever their status, so their absences sync either way); `persons` says how many came so.
PERSON_STATUSES = {"ACTIVE": True, "ONBOARDING": True, "LEAVE": True, "INACTIVE": False}  # status -> employed


def _person(r: Record) -> Person:
    return _person_and_status(r)[0]


def _person_and_status(r: Record) -> tuple[Person, bool]:
    """A person, and whether its status is one of PERSON_STATUSES."""
    status = r.text("status").strip().upper()
    person = Person(id=r.key(number=False), email=r.text("email").strip() or None, first_name=r.text("first_name"),
                    last_name=r.text("last_name"), active=PERSON_STATUSES.get(status, True))
    return person, status in PERSON_STATUSES


def _absence_type(r: Record) -> AbsenceType:
    return AbsenceType(id=r.key(number=False), name=r.text("name"), hourly=_hourly(r))


def _attendance(r: Record) -> AttendancePeriod:
    """A period with times, or a duration-only one: `start` null, its day in `attribution_date` and its length
    in `duration` (read in durations.py); its `start` is then midnight of that day. A `duration` beside times
    is not read: the times say it."""
    ident, person, kind = r.key(number=False), r.ref("person", number=False), r.text("type") or "WORK"
    if r.is_null("start"):
        if r.data.get("end") is not None:
            raise r.fail("end", r.value("end"), "null, as a period without start (duration-only) has it")
        return AttendancePeriod(id=ident, person_id=person, kind=kind,
                                start=datetime.combine(r.need("attribution_date", DAY), time()), end=None,
                                comment=r.text("comment"), status=_status(r), duration=durations.read(r))
    end = r.obj("end")
    return AttendancePeriod(
        id=ident, person_id=person, kind=kind, start=r.part("start").need("date_time", MOMENT),
        end=end.get("date_time", MOMENT) if end else None, comment=r.text("comment"), status=_status(r),
    )


# Both kinds of attendance period, on every list read: without it Personio leaves duration-only periods out
# (for backwards compatibility), and a day tracked that way would count twice once synced from MOCO.
ATTENDANCE_KINDS = {"duration_type": "ALL"}
_new_attendance = builder(AttendancePeriod)  # (id, person_id, kind, start, end, comment, status, duration)


def _attendance_fast(row: dict[str, Any]) -> AttendancePeriod | None:
    """An attendance period of the common shape, read without a `Record` (half of a full run's records are
    these): every field there with its plain JSON type and readable. None for any other, which `_attendance`
    reads or words what is wrong with; both read a period of the common shape alike. The values that repeat
    (person, type, approval) are kept once each (memory)."""
    ident, person, start, end = row.get("id"), row.get("person"), row.get("start"), row.get("end")
    if ident.__class__ is not str or not ident or ident.isspace() or person.__class__ is not dict or \
            start.__class__ is not dict or (end is not None and end.__class__ is not dict):
        return None
    person_id, begun = person.get("id"), start.get("date_time")
    ended = end.get("date_time") if end is not None else None
    kind, comment, approval = row.get("type"), row.get("comment"), row.get("approval")
    if person_id.__class__ is not str or not person_id or person_id.isspace() or begun.__class__ is not str or \
            (ended is not None and ended.__class__ is not str) or (kind is not None and kind.__class__ is not str) or \
            (comment is not None and comment.__class__ is not str) or \
            (approval is not None and approval.__class__ is not dict):
        return None
    status = approval.get("status") if approval is not None else None
    if status is not None and status.__class__ is not str:
        return None
    try:
        return _new_attendance(ident, intern(person_id), intern(kind or "WORK"), MOMENT.parse(begun),
                               MOMENT.parse(ended) if ended else None, comment or "", intern(status or ""), None)
    except ValueError:
        return None


def read_absence_period(row: Record | dict[str, Any]) -> AbsencePeriod:
    """A v2 absence period as days. Our reading of day-based periods (UNVERIFIED, DECISIONS.md; doctor:
    absence-periods):

    - `starts_from.date_time` is the first day (its date part); `starts_from.type` SECOND_HALF means
      the first day is afternoon only.
    - `ends_at.date_time` at 00:00 of a later day is exclusive: the absence ends the day before.
      Otherwise its date is the last day. `ends_at.type` FIRST_HALF means the last day is morning only.
    - `ends_at: null` is open-ended.
    """
    r = row if isinstance(row, Record) else Record(PERIODS, "absence period", row)
    ident = r.key(number=False)
    starts = r.part("starts_from")
    first = starts.need("date_time", MOMENT).date()
    ends = r.obj("ends_at")
    end = ends.get("date_time", MOMENT) if ends else None
    last = end.date() if end else None
    if end and last and end.time() == datetime.min.time() and last > first:
        last -= timedelta(days=1)
    return AbsencePeriod(
        id=ident, person_id=r.ref("person", number=False), type_id=r.ref("absence_type", number=False),
        first_day=first, last_day=last, first_day_pm_only=starts.text("type") == "SECOND_HALF",
        last_day_am_only=bool(end and ends and ends.text("type") == "FIRST_HALF"),
        status=_status(r), updated_at=r.text("updated_at"),
    )


def _status(r: Record) -> str:
    approval = r.obj("approval")
    return approval.text("status") if approval else ""


def _hourly(r: Record) -> bool:
    """Whether an absence type is measured in hours. UNVERIFIED (doctor: absence-types) field name for v2: v1
    time-off types say `unit: day|hour` and v1 hourly periods `measurement_unit`; any of these is read."""
    return any(r.text(name).strip().upper().startswith("HOUR") for name in ("unit", "time_unit", "measurement_unit"))


def created_id(body: Any, source: Source = CREATED) -> str:
    """The new id from a 201. UNVERIFIED (doctor: personio-writes) envelope: `id`, `_data.id` and `data.id` are all
    accepted."""
    if isinstance(body, dict):
        answer = Record(source, "attendance period", body)
        for inner in (answer, answer.obj("_data"), answer.obj("data")):
            if inner is not None and inner.data.get("id") not in (None, ""):
                return inner.key(number=False)
    raise source.error(f"{source.endpoint} answered without the new id (none of id, _data.id, data.id)")


def _local(moment: datetime) -> str:
    """Local wall-clock date-time without offset, as Personio v2 wants it."""
    return moment.replace(tzinfo=None, microsecond=0).isoformat()
