"""The serve soak: hostile webhook deliveries mixed with real changes against `reconcile serve` (issue 20).

The sandbox runs as its own process (as in bench/soak.py), and so does `reconcile serve` (the real command line,
`--log-format json`), its webhooks registered with the sandbox, which signs and POSTs a delivery for every change.
For each seed:

1. the sandbox is reset to the company of that seed and brought in step (`reconcile apply --auto-approve --force`),
   then serve starts and its start-up full reconcile finishes;
2. drawn from the seed, real changes made through the sandbox (presences created, edited and deleted through
   MOCO's API; pending or rejected absences approved in Personio, whose webhook the sandbox sends) are interleaved
   with hostile deliveries sent straight to serve (bench/soak_hostile.py: forged and unsigned, oversized,
   malformed JSON, poison ids of 20,000 characters, replays of real deliveries, header bytes that are not UTF-8,
   clients that hang up mid-body, floods);
3. every real change must arrive on the other side within --settle seconds (what serve must apply: the presence's
   Personio period with its times, or gone; a MOCO absence naming the approved period);
4. then: serve still answers /healthz and is running, no hostile delivery got through (a 5xx, a forged one
   accepted, an oversized one read), the state holds no second copy of a synced record and nothing made by hand
   was touched (the checks of bench/soak.py), and `reconcile plan --detailed-exitcode` exits 0 (nothing left).
   Each stderr line of serve that is not JSON is counted (under --log-format json every line must be).

Run:  .venv/bin/python bench/soak_serve.py --seeds 5          (or: make soak-serve, make soak SOAK_ARGS=--serve)
Exits 1 when any seed failed one of the checks. Every wait is bounded.
"""

from __future__ import annotations

import argparse
import json
import random
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from soak_changes import Change, arrived, real_steps  # noqa: E402
from soak_hostile import HOSTILE, MOCO_SECRET, PERSONIO_TOKEN, Outcome, Target  # noqa: E402
from soak_process import ROOT, TODAY, SandboxProcess, environment, run, start_sandbox  # noqa: E402
from soak_state import new_duplicates, touched_by_hand  # noqa: E402


@dataclass
class ServeSeed:
    seed: int
    changes: list[Change] = field(default_factory=list)
    hostile: list[Outcome] = field(default_factory=list)
    duplicates: list[str] = field(default_factory=list)
    touched: list[str] = field(default_factory=list)
    lost: int = 0
    serve_alive: bool = True
    healthz: bool = True
    non_json_lines: int = 0
    seconds: float = 0.0
    notes: list[str] = field(default_factory=list)

    @property
    def not_applied(self) -> list[Change]:
        return [c for c in self.changes if c.arrived_after is None and not c.nothing_to_write]

    @property
    def got_through(self) -> list[Outcome]:
        return [h for h in self.hostile if h.got_through]

    @property
    def ok(self) -> bool:
        return (not self.not_applied and not self.got_through and not self.duplicates and not self.touched
                and self.lost == 0 and self.serve_alive and self.healthz and not self.non_json_lines)

    def line(self) -> str:
        problems = [f"not applied: {c.what}" for c in self.not_applied] + self.duplicates + self.touched
        problems += [f"got through: {h.line()}" for h in self.got_through]
        if self.lost:
            problems.append(f"{self.lost} changes left" if self.lost > 0 else "final plan failed")
        if not self.serve_alive:
            problems.append("serve exited")
        if not self.healthz:
            problems.append("/healthz did not answer")
        if self.non_json_lines:
            problems.append(f"{self.non_json_lines} stderr lines not JSON")
        slowest = max((c.arrived_after or 0.0 for c in self.changes), default=0.0)
        return (f"seed {self.seed:3d} serve: {len(self.changes)} real changes (slowest {slowest:.1f} s), "
                f"{len(self.hostile)} hostile deliveries; {self.seconds:.0f} s: " + ("ok" if not problems
                                                                                       else "; ".join(problems[:8])))


# --------------------------------------------------------------------------- serve as a process


@dataclass
class ServeProcess:
    process: subprocess.Popen[bytes]
    url: str
    log_path: Path

    def get(self, path: str, timeout: float = 5) -> tuple[int, str]:
        try:
            with urllib.request.urlopen(self.url + path, timeout=timeout) as answer:
                return answer.status, answer.read().decode(errors="replace")
        except urllib.error.HTTPError as error:
            return error.code, ""
        except OSError as error:
            return 0, str(error)

    def full_done(self) -> bool:
        status, text = self.get("/metrics")
        return status == 200 and any(line.startswith("reconcile_reconciles_total") and 'kind="full"' in line
                                     and 'result="ok"' in line and not line.rstrip().endswith(" 0.0")
                                     for line in text.splitlines())

    def stop(self) -> int | None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=20)
        return self.process.returncode


