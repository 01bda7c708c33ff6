"""Choose a Markov chain's order by held-out prediction (cross-validation over journeys)."""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass
from typing import Literal

import numpy as np
import numpy.typing as npt
import pandas as pd

from attribution.errors import JourneyError, ParameterError
from attribution.journeys import Journeys
from attribution.models.markov import DegenerateChainWarning, MarkovChain

__all__ = ["OrderSelection", "select_order"]

FloatArray = npt.NDArray[np.float64]

# Counts are split among folds as integers; float64 holds every whole number up to 2^53.
MAX_WHOLE_COUNT = 2**53


@dataclass(frozen=True)
class OrderSelection:
    """Held-out scores of Markov chains of each order.

    Attributes
    ----------
    scores
        Orders × folds table of the metric, with ``mean`` and ``std`` columns.
    metric
        ``"log_loss"`` (lower is better) or ``"auc"`` (higher is better).
    best_order
        The order with the best mean score (the lowest order among ties).
    """

    scores: pd.DataFrame
    metric: str
    best_order: int

    def __repr__(self) -> str:
        return f"OrderSelection(metric={self.metric!r}, best_order={self.best_order})\n{self.scores.round(5)}"


def _weighted_log_loss(p: FloatArray, conversions: FloatArray, nulls: FloatArray) -> float:
    p = np.clip(p, 1e-15, 1 - 1e-15)
    total = conversions.sum() + nulls.sum()
    return float(-(conversions @ np.log(p) + nulls @ np.log1p(-p)) / total)


def _weighted_auc(p: FloatArray, conversions: FloatArray, nulls: FloatArray) -> float:
    """P(score of a random converting journey > a random non-converting one), ties count half."""
    order = np.argsort(p, kind="stable")
    p, conversions, nulls = p[order], conversions[order], nulls[order]
    _, _first, inverse = np.unique(p, return_index=True, return_inverse=True)
    conv_at = np.bincount(inverse, weights=conversions)
    null_at = np.bincount(inverse, weights=nulls)
    nulls_below = np.cumsum(null_at) - null_at
    pairs = conversions.sum() * nulls.sum()
    if pairs == 0:
        return float("nan")
    return float((conv_at @ (nulls_below + 0.5 * null_at)) / pairs)


def _fold_counts(counts: FloatArray, folds: int, rng: np.random.Generator) -> FloatArray:
    """Split each row's whole-number count among folds at random (a multinomial per row)."""
    out = np.zeros((folds, len(counts)))
    remaining = counts.astype(np.int64)
    for f in range(folds - 1):  # a loop over folds, not rows: sequential binomial splitting
        taken = rng.binomial(remaining, 1.0 / (folds - f))
        out[f] = taken
        remaining = remaining - taken
    out[folds - 1] = remaining
    return out


