"""Issue 12's targets (and issue 23's: what syncing holidays may add), each with the measured value, met or not
met, and the gap."""

from __future__ import annotations

from typing import Any

from figures import (
    HOLIDAYS,
    NAMES,
    SERVICES,
    after_last_answer,
    before_of,
    besides_holidays,
    by_endpoint,
    minimum_by_endpoint,
    number,
    pacing_floor,
    ratio,
    refused,
    requests,
    scaled_rate,
    scenario_of,
    span,
)

Row = tuple[str, str, str]  # target, measured, verdict


def _size(run: dict[str, Any], people: int) -> tuple[dict[str, Any] | None, str]:
    """The measured size `people`, or the largest measured with a note that it stands in."""
    sizes = run["sizes"]
    exact = next((s for s in sizes if s["people"] == people), None)
    if exact or not sizes:
        return exact, ""
    largest = max(sizes, key=lambda s: s["people"])
    return largest, f" (at {largest['people']:,} people: {people:,} were not measured in this run)"


def excess(scenario: dict[str, Any], most: int = 4) -> str:
    """The endpoints read beyond their minimum, largest excess first: where a gap in requests lies."""
    found = []
    for service in SERVICES:
        least = minimum_by_endpoint(scenario, service)
        for endpoint, count in by_endpoint(scenario, service).items():
            if count > least.get(endpoint, 0):
                found.append((count - least.get(endpoint, 0), f"{NAMES[service]} `{endpoint}` {number(count)} for "
                                                                f"{number(least.get(endpoint, 0))}"))
    return "; ".join(text for _, text in sorted(found, reverse=True)[:most])


def records_read(scenario: dict[str, Any]) -> int:
    return sum(row["records"] for row in scenario["minimum"] if row["page_size"])


def verdict(ok: bool, gap: str, note: str = "") -> str:
    if note:  # measured at another size: no verdict on this one
        return "not judged: its size was not measured"
    return "met" if ok else f"not met: {gap}"


def incremental(run: dict[str, Any]) -> list[Row]:
    size, note = _size(run, 1000)
    target = ("Incremental run, 1,000 people, 20 presences and 2 absences changed in the last hour: ≤ 10 MOCO "
              "and ≤ 10 Personio requests, done in < 15 s at MOCO's standard limit")
    scenario = scenario_of(size, "incremental") if size else None
    if scenario is None or not scenario.get("run"):
        return [(target, scenario["not_built"] if scenario else "not measured", "not met: not built yet")]
    moco, personio = requests(scenario, "moco"), requests(scenario, "personio")
    # At the standard limits a run this small goes out in the first window: it takes its measured wall
    # time plus the pacing a sliding window adds beyond that (none below 120 MOCO / 300 Personio requests).
    at_standard = scenario["run"]["wall"] + max(pacing_floor(moco, "moco"), pacing_floor(personio, "personio"))
    gaps = []
    if moco > 10:
        gaps.append(f"MOCO {moco - 10} requests over")
    if personio > 10:
        gaps.append(f"Personio {personio - 10} requests over")
    if at_standard >= 15:
        gaps.append(f"{at_standard - 15:.1f} s over")
    measured = f"MOCO {moco}, Personio {personio} requests; ≈ {at_standard:.1f} s at the standard limits{note}"
    where = f" (over the minimum: {excess(scenario)})" if gaps else ""
    return [(target, measured, verdict(not gaps, ", ".join(gaps) + where, note))]


def steady(run: dict[str, Any]) -> list[Row]:
    rows: list[Row] = []
    ratios, walls, over = [], [], ""
    for size in run["sizes"]:
        scenario = scenario_of(size, "steady")
        if not scenario or not scenario.get("run"):
            continue
        over = f"{number(size['people'])} people: {excess(scenario)}"
        rest = after_last_answer(scenario)
        for service in SERVICES:
            value = ratio(scenario, service)
            if value is not None:
                ratios.append((size["people"], service, value))
        slower = max(span(scenario, s) for s in SERVICES)
        walls.append((size["people"], scenario["run"]["wall"], slower, scenario["run"]["wall"] / slower, rest))
    worst = max(ratios, key=lambda r: r[2], default=None)
    if worst:
        listed = "; ".join(f"{p}: MOCO {m:.2f}, Personio {q:.2f}" for p, m, q in _pairs(ratios))
        rows.append(("Full steady-state plan: requests = the minimum pages of the window (ratio 1.00)", listed,
                     verdict(worst[2] <= 1.005, f"worst {worst[2]:.2f} ({NAMES[worst[1]]}, {number(worst[0])} people), "
                                                f"{(worst[2] - 1) * 100:.0f} % over; at {over}")))
    if walls:
        listed = "; ".join(f"{number(p)}: {w:.1f} s wall ÷ {s:.1f} s = {r:.2f}" for p, w, s, r, _ in walls)
        worst_wall = max(walls, key=lambda w: w[3])
        rows.append(("Full steady-state plan: wall ≤ 1.15 × the slower service's own fetch", listed,
                     verdict(worst_wall[3] <= 1.15, f"worst {worst_wall[3]:.2f} at {number(worst_wall[0])} people, "
                                                    f"of which {worst_wall[4]:.1f} s after the last answer "
                                                    "(planning, output, exit)")))
    return rows


def _pairs(ratios: list[tuple[int, str, float]]) -> list[tuple[int, float, float]]:
    people = sorted({p for p, _, _ in ratios})
    get = {(p, s): v for p, s, v in ratios}
    return [(p, get.get((p, "moco"), 0.0), get.get((p, "personio"), 0.0)) for p in people]


