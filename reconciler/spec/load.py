"""Loading a spec: file → YAML → every problem at once → one frozen `Spec`.

`load_spec` reads the file and `parse_spec` does the rest: the YAML keeps the position of every key
(`spec.yaml_source`), the JSON Schema checks the shape of what the user wrote (`spec.schema`), the
schema's defaults fill what the file leaves out (`spec.defaults`), the semantic checks judge the
meaning (`spec.checks`) and the checked data becomes a `Spec` (`spec.build`). Every problem is
reported at once (`SpecError`), each with file, line, column, key path and a sentence saying what
is wrong and what is allowed; positions always point into the user's own file. The message lists the
first `SHOWN_PROBLEMS` and counts the rest, and no problem quotes more than a short piece of a value,
so a broken spec gets a short answer however big it is; the sizes a spec may have are in `spec.limits`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from reconciler.errors import ReconcileError
from reconciler.spec.build import build_spec
from reconciler.spec.checks import semantic_problems
from reconciler.spec.defaults import with_defaults
from reconciler.spec.limits import MAX_SPEC_BYTES, SHOWN_PROBLEMS, cut
from reconciler.spec.model import Spec
from reconciler.spec.schema import JsonPath, schema_problems
from reconciler.spec.yaml_source import Position, YamlSyntaxError, load_yaml

DEFAULT_CONFIG = "mapping.yaml"
CONFIG_ENV = "RECONCILE_CONFIG"


@dataclass(frozen=True)
class Problem:
    source: str
    position: Position | None
    path: JsonPath
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
        count = f"{len(problems):,} problem" + ("s" if len(problems) != 1 else "")
        lines = [f"{source} is not a valid spec ({count}):"] + [f"  {p}" for p in problems[:SHOWN_PROBLEMS]]
        if len(problems) > SHOWN_PROBLEMS:
            lines.append(f"  ... and {len(problems) - SHOWN_PROBLEMS:,} more (the first {SHOWN_PROBLEMS} are shown, in "
                         "file order; fix these and run reconcile validate again)")
        super().__init__("\n".join(lines))


_PLAIN_KEY = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_KEY_CHARS = 60  # of one key in a key path; the rest is cut with "…"


def format_path(path: JsonPath) -> str:
    """`("absences", "types", "Sick leave")` → `absences.types["Sick leave"]`."""
    text = ""
    for part in path:
        if isinstance(part, int):
            text += f"[{part}]"
        elif _PLAIN_KEY.match(part) and len(part) <= _KEY_CHARS:
            text += f".{part}" if text else part
        else:
            escaped = cut(part, _KEY_CHARS).replace("\\", "\\\\").replace('"', '\\"')
            text += f'["{escaped}"]'
    return text


def load_spec(path: Path, *, today: date | None = None) -> Spec:
    """Read, check and build the spec at `path`. Raises `SpecError` listing every problem."""
    source = str(path)
    try:
        with path.open("rb") as file:
            raw = file.read(MAX_SPEC_BYTES + 1)  # no more: the file may be huge, or endless (a FIFO, /dev/zero)
    except FileNotFoundError:
        raise ReconcileError(
            f"spec file {source} not found (pass -c FILE or set {CONFIG_ENV}; "
            "examples/mapping.yaml is a complete example)"
        ) from None
    except IsADirectoryError:
        raise ReconcileError(f"spec file {source} is a directory, not a file") from None
    except OSError as exc:
        raise ReconcileError(f"cannot read spec file {source}: {exc.strerror}") from None
    if len(raw) > MAX_SPEC_BYTES:
        raise SpecError(source, [_too_big(source)])
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise SpecError(source, [Problem(source, Position(line, 1), (), "is not UTF-8 text")]) from None
    return parse_spec(text, source=source, today=today)


def parse_spec(text: str, *, source: str = "<spec>", today: date | None = None) -> Spec:
    """Check and build the spec in `text`; `source` names it in messages. Raises `SpecError`."""
    if len(text) > MAX_SPEC_BYTES or len(text.encode("utf-8", "surrogatepass")) > MAX_SPEC_BYTES:
        raise SpecError(source, [_too_big(source)])
    try:
        loaded = load_yaml(text)
    except YamlSyntaxError as exc:
        raise SpecError(source, [Problem(source, exc.position, exc.path, exc.message)]) from None

    def problem(path: JsonPath, message: str) -> Problem:
        return Problem(source, loaded.position_of(path), path, message)

    problems = [Problem(source, p.position, p.path, p.message) for p in loaded.problems]
    data = loaded.data
    if data is None:
        problems.append(problem((), "the file is empty; see examples/mapping.yaml for a complete spec"))
    elif not isinstance(data, dict):
        problems.append(problem((), "the top level must be a mapping (key: value lines), as in examples/mapping.yaml"))
    else:
        problems += [problem(path, message) for path, message in schema_problems(data)]
        data = with_defaults(data)  # after the schema check, which judges only what the user wrote
        problems += [problem(path, message) for path, message in semantic_problems(data, today)]
    if problems:
        problems.sort(key=lambda p: (p.position.line, p.position.column) if p.position else (0, 0))
        raise SpecError(source, list(dict.fromkeys(problems)))  # each problem once, in file order
    return build_spec(data, source)


def _too_big(source: str) -> Problem:
    return Problem(source, None, (), f"the file is larger than {MAX_SPEC_BYTES:,} bytes (1 MiB), the most a spec "
                                     "may be; a real one is a few KB (examples/mapping.yaml is 4.5 KB)")
