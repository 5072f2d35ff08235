"""The earlier benchmark: requests, wall time and memory of plan → apply → plan against the sandbox's
default company (six weeks of history), with reconcile in this process. Its results are in
bench/RESULTS.md; issue 12's benchmark of a year of history is bench/benchmark.py (`make bench`).

The sandbox runs as its own process (`reconcile sandbox serve`), so the memory figures are
reconcile's own; each request to it costs `--latency` seconds, like a network would. Run:

    .venv/bin/python bench/cycle.py                     # 50 people, 20 ms latency
    .venv/bin/python bench/cycle.py --people 200 --write bench/RESULTS.md

Scenarios: the first plan of a company never synced, the apply of it, and the steady state a
scheduled job meets afterwards (a plan with nothing to do).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import resource
import signal
import subprocess
import sys
import tempfile
import time
import tracemalloc
import urllib.request
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from reconciler.run import RunOptions, make_plan, plan_and_apply  # noqa: E402
from reconciler.sandbox.seed import sandbox_env  # noqa: E402
from reconciler.spec import load_spec  # noqa: E402
from reconciler.systems.connect import read_credentials  # noqa: E402


def side_door(base: str, method: str, path: str, body: dict | None = None) -> dict | None:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(f"{base}/_sandbox{path}", data=data, method=method,
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=30) as response:
        raw = response.read()
    return json.loads(raw) if raw else None


def start_sandbox(people: int, seed: int, latency: float, spec_path: Path) -> tuple[subprocess.Popen, str, str]:
    command = [str(Path(sys.executable).parent / "reconcile"), "sandbox", "serve", "--people", str(people),
               "--seed", str(seed), "--latency", str(latency), "--moco-port", "0", "--personio-port", "0",
               "--spec-out", str(spec_path)]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    output = ""
    while "Stop with Ctrl-C." not in output:
        line = process.stdout.readline()  # type: ignore[union-attr]
        if not line:
            raise SystemExit(f"the sandbox did not start:\n{output}")
        output += line
    moco = re.search(r"MOCO API\s+(\S+)", output).group(1)  # type: ignore[union-attr]
    personio = re.search(r"Personio API\s+(\S+)", output).group(1)  # type: ignore[union-attr]
    return process, moco.replace("/api/v1", ""), personio


def measure(label: str, run, moco_side: str) -> dict:  # noqa: ANN001
    side_door(moco_side, "DELETE", "/requests")
    tracemalloc.start()
    started = time.perf_counter()
    result = asyncio.run(run())
    elapsed = time.perf_counter() - started
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    log = side_door(moco_side, "GET", "/requests") or {}
    counts = log.get("counts", {})
    refused = sum(1 for entry in log.get("requests", []) if entry["status"] == 429)
    return {
        "refused": refused,
        "scenario": label,
        "moco": sum(counts.get("moco", {}).values()),
        "personio": sum(counts.get("personio", {}).values()),
        "by_endpoint": counts,
        "seconds": round(elapsed, 2),
        "peak_mib": round(peak / 2**20, 1),
        "result": result,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--people", type=int, default=50)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--latency", type=float, default=0.02, help="seconds per request in the sandbox")
    parser.add_argument("--moco-rate", type=int, default=1200, help="MOCO requests per 120 s (standard plan: 120)")
    parser.add_argument("--personio-rate", type=int, default=600, help="Personio requests per 60 s")
    parser.add_argument("--write", type=Path, help="append the results as Markdown to this file")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="reconcile-bench-") as folder:
        spec_path = Path(folder) / "mapping.yaml"
        process, moco_side, personio_url = start_sandbox(args.people, args.seed, args.latency, spec_path)
        try:
            side_door(moco_side, "PATCH", "/knobs", {
                "moco": {"rate_limit_requests": args.moco_rate, "rate_limit_seconds": 120},
                "personio": {"rate_limit_requests": args.personio_rate, "rate_limit_seconds": 60}})
            spec_path.write_text(spec_path.read_text()
                                 .replace("requests: 120, per_seconds: 120", f"requests: {args.moco_rate}, per_seconds: 120")
                                 .replace("requests: 600, per_seconds: 60", f"requests: {args.personio_rate}, per_seconds: 60"))
            spec = load_spec(spec_path)
            credentials = read_credentials(spec, sandbox_env())
            options = RunOptions(today=date.today())

            async def plan():  # noqa: ANN202
                result = await make_plan(spec, credentials, options)
                return f"{len(result.changes)} changes"

            async def apply():  # noqa: ANN202
                _, report = await plan_and_apply(spec, credentials, options, approve=lambda p: True)
                return report.summary() if report else "nothing to apply"

            rows = [measure("first plan (never synced)", plan, moco_side),
                    measure("apply (plan + writes)", apply, moco_side),
                    measure("steady state: plan with nothing to do", plan, moco_side)]
        finally:
            process.send_signal(signal.SIGINT)
            process.wait(timeout=30)

    maxrss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    header = (f"### {date.today()}: {args.people} people (seed {args.seed}), {args.latency * 1000:.0f} ms per "
              f"request, MOCO {args.moco_rate} requests / 120 s, Personio {args.personio_rate} / 60 s, both "
              "directions\n")
    table = ["| scenario | MOCO requests | Personio requests | 429 answers | wall time | peak Python memory | result |",
             "|---|---:|---:|---:|---:|---:|---|"]
    for row in rows:
        table.append(f"| {row['scenario']} | {row['moco']} | {row['personio']} | {row['refused']} | {row['seconds']} s | "
                     f"{row['peak_mib']} MiB | {row['result']} |")
    steady = rows[-1]["by_endpoint"]
    details = "Steady-state requests by endpoint: " + ", ".join(
        f"{endpoint} ×{count}" for service in steady.values() for endpoint, count in sorted(service.items()))
    text = "\n".join([header, *table, "", details, f"Process max RSS: {maxrss:.0f} MiB.", ""])
    print(text)
    if args.write:
        with args.write.open("a", encoding="utf-8") as out:
            out.write(text + "\n")


if __name__ == "__main__":
    main()
