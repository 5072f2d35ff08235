"""A plan's fingerprint, hashed a change at a time: sha256 of the changes' canonical JSON list, as
`json.dumps(changes, sort_keys=True, separators=(",", ":"))` would give it, without the list held (a first sync
plans a million). `Plan.fingerprint` hashes it ASCII-escaped; the plan file hashes its changes as written.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any


class Fingerprint:
    """The fingerprint of the changes added so far (`ascii`: escaped as json.dumps does by default)."""

    def __init__(self, *, ascii: bool = False) -> None:
        self._hash = hashlib.sha256(b"[")
        self._first = True
        self._ascii = ascii

    def add(self, change: dict[str, Any]) -> None:
        text = json.dumps(change, sort_keys=True, separators=(",", ":"), ensure_ascii=self._ascii)
        self._hash.update((text if self._first else "," + text).encode())
        self._first = False

    def digest(self) -> str:
        final = self._hash.copy()
        final.update(b"]")
        return final.hexdigest()[:16]
