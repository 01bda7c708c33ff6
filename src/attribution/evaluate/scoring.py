"""Score models' shares against a known truth: error, rank agreement, per-channel bias."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from attribution.errors import ParameterError
from attribution.models.base import Attribution

__all__ = ["score", "scoring_inputs"]

_SHARE_TOLERANCE = 1e-6  # true shares must sum to 1 within this


def _results(results: Any, caller: str) -> dict[str, Attribution]:
    """The results by model name (see :meth:`Comparison.of`)."""
    from attribution.compare import Comparison

    return dict(Comparison.of(results, caller=caller).results)


def _shown(value: Any) -> str:
    return repr(value.item() if isinstance(value, np.generic) else value)


def _is_number(value: Any) -> bool:
    """A real number or a missing value (reported separately); not a bool, not text."""
    if value is None or value is pd.NA:
        return True
    return isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, (bool, np.bool_))


def _true_shares(truth: Any, against: Any, caller: str) -> pd.Series:
    """The true share per channel: numbers >= 0 that sum to 1, one per distinct channel."""
    if isinstance(truth, pd.DataFrame):
        if not isinstance(against, str) or against not in truth.columns:
            raise ParameterError(
                f"parameter 'against' of {caller} must be a column of truth ({', '.join(map(str, truth.columns))}); "
                f"got {against!r}. Fix: e.g. against='shapley_share' or 'incremental_share'."
            )
        column = truth[against]
        if isinstance(column, pd.DataFrame):
            raise ParameterError(
                f"parameter 'truth' of {caller} has the column {against!r} more than once. Fix: rename the copies."
            )
        name = f"column {against!r} of parameter 'truth' of {caller}"
    elif isinstance(truth, pd.Series):
        column, name = truth, f"parameter 'truth' of {caller}"
    else:
        raise ParameterError(
            f"parameter 'truth' of {caller} must be a pandas Series of true shares by channel, or a DataFrame "
            f"such as Simulation.truth; got {type(truth).__name__}. Fix: e.g. pd.Series({{'Search': 0.6, 'Email': 0.4}})."
        )
    raw = column.to_numpy(dtype=object)
    not_numeric = np.array([pd.api.types.is_bool_dtype(column.dtype) or not _is_number(v) for v in raw], dtype=bool)
    if not_numeric.any():
        first = int(np.argmax(not_numeric))
        raise ParameterError(
            f"{name} must hold numbers (the true share of each channel); got {_shown(raw[first])} "
            f"for {column.index[first]!r}. Fix: convert it, e.g. pd.to_numeric(truth)."
        )
    share = pd.Series(column.to_numpy(dtype=np.float64, na_value=np.nan), index=column.index, name=column.name)
    if share.isna().any():
        raise ParameterError(
            f"{name} has no value for {list(share.index[share.isna()])}: it was not computed (e.g. too many "
            "channels for the exact Shapley truth) or is missing. Fix: score against 'incremental_share', "
            "simulate with fewer channels, or fill in the missing shares."
        )
    values = share.to_numpy()
    if not np.isfinite(values).all() or (values < 0).any():
        first = share.index[int(np.argmax(~np.isfinite(values) | (values < 0)))]
        raise ParameterError(
            f"{name} must hold finite shares >= 0; got {float(share[first])!r} for {first!r}. "
            "Fix: pass the true share of each channel (0 for a channel with no effect)."
        )
    if share.index.has_duplicates:
        repeated = share.index[share.index.duplicated()][0]
        raise ParameterError(
            f"{name} must give each channel once; {repeated!r} appears more than once. Fix: sum or drop the copies."
        )
    total = float(values.sum())
    if abs(total - 1.0) > _SHARE_TOLERANCE:
        raise ParameterError(
            f"{name} must hold shares that sum to 1; they sum to {total!r}. "
            "Fix: score against a *_share column, or normalise it: truth / truth.sum()."
        )
    return share


def scoring_inputs(
    results: Any, truth: Any, against: Any, *, caller: str = "score"
) -> tuple[dict[str, Attribution], pd.Series]:
    """Check what :func:`score` (and :func:`attribution.plotting.plot_truth_vs_model`) take.

    Returns the results by model name and the true share per channel. Raises a
    :class:`ParameterError` naming ``caller`` for anything but attribution results, for a
    truth that is not numbers >= 0 summing to 1, one per channel, and for a model that
    credits a channel the truth does not name (often a spelling that differs).
    """
    by_model = _results(results, caller)
    true_share = _true_shares(truth, against, caller)
    known = set(true_share.index)
    for name, result in by_model.items():
        credits = result.credits["share"]
        unknown = [str(channel) for channel, share in credits.items() if share > 0 and channel not in known]
        if unknown:
            raise ParameterError(
                f"parameter 'truth' of {caller} must name every channel a model credits; {name!r} credits "
                f"{', '.join(map(repr, unknown[:5]))}, which the truth does not name (it names "
                f"{', '.join(map(repr, list(true_share.index)[:10]))}). Fix: give the truth a share for every "
                "channel of the journeys (0 for one with no effect), spelled as in the journeys."
            )
    return by_model, true_share


def score(results: Any, truth: pd.DataFrame | pd.Series, *, against: str = "shapley_share") -> pd.DataFrame:
    """Each model's channel shares against the true shares, one row per model.

    Parameters
    ----------
    results
        A :class:`~attribution.Comparison`, an :class:`~attribution.models.Attribution`,
        or a mapping / list of them.
    truth
        The true shares per channel: a Series, or a DataFrame with the column ``against``
        (e.g. :attr:`Simulation.truth`). Shares are finite, >= 0 and sum to 1.
    against
        Which column of ``truth`` to use: ``"shapley_share"`` (default) or
        ``"incremental_share"``.

    Returns
    -------
    pandas.DataFrame
        Indexed by model: ``mean_abs_error`` and ``max_abs_error`` of the shares over
        channels, ``total_variation`` (half the summed absolute error: the share of credit
        in the wrong place), ``rank_correlation`` (Spearman) and ``bias <channel>`` columns
        (model share − true share), sorted best first. A channel of the truth missing from
        a model's credits counts as share 0.

    Raises
    ------
    ParameterError
        Results that are not attribution results; a truth with missing, non-numeric,
        negative or infinite shares, repeated channels, or shares that do not sum to 1;
        a model crediting a channel the truth does not name.

    Examples
    --------
    >>> from attribution import Journeys, LastTouch, Linear, compare
    >>> j = Journeys.from_sequences([["A", "B"], ["B"]], conversions=[1, 1])
    >>> truth = pd.Series({"A": 0.5, "B": 0.5})
    >>> score(compare(j, [LastTouch(), Linear()]), truth)["mean_abs_error"].round(3).to_dict()
    {'Linear': 0.25, 'Last touch': 0.5}
    """
    by_model, true_share = scoring_inputs(results, truth, against)
    channels = true_share.index
    rows: dict[str, dict[str, float]] = {}
    for name, result in by_model.items():
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
        row.update({f"bias {channel}": float(error.iloc[i]) for i, channel in enumerate(channels)})
        rows[str(name)] = row
    table = pd.DataFrame.from_dict(rows, orient="index").rename_axis("model")
    return table.sort_values("mean_abs_error", kind="stable")
