"""Shapley values: SPEC.md §8, axioms on random games, brute force, sampling statistics, Counterfactual."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from attribution import AttributionError, Journeys, Linear, ParameterError
from attribution.models.shapley import Counterfactual, Shapley, bitmask_game, exact_shapley
from attribution.testing import check_model
from attribution.testing.strategies import journeys


def test_spec_subset_sum(spec_journeys: Journeys) -> None:
    result = Shapley().attribute(spec_journeys)
    assert result.credits["conversions"].tolist() == pytest.approx([7 / 6, 2 / 3, 13 / 6], rel=1e-12)
    assert result.method == "closed form"


def test_spec_conversion_rate_raw_rescaled_and_dividends(spec_journeys: Journeys) -> None:
    result = Shapley(value="conversion_rate").attribute(spec_journeys)
    assert result.raw_values.tolist() == pytest.approx([1 / 3, 1 / 12, 7 / 12], rel=1e-12)
    assert result.raw_values.sum() == pytest.approx(1.0)  # v(N) - v(∅) = 1 - 0
    assert result.credits["conversions"].tolist() == pytest.approx([4 / 3, 1 / 3, 7 / 3], rel=1e-12)
    dividends = result.coalitions()["dividend"]
    assert dividends[dividends.abs() > 1e-12].to_dict() == pytest.approx({"C": 0.5, "B + C": -0.5, "A + B + C": 1.0})
    assert result.method == "exact"


def test_spec_extra_case_subset_sum_repeated_channel() -> None:
    j = Journeys.from_sequences([["A", "A", "B"]], conversions=[1])
    assert Shapley().attribute(j).credits["conversions"].tolist() == pytest.approx([0.5, 0.5])


def test_counterfactual_matches_fractribution(spec_journeys: Journeys) -> None:
    assert Counterfactual().attribute(spec_journeys).credits["conversions"].tolist() == pytest.approx([0.8, 0.4, 2.8])


def test_counterfactual_falls_back_to_last_touch() -> None:
    """A > B alone: removing either touch leaves an unseen path (p = 0) — gains 1, 1; B > A unseen too."""
    j = Journeys.from_sequences([["A", "B"], ["A"], ["B"]], conversions=[1, 1, 1], nulls=[0, 0, 0])
    # every gain is 0 (all paths convert at rate 1): the last touch takes it
    assert Counterfactual().attribute(j).credits["conversions"].tolist() == pytest.approx([1.0, 2.0])


@given(journeys())
def test_subset_sum_is_linear_over_distinct_channels(j: Journeys) -> None:
    expected = Linear().attribute(j.first_occurrences()).credits["conversions"].to_numpy()
    np.testing.assert_allclose(
        Shapley().attribute(j).credits["conversions"].to_numpy(), expected, rtol=1e-12, atol=1e-12
    )


def _brute_force(values: np.ndarray, n: int) -> np.ndarray:
    phi = np.zeros(n)
    for perm in itertools.permutations(range(n)):
        mask = 0
        for i in perm:
            phi[i] += values[mask | (1 << i)] - values[mask]
            mask |= 1 << i
    return phi / math.factorial(n)


games = st.integers(1, 6).flatmap(
    lambda n: st.tuples(st.just(n), st.lists(st.floats(-10, 10), min_size=2**n, max_size=2**n))
)


@settings(max_examples=80, deadline=None)
@given(games)
def test_exact_equals_brute_force_and_keeps_the_axioms(game: tuple[int, list[float]]) -> None:
    n, raw = game
    values = np.array(raw)
    phi, _ = exact_shapley(values, n)
    np.testing.assert_allclose(phi, _brute_force(values, n), rtol=1e-9, atol=1e-9)
    assert phi.sum() == pytest.approx(values[-1] - values[0], abs=1e-9)  # efficiency
    # additivity: φ(v + w) = φ(v) + φ(w)
    other = np.cos(np.arange(2**n))
    np.testing.assert_allclose(exact_shapley(values + other, n)[0], phi + exact_shapley(other, n)[0], atol=1e-9)


def test_exact_equals_brute_force_for_seven_players() -> None:
    values = np.random.default_rng(7).normal(size=2**7)
    np.testing.assert_allclose(exact_shapley(values, 7)[0], _brute_force(values, 7), atol=1e-9)


def test_symmetry_and_null_player() -> None:
    """v(S) = [0 ∈ S and 1 ∈ S]: players 0 and 1 are symmetric, player 2 is null."""
    masks = np.arange(8)
    values = ((masks & 0b011) == 0b011).astype(float)
    phi, _ = exact_shapley(values, 3)
    assert phi.tolist() == pytest.approx([0.5, 0.5, 0.0])


def test_callable_games_over_sets_and_bitmasks_agree(spec_journeys: Journeys) -> None:
    def squares(coalition: frozenset[str]) -> float:
        return float(len(coalition) ** 2 + ("C" in coalition))

    @bitmask_game
    def squares_by_mask(masks: np.ndarray) -> np.ndarray:
        size = np.array([bin(m).count("1") for m in masks.tolist()], dtype=float)
        return size**2 + ((masks >> 2) & 1)

    by_set = Shapley(value=squares).attribute(spec_journeys).raw_values
    by_mask = Shapley(value=squares_by_mask).attribute(spec_journeys).raw_values
    assert by_set.tolist() == pytest.approx(by_mask.tolist())
    assert by_set.tolist() == pytest.approx([3.0, 3.0, 4.0])


def test_markov_game_sums_to_the_chain_conversion_probability(spec_journeys: Journeys) -> None:
    result = Shapley(value="markov").attribute(spec_journeys)
    assert result.raw_values.sum() == pytest.approx(4 / 9)
    assert result.credits["conversions"].sum() == pytest.approx(4.0)


def test_sampling_intervals_cover_at_the_nominal_rate(spec_journeys: Journeys) -> None:
    """200 seeds × 3 channels: ~95 % of estimate ± 1.96 SE intervals hold the exact value."""
    exact = Shapley(value="conversion_rate").attribute(spec_journeys).raw_values.to_numpy()
    covered = 0
    trials = 200
    for seed in range(trials):
        r = Shapley(value="conversion_rate", method="sampling", n_permutations=40, seed=seed).attribute(spec_journeys)
        low = r.raw_values.to_numpy() - 1.96 * r.standard_errors.to_numpy()
        high = r.raw_values.to_numpy() + 1.96 * r.standard_errors.to_numpy()
        covered += int(np.sum((low <= exact) & (exact <= high)))
    rate = covered / (3 * trials)
    assert 0.89 <= rate <= 0.99, rate  # binomial 99.9 % band around 0.95 is about ±0.03, plus small-sample t slack


def test_sampling_error_shrinks_like_one_over_root_n(spec_journeys: Journeys) -> None:
    small = Shapley(value="conversion_rate", method="sampling", n_permutations=1_000, seed=3).attribute(spec_journeys)
    large = Shapley(value="conversion_rate", method="sampling", n_permutations=16_000, seed=3).attribute(spec_journeys)
    ratio = small.standard_errors.to_numpy() / large.standard_errors.to_numpy()
    np.testing.assert_allclose(ratio, 4.0, rtol=0.15)


def test_sampling_stops_at_the_requested_precision(spec_journeys: Journeys) -> None:
    r = Shapley(value="conversion_rate", method="sampling", precision=0.01, n_permutations=100_000, seed=0).attribute(
        spec_journeys
    )
    assert r.standard_errors.max() <= 0.01
    assert r.n_permutations < 100_000


def test_sampling_is_reproducible_with_a_seed(spec_journeys: Journeys) -> None:
    a = Shapley(value="conversion_rate", method="sampling", n_permutations=100, seed=5).attribute(spec_journeys)
    b = Shapley(value="conversion_rate", method="sampling", n_permutations=100, seed=5).attribute(spec_journeys)
    assert a.raw_values.equals(b.raw_values)


def test_auto_switches_to_sampling_beyond_the_exact_limit(spec_journeys: Journeys) -> None:
    r = Shapley(value="conversion_rate", max_exact_channels=2, n_permutations=50, seed=0).attribute(spec_journeys)
    assert r.method == "sampling"
    with pytest.raises(AttributionError, match="exact method only"):
        r.coalitions()


def test_negative_values_are_shown_and_get_no_credit() -> None:
    """v: {A} = 1, {B} = 1, {A, B} = 0 → φ = (0, 0); {A} = 1, {A,B} = 0.5, {B} = 0 → φ_B < 0."""
    j = Journeys.from_sequences([["A"], ["A", "B"]], conversions=[1, 1], nulls=[0, 1])
    result = Shapley(value="conversion_rate").attribute(j)
    assert result.raw_values["B"] < 0
    assert result.credits.loc["B", "conversions"] == 0.0
    assert result.credits["conversions"].sum() == pytest.approx(2.0)


def test_when_nothing_is_positive_the_conversions_are_reported_unattributed() -> None:
    j = Journeys.from_sequences([["A"], ["B"]], conversions=[1, 1])  # {A, B} never seen: φ = (0, 0)
    result = Shapley(value="conversion_rate").attribute(j)
    assert result.raw_values.tolist() == pytest.approx([0.0, 0.0])
    assert result.unattributed == (2.0, 0.0)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"value": "clicks"}, r"parameter 'value' of Shapley must be 'conversions', 'conversion_rate', 'markov' or a "),
        ({"method": "monte"}, r"parameter 'method' of Shapley must be one of 'auto', 'exact', 'sampling'; got 'monte'"),
        ({"n_permutations": 0}, r"parameter 'n_permutations' of Shapley must be an integer >= 1; got 0\."),
        ({"n_permutations": True}, r"parameter 'n_permutations' of Shapley must be an integer >= 1; got True\."),
        ({"precision": -1.0}, r"parameter 'precision' of Shapley must be a finite number > 0; got -1\.0\."),
        ({"seed": -1}, r"parameter 'seed' of Shapley must be an integer >= 0; got -1\."),
        ({"seed": "abc"}, r"parameter 'seed' of Shapley must be an integer >= 0; got 'abc'\."),
        ({"max_exact_channels": 0}, r"parameter 'max_exact_channels' of Shapley must be an integer >= 1; got 0\."),
        ({"unobserved": float("nan")}, r"parameter 'unobserved' of Shapley must be a finite number; got nan\."),
        ({"order": 0}, r"parameter 'order' of Shapley must be an integer >= 1; got 0\."),
        ({"collapse_repeats": 1}, r"parameter 'collapse_repeats' of Shapley must be True or False; got 1\."),
        ({"max_states": 0}, r"parameter 'max_states' of Shapley must be an integer >= 1; got 0\."),
    ],
)
def test_parameters_are_validated(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(ParameterError, match=message):
        Shapley(**kwargs)  # type: ignore[arg-type]


def test_the_name_says_the_game_then_every_other_non_default_parameter() -> None:
    assert Shapley().name == "Shapley (conversions)"
    assert Shapley(value="conversion_rate").name == "Shapley (conversion_rate)"
    assert Shapley(value="markov", order=2).name == "Shapley (markov, order=2)"
    assert Shapley(value="markov", collapse_repeats=False, max_states=10).name == (
        "Shapley (markov, collapse_repeats=False, max_states=10)"
    )
    assert Shapley(value="conversion_rate", method="sampling", seed=3).name == (
        "Shapley (conversion_rate, method='sampling', seed=3)"
    )
    assert Shapley(value="conversion_rate", unobserved=0.5, max_exact_channels=12).name == (
        "Shapley (conversion_rate, max_exact_channels=12, unobserved=0.5)"
    )


def test_a_callable_game_is_named_by_its_function() -> None:
    def reach(coalition: frozenset[str]) -> float:
        return float(len(coalition))

    assert Shapley(value=reach).name == "Shapley (reach)"
    assert Shapley(value=reach, method="exact").name == "Shapley (reach, method='exact')"


def test_params_are_every_field() -> None:
    assert Shapley(value="markov", order=2).params() == {
        "value": "markov",
        "method": "auto",
        "n_permutations": None,
        "precision": None,
        "seed": None,
        "max_exact_channels": 20,
        "unobserved": 0.0,
        "order": 2,
        "collapse_repeats": True,
        "max_states": 200_000,
    }
    model = Shapley(value="conversion_rate", method="sampling", n_permutations=10, seed=1)
    assert Shapley(**model.params()) == model


def test_the_result_carries_the_model_spec(spec_journeys: Journeys) -> None:
    model = Shapley(value="markov", order=2)
    result = model.attribute(spec_journeys)
    assert result.model.name == "Shapley (markov, order=2)"
    assert result.model.params == model.params()


def test_numpy_numbers_are_taken_as_python_numbers() -> None:
    model = Shapley(order=np.int64(2), unobserved=np.float64(0.5), n_permutations=np.int32(10), seed=np.uint8(3))
    assert model == Shapley(order=2, unobserved=0.5, n_permutations=10, seed=3)
    assert [type(model.order), type(model.unobserved), type(model.n_permutations), type(model.seed)] == [
        int,
        float,
        int,
        int,
    ]
    assert model.name == "Shapley (conversions, n_permutations=10, seed=3, unobserved=0.5, order=2)"


def test_counterfactual_identity_is_derived() -> None:
    assert Counterfactual().name == "Counterfactual"
    assert Counterfactual().params() == {}
    assert Counterfactual() == Counterfactual()


@pytest.mark.parametrize("model", [Shapley(), Counterfactual()], ids=repr)
def test_contract(model: object) -> None:
    check_model(model, max_examples=30)  # type: ignore[arg-type]


def test_contract_of_the_conversion_rate_game() -> None:
    """Every invariant but the single-touch rule, which this game breaks by definition (see below)."""
    check_model(Shapley(value="conversion_rate"), max_examples=30, single_touch_rule=False)


def test_conversion_rate_game_breaks_the_single_touch_rule_by_definition() -> None:
    """Paths A (rate 1) and B (rate 1/2), never together: v(AB) = 0 (unobserved), so
    φ_A = v(A)/2 - v(B)/2 = 1/4 and φ_B = -1/4; B's own conversions go to A."""
    j = Journeys.from_sequences([["A"], ["B"]], conversions=[1, 1], nulls=[0, 1])
    result = Shapley(value="conversion_rate").attribute(j)
    assert result.raw_values.tolist() == pytest.approx([0.25, -0.25])
    assert result.credits["conversions"].tolist() == pytest.approx([2.0, 0.0])


