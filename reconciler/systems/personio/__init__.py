"""Personio, the HR system, as reconcile reads and writes it through its API v2: persons, absence
types and periods, attendance periods. `PersonioClient` turns Personio's payloads into domain
records; `PersonioToken` holds the OAuth2 client-credentials token, `cursor_pages` reads its
cursor-paged lists, `read_personio_error` its problem+json error bodies, and `personio_hints`
says what to check when the credential is refused.
"""

from reconciler.systems.personio.auth import PersonioToken
from reconciler.systems.personio.client import PersonioClient, created_id, read_absence_period
from reconciler.systems.personio.errors import personio_hints, read_personio_error
from reconciler.systems.personio.paging import cursor_pages

__all__ = [
    "PersonioClient",
    "PersonioToken",
    "created_id",
    "cursor_pages",
    "personio_hints",
    "read_absence_period",
    "read_personio_error",
]
