"""Rule-based models against ChannelAttribution's ``heuristic_models``, side by side in one run.

Usage (from the repository root, in the project's virtualenv)::

    python -m benchmarks.bench_rules --peer-python /work/peers-venv/bin/python   # -> results/rules.json
    python -m benchmarks.bench_rules --profile                                   # cProfile of our six models

Two data shapes, each an aggregated path table (``path`` strings ``"ch01 > ch03 > ..."``,
``conversions``, ``nulls``, ``value``), generated vectorised and cached as Parquet in
``benchmarks/.data/``:

- ``10c``: 10M synthetic journeys over 10 channels (Zipf-like popularity, lengths
  ``1 + Poisson(3.7)`` capped at 15, conversion hazard summed over the touches) aggregated
  by distinct path: about 2M distinct paths;
- ``100c``: 200k random paths over 100 channels with lengths uniform in 1..200, a geometric
  number of journeys each (mean 5), duplicates merged.

Tasks, each in a fresh interpreter that first reads the Parquet table (not timed):

- ``ours build``: ``Journeys.from_paths`` on the path strings (timed);
- ``ours rules``: build (not timed), then the six rule-based models (first, last, last
  non-direct, linear, U-shaped position-based, time decay by position with a half-life of
  2 touches: a path table has no touch times), timed together and one by one;
- ``peer heuristics``: ChannelAttribution's ``heuristic_models`` (first, last, linear, with
  value) in the peers' virtualenv, timing the call only.

Contenders alternate within each round (the order rotates); medians of the rounds.
"""

from __future__ import annotations

import argparse
import gc
import json
import math
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks import _harness

SHAPES: dict[str, dict[str, Any]] = {
    "10c": {
        "file": "rules_10mj_10c.parquet",
        "label": "10M journeys, 10 channels",
    },
    "100c": {
        "file": "rules_200k_100c_200len.parquet",
        "label": "200k paths, 100 channels, lengths 1-200",
    },
}
TASKS = (("ours", "build"), ("ours", "rules"), ("peer", "heuristics"))
PEER_PYTHON = "/work/peers-venv/bin/python"
OUR_MODELS = (
    "FirstTouch()",
    "LastTouch()",
    "LastNonDirect()",
    "Linear()",
    "PositionBased.u_shaped()",
    'TimeDecay(half_life=2, by="position")',
)


def data_path(shape: str) -> Path:
    return _harness.DATA_DIR / str(SHAPES[shape]["file"])


# ---------------------------------------------------------------------- data
def journeys_path_table(
    n_journeys: int = 10_000_000,
    n_channels: int = 10,
    mean_length: float = 4.7,
    seed: int = 0,
    *,
    max_length: int = 15,
    conversion_rate: float = 0.02,
    mean_revenue: float = 60.0,
) -> Any:
    """Simulate ``n_journeys`` journeys and aggregate them by distinct path (vectorised).

    Each journey has ``1 + Poisson(mean_length - 1)`` touches (at most ``max_length``), drawn
    with the Zipf-like channel popularity of :mod:`benchmarks.synthetic`; it converts with
    probability ``1 - exp(-conversion_rate * sum of its touches' channel multipliers)`` and a
    conversion is worth a log-normal amount (mean ``mean_revenue``, rounded to cents). A path is
    one int64 (base ``n_channels + 1`` digits), so aggregation is one ``numpy.unique``.
    """
    import pandas as pd

    from benchmarks import synthetic

    base = n_channels + 1
    if max_length * math.log2(base) >= 63:
        raise ValueError("max_length too large to identify paths by one int64")
    rng = np.random.default_rng(seed)
    popularity, effect = synthetic._channel_model(rng, n_channels, 0.8, 0.5)
    lengths = np.minimum(1 + rng.poisson(mean_length - 1.0, n_journeys), max_length).astype(np.int64)
    offsets = np.zeros(n_journeys + 1, dtype=np.int64)
    np.cumsum(lengths, out=offsets[1:])
    n_touches = int(offsets[-1])
    codes = rng.choice(n_channels, n_touches, p=popularity).astype(np.int64)
    exponent = np.repeat(offsets[1:] - 1, lengths) - np.arange(n_touches)
    ids = np.add.reduceat((codes + 1) * base**exponent, offsets[:-1])
    hazard = conversion_rate * np.add.reduceat(effect[codes], offsets[:-1])
    del codes, exponent
    converted = rng.random(n_journeys) < -np.expm1(-hazard)
    sigma = 0.8
    revenue = np.where(
        converted, np.round(rng.lognormal(math.log(mean_revenue) - sigma**2 / 2, sigma, n_journeys), 2), 0
    )
    distinct, inverse = np.unique(ids, return_inverse=True)
    journeys = np.bincount(inverse, minlength=len(distinct))
    conversions = np.bincount(inverse, weights=converted, minlength=len(distinct)).astype(np.int64)
    value = np.round(np.bincount(inverse, weights=revenue, minlength=len(distinct)), 2)
    order = rng.permutation(len(distinct))  # rows in random order, as a real export would not be sorted
    path_codes, path_offsets = synthetic._decode_paths(distinct[order], base)
    paths = synthetic._join_paths(path_codes, path_offsets, synthetic.channel_labels(n_channels), " > ")
    return pd.DataFrame(
        {
            "path": paths,
            "conversions": conversions[order],
            "nulls": journeys[order] - conversions[order],
            "value": value[order],
        }
    )


