"""Choose a Markov chain's order by held-out prediction: log-loss and AUC from one cross-validation."""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import numpy.typing as npt
import pandas as pd

from attribution._checks import boolean, integer, one_of
from attribution._display import Column, Report, measure_cells
from attribution.errors import JourneyError, ParameterError
from attribution.journeys import Journeys
from attribution.journeys.attributes import require_one_goal
from attribution.models.markov import DegenerateChainWarning, MarkovChain

__all__ = ["OrderSelection", "predictive_validity", "select_order"]

FloatArray = npt.NDArray[np.float64]

METRICS: tuple[Literal["log_loss"], Literal["auc"]] = ("log_loss", "auc")

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

    def _report(self) -> Report:
        better = "lower" if self.metric == "log_loss" else "higher"
        metric = "log-loss" if self.metric == "log_loss" else "AUC"
        orders = [str(order) + (" (best)" if order == self.best_order else "") for order in self.scores.index]
        columns = [Column("order", orders, numeric=False)]
        columns += [Column(str(name), measure_cells(self.scores[name].tolist())) for name in self.scores.columns]
        folds = len(self.scores.columns) - 2
        return Report(
            f"Order selection: best order {self.best_order} by held-out {metric} ({better} is better)",
            [("scores", f"{metric} of each order on each of {folds:,} held-out folds, their mean and std")],
            columns,
        )

    def __repr__(self) -> str:
        return self._report().text()

    def _repr_html_(self) -> str:
        return self._report().html()


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
    collapse_repeats
        Passed to every :class:`MarkovChain` fitted.

    Raises
    ------
    JourneyError
        Counts that are not whole numbers (or above 2^53), or too few journeys to score
        any fold.
    ParameterError
        A bad ``max_order``, ``cv`` or ``metric``.

    See Also
    --------
    predictive_validity : both metrics side by side, from the same folds.

    Examples
    --------
    >>> j = Journeys.from_sequences([["A", "B"], ["B", "A"], ["A"], ["B"]],
    ...                             conversions=[30, 5, 10, 10], nulls=[10, 35, 30, 30])
    >>> select_order(j, max_order=2, cv=3, seed=1).best_order
    2
    """
    one_of(metric, "metric", METRICS, owner="select_order")
    scores = _held_out_scores(journeys, max_order, cv, seed, collapse_repeats, owner="select_order")[metric]
    means = scores["mean"].to_numpy()
    best = int(np.nanargmin(means) if metric == "log_loss" else np.nanargmax(means)) + 1
    assert math.isfinite(means[best - 1])
    return OrderSelection(scores, metric, best)


def predictive_validity(
    journeys: Journeys,
    max_order: int = 3,
    cv: int = 5,
    seed: int | None = None,
    *,
    collapse_repeats: bool = True,
    models: Sequence[Any] = (),
) -> pd.DataFrame:
    """Held-out log-loss and AUC of Markov chains of order 1..``max_order``, same folds for both.

    ``models``: further models that predict conversion — any object whose ``fit(journeys)``
    returns something with ``predict_proba(journeys)``, such as
    :class:`~attribution.models.LogisticShapley` — scored on the same folds; the table is
    then indexed by model name (the chains as ``Markov (order k)``).

    One cross-validation pass, as :func:`select_order` (journeys, not rows, are split into
    folds): each order is fitted once per fold and both metrics score its predictions.
    The same seed gives the same folds as :func:`select_order`, so the columns equal its
    ``mean`` and ``std`` for each metric.

    Returns
    -------
    pandas.DataFrame
        Indexed by order: ``log_loss`` and ``log_loss_std`` (lower is better), ``auc`` and
        ``auc_std`` (higher is better) over the folds.

    Examples
    --------
    >>> j = Journeys.from_sequences([["A", "B"], ["B", "A"], ["A"], ["B"]],
    ...                             conversions=[300, 50, 100, 100], nulls=[100, 350, 300, 300])
    >>> table = predictive_validity(j, max_order=2, cv=4, seed=1)
    >>> int(table["log_loss"].idxmin()), int(table["auc"].idxmax())
    (2, 2)
    """
    for model in models:
        if not callable(getattr(model, "fit", None)):
            raise ParameterError(
                f"parameter 'models' of predictive_validity must hold models with fit(journeys) returning "
                f"predict_proba(journeys); got {model!r}. Fix: pass e.g. models=[LogisticShapley()]."
            )
    tables = _held_out_scores(
        journeys, max_order, cv, seed, collapse_repeats, owner="predictive_validity", models=tuple(models)
    )
    columns: dict[str, pd.Series] = {}
    for metric in METRICS:
        columns[metric] = tables[metric]["mean"]
        columns[f"{metric}_std"] = tables[metric]["std"]
    return pd.DataFrame(columns).rename_axis("model" if models else "order")


def _held_out_scores(
    journeys: Journeys,
    max_order: int,
    cv: int,
    seed: int | None,
    collapse_repeats: bool,
    *,
    owner: str,
    models: tuple[Any, ...] = (),
) -> dict[str, pd.DataFrame]:
    """Orders × folds tables of every metric (with ``mean`` and ``std``), from one set of folds.

    Each order is fitted once per fold; every metric scores the same held-out predictions.
    Raises :class:`JourneyError` when a metric cannot score any fold.
    """
    max_order = integer(max_order, "max_order", owner=owner, fix="pass e.g. max_order=3.")
    cv = integer(cv, "cv", low=2, owner=owner, fix="pass e.g. cv=5.")
    collapse_repeats = boolean(collapse_repeats, "collapse_repeats", owner=owner)
    if not isinstance(journeys, Journeys):
        raise TypeError(f"{owner} takes a Journeys object; got {type(journeys).__name__}")
    require_one_goal(journeys, "choosing one order for them")
    counts = np.concatenate([journeys.conversions, journeys.nulls])
    fractional = counts != np.round(counts)
    if np.any(fractional):
        raise JourneyError(
            f"{owner} splits journeys into folds, so conversions and nulls must be whole numbers; "
            f"{int(fractional.sum()):,} count(s) are not, e.g. {float(counts[np.argmax(fractional)])!r}. "
            "Fix: use unweighted journey counts."
        )
    if counts.size and counts.max() > MAX_WHOLE_COUNT:
        raise JourneyError(
            f"{owner} splits each row's journeys one by one into folds, so a count must be at most "
            f"2^53 = {MAX_WHOLE_COUNT:,}; got {float(counts.max()):.3g}. "
            "Fix: select the order on a rescaled copy of the journeys (e.g. counts divided by 1e6, rounded)."
        )
    rng = np.random.default_rng(seed)
    conv_folds = _fold_counts(journeys.conversions, cv, rng)
    null_folds = _fold_counts(journeys.nulls, cv, rng)
    scorers = {"log_loss": _weighted_log_loss, "auc": _weighted_auc}
    scores = {metric: np.full((max_order + len(models), cv), np.nan) for metric in METRICS}
    for fold in range(cv):
        # value follows conversions (each row keeps its value per conversion), so training
        # chains keep each state's mean value
        train = journeys.with_outcomes(journeys.conversions - conv_folds[fold], journeys.nulls - null_folds[fold])
        held_out = conv_folds[fold] + null_folds[fold] > 0
        held_conv, held_null = conv_folds[fold][held_out], null_folds[fold][held_out]
        for order in range(1, max_order + 1):
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", DegenerateChainWarning)
                chain = MarkovChain(order=order, collapse_repeats=collapse_repeats).fit(train)
            p = chain.predict_proba(journeys)[held_out]
            for metric in METRICS:
                scores[metric][order - 1, fold] = scorers[metric](p, held_conv, held_null)
        for k, model in enumerate(models):
            p = model.fit(train).predict_proba(journeys)[held_out]
            for metric in METRICS:
                scores[metric][max_order + k, fold] = scorers[metric](p, held_conv, held_null)
    tables: dict[str, pd.DataFrame] = {}
    for metric in METRICS:
        index: pd.Index = pd.RangeIndex(1, max_order + 1, name="order")
        if models:
            chains = [MarkovChain(order=k, collapse_repeats=collapse_repeats).name for k in range(1, max_order + 1)]
            index = pd.Index([*chains, *(m.name for m in models)], name="model")
        table = pd.DataFrame(
            scores[metric],
            index=index,
            columns=[f"fold {f + 1}" for f in range(cv)],
        )
        table["mean"] = table.mean(axis=1)
        table["std"] = table.iloc[:, :cv].std(axis=1, ddof=1)
        if np.all(np.isnan(table["mean"].to_numpy())):
            raise JourneyError(
                f"no fold could be scored with {metric!r} (too few converting and non-converting journeys). "
                "Fix: use more journeys, fewer folds (cv), or metric='log_loss'."
            )
        tables[metric] = table
    return tables
