"""The Personio stand-in's aiohttp application: its request pipeline and route table under /v2."""

from __future__ import annotations

from typing import TYPE_CHECKING

from aiohttp import web

from reconciler.sandbox.common import pipeline
from reconciler.sandbox.personio.absences import Absences
from reconciler.sandbox.personio.attendances import Attendances
from reconciler.sandbox.personio.auth import TOKEN_PATH, Tokens
from reconciler.sandbox.personio.employments import Employments
from reconciler.sandbox.personio.errors import rate_limited
from reconciler.sandbox.personio.holidays import Holidays
from reconciler.sandbox.personio.persons import Persons
from reconciler.sandbox.personio.webhooks import Webhooks

if TYPE_CHECKING:
    from reconciler.sandbox.server import Sandbox


def personio_app(sandbox: Sandbox) -> web.Application:
    tokens = Tokens(sandbox)
    persons, absences, attendances = Persons(sandbox), Absences(sandbox), Attendances(sandbox)
    webhooks, holidays, employments = Webhooks(sandbox), Holidays(sandbox), Employments(sandbox)
    app = web.Application(middlewares=[pipeline(sandbox, "personio", tokens.rate_key, rate_limited)])
    r = app.router
    r.add_post(TOKEN_PATH, tokens.token)
    r.add_get("/v2/persons", persons.list_persons)
    r.add_get("/v2/persons/{id}", persons.get_person)
    r.add_get("/v2/persons/{id}/employments", employments.list_employments)
    r.add_get("/v2/org-units", employments.list_org_units)
    r.add_get("/v2/absence-types", absences.list_absence_types)
    r.add_get("/v2/absence-periods", absences.list_absence_periods)
    r.add_delete("/v2/absence-periods/{id}", absences.delete_absence_period)
    r.add_get("/v2/attendance-periods", attendances.list_attendance_periods)
    r.add_post("/v2/attendance-periods", attendances.create_attendance_period)
    r.add_get("/v2/attendance-periods/{id}", attendances.get_attendance_period)
    r.add_patch("/v2/attendance-periods/{id}", attendances.patch_attendance_period)
    r.add_delete("/v2/attendance-periods/{id}", attendances.delete_attendance_period)
    r.add_get("/v2/holidays", holidays.list_holidays)
    r.add_get("/v2/webhooks", webhooks.list_webhooks)
    r.add_get("/v2/webhooks/{id}/events", webhooks.list_events)
    return app
