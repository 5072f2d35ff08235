"""What a read-only check cannot see, said honestly: rate limits (seen only under load), what only a write would
show (doctor never writes), and what only a delivered webhook would show. Each is `skip`, with why it cannot be
seen and what reconcile does either way; a rate-limit check passes when the service's answers name their limit.
"""

from __future__ import annotations

from collections.abc import Mapping

from reconciler.doctor.model import Check, passed, skipped
from reconciler.doctor.reads import rate_headers
from reconciler.spec import RateLimit

BACKS_OFF = ("on a 429 every request to it pauses together, for the Retry-After it names or else one whole window, "
             "and no change fails because of it (docs/http.md)")


def rate_limit(name: str, service: str, key: str, limit: RateLimit, headers: Mapping[str, str] | None) -> Check:
    """From the headers of one of the service's answers (None: none came)."""
    paced = f"reconcile paces below {key} ({limit}); {BACKS_OFF}"
    named = rate_headers(headers or {})
    if named:
        return passed(name, f"{service}'s answers carry {', '.join(named)}: {paced}")
    return skipped(name, f"{service}'s limit shows only under load (a 429), and its answers name none"
                         f"{'' if headers is not None else ' (no answer to look at)'}: {paced}")


def personio_writes() -> Check:
    return skipped("personio-writes", (
        "cannot be seen without writing, and doctor never writes: whether Personio lets this credential create "
        "approved attendance periods (skip_approval=true), the body of a created one (reconcile reads its `id`, "
        "`_data.id` or `data.id`), how it refuses an overlapping or locked period, and whether PATCH takes a "
        "duration-only period's `duration`; each refused write fails that one change, the others go on, and the "
        "first `reconcile apply` shows them"))


def moco_writes() -> Check:
    return skipped("moco-writes", (
        "cannot be seen without writing, and doctor never writes: whether the key may write (an account key can be "
        "read-only) and what MOCO does with a second absence on a day without `overwrite` (reconcile never sends "
        "`overwrite`; it plans each day's absences itself and removes second copies of its own); a refused write "
        "fails that one change, and the first `reconcile apply` shows it"))


def webhook_deliveries() -> Check:
    return skipped("webhook-deliveries", (
        "seen only when a webhook is delivered: whether Personio's token arrives in the Authorization header as "
        "configured, and whether MOCO's webhook key is one per account or one per hook (MOCO_WEBHOOK_SECRET takes "
        "several, comma-separated); `reconcile serve` answers 401 to a delivery it cannot authenticate and counts "
        "it as unauthorized in /metrics"))
