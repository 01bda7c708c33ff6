"""Models under hostile input: custom games, rounding, memory, key overflow, pickling, error classes, magnitudes."""

from __future__ import annotations

import pickle
import signal
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

import attribution.models.shapley as shapley_module
from attribution import JourneyError, Journeys, ParameterError
from attribution.models import (
    Counterfactual,
    FirstTouch,
    LastNonDirect,
    LastTouch,
    Linear,
    MarkovChain,
    PositionBased,
    Shapley,
    TimeDecay,
    bitmask_game,
    select_order,
)
from attribution.models.rules import SkipLabelsNotFoundWarning

DAY = 86_400.0


@contextmanager
def deadline(seconds: int) -> Iterator[None]:
    """Fail with TimeoutError instead of hanging (SIGALRM interrupts a Python loop; POSIX only)."""
    if not hasattr(signal, "SIGALRM"):
        pytest.skip("no SIGALRM on this platform to bound the test's time")

    def stop(signum: int, frame: object) -> None:
        raise TimeoutError(f"still running after {seconds} s")

    previous = signal.signal(signal.SIGALRM, stop)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def _spec_like(scale: float = 1.0, *, times: bool = False) -> Journeys:
    """Data D of SPEC §7 plus an empty converting path, every count and value times ``scale``."""
    return Journeys.from_sequences(
        [["A", "B", "C"], ["A", "C"], ["B"], ["C"], ["A", "B"], []],
        conversions=np.array([2, 1, 0, 1, 0, 1.0]) * scale,
        nulls=np.array([0, 1, 2, 1, 1, 0.0]) * scale,
        value=np.array([2, 1, 0, 1, 0, 1.0]) * scale,
        times=[[14 * DAY, 7 * DAY, 0.0], [7 * DAY, 0.0], [0.0], [0.0], [DAY, 0.0], []] if times else None,
    )


# ---------------------------------------------------------------- 1. custom Shapley games


def _nan_for_a_and_b(coalition: frozenset[str]) -> float:
    return float("nan") if coalition == {"A", "B"} else float(len(coalition))


@pytest.mark.parametrize("method", ["exact", "sampling"])
def test_a_set_game_returning_nan_names_the_coalition(spec_journeys: Journeys, method: str) -> None:
    with pytest.raises(ParameterError, match=r"returned nan for coalition \{A, B\}.*Fix: return a finite number"):
        Shapley(value=_nan_for_a_and_b, method=method, seed=0).attribute(spec_journeys)  # type: ignore[arg-type]


@pytest.mark.parametrize(("infinite", "shown"), [(np.inf, "inf"), (-np.inf, "-inf")])
def test_a_set_game_returning_infinity_names_the_coalition(
    spec_journeys: Journeys, infinite: float, shown: str
) -> None:
    def game(coalition: frozenset[str]) -> float:
        return infinite if coalition == {"C"} else 1.0

    with pytest.raises(ParameterError, match=rf"'game' returned {shown} for coalition \{{C\}}"):
        Shapley(value=game).attribute(spec_journeys)


@pytest.mark.parametrize(("answer", "kind"), [("1.5", "str"), (None, "NoneType"), ([1, 2], "list")])
def test_a_set_game_returning_a_non_number_is_a_parameter_error(
    spec_journeys: Journeys, answer: object, kind: str
) -> None:
    def game(coalition: frozenset[str]) -> object:
        return answer if coalition == {"A"} else 0.0

    with pytest.raises(ParameterError, match=rf"\(a {kind}\) for coalition \{{A\}}, not a number"):
        Shapley(value=game).attribute(spec_journeys)


def test_a_set_game_returning_an_int_too_large_for_float64_is_a_parameter_error(spec_journeys: Journeys) -> None:
    with pytest.raises(ParameterError, match=r"for coalition \{\} \(the empty coalition\), which float64 cannot hold"):
        Shapley(value=lambda coalition: 10**400).attribute(spec_journeys)


