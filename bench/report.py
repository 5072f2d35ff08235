"""BENCHMARKS.md from one run of bench/benchmark.py (its JSON): tables per scenario, requests per
endpoint, the rate-bound applies, issue 12's targets and what the figures say."""

from __future__ import annotations

from typing import Any

import targets
from figures import (
    HOLIDAYS,
    NAMES,
    SERVICES,
    after_last_answer,
    before_of,
    besides_holidays,
    by_endpoint,
    minimum,
    minimum_by_endpoint,
    minutes_at_standard,
    number,
    pacing_floor,
    ratio,
    refused,
    requests,
    scaled_rate,
    scenario_of,
    span,
)

from reconciler.systems.personio.client import PERSON_IDS_PER_REQUEST
from reconciler.systems.personio.holidays import PAGE_SIZE

PLANS = ("first", "steady", "incremental")


def render(run: dict[str, Any], gaps: str = "") -> str:
    """BENCHMARKS.md; `gaps`: the hand-written account of the targets not met (bench/GAPS.md), put after
    the figures' own notes."""
    parts = [_head(run), _setup(run), _company(run)]
    for key in PLANS:
        parts.append(_scenario_table(run, key))
    parts.append(_first_sync(run))
    parts += [_holidays(run), _timing(run), _endpoints(run), _applies(run), _targets(run), _notes(run)]
    if gaps.strip():
        parts.append(gaps.strip() + "\n")
    return "\n".join(parts)


def _table(header: list[str], rows: list[list[str]], align: str = "") -> str:
    align = align or "l" + "r" * (len(header) - 1)
    marks = ["---:" if a == "r" else "---" for a in align]
    lines = ["| " + " | ".join(header) + " |", "| " + " | ".join(marks) + " |"]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines) + "\n"


def _head(run: dict[str, Any]) -> str:
    o = run["options"]
    at = f"\n- Measured: {run['measured_at']}." if run.get("measured_at") else ""
    return f"""# Benchmarks

What reconcile costs on a company with one year of history (issue 12): requests against the fewest the
data needs, minutes at each service's standard limit, wall time, CPU, peak memory and 429 answers, for
a first plan, the steady state, an incremental run and rate-bound applies, with holidays synced (all three
directions, the main job). Written by `make bench`
(bench/benchmark.py); the raw figures are in bench/results.json. The earlier benchmark of the six-week
sandbox company (plan → apply → plan) is bench/cycle.py, its results bench/RESULTS.md.

- Command: `{run['command']}`
- Date: {run['date']}; {run['cpus']} CPUs; Python {run['python']}; the whole run took
  {number(run['seconds'] / 60, 1)} minutes.{at}
- Company: seed {o['seed']}, start_date {o['history_days']} days back (on a Monday), ~{o['absence_days']} absence
  days a person a year; {o['latency'] * 1000:.0f} ms per request in the stand-ins.
- Rate limits: MOCO 120 requests / 120 s (its standard plan) and Personio 300 / 60 s (the spec's default:
  Personio publishes no limit), with the windows shortened by a factor of **{o['rate_scale']:g}** for the plans and
  **{o['apply_rate_scale']:g}** for the rate-bound applies, in the sandbox and in the spec alike. "Minutes at the
  standard limit" are the requests at the unshortened limits: MOCO 1 request a second, Personio 5.
"""


