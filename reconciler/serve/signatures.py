"""Is a webhook delivery really from MOCO or Personio? Pure checks of the raw body and headers.

MOCO signs every delivery: `X-Moco-Signature` is the hex HMAC-SHA256 of the exact raw body, keyed with
the 32-hex-character secret shown in the webhook overview, used as text (everii-Group/mocoapp-api-docs
`webhooks.md`, whose example vector the tests check). The signature covers the body only, not
`X-Moco-Timestamp`, so a captured delivery can be replayed; that is harmless here because every event
is only a hint to re-read the records it names (events.py).

Personio signs nothing: see PERSONIO_AUTH below for what is documented and what is assumed.

Every check answers a `Verdict`; a rejection's reason names the header and what is wrong with it and
never contains a secret, the expected value or the value received.
"""

from __future__ import annotations

import hashlib
import hmac
import string
from collections.abc import Mapping
from dataclasses import dataclass

MOCO_SIGNATURE = "X-Moco-Signature"
_HEX = frozenset(string.hexdigits)
_DIGEST_HEX_LENGTH = hashlib.sha256().digest_size * 2  # 64

# -------------------------------------------------------------------------------- PERSONIO_AUTH
# Documented (developer.personio.de/reference/post_v2-webhooks and …/patch_v2-webhooks-id, "auth_type"):
# a v2 webhook config authenticates its deliveries with `auth_type` NONE (no header), TOKEN (the
# default: "A static token will be sent in the Authorization header" — "this exact value", with no
# "Bearer " or other prefix added) or CUSTOM (up to 3 custom headers). The webhooks reference
# (developer.personio.de/v2.0/reference/webhooks: acknowledgment, retries, envelope) documents no
# signature of the body, and no signing secret is mentioned anywhere in it.
# Assumed (the receiver's rule, issue 13): the admin creates the config with `auth_type` TOKEN and the
# token set to the secret that `personio.webhook_secret_env` names (default PERSONIO_WEBHOOK_SECRET), and
# a delivery is accepted only when its Authorization header equals that secret exactly (constant-time).
# UNVERIFIED (doctor: webhook-deliveries) against a live account: that the header arrives byte for byte as configured.
# The body is not authenticated (only the sender is), which is another reason every event is only a hint.
PERSONIO_AUTH_HEADER = "Authorization"


@dataclass(frozen=True)
class Verdict:
    """Whether a delivery is authentic; `reason` says why not (safe to log: it holds no secret)."""

    ok: bool
    reason: str = ""


ACCEPTED = Verdict(True)


def header(headers: Mapping[str, str], name: str) -> str | None:
    """A header's value by its name in any letter case (aiohttp's headers are case-insensitive
    already; a plain dict is not)."""
    value = headers.get(name)
    if value is not None:
        return value
    wanted = name.lower()
    for key, found in headers.items():
        if key.lower() == wanted:
            return found
    return None


def moco_signature(secret: str, body: bytes) -> str:
    """The signature MOCO sends for `body` (hex HMAC-SHA256 keyed with the secret as text)."""
    return hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def moco_secrets(secret: str | None) -> list[str]:
    """The keys `secret` holds. MOCO's docs show "the" key in the webhook overview but do not say whether
    it is one per account or one per hook (UNVERIFIED; doctor: webhook-deliveries), so the variable may hold
    several, comma-separated."""
    return [part.strip() for part in (secret or "").split(",") if part.strip()]


def verify_moco(body: bytes, headers: Mapping[str, str], secret: str | None) -> Verdict:
    """Accept a MOCO delivery only when `X-Moco-Signature` is the HMAC of exactly these bytes, keyed with
    the secret (or one of the comma-separated secrets, `moco_secrets`)."""
    if not moco_secrets(secret):
        return Verdict(False, "no MOCO webhook secret is configured: every MOCO delivery is refused")
    sent = header(headers, MOCO_SIGNATURE)
    if sent is None or not sent.strip():
        return Verdict(False, f"missing {MOCO_SIGNATURE} header")
    sent = sent.strip()
    if len(sent) != _DIGEST_HEX_LENGTH or not _HEX.issuperset(sent):
        return Verdict(False, f"{MOCO_SIGNATURE} is not {_DIGEST_HEX_LENGTH} hexadecimal digits")
    matches = [hmac.compare_digest(sent.lower().encode(), moco_signature(key, body).encode())
               for key in moco_secrets(secret)]  # every key compared: the time says nothing about which
    if not any(matches):
        return Verdict(False, f"{MOCO_SIGNATURE} does not match the body (wrong secret or altered body)")
    return ACCEPTED


def verify_personio(body: bytes, headers: Mapping[str, str], secret: str | None) -> Verdict:
    """Accept a Personio delivery only when its Authorization header is the configured secret
    (PERSONIO_AUTH above). `body` is not covered by anything Personio sends; it is taken so both
    checks have the same shape."""
    del body
    if not secret:
        return Verdict(False, "no Personio webhook secret is configured: every Personio delivery is refused")
    sent = header(headers, PERSONIO_AUTH_HEADER)
    if sent is None or not sent:
        return Verdict(False, f"missing {PERSONIO_AUTH_HEADER} header")
    # a header's bytes that were not UTF-8 arrive surrogate-escaped (aiohttp): compared as the bytes they were
    if not hmac.compare_digest(sent.encode("utf-8", "surrogateescape"), secret.encode()):
        return Verdict(False, f"{PERSONIO_AUTH_HEADER} header is not the configured webhook secret")
    return ACCEPTED