def test_a_bitmask_game_returning_the_wrong_length_is_a_parameter_error(spec_journeys: Journeys) -> None:
    @bitmask_game
    def one_too_many(masks: np.ndarray) -> np.ndarray:
        return np.ones(len(masks) + 1)

    with pytest.raises(ParameterError, match=r"'one_too_many' returned 9 value\(s\) \(shape \(9,\)\) for 8 coalitions"):
        Shapley(value=one_too_many).attribute(spec_journeys)


def test_a_bitmask_game_returning_nan_names_the_coalition(spec_journeys: Journeys) -> None:
    @bitmask_game
    def nan_at_a_c(masks: np.ndarray) -> np.ndarray:
        return np.where(masks == 0b101, np.nan, 1.0)  # bit 0 is A, bit 2 is C

    with pytest.raises(ParameterError, match=r"returned nan for coalition \{A, C\}"):
        Shapley(value=nan_at_a_c).attribute(spec_journeys)


def test_a_bitmask_game_returning_text_is_a_parameter_error(spec_journeys: Journeys) -> None:
    @bitmask_game
    def words(masks: np.ndarray) -> list[str]:
        return ["x"] * len(masks)

    with pytest.raises(ParameterError, match=r"'words' returned \['x', .*not an array of numbers"):
        Shapley(value=words).attribute(spec_journeys)


def test_an_exception_raised_by_the_users_game_propagates_unchanged(spec_journeys: Journeys) -> None:
    def game(coalition: frozenset[str]) -> float:
        raise KeyError("the user's own lookup failed")

    with pytest.raises(KeyError, match="the user's own lookup failed"):
        Shapley(value=game).attribute(spec_journeys)


# ---------------------------------------------------------------- 2. rounding noise


def _equal_rates(scale: float) -> Journeys:
    """A and B convert at the same rate 2/7 (from other counts), A > B never: every true φ is 0."""
    return Journeys.from_sequences(
        [["A"], ["B"], ["A", "B"]],
        conversions=np.array([2, 10, 0.0]) * scale,
        nulls=np.array([5, 25, 5.0]) * scale,
    )


@pytest.mark.parametrize("scale", [1e6, 1e-6, 0.1])
def test_conversion_rate_shares_do_not_depend_on_the_scale_of_the_counts(scale: float) -> None:
    model = Shapley(value="conversion_rate")
    base, scaled = model.attribute(_equal_rates(1.0)), model.attribute(_equal_rates(scale))
    assert scaled.raw_values.tolist() == [0.0, 0.0]
    assert scaled.shares.tolist() == base.shares.tolist()
    assert scaled.unattributed.conversions == pytest.approx(12 * scale, rel=1e-12)


def _counterfactual_equal_rates(scale: float) -> Journeys:
    """p(A > B) = p(A) = p(B) = 2/7 from other counts: every leave-one-out gain is 0 (last touch)."""
    return Journeys.from_sequences(
        [["A", "B"], ["B"], ["A"]],
        conversions=np.array([2, 10, 2.0]) * scale,
        nulls=np.array([5, 25, 5.0]) * scale,
    )


@pytest.mark.parametrize("scale", [1e6, 1e-6, 0.1])
def test_counterfactual_shares_do_not_depend_on_the_scale_of_the_counts(scale: float) -> None:
    base = Counterfactual().attribute(_counterfactual_equal_rates(1.0)).shares.to_numpy()
    scaled = Counterfactual().attribute(_counterfactual_equal_rates(scale)).shares.to_numpy()
    np.testing.assert_allclose(scaled, base, rtol=1e-12)


# ---------------------------------------------------------------- 3. exact Shapley memory


def test_max_exact_channels_beyond_the_hard_cap_is_refused_at_construction() -> None:
    with pytest.raises(
        ParameterError,
        match=r"'max_exact_channels' of Shapley must be at most 30; got 40.*Fix: keep max_exact_channels",
    ):
        Shapley(max_exact_channels=40)


