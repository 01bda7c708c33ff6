"""Where ``Journeys.from_events`` spends its time: stage timings and a cProfile summary.

Run ``python -m benchmarks.profile_from_events --users 1000000`` (after the benchmark has
written its Parquet input, or it is generated). Stage timings call the builder's private
steps in the order ``from_events`` does, so they follow ``src/attribution/journeys/from_events.py``
and may need updating when it changes; the cProfile summary does not depend on them.
"""

from __future__ import annotations

import argparse
import cProfile
import importlib
import io
import pstats
import time
from typing import Any

from benchmarks import _harness, bench_from_events

COLUMNS = bench_from_events.COLUMNS


def stage_timings(events: Any) -> dict[str, float]:
    """Seconds per stage of the default call (split at conversions, no lookback or cap)."""
    fe = importlib.import_module("attribution.journeys.from_events")
    cut = importlib.import_module("attribution.journeys.cutting")
    from attribution import Journeys
    from attribution.journeys.spec import EventSpec

    cols = dict(COLUMNS)
    spec = EventSpec(**cols)
    index = events.index
    stages: dict[str, float] = {}
    clock = time.perf_counter()

    def lap(name: str) -> None:
        nonlocal clock
        now = time.perf_counter()
        stages[name] = round(now - clock, 4)
        clock = now

    fe.require_columns(events, spec.columns())
    lap("require_columns")
    user_codes, user_labels = fe._factorize_column(events[spec.user])
    lap("read: factorize user (sort=True)")
    converted = fe.conversion_flags(events[spec.conversion], spec.conversion, index)
    lap("read: conversion flags")
    channel_codes, channels = fe._channels(events[spec.channel], spec, converted, index)
    lap("read: factorize channel")
    values = fe._values(events[spec.value], spec, converted, index)
    lap("read: values + checks")
    times = fe.times_ns(events[spec.time], spec.time, index)
    lap("read: times to int64 ns")
    parsed = cut.Events(user_codes, user_labels, times, converted, channel_codes, channels, values, None)
    order = cut._event_order(parsed)
    lap("order: sort key + argsort")
    ordered = parsed if order is None else parsed.take(order)
    lap("order: take (gather 6 columns)")
    plan = cut._split_journeys(ordered)
    lap("split journeys")
    journeys = Journeys._trusted(*cut._finish(ordered, *plan, window=None, max_touches=None))
    lap("finish (arrays, users Index.take, Journeys)")
    stages["total"] = round(sum(v for k, v in stages.items()), 4)
    stages["journeys"] = journeys.n_rows
    return stages


def profile(events: Any, top: int = 25) -> str:
    from attribution import Journeys

    profiler = cProfile.Profile()
    profiler.enable()
    Journeys.from_events(events, **COLUMNS)
    profiler.disable()
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out).strip_dirs()
    stats.sort_stats("tottime").print_stats(top)
    return out.getvalue()


def main(argv: list[str] | None = None) -> None:
    import pandas as pd

    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.profile_from_events", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--users", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3, help="stage-timing repetitions (medians reported)")
    parser.add_argument("--top", type=int, default=25)
    args = parser.parse_args(argv)
    events = pd.read_parquet(bench_from_events.generate(args.users))
    print(f"{len(events):,} events, {args.users:,} users")
    runs = [stage_timings(events) for _ in range(args.repeat)]
    print(f"\nstage timings, median of {args.repeat} (seconds):")
    for stage in runs[0]:
        print(f"  {stage:<48} {_harness.median([r[stage] for r in runs]):8.3f}")
    print("\ncProfile of one Journeys.from_events call, by own time:")
    print(profile(events, args.top))


if __name__ == "__main__":
    main()
