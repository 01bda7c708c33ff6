"""Benchmark ``Journeys.from_events`` against the pandas reference pipeline.

For each size, a synthetic event log (see :mod:`benchmarks.synthetic`) is written to Parquet
once. Every measurement then runs in its own fresh interpreter, which reads the Parquet file,
records its RSS, times only the journey build with ``time.perf_counter`` and reports its peak
RSS. Contenders alternate within each round (the order rotates), and medians over the rounds
are reported.

Contenders:

- ``ours``: ``Journeys.from_events(..., value="revenue")`` (split at conversions, no lookback);
- ``pandas``: :func:`benchmarks.reference_pandas.reference_journeys`, the idiomatic pipeline;
- ``pandas_vectorised``: the same with the per-group ``agg(list)`` replaced by one ``numpy.split``.

Memory fields (MiB): ``rss_after_read`` (resident right after reading the input),
``peak_read`` (peak while importing and reading), ``peak_build`` (peak during the build
alone: the peak is reset just before it, Linux only), ``peak`` (process peak: the larger of
the two), ``build_increment`` = ``peak_build - rss_after_read``, and ``ru_maxrss`` as
``resource.getrusage`` reports it. Peaks are the kernel's ``VmHWM`` (the high-water mark that
``ru_maxrss`` is made of), because a fresh child's ``ru_maxrss`` starts at its parent's RSS at
fork time; the driver process is kept small (the correctness check runs in a subprocess too),
so ``ru_maxrss`` agrees with ``peak`` unless the build's peak is below the driver's RSS.

Run ``python -m benchmarks.bench_from_events`` (``--help`` for options).
"""

from __future__ import annotations

import argparse
import gc
import time
from pathlib import Path
from typing import Any

from benchmarks import _harness

CONTENDERS = ("ours", "pandas", "pandas_vectorised")
GOAL_RATIO = 0.6  # ours / pandas reference, time
GOAL_PEAK_BYTES = 1.2e9  # ours, process peak RSS

CHANNELS = 10
CONVERSION_RATE = 0.05
EVENTS_PER_USER = 5.0  # touches + conversions; 1M users -> about 5M events
SEED = 0
COLUMNS = {"user": "user_id", "time": "timestamp", "channel": "channel", "conversion": "converted", "value": "revenue"}


def mean_touches() -> float:
    return EVENTS_PER_USER / (1.0 + CONVERSION_RATE)


def data_file(n_users: int) -> Path:
    name = f"events_{n_users}u_{CHANNELS}c_{EVENTS_PER_USER:g}epu_{CONVERSION_RATE:g}cr_seed{SEED}.parquet"
    return _harness.DATA_DIR / name


def generate(n_users: int, *, regenerate: bool = False) -> Path:
    args = ["--users", str(n_users), "--channels", str(CHANNELS), "--mean-touches", repr(mean_touches())]
    args += ["--conversion-rate", repr(CONVERSION_RATE), "--seed", str(SEED)]
    return _harness.ensure_data(data_file(n_users), args, regenerate=regenerate)


# ---------------------------------------------------------------------- worker (fresh process)
def _builder(contender: str) -> Any:
    if contender == "ours":
        from attribution import Journeys

        return lambda events: Journeys.from_events(events, **COLUMNS)
    from benchmarks import reference_pandas

    if contender == "pandas":
        return lambda events: reference_pandas.reference_journeys(events, **COLUMNS)
    if contender == "pandas_vectorised":
        return lambda events: reference_pandas.reference_journeys_vectorised(events, **COLUMNS)
    raise ValueError(f"unknown contender {contender!r}")


def worker(contender: str, data: Path) -> dict[str, Any]:
    import pandas as pd

    build = _builder(contender)
    events = pd.read_parquet(data)
    gc.collect()
    rss_after_read = _harness.rss_mib()
    peak_read = _harness.peak_mib()
    reset = _harness.reset_peak()
    started = time.perf_counter()
    result = build(events)
    seconds = time.perf_counter() - started
    peak_build = _harness.peak_mib()
    peak = max(peak_read, peak_build) if reset else peak_build
    maxrss = _harness.maxrss_mib()
    return {
        "contender": contender,
        "seconds": round(seconds, 4),
        "rss_after_read_mib": round(rss_after_read, 1),
        "peak_read_mib": round(peak_read, 1),
        "peak_build_mib": round(peak_build, 1),
        "peak_mib": round(peak, 1),
        "build_increment_mib": round(peak_build - rss_after_read, 1),
        "ru_maxrss_mib": round(maxrss, 1),
        "peak_reset": reset,
        "events": len(events),
        "journeys": len(result),
    }


