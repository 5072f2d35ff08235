"""`generate_world`: builds a seeded company by running the seeding steps in their fixed order."""

from __future__ import annotations

from reconciler.sandbox.seed.absences import (
    seed_absences,
    seed_earlier_sync,
    seed_moco_schedules,
    seed_year_round_absences,
)
from reconciler.sandbox.seed.attendances import (
    seed_duration_only_attendances,
    seed_earlier_attendance_sync,
    seed_handmade_attendances,
    seed_presences,
)
from reconciler.sandbox.seed.company import Company
from reconciler.sandbox.seed.params import SeedParams
from reconciler.sandbox.seed.people import seed_employments, seed_offices, seed_people
from reconciler.sandbox.world import World


def generate_world(params: SeedParams) -> World:
    company = Company(params)
    employees = seed_people(company)
    seed_absences(company, employees)
    seed_year_round_absences(company, employees)
    seed_moco_schedules(company, employees)
    seed_earlier_sync(company, employees)
    seed_presences(company, employees)
    seed_handmade_attendances(company, employees)
    seed_earlier_attendance_sync(company, employees)
    seed_duration_only_attendances(company, employees)
    seed_offices(company)
    seed_employments(company, employees)
    return World(moco=company.moco, personio=company.personio)
