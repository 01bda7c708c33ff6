"""Pickling: every public result type and object round-trips and gives equal numbers afterwards.

Journeys (with and without times and users), JourneysSummary, the Attribution of every model,
MarkovAttribution (its chain's removal effects and predictions too), ShapleyAttribution,
FittedMarkovChain, Comparison, BootstrapResult, OrderSelection, Simulation, every model object
and the library's errors: each is pickled and unpickled (lowest supported and highest protocol),
and the copy gives exactly the same numbers as the original — and keeps working (models
attribute, chains predict, journeys stay read-only).
"""

from __future__ import annotations

import dataclasses
import pickle
import warnings
from typing import Any

import numpy as np
import pandas as pd
import pytest

from attribution import (
    AttributionError,
    FirstTouch,
    JourneyError,
    Journeys,
    JourneysSummary,
    LastNonDirect,
    LastTouch,
    Linear,
    MarkovChain,
    ParameterError,
    PositionBased,
    Shapley,
    TimeDecay,
    compare,
    select_order,
)
from attribution.evaluate import BootstrapResult, Simulation, bootstrap, simulate
from attribution.models import (
    Counterfactual,
    DegenerateChainWarning,
    FittedMarkovChain,
    MarkovAttribution,
    ModelSpec,
    OrderSelection,
    ShapleyAttribution,
    Unattributed,
    bitmask_game,
)

PROTOCOLS = [2, pickle.HIGHEST_PROTOCOL]


def _round_trip(obj: Any, protocol: int = pickle.HIGHEST_PROTOCOL) -> Any:
    return pickle.loads(pickle.dumps(obj, protocol=protocol))


@bitmask_game
def coverage(masks: np.ndarray) -> np.ndarray:
    """v(S) = |S|: a module-level bitmask game, picklable by reference."""
    return np.array([bin(m).count("1") for m in masks.tolist()], dtype=float)


def pair_bonus(coalition: frozenset[str]) -> float:
    """A module-level game over frozensets: 1 per channel, 1 more when A and B are both in."""
    return float(len(coalition) + ({"A", "B"} <= coalition))


MODELS: dict[str, Any] = {
    "FirstTouch": FirstTouch(),
    "LastTouch": LastTouch(),
    "LastNonDirect": LastNonDirect(skip=("A", "Direct")),
    "Linear": Linear(),
    "PositionBased u_shaped": PositionBased.u_shaped(),
    "PositionBased custom": PositionBased(0.1, 0.3, 0.6),
    "TimeDecay": TimeDecay("2D"),
    "TimeDecay timedelta": TimeDecay(pd.Timedelta(hours=36)),
    "TimeDecay by position": TimeDecay(1.5, by="position"),
    "MarkovChain order 1": MarkovChain(),
    "MarkovChain order 2": MarkovChain(order=2, collapse_repeats=False),
    "Shapley conversions": Shapley(),
    "Shapley conversion_rate": Shapley(value="conversion_rate", unobserved=0.1),
    "Shapley markov": Shapley(value="markov", order=2),
    "Shapley sampling": Shapley(value="conversion_rate", method="sampling", n_permutations=20, seed=3),
    "Shapley bitmask game": Shapley(value=coverage),
    "Shapley frozenset game": Shapley(value=pair_bonus),
    "Counterfactual": Counterfactual(),
}


@pytest.fixture(scope="module")
def spec() -> Journeys:
    """Data D of SPEC §7, with touch times (days before conversion)."""
    day = 86_400.0
    return Journeys.from_sequences(
        [["A", "B", "C"], ["A", "C"], ["B"], ["C"], ["A", "B"]],
        conversions=[2, 1, 0, 1, 0],
        nulls=[0, 1, 2, 1, 1],
        value=[200, 50, 0, 30, 0],
        times=[[14 * day, 7 * day, 0.0], [7 * day, 0.0], [0.0], [0.0], [day, 0.0]],
    )


