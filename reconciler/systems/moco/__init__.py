"""MOCO, the time-tracking system, as reconcile reads and writes it through its API v1: users (with their
teams and tags, created and archived: people.py), employments, absences (schedules) and working hours
(presences). `MocoClient` turns MOCO's payloads into domain records; `link_pages` reads its paged lists
(X-Total, Link rel="next"), `read_moco_error` its error bodies, and `moco_hints` says what to check when the
key is refused.
"""

from reconciler.systems.moco.client import MocoClient
from reconciler.systems.moco.errors import moco_hints, read_moco_error
from reconciler.systems.moco.paging import link_pages

__all__ = ["MocoClient", "link_pages", "moco_hints", "read_moco_error"]
