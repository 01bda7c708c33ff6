"""Recompute the bundled sample's truth from 2^11 replays and check it against the kept numbers.

Usage (from the repository root)::

    python -m benchmarks.sample_truth          # about 75 s on 2 cores

The sample (:mod:`attribution.datasets._sample`) keeps its truth as constants because the
exact Shapley values need one replay of the quarter per coalition of its eleven channels.
This script recomputes them with :func:`attribution.evaluate.funnel.funnel_truth` and exits
non-zero if any kept number differs; run it after any change to the funnel or the sample.
"""

from __future__ import annotations

import sys
import time

import numpy as np


def main() -> int:
    from attribution.datasets import _sample
    from attribution.evaluate.funnel import funnel_truth

    started = time.perf_counter()
    incremental, shapley, total, without = funnel_truth(_sample.FUNNEL, _sample.N_USERS, _sample.SEED)
    seconds = time.perf_counter() - started
    kept_shapley = np.asarray(_sample.TRUTH_SHAPLEY_TIMES_420, dtype=np.float64) / 420.0
    checks = {
        "incremental": incremental.tolist() == list(_sample.TRUTH_INCREMENTAL),
        "shapley": bool(np.allclose(shapley, kept_shapley, rtol=0, atol=1e-9)),
        "conversions": total == _sample.TRUTH_CONVERSIONS,
        "conversions_without_channels": without == _sample.TRUTH_WITHOUT_CHANNELS,
    }
    print(f"recomputed in {seconds:.1f} s")
    print("incremental ", incremental.tolist())
    print("shapley x420", np.round(shapley * 420).astype(np.int64).tolist())
    print(f"conversions {total}, without channels {without}")
    for name, ok in checks.items():
        print(f"{name:30s} {'matches' if ok else 'DIFFERS from the kept numbers'}")
    return 0 if all(checks.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
