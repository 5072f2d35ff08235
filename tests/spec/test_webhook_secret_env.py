"""moco.webhook_secret_env and personio.webhook_secret_env: names of the variables `reconcile serve` reads.

Like the other *_env keys they hold the name of an environment variable, never its value; unlike them,
plan, apply and validate do not need the variables and never mention them.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from reconciler.cli import cli
from reconciler.spec import parse_spec
from reconciler.spec.defaults import defaults_of
from tests.spec.test_spec import TODAY, VALID, problems_of, spec_text

ROOT = Path(__file__).resolve().parents[2]
SCHEMA_FILE = ROOT / "schemas" / "mapping.schema.json"
EXAMPLE = ROOT / "examples" / "mapping.yaml"

WITH_PERSONIO = VALID + "personio:\n  base_url: https://api.personio.de\n"


def with_moco_key(line: str) -> str:
    return spec_text(**{"  subdomain: acme": f"  subdomain: acme\n  {line}"})


def with_personio_key(line: str) -> str:
    return WITH_PERSONIO + f"  {line}\n"


def test_both_default_to_the_schemas_names_when_the_file_leaves_them_out():
    spec = parse_spec(VALID, today=TODAY)
    assert spec.moco.webhook_secret_env == "MOCO_WEBHOOK_SECRET"
    assert spec.personio.webhook_secret_env == "PERSONIO_WEBHOOK_SECRET"
    assert spec.moco.webhook_secret_env == defaults_of("moco")["webhook_secret_env"]
    assert spec.personio.webhook_secret_env == defaults_of("personio")["webhook_secret_env"]


@pytest.mark.parametrize("personio", ["personio:\n", "personio: {}\n", "personio:\n  client_id_env: P_ID\n"],
                         ids=["empty", "empty-mapping", "other-key-only"])
def test_a_personio_section_without_the_key_gets_the_default(personio):
    assert parse_spec(VALID + personio, today=TODAY).personio.webhook_secret_env == "PERSONIO_WEBHOOK_SECRET"


def test_custom_names_are_carried_into_the_spec():
    text = with_moco_key("webhook_secret_env: ACME_MOCO_HOOK") + "personio:\n  webhook_secret_env: acme_personio_hook\n"
    spec = parse_spec(text, today=TODAY)
    assert spec.moco.webhook_secret_env == "ACME_MOCO_HOOK"
    assert spec.personio.webhook_secret_env == "acme_personio_hook"
    # The other *_env keys keep their own defaults.
    assert spec.moco.api_key_env == "MOCO_API_KEY"
    assert spec.personio.client_secret_env == "PERSONIO_CLIENT_SECRET"


@pytest.mark.parametrize("name", ["lower case", "1ABC", "MOCO-SECRET", "$MOCO_WEBHOOK_SECRET", "''"])
@pytest.mark.parametrize(("text_with", "where", "path"), [
    pytest.param(with_moco_key, "5:3", "moco.webhook_secret_env", id="moco"),
    pytest.param(with_personio_key, "12:3", "personio.webhook_secret_env", id="personio"),
])
def test_a_name_that_is_no_environment_variable_is_reported_with_line_and_key_path(text_with, where, path, name):
    problems = problems_of(text_with(f"webhook_secret_env: {name}"))
    assert len(problems) == 1, problems
    assert problems[0].startswith(f"spec.yaml:{where}: {path}: ")
    assert "is not an environment variable name" in problems[0]


def test_a_bad_name_reads_like_the_same_mistake_in_api_key_env():
    webhook = problems_of(with_moco_key("webhook_secret_env: lower case"))
    api_key = problems_of(with_moco_key("api_key_env: lower case"))
    assert webhook[0].replace("webhook_secret_env", "api_key_env") == api_key[0]


def test_the_schema_declares_both_exactly_like_the_other_env_keys():
    moco = json.loads(SCHEMA_FILE.read_text())["properties"]["moco"]["properties"]
    personio = json.loads(SCHEMA_FILE.read_text())["properties"]["personio"]["properties"]

    def shape(node: dict) -> dict:
        return {key: value for key, value in node.items() if key not in ("description", "default")}

    assert shape(moco["webhook_secret_env"]) == shape(moco["api_key_env"])
    assert shape(personio["webhook_secret_env"]) == shape(personio["client_secret_env"])


def test_reconcile_schema_prints_the_file_with_both_keys():
    result = CliRunner().invoke(cli, ["schema"], catch_exceptions=False)
    assert result.exit_code == 0
    assert result.output == SCHEMA_FILE.read_text()
    printed = json.loads(result.output)["properties"]
    assert printed["moco"]["properties"]["webhook_secret_env"]["default"] == "MOCO_WEBHOOK_SECRET"
    assert printed["personio"]["properties"]["webhook_secret_env"]["default"] == "PERSONIO_WEBHOOK_SECRET"


def test_the_example_shows_both_keys_at_their_defaults():
    spec = parse_spec(EXAMPLE.read_text(), today=TODAY)
    assert "webhook_secret_env: MOCO_WEBHOOK_SECRET" in EXAMPLE.read_text()
    assert "webhook_secret_env: PERSONIO_WEBHOOK_SECRET" in EXAMPLE.read_text()
    assert (spec.moco.webhook_secret_env, spec.personio.webhook_secret_env) == (
        "MOCO_WEBHOOK_SECRET", "PERSONIO_WEBHOOK_SECRET")


@pytest.mark.parametrize("spec_file", ["default", "custom"])
def test_validate_neither_needs_nor_mentions_the_webhook_variables(tmp_path, spec_file):
    path = tmp_path / "mapping.yaml"
    custom = "personio:\n  webhook_secret_env: ACME_PERSONIO_HOOK\n"
    path.write_text(VALID if spec_file == "default" else with_moco_key("webhook_secret_env: ACME_MOCO_HOOK") + custom)
    env = {"MOCO_API_KEY": "k", "PERSONIO_CLIENT_ID": "i", "PERSONIO_CLIENT_SECRET": "s",
           "MOCO_WEBHOOK_SECRET": None, "PERSONIO_WEBHOOK_SECRET": None,
           "ACME_MOCO_HOOK": None, "ACME_PERSONIO_HOOK": None}
    result = CliRunner().invoke(cli, ["validate", "-c", str(path)], env=env, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert "valid spec" in result.output
    assert "not set" not in result.output
    assert "HOOK" not in result.output and "WEBHOOK" not in result.output
