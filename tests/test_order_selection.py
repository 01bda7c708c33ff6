"""select_order: held-out scoring of Markov orders, folds that respect counts, metrics."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from attribution import AttributionError, Journeys, MarkovChain, ParameterError, select_order
from attribution.models.order_selection import _fold_counts, _weighted_auc, _weighted_log_loss, predictive_validity


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
        ({"max_order": 0}, r"parameter 'max_order' of select_order must be an integer >= 1; got 0\. Fix: pass e"),
        ({"max_order": 2.0}, r"parameter 'max_order' of select_order must be an integer >= 1; got 2\.0"),
        ({"cv": 1}, r"parameter 'cv' of select_order must be an integer >= 2; got 1\. Fix: pass e\.g\. cv=5"),
        (
            {"metric": "accuracy"},
            r"parameter 'metric' of select_order must be one of 'log_loss', 'auc'; got 'accuracy'",
        ),
        ({"collapse_repeats": 1}, r"parameter 'collapse_repeats' of select_order must be True or False; got 1"),
    ],
)
def test_parameters_are_validated(order_matters: Journeys, kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(ParameterError, match=message):
        select_order(order_matters, **kwargs)  # type: ignore[arg-type]


# ---------------------------------------------------------------- one pass, both metrics
@pytest.fixture
def three_channels() -> Journeys:
    return Journeys.from_sequences(
        [["A", "B"], ["B", "A"], ["A"], ["B"], ["A", "C", "B"], ["C"]],
        conversions=[30, 5, 10, 10, 7, 2],
        nulls=[10, 35, 30, 30, 9, 20],
        value=[300, 50, 100, 100, 70, 20],
    )


def test_predictive_validity_gives_the_same_numbers_as_before_one_pass(three_channels: Journeys) -> None:
    """Pinned: the table the two-pass implementation (select_order once per metric) gave for seed 5."""
    table = predictive_validity(three_channels, max_order=3, cv=3, seed=5)
    expected = pd.DataFrame(
        {
            "log_loss": [0.9061938564954449, 0.9129854404582414, 0.9129854404582414],
            "log_loss_std": [0.616481732523199, 0.5655637903493278, 0.5655637903493278],
            "auc": [0.6924223615065861, 0.6937889205268885, 0.6937889205268885],
            "auc_std": [0.0705163576667003, 0.0844677645851215, 0.0844677645851215],
        },
        index=pd.RangeIndex(1, 4, name="order"),
    )
    pd.testing.assert_frame_equal(table, expected, check_exact=True)


def test_select_order_gives_the_same_fold_scores_as_before(three_channels: Journeys) -> None:
    """Pinned fold scores of the implementation before the one-pass change, both metrics, seed 5."""
    by_loss = select_order(three_channels, max_order=3, cv=3, seed=5)
    assert by_loss.best_order == 1
    assert by_loss.scores["fold 3"].tolist() == [1.6177748021100462, 1.5481278892633314, 1.5481278892633314]
    by_auc = select_order(three_channels, max_order=3, cv=3, seed=5, metric="auc")
    assert by_auc.best_order == 2
    assert by_auc.scores["fold 1"].tolist() == [0.6991071428571428, 0.7660714285714286, 0.7660714285714286]


def test_predictive_validity_fits_each_order_once_per_fold(three_channels: Journeys) -> None:
    """One cross-validation pass: cv × max_order fits, not one pass per metric."""
    from unittest import mock

    with mock.patch(
        "attribution.models.order_selection.MarkovChain.fit", autospec=True, side_effect=MarkovChain.fit
    ) as fit:
        predictive_validity(three_channels, max_order=2, cv=3, seed=1)
    assert fit.call_count == 3 * 2


def test_predictive_validity_is_importable_from_evaluate() -> None:
    from attribution.evaluate import predictive_validity as from_evaluate

    assert from_evaluate is predictive_validity


def test_predictive_validity_checks_its_parameters(three_channels: Journeys) -> None:
    with pytest.raises(ParameterError, match=r"parameter 'cv' of predictive_validity must be an integer >= 2; got 1"):
        predictive_validity(three_channels, cv=1)