def _setup(run: dict[str, Any]) -> str:
    return """## How it is measured

- The company comes from the sandbox's seed generator (`SeedParams(history_days=365,
  absence_days_per_year=30)`): every case of the sandbox's company, plus vacations and sick leave all
  year round, two presences a worked day from start_date on, public holidays in MOCO for everyone.
- The sandbox runs as a process of its own (bench/server.py) and `reconcile` as another, so CPU time
  (user + sys) and peak memory (max RSS) are the kernel's figures for the reconcile process alone.
- The steady state is what a first apply leaves, without its million writes: reconcile's own first plan
  is put straight into the stand-ins' stores (`apply_directly` in reconciler/sandbox/seed/synced.py),
  and every record is dated a day back.
- The incremental scenario: 1 % of the people changed 2 presences each (the later presence of their two
  latest worked days ends 15 minutes later) and two of them got a new one-day vacation in Personio, all
  dated now; at 1,000 people that is issue 12's 20 presences and 2 absences.
- The rate-bound applies remove synced records of a few people (3 windows of MOCO absences, 3 windows of
  Personio attendance periods, then both) and run `reconcile apply --auto-approve --user …` for them.
- Minimum: for every list the run needs, pages = ceil(records / largest page size) over the sync's windows
  (MOCO 100 a page; Personio persons 50, other lists 100), counted in the sandbox's stores; plus one token
  and one request a write. Personio's holidays are asked for 50 people a request, each 50 its own cursor of
  50 entries a page: max(1, ceil(entries / 50)) for each 50, from the sandbox's calendars over the days the
  client asks for. bench/minimum.py says which lists and windows.
- The stand-ins build a whole list for each page they serve, which no longer works at a million records;
  the benchmark's sandbox process keeps built lists until something writes and builds them in a worker
  thread (bench/fastlists.py). The answers are the same, page by page. "Sandbox" below is the time it
  spent building lists during a run, which the run's wall time includes.
- Before each run the harness waits one (shortened) rate window, so no run inherits another's budget.
- Each figure is one run. Request counts repeat (but for 429 retries); wall time and peak memory vary
  between runs (while this benchmark was written, the 100-people first plan peaked at 140 MiB in some
  runs and 254 MiB in others of the same code).
"""


def _company(run: dict[str, Any]) -> str:
    rows = []
    for size in run["sizes"]:
        done = size["sync"].get("done", {})
        rows.append([number(size["people"]), number(size["records"]["presences"]),
                     number(size["records"]["schedules"]), number(size["records"]["absence_periods"]),
                     number(size["sync"].get("changes", 0)),
                     number(done.get("personio create", 0)), number(done.get("moco create", 0)),
                     f"{size['build_seconds']:.0f} s", f"{size['sync'].get('seconds', 0):.0f} s"])
    header = ["people", "MOCO presences", "MOCO absences (seeded)", "Personio absence periods",
              "changes of the first sync", "attendance periods synced", "MOCO absences synced",
              "company built in", "synced state built in"]
    return "## The companies\n\n" + _table(header, rows)


def _scenario_table(run: dict[str, Any], key: str) -> str:
    title = None
    rows = []
    for size in run["sizes"]:
        scenario = scenario_of(size, key)
        if scenario is None:
            continue
        title = scenario["title"]
        if not scenario.get("run"):
            least = "; ".join(f"{NAMES[s]} {minimum(scenario, s)}" for s in SERVICES)
            rows.append([number(size["people"]), f"{scenario['not_built']} (minimum: {least})"]
                        + [""] * 13)
            continue
        row = [number(size["people"])]
        for service in SERVICES:
            count, value = requests(scenario, service), ratio(scenario, service)
            row += [number(count), number(minimum(scenario, service)), "–" if value is None else f"{value:.2f}",
                    number(minutes_at_standard(count, service), 1)]
        measured = scenario["run"]
        row += [f"{measured['wall']:.1f} s", f"{measured['cpu']:.1f} s", number(measured["max_rss_mib"]),
                str(refused(scenario)), f"{measured['sandbox_build']:.1f} s", measured["summary"]]
        rows.append(row)
    if title is None:
        return ""
    header = ["people", "MOCO requests", "minimum", "ratio", "minutes at 1/s", "Personio requests", "minimum",
              "ratio", "minutes at 5/s", "wall", "CPU", "peak MiB", "429", "sandbox", "result"]
    return f"## {title[0].upper()}{title[1:]}\n\n" + _table(header, rows, "l" + "r" * 13 + "l")


