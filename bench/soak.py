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
counts the duplicates they leave between them. Run:

    .venv/bin/python bench/soak.py --seeds 50                 # crash seeds 1..50, faults drawn per seed
    .venv/bin/python bench/soak.py --seeds 10 --overlap       # two applies at once, 10 seeds
    .venv/bin/python bench/soak.py --seeds 20 --faults none,5xx --write bench/SOAK.md

It prints a Markdown table: faults tried, seeds run, duplicates found, records lost, wall time.
Exits 1 when any seed found a duplicate, a lost record, a touched hand-made record, or never got a
clean apply. Every wait is bounded: each command by --command-timeout, each seed's reruns by
--reruns, the sandbox's start by 60 s.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from reconciler.sandbox.seed import MOCO_API_KEY, sandbox_env  # noqa: E402
from reconciler.sync.ownership import ABSENCE_MARKER, ATTENDANCE_MARKER, is_ours  # noqa: E402

TODAY = date(2026, 11, 25)  # the company is built around this day and every command plans as of it
NOT_PLANNABLE = 1  # MOCO's absence_code of "not plannable"
WRITES = ("POST", "PUT", "PATCH", "DELETE")

# What the killed run meets. Knobs apply to both services; scripted faults are the side door's.
FAULTS: dict[str, dict[str, Any]] = {
    "none": {},
    "5xx": {"knobs": {"error_rate": 0.25, "error_status": 503}},
    "lost answers": {"knobs": {"lost_response_rate": 0.3, "hang_seconds": 2.0}},
    "hangs": {"knobs": {"timeout_rate": 0.1, "hang_seconds": 2.0}},
    "disconnects": {"scripted": [
        {"service": "moco", "kind": "disconnect", "method": "POST", "path": "/api/v1/schedules", "times": 3},
        {"service": "personio", "kind": "disconnect", "method": "POST", "path": "/v2/attendance-periods",
         "times": 3},
    ]},
}
QUIET = {"error_rate": 0.0, "timeout_rate": 0.0, "lost_response_rate": 0.0}


# --------------------------------------------------------------------------- the sandbox process