def wide_path_table(
    n_rows: int = 200_000,
    n_channels: int = 100,
    max_length: int = 200,
    seed: int = 0,
    *,
    mean_journeys: float = 5.0,
    conversion_rate: float = 0.05,
    mean_revenue: float = 60.0,
) -> Any:
    """``n_rows`` random paths, lengths uniform in ``1..max_length``, duplicates (short paths) merged."""
    import pandas as pd

    from benchmarks import synthetic

    rng = np.random.default_rng(seed)
    popularity, _ = synthetic._channel_model(rng, n_channels, 0.8, 0.0)
    lengths = rng.integers(1, max_length + 1, n_rows).astype(np.int64)
    offsets = np.zeros(n_rows + 1, dtype=np.int64)
    np.cumsum(lengths, out=offsets[1:])
    codes = rng.choice(n_channels, int(offsets[-1]), p=popularity).astype(np.int32)
    paths = synthetic._join_paths(codes, offsets, synthetic.channel_labels(n_channels), " > ")
    journeys = rng.geometric(1.0 / mean_journeys, n_rows).astype(np.int64)
    conversions = rng.binomial(journeys, conversion_rate).astype(np.int64)
    value = np.round(conversions * rng.lognormal(math.log(mean_revenue) - 0.08, 0.4, n_rows), 2)
    table = pd.DataFrame({"path": paths, "conversions": conversions, "nulls": journeys - conversions, "value": value})
    return table.groupby("path", sort=False, as_index=False).sum()


def ensure_data(shape: str, *, regenerate: bool = False) -> Path:
    """The cached Parquet table of ``shape``, generated (seed 0) when missing."""
    from benchmarks.synthetic import write_parquet

    path = data_path(shape)
    if regenerate or not path.exists():
        started = time.perf_counter()
        table = journeys_path_table() if shape == "10c" else wide_path_table()
        tmp = path.with_suffix(".tmp.parquet")
        write_parquet(table, tmp)
        tmp.replace(path)
        print(f"{path.name}: {len(table):,} rows, generated in {time.perf_counter() - started:.1f} s", flush=True)
    return path


