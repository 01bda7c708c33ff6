"""Determinism: the same input gives bit-identical output, and seeded randomness repeats exactly.

- every model gives bit-identical credits (and extras) on repeated calls, and on a fresh
  ``Journeys`` built from the same input;
- ``from_events`` sorts, so a row-shuffled event log gives the same journeys and bit-identical
  credits;
- seeded randomness repeats exactly: Shapley permutation sampling, ``bootstrap``, ``simulate``,
  ``select_order`` and ``predictive_validity`` with the same seed give bit-identical results,
  and different seeds give different ones.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from attribution import (
    FirstTouch,
    Journeys,
    LastNonDirect,
    LastTouch,
    Linear,
    MarkovChain,
    PositionBased,
    Shapley,
    TimeDecay,
    compare,
    select_order,
)
from attribution.evaluate import bootstrap, predictive_validity, simulate
from attribution.models import Counterfactual, DegenerateChainWarning
from attribution.testing.strategies import event_logs, journeys

SETTINGS = settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])

MODELS: dict[str, Any] = {
    "FirstTouch": FirstTouch(),
    "LastTouch": LastTouch(),
    "LastNonDirect": LastNonDirect(skip=("A",)),
    "Linear": Linear(),
    "PositionBased": PositionBased.u_shaped(),
    "TimeDecay": TimeDecay("1D"),
    "MarkovChain order 1": MarkovChain(),
    "MarkovChain order 2": MarkovChain(order=2),
    "MarkovChain order 3": MarkovChain(order=3),
    "Shapley conversions": Shapley(),
    "Shapley conversion_rate": Shapley(value="conversion_rate"),
    "Shapley markov": Shapley(value="markov"),
    "Shapley sampling seeded": Shapley(value="conversion_rate", method="sampling", n_permutations=40, seed=7),
    "Counterfactual": Counterfactual(),
}


# ---------------------------------------------------------------------- helpers
def _bits(values: Any) -> bytes:
    """The exact bytes of a float array (so -0.0 != 0.0 and NaN payloads count)."""
    return np.ascontiguousarray(np.asarray(values, dtype=np.float64)).tobytes()


def _assert_frames_bit_identical(a: pd.DataFrame, b: pd.DataFrame) -> None:
    pd.testing.assert_frame_equal(a, b, check_exact=True)
    for column in a.columns:
        if pd.api.types.is_float_dtype(a[column].dtype):
            assert _bits(a[column].to_numpy()) == _bits(b[column].to_numpy()), f"column {column!r} differs in its bits"


def _fingerprint(result: Any) -> dict[str, Any]:
    """Everything numeric a result exposes, for bit-level comparison."""
    out: dict[str, Any] = {
        "credits": result.credits,
        "unattributed": _bits(list(result.unattributed)),
        "channels": result.channels,
    }
    for extra in ("removal_effects", "raw_values", "standard_errors"):
        if hasattr(result, extra):
            value = getattr(result, extra)
            out[extra] = value.to_frame() if isinstance(value, pd.Series) else value
    if hasattr(result, "chain"):
        out["conversion_probability"] = _bits([result.chain.conversion_probability])
    return out


def _assert_same_result(a: Any, b: Any) -> None:
    fa, fb = _fingerprint(a), _fingerprint(b)
    assert fa.keys() == fb.keys()
    for key in fa:
        if isinstance(fa[key], pd.DataFrame):
            _assert_frames_bit_identical(fa[key], fb[key])
        else:
            assert fa[key] == fb[key], key


def _attribute(model: Any, j: Journeys) -> Any:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DegenerateChainWarning)
        return model.attribute(j)


def _copy_of(j: Journeys) -> Journeys:
    """A fresh, equal Journeys object (no cached touch rows)."""
    return Journeys(
        j.codes.copy(),
        j.offsets.copy(),
        list(j.channels),
        j.conversions.copy(),
        j.nulls.copy(),
        j.value.copy(),
        times=None if j.times is None else j.times.copy(),
    )


EVENT_ARGS = {"user": "user", "time": "time", "channel": "channel", "conversion": "converted", "value": "value"}


# ---------------------------------------------------------------------- repeated calls
@pytest.mark.parametrize("name", list(MODELS))
@SETTINGS
@given(j=journeys(with_times=True))
def test_repeated_calls_give_bit_identical_results(name: str, j: Journeys) -> None:
    """A model attributing the same journeys three times (and a fresh equal copy) gives identical bits."""
    assume(j.total_conversions - j.unattributed_conversions > 0)
    model = MODELS[name]
    first = _attribute(model, j)
    _assert_same_result(first, _attribute(model, j))
    _assert_same_result(first, _attribute(model, j))
    _assert_same_result(first, _attribute(model, _copy_of(j)))


def test_compare_twice_gives_bit_identical_tables() -> None:
    """compare() with the default models gives the same long table, to the bit, on a second call."""
    j = Journeys.from_sequences(
        [["A", "B", "C"], ["A", "C"], ["B"], ["C"], ["A", "B"]],
        conversions=[2, 1, 0, 1, 0],
        nulls=[0, 1, 2, 1, 1],
        value=[200, 50, 0, 30, 0],
    )
    _assert_frames_bit_identical(compare(j).long(), compare(j).long())


# ---------------------------------------------------------------------- shuffled event logs
@SETTINGS
@given(
    log=event_logs(),
    data=st.data(),
    options=st.sampled_from([{}, {"lookback": "2D"}, {"max_touches": 2}, {"split_on_conversion": False}]),
)
def test_a_row_shuffled_event_log_gives_identical_journeys_and_credits(
    log: pd.DataFrame, data: st.DataObject, options: dict[str, Any]
) -> None:
    """from_events sorts: any row order (and index) gives equal journeys and bit-identical credits of every model."""
    order = data.draw(st.permutations(list(range(len(log)))), label="row order")
    shuffled = log.iloc[order]
    if data.draw(st.booleans(), label="reset index"):
        shuffled = shuffled.reset_index(drop=True)
    a = Journeys.from_events(log, **EVENT_ARGS, **options)
    b = Journeys.from_events(shuffled, **EVENT_ARGS, **options)
    assert a == b
    assert a.times is not None
    assert b.times is not None
    assert _bits(a.times) == _bits(b.times)
    if a.total_conversions - a.unattributed_conversions <= 0:
        return
    for model in MODELS.values():
        _assert_same_result(_attribute(model, a), _attribute(model, b))


# ---------------------------------------------------------------------- seeded randomness
@pytest.fixture(scope="module")
def busy_journeys() -> Journeys:
    """Five channels with interactions, so sampled Shapley values and resamples genuinely vary."""
    rng = np.random.default_rng(0)
    channels = ["A", "B", "C", "D", "E"]
    paths = [list(rng.choice(channels, size=rng.integers(1, 5))) for _ in range(40)]
    conversions = rng.integers(0, 6, size=40)
    nulls = rng.integers(1, 6, size=40)
    return Journeys.from_sequences(paths, conversions=conversions, nulls=nulls, value=conversions * 10.0)


@pytest.mark.parametrize("game", ["conversion_rate", "markov"])
def test_shapley_sampling_with_a_seed_repeats_and_other_seeds_differ(busy_journeys: Journeys, game: str) -> None:
    """Shapley(method='sampling', seed=s) is bit-identical for one seed; another seed gives other values."""

    def run(seed: int) -> Any:
        return Shapley(value=game, method="sampling", n_permutations=30, seed=seed).attribute(busy_journeys)

    first = run(3)
    assert first.method == "sampling"
    _assert_same_result(first, run(3))
    assert _bits(run(4).raw_values) != _bits(first.raw_values)


def test_shapley_sampling_without_a_seed_still_conserves(busy_journeys: Journeys) -> None:
    """Unseeded sampling may differ run to run, but each run shares all attributable conversions."""
    result = Shapley(value="conversion_rate", method="sampling", n_permutations=10).attribute(busy_journeys)
    total = result.credits["conversions"].sum() + result.unattributed.conversions
    assert total == pytest.approx(busy_journeys.total_conversions, rel=1e-9)


@pytest.mark.parametrize("model", [Linear(), MarkovChain()], ids=["Linear", "MarkovChain"])
def test_bootstrap_with_a_seed_repeats_and_other_seeds_differ(busy_journeys: Journeys, model: Any) -> None:
    """bootstrap(seed=s) gives bit-identical intervals and replicates; another seed gives other replicates."""
    first = bootstrap(busy_journeys, model, n=20, seed=11)
    again = bootstrap(busy_journeys, model, n=20, seed=11)
    for name in ("estimate", "intervals", "replicates"):
        _assert_frames_bit_identical(getattr(first, name), getattr(again, name))
    pd.testing.assert_series_equal(first.rank_stability, again.rank_stability, check_exact=True)
    other = bootstrap(busy_journeys, model, n=20, seed=12)
    assert _bits(other.replicates.to_numpy()) != _bits(first.replicates.to_numpy())


def test_simulate_with_a_seed_repeats_and_other_seeds_differ() -> None:
    """simulate(seed=s) gives the same event log, truth and counts; another seed gives another log."""
    first = simulate(400, seed=5)
    again = simulate(400, seed=5)
    _assert_frames_bit_identical(first.events, again.events)
    _assert_frames_bit_identical(first.truth, again.truth)
    assert (first.conversions, first.baseline_conversions, first.conversions_without_channels) == (
        again.conversions,
        again.baseline_conversions,
        again.conversions_without_channels,
    )
    assert first.parameters == again.parameters
    other = simulate(400, seed=6)
    assert not other.events.equals(first.events)


def test_simulated_logs_build_bit_identical_journeys() -> None:
    """Two simulations with one seed build equal journeys and bit-identical Markov credits."""
    args = {"user": "user", "time": "time", "channel": "channel", "conversion": "converted", "value": "value"}
    a = Journeys.from_events(simulate(300, seed=9).events, **args)
    b = Journeys.from_events(simulate(300, seed=9).events, **args)
    assert a == b
    _assert_same_result(_attribute(MarkovChain(), a), _attribute(MarkovChain(), b))


@pytest.mark.parametrize("metric", ["log_loss", "auc"])
def test_select_order_with_a_seed_repeats_and_other_seeds_differ(busy_journeys: Journeys, metric: str) -> None:
    """select_order(seed=s) gives bit-identical fold scores; another seed splits the folds differently."""
    first = select_order(busy_journeys, max_order=2, cv=3, metric=metric, seed=21)
    again = select_order(busy_journeys, max_order=2, cv=3, metric=metric, seed=21)
    _assert_frames_bit_identical(first.scores, again.scores)
    assert first.best_order == again.best_order
    other = select_order(busy_journeys, max_order=2, cv=3, metric=metric, seed=22)
    assert _bits(other.scores.to_numpy()) != _bits(first.scores.to_numpy())


def test_predictive_validity_with_a_seed_repeats(busy_journeys: Journeys) -> None:
    """predictive_validity(seed=s) gives a bit-identical table twice."""
    first = predictive_validity(busy_journeys, max_order=2, cv=3, seed=2)
    again = predictive_validity(busy_journeys, max_order=2, cv=3, seed=2)
    _assert_frames_bit_identical(first, again)


def test_seeded_calls_do_not_touch_the_global_random_state(busy_journeys: Journeys) -> None:
    """Seeded sampling, bootstrap and order selection leave numpy's global random state alone."""
    before = np.random.get_state(legacy=False)  # noqa: NPY002 - the global state is what is checked
    Shapley(value="conversion_rate", method="sampling", n_permutations=10, seed=1).attribute(busy_journeys)
    bootstrap(busy_journeys, Linear(), n=5, seed=1)
    select_order(busy_journeys, max_order=1, cv=2, seed=1)
    simulate(50, seed=1)
    after = np.random.get_state(legacy=False)  # noqa: NPY002
    assert before["bit_generator"] == after["bit_generator"]
    np.testing.assert_array_equal(after["state"]["key"], before["state"]["key"])
    assert after["state"]["pos"] == before["state"]["pos"]
