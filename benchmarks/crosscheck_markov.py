"""Cross-check of Markov removal effects against ChannelAttribution's simulated ``markov_model``.

Usage (from the repository root, in the project's virtualenv)::

    python -m benchmarks.crosscheck_markov --peer-python /work/peers-venv/bin/python

Ours is exact (absorbing-chain algebra); ChannelAttribution estimates removal effects by
simulating walks of the fitted chain. For each case, order 1, its removal effects are
compared with ours under three settings:

- ``default``: its defaults (``nsim_start=1e5``, ``max_step`` = the longest path in the data);
- ``20M``: ``nsim_start=2e7`` simulations, ``max_step`` still the default;
- ``20M_unbounded``: ``nsim_start=2e7`` and ``max_step=10_000``, so walks that loop are not
  cut short (a cut walk counts as not converting, which biases removal effects).

Cases: ``spec`` (SPEC.md §8, exact removal effects 8/15, 1/3, 1), ``loops`` (paths that revisit
channels, so the chain's walks can be longer than any path in the data) and ``10c`` (the 2M-row
table of ``benchmarks/bench_markov.py``). Results: ``benchmarks/results/crosscheck_markov.json``.
"""

from __future__ import annotations

import argparse
import time
from typing import Any

from benchmarks import _harness
from benchmarks.bench_markov import PEER_PYTHON, _run, data_files, ensure_data, peer_version

SETTINGS: dict[str, dict[str, Any]] = {
    "default": {},
    "20M": {"nsim_start": 2e7},
    "20M_unbounded": {"nsim_start": 2e7, "max_step": 10_000},
}
INLINE: dict[str, dict[str, list[Any]]] = {
    "spec": {
        "path": ["A > B > C", "A > C", "B", "C", "A > B"],
        "conversions": [2, 1, 0, 1, 0],
        "nulls": [0, 1, 2, 1, 1],
        "value": [200.0, 50.0, 0.0, 30.0, 0.0],
    },
    "loops": {
        "path": ["A > B > A > B > C", "B > A > C", "C > A > B > C > A", "A", "B > C > B"],
        "conversions": [3, 1, 0, 1, 2],
        "nulls": [1, 1, 4, 3, 1],
        "value": [300.0, 80.0, 0.0, 40.0, 150.0],
    },
}
CASES = ("spec", "loops", "10c")


def _table(case: str, *, csv: bool) -> Any:
    import pandas as pd

    if case in INLINE:
        return pd.DataFrame(INLINE[case])
    parquet, csv_file = data_files(case)
    return pd.read_csv(csv_file) if csv else pd.read_parquet(parquet)


def worker_theirs(case: str, setting: str) -> dict[str, Any]:
    from ChannelAttribution import markov_model

    table = _table(case, csv=True)
    started = time.perf_counter()
    out = markov_model(
        table,
        "path",
        "conversions",
        var_value="value",
        var_null="nulls",
        order=1,
        sep=">",
        out_more=True,
        verbose=False,
        flg_pro=False,
        **SETTINGS[setting],
    )
    seconds = time.perf_counter() - started
    effects = out["removal_effects"]
    return {
        "seconds": round(seconds, 3),
        "removal_effects": {
            str(c): float(v)
            for c, v in zip(effects["channel_name"], effects["removal_effects_conversion"], strict=True)
        },
    }


def ours(case: str) -> dict[str, float]:
    from attribution import Journeys, MarkovChain

    journeys = Journeys.from_paths(
        _table(case, csv=False), path="path", conversions="conversions", nulls="nulls", value="value", sep=">"
    )
    effects = MarkovChain(order=1).attribute(journeys).removal_effects["conversions"]
    return {str(c): float(v) for c, v in effects.items()}


def deviation(exact: dict[str, float], simulated: dict[str, float]) -> dict[str, Any]:
    """Largest absolute and relative deviation of the simulated removal effects from the exact ones."""
    worst_abs, worst_rel, where = 0.0, 0.0, None
    for channel, value in exact.items():
        diff = abs(simulated.get(channel, 0.0) - value)
        rel = diff / value if value else (0.0 if diff == 0 else float("inf"))
        worst_abs = max(worst_abs, diff)
        if rel > worst_rel:
            worst_rel, where = rel, channel
    signed = [simulated.get(c, 0.0) - v for c, v in exact.items()]
    return {
        "max_abs_deviation": worst_abs,
        "max_rel_deviation": worst_rel,
        "worst_channel": where,
        "mean_signed_deviation": sum(signed) / len(signed) if signed else 0.0,
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.crosscheck_markov", description=__doc__.split("\n")[0])
    parser.add_argument("--peer-python", default=PEER_PYTHON)
    parser.add_argument("--cases", nargs="*", default=list(CASES), choices=list(CASES))
    parser.add_argument("--worker", choices=["theirs"], help=argparse.SUPPRESS)
    parser.add_argument("--case", choices=list(CASES), help=argparse.SUPPRESS)
    parser.add_argument("--setting", choices=list(SETTINGS), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        _harness.report(worker_theirs(args.case, args.setting))
        return
    report: dict[str, Any] = {}
    for case in args.cases:
        if case not in INLINE:
            ensure_data(case)
        exact = ours(case)
        report[case] = {"ours_exact": exact, "channelattribution": {}}
        for setting in SETTINGS:
            theirs = _run(
                args.peer_python,
                ["--worker", "theirs", "--case", case, "--setting", setting],
                timeout=3600,
                module="benchmarks.crosscheck_markov",
            )
            entry = {**theirs, **deviation(exact, theirs["removal_effects"]), "settings": SETTINGS[setting]}
            report[case]["channelattribution"][setting] = entry
            print(
                f"{case} {setting}: max relative deviation {entry['max_rel_deviation']:.4%} "
                f"({entry['worst_channel']}), {entry['seconds']} s",
                flush=True,
            )
    machine = _harness.machine_info()
    machine["channelattribution"] = peer_version(args.peer_python)
    path = _harness.write_json(
        _harness.RESULTS_DIR / "crosscheck_markov.json", {"machine": machine, "settings": SETTINGS, "cases": report}
    )
    print(f"wrote {path}", flush=True)


if __name__ == "__main__":
    main()
