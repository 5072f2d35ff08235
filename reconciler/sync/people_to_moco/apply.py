"""How the employee lifecycle is made in MOCO. What a change sends is typed here (`NewUser`, `Archive`); the
planner makes it, the plan shows its `to_json()`, and the steps hand its fields to the client as they are.

A hire is one change made of two creates: the user, then its employment, which needs the user's id. Neither is
ever sent twice. Before the user is created, MOCO is asked for a user with that email: one carrying reconcile's
tag and the names sent is an earlier create whose answer was lost (it is taken, and the employment finished);
any other was made meanwhile (nothing is created, and the next plan matches it). The employment is created only when
the user has none covering its first day. A lost answer is resolved the same way (`find_created`), reading
before each write, never by sending again.

A leaver is one update: each open employment ended on the last day, then the user archived (`active: false`).
The employments go first: were the archive to fail, the next plan sees the user still active and archives it;
the other way round, an archived user is matched no more and an open employment would stay open for good.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from reconciler.errors import ApiError, OutcomeUnknown
from reconciler.plan.model import Change, sent_as
from reconciler.records import MocoUser
from reconciler.sync.ownership import USER_TAG
from reconciler.systems.connect import Clients


@dataclass(frozen=True)
class NewEmployment:
    """What `POST /users/employments` sends, but the user's id (known once the user is created)."""

    start: date
    am: tuple[float, ...]  # hours each morning, Monday to Friday
    pm: tuple[float, ...]

    def to_json(self) -> dict[str, Any]:
        return {"from": self.start.isoformat(), "pattern": {"am": list(self.am), "pm": list(self.pm)}}


@dataclass(frozen=True)
class NewUser:
    """What `POST /users` sends, and the employment then created for the new user (None: no weekly hours)."""

    firstname: str
    lastname: str
    email: str
    unit_id: int
    welcome_email: bool
    tags: tuple[str, ...]
    employment: NewEmployment | None

    @property
    def writes(self) -> int:
        return 1 + (self.employment is not None)

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"firstname": self.firstname, "lastname": self.lastname, "email": self.email,
                               "unit_id": self.unit_id, "active": True, "tags": list(self.tags),
                               "welcome_email": self.welcome_email}
        if self.employment is not None:
            out["employment"] = self.employment.to_json()
        return out


@dataclass(frozen=True)
class Archive:
    """What archiving a leaver sends: `PUT /users/employments/{id}` `{"to": last_day}` for each open employment,
    then `PUT /users/{id}` `{"active": false}`."""

    user_id: int
    last_day: date
    ends: tuple[int, ...]  # the employments ended on `last_day`

    @property
    def writes(self) -> int:
        return 1 + len(self.ends)

    def to_json(self) -> dict[str, Any]:
        return {"active": False, "employments": [{"id": ident, "to": self.last_day.isoformat()} for ident in self.ends]}


class PeopleSteps:
    async def create(self, clients: Clients, change: Change) -> None:
        new: NewUser = sent_as(change, NewUser)
        user = await clients.moco.user_by_email(new.email)
        if user is not None and not _ours(user, new):
            raise ApiError("MOCO", f"a user with the email {new.email} was made in MOCO since the plan read it (not "
                                   "by this change); none was created, and the next plan matches that one")
        if user is None:
            user = await clients.moco.create_user(new.firstname, new.lastname, new.email, new.unit_id,
                                                  tags=new.tags, welcome_email=new.welcome_email)
        try:
            await _employ(clients, user, new)
        except ApiError as exc:
            if isinstance(exc, OutcomeUnknown):
                raise  # resolved by re-reading (find_created)
            raise ApiError("MOCO", f"MOCO user {user.id} ({new.email}) was created, but not its employment "
                                   f"({exc}); add the employment in MOCO (reconcile does not add it later)") from None

    async def update(self, clients: Clients, change: Change) -> None:
        archive: Archive = sent_as(change, Archive)
        for employment in archive.ends:
            await clients.moco.end_employment(employment, archive.last_day)
        await clients.moco.archive_user(archive.user_id)

    async def delete(self, clients: Clients, record_id: Any) -> bool:
        raise NotImplementedError("the employee lifecycle never deletes a MOCO user: a plan deleting one is a bug")

    async def find_created(self, clients: Clients, change: Change) -> bool:
        """The user, by email, carrying reconcile's tag; then its employment, created only when it has none."""
        new: NewUser = sent_as(change, NewUser)
        user = await clients.moco.user_by_email(new.email)
        if user is None or not _ours(user, new):
            return False
        await _employ(clients, user, new)
        return True


def _ours(user: MocoUser, new: NewUser) -> bool:
    """Whether a user found by email is this change's earlier create: reconcile's tag, and the names it sent."""
    return USER_TAG in user.tags and (user.first_name, user.last_name) == (new.firstname, new.lastname)


async def _employ(clients: Clients, user: MocoUser, new: NewUser) -> None:
    """The new user's employment, unless one of theirs covers its first day already (an earlier attempt's)."""
    wanted = new.employment
    if wanted is None:
        return
    if any(found.covers(wanted.start) for found in await clients.moco.employments([user.id])):
        return
    await clients.moco.create_employment(user.id, wanted.start, wanted.am, wanted.pm)
