"""Score models' shares against a known truth: error, rank agreement, per-channel bias."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from attribution.errors import ParameterError
from attribution.models.base import Attribution

__all__ = ["score"]


def _results(results: Any) -> dict[str, Attribution]:
    from attribution.compare import Comparison

    if isinstance(results, Comparison):
        return dict(results.results)
    if isinstance(results, Attribution):
        return {results.model.name: results}
    if isinstance(results, Mapping):
        return dict(results)
    if isinstance(results, Sequence):
        return {r.model.name: r for r in results}
    raise ParameterError(
        f"score takes a Comparison, an Attribution, or a mapping or list of them; got {type(results).__name__}."
    )


def score(results: Any, truth: pd.DataFrame | pd.Series, *, against: str = "shapley_share") -> pd.DataFrame:
    """Each model's channel shares against the true shares, one row per model.

    Parameters
    ----------
    results
        A :class:`~attribution.Comparison`, an :class:`~attribution.models.Attribution`,
        or a mapping / list of them.
    truth
        The true shares per channel: a Series, or a DataFrame with the column ``against``
        (e.g. :attr:`Simulation.truth`).
    against
        Which column of ``truth`` to use: ``"shapley_share"`` (default) or
        ``"incremental_share"``.

    Returns
    -------
    pandas.DataFrame
        Indexed by model: ``mean_abs_error`` and ``max_abs_error`` of the shares over
        channels, ``total_variation`` (half the summed absolute error: the share of credit
        in the wrong place), ``rank_correlation`` (Spearman) and ``bias <channel>`` columns
        (model share − true share), sorted best first. A channel missing from a model's
        credits counts as share 0.

    Examples
    --------
    >>> from attribution import Journeys, LastTouch, Linear, compare
    >>> j = Journeys.from_sequences([["A", "B"], ["B"]], conversions=[1, 1])
    >>> truth = pd.Series({"A": 0.5, "B": 0.5})
    >>> score(compare(j, [LastTouch(), Linear()]), truth)["mean_abs_error"].round(3).to_dict()
    {'Linear': 0.25, 'Last touch': 0.5}
    """
    if isinstance(truth, pd.DataFrame):
        if against not in truth.columns:
            raise ParameterError(
                f"parameter 'against' of score must be a column of truth ({', '.join(map(str, truth.columns))}); "
                f"got {against!r}."
            )
        true_share = truth[against].astype(float)
    else:
        true_share = truth.astype(float)
    if true_share.isna().any():
        raise ParameterError(
            f"the truth column {against!r} has no value for {list(true_share.index[true_share.isna()])}: "
            "it was not computed (e.g. too many channels for the exact Shapley truth). Fix: score against "
            "'incremental_share', or simulate with fewer channels."
        )
    channels = true_share.index
    rows: dict[str, dict[str, float]] = {}
    for name, result in _results(results).items():
        share = result.credits["share"].reindex(channels, fill_value=0.0).astype(float)
        error = share - true_share
        row = {
            "mean_abs_error": float(error.abs().mean()),
            "max_abs_error": float(error.abs().max()),
            "total_variation": float(error.abs().sum() / 2),
            "rank_correlation": float(share.corr(true_share, method="spearman"))
            if np.ptp(share.to_numpy()) > 0 and np.ptp(true_share.to_numpy()) > 0
            else np.nan,
        }
        row.update({f"bias {channel}": float(error[channel]) for channel in channels})
        rows[name] = row
    table = pd.DataFrame.from_dict(rows, orient="index").rename_axis("model")
    return table.sort_values("mean_abs_error", kind="stable")