def start_serve(sandbox: SandboxProcess, folder: Path, port: int, start_timeout: float = 120) -> ServeProcess:
    log_path = folder / "serve.log"
    env = {**environment(), "MOCO_WEBHOOK_SECRET": MOCO_SECRET, "PERSONIO_WEBHOOK_SECRET": PERSONIO_TOKEN}
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "reconciler", "serve", "-c", str(sandbox.spec_path), "--listen",
             f"127.0.0.1:{port}", "--today", TODAY.isoformat(), "--log-format", "json"],
            stdout=subprocess.DEVNULL, stderr=log, cwd=ROOT, env=env)
    served = ServeProcess(process, f"http://127.0.0.1:{port}", log_path)
    deadline = time.monotonic() + start_timeout
    while not served.full_done():
        if process.poll() is not None or time.monotonic() > deadline:
            served.stop()
            raise RuntimeError(f"reconcile serve did not finish its start-up run: {log_path.read_text()[-2000:]}")
        time.sleep(0.2)
    for body in ({"service": "moco", "url": served.url + "/hooks/moco", "secret": MOCO_SECRET},
                 {"service": "personio", "url": served.url + "/hooks/personio", "token": PERSONIO_TOKEN}):
        sandbox.side("POST", "/webhooks", body)
    return served


def free_port() -> int:
    import socket
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


# --------------------------------------------------------------------------- one seed


def serve_seed(sandbox: SandboxProcess, seed: int, *, hostile: int = 25, settle: float = 90,
               command_timeout: float = 300, kinds: tuple[str, ...] = tuple(HOSTILE),
               keep_log: Path | None = None) -> ServeSeed:
    started = time.monotonic()
    rng = random.Random(seed)
    result = ServeSeed(seed)
    sandbox.reset(seed)
    sandbox.quiet()
    first = run(sandbox, "apply", "--auto-approve", "--force", timeout=command_timeout)
    if first.returncode != 0:
        result.notes.append(f"the first apply exited {first.returncode}: {first.output[-600:]}")
    before = sandbox.state()
    start = date.fromisoformat(next(line.split(":", 1)[1].strip() for line in sandbox.spec_path.read_text()
                                    .splitlines() if line.startswith("start_date:")))
    with tempfile.TemporaryDirectory(prefix="reconcile-soak-serve-") as folder:
        served = start_serve(sandbox, Path(folder), free_port())
        try:
            target = Target(served.url, lambda: sandbox.side("GET", "/deliveries") or [])
            steps = real_steps(sandbox, before, rng, result.changes, start)
            plan: list[Any] = list(steps)
            for _ in range(hostile):  # hostile deliveries at random places between the real changes, in order
                plan.insert(rng.randint(0, len(plan)), rng.choice(sorted(kinds)))
            for step in plan:
                if isinstance(step, str):
                    result.hostile.append(HOSTILE[step](target, rng))
                else:
                    step()
                time.sleep(rng.uniform(0.0, 0.3))
            _settle(sandbox, result, settle, command_timeout)
            result.healthz = served.get("/healthz")[0] == 200
            result.serve_alive = served.process.poll() is None
        finally:
            code = served.stop()
            if code not in (0, None):
                result.notes.append(f"serve exited {code} on SIGTERM")
            log = served.log_path.read_text(errors="replace")
            if keep_log:
                keep_log.write_text(log)
        result.non_json_lines = _non_json(log, result)
    after = sandbox.state()
    result.duplicates = new_duplicates(before, after)
    result.touched = touched_by_hand(before, after)
    result.lost = _left(sandbox, command_timeout, result)
    for change in result.changes:  # an approval that wrote nothing, and that no plan would write either
        change.nothing_to_write = change.kind == "absence" and change.arrived_after is None and result.lost == 0
    result.notes += [f"{c.what}: " + (f"arrived after {c.arrived_after:.1f} s" if c.arrived_after is not None
                                      else "nothing to write (the final plan is empty)" if c.nothing_to_write
                                      else f"not within {settle:g} s") for c in result.changes]
    result.seconds = time.monotonic() - started
    return result


def _settle(sandbox: SandboxProcess, result: ServeSeed, settle: float, command_timeout: float = 300) -> None:
    """Until every real change arrived (each timed from when it was made), at most `settle` seconds. When only
    approved absences are missing, a plan is asked every 10 s: when it has nothing to do, they write nothing."""
    deadline = time.monotonic() + settle
    asked = time.monotonic()
    while True:
        state = sandbox.state()
        for change in result.changes:
            if change.arrived_after is None and arrived(change, state):
                change.arrived_after = time.monotonic() - change.made_at
            elif change.arrived_after is not None and not arrived(change, state):
                change.arrived_after = None  # it came, then went: it must hold at the end
        if not result.not_applied or time.monotonic() > deadline:
            return
        if all(c.kind == "absence" for c in result.not_applied) and time.monotonic() - asked > 10:
            asked = time.monotonic()
            if run(sandbox, "plan", "--detailed-exitcode", timeout=command_timeout).returncode == 0:
                return
        time.sleep(0.5)