def _first_sync(run: dict[str, Any]) -> str:
    """The first sync's memory (issue 22): the first plan, the same saved (`plan --out`), and a minute of its apply."""
    rows = []
    for size in run["sizes"]:
        first, saved, applied = (scenario_of(size, key) for key in ("first", "first_out", "first_apply"))
        if not (first and saved and applied and first.get("run") and saved.get("run") and applied.get("run")):
            continue
        reads = sum(requests(first, s) for s in SERVICES)
        written = sum(requests(applied, s) for s in SERVICES) - reads
        asked = [sum(requests(each, s) for s in SERVICES) - refused(each) for each in (saved, first)]  # 429s retried
        rows.append([number(size["people"]), number(first["run"]["max_rss_mib"]), number(saved["run"]["max_rss_mib"]),
                     f"{saved['file_bytes'] / 2**20:,.0f} MiB", number(applied["run"]["max_rss_mib"]),
                     number(written), f"{applied['run']['wall']:.0f} s",
                     f"{number(asked[0])} vs {number(asked[1])}"])
    if not rows:
        return ""
    header = ["people", "first plan, peak MiB", "plan --out, peak MiB", "plan file", "apply PLANFILE, peak MiB",
              "requests written in its first minute", "apply's wall (read, plan, compare, write, stop)",
              "requests of plan --out vs the first plan (429s retried not counted)"]
    return ("## The first sync's memory\n\nThe first plan, the same plan saved (`plan --out`), and `apply` of the "
            "saved plan stopped by SIGTERM after a minute of writes (what a container's memory limit must hold; the "
            "apply reads and plans again, compares, then writes). Peak: the process's maximum resident set.\n\n"
            + _table(header, rows))


def _holidays(run: dict[str, Any]) -> str:
    """What syncing holidays adds to a run: Personio's holidays against their minimum, and every other endpoint
    against the same scenario in the run without them (`before`, benchmark.py --before)."""
    earlier = run.get("before")
    rows, steady = [], []
    for size in run["sizes"]:
        for key in PLANS:
            scenario = scenario_of(size, key)
            if not scenario or not scenario.get("run"):
                continue
            then = before_of(run, size["people"], key)
            holidays = by_endpoint(scenario, "personio").get(HOLIDAYS, 0)
            least = minimum_by_endpoint(scenario, "personio").get(HOLIDAYS, 0)
            others = {s: requests(scenario, s) - (holidays if s == "personio" else 0) for s in SERVICES}
            old = {s: sum((then or {}).get("counts", {}).get(s, {}).values()) for s in SERVICES}
            measured = scenario["run"]
            row = [number(size["people"]), key, f"{number(holidays)} / {number(least)}"]
            for service in ("personio", "moco"):
                row.append(f"{number(others[service])} ({number(old[service])})" if then else number(others[service]))
            row.append(_differences(scenario, then) if then else "–")
            row.append(str(refused(scenario)) + (f" ({sum(then['refused'].values())})" if then else ""))
            for field, shown in (("cpu", "{:.1f} s"), ("max_rss_mib", "{:,.0f}"), ("wall", "{:.1f} s")):
                row.append(shown.format(measured[field]) + (f" ({shown.format(then[field])})" if then else ""))
            rows.append(row)
            if key == "steady":
                steady.append((size["people"], holidays, least, besides_holidays(scenario, then), then is not None))
    if not rows:
        return ""
    header = ["people", "scenario", f"`{HOLIDAYS}` / minimum", "other Personio requests (before)",
              "MOCO requests (before)", "other endpoints not as before: now (before; minimum)", "429 (before)",
              "CPU (before)",
              "peak MiB (before)", "wall (before)"]
    text = ("## Holidays synced: what they add\n\nThe ready spec syncs holidays (`holidays: {sync: true}`): every run "
            "above is the main job, all three directions. A full run reads the holidays of every Personio person, "
            f"`{HOLIDAYS}` with {PERSON_IDS_PER_REQUEST} person ids a request and a cursor of {PAGE_SIZE} entries a "
            f"page for each {PERSON_IDS_PER_REQUEST}; its minimum is max(1, ceil(entries / {PAGE_SIZE})) pages for "
            f"each {PERSON_IDS_PER_REQUEST} people, the entries counted in the sandbox's own calendars "
            "over the absences' window (start_date to today + until_days). Incremental runs read the holidays of the "
            "people whose absences changed. ")
    if earlier:
        text += ("In brackets: the same scenario in the run without holidays recorded before (measured at: "
                 f"{earlier.get('measured_at') or '?'}; {earlier['date']}). The endpoints named are those whose "
                 "requests differ from it, with their minimum; 429 answers are retried and counted as requests.")
    lines = []
    for people, holidays, least, over, compared in steady:
        other = ("every other endpoint as without holidays or within its minimum" if not over else "over both: "
                 + "; ".join(f"{NAMES[s]} `{e}` {number(n)} ({number(b)} before, minimum {number(m)})"
                             for s, e, n, b, m in over)) if compared else "no run without holidays to compare with"
        lines.append(f"- Steady-state full plan at {number(people)} people: `{HOLIDAYS}` {number(holidays)} requests "
                     f"for a minimum of {number(least)}; {other}.")
    return text + "\n\n" + "\n".join(lines) + "\n\n" + _table(header, rows, "ll" + "r" * 3 + "l" + "r" * 4)