def select_order(
    journeys: Journeys,
    max_order: int = 4,
    cv: int = 5,
    metric: Literal["log_loss", "auc"] = "log_loss",
    seed: int | None = None,
    *,
    collapse_repeats: bool = True,
) -> OrderSelection:
    """Score Markov chains of order 1..``max_order`` on held-out journeys.

    Journeys (not path rows) are split into ``cv`` folds: each row's conversions and
    nulls are shared among folds at random, so aggregated rows split like the journeys
    they count. Each order is fitted on the other folds and predicts every held-out
    row's conversion probability (:meth:`FittedMarkovChain.predict_proba`). Held-out
    scoring is the honest version of choosing an order by in-sample fit.

    Parameters
    ----------
    journeys
        Journeys with whole-number counts.
    max_order
        Highest order to try.
    cv
        Number of folds (at least 2).
    metric
        ``"log_loss"`` (default; lower is better) or ``"auc"``.
    seed
        Seed of the random split; the same seed gives the same folds.

    Raises
    ------
    JourneyError
        Counts that are not whole numbers (or above 2^53), or too few journeys to score
        any fold.
    ParameterError
        A bad ``max_order``, ``cv`` or ``metric``.

    Examples
    --------
    >>> j = Journeys.from_sequences([["A", "B"], ["B", "A"], ["A"], ["B"]],
    ...                             conversions=[30, 5, 10, 10], nulls=[10, 35, 30, 30])
    >>> select_order(j, max_order=2, cv=3, seed=1).best_order
    2
    """
    if isinstance(max_order, bool) or not isinstance(max_order, (int, np.integer)) or max_order < 1:
        raise ParameterError(f"parameter 'max_order' must be a positive integer; got {max_order!r}.")
    if isinstance(cv, bool) or not isinstance(cv, (int, np.integer)) or cv < 2:
        raise ParameterError(f"parameter 'cv' must be an integer >= 2; got {cv!r}.")
    if metric not in ("log_loss", "auc"):
        raise ParameterError(f"parameter 'metric' must be 'log_loss' or 'auc'; got {metric!r}.")
    if not isinstance(journeys, Journeys):
        raise TypeError(f"select_order takes a Journeys object; got {type(journeys).__name__}")
    counts = np.concatenate([journeys.conversions, journeys.nulls])
    fractional = counts != np.round(counts)
    if np.any(fractional):
        raise JourneyError(
            "select_order splits journeys into folds, so conversions and nulls must be whole numbers; "
            f"{int(fractional.sum()):,} count(s) are not, e.g. {float(counts[np.argmax(fractional)])!r}. "
            "Fix: use unweighted journey counts."
        )
    if counts.size and counts.max() > MAX_WHOLE_COUNT:
        raise JourneyError(
            "select_order splits each row's journeys one by one into folds, so a count must be at most "
            f"2^53 = {MAX_WHOLE_COUNT:,}; got {float(counts.max()):.3g}. "
            "Fix: select the order on a rescaled copy of the journeys (e.g. counts divided by 1e6, rounded)."
        )
    rng = np.random.default_rng(seed)
    conv_folds = _fold_counts(journeys.conversions, cv, rng)
    null_folds = _fold_counts(journeys.nulls, cv, rng)
    # value follows conversions in proportion, so training chains keep value per conversion
    with np.errstate(invalid="ignore", divide="ignore"):
        value_per_conversion = np.where(journeys.conversions > 0, journeys.value / journeys.conversions, 0.0)
    scorer = _weighted_log_loss if metric == "log_loss" else _weighted_auc
    scores = np.full((max_order, cv), np.nan)
    for fold in range(cv):
        train_conv = journeys.conversions - conv_folds[fold]
        train_null = journeys.nulls - null_folds[fold]
        train = Journeys._trusted(
            journeys.codes,
            journeys.offsets,
            journeys.channels,
            train_conv,
            train_null,
            train_conv * value_per_conversion,
        )
        held_out = conv_folds[fold] + null_folds[fold] > 0
        for order in range(1, max_order + 1):
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", DegenerateChainWarning)
                chain = MarkovChain(order=order, collapse_repeats=collapse_repeats).fit(train)
            p = chain.predict_proba(journeys)
            scores[order - 1, fold] = scorer(p[held_out], conv_folds[fold][held_out], null_folds[fold][held_out])
    table = pd.DataFrame(
        scores, index=pd.RangeIndex(1, max_order + 1, name="order"), columns=[f"fold {f + 1}" for f in range(cv)]
    )
    table["mean"] = table.mean(axis=1)
    table["std"] = table.iloc[:, :cv].std(axis=1, ddof=1)
    means = table["mean"].to_numpy()
    if np.all(np.isnan(means)):
        raise JourneyError(
            f"no fold could be scored with {metric!r} (too few converting and non-converting journeys). "
            "Fix: use more journeys, fewer folds (cv), or metric='log_loss'."
        )
    best = int(np.nanargmin(means) if metric == "log_loss" else np.nanargmax(means)) + 1
    assert math.isfinite(means[best - 1])
    return OrderSelection(table, metric, best)