@pytest.fixture(scope="module")
def from_log() -> Journeys:
    """Journeys built from an event log: with users and times."""
    log = pd.DataFrame(
        {
            "user": ["u1", "u1", "u1", "u2", "u2", "u3"],
            "time": pd.to_datetime(
                ["2024-01-01", "2024-01-03", "2024-01-04", "2024-01-02", "2024-01-02 12:00", "2024-01-05"],
                format="ISO8601",
            ),
            "channel": ["A", "B", None, "C", "A", "B"],
            "converted": [False, False, True, False, True, False],
            "value": [None, None, 120.0, None, 30.0, None],
        }
    )
    return Journeys.from_events(log, user="user", time="time", channel="channel", conversion="converted", value="value")


def _attribute(model: Any, j: Journeys) -> Any:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DegenerateChainWarning)
        return model.attribute(j)


def _assert_same_attribution(a: Any, b: Any) -> None:
    assert type(a) is type(b)
    pd.testing.assert_frame_equal(a.credits, b.credits, check_exact=True)
    assert tuple(a.unattributed) == tuple(b.unattributed)
    assert a.channels == b.channels
    assert a.model == b.model
    pd.testing.assert_frame_equal(a.to_frame(), b.to_frame(), check_exact=True)
    assert repr(a) == repr(b)


# ---------------------------------------------------------------------- journeys
@pytest.mark.parametrize("protocol", PROTOCOLS)
@pytest.mark.parametrize("kind", ["with times and users", "with times only", "without times or users", "empty"])
def test_journeys_round_trip_equal_and_read_only(kind: str, protocol: int, spec: Journeys, from_log: Journeys) -> None:
    """Journeys unpickle equal (arrays, channels, times, users), read-only, and attribute the same."""
    j = {
        "with times and users": from_log,
        "with times only": spec,
        "without times or users": spec.aggregate(),
        "empty": Journeys.from_sequences([], conversions=[]),
    }[kind]
    j.touch_rows()  # a filled cache must not travel in a broken state
    copy = _round_trip(j, protocol)
    assert copy == j
    assert copy.channels == j.channels
    assert copy.has_times == j.has_times
    assert (copy.users is None) == (j.users is None)
    if j.users is not None:
        assert copy.users.equals(j.users)
    for name in ("codes", "offsets", "conversions", "nulls", "value", "times"):
        array = getattr(copy, name)
        if array is not None:
            assert array.dtype == getattr(j, name).dtype
            assert not array.flags.writeable, f"unpickled journeys.{name} is writeable"
    np.testing.assert_array_equal(copy.touch_rows(), j.touch_rows())
    assert repr(copy) == repr(j)
    if j.total_conversions - j.unattributed_conversions > 0:
        _assert_same_attribution(_attribute(Linear(), copy), _attribute(Linear(), j))


def test_journeys_summary_round_trips(from_log: Journeys) -> None:
    """JourneysSummary unpickles with every field equal."""
    summary = from_log.summary()
    assert isinstance(summary, JourneysSummary)
    copy = _round_trip(summary)
    for item in dataclasses.fields(summary):
        mine, theirs = getattr(summary, item.name), getattr(copy, item.name)
        if isinstance(mine, (pd.DataFrame, pd.Series)):
            assert mine.equals(theirs), item.name
        else:
            assert mine == theirs, item.name
    assert repr(copy) == repr(summary)


# ---------------------------------------------------------------------- models and results
@pytest.mark.parametrize("name", list(MODELS))
def test_model_objects_round_trip_and_attribute_the_same(name: str, spec: Journeys) -> None:
    """A model unpickles equal (same name and parameters) and attributes the journeys identically."""
    model = MODELS[name]
    copy = _round_trip(model)
    assert copy == model
    assert copy.name == model.name
    if hasattr(model, "params"):
        assert copy.params() == model.params()
    _assert_same_attribution(_attribute(copy, spec), _attribute(model, spec))


@pytest.mark.parametrize("name", list(MODELS))
def test_attribution_results_round_trip(name: str, spec: Journeys) -> None:
    """Every model's result unpickles with equal credits, unattributed, model spec and repr."""
    result = _attribute(MODELS[name], spec)
    _assert_same_attribution(_round_trip(result), result)


