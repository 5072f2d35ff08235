"""Only a delivery signed with the configured secret gets through; reasons never show a secret."""

import pytest

from reconciler.serve.signatures import moco_signature, verify_moco, verify_personio

SECRET = "1d608b9d72219b90ff2393a1d3ee0ac0"
BODY = b'{"id":111,"description":"a description"}'


def signed(body: bytes = BODY, secret: str = SECRET) -> dict[str, str]:
    return {"X-Moco-Target": "Presence", "X-Moco-Event": "update", "X-Moco-Signature": moco_signature(secret, body)}


def test_moco_docs_example_vector_is_accepted():
    # the example in everii-Group/mocoapp-api-docs webhooks.md
    headers = {"X-Moco-Signature": "bf027a86207ef1ca1cb76f5a536b41a14287ab1a0fd5b33bfe86924bc2f48fd1"}
    assert verify_moco(BODY, headers, SECRET).ok


def test_moco_header_name_and_hex_case_do_not_matter():
    headers = {"x-moco-signature": moco_signature(SECRET, BODY).upper()}
    assert verify_moco(BODY, headers, SECRET).ok


def test_moco_forged_signature_is_rejected():
    verdict = verify_moco(BODY, signed(secret="0" * 32), SECRET)
    assert not verdict.ok and "does not match" in verdict.reason


@pytest.mark.parametrize("position", [0, len(BODY) // 2, len(BODY) - 1])
def test_moco_body_changed_by_one_byte_is_rejected(position):
    changed = bytearray(BODY)
    changed[position] ^= 0x01
    assert not verify_moco(bytes(changed), signed(), SECRET).ok


def test_moco_body_with_added_whitespace_is_rejected():
    # the exact raw bytes are signed, not the JSON they mean
    assert not verify_moco(BODY + b" ", signed(), SECRET).ok


@pytest.mark.parametrize("headers, reason", [
    ({}, "missing X-Moco-Signature"),
    ({"X-Moco-Signature": "  "}, "missing X-Moco-Signature"),
    ({"X-Moco-Signature": "zz" * 32}, "not 64 hexadecimal digits"),
    ({"X-Moco-Signature": "ab" * 31}, "not 64 hexadecimal digits"),
    ({"X-Moco-Signature": "sha256=" + "ab" * 32}, "not 64 hexadecimal digits"),
])
def test_moco_missing_or_malformed_signature_says_which(headers, reason):
    verdict = verify_moco(BODY, headers, SECRET)
    assert not verdict.ok and reason in verdict.reason


@pytest.mark.parametrize("secret", [None, ""])
def test_moco_without_a_configured_secret_everything_is_refused(secret):
    verdict = verify_moco(BODY, signed(secret=""), secret)
    assert not verdict.ok and "no MOCO webhook secret" in verdict.reason


def test_reasons_never_echo_the_secret_or_the_signatures():
    wrong = signed(secret="f" * 32)
    reasons = [verify_moco(BODY, wrong, SECRET).reason,
               verify_personio(BODY, {"Authorization": "guess"}, "s3cret-token").reason]
    for reason in reasons:
        assert SECRET not in reason and "s3cret" not in reason and "guess" not in reason
        assert wrong["X-Moco-Signature"] not in reason and moco_signature(SECRET, BODY) not in reason


def test_personio_token_in_authorization_header_is_accepted_exactly():
    assert verify_personio(BODY, {"authorization": "Bearer t0ken"}, "Bearer t0ken").ok
    # no prefix is added or stripped: Personio sends "this exact value"
    assert not verify_personio(BODY, {"Authorization": "t0ken"}, "Bearer t0ken").ok
    assert not verify_personio(BODY, {"Authorization": "Bearer t0ken "}, "Bearer t0ken").ok


def test_personio_missing_or_wrong_token_is_rejected():
    missing = verify_personio(BODY, {}, "t0ken")
    wrong = verify_personio(BODY, {"Authorization": "t0kem"}, "t0ken")
    assert not missing.ok and "missing Authorization" in missing.reason
    assert not wrong.ok and "not the configured" in wrong.reason
    assert not verify_personio(BODY, {"Authorization": ""}, "").ok  # no secret configured: refused
