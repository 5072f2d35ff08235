"""Defaults are written once, in the JSON Schema; the loaded Spec gets exactly those."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any, Iterator

import pytest
from jsonschema import Draft202012Validator

import reconciler.spec.model as model
from reconciler.spec import RateLimit, parse_spec
from reconciler.spec.defaults import defaults_of, with_defaults
from reconciler.spec.yaml_source import MAX_VALUES
from tests.spec.test_spec import TODAY, VALID, problems_of

ROOT = Path(__file__).resolve().parents[2]
SCHEMA = json.loads((ROOT / "schemas" / "mapping.schema.json").read_text())
SPEC_PACKAGE = ROOT / "reconciler" / "spec"

# Optional without a default: required while absences are enabled, meaningless while they are not.
NO_DEFAULT = {("absences", "types")}


def properties(node: dict[str, Any], path: tuple[str, ...] = ()) -> Iterator[tuple[tuple[str, ...], dict, bool]]:
    """(key path, property schema, required?) for every named property, depth first."""
    required = set(node.get("required", []))
    for name, sub in node.get("properties", {}).items():
        yield (*path, name), sub, name in required
        yield from properties(sub, (*path, name))


def schema_defaults() -> list[tuple[tuple[str, ...], Any]]:
    return [(path, sub["default"]) for path, sub, _ in properties(SCHEMA) if "default" in sub]


DEFAULT_IDS = [".".join(path) for path, _ in schema_defaults()]


def at(data: Any, path: tuple[str, ...]) -> Any:
    for key in path:
        data = data[key]
    return data


def test_every_optional_setting_has_a_default_in_the_schema():
    missing = [path for path, sub, required in properties(SCHEMA)
               if not required and "default" not in sub and path not in NO_DEFAULT]
    assert not missing, f"optional settings without a default: {missing}"


@pytest.mark.parametrize(("path", "default"), schema_defaults(), ids=DEFAULT_IDS)
def test_every_default_is_valid_where_it_stands(path, default):
    sub = at(SCHEMA, tuple(part for key in path for part in ("properties", key)))
    assert Draft202012Validator(sub).is_valid(default), (path, default)


@pytest.mark.parametrize(("path", "default"), schema_defaults(), ids=DEFAULT_IDS)
def test_data_that_gives_only_the_required_sections_gets_every_default_of_the_schema(path, default):
    filled = with_defaults({"moco": {}, "absences": {}, "attendances": {}})
    # A mapping default gets its own settings' defaults too: `personio: {}` becomes every Personio setting.
    expected = {**default, **defaults_of(*path)} if isinstance(default, dict) else default
    assert at(filled, path) == expected


def test_the_built_spec_carries_the_schema_defaults():
    spec = parse_spec(VALID, today=TODAY)
    top, moco, personio, users, absences = (defaults_of(*p) for p in [(), ("moco",), ("personio",), ("users",),
                                                                      ("absences",)])
    assert spec.timezone == top["timezone"]
    assert spec.moco.api_key_env == moco["api_key_env"]
    assert spec.moco.rate_limit == RateLimit(**moco["rate_limit"])
    assert spec.personio.base_url == personio["base_url"]
    assert (spec.personio.client_id_env, spec.personio.client_secret_env) == (
        personio["client_id_env"], personio["client_secret_env"])
    assert spec.personio.rate_limit == RateLimit(**personio["rate_limit"])
    assert list(spec.users.overrides) == users["overrides"] and list(spec.users.exclude) == users["exclude"]
    assert (spec.absences.enabled, spec.absences.until_days, spec.absences.unmapped) == (
        absences["enabled"], absences["until_days"], absences["unmapped"])


@pytest.mark.parametrize("personio", ["", "personio:\n", "personio: null\n", "personio: {}\n"],
                         ids=["absent", "empty", "null", "empty-mapping"])
def test_a_spec_without_personio_settings_gets_the_schemas_personio_defaults(personio):
    spec = parse_spec(VALID + personio, today=TODAY)
    expected = defaults_of("personio")
    assert spec.personio == model.PersonioSettings(
        base_url=expected["base_url"], client_id_env=expected["client_id_env"],
        client_secret_env=expected["client_secret_env"], webhook_secret_env=expected["webhook_secret_env"],
        rate_limit=RateLimit(**expected["rate_limit"]))


def test_one_personio_setting_leaves_the_others_at_their_defaults():
    spec = parse_spec(VALID + "personio:\n  rate_limit: {requests: 10, per_seconds: 1}\n", today=TODAY)
    assert spec.personio.rate_limit == RateLimit(10, 1)
    assert spec.personio.base_url == defaults_of("personio")["base_url"]


def test_the_dataclasses_hold_no_defaults_of_their_own():
    classes = [value for value in vars(model).values() if dataclasses.is_dataclass(value)]
    assert model.Spec in classes and model.PersonioSettings in classes
    with_default = [f"{cls.__name__}.{f.name}" for cls in classes for f in dataclasses.fields(cls)
                    if f.init and (f.default is not dataclasses.MISSING or f.default_factory is not dataclasses.MISSING)]
    assert not with_default


def test_no_default_of_the_schema_is_written_again_in_the_code():
    """Text defaults (not values of an enum, which the code names for other reasons) appear in no module."""
    texts = [sub["default"] for _, sub, _ in properties(SCHEMA)
             if isinstance(sub.get("default"), str) and sub["default"] not in sub.get("enum", [])]
    assert "Europe/Berlin" in texts
    sources = {path.name: path.read_text() for path in SPEC_PACKAGE.glob("*.py")}
    restated = [(name, text) for text in texts for name, source in sources.items() if text in source]
    assert not restated


def test_filling_defaults_changes_nothing_the_user_wrote():
    data = {"personio": None, "users": {"exclude": None}, "timezone": None, "absences": {"until_days": "x"}}
    before = json.dumps(data)
    filled = with_defaults(data)
    assert json.dumps(data) == before  # the input is not changed
    assert filled["personio"] == defaults_of("personio")  # null where null is allowed: the default
    assert filled["users"]["exclude"] == []
    assert filled["timezone"] is None  # null where it is not allowed: kept, the schema reports it
    assert filled["absences"]["until_days"] == "x"  # wrong type: kept
    assert "version" not in filled and "moco" not in filled  # required settings have no default


def test_a_problem_with_a_filled_in_default_points_at_the_users_own_key():
    problems = problems_of(VALID + "personio:\n  client_id_env: PERSONIO_CLIENT_SECRET\n")
    assert problems == ["spec.yaml:10:1: personio.client_secret_env: names the same environment variable as "
                        "client_id_env (PERSONIO_CLIENT_SECRET); the id and the secret are two values"]


@pytest.mark.parametrize("absences", ["", "absences: [1]\n"], ids=["missing", "not-a-mapping"])
def test_the_window_check_uses_the_default_until_days_where_absences_are_unreadable(absences):
    text = VALID.replace("start_date: 2026-01-01", "start_date: 2099-01-01")
    text = text.replace("absences:\n  types:\n    Paid vacation: holiday\n", absences)
    problems = problems_of(text)
    until_days = defaults_of("absences")["until_days"]
    assert any(f"start_date: 2099-01-01 lies after the end of the sync window (today {TODAY} + absences.until_days "
               f"{until_days}" in p for p in problems), problems


@pytest.mark.parametrize(
    ("text", "message"),
    [
        pytest.param("version: &x [*x]\n", "spec.yaml:1:14: version[0]: an alias (*name) here repeats a mapping",
                     id="alias-loop-in-list"),
        pytest.param("moco: &m {base_url: *m}\n", "spec.yaml:1:21: moco.base_url: an alias (*name) here repeats",
                     id="alias-loop-in-mapping"),
        pytest.param("a: &a [x, x, x, x, x, x, x, x, x, x]\n" + "".join(
            f"{b}: &{b} [{', '.join([f'*{a}'] * 10)}]\n" for a, b in zip("abcdef", "bcdefg")),
            f"the file holds more than {MAX_VALUES:,} values", id="alias-bomb"),
        pytest.param("version: " + "[" * 3000 + "]" * 3000 + "\n", "spec.yaml: YAML syntax error: the file is nested "
                     "too deeply", id="deep-nesting"),
    ],
)
def test_yaml_that_never_ends_is_a_problem_not_a_crash(text, message):
    assert any(message in p for p in problems_of(text))


def test_the_docs_state_the_schemas_defaults():
    """docs/spec.md's table of fields shows each default of the schema, as the schema has it."""
    import yaml

    rows = {}
    for line in (ROOT / "docs" / "spec.md").read_text().splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if len(cells) == 4 and cells[0].startswith("`") and cells[2].startswith("`"):
            rows[tuple(cells[0].strip("`").split("."))] = yaml.safe_load(cells[2].strip("`"))
    assert rows == dict(schema_defaults())