def _differences(scenario: dict[str, Any], then: dict[str, Any]) -> str:
    """The endpoints besides the holidays whose requests are not what they were without holidays."""
    found = []
    for service in SERVICES:
        least = minimum_by_endpoint(scenario, service)
        counts, old = by_endpoint(scenario, service), then.get("counts", {}).get(service, {})
        for endpoint in sorted({*counts, *old} - {HOLIDAYS}):
            if counts.get(endpoint, 0) != old.get(endpoint, 0):
                found.append(f"{NAMES[service]} `{endpoint}` {number(counts.get(endpoint, 0))} "
                             f"({number(old.get(endpoint, 0))}; {number(least.get(endpoint, 0))})")
    return "; ".join(found) or "none"


def _timing(run: dict[str, Any]) -> str:
    rows = []
    for size in run["sizes"]:
        for key in PLANS:
            scenario = scenario_of(size, key)
            if not scenario or not scenario.get("run"):
                continue
            wall = scenario["run"]["wall"]
            slower = max(span(scenario, s) for s in SERVICES) or wall
            rest = after_last_answer(scenario)
            rows.append([number(size["people"]), key, f"{wall:.1f} s", f"{span(scenario, 'moco'):.1f} s",
                         f"{span(scenario, 'personio'):.1f} s", f"{wall / slower:.2f}", f"{rest:.1f} s",
                         f"{rest / wall * 100:.0f} %"])
    header = ["people", "scenario", "wall", "MOCO fetch", "Personio fetch", "wall ÷ slower fetch",
              "after the last answer", "share of wall"]
    return ("## Where the time goes\n\nA service's fetch: from its first request to its last answer, as the "
            "sandbox saw them. After the last answer: planning, writing the plan, exiting.\n\n"
            + _table(header, rows, "llrrrrrr"))


def _endpoints(run: dict[str, Any]) -> str:
    out = ["## Requests per endpoint\n\nEach cell: requests / minimum.\n"]
    sizes = run["sizes"]
    for key in PLANS:
        measured = [(size, scenario_of(size, key)) for size in sizes]
        measured = [(size, s) for size, s in measured if s and s.get("run")]
        if not measured:
            continue
        endpoints: list[tuple[str, str]] = []
        for _, scenario in measured:
            for service in SERVICES:
                for endpoint in [*minimum_by_endpoint(scenario, service), *by_endpoint(scenario, service)]:
                    if (service, endpoint) not in endpoints:
                        endpoints.append((service, endpoint))
        rows = []
        for service, endpoint in endpoints:
            row = [f"{NAMES[service]} `{endpoint}`"]
            for _, scenario in measured:
                count = by_endpoint(scenario, service).get(endpoint, 0)
                least = minimum_by_endpoint(scenario, service).get(endpoint, 0)
                row.append(f"{number(count)} / {number(least)}")
            rows.append(row)
        header = ["endpoint", *(f"{number(size['people'])} people" for size, _ in measured)]
        out.append(f"### {measured[0][1]['title']}\n\n" + _table(header, rows))
    return "\n".join(out)


