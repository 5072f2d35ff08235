"""The services' clocks against this machine's and each other's, from the `Date` header of one answer each.

Incremental runs take their bound from the services' clock (`Clients.server_now`: the latest `Date` of their
answers; this machine's when none came) and look back MARGIN (5 minutes) more. So the clocks may differ by
less than MARGIN: more than 60 s apart is a warning, more than MARGIN a failure. A `Date` is whole seconds:
the offset is read to about a second.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta

from reconciler.doctor.model import Check, failed, passed, skipped, warned
from reconciler.errors import ApiError
from reconciler.plan.scope import MARGIN
from reconciler.systems.http import Service

NAME = "clock"
WARN_AFTER = timedelta(seconds=60)


async def offset(service: Service, path: str, params: dict[str, str] | None = None,
                 now: Callable[[], datetime] = lambda: datetime.now(UTC)) -> timedelta | None:
    """How far the service's clock is ahead of ours (behind: negative), from the `Date` of one answer to `path`
    (any answer: an error carries a Date too); None when it sent none."""
    service.last_date = None
    before = now()
    try:
        await service.request("GET", path, params=params)
    except ApiError:
        pass
    after = now()
    stamp = service.last_date
    if stamp is None:
        return None
    middle = before + (after - before) / 2
    return stamp + timedelta(milliseconds=500) - middle  # a Date is the second it falls in


def judge_clock(offsets: Mapping[str, timedelta | None]) -> Check:
    """`offsets`: per service checked, its clock against ours (None: no Date header)."""
    if not offsets:
        return skipped(NAME, "no service could be asked (see the credentials checks)")
    known = {name: value for name, value in offsets.items() if value is not None}
    words = ", ".join(f"{name} {_signed(value)}" if value is not None else f"{name} sent no Date header"
                      for name, value in offsets.items())
    if not known:
        return warned(NAME, f"{words}: incremental runs then take their bound from this machine's clock; keep it "
                            "synchronised (NTP)")
    values = list(known.values())
    apart = max(max(abs(value) for value in values), max(values) - min(values))
    said = f"{words} against this machine"
    does = (f"incremental runs take their bound from the services' clock and look back {_minutes(MARGIN)} more "
            f"(MARGIN)")
    if apart > MARGIN:
        return failed(NAME, f"{said}: more than {_minutes(MARGIN)} apart, so incremental runs may miss changes; "
                            f"{does}; synchronise the clocks (NTP), and run full reconciles until then")
    if apart > WARN_AFTER:
        return warned(NAME, f"{said}: more than {WARN_AFTER.seconds} s apart; {does}, which still covers it")
    return passed(NAME, f"{said} (to about a second): {does}")


def _signed(value: timedelta) -> str:
    seconds = round(value.total_seconds())
    return f"{'+' if seconds >= 0 else '-'}{abs(seconds)} s"


def _minutes(value: timedelta) -> str:
    return f"{int(value.total_seconds() // 60)} min"
