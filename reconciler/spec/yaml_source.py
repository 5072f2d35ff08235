"""YAML → plain Python data, remembering where in the file every value came from.

The spec loader reports problems by file, line and key path, so it needs the position of each
key and value. PyYAML's composer gives nodes with marks; this module turns those nodes into
dicts, lists and scalars and records a position per key path.

Deliberate departures from plain `yaml.safe_load`:
- Mapping keys are taken as written (`yes:` stays the text "yes", `12345:` stays "12345"), so
  absence type names and ids are never turned into booleans or numbers behind the user's back.
- Dates are not turned into `datetime.date`; they stay text and the JSON Schema checks them, so
  `start_date: 2026-02-30` gets a clear message instead of a YAML constructor error.
- A key written twice in one mapping is an error (PyYAML would silently keep the last one).
- An alias (`*name`) inside the mapping or list it names, a file that aliases expand to more than
  `MAX_VALUES` values or to more than `MAX_TEXT_CHARS` characters of text, a key or value longer than
  `MAX_SCALAR_CHARS`, and nesting deeper than Python can follow are errors, not crashes. The text is
  counted as it is built, alias by alias, so a small file that would expand to gigabytes stops at the
  first alias past the cap (`spec.limits`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, overload

import yaml

from reconciler.spec.limits import MAX_SCALAR_CHARS, MAX_TEXT_CHARS, quote

Path = tuple[str | int, ...]

MAX_VALUES = 100_000  # keys and list items; a real spec has a few hundred


@dataclass(frozen=True)
class Position:
    line: int  # 1-based
    column: int  # 1-based


@dataclass(frozen=True)
class YamlProblem:
    path: Path
    position: Position | None
    message: str


class YamlSyntaxError(Exception):
    def __init__(self, position: Position | None, message: str, path: Path = ()) -> None:
        super().__init__(message)
        self.position = position
        self.message = message
        self.path = path  # where in the document, when the syntax was fine but the content is refused


class _Loader(yaml.SafeLoader):
    """SafeLoader without the timestamp resolver: dates stay strings. It also remembers where each alias
    (`*name`) is written: the node an alias gives is the anchored one, which carries the anchor's mark."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self.alias_marks: dict[tuple[int, int], Position] = {}  # (parent node, index or key node) → where

    def compose_node(self, parent: yaml.Node | None, index: Any) -> yaml.Node | None:
        if self.check_event(yaml.AliasEvent):
            mark = self.peek_event().start_mark  # type: ignore[no-untyped-call]  # untyped in types-PyYAML
            if len(self.alias_marks) >= MAX_VALUES:  # each alias is a value: past this the file is refused anyway
                raise YamlSyntaxError(_position(mark), f"the file holds more than {MAX_VALUES:,} aliases (*name); "
                                                       "a spec is far smaller")
            self.alias_marks[(id(parent), index if isinstance(index, int) else id(index))] = _position(mark)
        return super().compose_node(parent, index)


_Loader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


@overload
def _position(mark: yaml.Mark) -> Position: ...
@overload
def _position(mark: yaml.Mark | None) -> Position | None: ...


def _position(mark: yaml.Mark | None) -> Position | None:
    if mark is None:
        return None
    return Position(line=mark.line + 1, column=mark.column + 1)


@dataclass
class LoadedYaml:
    data: Any
    positions: dict[Path, Position]
    problems: list[YamlProblem]
    characters: int = 0  # of every key and value read so far, each alias counted in full

    def position_of(self, path: Path) -> Position | None:
        """The position of `path`, or of its nearest ancestor that has one."""
        for end in range(len(path), -1, -1):
            found = self.positions.get(tuple(path[:end]))
            if found is not None:
                return found
        return None


