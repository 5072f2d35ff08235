"""The shape of the code, kept: the packages import downwards only, the core names no direction, the reading
stage and the shell around a run stay small. Read from the source, as a reviewer reads it."""

from __future__ import annotations

import ast
import dataclasses
from collections.abc import Iterator
from pathlib import Path

import pytest
from radon.complexity import cc_visit

import reconciler
from reconciler.run import RunOptions
from reconciler.sync import registry

SOURCE = Path(reconciler.__file__).parent

# From the top down: a package may import the packages below its own layer, never one above it nor a sibling
# of its own layer (siblings sit in one tuple). The command line is a set of siblings over a library.
LAYERS: tuple[tuple[str, ...], ...] = (
    ("reconciler.__main__",),
    ("reconciler.cli",),
    ("reconciler.demo",),
    ("reconciler.serve",),
    ("reconciler.doctor",),  # reads the accounts through systems/, with the words of sync/ and read/
    ("reconciler.run",),
    ("reconciler.read", "reconciler.render", "reconciler.report"),
    ("reconciler.apply",),
    ("reconciler.sandbox",),
    ("reconciler.sync",),
    ("reconciler.plan",),
    ("reconciler.systems",),
    ("reconciler.spec",),
    ("reconciler.records", "reconciler.errors", "reconciler.logs"),
    ("reconciler",),  # the package itself: its version
)


def modules() -> Iterator[tuple[str, Path]]:
    for path in sorted(SOURCE.rglob("*.py")):
        parts = path.relative_to(SOURCE.parent).with_suffix("").parts
        yield ".".join(parts[:-1] if parts[-1] == "__init__" else parts), path


def imports(path: Path) -> Iterator[tuple[int, str]]:
    """Every module of reconciler the file imports, at any depth (lazy imports in functions too)."""
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            yield from ((node.lineno, alias.name) for alias in node.names if alias.name.startswith("reconciler"))
        elif isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("reconciler"):
            yield node.lineno, node.module


def layer(module: str) -> tuple[int, str]:
    """The layer a module sits in, and the package of that layer it belongs to."""
    for index, packages in enumerate(LAYERS):
        for package in packages:
            if module == package or module.startswith(package + ".") or package == "reconciler":
                return index, package
    raise AssertionError(f"{module} is in no layer")


def test_every_package_imports_only_the_layers_below_it():
    wrong = []
    for module, path in modules():
        here, own = layer(module)
        for line, imported in imports(path):
            there, other = layer(imported)
            if other != own and there <= here:
                wrong.append(f"{path.relative_to(SOURCE.parent)}:{line}: {own} imports {imported}")
    assert not wrong, "imports against the layers:\n" + "\n".join(wrong)


@pytest.mark.parametrize("folder", ["serve", "systems", "plan", "read", "render", "apply.py", "run.py", "report.py"])
def test_the_core_names_no_direction(folder):
    """A direction is one folder and one registry line: everything else asks the registry."""
    names = registry.names()
    found = [f"{path.relative_to(SOURCE.parent)}: {name}" for path in _files(SOURCE / folder)
             for name in names if name in path.read_text(encoding="utf-8")]
    assert not found, found


def _files(where: Path) -> list[Path]:
    return [where] if where.is_file() else sorted(where.rglob("*.py"))


def test_the_reading_stage_has_no_function_over_a_cyclomatic_complexity_of_15():
    blocks = [(path.name, block) for path in _files(SOURCE / "read")
              for block in cc_visit(path.read_text(encoding="utf-8"))]
    functions = [(name, method) for name, block in blocks for method in (*getattr(block, "methods", ()), block)]
    assert functions and max(block.complexity for _, block in functions) <= 15, \
        sorted(((block.complexity, f"{name}:{block.name}") for name, block in functions), reverse=True)[:3]


def test_the_shell_around_a_run_stays_small():
    assert len(dataclasses.fields(RunOptions)) <= 7
    assert len((SOURCE / "run.py").read_text(encoding="utf-8").splitlines()) <= 250


def test_no_module_is_over_400_lines():
    long = {str(path.relative_to(SOURCE.parent)): lines for _, path in modules()
            if (lines := len(path.read_text(encoding="utf-8").splitlines())) > 400}
    assert not long, long
