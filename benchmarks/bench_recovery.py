"""Which model recovers the simulator's truth: every default model on every named scenario, 5 seeds.

Usage (from the repository root)::

    python -m benchmarks.bench_recovery               # -> results/recovery.json, about 1.5 minutes
    python -m benchmarks.bench_recovery --users 50000 --seeds 3   # a quicker look

For each scenario of :data:`attribution.evaluate.SCENARIOS` (default, harvesting, organic,
synergy) and each of 5 seeds, :func:`attribution.evaluate.recovery_benchmark` simulates
500,000 users, builds their journeys, runs compare's default models and scores each
model's shares against the incremental and the Shapley truth; errors are averaged over
the seeds (with their standard deviation). The whole call is timed with ``time.perf_counter``.

To explain the table, the script also records each world as seed 0 draws it: the
purchases, how many happen with every channel off, and per channel the true shares next
to the last-touch shares (the harvest shows there). This part is not timed.
"""

from __future__ import annotations

import argparse
import json
import time
from typing import Any

from benchmarks import _harness

USERS = 500_000
SEEDS = 5
COLUMNS = {"user": "user", "time": "time", "channel": "channel", "conversion": "converted", "value": "value"}


def _rounded(value: Any) -> Any:
    return None if value != value else round(float(value), 6)  # NaN (one seed) as null


def worlds(users: int) -> dict[str, Any]:
    """Each scenario at seed 0: purchases, organic demand, and true against last-touch shares per channel."""
    from attribution import Journeys, LastTouch
    from attribution.evaluate import SCENARIOS

    found: dict[str, Any] = {}
    for name, scenario in SCENARIOS.items():
        sim = scenario.simulate(users, seed=0)
        last = LastTouch().attribute(Journeys.from_events(sim.events, **COLUMNS)).credits["share"]
        found[name] = {
            "summary": scenario.summary,
            "conversions": sim.conversions,
            "conversions_without_channels": sim.conversions_without_channels,
            "channels": {
                channel: {
                    "incremental_share": _rounded(row["incremental_share"]),
                    "shapley_share": _rounded(row["shapley_share"]),
                    "last_touch_share": _rounded(last.get(channel, 0.0)),
                }
                for channel, row in sim.truth.iterrows()
            },
        }
    return found


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.bench_recovery", description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=USERS, help=f"users per simulation (default {USERS:,})")
    parser.add_argument("--seeds", type=int, default=SEEDS, help=f"seeds 0, 1, ... (default {SEEDS})")
    args = parser.parse_args(argv)
    from attribution.evaluate import recovery_benchmark

    seeds = tuple(range(args.seeds))
    started = time.perf_counter()
    table = recovery_benchmark(seeds=seeds, n_users=args.users)
    seconds = time.perf_counter() - started
    models = list(dict.fromkeys(table.index.get_level_values("model")))
    scenarios = list(dict.fromkeys(table.index.get_level_values("scenario")))
    winners: dict[str, Any] = {}
    for scenario in scenarios:
        rows = table.xs(scenario, level="scenario")
        winners[scenario] = {}
        for truth in ("incremental", "shapley"):
            ranked = rows[f"mean_abs_error_{truth}"].sort_values(kind="stable")
            winners[scenario][truth] = [
                {"model": model, "mean_abs_error": _rounded(error)} for model, error in ranked.head(3).items()
            ]
    for truth in ("shapley", "incremental"):
        print(f"mean absolute error of the shares against the {truth} truth ({len(seeds)} seeds, {args.users:,} users)")
        print(table[f"mean_abs_error_{truth}"].unstack("scenario").reindex(models)[scenarios].round(3).to_string())
    print(f"recovery_benchmark: {seconds:.1f} s")
    document = {
        "machine": _harness.machine_info(),
        "n_users": args.users,
        "seeds": list(seeds),
        "seconds": round(seconds, 2),
        "models": models,
        "scenarios": scenarios,
        "winners": winners,
        "results": [
            {"model": model, "scenario": scenario, **{column: _rounded(value) for column, value in row.items()}}
            for (model, scenario), row in table.iterrows()
        ],
        "worlds": worlds(args.users),
    }
    out = _harness.RESULTS_DIR / "recovery.json"
    out.write_text(json.dumps(document, indent=2) + "\n")
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
