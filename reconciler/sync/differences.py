"""What differs between a record as it is and as it should be, in words.

Planners compare records with `==`, which is cheap: most records of a steady-state plan agree.
Only for records that differ does DeepDiff say which fields do, for the "why" of an update.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from deepdiff import DeepDiff


def changed_fields(before: Mapping[str, Any], after: Mapping[str, Any]) -> list[str]:
    """The top-level fields whose values differ, in sorted order."""
    return sorted(DeepDiff(dict(before), dict(after)).affected_root_keys)


def explain(before: Mapping[str, Any], after: Mapping[str, Any], words: Mapping[str, str]) -> list[str]:
    """The differing fields named in `words` (field → how the plan names it), in its order, each name
    once; fields it does not name are the caller's to explain."""
    changed = set(changed_fields(before, after))
    return list(dict.fromkeys(word for name, word in words.items() if name in changed))
