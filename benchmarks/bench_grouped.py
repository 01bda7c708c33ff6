"""Grouped attribution (by two keys, 50 groups) against the ungrouped run, for the rule models.

Usage (from the repository root)::

    python -m benchmarks.bench_grouped            # -> results/grouped.json, about 3 minutes

Data: 10M synthetic journeys (one row each) over 10 channels, path lengths ``1 +
Poisson(2.5)`` capped at 12, 5 % converting with a value, and two journey attributes:
``country`` (10 values) and ``period`` (5 months), so ``by=["country", "period"]`` makes
50 groups. Built in memory with numpy (not timed).

For each rule model (first touch, last touch, linear, U-shaped, time decay by position),
the ungrouped ``model.attribute(journeys)`` and the grouped
``model.attribute(journeys, by=["country", "period"])`` run alternately, five rounds;
medians are reported with their ratio. The goal: grouped at most 2x ungrouped.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from typing import Any

import numpy as np

from benchmarks import _harness

N_JOURNEYS = 10_000_000
ROUNDS = 5
MODELS = ("FirstTouch()", "LastTouch()", "Linear()", "PositionBased.u_shaped()", "TimeDecay(2, by='position')")


def journeys(n: int, seed: int = 0) -> Any:
    from attribution import Journeys

    rng = np.random.default_rng(seed)
    lengths = np.minimum(1 + rng.poisson(2.5, n), 12)
    offsets = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(lengths, out=offsets[1:])
    popularity = 1.0 / np.arange(1, 11)
    codes = rng.choice(10, size=int(offsets[-1]), p=popularity / popularity.sum()).astype(np.int32)
    converts = rng.random(n) < 0.05
    value = np.where(converts, np.round(rng.lognormal(4.0, 0.6, n), 2), 0.0)
    countries = np.array(["ID", "MY", "PH", "SG", "TH", "VN", "AU", "NZ", "JP", "KR"], dtype=object)
    months = np.array(["2025-01", "2025-02", "2025-03", "2025-04", "2025-05"], dtype=object)
    return Journeys(
        codes,
        offsets,
        [f"ch{i:02d}" for i in range(10)],
        converts.astype(float),
        (~converts).astype(float),
        value,
        attributes={"country": countries[rng.integers(0, 10, n)], "period": months[rng.integers(0, 5, n)]},
        copy=False,
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--journeys", type=int, default=N_JOURNEYS)
    args = parser.parse_args(argv)
    from attribution import FirstTouch, LastTouch, Linear, PositionBased, TimeDecay  # noqa: F401  (named in MODELS)

    data = journeys(args.journeys)
    results: dict[str, Any] = {}
    for expression in MODELS:
        model = eval(expression)  # a fixed expression from MODELS, for its readable name
        times: dict[str, list[float]] = {"ungrouped": [], "grouped": []}
        for _ in range(ROUNDS):
            for how in ("ungrouped", "grouped"):
                started = time.perf_counter()
                if how == "grouped":
                    model.attribute(data, by=["country", "period"])
                else:
                    model.attribute(data)
                times[how].append(time.perf_counter() - started)
        ungrouped, grouped = statistics.median(times["ungrouped"]), statistics.median(times["grouped"])
        results[model.name] = {
            "ungrouped_seconds": round(ungrouped, 3),
            "grouped_seconds": round(grouped, 3),
            "ratio": round(grouped / ungrouped, 2),
        }
        print(f"{model.name:28s} ungrouped {ungrouped:6.2f} s  grouped {grouped:6.2f} s  x{grouped / ungrouped:.2f}")
    document = {
        "machine": _harness.machine_info(),
        "journeys": args.journeys,
        "touches": int(data.n_touches),
        "groups": 50,
        "rounds": ROUNDS,
        "results": results,
    }
    out = _harness.RESULTS_DIR / "grouped.json"
    out.write_text(json.dumps(document, indent=2) + "\n")
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
