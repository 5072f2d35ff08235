"""Checks that the benchmark's faster stand-ins (fastlists.py, indexes.py) answer exactly as the stand-ins
do: two sandbox processes with the same company, one plain (`server.py --plain`), are asked the same
lists, page by page, before and after the synced state, writes and a touch. Run:

    .venv/bin/python bench/selfcheck.py            # 30 people, a year; exits 1 on any difference
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import urllib.parse
import urllib.request
from datetime import datetime, timedelta, timezone
from typing import Any

from harness import Server

from reconciler.sandbox.seed import MOCO_API_KEY, PERSONIO_CLIENT_ID, PERSONIO_CLIENT_SECRET

STAMP = "2026-01-01T00:00:00Z"


def get(url: str, headers: dict[str, str]) -> tuple[int, dict[str, str], Any]:
    request = urllib.request.Request(url, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=120) as answer:
            return answer.status, dict(answer.headers), json.loads(answer.read() or b"null")
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read().decode(errors="replace")


def send(method: str, url: str, headers: dict[str, str], body: dict[str, Any] | None = None,
         form: dict[str, str] | None = None) -> Any:
    data = urllib.parse.urlencode(form).encode() if form else json.dumps(body).encode() if body is not None else None
    kind = "application/x-www-form-urlencoded" if form else "application/json"
    request = urllib.request.Request(url, data=data, method=method, headers={**headers, "Content-Type": kind})
    with urllib.request.urlopen(request, timeout=120) as answer:
        raw = answer.read()
    return json.loads(raw) if raw else None


def plain_json(value: Any, origin: str, new: dict[str, str] | None = None) -> Any:
    """Timestamps left out, this server's address and the random ids of new periods (`new`) taken out, so
    two servers' answers compare."""
    if isinstance(value, dict):
        return {k: plain_json(v, origin, new) for k, v in value.items() if k not in ("created_at", "updated_at")}
    if isinstance(value, list):
        return [plain_json(v, origin, new) for v in value]
    if isinstance(value, str):
        value = value.replace(origin, "ORIGIN")
        return (new or {}).get(value, value)
    return value


class Client:
    def __init__(self, server: Server) -> None:
        self.moco = server.info["moco"]
        self.personio = server.info["personio"]
        self.origin = re.match(r"http://[^/]+", self.moco).group(0)  # type: ignore[union-attr]
        self.personio_origin = self.personio
        token = send("POST", f"{self.personio}/v2/auth/token", {}, form={
            "grant_type": "client_credentials", "client_id": PERSONIO_CLIENT_ID,
            "client_secret": PERSONIO_CLIENT_SECRET})["access_token"]
        self.moco_headers = {"Authorization": f"Token token={MOCO_API_KEY}"}
        self.new: dict[str, str] = {}  # ids of periods created here (random) -> a name
        self.personio_headers = {"Authorization": f"Bearer {token}"}

    def moco_list(self, path: str, query: dict[str, str]) -> list[Any]:
        pages, number = [], 1
        while True:
            url = f"{self.moco}{path}?{urllib.parse.urlencode({**query, 'page': number, 'per_page': 100})}"
            status, headers, body = get(url, self.moco_headers)
            link = headers.get("Link", "").replace(self.origin, "ORIGIN")
            pages.append([status, headers.get("X-Total"), link, plain_json(body, self.origin)])
            if status != 200 or 'rel="next"' not in link:
                return pages
            number += 1

    def personio_list(self, path: str, query: dict[str, str]) -> list[Any]:
        pages, url = [], f"{self.personio}{path}?{urllib.parse.urlencode(query)}"
        while url:
            status, _, body = get(url, self.personio_headers)
            pages.append([status, plain_json(body, self.personio_origin, self.new)])
            url = body.get("_meta", {}).get("links", {}).get("next", {}).get("href") if status == 200 else None
        return pages

    def lists(self, user_id: int, person_id: str, since: datetime) -> dict[str, Any]:
        window = {"from": "2025-01-01", "to": "2027-12-31"}
        since_moco, since_personio = since.strftime("%Y-%m-%dT%H:%M:%SZ"), since.strftime("%Y-%m-%dT%H:%M:%S")
        return {
            "users": self.moco_list("/users", {"include_archived": "true"}),
            "schedules": self.moco_list("/schedules", window),
            "schedules of one user": self.moco_list("/schedules", {**window, "user_id": str(user_id)}),
            "schedules of a kind": self.moco_list("/schedules", {**window, "absence_code": "4"}),
            "schedules changed": self.moco_list("/schedules", {**window, "updated_after": since_moco}),
            "presences": self.moco_list("/users/presences", window),
            "presences of one user": self.moco_list("/users/presences", {**window, "user_id": str(user_id)}),
            "presences changed": self.moco_list("/users/presences", {**window, "updated_after": since_moco}),
            "persons": self.personio_list("/v2/persons", {"limit": "50"}),
            "absence periods": self.personio_list("/v2/absence-periods", {
                "starts_from.date_time.lte": "2027-12-31T23:59:59", "limit": "100"}),
            "absence periods of one person": self.personio_list("/v2/absence-periods", {
                "person.id": person_id, "limit": "100"}),
            "absence periods changed": self.personio_list("/v2/absence-periods", {
                "updated_at.gte": since_personio, "limit": "100"}),
            "attendance periods": self.personio_list("/v2/attendance-periods", {
                "start.date_time.gte": "2025-01-01T00:00:00", "start.date_time.lte": "2027-12-31T23:59:59",
                "limit": "100"}),
            "attendance periods of one person": self.personio_list("/v2/attendance-periods", {
                "person.id": person_id, "limit": "100"}),
            "attendance periods changed": self.personio_list("/v2/attendance-periods", {
                "updated_at.gte": since_personio, "limit": "100"}),
        }


