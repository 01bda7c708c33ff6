"""Benchmark ``MarkovChain`` against ChannelAttribution's ``markov_model``, side by side.

Two shapes of aggregated path table (``path``, ``conversions``, ``nulls``, ``value``):

- ``10c``: about 10M journeys over 10 channels in 2M distinct paths
  (:func:`benchmarks.synthetic.synthetic_paths`, mean 5 journeys per path, up to 15 touches);
  orders 1 and 3.
- ``100c``: 200k distinct paths over 100 channels with 1 to 200 touches (mean about 20,
  :func:`long_paths`); orders 1 and 2.

Each run is a fresh interpreter: ours with this project's Python (``sys.executable``), reading
the Parquet file and building ``Journeys.from_paths`` before the clock starts; ChannelAttribution
with the peers' Python (``--peer-python``, default ``/work/peers-venv/bin/python``; that venv
has no pyarrow, so it reads a CSV copy of the same table). Only the model call is timed
(``time.perf_counter``); the peak RSS counter is reset just before it (``VmHWM``), so the
peak covers the call with its input resident. Contenders alternate within each round (the
order rotates) and the figures are medians of the rounds. Run from the repository root::

    python -m benchmarks.bench_markov                 # both shapes, 3 rounds -> results/markov.json
    python -m benchmarks.bench_markov --shapes 10c    # one shape; the other keeps its figures
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from benchmarks import _harness

PEER_PYTHON = "/work/peers-venv/bin/python"
TIMEOUT_SECONDS = 600.0  # a ChannelAttribution run past this is reported as a timeout
GOALS = {1: 8.0, 3: 5.0}  # ours at least this many times faster than ChannelAttribution, per order (10c)

SHAPES: dict[str, dict[str, Any]] = {
    "10c": {
        "description": "10 channels, 2M distinct paths (~10M journeys), 1-15 touches",
        "generator": "synthetic_paths",
        "n_distinct": 2_000_000,
        "n_channels": 10,
        "mean_length": 6.0,
        "max_length": 15,
        "mean_journeys": 5.0,
        "seed": 0,
        "orders": (1, 3),
    },
    "100c": {
        "description": "100 channels, 200k distinct paths, 1-200 touches",
        "generator": "long_paths",
        "n_distinct": 200_000,
        "n_channels": 100,
        "mean_length": 20.0,
        "max_length": 200,
        "mean_journeys": 20.0,
        "seed": 1,
        "orders": (1, 2),
    },
}


def contenders(shape: str) -> list[dict[str, Any]]:
    """Ours (default, and without collapsing repeats above order 1) and ChannelAttribution, per order.

    ChannelAttribution drops self-loops at order 1 (same chain as collapsing repeats) but keeps
    repeated channels in its windows above order 1 (states like ``"ch00 ch00 ch03"``), so
    ``collapse_repeats=False`` is our like-for-like chain there.
    """
    out: list[dict[str, Any]] = []
    for order in SHAPES[shape]["orders"]:
        out.append({"name": f"ours_order{order}", "lib": "ours", "order": order, "collapse": True})
        if order > 1:
            out.append({"name": f"ours_order{order}_no_collapse", "lib": "ours", "order": order, "collapse": False})
        out.append({"name": f"channelattribution_order{order}", "lib": "theirs", "order": order})
    return out


# ---------------------------------------------------------------------- data
def data_files(shape: str) -> tuple[Path, Path]:
    """Parquet (ours) and CSV (the peers' venv has no pyarrow) copies of one table."""
    spec = SHAPES[shape]
    stem = (
        f"markov_{shape}_{spec['n_distinct']}p_{spec['n_channels']}c_{spec['mean_length']:g}len_"
        f"{spec['max_length']}max_{spec['mean_journeys']:g}j_seed{spec['seed']}"
    )
    return _harness.DATA_DIR / f"{stem}.parquet", _harness.DATA_DIR / f"{stem}.csv"


def long_paths(
    n_distinct: int,
    n_channels: int = 100,
    mean_length: float = 20.0,
    seed: int = 1,
    *,
    max_length: int = 200,
    mean_journeys: float = 20.0,
    conversion_rate: float = 0.05,
    mean_revenue: float = 60.0,
    sep: str = " > ",
) -> Any:
    """Distinct long paths, same columns as :func:`benchmarks.synthetic.synthetic_paths`.

    ``synthetic_paths`` identifies a path by one int64 and so stops at about 9 touches over
    100 channels; here lengths are ``1 + Geometric`` with mean ``mean_length``, capped at
    ``max_length``, channels drawn with the same Zipf-like popularity, duplicates dropped.
    """
    import math

    import numpy as np
    import pandas as pd

    from benchmarks.synthetic import _channel_model, _join_paths, channel_labels

    rng = np.random.default_rng(seed)
    popularity, _ = _channel_model(rng, n_channels, 0.8, 0.0)
    labels = channel_labels(n_channels)
    kept = pd.Series([], dtype=pd.Series(["x"]).dtype)
    while len(kept) < n_distinct:
        batch = int((n_distinct - len(kept)) * 1.2) + 64
        lengths = np.minimum(rng.geometric(1.0 / mean_length, batch), max_length).astype(np.int64)
        offsets = np.zeros(batch + 1, dtype=np.int64)
        np.cumsum(lengths, out=offsets[1:])
        codes = rng.choice(n_channels, int(offsets[-1]), p=popularity).astype(np.int32)
        kept = pd.concat([kept, _join_paths(codes, offsets, labels, sep)], ignore_index=True).drop_duplicates()
    paths = kept.iloc[:n_distinct].reset_index(drop=True)
    journeys = rng.geometric(1.0 / mean_journeys, n_distinct).astype(np.int64)
    conversions = rng.binomial(journeys, conversion_rate).astype(np.int64)
    value = np.round(conversions * rng.lognormal(math.log(mean_revenue) - 0.08, 0.4, n_distinct), 2)
    return pd.DataFrame({"path": paths, "conversions": conversions, "nulls": journeys - conversions, "value": value})


def make_table(shape: str) -> Any:
    from benchmarks.synthetic import synthetic_paths

    spec = SHAPES[shape]
    generator = synthetic_paths if spec["generator"] == "synthetic_paths" else long_paths
    return generator(
        spec["n_distinct"],
        spec["n_channels"],
        spec["mean_length"],
        spec["seed"],
        max_length=spec["max_length"],
        mean_journeys=spec["mean_journeys"],
    )


def generate(shape: str) -> dict[str, Any]:
    """Write both copies of a shape's table (run in a subprocess: keeps the driver small)."""
    from benchmarks.synthetic import write_parquet

    parquet, csv = data_files(shape)
    table = make_table(shape)
    for path, write in ((parquet, write_parquet), (csv, lambda t, p: t.to_csv(p, index=False))):
        tmp = path.with_name(path.name + ".tmp")
        write(table, tmp)
        tmp.replace(path)
    lengths = table["path"].str.count(">") + 1
    return {
        "shape": shape,
        "rows": len(table),
        "journeys": int((table["conversions"] + table["nulls"]).sum()),
        "conversions": int(table["conversions"].sum()),
        "mean_touches": round(float(lengths.mean()), 3),
        "max_touches": int(lengths.max()),
    }


def ensure_data(shape: str, *, regenerate: bool = False) -> None:
    parquet, csv = data_files(shape)
    if regenerate or not (parquet.exists() and csv.exists()):
        print(f"generating {shape} ...", flush=True)
        print(f"  {_run(sys.executable, ['--generate', shape], timeout=3600)}", flush=True)


# ---------------------------------------------------------------------- workers
def _settle() -> float:
    import gc

    gc.collect()
    return _harness.rss_mib()


def worker_ours(shape: str, order: int, collapse: bool) -> dict[str, Any]:
    import pandas as pd

    parquet, _ = data_files(shape)
    table = pd.read_parquet(parquet)
    started = time.perf_counter()
    import scipy.sparse
    import scipy.sparse.linalg  # noqa: F401  (MarkovChain imports these on first use: not timed)

    from attribution import Journeys, MarkovChain

    import_seconds = time.perf_counter() - started
    started = time.perf_counter()
    journeys = Journeys.from_paths(table, path="path", conversions="conversions", nulls="nulls", value="value", sep=">")
    build_seconds = time.perf_counter() - started
    del table
    try:
        import pyarrow

        pyarrow.default_memory_pool().release_unused()  # the Parquet decoder's cache is not the model's
    except ImportError:  # pragma: no cover
        pass
    peak_load = _harness.peak_mib()
    rss_before = _settle()
    reset = _harness.reset_peak()
    started = time.perf_counter()
    result = MarkovChain(order=order, collapse_repeats=collapse).attribute(journeys)
    seconds = time.perf_counter() - started
    peak = _harness.peak_mib()
    effects = result.removal_effects
    return {
        "seconds": round(seconds, 4),
        "peak_mib": round(peak, 1),
        "rss_before_call_mib": round(rss_before, 1),
        "call_increment_mib": round(peak - rss_before, 1),
        "peak_load_mib": round(peak_load, 1),
        "peak_reset": reset,
        "from_paths_seconds": round(build_seconds, 4),
        "scipy_attribution_import_seconds": round(import_seconds, 4),
        "rows": journeys.n_rows,
        "journeys": int(journeys.n_journeys),
        "states": len(result.chain.state_labels()),
        "conversion_probability": result.conversion_probability,
        "removal_effects": {str(c): float(v) for c, v in effects["conversions"].items()},
        "credits": {str(c): float(v) for c, v in result.credits["conversions"].items()},
    }


def worker_theirs(shape: str, order: int) -> dict[str, Any]:
    import pandas as pd
    from ChannelAttribution import markov_model

    _, csv = data_files(shape)
    data = pd.read_csv(csv)
    peak_load = _harness.peak_mib()
    rss_before = _settle()
    reset = _harness.reset_peak()
    started = time.perf_counter()
    result = markov_model(
        data, "path", "conversions", var_value="value", var_null="nulls", order=order, sep=">", verbose=0
    )
    seconds = time.perf_counter() - started
    peak = _harness.peak_mib()
    return {
        "seconds": round(seconds, 4),
        "peak_mib": round(peak, 1),
        "rss_before_call_mib": round(rss_before, 1),
        "call_increment_mib": round(peak - rss_before, 1),
        "peak_load_mib": round(peak_load, 1),
        "peak_reset": reset,
        "rows": len(data),
        "credits": {str(c): float(v) for c, v in zip(result["channel_name"], result["total_conversions"], strict=True)},
    }


# ---------------------------------------------------------------------- driver
def _run(python: str, args: list[str], *, timeout: float, module: str = "benchmarks.bench_markov") -> dict[str, Any]:
    return _harness.run_module(module, args, timeout=timeout, python=python, env=_env(python))


def _env(python: str) -> dict[str, str]:
    env = dict(os.environ)
    env.pop("VIRTUAL_ENV", None)
    env.pop("PYTHONPATH", None)
    env["PATH"] = str(Path(python).parent) + os.pathsep + env.get("PATH", "")
    return env


def run_contender(contender: dict[str, Any], shape: str, peer_python: str) -> dict[str, Any]:
    args = ["--shape", shape, "--order", str(contender["order"])]
    if contender["lib"] == "ours":
        python = sys.executable
        args = ["--worker", "ours", *args] + ([] if contender["collapse"] else ["--no-collapse"])
    else:
        python = peer_python
        args = ["--worker", "theirs", *args]
    started = time.perf_counter()
    try:
        # the limit applies to the model call; loading a table takes well under a minute more
        return _run(python, args, timeout=TIMEOUT_SECONDS + 120)
    except subprocess.TimeoutExpired:
        return {"timeout": True, "limit_seconds": TIMEOUT_SECONDS, "wall_seconds": round(time.perf_counter() - started)}


def summarise(runs: list[dict[str, Any]]) -> dict[str, Any]:
    if any(r.get("timeout") for r in runs):
        return {"timeout": True, "limit_seconds": TIMEOUT_SECONDS, "runs": runs}
    fields = ["seconds", "peak_mib", "rss_before_call_mib", "call_increment_mib", "peak_load_mib"]
    fields += [f for f in ("from_paths_seconds", "scipy_attribution_import_seconds") if f in runs[0]]
    summary: dict[str, Any] = {f"median_{f}": round(_harness.median([r[f] for r in runs]), 4) for f in fields}
    for key in ("rows", "journeys", "states", "conversion_probability", "removal_effects", "credits"):
        if key in runs[0]:
            summary[key] = runs[0][key]
    summary["runs"] = [
        {k: v for k, v in r.items() if k not in ("removal_effects", "credits", "conversion_probability")} for r in runs
    ]
    return summary


def ratios(shape: str, results: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for order in SHAPES[shape]["orders"]:
        theirs = results.get(f"channelattribution_order{order}", {})
        for name in (f"ours_order{order}", f"ours_order{order}_no_collapse"):
            ours = results.get(name)
            if ours is None or theirs.get("timeout") or "median_seconds" not in theirs:
                continue
            speedup = theirs["median_seconds"] / ours["median_seconds"]
            entry: dict[str, Any] = {
                "speedup": round(speedup, 2),
                "peak_ratio_ours_to_theirs": round(ours["median_peak_mib"] / theirs["median_peak_mib"], 3),
                "peak_below_theirs": ours["median_peak_mib"] < theirs["median_peak_mib"],
            }
            if shape == "10c" and order in GOALS:
                entry["goal_speedup"] = GOALS[order]
                entry["goal_met"] = bool(speedup >= GOALS[order] and entry["peak_below_theirs"])
            out[name] = entry
    return out


def peer_version(peer_python: str) -> str | None:
    code = "from importlib.metadata import version; print(version('ChannelAttribution'))"
    done = subprocess.run([peer_python, "-c", code], capture_output=True, text=True, check=False, env=_env(peer_python))
    return done.stdout.strip() or None


def bench_shape(shape: str, rounds: int, peer_python: str) -> dict[str, Any]:
    everyone = contenders(shape)
    runs: dict[str, list[dict[str, Any]]] = {c["name"]: [] for c in everyone}
    for round_ in range(rounds):
        shift = round_ % len(everyone)
        for contender in everyone[shift:] + everyone[:shift]:  # rotate the order each round
            name = contender["name"]
            if runs[name] and runs[name][-1].get("timeout"):
                continue  # once over the limit, not again
            result = run_contender(contender, shape, peer_python)
            result["round"] = round_
            runs[name].append(result)
            shown = (
                "timeout" if result.get("timeout") else f"{result['seconds']:.2f} s, peak {result['peak_mib']:.0f} MiB"
            )
            print(f"  {shape} round {round_ + 1}: {name}: {shown}", flush=True)
    results = {name: summarise(r) for name, r in runs.items()}
    return {"description": SHAPES[shape]["description"], "spec": _spec(shape), "contenders": results}


def _spec(shape: str) -> dict[str, Any]:
    return {k: (list(v) if isinstance(v, tuple) else v) for k, v in SHAPES[shape].items() if k != "description"}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.bench_markov", description=__doc__.split("\n")[0])
    parser.add_argument("--shapes", nargs="*", default=list(SHAPES), choices=list(SHAPES))
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--peer-python", default=PEER_PYTHON)
    parser.add_argument("--regenerate", action="store_true")
    parser.add_argument("--results", default=str(_harness.RESULTS_DIR / "markov.json"))
    parser.add_argument("--generate", choices=list(SHAPES), help=argparse.SUPPRESS)
    parser.add_argument("--worker", choices=["ours", "theirs"], help=argparse.SUPPRESS)
    parser.add_argument("--shape", choices=list(SHAPES), help=argparse.SUPPRESS)
    parser.add_argument("--order", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--no-collapse", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.generate:
        _harness.report(generate(args.generate))
        return
    if args.worker == "ours":
        _harness.report(worker_ours(args.shape, args.order, not args.no_collapse))
        return
    if args.worker == "theirs":
        _harness.report(worker_theirs(args.shape, args.order))
        return

    path = Path(args.results)
    previous = json.loads(path.read_text()) if path.exists() else {}
    shapes: dict[str, Any] = previous.get("shapes", {})
    for shape in args.shapes:
        ensure_data(shape, regenerate=args.regenerate)
    for shape in args.shapes:  # shapes not run keep their last figures
        print(f"{shape}: {SHAPES[shape]['description']}", flush=True)
        shapes[shape] = bench_shape(shape, args.rounds, args.peer_python)
        shapes[shape]["ratios"] = ratios(shape, shapes[shape]["contenders"])
        print(f"  ratios: {json.dumps(shapes[shape]['ratios'])}", flush=True)
        machine = _harness.machine_info()
        machine["channelattribution"] = peer_version(args.peer_python)
        machine["peer_python"] = args.peer_python
        shapes[shape]["machine"] = machine
        _harness.write_json(path, {"machine": machine, "rounds": args.rounds, "shapes": shapes})
    print(f"wrote {path}", flush=True)


if __name__ == "__main__":
    main()
