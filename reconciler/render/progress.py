"""The words of a run under way (issue 22): what it reads, what the apply will cost, how far it is, how fast
it goes, when it ends, and which rate limit holds it back. No phase stays silent.

run.py tells a `Watch` where the run is (`running`, `applying`, `settling`) and hands it to apply as its
progress callback; the watch logs through logs.line, so every line is text or one JSON object:

- `read.progress`: `reading MOCO and Personio: 1,204 requests so far` (every `every` seconds while reading);
- `apply.cost`: the cost line (plan/cost.py) before the first write, when it takes a minute or more;
- `apply.progress`: `applying: 313 of 802 done, 0 failed so far; 52 a minute, about 9 min left; waiting 43 s
  for MOCO's rate limit (120 per 2 min)`, with `done`, `total`, `failed`, `rate_per_minute`, `eta_seconds`
  and `waiting` (seconds per system) as fields; on a terminal, a bar redrawn in place instead, with the
  rate, the time left and the wait;
- `apply.readback` when apply reads back what it wrote, then `readback.progress` while that goes on.

A service's wait is its rate limiter's `paused_for()`: the seconds until its next request may start.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass

import click

from reconciler import logs
from reconciler.apply import Outcome
from reconciler.plan.cost import SERVICES, Cost, duration, rate_words
from reconciler.spec.model import RateLimit
from reconciler.systems.connect import Clients

EVERY = 10.0  # seconds between progress lines in a log (no terminal)
TICK = 1.0  # seconds between redraws of the bar on a terminal
WINDOW = 300.0  # seconds of recent progress the rate is measured over (since the start, until then)
WAITING_FROM = 1.0  # seconds of a rate limiter's pause from which the lines say the run waits for it
BAR = 30  # characters of the progress bar on a terminal

READING_BACK = "reading back what was written, to remove copies another run may have made"


@dataclass(frozen=True)
class Pause:
    """A service's rate limiter holding its requests back."""

    system: str  # moco | personio
    seconds: float
    rate: RateLimit | None

    def __str__(self) -> str:
        limit = f" ({rate_words(self.rate)})" if self.rate else ""
        return f"waiting {round(self.seconds)} s for {SERVICES.get(self.system, self.system)}'s rate limit{limit}"


