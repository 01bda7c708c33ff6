"""Events to ``Journeys`` in each engine, side by side: pandas, DuckDB, Spark ``local[2]``, Dask ``LocalCluster``.

Usage (from the repository root, in the project's virtualenv with the ``duckdb`` extra)::

    python -m benchmarks.bench_engines                       # 4M users (~20M events), 3 rounds
    python -m benchmarks.bench_engines --users 400000 --rounds 1 --results /tmp/engines.json

Input: ``benchmarks.synthetic`` event log (seed 0, 10 channels, 4.8 touches per user on
average, about 5 events per user with the conversions) written once as Parquet. Each contender is a fresh process that goes from the
file to a ``Journeys`` (reading included: DuckDB reads the file itself, pandas must load
it first; Spark's session start-up is timed apart), timed with ``time.perf_counter``;
peak memory is the whole process tree's (the JVM and dask workers are child processes),
sampled every 50 ms. Every contender reports a
fingerprint of the journeys it built (a hash of every array), and the run checks they are
identical. Contenders alternate within each round; medians of the rounds.
Results: ``benchmarks/results/engines.json``.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import json
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from benchmarks import _harness

CONTENDERS = ("pandas", "duckdb", "duckdb_256MB", "spark", "dask")
GOAL = "DuckDB <= 0.7x the pandas builder's time at <= 1/3 of its peak memory"


def data_file(users: int) -> Path:
    return _harness.DATA_DIR / f"events_{users}u_seed0.parquet"


def microsecond_copy(path: Path) -> Path:
    """The same events with microsecond timestamps: Spark cannot read Parquet's nanosecond ones.

    The synthetic times are whole seconds, so the copy is exact.
    """
    import pyarrow as pa
    import pyarrow.parquet as pq

    copy = path.with_name(path.stem + "_us.parquet")
    if not copy.exists():
        source = pq.ParquetFile(path)
        schema = pa.schema(
            [f.with_type(pa.timestamp("us")) if pa.types.is_timestamp(f.type) else f for f in source.schema_arrow]
        )
        with pq.ParquetWriter(copy, schema) as writer:
            for batch in source.iter_batches():
                writer.write_table(pa.Table.from_batches([batch]).cast(schema))
    return copy


def fingerprint(journeys: Any) -> str:
    digest = hashlib.sha256()
    for array in (
        journeys.codes,
        journeys.offsets,
        journeys.conversions,
        journeys.nulls,
        journeys.value,
        journeys.times,
    ):
        digest.update(array.tobytes())
    digest.update("\x1f".join(journeys.channels).encode())
    digest.update("\x1f".join(map(str, journeys.users)).encode())
    return digest.hexdigest()[:16]


def build(
    contender: str, path: Path, options: dict[str, Any], *, spark: Any = None, spark_path: Path | None = None
) -> Any:
    """``Journeys.from_events`` of the Parquet file at ``path`` by one contender (``duckdb_256MB``:
    DuckDB within 256 MB; Spark reads ``spark_path``, the microsecond copy)."""
    from attribution import Journeys

    if contender == "pandas":
        import pandas as pd

        return Journeys.from_events(pd.read_parquet(path), **options)
    if contender == "spark":
        return Journeys.from_events(spark.read.parquet(str(spark_path)), **options)
    if contender == "dask":
        import dask.dataframe as dd

        return Journeys.from_events(dd.read_parquet(str(path), split_row_groups=True), **options)
    from attribution.engines.duckdb import from_events_duckdb

    limit = "256MB" if contender == "duckdb_256MB" else None
    return from_events_duckdb(str(path), **options, memory_limit=limit)


@contextlib.contextmanager
def engine_session(contender: str, spark_memory: str, spark_conf: Sequence[str] = ()) -> Iterator[Any]:
    """What a contender runs on, started on entry: Spark ``local[2]`` with this JVM heap and any
    further ``key=value`` settings (the session is yielded) or a Dask ``LocalCluster`` of 2
    one-thread workers (closed on exit)."""
    if contender == "spark":
        from pyspark.sql import SparkSession

        builder = (
            SparkSession.builder.master("local[2]")
            .config("spark.driver.memory", spark_memory)
            .config("spark.sql.session.timeZone", "UTC")
            .config("spark.ui.enabled", "false")
        )
        for setting in spark_conf:
            key, _, value = setting.partition("=")
            builder = builder.config(key, value)
        yield builder.getOrCreate()
    elif contender == "dask":
        from dask.distributed import Client, LocalCluster

        with (
            LocalCluster(n_workers=2, threads_per_worker=1, memory_limit="6GiB", dashboard_address=None) as cluster,
            Client(cluster),
        ):
            yield None
    else:
        yield None


def worker(contender: str, users: int) -> dict[str, Any]:

    path = data_file(users)
    columns = {
        "user": "user_id",
        "time": "timestamp",
        "channel": "channel",
        "conversion": "converted",
        "value": "revenue",
    }
    spark_path = microsecond_copy(path) if contender == "spark" else path  # prepared before the clock
    with _harness.TreeSampler() as sampler, contextlib.ExitStack() as session:
        began = time.perf_counter()
        spark = session.enter_context(engine_session(contender, "3g"))
        startup = time.perf_counter() - began
        started = time.perf_counter()
        journeys = build(contender, path, columns, spark=spark, spark_path=spark_path)
        seconds = time.perf_counter() - started
    return {
        "seconds": round(seconds, 3),
        "startup_seconds": round(startup, 3),
        "peak_mib": round(sampler.peak_mib, 1),
        "rows": journeys.n_rows,
        "touches": journeys.n_touches,
        "fingerprint": fingerprint(journeys),
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.bench_engines", description=__doc__.split("\n")[0])
    parser.add_argument("--users", type=int, default=4_000_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--results", type=Path, default=_harness.RESULTS_DIR / "engines.json")
    parser.add_argument("--contenders", nargs="+", choices=CONTENDERS, default=list(CONTENDERS))
    parser.add_argument("--worker", choices=CONTENDERS, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        _harness.report(worker(args.worker, args.users))
        return
    path = _harness.ensure_data(data_file(args.users), ["--users", str(args.users), "--mean-touches", "4.8"])
    chosen = [c for c in CONTENDERS if c in args.contenders]
    runs: dict[str, list[dict[str, Any]]] = {c: [] for c in chosen}
    for round_ in range(args.rounds):
        shift = round_ % len(chosen)
        for contender in chosen[shift:] + chosen[:shift]:
            result = _harness.run_module(
                "benchmarks.bench_engines", ["--worker", contender, "--users", str(args.users)], timeout=3600
            )
            runs[contender].append(result)
            print(f"  round {round_ + 1} {contender:11} {result['seconds']:8.2f} s  peak {result['peak_mib']:8.0f} MiB")
    summary = {
        c: {
            "median_seconds": _harness.median([r["seconds"] for r in rs]),
            "median_peak_mib": _harness.median([r["peak_mib"] for r in rs]),
        }
        for c, rs in runs.items()
    }
    prints = {r["fingerprint"] for rs in runs.values() for r in rs}
    pandas = summary.get("pandas")
    ratios = {
        c: {
            "time_ratio_to_pandas": round(s["median_seconds"] / pandas["median_seconds"], 3),
            "memory_ratio_to_pandas": round(s["median_peak_mib"] / pandas["median_peak_mib"], 3),
        }
        for c, s in summary.items()
        if c != "pandas" and pandas is not None
    }
    payload = {
        "machine": _harness.machine_info(),
        "users": args.users,
        "events_file": path.name,
        "rows": runs[chosen[0]][0]["rows"],
        "touches": runs[chosen[0]][0]["touches"],
        "identical_journeys": len(prints) == 1,
        "goal": GOAL,
        "summary": summary,
        "ratios": ratios,
        "runs": runs,
    }
    _harness.write_json(args.results, payload)
    print(
        json.dumps(
            {"identical_journeys": payload["identical_journeys"], "summary": summary, "ratios": ratios}, indent=1
        )
    )


if __name__ == "__main__":
    main()
