"""`reconcile users`: the matching table, for people and for scripts."""

from __future__ import annotations

import json

from reconciler.sync.identity import Matching

SECTIONS = (  # (JSON key, heading, Matching field)
    ("only_personio", "Only in Personio (not synced: add users.overrides or users.exclude)", "only_personio"),
    ("only_moco", "Only in MOCO (not synced: add users.overrides or users.exclude)", "only_moco"),
    ("excluded", "Excluded (users.exclude)", "excluded"),
    ("archived", "Archived in MOCO (matched, nothing written)", "archived"),
    ("shared_emails", "One email on several people (none of them synced)", "shared"),
    ("overrides_unmatched", "Overrides that match nobody", "overrides_unmatched"),
)


def render_users(matching: Matching, fmt: str) -> str:
    pairs = [{"personio": pair.person.email or pair.personio_email, "moco": pair.moco_email}
             for pair in matching.pairs]
    overrides = [{"personio": personio, "moco": moco} for personio, moco in matching.overrides_used]
    if fmt == "json":
        data = {"matched": pairs, **{key: list(getattr(matching, field)) for key, _, field in SECTIONS},
                "overrides_used": overrides}
        return json.dumps(data, indent=2, ensure_ascii=False) + "\n"
    out = [f"Matched ({len(pairs)}): Personio → MOCO"]
    out += [f"  {pair['personio']} → {pair['moco']}" for pair in pairs] or ["  nobody"]
    out += [f"Overrides in use ({len(overrides)})"] + [f"  {o['personio']} → {o['moco']}" for o in overrides]
    for _, heading, field in SECTIONS:
        rows = getattr(matching, field)
        out += [f"{heading} ({len(rows)})"] + [f"  {row}" for row in rows]
    return "\n".join(out) + "\n"