@pytest.mark.parametrize(("method", "also"), [("exact", ""), ("auto", r" \(or a lower max_exact_channels")])
def test_exact_values_that_do_not_fit_in_memory_are_refused_before_allocating(
    spec_journeys: Journeys, monkeypatch: pytest.MonkeyPatch, method: str, also: str
) -> None:
    monkeypatch.setattr(shapley_module, "_available_memory", lambda: 1024)
    with pytest.raises(
        ParameterError,
        match=rf"over 3 channels need about .* more than the 1\.0 KB available\. Fix: use method='sampling'{also}",
    ):
        Shapley(value="conversion_rate", method=method).attribute(spec_journeys)  # type: ignore[arg-type]


def test_available_memory_is_read_from_meminfo(tmp_path: Path) -> None:
    meminfo = tmp_path / "meminfo"
    meminfo.write_text("MemTotal:       8000000 kB\nMemFree:        100 kB\nMemAvailable:    2048 kB\n")
    assert shapley_module._available_memory(str(meminfo)) == 2048 * 1024


def test_the_exact_method_evaluates_the_game_in_blocks_of_coalitions() -> None:
    channels = [f"c{i:02d}" for i in range(17)]
    j = Journeys.from_sequences([channels], conversions=[1])
    sizes: list[int] = []

    @bitmask_game
    def size(masks: np.ndarray) -> np.ndarray:
        sizes.append(len(masks))
        return np.array([bin(mask).count("1") for mask in masks.tolist()], dtype=float)

    result = Shapley(value=size, method="exact").attribute(j)
    assert max(sizes) <= shapley_module.MASKS_PER_BLOCK < 2**17
    assert sum(sizes) == 2**17
    np.testing.assert_allclose(result.raw_values.to_numpy(), np.ones(17), rtol=1e-12)


# ---------------------------------------------------------------- 4. Markov state keys


def test_an_order_whose_state_keys_overflow_int64_is_refused_quickly() -> None:
    channels = [f"c{i:03d}" for i in range(138)]  # 139^9 > 2^63
    j = Journeys.from_sequences([channels[:69], channels[69:]], conversions=[1, 0], nulls=[0, 1])
    with (
        deadline(30),
        pytest.raises(
            ParameterError,
            match=r"'order' of MarkovChain is too high for 138 channels.*139\^9 exceeds the 64-bit range.*"
            r"Fix: lower the order to at most 8, .*map_channels.*last_touches\(8\)",
        ),
    ):
        MarkovChain(order=9).fit(j)


# ---------------------------------------------------------------- 5. pickling


def _round_trip(obj: Any) -> Any:
    return pickle.loads(pickle.dumps(obj))


@pytest.mark.parametrize(
    "model",
    [Linear(), MarkovChain(), MarkovChain(order=2), Shapley(value="conversion_rate"), Shapley(value="markov")],
    ids=repr,
)
def test_results_round_trip_through_pickle(spec_journeys: Journeys, model: Any) -> None:
    result = model.attribute(spec_journeys)
    restored = _round_trip(result)
    assert type(restored) is type(result)
    pd.testing.assert_frame_equal(restored.credits, result.credits)
    assert restored.unattributed == result.unattributed


def test_a_pickled_markov_result_keeps_its_removal_effects(spec_journeys: Journeys) -> None:
    result = MarkovChain().attribute(spec_journeys)
    restored = _round_trip(result)
    pd.testing.assert_frame_equal(restored.removal_effects, result.removal_effects)
    assert restored.conversion_probability == result.conversion_probability


@pytest.mark.parametrize("order", [1, 2])
def test_an_unpickled_chain_gives_the_same_removal_effects_and_predictions(spec_journeys: Journeys, order: int) -> None:
    chain = MarkovChain(order=order).fit(spec_journeys)
    restored = _round_trip(chain)
    pd.testing.assert_frame_equal(restored.removal_effects(), chain.removal_effects())
    np.testing.assert_array_equal(restored.predict_proba(spec_journeys), chain.predict_proba(spec_journeys))


