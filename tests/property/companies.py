"""Random companies for the planners' properties, built with `tests.factories.Company`.

Everything is drawn close together on purpose, so records collide: a few people, about two months
of days around the test's today (2026-11-25) and both windows' edges, and every kind of record the
planners tell apart:

- people matched by email with case differences, overrides, excluded people, archived MOCO users,
  inactive Personio persons, people in one system only, two persons sharing an email (rarely);
- MOCO employment patterns: full time, Monday to Thursday, mornings only, Wednesday off, none at all
  (the default pattern), a pattern change inside the window;
- Personio absence periods: approved, pending, rejected; of mapped, unmapped (in Personio or not),
  and hourly types; half days at either end; overlapping; open-ended;
- hand-made MOCO absences of every kind ("not plannable" and public holidays included), and ones
  carrying another direction's marker;
- synced MOCO absences: right, stale (wrong kind or halves, a day the period no longer covers, a
  period that is gone, pending or rejected), duplicated;
- holidays synced in about half the companies (all kinds, only public or only company ones; rarely with
  absences not synced): Personio holidays near the absence window (full and half days, weekends, days of an
  absence period, two entries on one day); synced MOCO public holidays, right, stale (gone from Personio,
  moved to another day, on a vacation day, wrong kind or halves) and duplicated; hand-made public holidays and
  "not plannable" ones on holiday days. Companies without holidays synced still draw them all: a synced
  public holiday then counts as a holiday for absences;
- MOCO presences, running ones and ones over midnight (and start = end, which reads as 24 hours);
- hand-made Personio attendance periods (work and break, open, another direction's marker);
- synced Personio periods: in step, edited, moved, un-approved, duplicated, or naming a presence
  that was deleted.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from hypothesis import strategies as st

from reconciler.plan.snapshot import Window
from reconciler.records import AbsenceKind, AbsencePeriod, AbsenceType, Employment, Holiday, MocoUser, Person, Presence
from reconciler.spec import Spec
from reconciler.sync.ownership import absence_comment, attendance_comment, holiday_comment
from tests.factories import TODAY, TYPES, Company, make_spec

START = date(2026, 11, 2)  # a Monday, the spec's start_date
HOURLY = AbsenceType("t-hour", "Arztbesuch", hourly=True)
ALL_TYPES = (*TYPES, HOURLY)  # t-parental is in Personio, not in the spec: unmapped
TYPE_IDS = ("t-vac", "t-vac", "t-sick", "t-ot", "t-train", "t-parental", "t-hour", "t-unknown")
SPEC_TYPES = ("    Paid vacation: holiday\n    Sick leave: sick_day\n    Overtime compensation: unplannable\n"
              "    Training: absence\n    Arztbesuch: absence\n")

# Days records are drawn from: a week beyond both ends of either window.
ABSENCE_DAYS = (date(2026, 10, 26), date(2026, 12, 23))
PRESENCE_DAYS = (date(2026, 10, 26), date(2026, 11, 28))

PATTERNS = {
    "full time": ([4.0] * 5, [4.0] * 5),
    "Mon-Thu": ([4.0, 4.0, 4.0, 4.0, 0.0], [4.0, 4.0, 4.0, 4.0, 0.0]),
    "mornings": ([5.0] * 5, [0.0] * 5),
    "Wednesday off": ([4.0, 4.0, 0.0, 4.0, 4.0], [4.0, 4.0, 0.0, 4.0, 4.0]),
    "afternoons, Friday off": ([0.0] * 5, [4.0, 4.0, 4.0, 4.0, 0.0]),
}
KINDS = tuple(AbsenceKind)
HANDMADE_KINDS = (AbsenceKind.UNPLANNABLE, AbsenceKind.UNPLANNABLE, AbsenceKind.PUBLIC_HOLIDAY,
                  AbsenceKind.PUBLIC_HOLIDAY, AbsenceKind.HOLIDAY, AbsenceKind.SICK_DAY, AbsenceKind.ABSENCE)
HANDMADE_MOCO_COMMENTS = ("", "", "Arzttermin", "1. Weihnachtstag", "[reconcile] MOCO presence 12")
HANDMADE_PERSONIO_COMMENTS = ("", "", "Workshop", "[reconcile] Personio absence p1")
GHOST_PRESENCE = 9_000_000  # ids of presences deleted in MOCO (synced periods still name them)
HOLIDAY_SPECS = ("holidays: {sync: true}\n", "holidays: {sync: true}\n", "holidays: {sync: true, kinds: [public]}\n",
                 "holidays: {sync: true, kinds: [company]}\n")
HOLIDAY_NAMES = {"public": ("Buß- und Bettag", "1. Weihnachtstag", "Reformationstag"),
                 "company": ("Betriebsausflug", "Heiligabend")}
HOLIDAY_DAY_KINDS = (AbsenceKind.PUBLIC_HOLIDAY, AbsenceKind.PUBLIC_HOLIDAY, AbsenceKind.UNPLANNABLE,
                     AbsenceKind.UNPLANNABLE, AbsenceKind.HOLIDAY)  # hand-made ones on a Personio holiday


@dataclass
class Drawn:
    """A drawn company, the spec it is planned with, and the two windows."""

    company: Company
    spec: Spec
    absence_window: Window
    hours_window: Window
    story: list[str] = field(default_factory=list)  # how it was built, for a failing example's report

    def __repr__(self) -> str:
        return "Drawn(\n  " + "\n  ".join(self.story) + "\n)"

    def _repr_pretty_(self, printer, cycle: bool) -> None:  # noqa: ANN001  (how hypothesis shows an example)
        printer.text(repr(self))


def chance(percent: int) -> st.SearchStrategy[bool]:
    return st.integers(0, 99).map(lambda n: n < percent)


def days_between(first: date, last: date) -> st.SearchStrategy[date]:
    return st.integers(0, (last - first).days).map(lambda n: first + timedelta(days=n))


CLOCK = st.tuples(st.integers(0, 23), st.sampled_from([0, 30])).map(lambda hm: time(*hm))
MINUTES = st.sampled_from([0, 30, 120, 240, 270, 480, 600, 900])


def _case(email: str, how: str) -> str:
    return {"lower": email, "upper": email.upper(), "title": email.title(),
            "first": email[:1].upper() + email[1:]}[how]


@st.composite
def companies(draw: st.DrawFn) -> Drawn:
    until_days = draw(st.sampled_from([7, 21]))
    # Drawn first: a long example's last draws come out as zeros more often than a chance says.
    holiday_spec = draw(st.sampled_from(HOLIDAY_SPECS)) if draw(chance(50)) else ""
    absences = not (holiday_spec and draw(chance(5)))  # holidays alone: synced absences are then another direction's
    company = Company(types=ALL_TYPES)
    story: list[str] = [f"until_days={until_days}"]
    overrides: list[tuple[str, str]] = []
    excludes: list[str] = []
    names = ["ann", "bob", "cyd", "dee"]
    count = draw(st.integers(1, 4))
    for index in range(count):
        local = names[index] if not draw(chance(8)) else names[0]  # rarely: two people share an email
        moco_email = f"{local}@acme.example"
        personio_email = moco_email
        if draw(chance(20)):
            personio_email = f"{local}.x@acme.example"
            if draw(chance(75)) and all(personio_email != p and moco_email != m for p, m in overrides) \
                    and not {personio_email, moco_email} & set(excludes):
                overrides.append((personio_email, moco_email))
        personio_email = _case(personio_email, draw(st.sampled_from(["lower", "lower", "upper", "title", "first"])))
        where = draw(st.sampled_from(["both"] * 8 + ["moco", "personio"]))
        overridden = {email for pair in overrides for email in pair}
        if draw(chance(12)):
            excluded = draw(st.sampled_from([moco_email, personio_email.lower()]))
            if excluded not in overridden and excluded not in excludes:  # the spec refuses either twice
                excludes.append(excluded)
        moco_active, active = not draw(chance(8)), not draw(chance(10))
        pattern_name = draw(st.sampled_from([*PATTERNS, "none", "change"]))
        pattern = PATTERNS.get(pattern_name)
        user, person = company.person(personio_email, moco_email=moco_email, pattern=pattern, active=active,
                                      moco_active=moco_active, in_moco=where != "personio",
                                      in_personio=where != "moco")
        story.append(f"person {personio_email!r} / MOCO {moco_email!r}: {where}, moco_active={moco_active}, "
                     f"active={active}, pattern={pattern_name}")
        if user is not None:
            _employments(draw, company, user, pattern_name, story)
        periods = _periods(draw, company, person, story) if person else []
        holidays = _holidays(draw, company, person, periods, until_days, story) if person else []
        if user is not None:
            _moco_absences(draw, company, user, periods, story)
            _moco_holidays(draw, company, user, periods, holidays, story)
            presences = _presences(draw, company, user, story)
        else:
            presences = []
        if person is not None:
            _attendances(draw, company, person, presences, story)
    extra = ""
    if overrides or excludes:
        extra = "users:\n"
        if overrides:
            extra += "  overrides:\n" + "".join(f"    - {{personio: {p}, moco: {m}}}\n" for p, m in overrides)
        if excludes:
            extra += "  exclude: [" + ", ".join(excludes) + "]\n"
        story.append(extra.replace("\n", " ").strip())
    story.append(holiday_spec.strip() or "holidays not synced")
    if not absences:
        story.append("absences: {enabled: false}")
    extra += holiday_spec
    types = SPEC_TYPES + ("" if absences else "  enabled: false\n")
    spec = make_spec(extra, start=START.isoformat(), until_days=until_days, types=types)
    return Drawn(company, spec, Window(START, TODAY + timedelta(days=until_days)), Window(START, TODAY), story)


def _employments(draw: st.DrawFn, company: Company, user: MocoUser, pattern_name: str, story: list[str]) -> None:
    mine = [e for e in company.employments if e.user_id == user.id]
    if pattern_name == "none":
        company.employments = [e for e in company.employments if e.user_id != user.id]
    elif pattern_name == "change":
        change_day = draw(days_between(date(2026, 11, 16), date(2026, 12, 7)))
        (first,) = mine
        before, after = draw(st.sampled_from(list(PATTERNS))), draw(st.sampled_from(list(PATTERNS)))
        company.employments.remove(first)
        company.employments += [
            Employment(first.id, user.id, None, change_day - timedelta(days=1), tuple(PATTERNS[before][0]),
                       tuple(PATTERNS[before][1])),
            Employment(first.id + 500_000, user.id, change_day, None, tuple(PATTERNS[after][0]),
                       tuple(PATTERNS[after][1])),
        ]
        story.append(f"  pattern {before} until {change_day - timedelta(days=1)}, then {after}")


def _periods(draw: st.DrawFn, company: Company, person: Person, story: list[str]) -> list:
    periods = []
    for _ in range(draw(st.integers(0, 4))):
        first = draw(days_between(*ABSENCE_DAYS))
        last = None if draw(chance(10)) else first + timedelta(days=draw(st.integers(0, 9)))
        period = company.period(person, draw(st.sampled_from(TYPE_IDS)), first.isoformat(),
                                last.isoformat() if last else None, pm_only_first=draw(chance(25)),
                                am_only_last=draw(chance(25)),
                                status=draw(st.sampled_from(["APPROVED"] * 4 + ["PENDING", "REJECTED"])))
        periods.append(period)
        story.append(f"  period {period.id} {period.type_id} {period.status} {first}..{last or 'open'}"
                     f"{' pm-first' if period.first_day_pm_only else ''}"
                     f"{' am-last' if period.last_day_am_only else ''}")
    return periods


def _halves(draw: st.DrawFn) -> tuple[bool, bool]:
    return draw(st.sampled_from([(True, True), (True, True), (True, False), (False, True)]))


def _moco_absences(draw: st.DrawFn, company: Company, user: MocoUser, periods: list, story: list[str]) -> None:
    for _ in range(draw(st.integers(0, 3))):  # hand-made, mostly on a day of an absence period
        am, pm = _halves(draw)
        near = draw(st.sampled_from(periods)) if periods and draw(chance(60)) else None
        day = near.first_day + timedelta(days=draw(st.integers(0, 4))) if near else draw(days_between(*ABSENCE_DAYS))
        absence = company.absence(user, day.isoformat(),
                                  draw(st.sampled_from(HANDMADE_KINDS)), am=am, pm=pm,
                                  comment=draw(st.sampled_from(HANDMADE_MOCO_COMMENTS)))
        story.append(f"  hand-made MOCO absence {absence.id} {absence.day} {absence.kind.value} am={am} pm={pm} "
                     f"{absence.comment!r}")
    for _ in range(draw(st.integers(0, 4))):  # synced earlier, maybe stale
        source = draw(st.sampled_from([p.id for p in periods] + ["p-gone"]))
        period = next((p for p in periods if p.id == source), None)
        if period is not None and draw(chance(70)):
            day = period.first_day + timedelta(days=draw(st.integers(0, 6)))
        else:
            day = draw(days_between(*ABSENCE_DAYS))
        copies = 2 if draw(chance(20)) else 1
        for _copy in range(copies):
            am, pm = _halves(draw)
            absence = company.absence(user, day.isoformat(), draw(st.sampled_from(KINDS)), am=am, pm=pm,
                                      comment=absence_comment(source))
            story.append(f"  synced MOCO absence {absence.id} {day} {absence.kind.value} am={am} pm={pm} "
                         f"for {source}")


def _holidays(draw: st.DrawFn, company: Company, person: Person, periods: list[AbsencePeriod], until_days: int,
              story: list[str]) -> list[Holiday]:
    """The person's Personio holidays: often on a day of one of their absence periods, mostly in the window (a
    few days beyond), now and then two entries on one day (a public and a company holiday, or a full and a
    half day)."""
    holidays: list[Holiday] = []
    near_window = (START - timedelta(days=3), TODAY + timedelta(days=until_days + 3))
    for _ in range(draw(st.integers(0, 4))):
        near = draw(st.sampled_from(periods)) if periods and draw(chance(40)) else None
        days = near_window if draw(chance(80)) else ABSENCE_DAYS
        day = near.first_day + timedelta(days=draw(st.integers(0, 3))) if near else draw(days_between(*days))
        for _entry in range(2 if draw(chance(15)) else 1):
            kind = draw(st.sampled_from(["public", "public", "company"]))
            holiday = company.holiday(person, day.isoformat(), draw(st.sampled_from(HOLIDAY_NAMES[kind])),
                                      half_day=draw(chance(30)), kind=kind)
            holidays.append(holiday)
            story.append(f"  Personio holiday {holiday.id} {day} ({day:%a}) {kind}"
                         f"{' half day' if holiday.half_day else ''}{f' on a day of period {near.id}' if near else ''}")
    return holidays


def _moco_holidays(draw: st.DrawFn, company: Company, user: MocoUser, periods: list[AbsencePeriod],
                   holidays: list[Holiday], story: list[str]) -> None:
    """Public holidays synced earlier (maybe stale), and hand-made absences on Personio holiday days."""
    vacation_days = [p.first_day + timedelta(days=n) for p in periods if p.type_id == "t-vac" for n in range(3)]
    for _ in range(draw(st.integers(0, 3))):
        source = draw(st.sampled_from([h.id for h in holidays] + ["h-gone"]))
        holiday = next((h for h in holidays if h.id == source), None)
        how = draw(st.sampled_from(["on its day"] * 3 + ["another day", "a vacation day"]))
        if holiday is not None and how == "on its day":
            day = holiday.day
        elif how == "a vacation day" and vacation_days:
            day = draw(st.sampled_from(vacation_days))
        else:
            day = draw(days_between(*ABSENCE_DAYS))
        for _copy in range(2 if draw(chance(20)) else 1):
            am, pm = draw(st.sampled_from([(True, True), (True, True), (False, True), (True, False)]))
            kind = AbsenceKind.PUBLIC_HOLIDAY if draw(chance(90)) else draw(st.sampled_from(KINDS))
            absence = company.absence(user, day.isoformat(), kind, am=am, pm=pm, comment=holiday_comment(source))
            story.append(f"  synced MOCO holiday {absence.id} {day} ({day:%a}) {kind.value} am={am} pm={pm} "
                         f"for {source} ({how})")
    for holiday in holidays:
        if draw(chance(25)):
            am, pm = _halves(draw)
            absence = company.absence(user, holiday.day.isoformat(), draw(st.sampled_from(HOLIDAY_DAY_KINDS)),
                                      am=am, pm=pm, comment=draw(st.sampled_from(HANDMADE_MOCO_COMMENTS)))
            story.append(f"  hand-made MOCO absence {absence.id} {absence.day} {absence.kind.value} am={am} pm={pm} "
                         f"{absence.comment!r} on the day of holiday {holiday.id}")


def _presences(draw: st.DrawFn, company: Company, user: MocoUser, story: list[str]) -> list[Presence]:
    presences = []
    for _ in range(draw(st.integers(0, 4))):
        day, start = draw(days_between(*PRESENCE_DAYS)), draw(CLOCK)
        end = None if draw(chance(10)) else \
            (datetime.combine(day, start) + timedelta(minutes=draw(MINUTES))).time()
        presence = company.presence(user, day.isoformat(), start.strftime("%H:%M"),
                                    end.strftime("%H:%M") if end else None)
        presences.append(presence)
        story.append(f"  presence {presence.id} {day} {start:%H:%M}-{f'{end:%H:%M}' if end else 'running'}")
    return presences


def _attendances(draw: st.DrawFn, company: Company, person: Person, presences: list[Presence],
                 story: list[str]) -> None:
    for _ in range(draw(st.integers(0, 2))):  # hand-made, often around a presence
        near = draw(st.sampled_from(presences)) if presences and draw(chance(50)) else None
        if near is not None:
            start = datetime.combine(near.day, near.start) + timedelta(minutes=draw(st.sampled_from([-60, 0, 30, 90])))
        else:
            start = datetime.combine(draw(days_between(*PRESENCE_DAYS)), draw(CLOCK))
        end = None if draw(chance(8)) else start + timedelta(minutes=draw(MINUTES.filter(bool)))
        period = company.attendance(person, start.isoformat(), end.isoformat() if end else None,
                                    comment=draw(st.sampled_from(HANDMADE_PERSONIO_COMMENTS)),
                                    status=draw(st.sampled_from(["CONFIRMED", "CONFIRMED", "PENDING"])),
                                    kind=draw(st.sampled_from(["WORK", "WORK", "BREAK"])))
        story.append(f"  hand-made Personio period {period.id} {start}..{end} {period.kind} {period.comment!r}")
    for _ in range(draw(st.integers(0, 3))):  # synced earlier
        choices = [p.id for p in presences] + [GHOST_PRESENCE + draw(st.integers(0, 3))]
        presence_id = draw(st.sampled_from(choices))
        presence = next((p for p in presences if p.id == presence_id), None)
        copies = 2 if draw(chance(20)) else 1
        for _copy in range(copies):
            how = draw(st.sampled_from(["in step", "in step", "edited", "moved", "a day late"]))
            if presence is not None and presence.end is not None and how != "edited":
                start = datetime.combine(presence.day, presence.start)
                end = datetime.combine(presence.day, presence.end)
                end = end if end > start else end + timedelta(days=1)
                if how == "moved":
                    shift = timedelta(days=draw(st.sampled_from([-1, 1, 2])))
                    start, end = start + shift, end + shift
                elif how == "a day late":
                    end += timedelta(days=1)
            else:
                start = datetime.combine(draw(days_between(*PRESENCE_DAYS)), draw(CLOCK))
                end = start + timedelta(minutes=draw(MINUTES.filter(bool)))
            status = draw(st.sampled_from(["CONFIRMED", "CONFIRMED", "CONFIRMED", "PENDING", "REJECTED"]))
            period = company.attendance(person, start.isoformat(), end.isoformat(),
                                        comment=attendance_comment(presence_id), status=status)
            story.append(f"  synced Personio period {period.id} {start}..{end} {status} for presence {presence_id} "
                         f"({how})")
