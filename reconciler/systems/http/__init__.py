"""The HTTP core every API client stands on, knowing no vendor: a `Service` per API on one shared
aiohttp session paces requests with a `SlidingWindowLimiter`, retries what is safe under a
`RetryPolicy` (never re-sending a create whose outcome is unknown), and turns refusals into the
typed errors of reconciler/errors.py. What differs between vendors is plugged in by the vendor's
package: the `Authenticator`, the `ErrorReader` for its error bodies, the `Hints` for its messages
and the `Pager` for its lists.
"""

from reconciler.systems.http.auth import Authenticator, StaticAuth
from reconciler.systems.http.errors import ErrorReader, ErrorText, Hints, error_for, read_error_body
from reconciler.systems.http.limiter import Clock, Sleep, SlidingWindowLimiter
from reconciler.systems.http.paging import Pager, unique_by_id, visit
from reconciler.systems.http.retry import IDEMPOTENT, RETRY_STATUSES, Retryable, RetryPolicy, retry_after
from reconciler.systems.http.transport import USER_AGENT, Call, Response, Service, Timeouts

__all__ = [
    "IDEMPOTENT",
    "RETRY_STATUSES",
    "USER_AGENT",
    "Authenticator",
    "Call",
    "Clock",
    "ErrorReader",
    "ErrorText",
    "Hints",
    "Pager",
    "Response",
    "RetryPolicy",
    "Retryable",
    "Service",
    "SlidingWindowLimiter",
    "Sleep",
    "StaticAuth",
    "Timeouts",
    "error_for",
    "read_error_body",
    "retry_after",
    "unique_by_id",
    "visit",
]