def describe(table: Any) -> dict[str, Any]:
    """Rows, journeys, conversions and touches of a path table (touches counted on the strings)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    separators = pc.count_substring(pa.array(table["path"]), ">")
    touches = int(pc.sum(separators).as_py()) + len(table)
    return {
        "rows": len(table),
        "journeys": int(table["conversions"].sum() + table["nulls"].sum()),
        "conversions": int(table["conversions"].sum()),
        "value": float(table["value"].sum()),
        "touches": touches,
        "max_length": int(pc.max(separators).as_py()) + 1,
    }


# ---------------------------------------------------------------------- workers
def our_models() -> list[Any]:
    from attribution import FirstTouch, LastNonDirect, LastTouch, Linear, PositionBased, TimeDecay

    return [
        FirstTouch(),
        LastTouch(),
        LastNonDirect(),
        Linear(),
        PositionBased.u_shaped(),
        TimeDecay(half_life=2, by="position"),  # path tables carry no touch times
    ]


def _ours(task: str, shape: str) -> dict[str, Any]:
    import pandas as pd

    from attribution import Journeys

    table = pd.read_parquet(data_path(shape))
    models = our_models()
    gc.collect()
    rss_before_build = _harness.rss_mib()
    _harness.reset_peak()
    start = time.perf_counter()
    journeys = Journeys.from_paths(table, path="path", conversions="conversions", nulls="nulls", value="value", sep=">")
    build = time.perf_counter() - start
    result: dict[str, Any] = {"rows": journeys.n_rows, "touches": journeys.n_touches}
    if task == "build":
        peak = _harness.peak_mib()
        return {**result, "seconds": build, "peak_mib": peak, "increment_mib": peak - rss_before_build}
    gc.collect()
    rss_before = _harness.rss_mib()
    _harness.reset_peak()
    per_model: dict[str, float] = {}
    credits: dict[str, dict[str, float]] = {}
    start = time.perf_counter()
    for model in models:
        begin = time.perf_counter()
        attribution = model.attribute(journeys)
        per_model[model.name] = time.perf_counter() - begin
        credits[model.name] = {k: float(v) for k, v in attribution.credits[["conversions", "value"]].sum().items()}
    seconds = time.perf_counter() - start
    peak = _harness.peak_mib()
    return {
        **result,
        "seconds": seconds,
        "peak_mib": peak,
        "increment_mib": peak - rss_before,
        "rss_before_mib": rss_before,
        "per_model_seconds": per_model,
        "totals": credits,
    }


def _peer(shape: str) -> dict[str, Any]:
    import pandas as pd
    from ChannelAttribution import heuristic_models

    table = pd.read_parquet(data_path(shape))
    gc.collect()
    rss_before = _harness.rss_mib()
    _harness.reset_peak()
    start = time.perf_counter()
    out = heuristic_models(table, "path", "conversions", var_value="value", sep=">", flg_pro=False)
    seconds = time.perf_counter() - start
    peak = _harness.peak_mib()
    totals = {c: float(out[c].sum()) for c in out.columns if c != "channel_name"}
    return {
        "rows": len(table),
        "seconds": seconds,
        "peak_mib": peak,
        "increment_mib": peak - rss_before,
        "rss_before_mib": rss_before,
        "totals": totals,
    }


def run_worker(python: str, module: str, args: list[str], *, timeout: float = 3600) -> dict[str, Any]:
    """``python -m module args`` in a fresh interpreter (any virtualenv); the result it reported."""
    return _harness.run_module(module, args, timeout=timeout, python=python)


def peer_versions(python: str) -> dict[str, Any]:
    code = (
        "import json, platform; from importlib.metadata import version as v; "
        "print(json.dumps({'python': platform.python_version(), 'ChannelAttribution': v('ChannelAttribution'), "
        "'numpy': v('numpy'), 'pandas': v('pandas'), 'pyarrow': v('pyarrow')}))"
    )
    done = subprocess.run([python, "-c", code], capture_output=True, text=True, check=True)
    versions: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return versions


# ---------------------------------------------------------------------- profile
def profile(shape: str, top: int = 25) -> None:
    """Time each model (best of 3) and print a cProfile of the six together (one pass)."""
    import cProfile
    import pstats

    import pandas as pd

    from attribution import Journeys

    table = pd.read_parquet(ensure_data(shape))
    journeys = Journeys.from_paths(table, path="path", conversions="conversions", nulls="nulls", value="value")
    print(f"{shape}: {journeys.n_rows:,} rows, {journeys.n_touches:,} touches")
    for model in our_models():
        times = []
        for _ in range(3):
            start = time.perf_counter()
            model.attribute(journeys)
            times.append(time.perf_counter() - start)
        print(f"  {model.name:32} best {min(times):.3f} s")
    profiler = cProfile.Profile()
    profiler.enable()
    for model in our_models():
        model.attribute(journeys)
    profiler.disable()
    pstats.Stats(profiler).sort_stats("tottime").print_stats(top)


# ---------------------------------------------------------------------- driver
def _fmt(seconds: float) -> str:
    return f"{seconds:.2f} s" if seconds >= 0.1 else f"{seconds * 1000:.0f} ms"


def table_markdown(payload: dict[str, Any]) -> str:
    """The README table of a ``rules.json`` payload."""
    lines = [
        "| data | distinct paths | touches | build `Journeys` | our six models | `heuristic_models` "
        "| ours ÷ theirs | build + six ÷ theirs | peak RSS ours (models) / theirs |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for shape, entry in payload["shapes"].items():
        s = entry["summary"]
        lines.append(
            f"| {SHAPES[shape]['label']} | {entry['data']['rows']:,} | {entry['data']['touches']:,} "
            f"| {_fmt(s['ours:build']['median_seconds'])} | {_fmt(s['ours:rules']['median_seconds'])} "
            f"| {_fmt(s['peer:heuristics']['median_seconds'])} | {entry['ratio_ours_over_theirs']:.3f} "
            f"({1 / entry['ratio_ours_over_theirs']:.1f}× faster) | {entry['ratio_build_plus_rules_over_theirs']:.3f} "
            f"| {s['ours:rules']['median_peak_mib']:,.0f} / {s['peer:heuristics']['median_peak_mib']:,.0f} MiB |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.bench_rules", description=__doc__.split("\n")[0])
    parser.add_argument("--worker", nargs=3, metavar=("SIDE", "TASK", "SHAPE"), help=argparse.SUPPRESS)
    parser.add_argument("--peer-python", default=PEER_PYTHON, help="python of the peers' virtualenv")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--shapes", nargs="+", default=list(SHAPES), choices=list(SHAPES))
    parser.add_argument("--regenerate", action="store_true", help="rewrite the cached Parquet inputs")
    parser.add_argument("--results", type=Path, default=_harness.RESULTS_DIR / "rules.json")
    parser.add_argument("--profile", action="store_true", help="profile our six models on the 10c shape and exit")
    args = parser.parse_args(argv)
    if args.worker:
        side, task, shape = args.worker
        _harness.report(_ours(task, shape) if side == "ours" else _peer(shape))
        return
    if args.profile:
        profile(args.shapes[0])
        return

    import pandas as pd

    payload: dict[str, Any] = {
        "machine": _harness.machine_info(),
        "peer": {"python": args.peer_python, **peer_versions(args.peer_python)},
        "settings": {
            "rounds": args.rounds,
            "our_models": list(OUR_MODELS),
            "peer_call": 'heuristic_models(table, "path", "conversions", var_value="value", sep=">", flg_pro=False)',
            "our_python": sys.executable,
        },
        "load_average_at_start": list(os.getloadavg()),
        "goal": "our six models together at least 5x faster than heuristic_models (ours / theirs <= 0.2)",
        "shapes": {},
    }
    for shape in args.shapes:
        data = describe(pd.read_parquet(ensure_data(shape, regenerate=args.regenerate)))
        print(f"{shape}: {data}", flush=True)
        runs: dict[str, list[dict[str, Any]]] = {}
        for round_number in range(args.rounds):
            shift = round_number % len(TASKS)
            for side, task in TASKS[shift:] + TASKS[:shift]:
                python = sys.executable if side == "ours" else args.peer_python
                result = run_worker(python, "benchmarks.bench_rules", ["--worker", side, task, shape])
                result["round"] = round_number + 1
                runs.setdefault(f"{side}:{task}", []).append(result)
                print(
                    f"  round {round_number + 1} {side:4} {task:10} {result['seconds']:8.3f} s  "
                    f"peak {result['peak_mib']:7.0f} MiB  (+{result['increment_mib']:.0f})",
                    flush=True,
                )
        summary = {
            key: {
                "median_seconds": _harness.median([r["seconds"] for r in rs]),
                "median_peak_mib": _harness.median([r["peak_mib"] for r in rs]),
                "median_increment_mib": _harness.median([r["increment_mib"] for r in rs]),
                "seconds": [r["seconds"] for r in rs],
            }
            for key, rs in runs.items()
        }
        per_model = {
            name: _harness.median([r["per_model_seconds"][name] for r in runs["ours:rules"]])
            for name in runs["ours:rules"][0]["per_model_seconds"]
        }
        ours, theirs = summary["ours:rules"]["median_seconds"], summary["peer:heuristics"]["median_seconds"]
        build = summary["ours:build"]["median_seconds"]
        payload["shapes"][shape] = {
            "data": {"file": data_path(shape).name, **data},
            "summary": summary,
            "median_per_model_seconds": per_model,
            "ratio_ours_over_theirs": ours / theirs,
            "ratio_build_plus_rules_over_theirs": (build + ours) / theirs,
            "goal_met": ours / theirs <= 0.2,
            "runs": runs,
        }
        print(
            f"{shape}: ours {ours:.3f} s, theirs {theirs:.3f} s, ratio {ours / theirs:.3f}; "
            f"build {build:.3f} s; (build + ours) / theirs {(build + ours) / theirs:.3f}",
            flush=True,
        )
    payload["load_average_at_end"] = list(os.getloadavg())
    _harness.write_json(args.results, payload)
    print(table_markdown(payload))


if __name__ == "__main__":
    main()
