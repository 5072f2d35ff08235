"""The MOCO stand-in: the parts of MOCO API v1 that reconcile uses, awkward where MOCO is.

Faithful to ../shared/api/moco.md and the recorded traffic in ../shared/api/samples/:
- `Authorization: Token token=KEY` (or `Bearer KEY`); 401 `{"message": "Unauthorized"}` otherwise.
  A plain user key without staff rights gets 403 with an empty body on /users and employments,
  and sees only its owner's schedules and presences.
- Pages of at most 100, `X-Page`/`X-Per-Page`/`X-Total` as strings, `Link` with absolute URLs and
  sorted query parameters, `rel="last"` before `rel="next"`, no `Link` at all on a single page.
- Creates answer 200 (not 201); DELETE /schedules answers 200 with the deleted object, DELETE
  presences 204. 422 bodies are bare field maps with German messages; `am=false` with `pm=false`
  and malformed times answer 500 with a text/plain page. 403 and 404 bodies are empty.
- `assignment.name` is German; `assignment.code` is a string (and absent with a knob, as in all
  recordings). Weekends are accepted.

- Users are created (`POST /users`: firstname, lastname, email, unit_id; a taken email is 422) and changed
  (`PUT /users/{id}`, `active: false` archives); `GET /units` lists the teams ("Team 1", "Development",
  "Sales"); employments are created (`from` defaults to today; an overlapping one is 422: UNVERIFIED, doctor:
  moco-writes) and changed (`PUT`/`PATCH`, e.g. `to`). Staff keys only; each write raises the `User` web hook.

routes.py builds the application; service.py holds what every handler shares (auth, pages,
filters), errors.py the refusals; users.py (users, teams), employments.py, schedules.py and presences.py
the handlers; records.py the stored records.
"""

from reconciler.sandbox.moco.routes import API, moco_app

__all__ = ["API", "moco_app"]