@given(journeys())
def test_subset_sum_by_bitmasks_equals_the_per_touch_route(j: Journeys) -> None:
    fast = Shapley().attribute(j).credits
    per_path = Shapley().attribute(j, per_path=True)  # the per-touch route, which keeps path credits
    np.testing.assert_allclose(fast.to_numpy(), per_path.credits.to_numpy(), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(per_path.path_credits().sum(axis=0), fast["conversions"].to_numpy(), atol=1e-9)


@settings(max_examples=60, deadline=None)
@given(games)
def test_null_player_and_symmetry_on_random_games(game: tuple[int, list[float]]) -> None:
    n, raw = game
    base = np.array(raw)
    # add a null player (bit n): v(S ∪ {null}) = v(S)
    with_null = np.concatenate([base, base])
    phi, _ = exact_shapley(with_null, n + 1)
    assert phi[n] == pytest.approx(0.0, abs=1e-9)
    if n >= 2:
        # symmetrise players 0 and 1: v(S) = (g(S) + g(swap(S))) / 2
        masks = np.arange(2**n)
        swapped = (masks & ~0b11) | ((masks & 1) << 1) | ((masks >> 1) & 1)
        symmetric = (base + base[swapped]) / 2
        phi, _ = exact_shapley(symmetric, n)
        assert phi[0] == pytest.approx(phi[1], abs=1e-9)
