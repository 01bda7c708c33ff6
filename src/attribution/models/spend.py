"""Spend next to credit: cost per acquisition, return on ad spend, share of spend.

The rules for the edges (no spend, no credit, unknown channels) are stated once here and
used by every result type: :meth:`Attribution.with_spend`,
:meth:`GroupedAttribution.with_spend` and :meth:`Comparison.with_spend`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from attribution.errors import ParameterError

__all__ = ["spend_metrics"]


def spend_metrics(credits: pd.DataFrame, spend: Any, keys: Sequence[str] = ()) -> pd.DataFrame:
    """``credits`` (indexed by ``keys`` then ``channel``) with spend, share of spend, cpa and roas.

    Rules, per channel (and group):

    - ``cpa`` = spend / credited conversions: +inf when spend > 0 earned no conversion,
      NaN when both are 0;
    - ``roas`` = credited value / spend: +inf when value came at no spend, NaN when both are 0;
    - ``share_of_spend`` = spend / the total spend of the priced channels (of the group);
    - a channel with credit but no spend given has spend NaN (unknown), and so do its cpa,
      roas and share of spend; a priced channel that earned nothing in a group has cpa +inf
      and roas 0 there;
    - spend for a channel the journeys never touched, negative or NaN spend, and spend
      without the group keys of a grouped result are errors.
    """
    table = _spend_series(spend, keys)
    known = set(credits.index.get_level_values("channel"))
    unknown = sorted(set(table.index.get_level_values("channel")) - known, key=str)
    if unknown:
        raise ParameterError(
            f"spend is given for {len(unknown)} channel(s) the journeys never touch, first {unknown[0]!r}; "
            f"known channels: {sorted(known)}. Fix: correct the channel names, or drop those rows."
        )
    if keys:
        group_index = _groups_of(credits.index)
        spend_groups = _groups_of(table.index)
        extra = [g for g in spend_groups if g not in group_index]
        if extra:
            raise ParameterError(
                f"spend is given for group {extra[0]!r}, which the result does not have "
                f"(groups: {group_index[:8]}). Fix: align the spend's {list(keys)} with the result's groups."
            )
    frame = credits.copy()
    frame["spend"] = table.reindex(frame.index).to_numpy(dtype=float)
    spend_values = frame["spend"]
    if keys:
        totals = spend_values.groupby(level=list(keys), dropna=False, observed=True).transform("sum")
    else:
        totals = pd.Series(float(spend_values.sum()), index=frame.index)
    with np.errstate(divide="ignore", invalid="ignore"):
        frame["share_of_spend"] = np.where(spend_values.isna(), np.nan, spend_values / totals.to_numpy())
        frame["cpa"] = _ratio(spend_values.to_numpy(), frame["conversions"].to_numpy())
        frame["roas"] = _ratio(frame["value"].to_numpy(), spend_values.to_numpy())
    return frame


def _groups_of(index: pd.Index) -> list[Any]:
    """The distinct group keys of an index whose last level is the channel."""
    frame = index.to_frame(index=False)
    groups = frame.iloc[:, :-1].drop_duplicates()
    return [tuple(row) if len(row) > 1 else row[0] for row in groups.itertuples(index=False)]


def _ratio(numerator: np.ndarray[Any, Any], denominator: np.ndarray[Any, Any]) -> np.ndarray[Any, Any]:
    """numerator / denominator with the stated edges: x/0 = +inf for x > 0, 0/0 = NaN, NaN stays NaN."""
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = numerator / denominator
    ratio = np.where((denominator == 0) & (numerator > 0), np.inf, ratio)
    result: np.ndarray[Any, Any] = np.where((denominator == 0) & (numerator == 0), np.nan, ratio)
    return result


def _spend_series(spend: Any, keys: Sequence[str]) -> pd.Series:
    """Spend as a Series indexed by ``keys`` then ``channel``, checked."""
    wanted = [*keys, "channel"]
    if isinstance(spend, pd.DataFrame):
        missing = [c for c in [*wanted, "spend"] if c not in spend.columns]
        if missing:
            raise ParameterError(
                f"a spend table needs the columns {[*wanted, 'spend']}; missing {missing}. "
                "Fix: one row per channel (and group), with its spend in a 'spend' column."
            )
        series = spend.set_index(wanted)["spend"]
    elif isinstance(spend, pd.Series):
        names = list(spend.index.names)
        if len(names) == 1 and not keys:  # one level: the channels, whatever the index is called
            series = spend.rename_axis("channel")
        elif sorted(map(str, names)) == sorted(wanted):
            series = (
                spend.reorder_levels([list(map(str, names)).index(w) for w in wanted]) if len(wanted) > 1 else spend
            )
        elif not keys or set(names) == {"channel"} or names == [None]:
            raise ParameterError(
                f"spend indexed by {names} does not match the result, grouped by {list(keys)}: spend without "
                "the group keys applies only to ungrouped results. Fix: give spend per "
                f"{' and '.join(wanted)} (a Series with that MultiIndex, or a table with those columns and 'spend')."
            )
        else:
            raise ParameterError(f"spend must be indexed by {wanted}; got index levels {names}. Fix: set that index.")
    elif isinstance(spend, dict) and not keys:
        series = pd.Series(spend, dtype=float).rename_axis("channel")
    else:
        raise ParameterError(
            f"spend must be a pandas Series (or dict) by channel, or a table with columns {[*wanted, 'spend']}; "
            f"got {type(spend).__name__}. Fix: e.g. pd.Series({{'Search': 60.0, 'Email': 20.0}})."
        )
    values = pd.to_numeric(series, errors="coerce")
    bad = values.isna() | (values < 0)
    if bad.any():
        where = series.index[np.flatnonzero(bad.to_numpy())[0]]
        raise ParameterError(
            f"spend must be a finite number >= 0 for every row; got {series.iloc[np.flatnonzero(bad.to_numpy())[0]]!r} "
            f"for {where!r}. Fix: correct it, or leave the channel out (its spend is then unknown)."
        )
    if not np.isfinite(values.to_numpy(dtype=float)).all():
        raise ParameterError("spend must be finite. Fix: correct the infinite values.")
    if values.index.has_duplicates:
        raise ParameterError(
            f"spend lists {values.index[values.index.duplicated()][0]!r} twice. Fix: one row per channel and group."
        )
    return values.astype(float)