def test_markov_attribution_round_trips_with_a_working_chain(spec: Journeys) -> None:
    """MarkovAttribution unpickles; its chain still gives equal removal effects, transitions and predictions."""
    result = MarkovChain().attribute(spec)
    assert isinstance(result, MarkovAttribution)
    copy = _round_trip(result)
    _assert_same_attribution(copy, result)
    pd.testing.assert_frame_equal(copy.removal_effects, result.removal_effects, check_exact=True)
    assert copy.conversion_probability == result.conversion_probability
    pd.testing.assert_frame_equal(copy.chain.removal_effects(), result.chain.removal_effects(), check_exact=True)
    pd.testing.assert_frame_equal(copy.chain.transitions(), result.chain.transitions(), check_exact=True)
    np.testing.assert_array_equal(copy.chain.predict_proba(spec), result.chain.predict_proba(spec))


@pytest.mark.parametrize("order", [1, 2, 3])
def test_fitted_markov_chain_round_trips(order: int, spec: Journeys) -> None:
    """A FittedMarkovChain unpickles with equal probabilities, matrix, removal effects and predictions."""
    chain = MarkovChain(order=order).fit(spec)
    assert isinstance(chain, FittedMarkovChain)
    copy = _round_trip(chain)
    assert copy.conversion_probability == chain.conversion_probability
    assert copy.value_flow == chain.value_flow
    assert copy.state_labels() == chain.state_labels()
    pd.testing.assert_frame_equal(copy.transition_matrix(), chain.transition_matrix(), check_exact=True)
    pd.testing.assert_frame_equal(copy.removal_effects(), chain.removal_effects(), check_exact=True)
    np.testing.assert_array_equal(copy.predict_proba(spec), chain.predict_proba(spec))


def test_fitted_markov_chain_round_trips_before_and_after_use(spec: Journeys) -> None:
    """Pickling a chain that has already computed removal effects gives the same as pickling a fresh one."""
    used = MarkovChain().fit(spec)
    effects = used.removal_effects()
    fresh = _round_trip(MarkovChain().fit(spec))
    pd.testing.assert_frame_equal(_round_trip(used).removal_effects(), effects, check_exact=True)
    pd.testing.assert_frame_equal(fresh.removal_effects(), effects, check_exact=True)


@pytest.mark.parametrize("method", ["exact", "sampling"])
def test_shapley_attribution_round_trips_with_its_extras(method: str, spec: Journeys) -> None:
    """ShapleyAttribution unpickles with equal raw values, standard errors, method and coalitions."""
    result = Shapley(value="conversion_rate", method=method, n_permutations=20, seed=1).attribute(spec)
    assert isinstance(result, ShapleyAttribution)
    copy = _round_trip(result)
    _assert_same_attribution(copy, result)
    pd.testing.assert_series_equal(copy.raw_values, result.raw_values, check_exact=True)
    pd.testing.assert_series_equal(copy.standard_errors, result.standard_errors, check_exact=True)
    assert (copy.method, copy.n_permutations) == (result.method, result.n_permutations)
    if method == "exact":
        pd.testing.assert_frame_equal(copy.coalitions(), result.coalitions(), check_exact=True)


def test_per_path_credits_survive_pickling(spec: Journeys) -> None:
    """A result computed with per_path=True keeps equal sparse path credits after unpickling."""
    result = Linear().attribute(spec, per_path=True)
    copy = _round_trip(result)
    pd.testing.assert_frame_equal(copy.path_credits_frame(), result.path_credits_frame(), check_exact=True)


def test_model_spec_and_unattributed_round_trip() -> None:
    """The small result parts ModelSpec and Unattributed unpickle equal."""
    model_spec = ModelSpec("Linear", {"a": 1, "b": (1, 2)})
    assert _round_trip(model_spec) == model_spec
    assert _round_trip(Unattributed(1.5, 20.0)) == Unattributed(1.5, 20.0)


