"""Benchmark the data-driven models, Shao & Li and the logistic model, beside Markov order 1.

Usage (from the repository root, in the project's virtualenv)::

    python -m benchmarks.bench_datadriven                   # all shapes -> results/datadriven.json (~6 minutes)
    python -m benchmarks.bench_datadriven --shapes 20c      # one shape; the others keep their figures
    python -m benchmarks.bench_datadriven --shapes 20c --profile 20c 100c   # and cProfile tables of both models
    python -m benchmarks.bench_datadriven --distinct 20000 --results /tmp/dd.json   # smoke run

Data, built with numpy (``Journeys(codes, offsets, ...)``, no path strings) and kept in
``benchmarks/.data/`` (git-ignored) after the first run: ``n_distinct`` distinct paths (one
row each) with ``1 + Poisson(5)`` touches capped at ``max_length``, channels drawn with a
Zipf-like popularity (``benchmarks.synthetic``), each row a geometric number of journeys
(mean 5, so about 10M journeys for 2M rows) split into conversions with a probability that
depends on the channels present: σ(−3.5 + Σ β_c), β_c ~ N(0.15, 0.25). Shapes:

- ``10c``: 2M distinct paths (~10M journeys) over 10 channels, 1-12 touches;
- ``20c``: the same over 20 channels;
- ``100c``: the same over 100 channels, 1-9 touches (a path is identified by one int64
  while it is generated); one round only, the models take tens of seconds there.

Paths hold at most 12 distinct channels, so ``LogisticShapley`` solves every game exactly
(``max_exact_channels=12``). Calls, alternating within each round (the order rotates),
figures are medians over rounds:

- ``markov_order1``: ``MarkovChain().attribute(j)``;
- ``shao_li``: ``ShaoLi().attribute(j)``;
- ``logistic``: ``LogisticShapley().attribute(j)`` (fit and credits);
- ``logistic_fit``: ``LogisticShapley().fit(j)`` alone;
- ``channel_sets``: the reduction of rows to distinct channel sets both models start with
  (``attribution.models.presence.channel_sets``), for reference.

Every call is a fresh interpreter: a warm-up on 2,000 paths (imports, scipy's optimiser),
then the stored arrays are loaded, the peak RSS counter (``VmHWM``) is reset and only the
call is timed. ``peak_mib`` is the call's peak with the data resident, ``increment_mib`` the
part above the RSS just before the call. The goal (issue): ``logistic`` at most 3x
``markov_order1``. ``--profile`` adds cProfile tables (most own and cumulative time) of
``shao_li`` and ``logistic`` to the JSON.
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import io
import math
import pstats
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks import _harness

GOAL_RATIO = 3.0  # logistic (fit + credits) / Markov order 1
CALLS = ("markov_order1", "shao_li", "logistic", "logistic_fit", "channel_sets")
SHAPES: dict[str, dict[str, Any]] = {
    "10c": {"n_distinct": 2_000_000, "n_channels": 10, "max_length": 12, "rounds": 3, "seed": 0},
    "20c": {"n_distinct": 2_000_000, "n_channels": 20, "max_length": 12, "rounds": 3, "seed": 0},
    "100c": {"n_distinct": 2_000_000, "n_channels": 100, "max_length": 9, "rounds": 1, "seed": 0},
}
MEAN_LENGTH = 6.0
MEAN_JOURNEYS = 5.0
TIMEOUT_SECONDS = 1500.0
RESULTS = _harness.RESULTS_DIR / "datadriven.json"


# ---------------------------------------------------------------------- data
def distinct_paths(
    n_distinct: int, n_channels: int, max_length: int, seed: int
) -> tuple[np.ndarray[Any, Any], np.ndarray[Any, Any]]:
    """Codes and offsets of ``n_distinct`` distinct paths (each identified by a base-(n+1) int64 while drawn)."""
    from benchmarks.synthetic import distinct_path_codes

    return distinct_path_codes(n_distinct, n_channels, max_length, MEAN_LENGTH, 0.8, np.random.default_rng(seed))


def arrays(n_distinct: int, n_channels: int, max_length: int, seed: int = 0) -> dict[str, Any]:
    """One row per distinct path, geometric journeys per row, conversions depending on the channels present."""
    codes, offsets = distinct_paths(n_distinct, n_channels, max_length, seed)
    rng = np.random.default_rng(seed + 1)
    beta = rng.normal(0.15, 0.25, n_channels)
    rows = np.repeat(np.arange(n_distinct, dtype=np.int64), np.diff(offsets))
    present = np.unique(rows * n_channels + codes)  # each (row, channel) once
    z = -3.5 + np.bincount(present // n_channels, beta[present % n_channels], n_distinct)
    count = rng.geometric(1.0 / MEAN_JOURNEYS, n_distinct).astype(np.int64)
    conversions = rng.binomial(count, 1.0 / (1.0 + np.exp(-z)))
    value = np.round(conversions * rng.lognormal(math.log(60.0) - 0.08, 0.4, n_distinct), 2)
    return {
        "codes": codes,
        "offsets": offsets,
        "n_channels": np.array(n_channels),
        "conversions": conversions.astype(np.float64),
        "nulls": (count - conversions).astype(np.float64),
        "value": value,
    }


def to_journeys(data: dict[str, Any]) -> Any:
    from attribution import Journeys
    from benchmarks.synthetic import channel_labels

    return Journeys(
        data["codes"],
        data["offsets"],
        channel_labels(int(data["n_channels"])),
        data["conversions"],
        data["nulls"],
        data["value"],
        copy=False,
    )


def data_file(shape: str, n_distinct: int) -> Path:
    spec = SHAPES[shape]
    return _harness.DATA_DIR / (
        f"datadriven_{n_distinct}p_{spec['n_channels']}c_{spec['max_length']}max_seed{spec['seed']}.npz"
    )


def ensure_data(shape: str, n_distinct: int) -> Path:
    """Write a shape's arrays once (a fresh interpreter keeps the driver small); later runs load them."""
    path = data_file(shape, n_distinct)
    if not path.exists():
        print(f"generating {path.name} ...", flush=True)
        _harness.run_module(
            "benchmarks.bench_datadriven", ["--generate", shape, "--distinct", str(n_distinct)], timeout=TIMEOUT_SECONDS
        )
    return path


