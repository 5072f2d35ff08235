"""The MOCO stand-in's aiohttp application: its request pipeline and route table under /api/v1."""

from __future__ import annotations

from typing import TYPE_CHECKING

from aiohttp import web

from reconciler.sandbox.common import pipeline
from reconciler.sandbox.moco.employments import Employments
from reconciler.sandbox.moco.errors import rate_limited
from reconciler.sandbox.moco.presences import Presences
from reconciler.sandbox.moco.schedules import Schedules
from reconciler.sandbox.moco.users import Users
from reconciler.sandbox.moco.web_hooks import WebHooks

if TYPE_CHECKING:
    from reconciler.sandbox.server import Sandbox

API = "/api/v1"


def moco_app(sandbox: Sandbox) -> web.Application:
    app = web.Application(middlewares=[pipeline(sandbox, "moco", lambda request: None, rate_limited)])
    users, schedules, presences = Users(sandbox), Schedules(sandbox), Presences(sandbox)
    employments = Employments(sandbox)
    r = app.router
    r.add_get(f"{API}/users/employments", users.list_employments)
    r.add_post(f"{API}/users/employments", employments.create_employment)
    r.add_get(f"{API}/users/employments/{{id}}", employments.get_employment)
    r.add_put(f"{API}/users/employments/{{id}}", employments.update_employment)
    r.add_patch(f"{API}/users/employments/{{id}}", employments.update_employment)
    r.add_get(f"{API}/users/presences", presences.list_presences)
    r.add_post(f"{API}/users/presences", presences.create_presence)
    r.add_get(f"{API}/users/presences/{{id}}", presences.get_presence)
    r.add_put(f"{API}/users/presences/{{id}}", presences.update_presence)
    r.add_patch(f"{API}/users/presences/{{id}}", presences.update_presence)
    r.add_delete(f"{API}/users/presences/{{id}}", presences.delete_presence)
    r.add_get(f"{API}/users", users.list_users)
    r.add_post(f"{API}/users", users.create_user)
    r.add_get(f"{API}/users/{{id}}", users.get_user)  # after /users/employments and /users/presences
    r.add_put(f"{API}/users/{{id}}", users.update_user)
    r.add_get(f"{API}/units", users.list_units)
    r.add_get(f"{API}/units/{{id}}", users.get_unit)
    r.add_get(f"{API}/session", users.session)
    r.add_get(f"{API}/schedules", schedules.list_schedules)
    r.add_post(f"{API}/schedules", schedules.create_schedule)
    r.add_get(f"{API}/schedules/{{id}}", schedules.get_schedule)
    r.add_put(f"{API}/schedules/{{id}}", schedules.update_schedule)
    r.add_patch(f"{API}/schedules/{{id}}", schedules.update_schedule)
    r.add_delete(f"{API}/schedules/{{id}}", schedules.delete_schedule)
    hooks = WebHooks(sandbox)
    r.add_get(f"{API}/account/web_hooks", hooks.list_web_hooks)
    r.add_post(f"{API}/account/web_hooks", hooks.create_web_hook)
    r.add_get(f"{API}/account/web_hooks/{{id}}", hooks.get_web_hook)
    r.add_delete(f"{API}/account/web_hooks/{{id}}", hooks.delete_web_hook)
    return app