def large(run: dict[str, Any]) -> list[Row]:
    size, note = _size(run, 2000)
    scenario = scenario_of(size, "steady") if size else None
    if not scenario or not scenario.get("run"):
        return [("2,000 people × one year, steady-state full plan", "not measured", "not met: not measured")]
    measured = scenario["run"]
    cpu, rss, planning = measured["cpu"], measured["max_rss_mib"], after_last_answer(scenario)
    records = records_read(scenario)
    per = f"{number(records)} records read: {cpu / records * 1e6:.0f} µs and {rss * 1024 / records:.1f} KiB each"
    return [
        ("2,000 people × one year, steady-state full plan: < 20 s CPU", f"{cpu:.1f} s{note}",
         verdict(cpu < 20, f"{cpu - 20:.1f} s over ({cpu / 20:.1f}×); {per}", note)),
        ("… and < 1 GB peak memory for the whole process", f"{number(rss)} MiB{note}",
         verdict(rss < 1024, f"{number(rss - 1024)} MiB over ({rss / 1024:.1f}×); {per}", note)),
        ("… the planning phase alone < 5 s (measured: from the last answer to the process's end)",
         f"{planning:.1f} s{note}", verdict(planning < 5, f"{planning - 5:.1f} s over", note)),
    ]


def first_sync(run: dict[str, Any]) -> list[Row]:
    size, note = _size(run, 2000)
    target = ("2,000 people × one year, first sync: `plan --out` and the first minute of `apply` peak < 512 MiB "
              "(issue 22)")
    saved, applied = (scenario_of(size, key) if size else None for key in ("first_out", "first_apply"))
    if not (saved and applied and saved.get("run") and applied.get("run")):
        return [(target, "not measured", "not met: not measured")]
    peaks = {"plan --out": saved["run"]["max_rss_mib"], "apply": applied["run"]["max_rss_mib"]}
    worst = max(peaks, key=lambda name: peaks[name])
    measured = ", ".join(f"{name} {number(peak)} MiB" for name, peak in peaks.items()) + \
        f"; plan file {saved['file_bytes'] / 2**20:,.0f} MiB{note}"
    return [(target, measured, verdict(peaks[worst] < 512, f"{worst} {number(peaks[worst] - 512)} MiB over", note))]


def rate_bound(run: dict[str, Any]) -> list[Row]:
    worst: tuple[float, str] | None = None
    listed, refusals = [], 0
    for size in run["sizes"]:
        for scenario in size["scenarios"]:
            if not scenario["key"].startswith("apply") or not scenario.get("run"):
                continue
            expected = max(requests(scenario, s) / scaled_rate(scenario, s) for s in SERVICES)
            value = scenario["run"]["wall"] / expected
            refusals += refused(scenario)
            listed.append(value)
            where = f"{scenario['title']}, {size['people']} people"
            if worst is None or value > worst[0]:
                worst = (value, where)
    if worst is None:
        return [("Rate-bound apply: wall ≤ 1.10 × (requests ÷ allowed rate), zero 429", "not measured",
                 "not met: not measured")]
    measured = f"{min(listed):.2f}–{max(listed):.2f}; {refusals} × 429 in {len(listed)} applies"
    gaps = []
    if worst[0] > 1.10:
        gaps.append(f"worst {worst[0]:.2f} ({worst[1]})")
    if refusals:
        gaps.append(f"{refusals} × 429")
    return [("Rate-bound apply: wall ≤ 1.10 × (requests ÷ allowed rate), zero 429 in steady state", measured,
             verdict(not gaps, "; ".join(gaps)))]


def holidays(run: dict[str, Any]) -> list[Row]:
    """Issue 23: a full run with holidays synced costs the holidays' pages and nothing more. Judged on each size's
    steady-state full plan: `GET /v2/holidays` at its minimum, every other endpoint at what the same run made
    without holidays (`before`) or within its minimum; 429s retried (counted as requests) are taken off."""
    target = "A full run with holidays synced costs the holidays' pages and nothing more (issue 23)"
    listed: list[str] = []
    gaps: list[str] = []
    for size in run["sizes"]:
        scenario = scenario_of(size, "steady")
        if not scenario or not scenario.get("run"):
            continue
        then = before_of(run, size["people"], "steady")
        read = by_endpoint(scenario, "personio").get(HOLIDAYS, 0)
        least = minimum_by_endpoint(scenario, "personio").get(HOLIDAYS, 0)
        retried = int(scenario["run"]["services"].get("personio", {}).get("refused", 0))
        over = besides_holidays(scenario, then)
        listed.append(f"{number(size['people'])}: `{HOLIDAYS}` {number(read)} for {number(least)}, "
                      + ("the rest as before" if not over else f"{len(over)} other endpoint(s) over")
                      + ("" if then else " (no run without holidays to compare with: against the minimum)"))
        if not least or read == 0:
            gaps.append(f"{number(size['people'])} people: holidays not read")
        elif read - retried > least:
            gaps.append(f"{number(size['people'])} people: `{HOLIDAYS}` {number(read - least)} over its minimum")
        gaps += [f"{number(size['people'])} people: {NAMES[s]} `{e}` {number(n)} ({number(b)} without holidays, "
                 f"minimum {number(m)})" for s, e, n, b, m in over]
    if not listed:
        return [(target, "not measured", "not met: not measured")]
    return [(target, "; ".join(listed), verdict(not gaps, "; ".join(gaps)))]


def evaluate(run: dict[str, Any]) -> list[Row]:
    return [*incremental(run), *steady(run), *holidays(run), *large(run), *first_sync(run), *rate_bound(run)]
