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
  that was deleted;
- the employee lifecycle switched on in about half the companies (`Drawn.people`: creating and archiving, or
  one of them): Personio employments of the people (hire dates past, today or later; weekly hours or none; a
  department mapped to a MOCO team, one not mapped, one Personio does not list, none; rarely one that ended, or
  a missing last name), more persons without a MOCO user (hires), inactive persons with a MOCO user (leavers:
  a termination date in the past or none, rarely today or later; 1-2 MOCO employments, one starting after the
  last day now and then), and now and then a MOCO user no person claims (a freelancer, sometimes carrying
  reconcile's tag). `Drawn.spec` leaves people off, so the properties of the other directions see these
  records but plan as before.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from hypothesis import strategies as st

from reconciler.plan.snapshot import Window
from reconciler.records import AbsenceKind, AbsencePeriod, AbsenceType, Employment, Holiday, MocoUser, Person, Presence
from reconciler.spec import Spec
from reconciler.sync.ownership import USER_TAG, absence_comment, attendance_comment, holiday_comment
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
# The employee lifecycle: (create_in_moco, archive_in_moco), both more often than one.
PEOPLE_SWITCHES = ((True, True), (True, True), (True, False), (False, True))
DEPARTMENTS = {"d-eng": "Engineering", "d-fin": "Finance"}  # Personio's; Engineering maps to a team
DEPARTMENT_IDS = ("d-eng", "d-eng", "d-fin", "d-gone", None)  # d-gone: a department Personio does not list
# Team 1 for everyone else; " engineering" compares equal to Personio's "Engineering".
PEOPLE_UNIT = "unit: {default: Team 1, by_department: {' engineering': Development, Sales: Team 1}}"
# The guard would hold archivals from 3 on (plan/guard.py, MIN_ARCHIVALS): 100 % lets every plan through, so the
# properties apply what `reconcile apply` applies (the guard itself is tested in tests/plan and tests/sync).
PEOPLE_SAFETY = "safety: {max_change_percent: 100}\n"
WEEKLY_HOURS = (40.0, 40.0, 38.3, 20.0, 0.0, None)
HIRE_LOCALS = ("eve", "fay")
LEAVER_LOCALS = ("gus", "hal")
FREELANCER_LOCALS = ("ivy", "jon")
# How often the second extra hire's Personio email is overridden onto the first's MOCO email (two hires, one MOCO
# email): neither is hired (test_planners.two_hires_with_one_moco_email).
SHARED_HIRE_EMAIL_PERCENT = 5


@dataclass
class Drawn:
    """A drawn company, the spec it is planned with, and the two windows."""

    company: Company
    spec: Spec  # the employee lifecycle off
    absence_window: Window
    hours_window: Window
    story: list[str] = field(default_factory=list)  # how it was built, for a failing example's report
    people: Spec | None = None  # `spec` with the employee lifecycle on (None: a company without it)

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
def companies(draw: st.DrawFn, people: bool | None = None) -> Drawn:
    """A company; `people`: with the employee lifecycle on (True), off (False), or either, about half each."""
    until_days = draw(st.sampled_from([7, 21]))
    # Drawn first: a long example's last draws come out as zeros more often than a chance says.
    holiday_spec = draw(st.sampled_from(HOLIDAY_SPECS)) if draw(chance(50)) else ""
    absences = not (holiday_spec and draw(chance(5)))  # holidays alone: synced absences are then another direction's
    lifecycle = draw(st.sampled_from(PEOPLE_SWITCHES)) if (people is None and draw(chance(50))) or people else None
    company = Company(types=ALL_TYPES, departments=dict(DEPARTMENTS) if lifecycle else {})
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
        last_name = _last_name(draw) if lifecycle else ""
        user, person = company.person(personio_email, moco_email=moco_email, pattern=pattern, active=active,
                                      moco_active=moco_active, in_moco=where != "personio",
                                      in_personio=where != "moco", last_name=last_name)
        story.append(f"person {personio_email!r} / MOCO {moco_email!r}: {where}, moco_active={moco_active}, "
                     f"active={active}, pattern={pattern_name}{f', last name {last_name!r}' if lifecycle else ''}")
        if user is not None:
            _employments(draw, company, user, pattern_name, story)
        if lifecycle and person is not None:
            if active:
                _hire(draw, company, person, story)
            else:
                last_day = _leaver(draw, company, person, story)
                if user is not None and draw(chance(50)):
                    _leaver_moco_employments(draw, company, user, last_day, story)
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
    if lifecycle:
        overrides += _more_people(draw, company, *lifecycle, story)
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
    people_spec = None
    if lifecycle:
        create, archive = lifecycle
        switches = f"people: {{create_in_moco: {str(create).lower()}, archive_in_moco: {str(archive).lower()}, "
        people_spec = make_spec(f"{extra}{switches}{PEOPLE_UNIT}}}\n{PEOPLE_SAFETY}", start=START.isoformat(),
                                until_days=until_days, types=types)
        story.append(f"people: create_in_moco={create}, archive_in_moco={archive}")
    return Drawn(company, spec, Window(START, TODAY + timedelta(days=until_days)), Window(START, TODAY), story,
                 people_spec)


def _last_name(draw: st.DrawFn) -> str:
    return "" if draw(chance(5)) else draw(st.sampled_from(["Muster", "von Bergen"]))


def _hire(draw: st.DrawFn, company: Company, person: Person, story: list[str]) -> None:
    """An employed person's Personio employment (mostly one; rarely none, or an older one listed after it): the
    hire date in the past, today or later; weekly hours or none; a department mapped, not mapped, or none."""
    if draw(chance(8)):
        story.append("  no Personio employment")
        return
    when = draw(st.sampled_from(["past", "past", "today", "later"]))
    start = {"past": lambda: draw(days_between(date(2026, 9, 1), TODAY - timedelta(days=1))), "today": lambda: TODAY,
             "later": lambda: draw(days_between(TODAY + timedelta(days=1), date(2027, 1, 31)))}[when]()
    end = draw(days_between(start, TODAY - timedelta(days=1))) if when == "past" and draw(chance(8)) else None
    hours, department = draw(st.sampled_from(WEEKLY_HOURS)), draw(st.sampled_from(DEPARTMENT_IDS))
    employment = company.employment(person, start, end, hours=hours, department=department)
    story.append(f"  Personio employment {employment.id} from {start} ({when}){f' to {end}' if end else ''}, "
                 f"{hours} h, department {department}")
    if draw(chance(10)):  # an earlier one, listed after the current one
        older = company.employment(person, date(2020, 1, 1), date(2021, 6, 30), hours=20.0, department="d-fin")
        story.append(f"  older Personio employment {older.id} 2020-01-01..2021-06-30")


def _leaver(draw: st.DrawFn, company: Company, person: Person, story: list[str]) -> date:
    """An inactive person's Personio employment: a termination date in the past or none (rarely today or later,
    rarely no employment at all); their last day as the lifecycle takes it (none: yesterday)."""
    yesterday = TODAY - timedelta(days=1)
    if draw(chance(8)):
        story.append("  no Personio employment")
        return yesterday
    when = draw(st.sampled_from(["past", "past", "past", "none", "none", "today", "later"]))
    end = {"past": lambda: draw(days_between(date(2026, 9, 1), yesterday)), "none": lambda: None,
           "today": lambda: TODAY, "later": lambda: TODAY + timedelta(days=draw(st.integers(1, 30)))}[when]()
    employment = company.employment(person, date(2024, 3, 1), end, hours=draw(st.sampled_from(WEEKLY_HOURS)),
                                    department=draw(st.sampled_from(DEPARTMENT_IDS)))
    story.append(f"  Personio employment {employment.id} from 2024-03-01, terminated {end or 'never'} ({when})")
    return end or yesterday


def _leaver_moco_employments(draw: st.DrawFn, company: Company, user: MocoUser, last_day: date,
                             story: list[str]) -> None:
    """A leaver's MOCO employments, drawn anew: one open, or two, the second from a day before, on or after the
    last day (then left as it is), the first ending the day before that."""
    company.employments = [e for e in company.employments if e.user_id != user.id]
    am, pm = PATTERNS["full time"]
    first_start = draw(st.sampled_from([None, date(2024, 3, 1), date(2026, 8, 3)]))
    if draw(chance(50)):
        company.employments.append(Employment(user.id + 700_000, user.id, first_start, None, tuple(am), tuple(pm)))
        story.append(f"  MOCO employment {user.id + 700_000} from {first_start or 'ever'}, open")
        return
    split = last_day + timedelta(days=draw(st.sampled_from([-20, -1, 0, 1, 5])))
    second_end = draw(st.sampled_from([None, None, last_day, split + timedelta(days=60)]))
    if second_end is not None and second_end < split:
        second_end = None
    company.employments += [
        Employment(user.id + 700_000, user.id, first_start, split - timedelta(days=1), tuple(am), tuple(pm)),
        Employment(user.id + 800_000, user.id, split, second_end, tuple(am), tuple(pm)),
    ]
    story.append(f"  MOCO employments {user.id + 700_000} from {first_start or 'ever'} to {split - timedelta(days=1)}, "
                 f"{user.id + 800_000} from {split} to {second_end or 'open'}")


def _more_people(draw: st.DrawFn, company: Company, create: bool, archive: bool, story: list[str]
                 ) -> list[tuple[str, str]]:
    """Beyond the people above: persons without a MOCO user (hires; one at least while create_in_moco), inactive
    persons with one (leavers; one at least while archive_in_moco), and a MOCO user no person claims (a
    freelancer; sometimes carrying reconcile's tag, as one it created would). Rarely the second hire's Personio
    email is overridden onto the first's (two hires, one MOCO email): the override is returned."""
    overrides = []
    for index, local in enumerate(HIRE_LOCALS[:draw(st.integers(int(create), 2))]):
        email = f"{local}@acme.example"
        if index and draw(chance(SHARED_HIRE_EMAIL_PERCENT)):
            email = f"{local}.x@acme.example"
            overrides.append((email, f"{HIRE_LOCALS[0]}@acme.example"))
        _, person = company.person(email, in_moco=False, last_name=_last_name(draw))
        story.append(f"hire {email} (only in Personio), last name {person.last_name!r}")
        _hire(draw, company, person, story)
    for local in LEAVER_LOCALS[:draw(st.integers(int(archive), 2))]:
        user, person = company.person(f"{local}@acme.example", active=False, last_name="Muster")
        story.append(f"leaver {local}@acme.example (inactive in Personio, active in MOCO)")
        last_day = _leaver(draw, company, person, story)
        _leaver_moco_employments(draw, company, user, last_day, story)
    for local in FREELANCER_LOCALS[:draw(st.integers(0, 2)) if draw(chance(50)) else 0]:
        tags = (USER_TAG,) if draw(chance(30)) else ("freelance",) if draw(chance(50)) else ()
        user, _ = company.person(f"{local}@freelance.example", in_personio=False,
                                 moco_active=not draw(chance(15)))
        company.users[company.users.index(user)] = user = MocoUser(user.id, user.email, user.first_name, "Extern",
                                                                   user.active, tags, 1, "Team 1")
        story.append(f"freelancer {user.email} (only in MOCO), active={user.active}, tags={tags}")
    return overrides


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
