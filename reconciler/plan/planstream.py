"""The saved plan written and read back change by change (issue 22): a first sync plans a million changes, and
neither `plan --out` nor `apply PLANFILE` may hold them all as JSON text or as dicts at once.

- `write_plan` streams the plan file to an open text file: byte for byte what `json.dump(shared_plan_json(plan,
  key) | extra, indent=2, ensure_ascii=False)` writes (plan/privacy.py), but one change at a time, with the
  fingerprint hashed as the changes go by. Only the sealed changes (a few per cent) are held, to be listed
  last in the order of their seals.
- `saved_head` reads a plan file's fields without its changes, and `streamed_changes` its changes one at a
  time, from the layout `write_plan` gives them (each change an object of its own lines, indented by four
  spaces); a file in any other layout (edited, or formatted by another tool) is read whole instead, as before.
- `fresh_fingerprint` hashes a plan's changes as its file's `fingerprint` does (plan/digest.py), so that
  `apply PLANFILE` can tell a saved plan equal to a fresh one without holding either's changes.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import IO, Any

from reconciler.plan.digest import Fingerprint
from reconciler.plan.model import Change, Plan
from reconciler.plan.privacy import Shown, shared_order

# A change's fields apply PLANFILE leaves out of the compare: `cause` (--base-spec), and `also_delete`, which plan
# files of reconcile 0.1 to 0.3 held beside `removes`.
COMPARED_WITHOUT = ("cause", "also_delete")


def _dumps(value: Any, indent: str) -> str:
    """`value` as json.dump(…, indent=2) writes it at a depth whose lines start with `indent`."""
    return json.dumps(value, indent=2, ensure_ascii=False).replace("\n", "\n" + indent)


def _head(plan: Plan, key: bytes, extra: dict[str, Any]) -> dict[str, Any]:
    """The plan file's fields but its changes (a placeholder keeps their place) and fingerprint."""
    light = dataclasses.replace(plan, changes=(), causes=())  # its JSON without a million change dicts
    data = light.to_json()
    data["summary"] = plan.summary
    data.update(plan.base_json())  # counted over the real changes; the keys keep their places
    shown = Shown.of(plan, redact=True)
    data["conflicts"] = [conflict.to_json() for conflict in shown.conflicts]
    data["warnings"] = list(shown.warnings)
    data["withheld"] = {"changes": shown.withheld_changes, "conflicts": shown.withheld_conflicts}
    return data | extra


def write_plan(plan: Plan, key: bytes, extra: dict[str, Any], out: IO[str]) -> None:
    """The plan file's text, written to `out` change by change (see the module's docstring)."""
    changes = ((plan.with_cause(index, change), change) for index, change in shared_order(plan.changes, key))
    for chunk in object_chunks(_head(plan, key, extra), changes, Fingerprint()):
        out.write(chunk)


def object_chunks(head: dict[str, Any], changes: Iterator[tuple[dict[str, Any], dict[str, Any]]],
                  print_: Fingerprint | None) -> Iterator[str]:
    """json.dumps(head, indent=2) + "\\n" in pieces, with `changes` (each as written, and as fingerprinted) in
    the place of head's "changes", and their fingerprint as head's "fingerprint" (which follows them; an
    object without one, as the apply report, passes no `print_`)."""
    yield "{"
    for position, (name, value) in enumerate(head.items()):
        prefix = ("\n  " if position == 0 else ",\n  ") + json.dumps(name, ensure_ascii=False) + ": "
        if name == "fingerprint" and print_ is not None:
            yield prefix + json.dumps(print_.digest())
        elif name != "changes":
            yield prefix + _dumps(value, "  ")
        else:
            yield prefix + "["
            count = 0
            for count, (shown, printed) in enumerate(changes, 1):
                if print_ is not None:
                    print_.add(printed)
                yield ("\n    " if count == 1 else ",\n    ") + _dumps(shown, "    ")
            yield "\n  ]" if count else "]"
    yield "\n}\n"


def plan_chunks(plan: Plan, head: dict[str, Any]) -> Iterator[str]:
    """The JSON plan on stdout (render/json.py's `plan_json`, all in full) in pieces: `head` is its JSON for the
    plan without changes; the changes are made one at a time."""
    head = dict(head)
    head["summary"] = plan.summary
    head.update(plan.base_json())
    changes = ((plan.with_cause(index, data), data) for index, data in (
        (index, change.to_json()) for index, change in enumerate(plan.changes)))
    pieces: list[str] = []
    size = 0
    for piece in object_chunks(head, changes, Fingerprint(ascii=True)):
        pieces.append(piece)
        size += len(piece)
        if size >= 1 << 16:
            yield "".join(pieces)
            pieces, size = [], 0
    yield "".join(pieces)


START, EMPTY = '  "changes": [\n', ('  "changes": [],\n', '  "changes": []\n')  # write_plan's layout
ENDS, CLOSE = ("  ],\n", "  ]\n"), ("    },\n", "    }\n")


class Relayout(Exception):
    """A plan file that is not (or not throughout) in `write_plan`'s layout: read it whole (`whole_changes`)."""


def saved_head(path: Path) -> Any:
    """A plan file's fields, its changes left out (`"changes": []`) when it is in `write_plan`'s layout; in any
    other, the whole file. Raises what json.loads and reading raise (a decode error's place: of the whole file)."""
    kept: list[str] = []
    with path.open(encoding="utf-8") as lines:
        for line in lines:
            if line == START:
                kept.append('  "changes": [],\n')
                for inner in lines:
                    if inner in ENDS:
                        kept[-1] = '  "changes": []' + inner[3:]
                        break
                else:
                    return _loads_whole(path)
                continue
            kept.append(line)
    try:
        data = json.loads("".join(kept))
    except json.JSONDecodeError:
        return _loads_whole(path)  # to say where, in the file as it is
    return data if isinstance(data, dict) else _loads_whole(path)


def _loads_whole(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


def streamed_changes(path: Path) -> Iterator[Any]:
    """The changes of a plan file in `write_plan`'s layout, one at a time; Relayout where the layout is another
    (the caller then reads `whole_changes`)."""
    with path.open(encoding="utf-8") as lines:
        for line in lines:
            if line in EMPTY:
                return
            if line == START:
                break
        else:
            raise Relayout(str(path))
        buffered: list[str] = []
        for line in lines:
            if line in ENDS and not buffered:
                return
            buffered.append(line)
            if line in CLOSE:
                try:
                    change = json.loads("".join(buffered).rstrip().rstrip(","))
                except json.JSONDecodeError:
                    raise Relayout(str(path)) from None
                buffered = []
                yield change
    raise Relayout(str(path))


def whole_changes(path: Path) -> Iterator[Any]:
    """The changes of a plan file in any layout, read whole."""
    data = _loads_whole(path)
    yield from data.get("changes", []) if isinstance(data, dict) else []


def saved_changes(path: Path) -> list[Any]:
    """Every change of a plan file (to name what differs: only when a fresh plan does not match)."""
    try:
        return list(streamed_changes(path))
    except Relayout:
        return list(whole_changes(path))


def compared(change: dict[str, Any]) -> dict[str, Any]:
    """A saved change as it is compared: without `cause` (and older files' fields)."""
    return {name: value for name, value in change.items() if name not in COMPARED_WITHOUT}


def fresh_fingerprint(changes: Iterable[Change], key: bytes) -> str:
    """The fingerprint a plan file of `changes` would hold, without holding their shared forms."""
    print_ = Fingerprint()
    for _, data in shared_order(changes, key):
        print_.add(data)
    return print_.digest()