# ---------------------------------------------------------------------- comparison and evaluation
@pytest.mark.parametrize("models", ["rules", "default (with Markov)"])
def test_comparison_round_trips(models: str, spec: Journeys) -> None:
    """A Comparison unpickles with equal long and wide tables, rank agreement and results."""
    chosen = [FirstTouch(), Linear(), Shapley()] if models == "rules" else None
    comparison = compare(spec, chosen)
    copy = _round_trip(comparison)
    assert copy.models == comparison.models
    pd.testing.assert_frame_equal(copy.long(), comparison.long(), check_exact=True)
    pd.testing.assert_frame_equal(copy.wide("share"), comparison.wide("share"), check_exact=True)
    pd.testing.assert_frame_equal(copy.rank_agreement(), comparison.rank_agreement(), check_exact=True)
    for name in comparison.models:
        _assert_same_attribution(copy.results[name], comparison.results[name])


def test_bootstrap_result_round_trips(spec: Journeys) -> None:
    """A BootstrapResult unpickles with every table equal."""
    result = bootstrap(spec, Linear(), n=10, seed=0)
    assert isinstance(result, BootstrapResult)
    copy = _round_trip(result)
    for item in dataclasses.fields(result):
        mine, theirs = getattr(result, item.name), getattr(copy, item.name)
        if isinstance(mine, pd.DataFrame):
            pd.testing.assert_frame_equal(theirs, mine, check_exact=True)
        elif isinstance(mine, pd.Series):
            pd.testing.assert_series_equal(theirs, mine, check_exact=True)
        else:
            assert theirs == mine, item.name


def test_order_selection_round_trips() -> None:
    """An OrderSelection unpickles with equal scores, metric and best order."""
    j = Journeys.from_sequences(
        [["A", "B"], ["B", "A"], ["A"], ["B"]], conversions=[30, 5, 10, 10], nulls=[10, 35, 30, 30]
    )
    selection = select_order(j, max_order=2, cv=3, seed=1)
    assert isinstance(selection, OrderSelection)
    copy = _round_trip(selection)
    pd.testing.assert_frame_equal(copy.scores, selection.scores, check_exact=True)
    assert (copy.metric, copy.best_order) == (selection.metric, selection.best_order)


def test_simulation_round_trips_and_builds_the_same_journeys() -> None:
    """A Simulation unpickles with an equal event log, truth and counts, and builds equal journeys."""
    simulation = simulate(300, seed=4)
    assert isinstance(simulation, Simulation)
    copy = _round_trip(simulation)
    pd.testing.assert_frame_equal(copy.events, simulation.events, check_exact=True)
    pd.testing.assert_frame_equal(copy.truth, simulation.truth, check_exact=True)
    assert copy.parameters == simulation.parameters
    assert (copy.conversions, copy.baseline_conversions, copy.conversions_without_channels) == (
        simulation.conversions,
        simulation.baseline_conversions,
        simulation.conversions_without_channels,
    )
    args = {"user": "user", "time": "time", "channel": "channel", "conversion": "converted", "value": "value"}
    assert Journeys.from_events(copy.events, **args) == Journeys.from_events(simulation.events, **args)


# ---------------------------------------------------------------------- errors
@pytest.mark.parametrize("error_type", [AttributionError, JourneyError, ParameterError])
def test_errors_round_trip_with_their_type_and_message(error_type: type[Exception]) -> None:
    """The library's errors unpickle (e.g. from a worker process) with their type and message."""
    error = error_type("column 'x' must not be null; 1 row breaks it. Fix: fill it.")
    copy = _round_trip(error)
    assert type(copy) is error_type
    assert str(copy) == str(error)


def test_a_raised_journey_error_round_trips() -> None:
    """A JourneyError raised by a builder unpickles as a JourneyError with the same message."""
    with pytest.raises(JourneyError) as caught:
        Journeys.from_sequences([["A"]], conversions=[-1])
    copy = _round_trip(caught.value)
    assert isinstance(copy, JourneyError)
    assert str(copy) == str(caught.value)