def _non_json(log: str, result: ServeSeed) -> int:
    bad = []
    for line in log.splitlines():
        try:
            json.loads(line)
        except ValueError:
            bad.append(line)
    if bad:
        result.notes.append(f"{len(bad)} stderr lines not JSON, e.g. {bad[0][:300]!r}")
    return len(bad)


def _left(sandbox: SandboxProcess, timeout: float, result: ServeSeed) -> int:
    """The changes a fresh plan still shows (0: in step)."""
    planned = run(sandbox, "plan", "--format", "json", "--detailed-exitcode", timeout=timeout)
    if planned.returncode == 0:
        return 0
    result.notes.append(f"final plan exit {planned.returncode}: {planned.output[-1500:]}")
    try:
        return len(json.loads(planned.output[planned.output.index("{"):])["changes"]) if planned.returncode == 2 \
            else -1
    except (ValueError, KeyError):
        return -1


# --------------------------------------------------------------------------- the report


def table(results: list[ServeSeed], wall: float, late: float = 30) -> str:
    kinds: dict[str, list[Outcome]] = {}
    for result in results:
        for outcome in result.hostile:
            kinds.setdefault(outcome.kind.split(" (")[0], []).append(outcome)
    rows = [f"| seeds | real changes | applied (or nothing to write) | slowest (s) | later than {late:g} s | hostile deliveries | "
            "got through | duplicates | hand-made touched | left by the final plan | serve down | non-JSON log lines | failed seeds | wall |",
            "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    changes = [c for r in results for c in r.changes]
    rows.append(f"| {len(results)} | {len(changes)} | {sum(c.arrived_after is not None or c.nothing_to_write for c in changes)} | "
                f"{max((c.arrived_after or 0 for c in changes), default=0):.1f} | "
                f"{sum((c.arrived_after or 0) > late for c in changes)} | "
                f"{sum(len(r.hostile) for r in results)} | {sum(len(r.got_through) for r in results)} | "
                f"{sum(len(r.duplicates) for r in results)} | {sum(len(r.touched) for r in results)} | "
                f"{sum(max(r.lost, 0) + (r.lost < 0) for r in results)} | "
                f"{sum(not (r.serve_alive and r.healthz) for r in results)} | "
                f"{sum(r.non_json_lines for r in results)} | {sum(not r.ok for r in results)} | {wall:.0f} s |")
    rows += ["", "| hostile delivery | sent | got through | answers |", "|---|---:|---:|---|"]
    for kind, outcomes in sorted(kinds.items()):
        answers = sorted({a for o in outcomes for a in o.answers})
        rows.append(f"| {kind} | {len(outcomes)} | {sum(bool(o.got_through) for o in outcomes)} | "
                    f"{', '.join(answers)[:120]} |")
    return "\n".join(rows)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seeds", type=int, default=5, help="how many seeds (default 5)")
    parser.add_argument("--first-seed", type=int, default=1)
    parser.add_argument("--people", type=int, default=12)
    parser.add_argument("--hostile", type=int, default=25, help="hostile deliveries a seed (default 25)")
    parser.add_argument("--settle", type=float, default=90, help="seconds every real change may take to arrive")
    parser.add_argument("--late", type=float, default=30,
                        help="count the changes that took longer than this (seconds; reported, not a failure)")
    parser.add_argument("--latency", type=float, default=0.01, help="seconds per request in the sandbox")
    parser.add_argument("--command-timeout", type=float, default=300)
    parser.add_argument("--write", type=Path, help="append the table as Markdown to this file")
    parser.add_argument("-v", "--verbose", action="store_true", help="print each seed's notes and deliveries")
    args = parser.parse_args(argv)
    began = time.monotonic()
    results: list[ServeSeed] = []
    with start_sandbox(args.people, args.latency) as sandbox:
        for seed in range(args.first_seed, args.first_seed + args.seeds):
            result = serve_seed(sandbox, seed, hostile=args.hostile, settle=args.settle,
                                command_timeout=args.command_timeout)
            results.append(result)
            print(result.line(), file=sys.stderr, flush=True)
            if args.verbose or not result.ok:
                for note in result.notes + [o.line() for o in result.hostile if args.verbose or o.got_through]:
                    print("    " + note.replace("\n", "\n    "), file=sys.stderr)
    wall = time.monotonic() - began
    header = (f"### {date.today()}: reconcile serve under hostile deliveries and real changes, {args.people} people, "
              f"seeds {args.first_seed}..{args.first_seed + args.seeds - 1}, {args.hostile} hostile a seed")
    text = header + "\n\n" + table(results, wall, args.late) + "\n"
    print(text)
    if args.write:
        with args.write.open("a", encoding="utf-8") as out:
            out.write("\n" + text)
    return 0 if all(r.ok for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
