"""Researchers' toolkit timings: simulate 1M users; bootstrap n=200 on 1M journeys (Markov order 1).

Usage (from the repository root)::

    python -m benchmarks.bench_evaluate               # -> results/evaluate.json

Each task runs in a fresh process and is timed with ``time.perf_counter``; peak memory
is the process's ``VmHWM``. The bootstrap runs on the journeys built from the simulated
log of 1M users (one row per journey, ~1.0M rows; no aggregation), so every replicate
refits the Markov chain on a million rows.
"""

from __future__ import annotations

import argparse
import time
from typing import Any

from benchmarks import _harness

USERS = 1_000_000
REPLICATES = 200


def worker(task: str) -> dict[str, Any]:
    from attribution import Journeys, MarkovChain
    from attribution.evaluate import bootstrap, simulate

    started = time.perf_counter()
    sim = simulate(USERS, seed=0)
    simulate_seconds = time.perf_counter() - started
    if task == "simulate":
        return {
            "seconds": round(simulate_seconds, 3),
            "peak_mib": round(_harness.peak_mib(), 1),
            "events": len(sim.events),
            "conversions": sim.conversions,
            "truth_replays": 1 + 5 + 2**5,
        }
    journeys = Journeys.from_events(
        sim.events, user="user", time="time", channel="channel", conversion="converted", value="value"
    )
    del sim
    _harness.reset_peak()
    started = time.perf_counter()
    result = bootstrap(journeys, MarkovChain(), n=REPLICATES, seed=0)
    seconds = time.perf_counter() - started
    return {
        "seconds": round(seconds, 3),
        "seconds_per_replicate": round(seconds / REPLICATES, 4),
        "peak_mib": round(_harness.peak_mib(), 1),
        "rows": journeys.n_rows,
        "journeys": journeys.n_journeys,
        "widest_share_interval": float(
            (
                result.intervals.xs("share", level="quantity")["high"]
                - result.intervals.xs("share", level="quantity")["low"]
            ).max()
        ),
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.bench_evaluate", description=__doc__.split("\n")[0])
    parser.add_argument("--worker", choices=["simulate", "bootstrap"], help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        _harness.report(worker(args.worker))
        return
    results = {
        task: _harness.run_module("benchmarks.bench_evaluate", ["--worker", task]) for task in ("simulate", "bootstrap")
    }
    for task, result in results.items():
        print(f"{task}: {result}", flush=True)
    _harness.write_json(
        _harness.RESULTS_DIR / "evaluate.json",
        {"machine": _harness.machine_info(), "users": USERS, "replicates": REPLICATES, "results": results},
    )


if __name__ == "__main__":
    main()