def generate(shape: str, n_distinct: int) -> dict[str, Any]:
    spec = SHAPES[shape]
    started = time.perf_counter()
    data = arrays(n_distinct, spec["n_channels"], spec["max_length"], spec["seed"])
    path = data_file(shape, n_distinct)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.stem + ".tmp.npz")
    np.savez(tmp, **data)
    tmp.replace(path)
    return {"path": str(path), "seconds": round(time.perf_counter() - started, 2)}


def load(shape: str, n_distinct: int) -> Any:
    with np.load(data_file(shape, n_distinct)) as stored:
        return to_journeys({key: stored[key] for key in stored.files})


def _call(name: str) -> Any:
    from attribution import LogisticShapley, MarkovChain, ShaoLi
    from attribution.models.presence import channel_sets

    return {
        "markov_order1": lambda j: MarkovChain().attribute(j),
        "shao_li": lambda j: ShaoLi().attribute(j),
        "logistic": lambda j: LogisticShapley().attribute(j),
        "logistic_fit": lambda j: LogisticShapley().fit(j),
        "channel_sets": channel_sets,
    }[name]


def describe(shape: str, n_distinct: int) -> dict[str, Any]:
    """Shape of a data set: rows, journeys, touches, distinct channel sets (all and converting) by size."""
    from attribution.models.presence import channel_sets

    data = load(shape, n_distinct)
    sets = channel_sets(data)
    sizes = sets.sizes.astype(np.int64)
    converting = (sets.conversions > 0) & (sizes > 0)
    by_size = np.bincount(sizes[converting], minlength=int(sizes.max()) + 1)
    return {
        "rows": int(data.n_rows),
        "distinct_paths": int(data.n_rows),  # rows are distinct by construction
        "journeys": int(data.n_journeys),
        "conversions": int(data.total_conversions),
        "touches": int(data.n_touches),
        "max_touches": int(data.lengths.max()),
        "distinct_channel_sets": len(sizes),
        "converting_channel_sets": int(converting.sum()),
        "converting_sets_by_size": {str(k): int(n) for k, n in enumerate(by_size) if n},
        "mean_distinct_channels_per_row": round(float(sizes[sets.set_of_row].mean()), 3),
    }


# ---------------------------------------------------------------------- workers
def _warm_up(shape: str, call: Any) -> None:
    """Imports (scipy.optimize, scipy.special) and first-call costs, on 2,000 paths: not timed."""
    spec = SHAPES[shape]
    call(to_journeys(arrays(2_000, spec["n_channels"], spec["max_length"], seed=99)))


