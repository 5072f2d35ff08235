"""The ready spec for a seeded company and the environment variables it names, with the sandbox's credentials."""

from __future__ import annotations

from reconciler.sandbox.seed.params import (
    ABSENCE_TYPES,
    DOMAIN,
    MOCO_API_KEY,
    PERSONIO_CLIENT_ID,
    PERSONIO_CLIENT_SECRET,
    SeedParams,
)

# The section `people` of a ready spec with `people`: the teams are the sandbox MOCO's (moco/records.py,
# SEEDED_UNITS), the department a Personio one of the seeded company (personio/records.py, company_departments).
PEOPLE_SECTION = """
people:
  create_in_moco: true
  archive_in_moco: true
  welcome_email: false
  unit:
    default: Team 1
    by_department:
      Engineering: Development
"""


def ready_spec(params: SeedParams, moco_api_root: str, personio_url: str, moco_rate: tuple[int, float],
               personio_rate: tuple[int, float] = (600, 60.0), *, holidays: bool = False, people: bool = False) -> str:
    """A spec for the seeded company, pointing at the running stand-ins; `holidays` syncs the holidays of each
    person's Personio holiday calendars (the demo does); `people` adds the section `people` (PEOPLE_SECTION),
    which creates hires' MOCO users and archives leavers' (the direction people_to_moco)."""
    types = "\n".join(f"    {name}: {kind}" for name, (_c, kind, _u) in ABSENCE_TYPES.items() if kind)
    return f"""\
# A ready spec for the reconcile sandbox (seed {params.seed}, {params.people} people, today {params.today}).
version: 1
start_date: {params.start_date.isoformat()}
timezone: Europe/Berlin

moco:
  base_url: {moco_api_root}
  api_key_env: MOCO_API_KEY
  rate_limit: {{requests: {moco_rate[0]}, per_seconds: {moco_rate[1]:g}}}

personio:
  base_url: {personio_url}
  client_id_env: PERSONIO_CLIENT_ID
  client_secret_env: PERSONIO_CLIENT_SECRET
  rate_limit: {{requests: {personio_rate[0]}, per_seconds: {personio_rate[1]:g}}}

users:
  overrides:
    - personio: jane.doe@{DOMAIN}
      moco: jane@{DOMAIN}
  exclude:
    - robot@{DOMAIN}

absences:
  enabled: true
  until_days: {params.until_days}
  types:
{types}
  unmapped: skip

attendances:
  direction: moco_to_personio

holidays:
  sync: {str(holidays).lower()}
""" + (PEOPLE_SECTION if people else "")


def sandbox_env() -> dict[str, str]:
    """The environment variables the ready spec names, with the sandbox's credentials."""
    return {
        "MOCO_API_KEY": MOCO_API_KEY,
        "PERSONIO_CLIENT_ID": PERSONIO_CLIENT_ID,
        "PERSONIO_CLIENT_SECRET": PERSONIO_CLIENT_SECRET,
    }
