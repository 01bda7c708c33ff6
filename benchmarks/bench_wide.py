"""100 channels, paths up to 200 touches: ours and ChannelAttribution side by side (one round).

    python -m benchmarks.bench_wide --peer-python /work/peers-venv/bin/python

Writes ``benchmarks/results/wide.json``. Paths are uniform random over 100 channels with
lengths uniform in 1..200, 100k distinct rows; each task is a fresh process timing only
the call.
"""

from __future__ import annotations

import argparse
import itertools
import json
import subprocess
import sys
import time
from typing import Any

import numpy as np

from benchmarks import _harness

DATA = _harness.DATA_DIR / "paths_wide_100c_200len.parquet"


def _make() -> None:
    import pandas as pd

    rng = np.random.default_rng(0)
    n = 100_000
    lengths = rng.integers(1, 201, n)
    codes = rng.integers(0, 100, int(lengths.sum()))
    labels = np.array([f"ch{i:03d}" for i in range(100)], dtype=object)[codes]
    bounds = np.concatenate([[0], np.cumsum(lengths)])
    paths = [" > ".join(labels[a:b]) for a, b in itertools.pairwise(bounds)]
    journeys = rng.poisson(5, n) + 1
    conv = rng.binomial(journeys, 0.05)
    pd.DataFrame({"path": paths, "conv": conv, "null": journeys - conv, "value": conv * 60.0}).to_parquet(DATA)


def _worker(side: str, task: str) -> dict[str, Any]:
    import pandas as pd

    table = pd.read_parquet(DATA)
    if side == "ours":
        import scipy.sparse.linalg  # noqa: F401 - imported before timing, like the peer's module

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

        journeys = Journeys.from_paths(table, path="path", conversions="conv", nulls="null", value="value")
        start = time.perf_counter()
        if task == "rules":
            for m in (
                FirstTouch(),
                LastTouch(),
                LastNonDirect(),
                Linear(),
                PositionBased.u_shaped(),
                TimeDecay(2, by="position"),
            ):
                m.attribute(journeys)
        else:
            MarkovChain(order=int(task[-1])).attribute(journeys)
    else:
        from ChannelAttribution import heuristic_models, markov_model

        start = time.perf_counter()
        if task == "rules":
            heuristic_models(table, "path", "conv", var_value="value", sep=">", flg_pro=False)
        else:
            markov_model(
                table,
                "path",
                "conv",
                var_value="value",
                var_null="null",
                order=int(task[-1]),
                sep=">",
                verbose=False,
                flg_pro=False,
            )
    return {"seconds": time.perf_counter() - start, "peak_mib": _harness.peak_mib()}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--worker", nargs=2)
    parser.add_argument("--peer-python", default="/work/peers-venv/bin/python")
    args = parser.parse_args(argv)
    if args.worker:
        _harness.report(_worker(*args.worker))
        return
    if not DATA.exists():
        _make()
    results: dict[str, Any] = {}
    for side, python in (("ours", sys.executable), ("peer", args.peer_python)):
        for task in ("rules", "markov1", "markov2"):
            command = [python, "-m", "benchmarks.bench_wide", "--worker", side, task]
            try:
                done = subprocess.run(
                    command, cwd=_harness.REPO, capture_output=True, text=True, timeout=600, check=True
                )
                line = next(x for x in reversed(done.stdout.splitlines()) if x.startswith(_harness.RESULT_MARK))
                results[f"{side}:{task}"] = json.loads(line[len(_harness.RESULT_MARK) :])
            except subprocess.TimeoutExpired:
                results[f"{side}:{task}"] = {"timeout_seconds": 600}
            print(side, task, results[f"{side}:{task}"], flush=True)
    _harness.write_json(_harness.RESULTS_DIR / "wide.json", {"machine": _harness.machine_info(), "results": results})


if __name__ == "__main__":
    main()