@dataclass
class SandboxProcess:
    """`reconcile sandbox serve` in its own process, its side door, and its ready spec."""

    process: subprocess.Popen
    side_url: str  # http://127.0.0.1:PORT/_sandbox (MOCO's port; Personio's has the same door)
    spec_path: Path
    people: int
    folder: tempfile.TemporaryDirectory

    def side(self, method: str, path: str, body: Any = None, timeout: float = 30) -> Any:
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(f"{self.side_url}{path}", data=data, method=method,
                                         headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=timeout) as response:
            raw = response.read()
        return json.loads(raw) if raw and response.headers.get_content_type() == "application/json" else None

    def reset(self, seed: int) -> None:
        self.side("POST", "/reset", {"seed": seed, "people": self.people, "today": TODAY.isoformat()})

    def state(self) -> dict[str, Any]:
        return self.side("GET", "/state")

    def quiet(self) -> None:
        """Every fault off: the knobs' shares and the scripted faults."""
        self.side("PATCH", "/knobs", {"moco": QUIET, "personio": QUIET})
        self.side("DELETE", "/faults")

    def set_faults(self, name: str) -> None:
        self.quiet()
        fault = FAULTS[name]
        if "knobs" in fault:
            self.side("PATCH", "/knobs", {"moco": fault["knobs"], "personio": fault["knobs"]})
        for scripted in fault.get("scripted", ()):
            self.side("POST", "/faults", dict(scripted))

    def moco(self, method: str, path: str, body: Any = None, timeout: float = 30) -> Any:
        """A call to the MOCO stand-in's API with the sandbox's account key."""
        api = self.side_url.replace("/_sandbox", "/api/v1")
        request = urllib.request.Request(f"{api}{path}", data=json.dumps(body).encode() if body is not None else None,
                                         method=method, headers={"Content-Type": "application/json",
                                                                 "Authorization": f"Token token={MOCO_API_KEY}"})
        with urllib.request.urlopen(request, timeout=timeout) as response:
            raw = response.read()
        return json.loads(raw) if raw else None

    def writes_logged(self) -> int:
        log = self.side("GET", "/requests") or {}
        return sum(1 for entry in log.get("requests", []) if entry["method"] in WRITES
                   and not entry["path"].endswith("/auth/token"))

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=20)
        self.folder.cleanup()

    def __enter__(self) -> SandboxProcess:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def start_sandbox(people: int = 12, latency: float = 0.01, start_timeout: float = 60.0) -> SandboxProcess:
    """A sandbox on two free ports of 127.0.0.1, with rate limits no run here reaches."""
    folder = tempfile.TemporaryDirectory(prefix="reconcile-soak-")
    spec_path, log_path = Path(folder.name) / "mapping.yaml", Path(folder.name) / "sandbox.log"
    command = [sys.executable, "-m", "reconciler", "sandbox", "serve", "--people", str(people), "--seed", "1",
               "--today", TODAY.isoformat(), "--latency", str(latency), "--moco-port", "0",
               "--personio-port", "0", "--spec-out", str(spec_path)]
    with log_path.open("wb") as log:  # a file, not a pipe nobody reads: the sandbox never blocks on it
        process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, cwd=ROOT,
                                   env={**os.environ, "NO_COLOR": "1"})
    output, deadline = "", time.monotonic() + start_timeout
    while "Stop with Ctrl-C." not in output:
        if time.monotonic() > deadline or process.poll() is not None:
            process.kill()
            process.wait(timeout=20)
            output = log_path.read_text(errors="replace")
            folder.cleanup()
            raise RuntimeError(f"the sandbox did not start within {start_timeout:g} s:\n{output}")
        time.sleep(0.05)
        output = log_path.read_text(errors="replace")
    moco = re.search(r"MOCO API\s+(\S+)", output).group(1)  # type: ignore[union-attr]
    sandbox = SandboxProcess(process, moco.replace("/api/v1", "/_sandbox"), spec_path, people, folder)
    limits = {"rate_limit_requests": 100_000, "token_rate_limit_requests": 100_000}
    sandbox.side("PATCH", "/knobs", {"moco": {"rate_limit_requests": 100_000},
                                     "personio": limits})
    spec_path.write_text(re.sub(r"rate_limit: \{requests: \d+, per_seconds: ([\d.]+)\}",
                                r"rate_limit: {requests: 100000, per_seconds: \1}", spec_path.read_text()))
    return sandbox


# --------------------------------------------------------------------------- running the command line


def command(sandbox: SandboxProcess, *args: str) -> list[str]:
    return [sys.executable, "-m", "reconciler", *args, "-c", str(sandbox.spec_path), "--today", TODAY.isoformat()]


def environment() -> dict[str, str]:
    return {**os.environ, **sandbox_env(), "NO_COLOR": "1"}


@dataclass
class Run:
    returncode: int | None  # None: killed
    output: str
    seconds: float


def start(sandbox: SandboxProcess, *args: str) -> tuple[subprocess.Popen, Any]:
    out = tempfile.TemporaryFile(mode="w+")  # a file, not a pipe: a long plan never blocks the writer
    process = subprocess.Popen(command(sandbox, *args), stdout=out, stderr=subprocess.STDOUT, text=True, cwd=ROOT,
                               env=environment())
    return process, out


def finish(process: subprocess.Popen, out: Any, started: float, timeout: float, *,
           kill_after: float | None = None) -> Run:
    """Wait for a command; with `kill_after`, SIGKILL it then if it is still running."""
    killed = False
    try:
        process.wait(timeout=kill_after if kill_after is not None else timeout)
    except subprocess.TimeoutExpired:
        process.kill()  # SIGKILL: no handler, no cleanup, like a node that dies
        process.wait(timeout=30)
        killed = True
    out.seek(0)
    text = out.read()
    out.close()
    return Run(None if killed else process.returncode, text, time.monotonic() - started)