class Watch:
    """A run's progress as the user sees it: a line every `every` seconds in a log (no terminal, or JSON logs);
    on a `terminal`, the apply's bar redrawn in place each second, and the read's lines every `every` seconds.
    `clock` measures the rate and the time left, over the last `window` seconds."""

    def __init__(self, *, terminal: bool = False, every: float = EVERY, window: float = WINDOW,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.terminal, self.every, self.window, self.clock = terminal, every, window, clock
        self.phase = ""  # reading | applying | settling | "" (quiet: planning, asking, done)
        self.clients: Clients | None = None
        self.rates: Mapping[str, RateLimit] = {}
        self.done = self.total = self.failed = 0
        self._samples: deque[tuple[float, int]] = deque()  # (when, done), oldest first
        self._since = 0.0  # when the phase began
        self._requests_then = 0  # requests sent when the phase began
        self._last_line = 0.0  # when the last heartbeat line was written
        self._drawn = 0  # characters of the bar last drawn

    @classmethod
    def on_stderr(cls, every: float = EVERY) -> Watch:
        """A command's watch (plan, apply): the bar on a terminal, lines every `every` seconds in a log (no
        terminal, or JSON logs)."""
        return cls(terminal=logs.stderr_is_terminal() and not logs.machine(), every=every)

    # ------------------------------------------------------------------ what run.py tells it

    @asynccontextmanager
    async def running(self, clients: Clients, rates: Mapping[str, RateLimit]) -> AsyncIterator[Watch]:
        """The run's heartbeat while it runs; the run starts by reading."""
        self.clients, self.rates = clients, rates
        self._begin("reading")
        pulse = asyncio.ensure_future(self._beating())
        try:
            yield self
        finally:
            pulse.cancel()
            self.phase = ""

    def planned(self) -> None:
        """The read is done: planning and asking say nothing of their own."""
        self.phase = ""

    def applying(self, cost: Cost, total: int) -> None:
        """Before the first write: the cost line (when the apply takes a minute or more), then progress."""
        if cost.worth_saying:
            logs.line("apply.cost", str(cost), **cost.to_json())
        self.done = self.failed = 0
        self.total = total
        self._begin("applying")
        self._samples = deque([(self._since, 0)])

    def settling(self) -> None:
        """After the last change: apply reads back what it wrote."""
        self._end_bar()
        logs.line("apply.readback", f"  {READING_BACK}")
        self._begin("settling")

    def finished(self) -> None:
        self._end_bar()
        self.phase = ""

    def __call__(self, outcome: Outcome | None, done: int, total: int) -> None:
        """apply.py's `Progress`: after each change (None: a heartbeat, which the watch makes itself)."""
        if outcome is None:
            self.beat()
            return
        if self.phase != "applying":  # copies removed while reading back count as that phase's
            return
        self.failed += outcome.status == "failed"
        self.done, self.total = done, total
        now = self.clock()
        self._samples.append((now, done))
        while len(self._samples) > 2 and self._samples[1][0] <= now - self.window:
            self._samples.popleft()
        if self.terminal:
            self._draw()

    # ------------------------------------------------------------------ what it says

    def rate_per_minute(self) -> float | None:
        """Changes a minute over the recent window (since the start, until it is that long); None too early."""
        if not self._samples:
            return None
        now = self.clock()
        base = self._samples[0]
        for sample in self._samples:  # the newest sample at least a window old, else the start
            if sample[0] <= now - self.window:
                base = sample
        elapsed = now - base[0]
        if elapsed < 1.0 or self.done <= base[1] and elapsed < self.window / 5:
            return None
        return (self.done - base[1]) * 60 / elapsed

    def eta_seconds(self) -> float | None:
        rate = self.rate_per_minute()
        return (self.total - self.done) * 60 / rate if rate else None

    def waiting(self) -> list[Pause]:
        """The services whose rate limit holds their next request back for a second or more."""
        if self.clients is None:
            return []
        pauses = [Pause(system, client.service.limiter.paused_for(), self.rates.get(system))
                  for system, client in (("moco", self.clients.moco), ("personio", self.clients.personio))]
        return [pause for pause in pauses if pause.seconds >= WAITING_FROM]

    def requests(self) -> int:
        if self.clients is None:
            return 0
        return self.clients.moco.service.requests_sent + self.clients.personio.service.requests_sent

    def beat(self) -> None:
        """One heartbeat: on a terminal, the bar redrawn (and, while reading, a line every `every` s); in a
        log, the phase's line."""
        now = self.clock()
        if self.phase == "applying" and self.terminal:
            if self.done < self.total:  # the last change ended the bar's line
                self._draw()
            return
        if self.terminal and now - self._last_line < self.every:
            return
        self._last_line = now
        waits = self.waiting()
        said = "".join(f"; {pause}" for pause in waits)
        waiting = {pause.system: round(pause.seconds) for pause in waits}
        if self.phase == "reading":
            sent = self.requests()
            logs.line("read.progress", f"  reading MOCO and Personio: {_requests(sent)} so far{said}",
                      requests=sent, waiting=waiting)
        elif self.phase == "applying":
            rate, eta = self.rate_per_minute(), self.eta_seconds()
            logs.line("apply.progress", f"  applying: {self.done:,} of {self.total:,} done, {self.failed:,} failed "
                      f"so far{_pace(rate, eta)}{said}", done=self.done, total=self.total, failed=self.failed,
                      rate_per_minute=None if rate is None else round(rate, 1),
                      eta_seconds=None if eta is None else round(eta), waiting=waiting)
        elif self.phase == "settling":
            sent = self.requests() - self._requests_then
            logs.line("readback.progress", f"  still {READING_BACK}: {_requests(sent)} so far, "
                      f"{duration(now - self._since)}{said}", requests=sent, seconds=round(now - self._since),
                      waiting=waiting)

    # ------------------------------------------------------------------ inside

    def _begin(self, phase: str) -> None:
        self.phase, self._since, self._last_line = phase, self.clock(), self.clock()
        self._requests_then = self.requests()

    async def _beating(self) -> None:
        while True:
            await asyncio.sleep(TICK if self.terminal else self.every)
            if self.phase:
                self.beat()

    def _draw(self) -> None:
        filled = BAR * self.done // max(self.total, 1)
        text = f"  [{'#' * filled}{'.' * (BAR - filled)}] {self.done}/{self.total}"
        text += f", {self.failed} failed" if self.failed else ""
        rate, eta = self.rate_per_minute(), self.eta_seconds()
        if rate is not None:
            text += f", {rate:,.0f}/min" + (f", ~{duration(eta)} left" if eta else "")
        text += "".join(f", {pause}" for pause in self.waiting()) if self.done < self.total else ""
        padding = " " * max(0, self._drawn - len(text))
        self._drawn = len(text)
        click.echo(f"\r{text}{padding}", nl=self.done == self.total, err=True)
        if self.done == self.total:
            self._drawn = 0

    def _end_bar(self) -> None:
        """On a terminal, the bar's line ends before other lines come (a stop before the last change)."""
        if self.terminal and self._drawn:
            click.echo("", err=True)
            self._drawn = 0


def _pace(rate: float | None, eta: float | None) -> str:
    if rate is None:
        return ""
    return f"; {rate:,.0f} a minute" + (f", about {duration(eta)} left" if eta else "")


def _requests(count: int) -> str:
    return f"{count:,} request{'s' if count != 1 else ''}"
