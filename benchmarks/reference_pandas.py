"""The pandas reference pipeline: split-at-conversion journeys the way a data scientist writes them.

This is the straightforward, idiomatic pandas code that ``Journeys.from_events`` is measured
against (no lookback, no touch cap, no validation):

1. ``sort_values([user, time])``;
2. number each user's journeys with a groupby-cumsum of the conversion flag, shifted so that
   a conversion row belongs to the journey it closes;
3. ``groupby([user, journey])``: the list of channels of the touch rows, and the sum of
   conversions and value of every row.

:func:`reference_journeys_vectorised` is the same pipeline with the one slow step, the
per-group ``agg(list)``, replaced by a single ``numpy.split`` of the sorted channel column: a
stronger baseline, for context.

Both rely on (user, time) being unique, as in :mod:`benchmarks.synthetic` data; ties between a
touch and a conversion would need an extra sort key.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from attribution import Journeys

__all__ = ["compare_with_journeys", "reference_journeys", "reference_journeys_vectorised"]


def reference_journeys(
    events: pd.DataFrame,
    *,
    user: str = "user_id",
    time: str = "timestamp",
    channel: str = "channel",
    conversion: str = "converted",
    value: str = "revenue",
) -> pd.DataFrame:
    """One row per journey: ``user``, ``journey``, ``path`` (list of channels), ``conversions``, ``value``.

    Rows are ordered by user, then journey (chronologically), like ``Journeys.from_events``.
    """
    df = events.sort_values([user, time])
    flag = df[conversion].astype("int64")
    # conversions strictly before each row: the conversion row stays in the journey it closes
    df["journey"] = flag.groupby(df[user]).cumsum() - flag
    keys = [user, "journey"]
    outcomes = df.groupby(keys).agg(conversions=(conversion, "sum"), value=(value, "sum"))
    touches = df[df[channel].notna()]
    paths = touches.groupby(keys)[channel].agg(list).rename("path")
    journeys = outcomes.join(paths)
    empty = journeys["path"].isna()
    if empty.any():  # a conversion with no touch since the previous one: an empty path
        journeys.loc[empty, "path"] = pd.Series([[] for _ in range(int(empty.sum()))], index=journeys.index[empty])
    return journeys.reset_index()[[user, "journey", "path", "conversions", "value"]]


def reference_journeys_vectorised(
    events: pd.DataFrame,
    *,
    user: str = "user_id",
    time: str = "timestamp",
    channel: str = "channel",
    conversion: str = "converted",
    value: str = "revenue",
) -> pd.DataFrame:
    """:func:`reference_journeys` without per-group Python calls: paths come from one ``numpy.split``."""
    df = events.sort_values([user, time])
    flag = df[conversion].astype("int64")
    df["journey"] = flag.groupby(df[user]).cumsum() - flag
    journeys = df.groupby([user, "journey"]).agg(
        conversions=(conversion, "sum"), value=(value, "sum"), touches=(channel, "count")
    )
    # sorted rows of one journey are contiguous and the groups come out in the same order
    labels = df[channel].dropna().to_numpy(dtype=object)
    bounds = np.cumsum(journeys["touches"].to_numpy())[:-1]
    journeys["path"] = [part.tolist() for part in np.split(labels, bounds)]
    return journeys.reset_index()[[user, "journey", "path", "conversions", "value"]]


def compare_with_journeys(reference: pd.DataFrame, journeys: Journeys, *, user: str = "user_id") -> dict[str, object]:
    """Check that the reference frame and ``journeys`` hold the same journeys, row by row.

    Compares users, paths (as tuples of labels), conversions and values (exactly: both sides
    add the same numbers). Returns a summary with ``match`` and the first differences.
    """
    problems: list[str] = []
    if len(reference) != journeys.n_rows:
        problems.append(f"row counts differ: reference {len(reference)}, ours {journeys.n_rows}")
    else:
        ours_users = journeys.users
        if ours_users is None or not np.array_equal(np.asarray(ours_users), reference[user].to_numpy()):
            problems.append("users differ")
        ours_paths = journeys.paths()
        ref_paths = [tuple(p) for p in reference["path"]]
        bad = [i for i, (a, b) in enumerate(zip(ours_paths, ref_paths, strict=True)) if a != b]
        if bad:
            i = bad[0]
            problems.append(
                f"{len(bad)} paths differ, first at row {i}: ours {ours_paths[i]}, reference {ref_paths[i]}"
            )
        if not np.array_equal(journeys.conversions, reference["conversions"].to_numpy(dtype=np.float64)):
            problems.append("conversions differ")
        if not np.array_equal(journeys.value, reference["value"].to_numpy(dtype=np.float64)):
            problems.append(
                f"values differ (max abs diff {np.abs(journeys.value - reference['value'].to_numpy()).max():.3g})"
            )
    return {
        "match": not problems,
        "journeys": len(reference),
        "ours_journeys": int(journeys.n_rows),
        "conversions": float(reference["conversions"].sum()),
        "value": float(reference["value"].sum()),
        "problems": problems,
    }
