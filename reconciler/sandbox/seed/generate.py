"""`generate_world`: builds a seeded company by running the seeding steps in their fixed order."""

from __future__ import annotations

from ..world import World
from .absences import seed_absences, seed_earlier_sync, seed_moco_schedules
from .attendances import seed_earlier_attendance_sync, seed_handmade_attendances, seed_presences
from .company import Company
from .params import SeedParams
from .people import seed_people


def generate_world(params: SeedParams) -> World:
    company = Company(params)
    employees = seed_people(company)
    seed_absences(company, employees)
    seed_moco_schedules(company, employees)
    seed_earlier_sync(company, employees)
    seed_presences(company, employees)
    seed_handmade_attendances(company, employees)
    seed_earlier_attendance_sync(company, employees)
    return World(moco=company.moco, personio=company.personio)
