"""A deterministic generator of realistic companies for the stand-ins.

`generate_world(SeedParams(seed=1, people=12, today=...))` gives the same data for the same
parameters, every time. Around `today` it builds what a real company running both systems has:

- Work patterns with part-timers (Mon-Thu, mornings only, Wednesday off) and a pattern change.
- Public holidays (Germany, Berlin) entered in MOCO for every active user, as MOCO admins do.
- Approved vacations spanning weekends, half days at either end, a one-day half absence, sick
  leave (one open-ended), a vacation over a public holiday, overlapping periods, pending and
  rejected requests, an absence of a type the spec does not map, one reaching back before the
  sync start.
- Hand-made MOCO absences: some on days Personio also wants (conflicts), some "not plannable"
  ones there (which a synced absence replaces), some on other days (left alone).
- MOCO presences with a lunch break (two per day), home-office days, one still running today.
- Hand-made Personio attendance periods, one overlapping a presence.
- What an earlier reconcile run wrote and both systems have changed since: absences of the wrong
  kind, shortened, cancelled or rejected; attendance periods of presences since edited or deleted.
- A Personio email written in mixed case, a person whose email differs (a spec override), a
  person only in Personio, a freelancer only in MOCO, an archived MOCO user, a robot account.

`history_days` sets how far back start_date lies (presences from there on), `absence_days_per_year`
adds vacations and sick leave all over the window (the benchmark's company: a year, ~30 days).

params.py holds the parameters and the fixed credentials, holidays.py the public holidays,
company.py the builder's primitives; people.py, absences.py and attendances.py are the seeding
steps that generate.py runs in order; ready.py writes the ready spec and its environment;
synced.py puts a plan's changes straight into a world (the synced state without the writes).
"""

from reconciler.sandbox.seed.generate import generate_world
from reconciler.sandbox.seed.holidays import german_public_holidays
from reconciler.sandbox.seed.params import (
    ABSENCE_TYPES,
    DOMAIN,
    MOCO_API_KEY,
    MOCO_USER_KEY,
    PERSONIO_CLIENT_ID,
    PERSONIO_CLIENT_SECRET,
    SeedParams,
)
from reconciler.sandbox.seed.ready import ready_spec, sandbox_env
from reconciler.sandbox.seed.synced import apply_directly, restamp

__all__ = [
    "ABSENCE_TYPES", "DOMAIN", "MOCO_API_KEY", "MOCO_USER_KEY", "PERSONIO_CLIENT_ID", "PERSONIO_CLIENT_SECRET",
    "SeedParams", "apply_directly", "generate_world", "german_public_holidays", "ready_spec", "restamp",
    "sandbox_env",
]
