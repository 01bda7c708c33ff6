"""Benchmark Shapley attribution: exact at 20 and 24 channels, subset-sum vs Linear, sampling at 100 channels.

Each case runs in a fresh interpreter (``--worker CASE``) that builds its data, times only
the model call and reports its peak RSS. Run from the repository root::

    python -m benchmarks.bench_shapley            # all cases, writes benchmarks/results/shapley.json
"""

from __future__ import annotations

import argparse
import json
import time
from typing import Any

import numpy as np

from benchmarks import _harness
from benchmarks.synthetic import synthetic_paths

CASES = ("exact20", "exact24", "subset_vs_linear", "sampling100")


def _journeys(n_distinct: int, n_channels: int, *, max_length: int, mean_journeys: float = 20.0, seed: int = 0) -> Any:
    from attribution import Journeys

    table = synthetic_paths(
        n_distinct,
        n_channels=n_channels,
        mean_length=4.0,
        seed=seed,
        max_length=max_length,
        mean_journeys=mean_journeys,
    )
    return Journeys.from_paths(table, path="path", conversions="conversions", nulls="nulls", value="value")


def _worker(case: str) -> dict[str, Any]:
    from attribution import Linear, Shapley

    if case in ("exact20", "exact24"):
        n = 20 if case == "exact20" else 24
        journeys = _journeys(300_000, n, max_length=8, seed=n)
        _harness.reset_peak()
        start = time.perf_counter()
        result = Shapley(value="conversion_rate", method="exact").attribute(journeys)
        seconds = time.perf_counter() - start
        return {
            "case": case,
            "channels": n,
            "rows": journeys.n_rows,
            "seconds": seconds,
            "peak_mib": _harness.peak_mib(),
            "method": result.method,
            "coalitions": 2**n,
        }
    if case == "subset_vs_linear":
        journeys = _journeys(2_000_000, 10, max_length=12, mean_journeys=5.0)
        timings: dict[str, list[float]] = {"shapley_conversions": [], "linear": []}
        for _ in range(3):
            for name, model in (("shapley_conversions", Shapley()), ("linear", Linear())):
                start = time.perf_counter()
                model.attribute(journeys)
                timings[name].append(time.perf_counter() - start)
        medians = {k: float(np.median(v)) for k, v in timings.items()}
        return {
            "case": case,
            "rows": journeys.n_rows,
            "journeys": journeys.n_journeys,
            **medians,
            "ratio_shapley_to_linear": medians["shapley_conversions"] / medians["linear"],
            "peak_mib": _harness.peak_mib(),
        }
    if case == "sampling100":
        journeys = _journeys(200_000, 100, max_length=8, seed=100)
        pilot = Shapley(value="conversion_rate", method="sampling", n_permutations=2_000, seed=0).attribute(journeys)
        target = 0.01 * float(np.abs(pilot.raw_values.to_numpy()).max())
        start = time.perf_counter()
        result = Shapley(
            value="conversion_rate", method="sampling", precision=target, n_permutations=4_000_000, seed=1
        ).attribute(journeys)
        seconds = time.perf_counter() - start
        largest = float(np.abs(result.raw_values.to_numpy()).max())
        return {
            "case": case,
            "channels": 100,
            "rows": journeys.n_rows,
            "seconds": seconds,
            "target_standard_error": target,
            "max_standard_error": float(result.standard_errors.max()),
            "largest_abs_value": largest,
            "permutations": result.n_permutations,
            "peak_mib": _harness.peak_mib(),
        }
    raise ValueError(case)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--worker", choices=CASES)
    parser.add_argument("--cases", nargs="*", default=list(CASES))
    args = parser.parse_args(argv)
    if args.worker:
        _harness.report(_worker(args.worker))
        return
    path = _harness.RESULTS_DIR / "shapley.json"
    results: dict[str, Any] = json.loads(path.read_text())["results"] if path.exists() else {}
    for case in args.cases:  # cases not run keep their last committed figures
        print(f"running {case} ...", flush=True)
        results[case] = _harness.run_module("benchmarks.bench_shapley", ["--worker", case], timeout=3600)
        print(f"  {results[case]}", flush=True)
    _harness.write_json(path, {"machine": _harness.machine_info(), "results": results})


if __name__ == "__main__":
    main()
