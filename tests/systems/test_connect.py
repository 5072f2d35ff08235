"""Connecting a run: the environment variables the spec names, and the credentials read from them."""

from __future__ import annotations

from dataclasses import replace

import pytest

from reconciler.errors import ReconcileError
from reconciler.systems.connect import read_credentials, required_variables
from tests.systems.helpers import SPEC

# ----------------------------------------------------------------------------- credentials


def test_missing_environment_variables_are_named_and_values_never_shown():
    with pytest.raises(ReconcileError) as caught:
        read_credentials(SPEC, {"MOCO_API_KEY": "x", "PERSONIO_CLIENT_ID": "  "})
    message = str(caught.value)
    assert "$PERSONIO_CLIENT_ID" in message and "$PERSONIO_CLIENT_SECRET" in message
    assert "$MOCO_API_KEY" not in message and "personio.client_id_env" in message
    credentials = read_credentials(SPEC, {"MOCO_API_KEY": "k", "PERSONIO_CLIENT_ID": "i", "PERSONIO_CLIENT_SECRET": "s"})
    assert "k" not in repr(credentials).replace("Credentials", "")


def test_required_variables_are_the_ones_the_spec_names_with_their_keys():
    assert required_variables(SPEC) == [
        ("MOCO_API_KEY", "moco.api_key_env", "the MOCO API key"),
        ("PERSONIO_CLIENT_ID", "personio.client_id_env", "the Personio API client id"),
        ("PERSONIO_CLIENT_SECRET", "personio.client_secret_env", "the Personio API client secret"),
    ]
    renamed = replace(SPEC, moco=replace(SPEC.moco, api_key_env="ACME_MOCO_KEY"))
    assert [variable.name for variable in required_variables(renamed)][0] == "ACME_MOCO_KEY"
    with pytest.raises(ReconcileError, match=r"\$ACME_MOCO_KEY \(the MOCO API key; named by moco.api_key_env"):
        read_credentials(renamed, {"MOCO_API_KEY": "k", "PERSONIO_CLIENT_ID": "i", "PERSONIO_CLIENT_SECRET": "s"})
