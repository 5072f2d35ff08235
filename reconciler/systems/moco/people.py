"""MOCO's people: users read with their tags and team, the teams (`GET /units`), and the writes that create a
user with an employment (weekly pattern) and, when the person leaves, end it and archive the user.

`MocoPeople` is a part of `MocoClient` (client.py), kept here so that the client stays small; it uses the
client's `service` and `notices` only. Facts: shared/api/moco.md section 4 and "Added 2026-12";
everii-Group/mocoapp-api-docs `sections/users.md`, `units.md`, `employments.md`.

A create (`POST /users`, `POST /users/employments`) is never sent twice: the HTTP core re-sends no POST that
may have arrived, it raises `OutcomeUnknown` and the caller reads again to decide. The PUTs are idempotent,
and every answer is read whole, strictly, as the client reads its lists.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date
from typing import TYPE_CHECKING, Any, TypeVar, cast

from reconciler.records import Employment, MocoUnit, MocoUser
from reconciler.systems.http import Record, Service, Skipped, Source

if TYPE_CHECKING:
    from reconciler.systems.moco.client import MocoClient

T = TypeVar("T")

# MOCO's patterns name Monday to Friday (moco.md section 4: every example and recording has 5 entries;
# UNVERIFIED (doctor: moco-writes) that other lengths are taken): a pattern of any other length is never sent.
PATTERN_DAYS = 5


class MocoPeople:
    """The people calls of `MocoClient`."""

    service: Service
    notices: list[str]

    # ------------------------------------------------------------------ reads

    async def units(self) -> list[MocoUnit]:
        """Every team (MOCO's units), paged like every list; the users each lists are not read."""
        return await self.service.read("/units", None, "unit", _unit, self.notices)

    async def user_by_email(self, email: str) -> MocoUser | None:
        """The user with this email (compared lower-cased, also here in case MOCO ignored the filter), archived
        ones included; None when there is none. Two users with one email cannot be told apart: that raises."""
        from reconciler.systems.moco.narrow import users_by_emails

        wanted = email.strip().lower()
        found = await users_by_emails(cast("MocoClient", self), [wanted])
        if len(found) > 1:
            source = self.service.source("GET", "/users", {"include_archived": "true", "email": wanted})
            raise source.error(f"{source.endpoint.split('?')[0]} lists {len(found)} users with the email "
                               f"{wanted} (ids {', '.join(str(u.id) for u in sorted(found, key=lambda u: u.id))}): "
                               "which one is meant cannot be told")
        return found[0] if found else None

    # ------------------------------------------------------------------ writes

    async def create_user(self, firstname: str, lastname: str, email: str, unit_id: int, *, tags: Sequence[str],
                          welcome_email: bool, active: bool = True) -> MocoUser:
        """Create one user in team `unit_id`. No password is sent (today's docs require none). Never retried
        once sent: an unknown outcome raises OutcomeUnknown."""
        body: dict[str, Any] = {"firstname": firstname, "lastname": lastname, "email": email.strip().lower(),
                                "unit_id": unit_id, "active": active, "tags": list(tags),
                                "welcome_email": welcome_email}
        response = await self.service.request("POST", "/users", json=body)
        return _answered(self.service.source("POST", "/users"), "user", response.body, _user)

    async def archive_user(self, user_id: int) -> MocoUser | None:
        """Archive (deactivate) one user, sending `active: false` alone. MOCO's employment is not ended by it
        (users.md: "must be terminated separately"): see `end_employment`. The user as MOCO answered, None
        when the answer is empty; an answer that shows the user still active raises."""
        path = f"/users/{user_id}"
        response = await self.service.request("PUT", path, json={"active": False})
        if response.body is None:
            return None
        user = _answered(self.service.source("PUT", path), "user", response.body, _user)
        if user.active:
            raise self.service.source("PUT", path).error(f"PUT {path} answered with the user still active")
        return user

    async def create_employment(self, user_id: int, start: date, am: Sequence[float], pm: Sequence[float]
                                ) -> Employment:
        """Create one open-ended employment from `start`, hours per morning and afternoon Monday to Friday.
        Never retried once sent: an unknown outcome raises OutcomeUnknown."""
        _check_pattern(am, pm)
        body = {"user_id": user_id, "from": start.isoformat(), "pattern": {"am": list(am), "pm": list(pm)}}
        response = await self.service.request("POST", "/users/employments", json=body)
        return _answered(self.service.source("POST", "/users/employments"), "employment", response.body,
                         _employment)

    async def end_employment(self, employment_id: int, last_day: date) -> Employment | None:
        """End one employment on `last_day` (inclusive), sending `to` alone. The employment as MOCO answered,
        None when the answer is empty; an answer that shows another end raises."""
        path = f"/users/employments/{employment_id}"
        response = await self.service.request("PUT", path, json={"to": last_day.isoformat()})
        if response.body is None:
            return None
        employment = _answered(self.service.source("PUT", path), "employment", response.body, _employment)
        if employment.end != last_day:
            raise self.service.source("PUT", path).error(
                f"PUT {path} answered with the employment ending {employment.end or 'never'}, not {last_day}")
        return employment


# ---------------------------------------------------------------------- parsing


def _user(r: Record) -> MocoUser:
    """A user. `tags` and `unit` are read leniently: no direction relies on them yet for anything but telling a
    user reconcile created (a tag), where a malformed list reads as no tags, the safe side (not reconcile's);
    a run that syncs absences must not stop on a field it does not use."""
    raw = r.data.get("unit")
    unit = raw if isinstance(raw, dict) else {}
    ident, name = unit.get("id"), unit.get("name")
    return MocoUser(id=r.key(), email=r.text("email").strip().lower(), first_name=r.text("firstname"),
                    last_name=r.text("lastname"), active=r.flag("active", True), tags=_texts(r.data.get("tags")),
                    unit_id=ident if isinstance(ident, int) and not isinstance(ident, bool) else None,
                    unit_name=name if isinstance(name, str) else "")


def _unit(r: Record) -> MocoUnit:
    return MocoUnit(id=r.key(), name=r.text("name"))


def _employment(r: Record) -> Employment:
    from reconciler.systems.moco.client import _employment as read

    return read(r)


def _texts(value: object) -> tuple[str, ...]:
    """A list of strings; empty when missing, null or not a list of strings."""
    if not isinstance(value, list) or not all(isinstance(entry, str) for entry in value):
        return ()
    return tuple(value)


def _answered(source: Source, kind: str, body: Any, parse: Callable[[Record], T]) -> T:
    """The record a write answered with; it must be one this tool can read whole."""
    if not isinstance(body, dict):
        raise source.error(f"{source.endpoint} did not answer with the {kind}")
    record = Record(source, kind, body)
    try:
        return parse(record)
    except Skipped as skipped:
        raise record.unusable(skipped.reason) from None


def _check_pattern(am: Sequence[float], pm: Sequence[float]) -> None:
    if len(am) != PATTERN_DAYS or len(pm) != PATTERN_DAYS:
        raise ValueError(f"a MOCO pattern has {PATTERN_DAYS} mornings and {PATTERN_DAYS} afternoons (Monday to "
                         f"Friday), not {len(am)} and {len(pm)}")
    if any(hours < 0 for hours in (*am, *pm)):
        raise ValueError("a MOCO pattern has no negative hours")