# ---------------------------------------------------------------------- correctness
def check_against_reference(n_users: int) -> dict[str, Any]:
    """Build the journeys of the ``n_users`` file with every contender and compare them."""
    import pandas as pd

    from attribution import Journeys
    from benchmarks.reference_pandas import compare_with_journeys, reference_journeys, reference_journeys_vectorised

    events = pd.read_parquet(generate(n_users))
    ours = Journeys.from_events(events, **COLUMNS)
    reference = compare_with_journeys(reference_journeys(events, **COLUMNS), ours)
    vectorised = compare_with_journeys(reference_journeys_vectorised(events, **COLUMNS), ours)
    return {
        "users": n_users,
        "events": len(events),
        "ours_vs_pandas": reference,
        "ours_vs_pandas_vectorised": vectorised,
        "match": bool(reference["match"] and vectorised["match"]),
    }


# ---------------------------------------------------------------------- driver
def bench_size(n_users: int, rounds: int, contenders: tuple[str, ...], *, regenerate: bool = False) -> dict[str, Any]:
    data = generate(n_users, regenerate=regenerate)
    runs: dict[str, list[dict[str, Any]]] = {c: [] for c in contenders}
    for r in range(rounds):
        order = contenders[r % len(contenders) :] + contenders[: r % len(contenders)]
        for contender in order:
            result = _harness.run_module("benchmarks.bench_from_events", ["--worker", contender, "--data", str(data)])
            result["round"] = r
            runs[contender].append(result)
            print(
                f"  {n_users:>9,} users  round {r + 1}/{rounds}  {contender:<18} {result['seconds']:8.3f} s"
                f"  peak {result['peak_mib']:7.1f} MiB  (after read {result['rss_after_read_mib']:.1f},"
                f" build peak {result['peak_build_mib']:.1f})",
                flush=True,
            )
    out: dict[str, Any] = {
        "users": n_users,
        "events": runs[contenders[0]][0]["events"],
        "journeys": runs[contenders[0]][0]["journeys"],
        "data": data.name,
        "contenders": {c: _harness.summarise_runs(v) for c, v in runs.items()},
    }
    timing = {c: out["contenders"][c]["median_seconds"] for c in contenders}
    if "ours" in timing and "pandas" in timing:
        out["ratio_ours_over_pandas"] = round(timing["ours"] / timing["pandas"], 4)
    if "ours" in timing and "pandas_vectorised" in timing:
        out["ratio_ours_over_pandas_vectorised"] = round(timing["ours"] / timing["pandas_vectorised"], 4)
    if "ours" in timing:
        peak_bytes = out["contenders"]["ours"]["median_peak_mib"] * 2**20
        out["goals"] = {
            "ratio_max": GOAL_RATIO,
            "ratio_met": out.get("ratio_ours_over_pandas", float("inf")) <= GOAL_RATIO,
            "peak_max_bytes": GOAL_PEAK_BYTES,
            "peak_met": peak_bytes <= GOAL_PEAK_BYTES,
        }
    return out


def run(
    sizes: tuple[int, ...] = (1_000_000, 100_000),
    rounds: int = 3,
    contenders: tuple[str, ...] = CONTENDERS,
    check_users: int | None = 100_000,
    *,
    regenerate: bool = False,
) -> dict[str, Any]:
    """Run the whole benchmark and return the results (machine info included)."""
    payload: dict[str, Any] = {
        "benchmark": "from_events",
        "machine": _harness.machine_info(),
        "settings": {
            "rounds": rounds,
            "channels": CHANNELS,
            "events_per_user": EVENTS_PER_USER,
            "mean_touches": round(mean_touches(), 6),
            "conversion_rate": CONVERSION_RATE,
            "seed": SEED,
            "call": "Journeys.from_events(events, user='user_id', time='timestamp', channel='channel', "
            "conversion='converted', value='revenue')",
            "timing": "build only (time.perf_counter), fresh process per run, Parquet read excluded",
        },
    }
    if check_users:
        print(f"checking ours against the pandas reference on {check_users:,} users", flush=True)
        payload["check"] = _harness.run_module("benchmarks.bench_from_events", ["--check-worker", str(check_users)])
        print(f"  match: {payload['check']['match']}", flush=True)
    payload["sizes"] = []
    for n_users in sizes:
        print(f"from_events, {n_users:,} users", flush=True)
        payload["sizes"].append(bench_size(n_users, rounds, contenders, regenerate=regenerate))
    return payload


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.bench_from_events", description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_000_000, 100_000], help="numbers of users")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--contenders", nargs="+", choices=CONTENDERS, default=list(CONTENDERS))
    parser.add_argument("--check-users", type=int, default=100_000, help="size of the correctness check (0: skip)")
    parser.add_argument("--regenerate", action="store_true", help="rewrite the Parquet inputs")
    parser.add_argument("--out", type=Path, default=_harness.RESULTS_DIR / "from_events.json")
    parser.add_argument("--worker", choices=CONTENDERS, help=argparse.SUPPRESS)
    parser.add_argument("--data", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--check-worker", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.check_worker:
        _harness.report(check_against_reference(args.check_worker))
        return
    if args.worker:
        _harness.report(worker(args.worker, args.data))
        return
    payload = run(tuple(args.sizes), args.rounds, tuple(args.contenders), args.check_users, regenerate=args.regenerate)
    print(f"wrote {_harness.write_json(args.out, payload)}")


if __name__ == "__main__":
    main()
