"""Aggregated journeys built where the events are: DuckDB, Spark ``local[2]`` and Dask ``LocalCluster(2)``.

Usage (from the repository root, in the project's virtualenv with the engine extras)::

    python -m benchmarks.bench_aggregate                        # 4M users (~20M events), 3 rounds
    python -m benchmarks.bench_aggregate --users 400000 --rounds 1 --results /tmp/aggregate.json
    python -m benchmarks.bench_aggregate --users 2000000 4000000 --contenders duckdb_256MB spark \\
        --max-touches 4 --results benchmarks/results/aggregate_doubling.json   # peak vs users
    python -m benchmarks.bench_aggregate --users 20000000 --rounds 1 --contenders duckdb_256MB spark --models \\
        --results benchmarks/results/aggregate_100m.json                   # ~100M events, every model

Input: the ``benchmarks.synthetic`` event log of ``bench_engines`` (seed 0, 10 channels,
4.8 touches per user on average, about 5 events per user), written once as Parquet. Each
contender is a fresh process that goes from the file to
``Journeys.from_events(..., aggregate=True)`` (Spark's session start-up and Dask's cluster
start-up timed apart). Peak memory is sampled every 50 ms, for the whole process tree
(``peak_mib``: the JVM and the dask workers are child processes) and for this Python process
alone (``driver_mib``: what holds the aggregated paths). Every contender reports a
fingerprint of its journeys (paths, counts, value to 1e-6) and the run checks that they
agree. Contenders alternate within each round; medians of the rounds. With ``--models``
the first contender also times every model on the aggregate it built.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import json
import time
from pathlib import Path
from typing import Any

from benchmarks import _harness
from benchmarks.bench_engines import build, data_file, engine_session, microsecond_copy

CONTENDERS = ("duckdb", "duckdb_256MB", "spark", "dask")
GOALS = "Spark local[2] and Dask LocalCluster(2) <= 2x DuckDB's time; Spark driver <= 1.5 GB"
SPARK_MEMORY = "1g"  # the JVM's heap in local mode (driver and executors in one JVM)


def fingerprint(journeys: Any) -> str:
    import numpy as np

    digest = hashlib.sha256()
    for array in (journeys.codes, journeys.offsets, journeys.conversions, journeys.nulls):
        digest.update(np.ascontiguousarray(array).tobytes())
    digest.update(np.round(journeys.value, 6).tobytes())  # sums in another order differ in the last bits
    digest.update("\x1f".join(journeys.channels).encode())
    return digest.hexdigest()[:16]


def time_models(journeys: Any) -> dict[str, float]:
    """Seconds of every model on the aggregated journeys."""
    import attribution as a

    models = {
        "first_touch": a.FirstTouch(),
        "last_touch": a.LastTouch(),
        "linear": a.Linear(),
        "position_based": a.PositionBased(),
        "markov_order1": a.MarkovChain(order=1),
        "markov_order3": a.MarkovChain(order=3),
        "shapley_subset_sum": a.Shapley(),
        "shao_li": a.ShaoLi(),
        "logistic_shapley": a.LogisticShapley(),
    }
    seconds = {}
    for name, model in models.items():
        began = time.perf_counter()
        model.attribute(journeys)
        seconds[name] = round(time.perf_counter() - began, 3)
    return seconds


def worker(contender: str, users: int, max_touches: int | None, models: bool, spark_conf: list[str]) -> dict[str, Any]:

    path = data_file(users)
    options: dict[str, Any] = {
        "user": "user_id",
        "time": "timestamp",
        "channel": "channel",
        "conversion": "converted",
        "value": "revenue",
        "aggregate": True,
        "max_touches": max_touches,
    }
    spark_path = microsecond_copy(path) if contender == "spark" else path  # prepared before the clock
    with contextlib.ExitStack() as session:  # the cluster outlives the sampler: models are timed apart
        with _harness.TreeSampler() as sampler:
            began = time.perf_counter()
            spark = session.enter_context(engine_session(contender, SPARK_MEMORY, spark_conf))
            startup = time.perf_counter() - began
            driver_before = _harness.peak_mib()
            _harness.reset_peak()
            started = time.perf_counter()
            journeys = build(contender, path, options, spark=spark, spark_path=spark_path)
            seconds = time.perf_counter() - started
            driver = _harness.peak_mib()
        model_seconds = time_models(journeys) if models else {}
    return {
        "seconds": round(seconds, 3),
        "startup_seconds": round(startup, 3),
        "peak_mib": round(sampler.peak_mib, 1),
        "driver_mib": round(max(driver, 0.0), 1),
        "driver_before_mib": round(driver_before, 1),
        "rows": journeys.n_rows,
        "journeys": float(journeys.conversions.sum() + journeys.nulls.sum()),
        "touches": journeys.n_touches,
        "fingerprint": fingerprint(journeys),
        "models": model_seconds,
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.bench_aggregate", description=__doc__.split("\n")[0])
    parser.add_argument("--users", type=int, nargs="+", default=[4_000_000])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--results", type=Path, default=_harness.RESULTS_DIR / "aggregate.json")
    parser.add_argument("--contenders", nargs="+", choices=CONTENDERS, default=list(CONTENDERS))
    parser.add_argument("--max-touches", type=int, help="keep this many most recent touches (bounds distinct paths)")
    parser.add_argument("--models", action="store_true", help="time every model on the first contender's aggregate")
    parser.add_argument(
        "--spark-conf", action="append", default=[], metavar="KEY=VALUE", help="a further Spark setting (repeatable)"
    )
    parser.add_argument("--worker", choices=CONTENDERS, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        _harness.report(worker(args.worker, args.users[0], args.max_touches, args.models, args.spark_conf))
        return
    chosen = [c for c in CONTENDERS if c in args.contenders]
    document: dict[str, Any] = {"machine": _harness.machine_info(), "goals": GOALS, "sizes": {}}
    for users in args.users:
        path = _harness.ensure_data(data_file(users), ["--users", str(users), "--mean-touches", "4.8"])
        runs: dict[str, list[dict[str, Any]]] = {c: [] for c in chosen}
        for round_ in range(args.rounds):
            shift = round_ % len(chosen)
            for contender in chosen[shift:] + chosen[:shift]:
                extra = ["--users", str(users), *(f"--spark-conf={c}" for c in args.spark_conf)]
                if args.max_touches:
                    extra += ["--max-touches", str(args.max_touches)]
                if args.models and contender == chosen[0] and round_ == 0:
                    extra.append("--models")
                result = _harness.run_module(
                    "benchmarks.bench_aggregate", ["--worker", contender, *extra], timeout=7200
                )
                runs[contender].append(result)
                print(
                    f"  {users:,} users round {round_ + 1} {contender:10} {result['seconds']:8.2f} s  "
                    f"tree {result['peak_mib']:7.0f} MiB  driver {result['driver_mib']:7.0f} MiB  "
                    f"{result['rows']:,} rows",
                    flush=True,
                )
        summary = {
            c: {
                "median_seconds": _harness.median([r["seconds"] for r in rs]),
                "median_peak_mib": _harness.median([r["peak_mib"] for r in rs]),
                "median_driver_mib": _harness.median([r["driver_mib"] for r in rs]),
            }
            for c, rs in runs.items()
        }
        base = summary.get("duckdb") or summary.get("duckdb_256MB")
        for entry in summary.values():
            if base:
                entry["time_ratio_to_duckdb"] = round(entry["median_seconds"] / base["median_seconds"], 3)
        document["sizes"][str(users)] = {
            "events_file": path.name,
            "max_touches": args.max_touches,
            "rows": runs[chosen[0]][0]["rows"],
            "journeys": runs[chosen[0]][0]["journeys"],
            "identical_journeys": len({r["fingerprint"] for rs in runs.values() for r in rs}) == 1,
            "summary": summary,
            "models": runs[chosen[0]][0]["models"],
            "runs": runs,
        }
        print(json.dumps({k: v for k, v in document["sizes"][str(users)].items() if k != "runs"}, indent=1))
    _harness.write_json(args.results, document)


if __name__ == "__main__":
    main()