def _applies(run: dict[str, Any]) -> str:
    rows = []
    for size in run["sizes"]:
        for scenario in size["scenarios"]:
            if not scenario["key"].startswith("apply") or not scenario.get("run"):
                continue
            counts = {s: requests(scenario, s) for s in SERVICES}
            rates = {s: scaled_rate(scenario, s) for s in SERVICES}
            binding = max(SERVICES, key=lambda s: counts[s] / rates[s])
            expected = counts[binding] / rates[binding]
            floor = pacing_floor(counts[binding], binding, scenario["rate_scale"])
            wall = scenario["run"]["wall"]
            rows.append([number(size["people"]), scenario["title"].removeprefix("rate-bound apply, "),
                         number(counts["moco"]), number(counts["personio"]),
                         f"{NAMES[binding]} {rates[binding]:g}/s", f"{expected:.1f} s", f"{floor:.1f} s",
                         f"{wall:.1f} s", f"{wall / expected:.2f}", str(refused(scenario)),
                         scenario["run"]["summary"]])
    if not rows:
        return ""
    header = ["people", "writes", "MOCO requests", "Personio requests", "allowed (binding service)",
              "requests ÷ rate", "sliding-window floor", "wall", "wall ÷ (requests ÷ rate)", "429", "result"]
    return ("## Rate-bound applies\n\nRequests include the apply's reads (who is who, those people's lists) and "
            "its read-back after creating. The sliding-window floor: a window may be used at once, so n requests "
            "need only ceil(n / limit) − 1 windows.\n\n" + _table(header, rows, "llrrrrrrrrl"))


def _targets(run: dict[str, Any]) -> str:
    rows = [[target, measured, verdict] for target, measured, verdict in targets.evaluate(run)]
    return "## Targets\n\nIssue 12's targets, measured in this run.\n\n" + _table(["target", "measured", "verdict"],
                                                                                 rows, "lll")


def _notes(run: dict[str, Any]) -> str:
    notes = []
    sizes = [s for s in run["sizes"] if (scenario_of(s, "steady") or {}).get("run")]
    if sizes:
        largest = max(sizes, key=lambda s: s["people"])
        steady = scenario_of(largest, "steady")
        assert steady is not None
        total = sum(requests(steady, s) for s in SERVICES)
        hours = (by_endpoint(steady, "moco").get("GET /api/v1/users/presences", 0)
                 + by_endpoint(steady, "personio").get("GET /v2/attendance-periods", 0))
        records = sum(row["records"] for row in steady["minimum"] if row["pages"] and row["page_size"])
        measured = steady["run"]
        notes.append(f"Steady state at {number(largest['people'])} people: presences and attendance periods are "
                     f"{hours / total * 100:.0f} % of the {number(total)} requests; the plan reads "
                     f"{number(records)} records at {measured['cpu'] / records * 1e6:.0f} µs CPU and "
                     f"{measured['max_rss_mib'] * 1024 / records:.1f} KiB of peak memory each.")
        over = []
        for service in SERVICES:
            least = minimum_by_endpoint(steady, service)
            for endpoint, count in by_endpoint(steady, service).items():
                if count > least.get(endpoint, 0):
                    over.append(f"{NAMES[service]} `{endpoint}` {number(count)} for {number(least.get(endpoint, 0))}")
        if over:
            notes.append(f"Over the minimum in the steady state at {number(largest['people'])} people: "
                         + "; ".join(over) + ".")
        hourly = [s["people"] * 3600 / max(1, requests(scenario_of(s, "steady"), "moco")) for s in sizes]
        notes.append(f"A full plan every hour fits MOCO's standard budget (3,600 requests an hour, nothing else "
                     f"using the key) up to about {number(min(hourly))}"
                     + (f"–{number(max(hourly))}" if round(max(hourly)) != round(min(hourly)) else "")
                     + " people, each measured size's steady-state requests extrapolated linearly.")
    plans = [(size["people"], scenario_of(size, key)) for size in run["sizes"] for key in PLANS]
    refusals = [(people, s["key"], refused(s)) for people, s in plans if s and s.get("run") and refused(s)]
    if refusals:
        listed = ", ".join(f"{n} in the {key} plan at {number(people)} people" for people, key, n in refusals)
        notes.append(f"429 answers in the plans: {listed}; each was retried (they are in the request counts). "
                     "Most likely a scheduling artefact of the shortened windows: reconcile's limiter keeps a safety "
                     "margin of 50 ms at these windows (1 s at the standard ones), and with both CPUs busy (reconcile "
                     "parsing, the sandbox serving and building lists) a request now and then reaches the sandbox's "
                     "count later than that after reconcile booked it, into the next window.")
    return "## What the figures say\n\n" + "\n".join(f"- {note}" for note in notes) + "\n" if notes else ""