def run(sandbox: SandboxProcess, *args: str, timeout: float = 300) -> Run:
    started = time.monotonic()
    process, out = start(sandbox, *args)
    result = finish(process, out, started, timeout)
    if result.returncode is None:
        result.output += f"\n(soak: stopped after {timeout:g} s)"
    return result


# --------------------------------------------------------------------------- what the state says


def _copies(counter: Counter) -> dict[Any, int]:
    return {key: count - 1 for key, count in counter.items() if count > 1}


def duplicates(state: dict[str, Any]) -> dict[str, dict[Any, int]]:
    """Second copies of synced records: MOCO absences by (user, day), Personio periods by presence."""
    absences = Counter((s["user_id"], s["date"]) for s in state["moco"]["schedules"]
                       if ABSENCE_MARKER.source(s["comment"]) is not None)
    periods = Counter(ATTENDANCE_MARKER.source(p["comment"]) for p in state["personio"]["attendance_periods"]
                      if ATTENDANCE_MARKER.source(p["comment"]) is not None)
    return {"moco absences": _copies(absences), "personio periods": _copies(periods)}


def new_duplicates(before: dict[str, Any], after: dict[str, Any]) -> list[str]:
    """The second copies `after` holds beyond those `before` already held (a seed may carry some)."""
    found = []
    earlier, later = duplicates(before), duplicates(after)
    for kind, copies in later.items():
        for key, count in sorted(copies.items(), key=str):
            extra = count - earlier[kind].get(key, 0)
            if extra > 0:
                found.append(f"{kind} {key}: {extra} more")
    return found


def hand_made(state: dict[str, Any]) -> dict[tuple[str, Any], dict[str, Any]]:
    """Records without reconcile's marker: made by hand (or by another tool), never ours to change."""
    records = {("moco", s["id"]): s for s in state["moco"]["schedules"] if not is_ours(s["comment"])}
    records.update({("personio", p["id"]): p for p in state["personio"]["attendance_periods"]
                    if not is_ours(p["comment"])})
    return records


def touched_by_hand(before: dict[str, Any], after: dict[str, Any]) -> list[str]:
    """Hand-made records that changed or went, but for "not plannable" absences a synced one replaced."""
    synced_days = {(s["user_id"], s["date"]) for s in after["moco"]["schedules"]
                   if ABSENCE_MARKER.source(s["comment"]) is not None}
    now = {("moco", s["id"]): s for s in after["moco"]["schedules"]}
    now.update({("personio", p["id"]): p for p in after["personio"]["attendance_periods"]})
    found = []
    for key, record in hand_made(before).items():
        if now.get(key) == record:
            continue
        if key[0] == "moco" and record["absence_code"] == NOT_PLANNABLE and \
                (record["user_id"], record["date"]) in synced_days:
            continue
        found.append(f"{key[0]} {key[1]}: {record} became {now.get(key)}")
    return found


READ_ONLY = (("moco", "users"), ("moco", "employments"), ("moco", "presences"), ("personio", "persons"),
             ("personio", "absence_types"), ("personio", "absence_periods"))


def read_only_changed(before: dict[str, Any], after: dict[str, Any]) -> list[str]:
    return [f"{system} {name}" for system, name in READ_ONLY if before[system][name] != after[system][name]]


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
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seeds", type=int, default=50, help="how many seeds (default 50)")
    parser.add_argument("--first-seed", type=int, default=1)
    parser.add_argument("--people", type=int, default=12)
    parser.add_argument("--faults", default="all",
                        help=f"comma list of {', '.join(FAULTS)}, or all (default: drawn per seed)")
    parser.add_argument("--overlap", action="store_true", help="two applies at once instead of kill and rerun")
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
