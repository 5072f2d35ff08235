"""Refused webhook deliveries and cut connections, told in one log line per interval (issue 20, finding 3).

A line per 401 let anyone who knows the URL write 13 MB of log a minute. Every refusal is still counted on
/metrics at once (app.py, connections.py); the log gets one line at most every EVERY seconds, with a count
per source and kind and the latest reason of each (reasons are fixed words or what events.shown() made of a
delivery's text, so a line stays short):

    webhook refusals in the last 60 s: personio: unauthorized 2,315 (Authorization header is not the
    configured webhook secret); moco: too large 3; connections: over the cap 120

The first refusal after a quiet interval is told at once, so an operator setting up a webhook sees a wrong
secret straight away; the rest of that interval's waits for the next line.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

EVERY = 60.0  # seconds between two lines at the most
# What is counted, by kind, in the words the line uses; a connection's kinds are metrics.CLOSES.
WORDS = {"unauthorized": "unauthorized", "too_large": "too large", "too_slow": "body too slow", "aborted": "aborted",
         "malformed": "malformed", "over_cap": "over the cap", "evicted": "idle ones closed to make room",
         "timeout": "no request headers in time", "bad_request": "unparsable requests (400)"}
REASON_LIMIT = 120  # characters of a reason repeated in the line


@dataclass(frozen=True)
class Told:
    """One line to log: its words and its fields (`refused`: source -> kind -> count)."""

    message: str
    fields: dict[str, Any]


@dataclass
class Refusals:
    """Counts since the last line; `add` and `due` answer the line to write, if one is due."""

    every: float = EVERY
    counts: dict[tuple[str, str], int] = field(default_factory=dict)
    reasons: dict[tuple[str, str], str] = field(default_factory=dict)
    told: float | None = None  # when the last line was written
    opened: float | None = None  # when the first refusal not yet told came

    def add(self, source: str, kind: str, now: float, reason: str = "") -> Told | None:
        key = (source, kind)
        self.counts[key] = self.counts.get(key, 0) + 1
        if reason:
            self.reasons[key] = reason[:REASON_LIMIT]
        if self.opened is None:
            self.opened = now
        return self.due(now)

    def due(self, now: float) -> Told | None:
        """The line, when refusals wait and the last line is at least `every` seconds old."""
        if not self.counts or (self.told is not None and now - self.told < self.every):
            return None
        return self.flush(now)

    def flush(self, now: float) -> Told | None:
        """The line now, if any refusal waits (at shutdown)."""
        if not self.counts:
            return None
        quiet = self.told is None or self.opened is None or self.opened - self.told >= self.every
        since = self.opened if quiet else self.told
        seconds = round(now - since) if since is not None else 0
        parts: dict[str, list[str]] = {}
        refused: dict[str, dict[str, int]] = {}
        for (source, kind), count in sorted(self.counts.items(), key=lambda item: -item[1]):
            reason = self.reasons.get((source, kind))
            said = f"{WORDS.get(kind, kind)} {count:,}" + (f" ({reason})" if reason else "")
            parts.setdefault(source, []).append(said)
            refused.setdefault(source, {})[kind] = count
        self.counts, self.reasons, self.told, self.opened = {}, {}, now, None
        window = f" in the last {seconds} s" if seconds >= 1 else ""
        sources = "; ".join(f"{source}: {', '.join(words)}" for source, words in parts.items())
        return Told(f"webhook refusals{window}: {sources}", {"refused": refused, "seconds": seconds})
