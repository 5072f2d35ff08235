"""The Personio stand-in: the parts of Personio API v2 that reconcile uses.

Faithful to ../shared/api/personio.md and DECISIONS.md:
- `POST /v2/auth/token`, form-encoded client credentials → a 24 h bearer token; errors in the flat
  OAuth shape (`error`, `error_description`, ...), 401 for a wrong secret. 150 token requests/min.
- Bearer auth everywhere else; 401 problem+json `{personio_trace_id, timestamp, errors[]}`.
- Cursor pages: `_data` plus `_meta.links.next.href` (absolute; relative with a knob), absent on
  the last page. The next link carries only the cursor: filters and limit live inside it.
  `limit` above the endpoint's maximum is a 400.
- Date-time filters carrying `Z` or an offset answer 400 "Invalid request content".
- Attendance periods: POST honours `skip_approval` (default false → PENDING), 201 with the id;
  PATCH and DELETE answer 204; start after end is a 422 problem.
- Webhooks: one config, created with the world and enabled for every absence and attendance period
  event; every create, update and delete of a period (through the API or the side door) records an
  event, listed by `GET /v2/webhooks/{id}/events` (30 days, `occurred_at.gte/.lte`, `event_name`,
  cursor pages). Needs `personio:webhooks:read` (a scope in `withheld_scopes` answers 403).
- Holidays (§13.2): `GET /v2/holidays`, one entry per person and date from the holiday calendars of the
  person's office and of the company, worked out per request; `person.id` (≤ 50), `date.gte` and `date.lte`
  required, the range within 10 years back and 3 ahead of the sandbox's today. Needs `personio:absences:read`.
- Employments: `GET /v2/persons/{id}/employments` (one per person, from its hire and termination dates, weekly
  hours and department; cursor pages, limit ≤ 50, 404 for an unknown person) and the departments,
  `GET /v2/org-units?type=department`. Both need `personio:persons:read`.

routes.py builds the application; auth.py issues and checks tokens; service.py holds what every
handler shares (cursor pages, filters), errors.py the refusals; persons.py, absences.py,
attendances.py, holidays.py, employments.py and webhooks.py the handlers; records.py the stored records; calendars.py
which days each holiday calendar holds.
"""

from reconciler.sandbox.personio.routes import personio_app

__all__ = ["personio_app"]
