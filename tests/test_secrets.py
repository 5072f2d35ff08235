"""Secrets from files (issue 21): `MOCO_API_KEY_FILE=/path` names a file that holds the key, as Docker and
Kubernetes mount Secrets. Never both forms; errors name the variable and the path, never the content."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from reconciler.cli.serve import webhook_secrets
from reconciler.doctor.runner import _secrets, _unset
from reconciler.errors import ReconcileError
from reconciler.systems.connect import missing_variables, read_credentials, required_variables
from reconciler.systems.secrets import MAX_SECRET_BYTES, is_set, secret
from tests.systems.helpers import SPEC

SECRET = "s3cr3t-value-never-shown"


def written(tmp_path: Path, text: str | bytes, name: str = "secret") -> str:
    path = tmp_path / name
    path.write_bytes(text if isinstance(text, bytes) else text.encode())
    return str(path)


def refused(environ: dict[str, str], name: str = "MOCO_API_KEY") -> str:
    with pytest.raises(ReconcileError) as caught:
        secret(environ, name)
    return str(caught.value)


def test_the_variable_itself_and_no_file():
    assert secret({"MOCO_API_KEY": f"  {SECRET}\n"}, "MOCO_API_KEY") == SECRET
    assert secret({}, "MOCO_API_KEY") is None
    assert secret({"MOCO_API_KEY": "  ", "MOCO_API_KEY_FILE": ""}, "MOCO_API_KEY") is None


def test_a_file_the_file_form_names_with_its_trailing_newline_stripped(tmp_path):
    path = written(tmp_path, f"{SECRET}\n")
    assert secret({"MOCO_API_KEY_FILE": path}, "MOCO_API_KEY") == SECRET
    assert secret({"MOCO_API_KEY_FILE": path, "MOCO_API_KEY": "  "}, "MOCO_API_KEY") == SECRET  # blank: unset
    assert is_set({"MOCO_API_KEY_FILE": path}, "MOCO_API_KEY") and not is_set({}, "MOCO_API_KEY")


def test_both_forms_at_once_are_an_error_naming_both(tmp_path):
    said = refused({"MOCO_API_KEY": SECRET, "MOCO_API_KEY_FILE": written(tmp_path, SECRET)})
    assert "$MOCO_API_KEY and $MOCO_API_KEY_FILE" in said and SECRET not in said


@pytest.mark.parametrize(("content", "why"), [
    (b"", "which is empty"),
    (b" \n\n", "which is empty"),
    (b"x" * (MAX_SECRET_BYTES + 1), "over 64 KiB"),
    (b"\xff\xfe" + SECRET.encode(), "not UTF-8 text"),
])
def test_a_file_that_holds_no_usable_secret_is_named_never_shown(tmp_path, content, why):
    path = written(tmp_path, content)
    said = refused({"MOCO_API_KEY_FILE": path})
    assert f"$MOCO_API_KEY_FILE names {path}" in said and why in said
    assert SECRET not in said and "xxxx" not in said


def test_a_secret_of_exactly_64_kib_is_read(tmp_path):
    assert secret({"K_FILE": written(tmp_path, "k" * MAX_SECRET_BYTES)}, "K") == "k" * MAX_SECRET_BYTES


def test_a_missing_file_a_directory_and_an_unreadable_file(tmp_path):
    missing = str(tmp_path / "nowhere")
    assert refused({"MOCO_API_KEY_FILE": missing}) == f"$MOCO_API_KEY_FILE names {missing}, which does not exist"
    assert "which is a directory" in refused({"MOCO_API_KEY_FILE": str(tmp_path)})
    path = written(tmp_path, SECRET)
    inside = f"{path}/key"  # a path through a file: NotADirectoryError, as root too
    assert refused({"MOCO_API_KEY_FILE": inside}) == f"$MOCO_API_KEY_FILE names {inside}, which cannot be read: " \
                                                     "Not a directory"
    os.chmod(path, 0)
    try:
        if not os.access(path, os.R_OK):  # root reads anything
            said = refused({"MOCO_API_KEY_FILE": path})
            assert f"$MOCO_API_KEY_FILE names {path}, which cannot be read" in said and SECRET not in said
    finally:
        os.chmod(path, 0o600)


def test_credentials_come_from_files_and_missing_ones_mention_the_file_form(tmp_path):
    environ = {"MOCO_API_KEY_FILE": written(tmp_path, "k\n", "moco"),
               "PERSONIO_CLIENT_ID_FILE": written(tmp_path, "i\n", "id"),
               "PERSONIO_CLIENT_SECRET": "s"}
    credentials = read_credentials(SPEC, environ)
    assert (credentials.moco_api_key, credentials.personio_client_id, credentials.personio_client_secret) == \
        ("k", "i", "s")
    assert missing_variables(SPEC, environ) == []
    with pytest.raises(ReconcileError) as caught:
        read_credentials(SPEC, {"MOCO_API_KEY": "k"})
    said = str(caught.value)
    assert said.startswith("environment variables not set: $PERSONIO_CLIENT_ID (the Personio API client id")
    assert "$PERSONIO_CLIENT_ID_FILE, $PERSONIO_CLIENT_SECRET_FILE" in said


def test_a_credential_file_that_cannot_be_read_says_what_it_was_for(tmp_path):
    empty = written(tmp_path, "\n")
    with pytest.raises(ReconcileError) as caught:
        read_credentials(SPEC, {"MOCO_API_KEY_FILE": empty, "PERSONIO_CLIENT_ID": "i", "PERSONIO_CLIENT_SECRET": "s"})
    assert str(caught.value) == f"the MOCO API key (moco.api_key_env in the spec): $MOCO_API_KEY_FILE names {empty}, " \
                                "which is empty"


def test_doctor_fails_the_credentials_naming_an_unreadable_file_or_an_unset_variable(tmp_path):
    missing = str(tmp_path / "nowhere")
    values, problems = _secrets(required_variables(SPEC), {"MOCO_API_KEY_FILE": missing,
                                                           "PERSONIO_CLIENT_ID": "i"})
    assert values == ["", "i", ""]
    moco = _unset("moco-credentials", problems[:1], SPEC)
    assert moco.status == "fail" and f"$MOCO_API_KEY_FILE names {missing}, which does not exist" in moco.detail
    personio = _unset("personio-credentials", problems[1:], SPEC)
    assert "not set: $PERSONIO_CLIENT_SECRET (the Personio API client secret" in personio.detail
    assert "$PERSONIO_CLIENT_SECRET_FILE" in personio.detail


def test_doctor_reads_credentials_from_files(tmp_path):
    environ = {"MOCO_API_KEY_FILE": written(tmp_path, "k\n", "moco"), "PERSONIO_CLIENT_ID": "i",
               "PERSONIO_CLIENT_SECRET_FILE": written(tmp_path, "s", "s")}
    assert _secrets(required_variables(SPEC), environ) == (["k", "i", "s"], [])


def test_webhook_secrets_come_from_files_and_a_bad_file_stops_serve(tmp_path, capsys):
    moco, personio = webhook_secrets(SPEC, {"MOCO_WEBHOOK_SECRET_FILE": written(tmp_path, "a" * 32 + "\n", "m"),
                                            "PERSONIO_WEBHOOK_SECRET_FILE": written(tmp_path, "b" * 32, "p")})
    assert (moco, personio) == ("a" * 32, "b" * 32) and capsys.readouterr().err == ""
    with pytest.raises(ReconcileError, match=r"the Personio webhook secret \(personio.webhook_secret_env in .*\): "
                                             r"both \$PERSONIO_WEBHOOK_SECRET and \$PERSONIO_WEBHOOK_SECRET_FILE"):
        webhook_secrets(SPEC, {"PERSONIO_WEBHOOK_SECRET": "b" * 32,
                               "PERSONIO_WEBHOOK_SECRET_FILE": written(tmp_path, "b" * 32, "p")})
    webhook_secrets(SPEC, {})
    assert "$MOCO_WEBHOOK_SECRET (named by moco.webhook_secret_env" in capsys.readouterr().err