@pytest.mark.parametrize(
    "model",
    [
        FirstTouch(),
        LastTouch(),
        LastNonDirect(skip=("Direct", "(none)")),
        Linear(),
        PositionBased.j_curve(),
        TimeDecay("36h"),
        TimeDecay(2, by="position"),
        MarkovChain(order=2, collapse_repeats=False),
        Shapley(value="conversion_rate", method="sampling", seed=3),
        Counterfactual(),
    ],
    ids=repr,
)
def test_models_round_trip_through_pickle(model: Any) -> None:
    restored = _round_trip(model)
    assert restored == model
    assert repr(restored) == repr(model)


# ---------------------------------------------------------------- 6. error classes


def test_time_decay_without_times_is_a_journey_error(spec_journeys: Journeys) -> None:
    with pytest.raises(JourneyError, match=r"needs the time of every touch.*Fix:"):
        TimeDecay().attribute(spec_journeys)


def _no_conversions() -> Journeys:
    return Journeys.from_sequences([["A"], []], conversions=[0, 2], nulls=[3, 0])


def test_nothing_to_attribute_gives_zero_credits_under_every_model() -> None:
    """One rule for every registered model: no conversion on a path with touches (the 2 conversions
    here are on an empty path) gives every channel 0 and reports the 2 as unattributed — no error,
    no model left out of a comparison."""
    from attribution import compare
    from attribution.models.registry import MODELS

    journeys = _no_conversions()
    for name, make in MODELS.items():
        model = make()
        if name == "time_decay":  # these journeys have no touch times
            model = TimeDecay(2, by="position")
        result = model.attribute(journeys)
        assert result.credits["conversions"].tolist() == [0.0], name
        assert result.unattributed.conversions == 2.0, name
    assert len(compare(journeys)) == len(compare(Journeys.from_sequences([["A"]], conversions=[1], nulls=[1])))


def test_markov_per_path_is_a_parameter_error(spec_journeys: Journeys) -> None:
    with pytest.raises(ParameterError, match=r"'per_path' of MarkovChain.attribute must be False.*Fix:"):
        MarkovChain().attribute(spec_journeys, per_path=True)


def test_shapley_per_path_for_a_global_game_is_a_parameter_error(spec_journeys: Journeys) -> None:
    with pytest.raises(ParameterError, match=r"'per_path' of Shapley.attribute must be False.*Fix:"):
        Shapley(value="conversion_rate").attribute(spec_journeys, per_path=True)


def test_a_chain_over_the_state_budget_is_a_parameter_error() -> None:
    j = Journeys.from_sequences([list("ABCDEFG"), list("GFEDCBA")], conversions=[1, 1], nulls=[1, 1])
    with pytest.raises(ParameterError, match=r"over the budget of max_states=5.*Fix:"):
        MarkovChain(order=3, max_states=5).attribute(j)


def test_select_order_with_fractional_counts_is_a_journey_error() -> None:
    j = Journeys.from_sequences([["A"], ["B"]], conversions=[0.5, 1], nulls=[1, 1])
    with pytest.raises(JourneyError, match=r"must be whole numbers; 1 count\(s\) are not, e.g. 0\.5.*Fix:"):
        select_order(j)


def test_select_order_with_counts_beyond_two_to_the_53_is_a_journey_error() -> None:
    j = Journeys.from_sequences([["A"], ["B"]], conversions=[1e300, 1], nulls=[1, 1])
    with pytest.raises(JourneyError, match=r"a count must be at most 2\^53.*got 1e\+300.*Fix:"):
        select_order(j)


# ---------------------------------------------------------------- 7. LastNonDirect


def test_last_non_direct_warns_when_direct_is_spelled_differently_in_the_data() -> None:
    j = Journeys.from_sequences([["Email", "(direct)"], ["(direct)"]], conversions=[1, 1])
    with pytest.warns(
        SkipLabelsNotFoundWarning,
        match=r"none of LastNonDirect's skip labels \('Direct',\) occurs in the journeys, whose channels are "
        r"\['\(direct\)', 'Email'\].*Fix: .*LastNonDirect\(skip=\('\(direct\)',\)\)",
    ):
        LastNonDirect().attribute(j)


