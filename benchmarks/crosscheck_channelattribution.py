"""Cross-check of first touch, last touch and linear against ChannelAttribution's ``heuristic_models``.

Usage (from the repository root, in the project's virtualenv)::

    python -m benchmarks.crosscheck_channelattribution --peer-python /work/peers-venv/bin/python

Each side runs in its own interpreter and virtualenv on the same table: ours builds
``Journeys.from_paths`` and runs ``FirstTouch``, ``LastTouch`` and ``Linear``; theirs calls
``heuristic_models(table, "path", "conversions", var_value="value", sep=">")``. For every
model the report gives, over channels, the largest absolute difference of conversions and of
value and the largest relative one (``|ours - theirs| / max(|ours|, |theirs|)``); the two must
agree to a relative 1e-9. Cases:

- ``hand``: the small example (``"A > B > C"`` 2 conversions, value 200; ``"A > C"`` 1 conversion,
  1 null, value 50; ``"B"`` 2 nulls; ``"C"`` 1 conversion, 1 null, value 30; ``"A > B"`` 1 null),
  also checked against the values worked out by hand;
- ``repeats``: paths that repeat channels (``"A > A > B"``, ``"B > A > A > A"``, ``"C > C"``), also
  against hand values: both libraries give each touch 1/L, so a repeated channel collects
  one share per touch;
- ``10c`` and ``100c``: the two tables of ``benchmarks/bench_rules.py`` (2.0M and 199k rows).

A convention probe (not part of the agreement check) feeds fractional conversion counts,
which ChannelAttribution's C++ core takes as ``unsigned long``. Results:
``benchmarks/results/crosscheck_channelattribution.json``.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from benchmarks import _harness
from benchmarks.bench_rules import PEER_PYTHON, data_path, ensure_data, peer_versions, run_worker

TOLERANCE = 1e-9
MODELS = {"first": "first_touch", "last": "last_touch", "linear": "linear_touch"}

INLINE: dict[str, dict[str, list[Any]]] = {
    "hand": {
        "path": ["A > B > C", "A > C", "B", "C", "A > B"],
        "conversions": [2, 1, 0, 1, 0],
        "nulls": [0, 1, 2, 1, 1],
        "value": [200.0, 50.0, 0.0, 30.0, 0.0],
    },
    "repeats": {
        "path": ["A > A > B", "B > A > A > A", "C > C"],
        "conversions": [1, 2, 1],
        "nulls": [0, 0, 3],
        "value": [10.0, 30.0, 7.5],
    },
    "fractional_conversions": {
        "path": ["A > B", "B", "A"],
        "conversions": [1.5, 0.7, 2.0],
        "nulls": [0.5, 0.3, 0.0],
        "value": [10.0, 5.0, 4.0],
    },
}
# conversions, value per channel, worked out by hand
EXACT: dict[str, dict[str, dict[str, tuple[float, float]]]] = {
    "hand": {
        "first": {"A": (3.0, 250.0), "B": (0.0, 0.0), "C": (1.0, 30.0)},
        "last": {"A": (0.0, 0.0), "B": (0.0, 0.0), "C": (4.0, 280.0)},
        "linear": {"A": (7 / 6, 200 / 3 + 25), "B": (2 / 3, 200 / 3), "C": (13 / 6, 200 / 3 + 25 + 30)},
    },
    "repeats": {
        "first": {"A": (1.0, 10.0), "B": (2.0, 30.0), "C": (1.0, 7.5)},
        "last": {"A": (2.0, 30.0), "B": (1.0, 10.0), "C": (1.0, 7.5)},
        "linear": {"A": (2 / 3 + 3 / 2, 20 / 3 + 22.5), "B": (1 / 3 + 1 / 2, 10 / 3 + 7.5), "C": (1.0, 7.5)},
    },
    "fractional_conversions": {
        "first": {"A": (3.5, 14.0), "B": (0.7, 5.0)},
        "last": {"A": (2.0, 4.0), "B": (2.2, 15.0)},
        "linear": {"A": (2.75, 9.0), "B": (1.45, 10.0)},
    },
}
CASES = ("hand", "repeats", "10c", "100c")
PROBES = ("fractional_conversions",)


def _table(case: str) -> Any:
    import pandas as pd

    return pd.DataFrame(INLINE[case]) if case in INLINE else pd.read_parquet(data_path(case))


def _ours(case: str) -> dict[str, Any]:
    from attribution import FirstTouch, Journeys, LastTouch, Linear

    journeys = Journeys.from_paths(
        _table(case), path="path", conversions="conversions", nulls="nulls", value="value", sep=">"
    )
    credits: dict[str, Any] = {}
    for key, model in (("first", FirstTouch()), ("last", LastTouch()), ("linear", Linear())):
        frame = model.attribute(journeys).credits
        credits[key] = {
            str(channel): [float(conversions), float(value)]
            for channel, conversions, value in zip(frame.index, frame["conversions"], frame["value"], strict=True)
        }
    return {"credits": credits}


def _peer(case: str) -> dict[str, Any]:
    from ChannelAttribution import heuristic_models

    out = heuristic_models(_table(case), "path", "conversions", var_value="value", sep=">", flg_pro=False)
    credits = {
        key: {
            str(channel): [float(conversions), float(value)]
            for channel, conversions, value in zip(
                out["channel_name"], out[f"{prefix}_conversions"], out[f"{prefix}_value"], strict=True
            )
        }
        for key, prefix in MODELS.items()
    }
    return {"credits": credits}


def compare(ours: dict[str, list[float]], theirs: dict[str, list[float]]) -> dict[str, Any]:
    """Largest absolute and relative differences over channels (a missing channel counts as 0)."""
    channels = sorted(set(ours) | set(theirs))
    out: dict[str, Any] = {
        "channels_only_ours": sorted(set(ours) - set(theirs)),
        "channels_only_theirs": sorted(set(theirs) - set(ours)),
    }
    for index, metric in enumerate(("conversions", "value")):
        worst_abs, worst_rel, where = 0.0, 0.0, None
        for channel in channels:
            a = ours.get(channel, [0.0, 0.0])[index]
            b = theirs.get(channel, [0.0, 0.0])[index]
            diff = abs(a - b)
            rel = diff / max(abs(a), abs(b)) if diff else 0.0
            if diff > worst_abs:
                worst_abs = diff
            if rel > worst_rel:
                worst_rel, where = rel, channel
        out[f"max_abs_diff_{metric}"] = worst_abs
        out[f"max_rel_diff_{metric}"] = worst_rel
        out[f"worst_channel_{metric}"] = where
    out["agree"] = (
        not out["channels_only_ours"]
        and not out["channels_only_theirs"]
        and out["max_rel_diff_conversions"] <= TOLERANCE
        and out["max_rel_diff_value"] <= TOLERANCE
    )
    return out


def check_case(case: str, peer_python: str) -> dict[str, Any]:
    ours = run_worker(sys.executable, "benchmarks.crosscheck_channelattribution", ["--worker", "ours", case])
    theirs = run_worker(peer_python, "benchmarks.crosscheck_channelattribution", ["--worker", "peer", case])
    entry: dict[str, Any] = {"models": {}}
    for model in MODELS:
        result = compare(ours["credits"][model], theirs["credits"][model])
        if case in EXACT:
            exact = {c: list(v) for c, v in EXACT[case][model].items()}
            result["ours_vs_exact"] = compare(ours["credits"][model], exact)
            result["theirs_vs_exact"] = compare(theirs["credits"][model], exact)
        if case in INLINE or len(ours["credits"][model]) <= 10:
            result["ours"] = ours["credits"][model]
            result["theirs"] = theirs["credits"][model]
        entry["models"][model] = result
    entry["agree"] = all(m["agree"] for m in entry["models"].values())
    return entry


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.crosscheck_channelattribution", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--worker", nargs=2, metavar=("SIDE", "CASE"), help=argparse.SUPPRESS)
    parser.add_argument("--peer-python", default=PEER_PYTHON, help="python of the peers' virtualenv")
    parser.add_argument("--cases", nargs="+", default=list(CASES), choices=list(CASES))
    parser.add_argument("--results", type=Path, default=_harness.RESULTS_DIR / "crosscheck_channelattribution.json")
    args = parser.parse_args(argv)
    if args.worker:
        side, case = args.worker
        _harness.report(_ours(case) if side == "ours" else _peer(case))
        return
    payload: dict[str, Any] = {
        "machine": _harness.machine_info(),
        "peer": {"python": args.peer_python, **peer_versions(args.peer_python)},
        "tolerance_relative": TOLERANCE,
        "cases": {},
        "convention_probes": {},
    }
    for case in args.cases:
        if case not in INLINE:
            ensure_data(case)
        payload["cases"][case] = check_case(case, args.peer_python)
    for probe in PROBES:
        payload["convention_probes"][probe] = {
            "table": INLINE[probe],
            **check_case(probe, args.peer_python),
        }
    payload["all_cases_agree"] = all(c["agree"] for c in payload["cases"].values())
    _harness.write_json(args.results, payload)
    print(
        f"{'case':24} {'model':7} {'max |Δ| conv':>13} {'max |Δ| value':>14} {'max rel conv':>13} {'max rel value':>14}"
    )
    for group in ("cases", "convention_probes"):
        for case, entry in payload[group].items():
            for model, r in entry["models"].items():
                print(
                    f"{case:24} {model:7} {r['max_abs_diff_conversions']:13.3g} {r['max_abs_diff_value']:14.3g} "
                    f"{r['max_rel_diff_conversions']:13.3g} {r['max_rel_diff_value']:14.3g}"
                    f"  {'agree' if r['agree'] else 'DIFFER'}"
                )
    print(f"all cases agree to a relative {TOLERANCE:g}: {payload['all_cases_agree']}")


if __name__ == "__main__":
    main()
