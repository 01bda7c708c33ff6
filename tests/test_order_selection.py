"""select_order: held-out scoring of Markov orders, folds that respect counts, metrics."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from attribution import AttributionError, Journeys, ParameterError, select_order
from attribution.models.order_selection import _fold_counts, _weighted_auc, _weighted_log_loss


@pytest.fixture
def order_matters() -> Journeys:
    """A > B converts far more often than B > A: only an order-2 chain can tell them apart."""
    return Journeys.from_sequences(
        [["A", "B"], ["B", "A"], ["A"], ["B"]], conversions=[300, 50, 100, 100], nulls=[100, 350, 300, 300]
    )


def test_order_two_wins_when_order_matters(order_matters: Journeys) -> None:
    selection = select_order(order_matters, max_order=3, cv=4, seed=7)
    assert selection.best_order == 2
    assert list(selection.scores.columns) == ["fold 1", "fold 2", "fold 3", "fold 4", "mean", "std"]
    assert selection.scores.loc[2, "mean"] < selection.scores.loc[1, "mean"]
    by_auc = select_order(order_matters, max_order=2, cv=4, metric="auc", seed=7)
    assert by_auc.best_order == 2
    assert by_auc.scores.loc[2, "mean"] > by_auc.scores.loc[1, "mean"]


def test_the_same_seed_gives_the_same_scores(order_matters: Journeys) -> None:
    a = select_order(order_matters, max_order=2, cv=3, seed=1).scores
    b = select_order(order_matters, max_order=2, cv=3, seed=1).scores
    assert a.equals(b)


@given(st.lists(st.integers(0, 50), min_size=1, max_size=20), st.integers(2, 6), st.integers(0, 2**32 - 1))
def test_folds_split_every_count_exactly(counts: list[int], folds: int, seed: int) -> None:
    split = _fold_counts(np.array(counts, dtype=float), folds, np.random.default_rng(seed))
    assert split.shape == (folds, len(counts))
    assert (split >= 0).all()
    assert split.sum(axis=0).tolist() == counts


def test_weighted_metrics_match_unrolled_journeys() -> None:
    """Rows with counts score like the individual journeys they stand for."""
    p = np.array([0.2, 0.7, 0.7, 0.4])
    conversions = np.array([1.0, 2.0, 0.0, 1.0])
    nulls = np.array([2.0, 1.0, 1.0, 0.0])
    scores = np.repeat(p, 2)
    labels = np.array([1, 0, 1, 0, 0, 0, 1, 0])
    weights = np.array([1, 2, 2, 1, 0, 1, 1, 0], dtype=float)
    unrolled_scores = np.repeat(scores, weights.astype(int))
    unrolled_labels = np.repeat(labels, weights.astype(int))
    pos, neg = unrolled_scores[unrolled_labels == 1], unrolled_scores[unrolled_labels == 0]
    brute_auc = np.mean([(a > b) + 0.5 * (a == b) for a in pos for b in neg])
    assert _weighted_auc(p, conversions, nulls) == pytest.approx(brute_auc)
    brute_loss = -np.mean(np.where(unrolled_labels == 1, np.log(unrolled_scores), np.log(1 - unrolled_scores)))
    assert _weighted_log_loss(p, conversions, nulls) == pytest.approx(brute_loss)


def test_fractional_counts_are_refused() -> None:
    j = Journeys.from_sequences([["A"]], conversions=[0.5], nulls=[1])
    with pytest.raises(AttributionError, match="must be whole numbers"):
        select_order(j)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"max_order": 0}, "'max_order' must be a positive integer"),
        ({"cv": 1}, "'cv' must be an integer >= 2"),
        ({"metric": "accuracy"}, "'metric' must be 'log_loss' or 'auc'"),
    ],
)
def test_parameters_are_validated(order_matters: Journeys, kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(ParameterError, match=message):
        select_order(order_matters, **kwargs)  # type: ignore[arg-type]