@pytest.mark.parametrize(
    "given",
    [
        ["Direct", "Referral"],
        (label for label in ("Direct", "Referral")),
        pd.Index(["Direct", "Referral"]),
        np.array(["Direct", "Referral"]),
    ],
    ids=["list", "generator", "pandas Index", "numpy array"],
)
def test_skip_accepts_any_iterable_of_labels_and_keeps_plain_strings(given: Any) -> None:
    model = LastNonDirect(skip=given)
    assert model.skip == ("Direct", "Referral")
    assert all(type(label) is str for label in model.skip)
    assert eval(repr(model), {"LastNonDirect": LastNonDirect}) == model


@pytest.mark.parametrize("kind", [set, frozenset])
def test_a_set_of_skip_labels_is_stored_sorted(kind: Callable[[list[str]], Any]) -> None:
    labels = ["h", "c", "f", "a", "g", "b", "e", "d"]
    model = LastNonDirect(skip=kind(labels))
    assert model.skip == tuple(sorted(labels))
    assert model == LastNonDirect(skip=tuple(sorted(labels)))


# ---------------------------------------------------------------- 8. extreme magnitudes

MODELS = [
    FirstTouch(),
    LastTouch(),
    LastNonDirect(skip=("B",)),
    Linear(),
    PositionBased.u_shaped(),
    TimeDecay("7D"),
    MarkovChain(),
    MarkovChain(order=2),
    Shapley(),
    Shapley(value="conversion_rate"),
    Shapley(value="markov"),
    Counterfactual(),
]


@pytest.mark.parametrize("scale", [1e-300, 1e-310, 1e300])
@pytest.mark.parametrize("model", MODELS, ids=repr)
def test_tiny_and_huge_counts_are_conserved_and_keep_the_shares(model: Any, scale: float) -> None:
    j = _spec_like(scale, times=True)
    result = model.attribute(j)
    conversions = float(result.credits["conversions"].sum()) + result.unattributed.conversions
    value = float(result.credits["value"].sum()) + result.unattributed.value
    assert conversions == pytest.approx(j.total_conversions, rel=1e-9)
    assert value == pytest.approx(j.total_value, rel=1e-9)
    expected = model.attribute(_spec_like(1.0, times=True)).shares.to_numpy()
    np.testing.assert_allclose(result.shares.to_numpy(), expected, rtol=1e-9, atol=1e-12)


def test_markov_value_per_journey_beyond_float64_is_a_journey_error() -> None:
    j = Journeys.from_sequences([["A"], ["B"]], conversions=[1e-300, 1], nulls=[0, 1], value=[1e300, 1])
    with pytest.raises(JourneyError, match=r"value per journey of state 'A' overflows float64.*Fix: rescale value"):
        MarkovChain().attribute(j)


def test_markov_counts_that_overflow_along_long_walks_are_a_journey_error() -> None:
    j = Journeys.from_sequences([["A", "B"] * 500, ["B"]], conversions=[1e306, 0], nulls=[0, 1e306])
    with pytest.raises(JourneyError, match=r"transition counts overflow to inf.*Fix: rescale"):
        MarkovChain().attribute(j)


@pytest.mark.parametrize("model", [MarkovChain(), Shapley(value="conversion_rate"), Shapley(value="markov")], ids=repr)
def test_conversions_dwarfed_by_unattributed_ones_are_still_attributed(model: Any) -> None:
    """Attributable = the sum over non-empty paths, never total − unattributed (which rounds to 0 here)."""
    j = Journeys.from_sequences([["A", "B"], ["B"], []], conversions=[1, 1, 1e20], nulls=[1, 3, 0])
    result = model.attribute(j)
    assert float(result.credits["conversions"].sum()) == pytest.approx(2.0, rel=1e-9)
    assert result.unattributed.conversions == 1e20
