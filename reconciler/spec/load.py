"""The spec: YAML file → schema check → semantic checks → one frozen `Spec`.

Everything after this module receives a `Spec` and never looks at the YAML again. Every problem
in the file is collected and reported at once (`SpecError`), each with file, line, column, key
path and a sentence saying what is wrong and what is allowed.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any, Literal
from urllib.parse import SplitResult, urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from reconciler.errors import ReconcileError
from reconciler.records import AbsenceKind, AttendanceDirection
from reconciler.spec.schema import schema_problems
from reconciler.spec.yaml_source import LoadedYaml, Position, YamlSyntaxError, load_yaml

DEFAULT_CONFIG = "mapping.yaml"
CONFIG_ENV = "RECONCILE_CONFIG"


# --------------------------------------------------------------------------- the Spec


@dataclass(frozen=True)
class RateLimit:
    requests: int
    per_seconds: float

    def __str__(self) -> str:
        return f"{self.requests} requests / {self.per_seconds:g} s"


@dataclass(frozen=True)
class MocoSettings:
    api_root: str  # e.g. https://acme.mocoapp.com/api/v1, never a trailing slash
    api_key_env: str = "MOCO_API_KEY"
    rate_limit: RateLimit = RateLimit(120, 120)


@dataclass(frozen=True)
class PersonioSettings:
    base_url: str = "https://api.personio.de"  # never a trailing slash; /v2/... is appended
    client_id_env: str = "PERSONIO_CLIENT_ID"
    client_secret_env: str = "PERSONIO_CLIENT_SECRET"
    # Personio publishes no general v2 limit (only 150 token requests per minute); third parties
    # saw 10-30 requests/s per endpoint. 5 requests/s is a cautious default.
    rate_limit: RateLimit = RateLimit(300, 60)


@dataclass(frozen=True)
class UserOverride:
    personio: str  # lower-cased email
    moco: str  # lower-cased email


@dataclass(frozen=True)
class UserSettings:
    overrides: tuple[UserOverride, ...] = ()
    exclude: frozenset[str] = frozenset()  # lower-cased emails


@dataclass(frozen=True)
class AbsenceSettings:
    enabled: bool = True
    until_days: int = 365
    # Personio absence type (name or id, as written) → MOCO kind, in file order.
    types: tuple[tuple[str, AbsenceKind], ...] = ()
    unmapped: Literal["skip", "error"] = "skip"


@dataclass(frozen=True)
class AttendanceSettings:
    direction: AttendanceDirection


@dataclass(frozen=True)
class Spec:
    source: str  # the file it came from, for messages
    start_date: date
    timezone: str
    moco: MocoSettings
    personio: PersonioSettings
    users: UserSettings
    absences: AbsenceSettings
    attendances: AttendanceSettings
    version: int = 1
    zone: ZoneInfo = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "zone", ZoneInfo(self.timezone))

    def today(self, now: datetime | None = None) -> date:
        """Today's date in the spec's timezone."""
        return (now.astimezone(self.zone) if now else datetime.now(self.zone)).date()

    def absence_window(self, today: date) -> tuple[date, date]:
        """First and last day (inclusive) whose absences are synced."""
        return self.start_date, today + timedelta(days=self.absences.until_days)

    def attendance_window(self, today: date) -> tuple[date, date]:
        """First and last day (inclusive) whose working hours are synced: worked days only."""
        return self.start_date, today


# --------------------------------------------------------------------------- errors


@dataclass(frozen=True)
class Problem:
    source: str
    position: Position | None
    path: tuple[str | int, ...]
    message: str

    def __str__(self) -> str:
        where = self.source
        if self.position:
            where += f":{self.position.line}:{self.position.column}"
        subject = format_path(self.path)
        return f"{where}: {subject}: {self.message}" if subject else f"{where}: {self.message}"


class SpecError(ReconcileError):
    """The spec file has one or more problems; all of them are listed."""

    def __init__(self, source: str, problems: list[Problem]) -> None:
        self.source = source
        self.problems = problems
        count = f"{len(problems)} problem" + ("s" if len(problems) != 1 else "")
        lines = [f"{source} is not a valid spec ({count}):"] + [f"  {p}" for p in problems]
        super().__init__("\n".join(lines))


_PLAIN_KEY = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def format_path(path: tuple[str | int, ...]) -> str:
    """`("absences", "types", "Sick leave")` → `absences.types["Sick leave"]`."""
    text = ""
    for part in path:
        if isinstance(part, int):
            text += f"[{part}]"
        elif _PLAIN_KEY.match(part):
            text += f".{part}" if text else part
        else:
            escaped = part.replace("\\", "\\\\").replace('"', '\\"')
            text += f'["{escaped}"]'
    return text


# --------------------------------------------------------------------------- loading


def load_spec(path: Path, *, today: date | None = None) -> Spec:
    """Read, check and build the spec at `path`. Raises `SpecError` listing every problem."""
    source = str(path)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise ReconcileError(
            f"spec file {source} not found (pass -c FILE or set {CONFIG_ENV}; "
            "examples/mapping.yaml is a complete example)"
        ) from None
    except IsADirectoryError:
        raise ReconcileError(f"spec file {source} is a directory, not a file") from None
    except OSError as exc:
        raise ReconcileError(f"cannot read spec file {source}: {exc.strerror}") from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise SpecError(source, [Problem(source, Position(line, 1), (), "is not UTF-8 text")]) from None
    return parse_spec(text, source=source, today=today)


def parse_spec(text: str, *, source: str = "<spec>", today: date | None = None) -> Spec:
    try:
        loaded = load_yaml(text)
    except YamlSyntaxError as exc:
        raise SpecError(source, [Problem(source, exc.position, (), exc.message)]) from None

    def problem(path: tuple[str | int, ...], message: str) -> Problem:
        return Problem(source, loaded.position_of(path), path, message)

    problems = [Problem(source, p.position, p.path, p.message) for p in loaded.problems]
    data = loaded.data
    if data is None:
        problems.append(problem((), "the file is empty; see examples/mapping.yaml for a complete spec"))
    elif not isinstance(data, dict):
        problems.append(problem((), "the top level must be a mapping (key: value lines), as in examples/mapping.yaml"))
    else:
        problems += [problem(path, message) for path, message in schema_problems(data)]
        problems += [problem(path, message) for path, message in _semantic_problems(data, loaded, today)]
    if problems:
        problems.sort(key=lambda p: (p.position.line, p.position.column) if p.position else (0, 0))
        raise SpecError(source, list(dict.fromkeys(problems)))  # each problem once, in file order
    return _build(data, source)


# --------------------------------------------------------------------------- meaning


def _semantic_problems(data: dict[str, Any], loaded: LoadedYaml, today: date | None) -> list[tuple[tuple, str]]:
    """What the schema cannot say. Tolerant of wrong types: the schema reports those."""
    out: list[tuple[tuple, str]] = []
    if isinstance(data.get("moco"), dict):
        out += _check_moco(data["moco"])
    out += _check_personio(_section(data, "personio"))
    out += _check_users(_section(data, "users"))
    out += _check_absence_types(_section(data, "absences"))
    zone = _check_timezone(data, out)
    out += _check_window(data, zone, today)
    return out


def _section(data: dict[str, Any], key: str) -> dict[str, Any]:
    value = data.get(key)
    return value if isinstance(value, dict) else {}


def _parse_url(path: tuple, value: Any, out: list[tuple[tuple, str]]) -> SplitResult | None:
    """The parts of an http(s) URL, or None after adding a problem (shape errors are the schema's)."""
    if not isinstance(value, str) or not value.startswith(("http://", "https://")):
        return None
    try:
        parts = urlsplit(value)
        port = parts.port
    except ValueError as exc:
        out.append((path, f"{value!r} is not a valid URL ({exc})"))
        return None
    if not parts.hostname:
        out.append((path, f"{value!r} has no host name"))
        return None
    if port == 0:
        out.append((path, f"{value!r} has port 0; use a port from 1 to 65535"))
        return None
    return parts


def _check_moco(moco: dict[str, Any]) -> list[tuple[tuple, str]]:
    out: list[tuple[tuple, str]] = []
    if not moco.get("subdomain") and not moco.get("base_url"):
        out.append((("moco",), "needs subdomain (acme for https://acme.mocoapp.com) or base_url (the API root)"))
    base_url = moco.get("base_url")
    parts = _parse_url(("moco", "base_url"), base_url, out)
    if parts is not None:
        if not parts.path.rstrip("/").endswith("/api/v1"):
            out.append(
                (("moco", "base_url"), f"{base_url!r} must be the API root ending in /api/v1, "
                                       f"e.g. {parts.scheme}://{parts.netloc}/api/v1")
            )
        elif parts.query or parts.fragment:
            out.append((("moco", "base_url"), f"{base_url!r} must not carry a query (?...) or fragment (#...)"))
    return out


def _check_personio(personio: dict[str, Any]) -> list[tuple[tuple, str]]:
    out: list[tuple[tuple, str]] = []
    base_url = personio.get("base_url")
    parts = _parse_url(("personio", "base_url"), base_url, out)
    if parts is not None:
        if parts.path.rstrip("/").endswith(("/v1", "/v2")):
            root = base_url.rstrip("/").rsplit("/", 1)[0]
            out.append(
                (("personio", "base_url"), f"{base_url!r} must be the host only, without /v1 or /v2 "
                                           f"(reconcile appends /v2/...); write {root!r}")
            )
        elif parts.query or parts.fragment:
            out.append((("personio", "base_url"), f"{base_url!r} must not carry a query (?...) or fragment (#...)"))
    client_id = personio.get("client_id_env", "PERSONIO_CLIENT_ID")
    client_secret = personio.get("client_secret_env", "PERSONIO_CLIENT_SECRET")
    if isinstance(client_id, str) and client_id == client_secret:
        out.append(
            (("personio", "client_secret_env"), f"names the same environment variable as client_id_env "
                                                f"({client_id}); the id and the secret are two values")
        )
    return out


def _email(value: Any) -> str | None:
    return value.strip().lower() if isinstance(value, str) else None


def _check_users(users: dict[str, Any]) -> list[tuple[tuple, str]]:
    out: list[tuple[tuple, str]] = []
    overrides = users.get("overrides") if isinstance(users.get("overrides"), list) else []
    exclude = users.get("exclude") if isinstance(users.get("exclude"), list) else []

    excluded: dict[str, int] = {}
    for index, value in enumerate(exclude):
        email = _email(value)
        if email is None:
            continue
        if email in excluded:
            out.append(
                (("users", "exclude", index), f"{value!r} is already excluded at users.exclude[{excluded[email]}] "
                                              "(emails compare case-insensitively)")
            )
        else:
            excluded[email] = index

    seen: dict[str, dict[str, int]] = {"personio": {}, "moco": {}}
    for index, entry in enumerate(overrides):
        if not isinstance(entry, dict):
            continue
        for side in ("personio", "moco"):
            email = _email(entry.get(side))
            if email is None:
                continue
            path = ("users", "overrides", index, side)
            if email in seen[side]:
                out.append(
                    (path, f"{email} is already overridden at users.overrides[{seen[side][email]}].{side}; each "
                           f"{'MOCO' if side == 'moco' else 'Personio'} email may appear in one override only")
                )
            else:
                seen[side][email] = index
            if email in excluded:
                out.append(
                    (path, f"{email} is both overridden here and excluded at users.exclude[{excluded[email]}]; "
                           "keep one of the two")
                )
    return out


def normalise_type_name(name: str) -> str:
    """How absence type names compare: case and surrounding/inner runs of spaces do not matter."""
    return " ".join(name.split()).casefold()


def _check_absence_types(absences: dict[str, Any]) -> list[tuple[tuple, str]]:
    out: list[tuple[tuple, str]] = []
    types = absences.get("types")
    if not isinstance(types, dict):
        return out
    seen: dict[str, str] = {}
    for name in types:
        key = normalise_type_name(name)
        if not key:
            continue
        if key in seen:
            out.append(
                (("absences", "types", name), f"names the same Personio absence type as {seen[key]!r} "
                                              "(names compare case-insensitively)")
            )
        else:
            seen[key] = name
    return out


def _check_timezone(data: dict[str, Any], out: list[tuple[tuple, str]]) -> ZoneInfo | None:
    name = data.get("timezone", "Europe/Berlin")
    if not isinstance(name, str) or not name:
        return None
    try:
        if name.startswith(("/", ".")) or ".." in name:
            raise ValueError(name)
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        close = difflib.get_close_matches(name, sorted(available_timezones()), n=1, cutoff=0.6)
        hint = f"; did you mean {close[0]!r}?" if close else "; use an IANA name such as Europe/Berlin"
        out.append((("timezone",), f"{name!r} is not a known IANA time zone{hint}"))
        return None


def _check_window(data: dict[str, Any], zone: ZoneInfo | None, today: date | None) -> list[tuple[tuple, str]]:
    start = data.get("start_date")
    if not isinstance(start, str):
        return []
    try:
        start_date = date.fromisoformat(start)
    except ValueError:
        return []  # the schema reports the format
    absences = _section(data, "absences")
    until_days = absences.get("until_days", 365)
    if not isinstance(until_days, int) or isinstance(until_days, bool) or until_days < 0:
        return []
    if today is None:
        today = datetime.now(zone or ZoneInfo("Europe/Berlin")).date()
    last = today + timedelta(days=until_days)
    if start_date > last:
        return [
            (
                ("start_date",),
                f"{start} lies after the end of the sync window (today {today} + absences.until_days "
                f"{until_days} = {last}), so nothing would ever be synced",
            )
        ]
    return []


# --------------------------------------------------------------------------- building


def _build(data: dict[str, Any], source: str) -> Spec:
    moco = data["moco"]
    if moco.get("base_url"):
        api_root = moco["base_url"].rstrip("/")
    else:
        api_root = f"https://{moco['subdomain']}.mocoapp.com/api/v1"
    rate = moco.get("rate_limit") or {"requests": 120, "per_seconds": 120}

    personio = data.get("personio") or {}
    personio_rate = personio.get("rate_limit") or {"requests": 300, "per_seconds": 60}
    users = data.get("users") or {}
    absences = data["absences"]
    return Spec(
        source=source,
        version=data["version"],
        start_date=date.fromisoformat(data["start_date"]),
        timezone=data.get("timezone", "Europe/Berlin"),
        moco=MocoSettings(
            api_root=api_root,
            api_key_env=moco.get("api_key_env", "MOCO_API_KEY"),
            rate_limit=RateLimit(int(rate["requests"]), float(rate["per_seconds"])),
        ),
        personio=PersonioSettings(
            base_url=personio.get("base_url", "https://api.personio.de").rstrip("/"),
            client_id_env=personio.get("client_id_env", "PERSONIO_CLIENT_ID"),
            client_secret_env=personio.get("client_secret_env", "PERSONIO_CLIENT_SECRET"),
            rate_limit=RateLimit(int(personio_rate["requests"]), float(personio_rate["per_seconds"])),
        ),
        users=UserSettings(
            overrides=tuple(
                UserOverride(personio=entry["personio"].strip().lower(), moco=entry["moco"].strip().lower())
                for entry in users.get("overrides") or []
            ),
            exclude=frozenset(email.strip().lower() for email in users.get("exclude") or []),
        ),
        absences=AbsenceSettings(
            enabled=absences.get("enabled", True),
            until_days=absences.get("until_days", 365),
            types=tuple((name, AbsenceKind(kind)) for name, kind in (absences.get("types") or {}).items()),
            unmapped=absences.get("unmapped", "skip"),
        ),
        attendances=AttendanceSettings(direction=AttendanceDirection(data["attendances"]["direction"])),
    )
