"""Every assumption the code marks UNVERIFIED names the doctor check that tells a user whether it holds.

A marker is the word UNVERIFIED in a comment or a string (a docstring) of a module under reconciler/. Its
comment block (consecutive comment lines) or its string must carry a tag `doctor: <check>` (several:
`doctor: <check>, <check>`), and every check a tag names must be one `reconcile doctor` runs
(reconciler/doctor/model.py, CHECKS). Markers in the sandbox describe the stand-in's imitation of the same
assumption and name the same checks.
"""

from __future__ import annotations

import io
import re
import tokenize
from collections.abc import Iterator
from pathlib import Path

import reconciler
from reconciler.doctor import NAMES

SOURCE = Path(reconciler.__file__).parent
TAG = re.compile(r"doctor:\s*([a-z0-9-]+(?:\s*,\s*[a-z0-9-]+)*)")


def blocks(path: Path) -> Iterator[tuple[int, str]]:
    """(first line, text) of each comment block and each string of a module."""
    comments: list[tuple[int, str]] = []
    for token in tokenize.generate_tokens(io.StringIO(path.read_text(encoding="utf-8")).readline):
        if token.type == tokenize.COMMENT:
            if comments and token.start[0] != comments[-1][0] + 1:
                yield comments[0][0], "\n".join(text for _, text in comments)
                comments = []
            comments.append((token.start[0], token.string))
        elif token.type == tokenize.STRING:
            yield token.start[0], token.string
    if comments:
        yield comments[0][0], "\n".join(text for _, text in comments)


def markers() -> list[tuple[str, str]]:
    """(where, text) of every comment block or string that says UNVERIFIED."""
    return [(f"{path.relative_to(SOURCE.parent)}:{line}", text) for path in sorted(SOURCE.rglob("*.py"))
            for line, text in blocks(path) if "UNVERIFIED" in text]


def tags(text: str) -> list[str]:
    return [name.strip() for found in TAG.findall(text) for name in found.split(",")]


def test_markers_are_found():
    found = markers()
    assert len(found) >= 36, len(found)  # as many as there were when the doctor came, or more
    assert any(where.startswith("reconciler/sandbox/") for where, _ in found)


def test_every_unverified_marker_names_a_doctor_check():
    untagged = [where for where, text in markers() if not tags(text)]
    assert not untagged, "UNVERIFIED without a `doctor: <check>` tag:\n" + "\n".join(untagged)


def test_every_tag_names_a_check_doctor_runs():
    unknown = [f"{where}: {name}" for where, text in markers() for name in tags(text) if name not in NAMES]
    assert not unknown, f"tags naming no check (checks: {', '.join(NAMES)}):\n" + "\n".join(unknown)


def test_a_tag_is_read_as_the_markers_write_it():
    assert tags("# UNVERIFIED (doctor: moco-employments): MOCO's docs") == ["moco-employments"]
    assert tags("UNVERIFIED (doctor: absence-periods, personio-filters)") == ["absence-periods", "personio-filters"]
    assert tags("# UNVERIFIED: what MOCO does") == []
