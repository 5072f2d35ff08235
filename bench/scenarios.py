"""The scenarios of issue 12 for one company size, in order, against one sandbox process:

1. first plan: nothing synced yet; the same as `plan --out` (the plan file's size recorded), and the first
   minute of `apply PLANFILE` (stopped by SIGTERM after a minute of writes; the synced state below is put in
   around what it wrote);
2. steady state: a full plan after everything was applied (the synced state put in directly);
3. incremental: 1 % of the people changed 2 presences each (and 2 of them got a new one-day vacation),
   then `reconcile plan --changed-since 75m` if this reconcile has the option ("not built yet"
   otherwise; a run without it is scenario 2's full plan);
4. rate-bound apply: synced records of a few people removed, then `reconcile apply --auto-approve
   --user …` for them, with the limits' windows shortened by --apply-rate-scale only: 3 MOCO windows
   of absences (`--only absences_to_moco`), 3 Personio windows of attendance periods (`--only
   hours_to_personio`), then both at once.

Before each run the harness waits one rate window, so that no run inherits another's budget.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from harness import MOCO_STANDARD, PERSONIO_STANDARD, Measured, Server, has_option, reconcile_env, run_reconcile

FIRST_MINUTE = 60.0  # seconds of writes a first apply is measured for, then stopped (SIGTERM)
WINDOWS_OF_WRITES = 3  # a rate-bound apply writes this many windows' worth to a service
APPLIES = (  # key, title, --only, writes (MOCO, Personio)
    ("apply_moco", "rate-bound apply, MOCO: absences", "absences_to_moco", (WINDOWS_OF_WRITES, 0)),
    ("apply_personio", "rate-bound apply, Personio: attendance periods", "hours_to_personio", (0, WINDOWS_OF_WRITES)),
    ("apply_both", "rate-bound apply, both at once", None, (WINDOWS_OF_WRITES, WINDOWS_OF_WRITES)),
)


@dataclass
class Scenario:
    key: str
    title: str
    minimum: list[dict[str, Any]]
    run: Measured | None = None
    not_built: str = ""  # why it was not run
    rate_scale: float = 0.0  # the factor the limits' windows were shortened by in this run
    batch: dict[str, Any] = field(default_factory=dict)  # the rate-bound applies: what was removed, for whom
    file_bytes: int = 0  # plan --out: the plan file's size
    asked: list[str] = field(default_factory=list)  # the incremental run: each request as the sandbox saw it


@dataclass
class SizeResult:
    people: int
    seed: int
    records: dict[str, int]
    build_seconds: float
    sync: dict[str, Any] = field(default_factory=dict)
    touch: dict[str, Any] = field(default_factory=dict)
    scenarios: list[Scenario] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        return asdict(self)


def run_size(people: int, options: Any, folder: Path) -> SizeResult:
    server = Server(people, options.seed, options.history_days, options.absence_days, options.latency,
                    options.rate_scale, () if getattr(options, "holidays", True) else ("--no-holidays",))
    try:
        return _scenarios(server, people, options, folder)
    finally:
        server.stop()


def _scenarios(server: Server, people: int, options: Any, folder: Path) -> SizeResult:
    env = reconcile_env(server)
    result = SizeResult(people=people, seed=options.seed, records=server.info["records"],
                        build_seconds=round(server.seconds_to_build, 1))
    spec_path = folder / f"mapping-{people}.yaml"
    spec_path.write_text(server.info["spec"], encoding="utf-8")

    def measure(scenario: Scenario, args: list[str], scale: float, spec: Path = spec_path,
                writing: float | None = None) -> Scenario:
        time.sleep(max(MOCO_STANDARD[1], PERSONIO_STANDARD[1]) / scale)  # an empty window to start from
        scenario.rate_scale = scale
        scenario.run = run_reconcile(server, args, spec, folder / f"{scenario.key}-{people}.out", env, writing)
        progress(people, scenario)
        return scenario

    def minimum(kind: str, only: str | None = None) -> list[dict[str, Any]]:
        return server.call("GET", f"/bench/minimum?kind={kind}" + (f"&only={only}" if only else ""))

    first = Scenario("first", "first plan (nothing synced yet)", minimum("full"))
    result.scenarios.append(measure(first, ["plan"], options.rate_scale))
    plan_file = folder / f"plan-{people}.json"
    saved = Scenario("first_out", "first plan saved: plan --out", minimum("full"))
    result.scenarios.append(measure(saved, ["plan", "--out", str(plan_file)], options.rate_scale))
    saved.file_bytes = plan_file.stat().st_size if plan_file.exists() else 0
    applied = Scenario("first_apply", f"first apply of the saved plan, its first {FIRST_MINUTE:.0f} s of writes",
                       minimum("full"))
    result.scenarios.append(measure(applied, ["apply", str(plan_file)], options.rate_scale, writing=FIRST_MINUTE))
    plan_file.unlink(missing_ok=True)
    started = time.perf_counter()
    result.sync = server.call("POST", "/bench/sync")
    result.sync["seconds"] = round(time.perf_counter() - started, 1)
    steady = Scenario("steady", "steady state: full plan, nothing to do", minimum("full"))
    result.scenarios.append(measure(steady, ["plan"], options.rate_scale))

    result.touch = server.call("POST", "/bench/touch", {"share": 0.01, "presences": 2, "absences": 2})
    incremental = Scenario("incremental", "incremental: plan --changed-since 75m", minimum("incremental"))
    if has_option("plan", "--changed-since"):
        measure(incremental, ["plan", "--changed-since", "75m"], options.rate_scale)
        incremental.asked = asked(server)
    else:
        incremental.not_built = "not built yet: this reconcile has no `plan --changed-since`"
        print(f"  {people:>5} people  {incremental.title}: {incremental.not_built}", flush=True)
    result.scenarios.append(incremental)

    apply_spec = folder / f"mapping-{people}-apply.yaml"
    apply_spec.write_text(server.scale_rates(options.apply_rate_scale), encoding="utf-8")
    for key, title, only, (moco_windows, personio_windows) in APPLIES:
        batch = server.call("POST", "/bench/unsync", {"moco": moco_windows * MOCO_STANDARD[0],
                                                      "personio": personio_windows * PERSONIO_STANDARD[0]})
        scenario = Scenario(key, title, minimum("apply", only), batch=batch)
        args = ["apply", "--auto-approve", *(["--only", only] if only else []),
                *(arg for email in batch["users"] for arg in ("--user", email))]
        result.scenarios.append(measure(scenario, args, options.apply_rate_scale, apply_spec))
    return result


def asked(server: Server) -> list[str]:
    """The requests of the run just measured, in the order they came: "service METHOD path?query (status)"
    (a few dozen for an incremental run: which people and days each list was read for)."""
    log = server.call("GET", "/requests")
    return [f"{e['service']} {e['method']} {e['path']}" + (f"?{e['query']}" if e["query"] else "") + f" ({e['status']})"
            for e in log["requests"]]


def progress(people: int, scenario: Scenario) -> None:
    run = scenario.run
    assert run is not None
    print(f"  {people:>5} people  {scenario.title}: MOCO {run.requests('moco')}, Personio {run.requests('personio')} "
          f"requests, {run.wall:.1f} s wall, {run.cpu:.1f} s CPU, {run.max_rss_mib:.0f} MiB, {run.refused()} × 429; "
          f"{run.summary}" + (f" [exit {run.exit_code}]" if run.exit_code not in (0, 2) else ""), flush=True)
    if run.exit_code not in (0, 2):
        print(run.stderr_tail, flush=True)
