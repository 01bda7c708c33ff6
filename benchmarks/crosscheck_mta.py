"""Cross-check of ``ShaoLi(normalize="global")`` against the ``mta`` package's ``shao()``.

Usage (from the repository root, in the project's virtualenv)::

    python -m benchmarks.crosscheck_mta --peer-python /work/venv-peers/bin/python

The peers' virtualenv holds ``mta`` and ``channelattribution`` (never this project's)::

    python3 -m venv /work/venv-peers
    /work/venv-peers/bin/pip install mta==0.0.9 channelattribution matplotlib

(``ChannelAttribution`` imports matplotlib without declaring it.) The table is
ChannelAttribution's sample ``Data`` (10,000 paths over 12 channels: ``path``,
``total_conversions``, ``total_conversion_value``, ``total_null``), which the
``channelattribution`` wheel installs as ``cypack/data/Data.csv``; it is read in place from
the peers' virtualenv, never copied into this repository.

Each side runs in its own interpreter:

- theirs: ``MTA(data=table)`` with its defaults (synthetic exposure times, consecutive repeats
  removed — neither changes a path's set of channels), then ``shao(normalize=False)`` for the
  raw sums C_i = Σ conversions · c_i and ``shao()`` for its normalised shares C_i / Σ C
  (rounded by ``mta`` to 6 decimals; negative C_i would be kept);
- ours: ``Journeys.from_paths`` of the same table and ``ShaoLi(normalize="global")``, whose
  conversions are the attributable total shared in proportion to max(C_i, 0); the raw C_i are
  also summed from ``result.contributions`` (conversions × c_i per distinct set).

When every C_i ≥ 0 the normalised shares must agree (to mta's rounding, 5e-7), and the raw C_i
to floating-point precision. A small probe table where one C_i is negative shows the one
convention that differs (``mta`` keeps the negative share, ours gives that channel nothing and
shares the conversions among the others). Results: ``benchmarks/results/mta_crosscheck.json``.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from benchmarks import _harness

PEER_PYTHON = "/work/venv-peers/bin/python"
RESULTS = _harness.RESULTS_DIR / "mta_crosscheck.json"
ROUNDING = 5e-7  # mta rounds its normalised shares to 6 decimals
RAW_TOLERANCE = 1e-9  # relative, for the raw sums C_i
# a probe where one C_i is negative: B converts less with A than A alone (not part of the agreement check)
NEGATIVE_PROBE = {
    "path": ["A", "A > B", "B", "C", "A > C"],
    "total_conversions": [50, 1, 0, 10, 12],
    "total_conversion_value": [500.0, 10.0, 0.0, 100.0, 120.0],
    "total_null": [50, 99, 100, 90, 88],
}


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env.pop("VIRTUAL_ENV", None)
    env.pop("PYTHONPATH", None)
    return env


# ---------------------------------------------------------------------- workers
def worker_locate() -> dict[str, Any]:
    """In the peers' virtualenv: where ``channelattribution`` installed its sample ``Data``."""
    import importlib.resources
    from importlib.metadata import version

    path = Path(str(importlib.resources.files("cypack") / "data" / "Data.csv"))
    return {
        "path": str(path),
        "sha256": hashlib.sha256(path.read_bytes()).hexdigest(),
        "channelattribution": version("channelattribution"),
        "mta": version("mta"),
    }


def _read(path: str) -> Any:
    import pandas as pd

    return pd.read_csv(path, sep=";")


def worker_theirs(path: str) -> dict[str, Any]:
    import contextlib
    import io
    from importlib.metadata import version

    from mta import MTA  # type: ignore[import-not-found]  # the peers' virtualenv only

    table = _read(path)
    with contextlib.redirect_stdout(io.StringIO()):  # mta prints a timer line per step
        raw = dict(MTA(data=table).shao(normalize=False).attribution["shao"])
        normalised = dict(MTA(data=table).shao(normalize=True).attribution["shao"])
    return {
        "mta": version("mta"),
        "rows": len(table),
        "raw": {str(k): float(v) for k, v in sorted(raw.items())},
        "normalised": {str(k): float(v) for k, v in sorted(normalised.items())},
    }


def worker_ours(path: str) -> dict[str, Any]:
    import numpy as np

    from attribution import Journeys, ShaoLi
    from attribution.models.probabilistic import ShaoLiAttribution

    table = _read(path)
    journeys = Journeys.from_paths(
        table,
        path="path",
        conversions="total_conversions",
        nulls="total_null",
        value="total_conversion_value",
        sep=">",
    )
    result = ShaoLi(normalize="global").attribute(journeys)
    assert isinstance(result, ShaoLiAttribution)
    credits = result.credits["conversions"]
    contributions = result.contributions
    channels = [str(c) for c in journeys.channels]
    raw = {c: float(np.nansum(contributions["conversions"].to_numpy() * contributions[c].to_numpy())) for c in channels}
    total = float(credits.sum())
    return {
        "rows": journeys.n_rows,
        "journeys": float(journeys.n_journeys),
        "conversions": float(journeys.total_conversions),
        "credits": {str(c): float(v) for c, v in credits.items()},
        "shares": {str(c): float(v) / total for c, v in credits.items()},
        "raw": raw,
        "probabilities": {str(c): float(v) for c, v in result.probabilities.items()},
    }


# ---------------------------------------------------------------------- driver
def _max_diff(ours: dict[str, float], theirs: dict[str, float], *, relative: bool = False) -> tuple[float, str | None]:
    worst, where = 0.0, None
    for channel in sorted(set(ours) | set(theirs)):
        a, b = ours.get(channel, 0.0), theirs.get(channel, 0.0)
        diff = abs(a - b)
        if relative and diff:
            diff /= max(abs(a), abs(b))
        if diff > worst:
            worst, where = diff, channel
    return worst, where


