"""The two systems reconcile keeps in sync, and how it talks to them: `http` is the vendor-free
HTTP core (pacing, retries, typed errors), `moco` and `personio` are the clients of each vendor's
API with their paging, error bodies and credentials, and `connect` reads the credentials the spec
names from the environment and opens both clients for one run on one shared session.
"""

from reconciler.systems.connect import (
    Clients,
    Credentials,
    RequiredVariable,
    Tuning,
    open_clients,
    read_credentials,
    required_variables,
)

__all__ = [
    "Clients",
    "Credentials",
    "RequiredVariable",
    "Tuning",
    "open_clients",
    "read_credentials",
    "required_variables",
]