def compare(stage: str, plain: Client, fast: Client, user_id: int, person_id: str) -> int:
    since = datetime.now(timezone.utc) - timedelta(hours=1)  # sync dates records a day back, touch now
    a, b = plain.lists(user_id, person_id, since), fast.lists(user_id, person_id, since)
    differences = [name for name in a if a[name] != b[name]]
    pages = sum(len(v) for v in a.values())
    changed = sum(len(page[-1]) if isinstance(page[-1], list) else len(page[-1].get("_data", []))
                  for name in a if name.endswith("changed") for page in a[name])
    print(f"{stage}: {len(a)} lists, {pages} pages, {changed} records changed in the last hour"
          + (f"; DIFFERENT: {', '.join(differences)}" if differences else "; all the same"), flush=True)
    return len(differences)


def writes(client: Client, user_id: int, person_id: str) -> None:
    send("POST", f"{client.moco}/schedules", client.moco_headers,
         {"date": "2026-12-30", "absence_code": 4, "user_id": user_id, "comment": "selfcheck"})
    created = send("POST", f"{client.personio}/v2/attendance-periods?skip_approval=true", client.personio_headers,
                   {"person": {"id": person_id}, "type": "WORK", "start": {"date_time": "2025-06-01T09:00:00"},
                    "end": {"date_time": "2025-06-01T10:00:00"}, "comment": "selfcheck"})
    client.new[created["id"]] = f"new period {len(client.new) + 1}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--people", type=int, default=30)
    options = parser.parse_args()
    servers = [Server(options.people, 1, 365, 30, 0.0, 1000.0, ("--stamp", STAMP, *extra))
               for extra in (("--plain",), ())]
    try:
        plain, fast = (Client(server) for server in servers)
        users = plain.moco_list("/users", {})[0][3]
        persons = plain.personio_list("/v2/persons", {"limit": "50"})[0][1]["_data"]
        user = next(u for u in users if u["firstname"] == "Erika")
        person = next(p for p in persons if p["email"] and p["email"].startswith("erika."))
        user_id, person_id = user["id"], str(person["id"])
        failed = compare("seeded", plain, fast, user_id, person_id)
        for server in servers:
            server.call("POST", "/bench/sync")
        failed += compare("synced", plain, fast, user_id, person_id)
        for client in (plain, fast):
            writes(client, user_id, person_id)
        failed += compare("after writes", plain, fast, user_id, person_id)
        for server in servers:
            server.call("POST", "/bench/touch", {"share": 0.1, "presences": 2, "absences": 2})
            server.call("POST", "/bench/unsync", {"moco": 50, "personio": 50})
        failed += compare("touched and unsynced", plain, fast, user_id, person_id)
    finally:
        for server in servers:
            server.stop()
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
