"""The MOCO API v1 client: users, employments, schedules (absences), presences (working hours).

Thin over the HTTP core (`reconciler.systems.http.Service`, given MOCO's pager and error reader by
`connect.py`); it knows MOCO's endpoints and payloads and turns them into the domain records of
`records.py`. It knows nothing of the spec's mapping rules.
"""

from __future__ import annotations

import asyncio
from datetime import date, time
from typing import Any

from reconciler.errors import NotFound, UnexpectedResponse
from reconciler.records import AbsenceKind, Employment, MocoAbsence, MocoUser, Presence
from reconciler.systems.http import Service

# UNVERIFIED: the docs call `from` required on /users/employments, while recorded traffic lists
# employments without it, and an employment with from: null came back for a from/to filter.
# Sending from=1970-01-01 and no `to` yields every employment under either reading.
EMPLOYMENTS_FROM = "1970-01-01"


class MocoClient:
    def __init__(self, service: Service) -> None:
        self.service = service

    # ------------------------------------------------------------------ reads

    async def users(self) -> list[MocoUser]:
        """Every user, archived ones included (they carry active: false)."""
        rows = await self.service.pages("/users", {"include_archived": "true"})
        return [self._user(row) for row in rows]

    async def employments(self) -> list[Employment]:
        rows = await self.service.pages("/users/employments", {"from": EMPLOYMENTS_FROM})
        return [self._employment(row) for row in rows]

    async def schedules(self, start: date, end: date) -> list[MocoAbsence]:
        """Every absence from `start` to `end` (inclusive).

        The kind comes from `assignment.code`. MOCO added that field in 2024 and every recorded
        payload lacks it, so when any entry comes without it the list is read once per kind with
        the `absence_code` filter instead (DECISIONS.md). Entries that are not absences (project
        schedules from before 2020) are skipped.
        """
        window = {"from": start.isoformat(), "to": end.isoformat()}
        rows = [row for row in await self.service.pages("/schedules", window) if _is_absence(row)]
        if all(_code(row) is not None for row in rows):
            return [absence for row in rows if (absence := self._absence(row, None)) is not None]
        kinds = list(AbsenceKind)
        lists = await asyncio.gather(*(
            self.service.pages("/schedules", {**window, "absence_code": kind.code}) for kind in kinds
        ))
        seen: dict[Any, AbsenceKind] = {}
        absences = []
        for kind, kind_rows in zip(kinds, lists):
            for row in kind_rows:
                if not _is_absence(row):
                    continue
                if row.get("id") in seen:
                    raise UnexpectedResponse(
                        self.service.name,
                        f"schedule {row.get('id')} came back for absence_code {seen[row['id']].code} and "
                        f"{kind.code}: the filter seems ignored and, without assignment.code, absence kinds "
                        "cannot be told apart",
                    )
                seen[row.get("id")] = kind
                absence = self._absence(row, kind)
                if absence is not None:
                    absences.append(absence)
        return sorted(absences, key=lambda a: (a.day, a.id))

    async def presences(self, start: date, end: date) -> list[Presence]:
        rows = await self.service.pages("/users/presences", {"from": start.isoformat(), "to": end.isoformat()})
        return [self._presence(row) for row in rows]

    # ------------------------------------------------------------------ writes

    async def create_schedule(self, user_id: int, day: date, kind: AbsenceKind, *, am: bool, pm: bool,
                              comment: str, overwrite: bool = False) -> MocoAbsence:
        """Create one absence. Never retried once sent: an unknown outcome raises OutcomeUnknown."""
        _check_half(am, pm)
        body: dict[str, Any] = {"date": day.isoformat(), "absence_code": kind.code, "user_id": user_id,
                                "am": am, "pm": pm, "comment": comment}
        if overwrite:
            body["overwrite"] = True
        response = await self.service.request("POST", "/schedules", json=body)
        return self._created(response.body, kind)

    async def update_schedule(self, schedule_id: int, *, kind: AbsenceKind, am: bool, pm: bool,
                              comment: str) -> MocoAbsence:
        _check_half(am, pm)
        body = {"absence_code": kind.code, "am": am, "pm": pm, "comment": comment}
        response = await self.service.request("PUT", f"/schedules/{schedule_id}", json=body)
        return self._created(response.body, kind)

    async def delete_schedule(self, schedule_id: int) -> bool:
        """Delete one absence; False when it was already gone."""
        try:
            await self.service.request("DELETE", f"/schedules/{schedule_id}")
        except NotFound:
            return False
        return True

    # ------------------------------------------------------------------ parsing

    def _bad(self, what: str, row: Any) -> UnexpectedResponse:
        ident = row.get("id") if isinstance(row, dict) else None
        return UnexpectedResponse(self.service.name, f"cannot read {what} {ident!r}: unexpected shape")

    def _user(self, row: dict[str, Any]) -> MocoUser:
        try:
            return MocoUser(id=int(row["id"]), email=str(row.get("email") or "").strip().lower(),
                            first_name=row.get("firstname") or "", last_name=row.get("lastname") or "",
                            active=bool(row.get("active", True)))
        except (KeyError, TypeError, ValueError):
            raise self._bad("user", row) from None

    def _employment(self, row: dict[str, Any]) -> Employment:
        try:
            pattern = row.get("pattern") or {}
            return Employment(
                id=int(row["id"]), user_id=int(row["user"]["id"]),
                start=_day(row.get("from")), end=_day(row.get("to")),
                am=tuple(float(h or 0) for h in pattern.get("am") or ()),
                pm=tuple(float(h or 0) for h in pattern.get("pm") or ()),
            )
        except (KeyError, TypeError, ValueError):
            raise self._bad("employment", row) from None

    def _absence(self, row: dict[str, Any], kind: AbsenceKind | None) -> MocoAbsence | None:
        """None for an absence of a kind this tool does not know (left alone as hand-made)."""
        try:
            if kind is None:
                code = _code(row)
                try:
                    kind = AbsenceKind.from_code(code)  # type: ignore[arg-type]
                except (KeyError, ValueError):
                    return None
            symbol = row.get("symbol")
            return MocoAbsence(
                id=int(row["id"]), user_id=int(row["user"]["id"]), day=date.fromisoformat(row["date"]), kind=kind,
                am=bool(row.get("am", True)), pm=bool(row.get("pm", True)), comment=row.get("comment") or "",
                symbol=int(symbol) if symbol not in (None, "") else None,  # the OAS says string; MOCO sends ints
            )
        except (KeyError, TypeError, ValueError):
            raise self._bad("schedule", row) from None

    def _created(self, body: Any, kind: AbsenceKind) -> MocoAbsence:
        if not isinstance(body, dict):
            raise UnexpectedResponse(self.service.name, "a schedule write did not answer with the schedule")
        absence = self._absence(body, kind if _code(body) is None else None)
        if absence is None:
            raise self._bad("schedule", body)
        return absence

    def _presence(self, row: dict[str, Any]) -> Presence:
        try:
            return Presence(
                id=int(row["id"]), user_id=int(row["user"]["id"]), day=date.fromisoformat(row["date"]),
                start=_clock(row["from"]), end=_clock(row["to"]) if row.get("to") else None,
                is_home_office=bool(row.get("is_home_office", False)), updated_at=row.get("updated_at") or "",
            )
        except (KeyError, TypeError, ValueError):
            raise self._bad("presence", row) from None


def _check_half(am: bool, pm: bool) -> None:
    if not (am or pm):
        # MOCO answers 500 to am=false with pm=false (ISS #116); a day off is deleted, not emptied.
        raise ValueError("a MOCO absence needs am or pm")


def _is_absence(row: Any) -> bool:
    return isinstance(row, dict) and (row.get("assignment") or {}).get("type", "Absence") == "Absence"


def _code(row: dict[str, Any]) -> int | None:
    code = (row.get("assignment") or {}).get("code")
    try:
        return int(code) if code not in (None, "") else None
    except (TypeError, ValueError):
        return None


def _day(value: Any) -> date | None:
    return date.fromisoformat(value) if value else None


def _clock(value: str) -> time:
    hours, minutes = value.split(":")
    return time(int(hours), int(minutes))
