"""Benchmark ``Journeys.from_paths`` on a table of 1M distinct ``"a > b > c"`` path strings.

The table (see :func:`benchmarks.synthetic.synthetic_paths`) is written to Parquet once;
each run is a fresh interpreter that reads it, times only
``Journeys.from_paths(table, path="path", conversions="conversions", nulls="nulls",
value="value", sep=">")`` with ``time.perf_counter`` and reports its memory (same fields as
:mod:`benchmarks.bench_from_events`). Median of the rounds; goal ≤ 2 s.

Run ``python -m benchmarks.bench_from_paths`` (``--help`` for options).
"""

from __future__ import annotations

import argparse
import gc
import time
from pathlib import Path
from typing import Any

from benchmarks import _harness

GOAL_SECONDS = 2.0
CHANNELS = 10
MEAN_LENGTH = 6.0
SEED = 0
COLUMNS = {"path": "path", "conversions": "conversions", "nulls": "nulls", "value": "value", "sep": ">"}


def data_file(n_distinct: int) -> Path:
    return _harness.DATA_DIR / f"paths_{n_distinct}_{CHANNELS}c_{MEAN_LENGTH:g}len_seed{SEED}.parquet"


def generate(n_distinct: int, *, regenerate: bool = False) -> Path:
    args = ["--paths", str(n_distinct), "--channels", str(CHANNELS), "--mean-length", repr(MEAN_LENGTH)]
    args += ["--seed", str(SEED)]
    return _harness.ensure_data(data_file(n_distinct), args, regenerate=regenerate)


def worker(data: Path) -> dict[str, Any]:
    import pandas as pd

    from attribution import Journeys

    table = pd.read_parquet(data)
    gc.collect()
    rss_after_read = _harness.rss_mib()
    peak_read = _harness.peak_mib()
    reset = _harness.reset_peak()
    started = time.perf_counter()
    journeys = Journeys.from_paths(table, **COLUMNS)
    seconds = time.perf_counter() - started
    peak_build = _harness.peak_mib()
    maxrss = _harness.maxrss_mib()
    # correctness, outside the timing: every row's path equals a plain split of its string
    sample = table.head(20_000)
    expected = [tuple(label.strip() for label in p.split(">")) for p in sample["path"]]
    matches = journeys[: len(sample)].paths() == expected and journeys.total_conversions == table["conversions"].sum()
    return {
        "seconds": round(seconds, 4),
        "rss_after_read_mib": round(rss_after_read, 1),
        "peak_read_mib": round(peak_read, 1),
        "peak_build_mib": round(peak_build, 1),
        "peak_mib": round(max(peak_read, peak_build) if reset else peak_build, 1),
        "build_increment_mib": round(peak_build - rss_after_read, 1),
        "ru_maxrss_mib": round(maxrss, 1),
        "peak_reset": reset,
        "rows": len(table),
        "touches": int(journeys.n_touches),
        "channels": len(journeys.channels),
        "sample_matches": bool(matches),
    }


def run(n_distinct: int = 1_000_000, rounds: int = 3, *, regenerate: bool = False) -> dict[str, Any]:
    """Run the benchmark and return the results (machine info included)."""
    data = generate(n_distinct, regenerate=regenerate)
    print(f"from_paths, {n_distinct:,} distinct paths", flush=True)
    runs = []
    for r in range(rounds):
        result = _harness.run_module("benchmarks.bench_from_paths", ["--worker", "--data", str(data)])
        result["round"] = r
        runs.append(result)
        print(
            f"  round {r + 1}/{rounds}  {result['seconds']:8.3f} s  peak {result['peak_mib']:7.1f} MiB"
            f"  (after read {result['rss_after_read_mib']:.1f}, build peak {result['peak_build_mib']:.1f})",
            flush=True,
        )
    summary = _harness.summarise_runs(runs)
    return {
        "benchmark": "from_paths",
        "machine": _harness.machine_info(),
        "settings": {
            "rounds": rounds,
            "distinct_paths": n_distinct,
            "channels": CHANNELS,
            "mean_length": MEAN_LENGTH,
            "seed": SEED,
            "call": "Journeys.from_paths(table, path='path', conversions='conversions', nulls='nulls', "
            "value='value', sep='>')",
            "timing": "build only (time.perf_counter), fresh process per run, Parquet read excluded",
        },
        "rows": runs[0]["rows"],
        "touches": runs[0]["touches"],
        "data": data.name,
        "sample_matches": all(r["sample_matches"] for r in runs),
        "result": summary,
        "goals": {"seconds_max": GOAL_SECONDS, "seconds_met": summary["median_seconds"] <= GOAL_SECONDS},
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.bench_from_paths", description=__doc__.split("\n")[0])
    parser.add_argument("--distinct", type=int, default=1_000_000, help="number of distinct path strings")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--regenerate", action="store_true", help="rewrite the Parquet input")
    parser.add_argument("--out", type=Path, default=_harness.RESULTS_DIR / "from_paths.json")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--data", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        _harness.report(worker(args.data))
        return
    payload = run(args.distinct, args.rounds, regenerate=args.regenerate)
    print(f"wrote {_harness.write_json(args.out, payload)}")


if __name__ == "__main__":
    main()
