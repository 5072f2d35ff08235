"""How big a spec may be, and how much of a value a message may repeat.

A real spec is a few KB (examples/mapping.yaml: 4.5 KB), and every value in it is short: an email, a
type name, a URL, a variable name. The caps below are far above that and far below what hurts: a spec
that passes them loads in well under 100 MiB, and a message about it is a few KB however broken it is.

- `MAX_SPEC_BYTES`: the file. 1 MiB holds about 25,000 excluded emails of 40 characters, more than any
  company has people; a larger file is refused before it is parsed.
- `MAX_TEXT_CHARS`: all text (keys and values) once aliases are expanded, counted while the file is
  read. The same 1 Mi as the file: aliases may repeat a block, never make the spec bigger than a file
  could hold written out. Without this a 1 MB email aliased 1,000 times took 4.9 GiB (issue 20).
- `MAX_SCALAR_CHARS`: any one key or value. A URL is the longest thing a spec holds (browsers and
  proxies stop near 2,000 to 8,000 characters); the schema holds emails to 320 (RFC 3696: 64 + @ + 255)
  and absence type, team and department names to 200.
- `QUOTE_CHARS`: a message quotes at most this much of a value, then "…" and its length.
- `SHOWN_PROBLEMS`: a refused spec lists its first problems in file order, then how many more there are.
"""

from __future__ import annotations

MAX_SPEC_BYTES = 1024 * 1024
MAX_TEXT_CHARS = 1024 * 1024
MAX_SCALAR_CHARS = 4096
QUOTE_CHARS = 80
SHOWN_PROBLEMS = 20


def quote(value: str, limit: int = QUOTE_CHARS) -> str:
    """`repr(value)`, but of at most `limit` characters of it: `'aaaa…' (1,000,010 characters)`."""
    if len(value) <= limit:
        return repr(value)
    shown = repr(value[:limit])
    return f"{shown[:-1]}…{shown[-1]} ({len(value):,} characters)"


def cut(value: str, limit: int = QUOTE_CHARS) -> str:
    """`value` itself, but of at most `limit` characters: `aaaa… (1,000,010 characters)`."""
    if len(value) <= limit:
        return value
    return f"{value[:limit]}… ({len(value):,} characters)"
