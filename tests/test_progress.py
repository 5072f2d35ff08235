"""What a run shows while it runs (render/progress.py, issue 22): the cost line before the first write, progress
with done/total, rate and time left, the rate limit it waits for, and lines while it reads and reads back; in
text and JSON logs, on a terminal and without one. With a fake clock and fake rate limiters."""

from __future__ import annotations

import asyncio
import json
from types import SimpleNamespace

import pytest

from reconciler import logs
from reconciler.plan.cost import Cost, Writes
from reconciler.render.progress import Watch
from reconciler.spec.model import RateLimit

RATES = {"moco": RateLimit(120, 120.0), "personio": RateLimit(300, 60.0)}
APPLIED, FAILED = SimpleNamespace(status="applied"), SimpleNamespace(status="failed")
NO_COST = Cost((), first_sync=False)


class Clock:
    def __init__(self, now: float = 1000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


class Limiter:
    def __init__(self) -> None:
        self.pause = 0.0

    def paused_for(self) -> float:
        return self.pause


def clients() -> SimpleNamespace:
    def service() -> SimpleNamespace:
        return SimpleNamespace(service=SimpleNamespace(requests_sent=0, limiter=Limiter()))

    return SimpleNamespace(moco=service(), personio=service())


def watching(*, terminal: bool = False, total: int = 802, cost: Cost = NO_COST) -> tuple[Watch, Clock, SimpleNamespace]:
    """A watch past the read, at the start of an apply of `total` changes."""
    clock, run = Clock(), clients()
    watch = Watch(terminal=terminal, every=10.0, clock=clock)
    watch.clients, watch.rates = run, RATES  # as `running` sets them
    watch.applying(cost, total)
    return watch, clock, run


def apply(watch: Watch, clock: Clock, changes: int, seconds: float, *, failed: int = 0) -> None:
    """`changes` more changes made, evenly over `seconds`."""
    for index in range(changes):
        clock.now += seconds / changes
        watch(FAILED if index < failed else APPLIED, watch.done + 1, watch.total)


def json_lines(err: str) -> list[dict]:
    return [json.loads(line) for line in err.splitlines()]


def test_without_a_terminal_the_line_says_done_of_total_the_rate_and_the_time_left(capsys):
    watch, clock, _ = watching()
    apply(watch, clock, 313, 360.0, failed=2)  # 313 in 6 min: about 52 a minute, 489 left: about 9 min
    assert capsys.readouterr().err == ""  # nothing per change in a log
    watch.beat()
    assert capsys.readouterr().err == "  applying: 313 of 802 done, 2 failed so far; 52 a minute, about 9 min left\n"


def test_the_rate_is_that_of_the_last_minutes_not_since_the_start(capsys):
    watch, clock, _ = watching(total=10_000)
    apply(watch, clock, 3000, 300.0)  # 600 a minute at first
    apply(watch, clock, 600, 600.0)  # then 60 a minute for 10 minutes (the rate limit caught up)
    watch.beat()
    line = capsys.readouterr().err
    assert "3,600 of 10,000 done" in line and "; 60 a minute, about 1.8 h left" in line, line


def test_while_a_rate_limit_holds_the_writes_back_the_line_says_so(capsys):
    watch, clock, run = watching()
    apply(watch, clock, 120, 60.0)
    run.moco.service.limiter.pause = 43.2
    run.personio.service.limiter.pause = 0.4  # the steady pace between two requests: not a wait worth a word
    watch.beat()
    assert capsys.readouterr().err == ("  applying: 120 of 802 done, 0 failed so far; 120 a minute, about 6 min left; "
                                       "waiting 43 s for MOCO's rate limit (120 per 2 min)\n")


def test_with_json_logs_the_numbers_are_fields(capsys, monkeypatch):
    monkeypatch.setattr(logs, "_format", "json")
    watch, clock, run = watching()
    apply(watch, clock, 313, 360.0, failed=1)
    run.personio.service.limiter.pause = 12.0
    watch.beat()
    [record] = json_lines(capsys.readouterr().err)
    assert record["event"] == "apply.progress" and record["level"] == "info"
    assert (record["done"], record["total"], record["failed"]) == (313, 802, 1)
    assert record["rate_per_minute"] == pytest.approx(52.2, abs=0.1)
    assert record["eta_seconds"] == pytest.approx(489 * 60 / 52.1667, abs=2)
    assert record["waiting"] == {"personio": 12}
    assert record["message"].endswith("waiting 12 s for Personio's rate limit (300 per minute)")


def test_too_early_for_a_rate_the_line_says_none(capsys, monkeypatch):
    monkeypatch.setattr(logs, "_format", "json")
    watch, _, _ = watching()
    watch(APPLIED, 1, 802)
    watch.beat()
    [record] = json_lines(capsys.readouterr().err)
    assert record["rate_per_minute"] is None and record["eta_seconds"] is None
    assert record["message"] == "  applying: 1 of 802 done, 0 failed so far"


def test_on_a_terminal_the_bar_shows_the_rate_the_time_left_and_a_wait(capsys):
    watch, clock, run = watching(terminal=True, total=4)
    watch(APPLIED, 1, 4)
    assert capsys.readouterr().err == "\r  [#######.......................] 1/4"
    clock.now += 60
    watch(FAILED, 2, 4)
    assert capsys.readouterr().err == "\r  [###############...............] 2/4, 1 failed, 2/min, ~1 min left"
    run.moco.service.limiter.pause = 30
    watch.beat()  # each second: the bar again, with the wait
    assert capsys.readouterr().err == ("\r  [###############...............] 2/4, 1 failed, 2/min, ~1 min left, "
                                       "waiting 30 s for MOCO's rate limit (120 per 2 min)")
    run.moco.service.limiter.pause = 0
    watch.beat()  # shorter than the line before: blanked to its end
    drawn = capsys.readouterr().err
    assert drawn.rstrip(" ") == "\r  [###############...............] 2/4, 1 failed, 2/min, ~1 min left"
    assert len(drawn) == len("\r  [###############...............] 2/4, 1 failed, 2/min, ~1 min left, "
                             "waiting 30 s for MOCO's rate limit (120 per 2 min)")
    watch(APPLIED, 3, 4)
    watch(APPLIED, 4, 4)
    drawn = capsys.readouterr().err
    assert drawn.endswith("\n")  # the bar's line ends with the last change
    assert drawn.rstrip("\n ").endswith("\r  [##############################] 4/4, 1 failed, 4/min")


def test_the_cost_line_comes_before_the_first_write_when_the_apply_takes_a_minute(capsys, monkeypatch):
    long = Cost((Writes("moco", 79_955, RATES["moco"]), Writes("personio", 920_435, RATES["personio"])), True)
    watching(cost=long)
    assert capsys.readouterr().err == ("first sync: at least 920,435 Personio writes ≈ 51 h at 300 per minute; "
                                       "79,955 MOCO writes ≈ 22 h at 120 per 2 min\n")
    watching(terminal=True, cost=long)
    assert capsys.readouterr().err.startswith("first sync: at least 920,435 Personio writes")
    monkeypatch.setattr(logs, "_format", "json")
    watching(cost=long)
    [record] = json_lines(capsys.readouterr().err)
    assert record["event"] == "apply.cost" and record["first_sync"] is True
    assert record["moco"] == {"writes": 79_955, "seconds": 79_955}
    assert record["personio"] == {"writes": 920_435, "seconds": 184_087}
    assert record["message"].startswith("first sync: at least 920,435 Personio writes ≈ 51 h")


def test_a_short_apply_has_no_cost_line(capsys):
    watching(cost=Cost((Writes("moco", 3, RATES["moco"]),), True))
    assert capsys.readouterr().err == ""


def test_the_read_says_how_many_requests_it_made_so_far(capsys, monkeypatch):
    clock, run = Clock(), clients()
    watch = Watch(clock=clock)
    watch.clients, watch.rates = run, RATES
    watch._begin("reading")
    run.moco.service.requests_sent, run.personio.service.requests_sent = 204, 1000
    run.moco.service.limiter.pause = 43
    watch.beat()
    assert capsys.readouterr().err == ("  reading MOCO and Personio: 1,204 requests so far; waiting 43 s for MOCO's "
                                       "rate limit (120 per 2 min)\n")
    monkeypatch.setattr(logs, "_format", "json")
    watch.beat()
    [record] = json_lines(capsys.readouterr().err)
    assert (record["event"], record["requests"], record["waiting"]) == ("read.progress", 1204, {"moco": 43})


def test_reading_back_after_the_last_change_says_so_and_beats(capsys, monkeypatch):
    watch, clock, run = watching()
    run.moco.service.requests_sent = 50
    watch.settling()
    assert capsys.readouterr().err == "  reading back what was written, to remove copies another run may have made\n"
    clock.now += 20
    run.moco.service.requests_sent = 80
    watch.beat()
    assert capsys.readouterr().err == ("  still reading back what was written, to remove copies another run may have "
                                       "made: 30 requests so far, 20 s\n")
    monkeypatch.setattr(logs, "_format", "json")
    watch.settling()
    watch.beat()
    started, beat = json_lines(capsys.readouterr().err)
    assert started["event"] == "apply.readback" and beat["event"] == "readback.progress"


def test_on_a_terminal_the_read_says_so_every_ten_seconds_not_every_tick(capsys):
    clock = Clock()
    watch = Watch(terminal=True, clock=clock)
    watch.clients, watch.rates = clients(), RATES
    watch._begin("reading")
    for _ in range(25):  # 25 ticks of a second
        clock.now += 1
        watch.beat()
    assert capsys.readouterr().err.count("reading MOCO and Personio: 0 requests so far") == 2


def test_the_heartbeat_runs_by_itself_while_the_run_runs(capsys):
    watch = Watch(every=0.02)

    async def run() -> None:
        async with watch.running(clients(), RATES):  # type: ignore[arg-type]
            await asyncio.sleep(0.15)
            watch.planned()  # planning and asking: quiet
            await asyncio.sleep(0.1)

    asyncio.run(run())
    lines = capsys.readouterr().err.splitlines()
    assert len(lines) >= 3 and set(lines) == {"  reading MOCO and Personio: 0 requests so far"}
