"""Issue 12's benchmark (`make bench`): what reconcile costs on a company with a year of history.

For each size (people) it starts the benchmark's sandbox process (server.py: a generated company with
start_date a year back, two presences a worked day, ~30 absence days a person a year) and measures the
scenarios of scenarios.py with reconcile as a process of its own: requests per endpoint against the
fewest the data needs (minimum.py), minutes at each service's standard limit, wall time, CPU time,
peak memory and 429 answers. Rate limits are the standard ones with windows shortened by
--rate-scale, in the sandbox and in the spec alike. Writes BENCHMARKS.md (report.py) and the raw
figures as JSON. Run:

    .venv/bin/python bench/benchmark.py                              # 100 and 500 people
    .venv/bin/python bench/benchmark.py --sizes 100,500,1000,2000    # all of issue 12's sizes
    make bench BENCH_ARGS="--sizes 100,500,1000,2000"

The ready spec syncs holidays (all three directions: the main job; --no-holidays leaves them out).
`--before FILE` keeps an earlier run's figures (bench/results.json before holidays were synced) in the JSON,
and the report compares with them: what holidays add to a full run.

Modules: scenarios.py (the scenarios, in order), harness.py (the sandbox process, one measured reconcile
process), server.py (the sandbox process itself) with changes.py (synced state, touch, unsync),
minimum.py (the fewest requests), fastlists.py and indexes.py (the stand-ins without their quadratic
cost; selfcheck.py checks they answer alike), figures.py, targets.py and report.py (BENCHMARKS.md).
The earlier benchmark (plan → apply → plan, six weeks of history) is bench/cycle.py.
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import report
from scenarios import run_size

ROOT = Path(__file__).resolve().parent.parent


def sizes(text: str) -> list[int]:
    return [int(part) for part in text.split(",") if part.strip()]


def measuring_args(parser: argparse.ArgumentParser, options: argparse.Namespace) -> str:
    """The options that change what is measured, as given (not where the results go)."""
    given = []
    for action in parser._actions:
        if not action.option_strings or action.dest in ("help", "out", "json", "measured_at", "report_only", "before"):
            continue
        value = getattr(options, action.dest)
        if value != action.default and action.nargs == 0:  # a flag: --no-holidays
            given.append(action.option_strings[0])
        elif value != action.default:
            shown = ",".join(map(str, value)) if isinstance(value, list) else f"{value:g}" if isinstance(
                value, float) else str(value)
            given += [action.option_strings[0], shown]
    return shlex.join(given)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=sizes, default=[100, 500], help="people, comma-separated (default 100,500)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--history-days", type=int, default=365, help="start_date this far back (default 365)")
    parser.add_argument("--absence-days", type=int, default=30, help="absence days a person a year (default 30)")
    parser.add_argument("--latency", type=float, default=0.02, help="seconds per request in the sandbox")
    parser.add_argument("--rate-scale", type=float, default=100.0,
                        help="rate windows shortened by this factor, in sandbox and spec (default 100)")
    parser.add_argument("--apply-rate-scale", type=float, default=10.0,
                        help="the same for the rate-bound applies (default 10: Personio 50/s, below what apply's "
                             "4 writes in flight reach here, so the limit binds, not the latency)")
    parser.add_argument("--no-holidays", dest="holidays", action="store_false",
                        help="the ready spec without holidays synced (two directions, as before issue 23): to compare")
    parser.add_argument("--out", type=Path, default=ROOT / "BENCHMARKS.md", help="the Markdown report")
    parser.add_argument("--json", type=Path, default=ROOT / "bench" / "results.json", help="the raw figures")
    parser.add_argument("--measured-at", default="", help="what was measured, for the report (e.g. a commit)")
    parser.add_argument("--report-only", action="store_true",
                        help="write the report again from --json; measure nothing")
    parser.add_argument("--before", type=Path, help="the raw figures of an earlier run (e.g. bench/results.json before "
                                                    "holidays were synced), kept in --json as `before` for the report "
                                                    "to compare with (with --report-only: added to --json)")
    options = parser.parse_args(argv)
    if options.report_only:
        if options.before:
            run = json.loads(options.json.read_text(encoding="utf-8"))
            run["before"] = before(json.loads(options.before.read_text(encoding="utf-8")))
            options.json.write_text(json.dumps(run, indent=1) + "\n", encoding="utf-8")
        options.out.write_text(report.render(json.loads(options.json.read_text(encoding="utf-8")), _gaps()),
                               encoding="utf-8")
        print(f"wrote {options.out} from {options.json}")
        return

    command = "make bench" + (f' BENCH_ARGS="{measuring_args(parser, options)}"' if measuring_args(parser, options)
                              else "")
    started = time.perf_counter()
    results = []
    with tempfile.TemporaryDirectory(prefix="reconcile-bench-") as folder:
        for people in options.sizes:
            print(f"{people} people: building the company …", flush=True)
            results.append(run_size(people, options, Path(folder)).as_json())
    run = {
        "command": command,
        "date": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "cpus": os.cpu_count(),
        "python": sys.version.split()[0],
        "measured_at": options.measured_at,
        "seconds": round(time.perf_counter() - started),
        "options": {"seed": options.seed, "history_days": options.history_days,
                    "absence_days": options.absence_days, "latency": options.latency,
                    "rate_scale": options.rate_scale, "apply_rate_scale": options.apply_rate_scale,
                    "holidays": options.holidays},
        "sizes": results,
    }
    if options.before:
        run["before"] = before(json.loads(options.before.read_text(encoding="utf-8")))
    options.json.write_text(json.dumps(run, indent=1) + "\n", encoding="utf-8")
    options.out.write_text(report.render(run, _gaps()), encoding="utf-8")
    print(f"wrote {options.out} and {options.json} ({run['seconds']} s)")


def before(earlier: dict[str, Any]) -> dict[str, Any]:
    """What the report compares with from an earlier run: when and how it was measured, and per size and
    scenario the requests per service and endpoint, 429s, wall, CPU and peak memory (an earlier `before` of
    it is dropped: one step back only)."""
    sizes = {}
    for size in earlier["sizes"]:
        scenarios = {}
        for scenario in size["scenarios"]:
            measured = scenario.get("run")
            if not measured:
                continue
            services = measured.get("services", {})
            scenarios[scenario["key"]] = {
                "counts": {service: found.get("counts", {}) for service, found in services.items()},
                "refused": {service: found.get("refused", 0) for service, found in services.items()},
                "wall": measured["wall"], "cpu": measured["cpu"], "max_rss_mib": measured["max_rss_mib"],
                "summary": measured["summary"]}
        sizes[str(size["people"])] = scenarios
    return {"measured_at": earlier.get("measured_at", ""), "date": earlier.get("date", ""),
            "command": earlier.get("command", ""), "sizes": sizes}


def _gaps() -> str:
    """bench/GAPS.md: why the targets BENCHMARKS.md shows unmet are unmet, written by whoever measured."""
    path = ROOT / "bench" / "GAPS.md"
    return path.read_text(encoding="utf-8") if path.exists() else ""


if __name__ == "__main__":
    main()
