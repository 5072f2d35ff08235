"""What a seeded company is made from: the parameters, its mail domain, the sandbox's fixed
credentials, and its Personio absence types with the MOCO kinds the ready spec maps them to."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

DOMAIN = "acme.example"
MOCO_API_KEY = "sandbox-moco-account-key"
MOCO_USER_KEY = "sandbox-moco-user-key"  # a plain user key without staff rights (403 on /users)
PERSONIO_CLIENT_ID = "sandbox-client"
PERSONIO_CLIENT_SECRET = "sandbox-secret"

# Personio absence types of the seeded company: category, the MOCO kind the ready spec maps them to,
# and unit. "Parental leave" is left unmapped so plans show the unmapped-type warning; "Arztbesuch"
# is measured in hours, which MOCO's whole and half days cannot hold.
ABSENCE_TYPES = {
    "Paid vacation": ("paid_vacation", "holiday", "DAY"),
    "Sick leave": ("sick_leave", "sick_day", "DAY"),
    "Overtime compensation": ("other", "unplannable", "DAY"),
    "Training": ("offsite_work", "absence", "DAY"),
    "Arztbesuch": ("other", "absence", "HOUR"),
    "Parental leave": ("maternity_parental_leave", None, "DAY"),
}


@dataclass(frozen=True)
class SeedParams:
    seed: int = 1
    people: int = 12  # employees in both systems; a few people in only one system come on top
    today: date = field(default_factory=date.today)
    history_days: int = 42  # the ready spec's start_date lies this far back (on a Monday)
    until_days: int = 120  # the ready spec's absences.until_days; absences are seeded that far ahead
    # 0: only the cases above (about two weeks a person). N: approved vacations and sick leave are added
    # all over start_date .. today + until_days until each employee is away about N working days a
    # year (the benchmark's company: history_days=365, absence_days_per_year=30).
    absence_days_per_year: int = 0
    # 0: none. N: N days on which someone tracked their hours in Personio as a duration-only period (no times)
    # while MOCO has that day's presences too: conflicts, nothing written there (seed/attendances.py).
    duration_only_days: int = 0
    # False: none. True: on top of everything above, the employee lifecycle's cases (issue 24, the direction
    # people_to_moco): hires without a MOCO user, a leaver and a pending leaver with one (seed/people.py, LIFECYCLE).
    lifecycle: bool = False

    @property
    def start_date(self) -> date:
        start = self.today - timedelta(days=self.history_days)
        return start - timedelta(days=start.weekday())