def worker(shape: str, name: str, n_distinct: int) -> dict[str, Any]:
    """One timed call in this fresh interpreter, with the data resident; peak RSS reset just before it."""
    call = _call(name)
    _warm_up(shape, call)
    data = load(shape, n_distinct)
    gc.collect()
    before = _harness.rss_mib()
    reset = _harness.reset_peak()
    started = time.perf_counter()
    result = call(data)
    seconds = time.perf_counter() - started
    peak = _harness.peak_mib()
    run: dict[str, Any] = {
        "seconds": round(seconds, 4),
        "peak_mib": round(peak, 1),
        "rss_before_mib": round(before, 1),
        "increment_mib": round(peak - before, 1),
        "peak_reset": reset,
    }
    if name == "logistic_fit":
        run["iterations"] = result.iterations
    return run


def profile_worker(shape: str, name: str, n_distinct: int, top: int = 15) -> dict[str, Any]:
    """cProfile of one call: the functions with the most own time and the most cumulative time."""
    call = _call(name)
    _warm_up(shape, call)
    data = load(shape, n_distinct)
    profiler = cProfile.Profile()
    started = time.perf_counter()
    profiler.enable()
    call(data)
    profiler.disable()
    seconds = time.perf_counter() - started
    stats = pstats.Stats(profiler, stream=io.StringIO())
    rows = []
    for (filename, line, function), (_, calls, own, cumulative, _) in stats.stats.items():  # type: ignore[attr-defined]
        where = filename.split("/src/")[-1].split("site-packages/")[-1]
        rows.append(
            {"function": f"{where}:{line}({function})", "calls": calls, "own_s": own, "cumulative_s": cumulative}
        )

    def best(key: str) -> list[dict[str, Any]]:
        chosen = sorted(rows, key=lambda r: r[key], reverse=True)[:top]
        return [{**r, "own_s": round(r["own_s"], 3), "cumulative_s": round(r["cumulative_s"], 3)} for r in chosen]

    return {
        "shape": shape,
        "call": name,
        "seconds_profiled": round(seconds, 3),
        "by_own": best("own_s"),
        "by_cumulative": best("cumulative_s"),
    }


# ---------------------------------------------------------------------- driver
def summarise(runs: dict[str, list[dict[str, Any]]]) -> dict[str, Any]:
    calls: dict[str, Any] = {}
    for name, done in runs.items():
        entry: dict[str, Any] = {
            f"median_{field}": round(_harness.median([r[field] for r in done]), 4)
            for field in ("seconds", "peak_mib", "increment_mib", "rss_before_mib")
        }
        if name == "logistic_fit":
            entry["iterations"] = done[0]["iterations"]
        entry["runs"] = done
        calls[name] = entry
    markov = calls["markov_order1"]["median_seconds"]
    ratio = calls["logistic"]["median_seconds"] / markov
    return {
        "calls": calls,
        "ratios_to_markov_order1": {
            name: round(calls[name]["median_seconds"] / markov, 2) for name in ("shao_li", "logistic", "logistic_fit")
        },
        "goal": {"logistic_over_markov_max": GOAL_RATIO, "ratio": round(ratio, 2), "met": bool(ratio <= GOAL_RATIO)},
    }


def run_shape(shape: str, rounds: int, n_distinct: int) -> dict[str, Any]:
    ensure_data(shape, n_distinct)
    size = ["--distinct", str(n_distinct)]
    info = _harness.run_module("benchmarks.bench_datadriven", ["--describe", shape, *size], timeout=TIMEOUT_SECONDS)
    runs: dict[str, list[dict[str, Any]]] = {name: [] for name in CALLS}
    for round_ in range(rounds):
        for name in CALLS[round_ % len(CALLS) :] + CALLS[: round_ % len(CALLS)]:  # the order rotates
            run = _harness.run_module(
                "benchmarks.bench_datadriven", ["--worker", shape, name, *size], timeout=TIMEOUT_SECONDS
            )
            runs[name].append({"round": round_, **run})
            print(
                f"  {shape} round {round_ + 1}/{rounds} {name:14s} {run['seconds']:8.3f} s  "
                f"peak {run['peak_mib']:7.0f} MiB  (+{run['increment_mib']:.0f})",
                flush=True,
            )
    return {
        "shape": shape,
        **SHAPES[shape],
        "n_distinct": n_distinct,
        "rounds": rounds,
        "data": info,
        **summarise(runs),
    }


