"""Crash and soak: kill `reconcile apply` at a random moment, run it again, and check that nothing is
left twice, nothing is lost, and nothing made by hand was touched.

The sandbox runs as its own process (`reconcile sandbox serve`, as in bench/cycle.py), and so
does every `reconcile apply` and `reconcile plan`: the real command line, with the sandbox's ready
spec and environment, both directions. For each seed:

1. the sandbox is reset to the company of that seed (its records are written down);
2. with the seed's faults on (none, 5xx answers, lost answers, hangs, dropped connections; set
   through the side door's knobs and scripted faults), `reconcile apply --auto-approve` starts and
   gets SIGKILL at a random moment (drawn from the seed);
3. with the faults off, apply runs again until it exits 0 (at most --reruns times);
4. the side door's state is checked: no two synced MOCO absences for one user and day, no two
   synced Personio periods naming one MOCO presence (beyond what the seed already held), every
   hand-made record as it was (a hand-made "not plannable" MOCO absence may give way to a synced
   one), the records only read unchanged; and `reconcile plan --detailed-exitcode` exits 0.

With --overlap, each seed instead starts two applies at the same moment (two scheduler runs) and
counts the duplicates they leave between them. With --serve, the seeds are bench/soak_serve.py's instead:
`reconcile serve` taking the sandbox's webhooks while real changes and hostile deliveries arrive (every other
option is then soak_serve.py's; `make soak-serve`). Run:

    .venv/bin/python bench/soak.py --seeds 50                 # crash seeds 1..50, faults drawn per seed
    .venv/bin/python bench/soak.py --seeds 10 --overlap       # two applies at once, 10 seeds
    .venv/bin/python bench/soak.py --seeds 20 --faults none,5xx --write bench/SOAK.md
    .venv/bin/python bench/soak.py --serve --seeds 5           # serve: hostile deliveries and real changes

It prints a Markdown table: faults tried, seeds run, duplicates found, records lost, wall time.
Exits 1 when any seed found a duplicate, a lost record, a touched hand-made record, or never got a
clean apply. Every wait is bounded: each command by --command-timeout, each seed's reruns by
--reruns, the sandbox's start by 60 s.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import sys
import time
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))  # its sibling modules, also when loaded by path

from soak_process import (  # noqa: E402,F401
    FAULTS,
    QUIET,
    ROOT,
    TODAY,
    Run,
    SandboxProcess,
    finish,
    run,
    start,
    start_sandbox,
)
from soak_state import new_duplicates, read_only_changed, touched_by_hand  # noqa: E402


def left_to_do(sandbox: SandboxProcess, timeout: float) -> tuple[int, str]:
    """The changes a fresh plan still shows (0: in step), by `reconcile plan --detailed-exitcode`."""
    result = run(sandbox, "plan", "--format", "json", "--detailed-exitcode", timeout=timeout)
    if result.returncode == 0:
        return 0, ""
    try:
        changes = len(json.loads(result.output[result.output.index("{"):])["changes"])
    except (ValueError, KeyError):
        return -1, result.output[-2000:]
    return (changes if result.returncode == 2 else -1), result.output[-2000:]


# --------------------------------------------------------------------------- one seed


@dataclass
class SeedResult:
    seed: int
    mode: str  # crash | overlap
    faults: str
    kill_after: float | None = None
    killed: bool = False  # the first run was still going when the kill came
    writes_before_kill: int = 0
    reruns: int = 0  # applies it took (after the kill) to exit 0
    clean: bool = False  # an apply exited 0
    guard_refused: bool = False  # a rerun was refused by the mass-change guard (then rerun with --force)
    settled: int = 0  # second copies the applies said they removed after racing each other
    duplicates: list[str] = field(default_factory=list)
    lost: int = 0  # changes a final plan still shows (-1: the plan failed)
    touched: list[str] = field(default_factory=list)
    read_only: list[str] = field(default_factory=list)
    seconds: float = 0.0
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return (self.clean and not self.guard_refused and not self.duplicates and self.lost == 0
                and not self.touched and not self.read_only)

    def line(self) -> str:
        what = (f"killed after {self.writes_before_kill} creates" if self.mode == "creates"
                else f"two at once, {self.settled} second copies removed by them" if self.mode == "overlap"
                else "killed after %.2f s (%d writes)" % (self.kill_after or 0, self.writes_before_kill) if self.killed
                else "ended before the kill")
        problems = self.duplicates + self.touched + [f"read-only {x} changed" for x in self.read_only]
        if self.guard_refused:
            problems.append("the mass-change guard refused the rerun (finished with --force)")
        if self.lost:
            problems.append(f"{self.lost} changes left" if self.lost > 0 else "final plan failed")
        if not self.clean:
            problems.append("no clean apply")
        return (f"seed {self.seed:3d} {self.mode:7s} {self.faults:12s} {what}; {self.reruns} rerun(s); "
                f"{self.seconds:.1f} s: " + ("ok" if not problems else "; ".join(problems[:6])))


def crash_seed(sandbox: SandboxProcess, seed: int, faults: str | None = None, *, choices: tuple[str, ...] =
               tuple(FAULTS), kill_within: tuple[float, float] = (0.6, 3.5), reruns: int = 4,
               command_timeout: float = 300) -> SeedResult:
    """Kill an apply at a random moment (with faults on), apply again until it exits 0, then check.
    The seed draws the faults (from `choices`, unless `faults` names them) and the moment of the kill."""
    rng = random.Random(seed)
    drawn = rng.choice(sorted(choices))
    faults = faults or drawn
    started = time.monotonic()
    sandbox.reset(seed)
    before = sandbox.state()
    result = SeedResult(seed=seed, mode="crash", faults=faults, kill_after=round(rng.uniform(*kill_within), 2))
    sandbox.set_faults(faults)
    began = time.monotonic()
    process, out = start(sandbox, "apply", "--auto-approve")
    first = finish(process, out, began, command_timeout, kill_after=result.kill_after)
    result.killed = first.returncode is None
    result.writes_before_kill = sandbox.writes_logged()
    sandbox.quiet()
    if not result.killed:
        result.notes.append(f"the first run ended by itself (exit {first.returncode})")
        if first.returncode == 0:
            result.clean = True
    _rerun(sandbox, result, reruns, command_timeout)
    _check(sandbox, before, result, command_timeout)
    result.seconds = time.monotonic() - started
    return result


def creates_seed(sandbox: SandboxProcess, seed: int, creates: int = 5, *, reruns: int = 4,
                 command_timeout: float = 300) -> SeedResult:
    """A kill at one exact point: after the first `creates` MOCO absences of the plan were created,
    before anything else. The writes are sent through the MOCO API exactly as apply sends them."""
    started = time.monotonic()
    sandbox.reset(seed)
    sandbox.quiet()
    before = sandbox.state()
    result = SeedResult(seed=seed, mode="creates", faults="none", killed=True)
    planned = run(sandbox, "plan", "--format", "json", timeout=command_timeout)
    changes = json.loads(planned.output[planned.output.index("{"):])["changes"]
    made = [c["send"] for c in changes if c["action"] == "create" and c["system"] == "moco"][:creates]
    for body in made:
        sandbox.moco("POST", "/schedules", body)
    result.writes_before_kill = len(made)
    _rerun(sandbox, result, reruns, command_timeout)
    _check(sandbox, before, result, command_timeout)
    result.seconds = time.monotonic() - started
    return result


GUARD = "safety.max_change_percent"


def _rerun(sandbox: SandboxProcess, result: SeedResult, reruns: int, timeout: float) -> None:
    """Apply until it exits 0 (at most `reruns` times). A refusal of the mass-change guard is noted,
    and the next reruns pass --force, so the checks still see whether anything is twice or lost."""
    for _ in range(reruns):
        if result.clean:
            return
        force = ("--force",) if result.guard_refused else ()
        again = run(sandbox, "apply", "--auto-approve", *force, timeout=timeout)
        result.reruns += 1
        if again.returncode == 0:
            result.clean = True
            return
        if "refusing to apply" in again.output and GUARD in again.output and not result.guard_refused:
            result.guard_refused = True
            refusal = again.output[again.output.index("refusing to apply"):]
            result.notes.append(f"rerun {result.reruns}: {refusal.splitlines()[0]}")
        else:
            result.notes.append(f"rerun {result.reruns} exit {again.returncode}: {again.output[-600:]}")


def overlap_seed(sandbox: SandboxProcess, seed: int, *, command_timeout: float = 300) -> SeedResult:
    """Two applies started at the same moment; the duplicates they leave between them."""
    started = time.monotonic()
    sandbox.reset(seed)
    sandbox.quiet()
    before = sandbox.state()
    result = SeedResult(seed=seed, mode="overlap", faults="none")
    began = time.monotonic()
    runs = [start(sandbox, "apply", "--auto-approve") for _ in range(2)]
    finished = [finish(process, out, began, command_timeout) for process, out in runs]
    result.clean = all(r.returncode == 0 for r in finished)
    result.settled = max((int(m) for r in finished for m in re.findall(r"(\d+) second cop", r.output)), default=0)
    for index, one in enumerate(finished):
        if one.returncode != 0:
            result.notes.append(f"run {index + 1} exit {one.returncode}: {one.output[-600:]}")
    _check(sandbox, before, result, command_timeout)
    result.seconds = time.monotonic() - started
    return result


def _check(sandbox: SandboxProcess, before: dict[str, Any], result: SeedResult, timeout: float) -> None:
    after = sandbox.state()
    result.duplicates = new_duplicates(before, after)
    result.touched = touched_by_hand(before, after)
    result.read_only = read_only_changed(before, after)
    result.lost, detail = left_to_do(sandbox, timeout)
    if result.lost:
        result.notes.append(f"final plan: {detail}")


# --------------------------------------------------------------------------- the report


def table(results: list[SeedResult], wall: float) -> str:
    rows = ["| mode | faults tried | seeds run | killed mid-apply | reruns to exit 0 (max) | guard refused the rerun | "
            "duplicates found | records lost | hand-made touched | failed seeds | wall time |",
            "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    groups: dict[tuple[str, str], list[SeedResult]] = {}
    for result in results:
        groups.setdefault((result.mode, result.faults), []).append(result)
    for (mode, faults), group in sorted(groups.items()):
        rows.append(_row(mode, faults, group))
    if len(groups) > 1:
        tried = ", ".join(f"{faults} ×{len(group)}" for (_m, faults), group in sorted(groups.items()))
        rows.append(_row("**all**", tried, results, wall))
    return "\n".join(rows)


def _row(mode: str, faults: str, group: list[SeedResult], wall: float | None = None) -> str:
    seconds = wall if wall is not None else sum(r.seconds for r in group)
    killed = sum(r.killed and r.writes_before_kill > 0 for r in group)
    return (f"| {mode} | {faults} | {len(group)} | {killed} | {max((r.reruns for r in group), default=0)} | "
            f"{sum(r.guard_refused for r in group)} | {sum(len(r.duplicates) for r in group)} | {sum(max(r.lost, 0) + (r.lost < 0) for r in group)} | "
            f"{sum(len(r.touched) for r in group)} | {sum(not r.ok for r in group)} | {seconds:.0f} s |")


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if "--serve" in argv:
        import soak_serve  # its own options: --seeds, --hostile, --settle, ...
        return soak_serve.main([a for a in argv if a != "--serve"])
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seeds", type=int, default=50, help="how many seeds (default 50)")
    parser.add_argument("--first-seed", type=int, default=1)
    parser.add_argument("--people", type=int, default=12)
    parser.add_argument("--faults", default="all",
                        help=f"comma list of {', '.join(FAULTS)}, or all (default: drawn per seed)")
    parser.add_argument("--overlap", action="store_true", help="two applies at once instead of kill and rerun")
    parser.add_argument("--serve", action="store_true",
                        help="bench/soak_serve.py's seeds instead (reconcile serve under hostile deliveries)")
    parser.add_argument("--after-creates", type=int, metavar="N",
                        help="instead of a random moment, the kill comes right after the plan's first N MOCO creates")
    parser.add_argument("--latency", type=float, default=0.01, help="seconds per request in the sandbox")
    parser.add_argument("--kill-within", type=float, nargs=2, default=(0.6, 3.5), metavar=("FROM", "TO"),
                        help="the kill comes this many seconds after the start, drawn per seed")
    parser.add_argument("--reruns", type=int, default=4, help="applies after the kill before giving up")
    parser.add_argument("--command-timeout", type=float, default=300)
    parser.add_argument("--write", type=Path, help="append the table as Markdown to this file")
    parser.add_argument("-v", "--verbose", action="store_true", help="print each seed's notes")
    args = parser.parse_args(argv)

    kinds = sorted(FAULTS) if args.faults == "all" else [k.strip() for k in args.faults.split(",")]
    unknown = [k for k in kinds if k not in FAULTS]
    if unknown:
        parser.error(f"unknown faults {unknown}; choose from {', '.join(FAULTS)}")
    began = time.monotonic()
    results: list[SeedResult] = []
    with start_sandbox(args.people, args.latency) as sandbox:
        for seed in range(args.first_seed, args.first_seed + args.seeds):
            if args.overlap:
                result = overlap_seed(sandbox, seed, command_timeout=args.command_timeout)
            elif args.after_creates is not None:
                result = creates_seed(sandbox, seed, args.after_creates, reruns=args.reruns,
                                      command_timeout=args.command_timeout)
            else:
                result = crash_seed(sandbox, seed, choices=tuple(kinds), kill_within=tuple(args.kill_within),
                                    reruns=args.reruns, command_timeout=args.command_timeout)
            results.append(result)
            print(result.line(), file=sys.stderr, flush=True)
            if args.verbose or not result.ok:
                for note in result.notes:
                    print("    " + note.replace("\n", "\n    "), file=sys.stderr)
    wall = time.monotonic() - began
    mode = ("two applies at once" if args.overlap else f"apply killed after {args.after_creates} MOCO creates"
            if args.after_creates is not None else "apply killed at a random moment")
    header = (f"### {date.today()}: {mode}, "
              f"{args.people} people, seeds {args.first_seed}..{args.first_seed + args.seeds - 1}, "
              f"{args.latency * 1000:g} ms per request\n")
    text = header + "\n" + table(results, wall) + "\n"
    print(text)
    if args.write:
        with args.write.open("a", encoding="utf-8") as out:
            out.write(text + "\n")
    return 0 if all(r.ok for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