def _both(path: str, peer_python: str) -> tuple[dict[str, Any], dict[str, Any]]:
    theirs = _harness.run_module(
        "benchmarks.crosscheck_mta", ["--worker", "theirs", path], python=peer_python, env=_env()
    )
    ours = _harness.run_module("benchmarks.crosscheck_mta", ["--worker", "ours", path])
    return ours, theirs


def compare(ours: dict[str, Any], theirs: dict[str, Any]) -> dict[str, Any]:
    """Both share vectors and raw sums side by side, their largest differences, and whether they agree."""
    # mta's normalisation is C_i / Σ C (negative C_i kept); recomputed from its raw sums at full precision
    raw_total = sum(theirs["raw"].values())
    theirs_shares = {c: v / raw_total for c, v in theirs["raw"].items()}
    share_diff, share_where = _max_diff(ours["shares"], theirs_shares)
    rounded_diff, _ = _max_diff(ours["shares"], theirs["normalised"])
    raw_diff, raw_where = _max_diff(ours["raw"], theirs["raw"])
    raw_rel, _ = _max_diff(ours["raw"], theirs["raw"], relative=True)
    negative = sorted(c for c, v in theirs["raw"].items() if v < 0)
    channels = {
        c: {
            "ours_share": ours["shares"].get(c),
            "mta_share": theirs_shares.get(c),
            "mta_share_rounded": theirs["normalised"].get(c),
            "ours_C": ours["raw"].get(c),
            "mta_C": theirs["raw"].get(c),
            "ours_credit": ours["credits"].get(c),
        }
        for c in sorted(set(ours["shares"]) | set(theirs_shares))
    }
    return {
        "channels": channels,
        "negative_C_in_mta": negative,
        "max_abs_diff_shares": share_diff,
        "worst_channel_shares": share_where,
        "max_abs_diff_shares_vs_mta_rounded": rounded_diff,
        "max_abs_diff_C": raw_diff,
        "max_rel_diff_C": raw_rel,
        "worst_channel_C": raw_where,
        "agree": bool(not negative and share_diff <= 1e-12 and rounded_diff <= ROUNDING and raw_rel <= RAW_TOLERANCE),
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.crosscheck_mta", description=__doc__.split("\n")[0])
    parser.add_argument("--worker", nargs="+", metavar="ARG", help=argparse.SUPPRESS)
    parser.add_argument("--peer-python", default=PEER_PYTHON, help="python of the peers' virtualenv (mta)")
    parser.add_argument("--results", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    if args.worker:
        side, *rest = args.worker
        workers: dict[str, Callable[..., dict[str, Any]]] = {
            "locate": worker_locate,
            "theirs": worker_theirs,
            "ours": worker_ours,
        }
        _harness.report(workers[side](*rest))
        return
    data = _harness.run_module("benchmarks.crosscheck_mta", ["--worker", "locate"], python=args.peer_python, env=_env())
    ours, theirs = _both(data["path"], args.peer_python)
    comparison = compare(ours, theirs)
    with tempfile.TemporaryDirectory() as folder:  # the probe table, outside the repository
        probe_path = Path(folder) / "probe.csv"
        probe_path.write_text(
            "path;total_conversions;total_conversion_value;total_null\n"
            + "".join(f"{p};{c};{v};{n}\n" for p, c, v, n in zip(*NEGATIVE_PROBE.values(), strict=True))
        )
        probe = compare(*_both(str(probe_path), args.peer_python))
    payload: dict[str, Any] = {
        "machine": _harness.machine_info(),
        "peer": {"python": args.peer_python, "mta": theirs["mta"], "channelattribution": data["channelattribution"]},
        "data": {
            "source": "channelattribution's sample Data (cypack/data/Data.csv in its wheel), read in place",
            "sha256": data["sha256"],
            "rows": ours["rows"],
            "journeys": ours["journeys"],
            "conversions": ours["conversions"],
        },
        "ours_call": 'ShaoLi(normalize="global").attribute(Journeys.from_paths(Data, ..., sep=">"))',
        "theirs_call": "MTA(data=Data).shao(normalize=False) and .shao(normalize=True)",
        **comparison,
        "negative_probe": {"table": NEGATIVE_PROBE, **probe},
    }
    _harness.write_json(args.results, payload)
    print(f"{'channel':8} {'ours share':>12} {'mta share':>12} {'ours C':>12} {'mta C':>12}")
    for channel, row in payload["channels"].items():
        print(
            f"{channel:8} {row['ours_share']:12.8f} {row['mta_share']:12.8f} {row['ours_C']:12.4f} {row['mta_C']:12.4f}"
        )
    print(
        f"max |Δ share| {payload['max_abs_diff_shares']:.3g} (vs mta's rounded shares "
        f"{payload['max_abs_diff_shares_vs_mta_rounded']:.3g}); max |Δ C| {payload['max_abs_diff_C']:.3g} "
        f"(relative {payload['max_rel_diff_C']:.3g}); negative C in mta: {payload['negative_C_in_mta'] or 'none'}; "
        f"agree: {payload['agree']}"
    )
    print("negative probe (C_B < 0):")
    for channel, row in probe["channels"].items():
        print(
            f"  {channel:6} ours share {row['ours_share']:9.6f}  mta share {row['mta_share']:9.6f}  C {row['mta_C']:9.5f}"
        )
    print(f"  max |Δ C| {probe['max_abs_diff_C']:.3g}: the sums agree; only the normalisation differs")
    print(f"wrote {args.results}")


if __name__ == "__main__":
    main(sys.argv[1:])