def _load_previous(path: Path) -> dict[str, Any]:
    import json

    if path.exists():
        previous: dict[str, Any] = json.loads(path.read_text())
        return previous
    return {}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.bench_datadriven", description=__doc__.split("\n")[0])
    parser.add_argument("--worker", nargs=2, metavar=("SHAPE", "CALL"), help=argparse.SUPPRESS)
    parser.add_argument("--profile-worker", nargs=2, metavar=("SHAPE", "CALL"), help=argparse.SUPPRESS)
    parser.add_argument("--generate", metavar="SHAPE", help=argparse.SUPPRESS)
    parser.add_argument("--describe", metavar="SHAPE", help=argparse.SUPPRESS)
    parser.add_argument("--shapes", nargs="+", default=list(SHAPES), choices=list(SHAPES))
    parser.add_argument("--rounds", type=int, help="rounds per shape (default: 3; 1 for 100c)")
    parser.add_argument("--distinct", type=int, help="distinct paths per shape (default 2,000,000; for smoke runs)")
    parser.add_argument("--results", type=Path, default=RESULTS, help="where to write (default: %(default)s)")
    parser.add_argument(
        "--profile", nargs="*", choices=list(SHAPES), help="also profile shao_li and logistic on these shapes"
    )
    args = parser.parse_args(argv)
    if args.worker or args.profile_worker or args.generate or args.describe:
        shape = (args.worker or args.profile_worker or [args.generate or args.describe])[0]
        n_distinct = args.distinct or SHAPES[shape]["n_distinct"]
        if args.worker:
            _harness.report(worker(shape, args.worker[1], n_distinct))
        elif args.profile_worker:
            _harness.report(profile_worker(shape, args.profile_worker[1], n_distinct))
        elif args.generate:
            _harness.report(generate(shape, n_distinct))
        else:
            _harness.report(describe(shape, n_distinct))
        return
    document = _load_previous(args.results)
    document["machine"] = _harness.machine_info()
    document["goal"] = f"LogisticShapley().attribute at most {GOAL_RATIO:g}x MarkovChain().attribute (order 1)"
    shapes = document.setdefault("shapes", {})
    for shape in args.shapes:
        rounds = args.rounds or SHAPES[shape]["rounds"]
        n_distinct = args.distinct or SHAPES[shape]["n_distinct"]
        print(f"{shape}: {SHAPES[shape] | {'rounds': rounds, 'n_distinct': n_distinct}}", flush=True)
        shapes[shape] = run_shape(shape, rounds, n_distinct)
        shapes[shape]["measured"] = document["machine"]["date"]
    profiles = document.setdefault("profiles", {})
    for shape in args.profile or []:
        n_distinct = args.distinct or SHAPES[shape]["n_distinct"]
        ensure_data(shape, n_distinct)
        for name in ("shao_li", "logistic"):
            print(f"profiling {name} on {shape} ...", flush=True)
            profiles[f"{shape}/{name}"] = _harness.run_module(
                "benchmarks.bench_datadriven",
                ["--profile-worker", shape, name, "--distinct", str(n_distinct)],
                timeout=TIMEOUT_SECONDS,
            )
    _harness.write_json(args.results, document)
    print(f"\n{'shape':6} {'call':14} {'median s':>9} {'peak MiB':>9} {'incr MiB':>9} {'÷ Markov':>9}")
    for shape, entry in shapes.items():
        markov = entry["calls"]["markov_order1"]["median_seconds"]
        for name, call in entry["calls"].items():
            print(
                f"{shape:6} {name:14} {call['median_seconds']:9.3f} {call['median_peak_mib']:9.0f} "
                f"{call['median_increment_mib']:9.0f} {call['median_seconds'] / markov:9.2f}"
            )
        goal = entry["goal"]
        verdict = "met" if goal["met"] else "NOT met"
        print(f"{shape:6} logistic / Markov order 1 = {goal['ratio']:.2f} (goal <= {GOAL_RATIO:g}: {verdict})")
    for key, profile in profiles.items():
        print(f"\nprofile {key}: {profile['seconds_profiled']:.2f} s under cProfile; most own time:")
        for row in profile["by_own"][:8]:
            print(f"  {row['own_s']:8.3f} s  {row['calls']:6d} calls  {row['function']}")
    print(f"wrote {args.results}")


if __name__ == "__main__":
    main(sys.argv[1:])
