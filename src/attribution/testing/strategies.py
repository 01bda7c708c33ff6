"""Hypothesis strategies for event logs and :class:`~attribution.Journeys`.

Small, adversarial inputs: few users and channels, coarse clock ticks so that equal
timestamps are common, conversions with and without a touch, empty paths.

Examples
--------
>>> from hypothesis import given
>>> @given(journeys())
... def test_totals_are_non_negative(j):
...     assert j.total_conversions >= 0
>>> test_totals_are_non_negative()
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd
from hypothesis import strategies as st

from attribution.journeys import Journeys

__all__ = ["event_logs", "journeys"]

_BASE = pd.Timestamp("2024-01-01")


@st.composite
def event_logs(
    draw: st.DrawFn,
    *,
    channels: Sequence[str] = ("A", "B", "C", "D"),
    max_users: int = 5,
    max_events: int = 25,
    tick: pd.Timedelta | None = None,
    max_ticks: int = 20,
) -> pd.DataFrame:
    """Event logs with columns ``user``, ``time``, ``channel``, ``converted``, ``value``, ``hit``.

    Rows are in random order. ``channel`` is null only on conversions; ``value`` is
    null on non-conversions and a small whole number on conversions (sums stay exact);
    ``hit`` is a distinct integer per event, usable as a tiebreak. Times fall on
    ``tick`` multiples (default 12 hours), so equal timestamps are common.
    """
    # 12 h in ns: Timedelta(hours=12) warns on pandas 2 with numpy >= 2.5
    tick = pd.Timedelta(12 * 3_600_000_000_000) if tick is None else tick
    n = draw(st.integers(0, max_events))
    users = draw(st.lists(st.integers(0, max_users - 1), min_size=n, max_size=n))
    ticks = draw(st.lists(st.integers(0, max_ticks), min_size=n, max_size=n))
    kinds = draw(
        st.lists(st.sampled_from(["touch", "touch", "touch", "conversion", "converting touch"]), min_size=n, max_size=n)
    )
    labels = draw(st.lists(st.sampled_from(list(channels)), min_size=n, max_size=n))
    values = draw(st.lists(st.integers(1, 100), min_size=n, max_size=n))
    hits = draw(st.permutations(list(range(n))))
    return pd.DataFrame(
        {
            "user": [f"user{u}" for u in users],
            "time": pd.to_datetime([_BASE + t * tick for t in ticks]).astype("datetime64[ns]"),
            "channel": pd.Series(
                [None if k == "conversion" else c for k, c in zip(kinds, labels, strict=True)], dtype=object
            ),
            "converted": [k != "touch" for k in kinds],
            "value": [float(v) if k != "touch" else float("nan") for k, v in zip(kinds, values, strict=True)],
            "hit": hits,
        }
    )


@st.composite
def journeys(
    draw: st.DrawFn,
    *,
    channels: Sequence[str] = ("A", "B", "C", "D"),
    max_rows: int = 12,
    max_length: int = 6,
    with_times: bool | None = None,
) -> Journeys:
    """Journeys built with :meth:`Journeys.from_sequences`: small whole counts, some empty paths.

    ``with_times``: ``True`` always adds touch times, ``False`` never, ``None`` either.
    """
    n = draw(st.integers(0, max_rows))
    paths = draw(st.lists(st.lists(st.sampled_from(list(channels)), max_size=max_length), min_size=n, max_size=n))
    conversions = draw(st.lists(st.integers(0, 5), min_size=n, max_size=n))
    nulls = draw(st.lists(st.integers(0, 5), min_size=n, max_size=n))
    value = [c * draw(st.integers(0, 50)) for c in conversions]
    add_times = draw(st.booleans()) if with_times is None else with_times
    times = None
    if add_times:
        times = [
            sorted(draw(st.lists(st.integers(0, 10**6), min_size=len(p), max_size=len(p))), reverse=True) for p in paths
        ]
    return Journeys.from_sequences(paths, conversions=conversions, nulls=nulls, value=value, times=times)
