"""The HTTP core every API client stands on, knowing no vendor: a `Service` per API on one shared
aiohttp session paces requests with a `SlidingWindowLimiter`, retries what is safe under a
`RetryPolicy` (never re-sending a create whose outcome is unknown) within its time bound, turns
refusals into the typed errors of reconciler/errors.py with the credentials masked, and reads
records field by field (`Record`), so that a payload of the wrong shape is an `UnexpectedResponse`.
What differs between vendors is plugged in by the vendor's package: the `Authenticator`, the
`ErrorReader` for its error bodies, the `Hints` for its messages and the `Pager` for its lists.
"""

from reconciler.systems.http.auth import Authenticator, StaticAuth
from reconciler.systems.http.errors import (
    MASK,
    ErrorReader,
    ErrorText,
    Hints,
    error_for,
    read_error_body,
    redact,
    redact_error,
)
from reconciler.systems.http.fields import (
    CLOCK,
    DAY,
    MOMENT,
    Format,
    Reader,
    Record,
    Skipped,
    Source,
    describe,
    read_all,
)
from reconciler.systems.http.limiter import Clock, Sleep, SlidingWindowLimiter
from reconciler.systems.http.paging import Keep, Pager, ids, kept, read_again_once, records, repeated, visit
from reconciler.systems.http.relied import relied_on
from reconciler.systems.http.retry import IDEMPOTENT, RETRY_STATUSES, Deadline, Retryable, RetryPolicy, retry_after
from reconciler.systems.http.transport import USER_AGENT, Call, Response, Service, Timeouts

__all__ = [
    "CLOCK",
    "DAY",
    "IDEMPOTENT",
    "MASK",
    "MOMENT",
    "RETRY_STATUSES",
    "USER_AGENT",
    "Authenticator",
    "Call",
    "Clock",
    "Deadline",
    "ErrorReader",
    "ErrorText",
    "Format",
    "Hints",
    "Keep",
    "Pager",
    "Reader",
    "Record",
    "Response",
    "RetryPolicy",
    "Retryable",
    "Service",
    "Skipped",
    "SlidingWindowLimiter",
    "Sleep",
    "Source",
    "StaticAuth",
    "Timeouts",
    "describe",
    "error_for",
    "ids",
    "kept",
    "read_all",
    "read_again_once",
    "read_error_body",
    "records",
    "redact",
    "redact_error",
    "relied_on",
    "repeated",
    "retry_after",
    "visit",
]
