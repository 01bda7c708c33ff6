"""Side by side with ChannelAttribution (C++): rule-based models, Markov chains, and a cross-check.

ChannelAttribution runs from its own virtualenv (never installed next to this project)::

    python3 -m venv /work/peers-venv && /work/peers-venv/bin/pip install channelattribution matplotlib
    python -m benchmarks.bench_peers --peer-python /work/peers-venv/bin/python

Every task runs in a fresh interpreter that loads the same Parquet path table (10M
journeys, about 2M distinct paths, 10 channels), then times only the model call and
reports its peak RSS. Results: ``benchmarks/results/peers.json``.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from benchmarks import _harness

DATA = _harness.DATA_DIR / "paths_2m_10c_10mj.parquet"
OURS_TASKS = ("build", "rules", "markov1", "markov3")
PEER_TASKS = ("heuristics", "markov1", "markov3")

SPEC_TABLE = {
    "path": ["A > B > C", "A > C", "B", "C", "A > B"],
    "conv": [2, 1, 0, 1, 0],
    "null": [0, 1, 2, 1, 1],
    "value": [200.0, 50.0, 0.0, 30.0, 0.0],
}


def _ensure_data() -> Path:
    if not DATA.exists():
        from benchmarks.synthetic import synthetic_paths, write_parquet

        table = synthetic_paths(2_000_000, n_channels=10, mean_length=4.0, seed=0, max_length=12, mean_journeys=5.0)
        write_parquet(table, DATA)
    return DATA


def _ours(task: str) -> dict[str, Any]:
    import pandas as pd
    import scipy.sparse.linalg  # noqa: F401 - imported before timing, as ChannelAttribution's module is

    from attribution import (
        FirstTouch,
        Journeys,
        LastNonDirect,
        LastTouch,
        Linear,
        MarkovChain,
        PositionBased,
        TimeDecay,
    )

    table = pd.read_parquet(DATA)
    _harness.reset_peak()
    start = time.perf_counter()
    journeys = Journeys.from_paths(table, path="path", conversions="conversions", nulls="nulls", value="value")
    build = time.perf_counter() - start
    if task == "build":
        return {
            "seconds": build,
            "peak_mib": _harness.peak_mib(),
            "rows": journeys.n_rows,
            "journeys": journeys.n_journeys,
        }
    _harness.reset_peak()
    start = time.perf_counter()
    if task == "rules":
        models = [
            FirstTouch(),
            LastTouch(),
            LastNonDirect(),
            Linear(),
            PositionBased.u_shaped(),
            TimeDecay(half_life=2, by="position"),
        ]
        credits = {m.name: m.attribute(journeys).credits["conversions"].to_dict() for m in models}
    else:
        result = MarkovChain(order=1 if task == "markov1" else 3).attribute(journeys)
        credits = {"removal_effects": result.removal_effects["conversions"].to_dict()}
    return {"seconds": time.perf_counter() - start, "peak_mib": _harness.peak_mib(), "credits": credits}


def _peer(task: str, table: Any = None) -> dict[str, Any]:
    import pandas as pd
    from ChannelAttribution import heuristic_models, markov_model

    if table is None:
        table = pd.read_parquet(DATA).rename(columns={"conversions": "conv", "nulls": "null"})
    _harness.reset_peak()
    start = time.perf_counter()
    if task == "heuristics":
        out = heuristic_models(table, "path", "conv", var_value="value", sep=">", flg_pro=False)
        credits = {c: dict(zip(out["channel_name"], out[c], strict=True)) for c in out.columns if c != "channel_name"}
    else:
        out = markov_model(
            table,
            "path",
            "conv",
            var_value="value",
            var_null="null",
            order=1 if task == "markov1" else 3,
            sep=">",
            out_more=True,
            verbose=False,
            flg_pro=False,
        )
        effects = out["removal_effects"]
        credits = {
            "removal_effects": dict(zip(effects["channel_name"], effects.iloc[:, 1], strict=True)),
            "conversions": dict(zip(out["result"]["channel_name"], out["result"].iloc[:, 1], strict=True)),
        }
    return {"seconds": time.perf_counter() - start, "peak_mib": _harness.peak_mib(), "credits": credits}


def _run(python: str, side: str, task: str) -> dict[str, Any]:
    command = [python, "-m", "benchmarks.bench_peers", "--worker", side, task]
    done = subprocess.run(command, cwd=_harness.REPO, capture_output=True, text=True, timeout=3600, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed:\n{done.stderr[-3000:]}")
    line = next(x for x in reversed(done.stdout.splitlines()) if x.startswith(_harness.RESULT_MARK))
    result: dict[str, Any] = json.loads(line[len(_harness.RESULT_MARK) :])
    return result


def _max_relative_difference(ours: dict[str, float], theirs: dict[str, float]) -> float:
    return max(abs(ours[c] - theirs[c]) / max(abs(ours[c]), 1e-300) for c in ours)


def _crosscheck(peer_python: str) -> dict[str, Any]:
    """The worked example of SPEC.md §7: exact values against ChannelAttribution's."""
    code = (
        "import json, pandas as pd; from benchmarks.bench_peers import _peer, SPEC_TABLE; "
        "t = pd.DataFrame(SPEC_TABLE); "
        "print(json.dumps({k: _peer(k, t)['credits'] for k in ('heuristics', 'markov1')}))"
    )
    done = subprocess.run([peer_python, "-c", code], cwd=_harness.REPO, capture_output=True, text=True, check=True)
    theirs = json.loads(done.stdout.strip().splitlines()[-1])
    exact = {
        "first_touch": {"A": 3.0, "B": 0.0, "C": 1.0},
        "last_touch": {"A": 0.0, "B": 0.0, "C": 4.0},
        "linear_touch": {"A": 7 / 6, "B": 2 / 3, "C": 13 / 6},
        "markov_removal_effects": {"A": 8 / 15, "B": 1 / 3, "C": 1.0},
        "markov_conversions": {"A": 8 / 7, "B": 5 / 7, "C": 15 / 7},
    }
    heuristics = theirs["heuristics"]
    report = {
        name: {
            "ours_exact": exact[name],
            "theirs": heuristics[f"{name}_conversions"],
            "max_relative_difference": _max_relative_difference(exact[name], heuristics[f"{name}_conversions"]),
        }
        for name in ("first_touch", "last_touch", "linear_touch")
    }
    for name, key in (("markov_removal_effects", "removal_effects"), ("markov_conversions", "conversions")):
        report[name] = {
            "ours_exact": exact[name],
            "theirs": theirs["markov1"][key],
            "max_relative_difference": _max_relative_difference(exact[name], theirs["markov1"][key]),
        }
    return report


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--worker", nargs=2, metavar=("SIDE", "TASK"))
    parser.add_argument("--peer-python", default="/work/peers-venv/bin/python")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args(argv)
    if args.worker:
        side, task = args.worker
        _harness.report(_ours(task) if side == "ours" else _peer(task))
        return
    _ensure_data()
    runs: dict[str, list[dict[str, Any]]] = {}
    pairs = [("ours", t) for t in OURS_TASKS] + [("peer", t) for t in PEER_TASKS]
    for round_number in range(args.rounds):
        for side, task in pairs[round_number % len(pairs) :] + pairs[: round_number % len(pairs)]:
            python = sys.executable if side == "ours" else args.peer_python
            result = _run(python, side, task)
            runs.setdefault(f"{side}:{task}", []).append(result)
            print(
                f"round {round_number + 1} {side:4} {task:10} {result['seconds']:8.3f} s  "
                f"peak {result['peak_mib']:8.1f} MiB",
                flush=True,
            )
    summary = {
        key: {
            "median_seconds": _harness.median([r["seconds"] for r in rs]),
            "median_peak_mib": _harness.median([r["peak_mib"] for r in rs]),
            "seconds": [r["seconds"] for r in rs],
        }
        for key, rs in runs.items()
    }
    last = {key: rs[-1].get("credits") for key, rs in runs.items()}
    ratios = {
        "rules_ours_over_heuristics": summary["ours:rules"]["median_seconds"]
        / summary["peer:heuristics"]["median_seconds"],
        "markov1_ours_over_theirs": summary["ours:markov1"]["median_seconds"]
        / summary["peer:markov1"]["median_seconds"],
        "markov3_ours_over_theirs": summary["ours:markov3"]["median_seconds"]
        / summary["peer:markov3"]["median_seconds"],
    }
    deviation = {
        f"markov{k}_removal_effect_max_relative_deviation_of_theirs": _max_relative_difference(
            last[f"ours:markov{k}"]["removal_effects"], last[f"peer:markov{k}"]["removal_effects"]
        )
        for k in (1, 3)
    }
    payload = {
        "machine": _harness.machine_info(),
        "data": str(DATA.name),
        "summary": summary,
        "ratios": ratios,
        "deviation_at_their_defaults": deviation,
        "crosscheck_spec_example": _crosscheck(args.peer_python),
        "credits_last_round": last,
    }
    _harness.write_json(_harness.RESULTS_DIR / "peers.json", payload)
    print(json.dumps({"ratios": ratios, **deviation}, indent=2))


if __name__ == "__main__":
    main()