def load_yaml(text: str) -> LoadedYaml:
    """Parse one YAML document. Raises `YamlSyntaxError` for malformed YAML."""
    loader = _Loader(text)
    try:
        if not loader.check_node() or (node := loader.get_node()) is None:
            return LoadedYaml(data=None, positions={}, problems=[])
        if loader.check_node():
            raise YamlSyntaxError(
                _position(loader.peek_event().start_mark),  # type: ignore[no-untyped-call]  # untyped in types-PyYAML
                "the file holds more than one YAML document; a spec is exactly one",
            )
        result = LoadedYaml(data=None, positions={(): _position(node.start_mark) or Position(1, 1)}, problems=[])
        result.data = _build(loader, node, (), result, set())
        return result
    except RecursionError:
        raise YamlSyntaxError(None, "YAML syntax error: the file is nested too deeply to read") from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        what = exc.problem or exc.context or "malformed YAML"
        raise YamlSyntaxError(_position(mark), f"YAML syntax error: {what}") from None
    except yaml.YAMLError as exc:  # pragma: no cover - PyYAML raises marked errors for syntax
        raise YamlSyntaxError(None, f"YAML syntax error: {exc}") from None
    finally:
        loader.dispose()


def _build(loader: _Loader, node: yaml.Node, path: Path, out: LoadedYaml, open_nodes: set[int]) -> Any:
    """The value of `node`; `open_nodes` holds the collections being built around it (aliases can loop)."""
    if len(out.positions) > MAX_VALUES:
        raise YamlSyntaxError(
            out.position_of(path), f"the file holds more than {MAX_VALUES:,} values (aliases repeat what they name); "
                                   "a spec is far smaller", path
        )
    if isinstance(node, yaml.CollectionNode):
        if id(node) in open_nodes:
            out.problems.append(YamlProblem(path, out.position_of(path), "an alias (*name) here repeats a mapping "
                                                                          "or list that contains it, without end"))
            return None
        open_nodes.add(id(node))
        try:
            return _build_collection(loader, node, path, out, open_nodes)
        finally:
            open_nodes.discard(id(node))
    if isinstance(node, yaml.ScalarNode):
        _count_text(node, path, out)
    return loader.construct_object(node, deep=True)


def _count_text(node: yaml.ScalarNode, path: Path, out: LoadedYaml) -> None:
    """Count the text of `node` (a key or value, met once more); refuse it past the caps."""
    length = len(node.value)
    if length > MAX_SCALAR_CHARS:
        raise YamlSyntaxError(_position(node.start_mark),
                              f"{quote(node.value)} is too long: no key or value in a spec is longer than "
                              f"{MAX_SCALAR_CHARS:,} characters", path)
    out.characters += length
    if out.characters > MAX_TEXT_CHARS:
        raise YamlSyntaxError(out.position_of(path),
                              f"the file's text comes to more than {MAX_TEXT_CHARS:,} characters here, counting "
                              "each alias (*name) in full; a spec is far smaller", path)


def _build_collection(loader: _Loader, node: yaml.CollectionNode, path: Path, out: LoadedYaml,
                      open_nodes: set[int]) -> Any:
    if isinstance(node, yaml.MappingNode):
        loader.flatten_mapping(node)  # resolves `<<` merge keys
        mapping: dict[str, Any] = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, yaml.ScalarNode):
                out.problems.append(
                    YamlProblem(path, _position(key_node.start_mark), "a key must be plain text, not a list or mapping")
                )
                continue
            _count_text(key_node, path, out)
            key = key_node.value
            child = (*path, key)
            if key in mapping:
                first = out.positions.get(child)
                where = f" (first at line {first.line})" if first else ""
                out.problems.append(
                    YamlProblem(child, _position(key_node.start_mark), f"the key {quote(key)} is written twice{where}")
                )
                continue
            out.positions[child] = loader.alias_marks.get((id(node), id(key_node))) or _position(key_node.start_mark)
            mapping[key] = _build(loader, value_node, child, out, open_nodes)
        return mapping
    items = []
    for index, item_node in enumerate(node.value):
        child = (*path, index)
        out.positions[child] = loader.alias_marks.get((id(node), index)) or _position(item_node.start_mark)
        items.append(_build(loader, item_node, child, out, open_nodes))
    return items

