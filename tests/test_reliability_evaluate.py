"""Bad input to evaluate, analytics and plotting gets a clear AttributionError, never a wrong number."""

from __future__ import annotations

import pickle
import sys
import warnings
from typing import Any

import numpy as np
import pandas as pd
import pytest

from attribution import JourneyError, Journeys, LastTouch, Linear, MarkovChain, ParameterError, compare
from attribution.analytics import stage_summary, time_to_conversion, top_paths
from attribution.errors import AttributionError
from attribution.evaluate import bootstrap, score, simulate
from attribution.evaluate.bootstrap import FailedReplicatesWarning

EVENTS = pd.DataFrame(
    {"u": [1, 1, 2, 2], "stage": ["aware", "deciding", "aware", "aware"], "buy": [False, True, False, False]}
)
STAGES = {"user": "u", "stage": "stage", "conversion": "buy"}


def _rare_conversions() -> Journeys:
    """One conversion in 51 journeys: a Poisson(1) draw leaves it out of about 37 % of replicates."""
    return Journeys.from_sequences([["A", "B"], ["B"]], conversions=[1, 0], nulls=[20, 30])


def _replicates_without_conversions(journeys: Journeys, n: int, seed: int) -> int:
    """Replay bootstrap's draws (conversions, then nulls, per replicate) and count the empty ones."""
    rng = np.random.default_rng(seed)
    empty = 0
    for _ in range(n):
        conversions = rng.poisson(journeys.conversions)
        rng.poisson(journeys.nulls)
        empty += int(conversions[journeys.lengths > 0].sum() == 0)
    return empty


def _agg_backend() -> None:
    matplotlib = pytest.importorskip("matplotlib")
    matplotlib.use("Agg")


# ---------------------------------------------------------------------- analytics: stage_summary
def test_stage_summary_refuses_text_conversion_flags() -> None:
    events = EVENTS.assign(buy=["no", "yes", "no", "no"])
    with pytest.raises(JourneyError, match=r"column 'buy' must be boolean \(True/False or 1/0\).*value 'no'.*Fix:"):
        stage_summary(events, **STAGES)


def test_stage_summary_refuses_null_conversion_flags() -> None:
    events = EVENTS.assign(buy=[False, True, np.nan, False])
    with pytest.raises(JourneyError, match=r"column 'buy' must not be null; 1 row breaks it, first at index 2"):
        stage_summary(events, **STAGES)


def test_stage_summary_refuses_conversion_flags_other_than_zero_and_one() -> None:
    with pytest.raises(JourneyError, match=r"column 'buy' must be boolean.*first at index 3 \(value 2\)"):
        stage_summary(EVENTS.assign(buy=[0, 1, 0, 2]), **STAGES)


def test_stage_summary_refuses_null_users() -> None:
    events = EVENTS.assign(u=[1, None, 2, 2])
    with pytest.raises(JourneyError, match=r"column 'u' must not be null; 1 row breaks it, first at index 1.*Fix:"):
        stage_summary(events, **STAGES)


def test_stage_summary_refuses_null_stages() -> None:
    events = EVENTS.assign(stage=["aware", None, "aware", "aware"])
    with pytest.raises(JourneyError, match=r"column 'stage' must not be null; 1 row breaks it.*Fix: fill in the stage"):
        stage_summary(events, **STAGES)


# ---------------------------------------------------------------------- analytics: time and top paths
def test_time_to_conversion_without_touch_times_is_a_journey_error() -> None:
    j = Journeys.from_sequences([["A"]], conversions=[1])
    with pytest.raises(JourneyError, match=r"needs touch times.*Fix: build them with Journeys.from_events"):
        time_to_conversion(j)


@pytest.mark.parametrize("n", [-1, 0, True, 2.5, "3"])
def test_top_paths_refuses_a_count_that_is_not_a_positive_integer(n: object) -> None:
    j = Journeys.from_sequences([["A"], ["B"]], conversions=[1, 2])
    with pytest.raises(ParameterError, match=r"parameter 'n' of top_paths must be a positive integer; got"):
        top_paths(j, n)  # type: ignore[arg-type]


# ---------------------------------------------------------------------- bootstrap: failed replicates
def test_bootstrap_skips_replicates_the_model_cannot_run_on() -> None:
    j = _rare_conversions()
    expected = _replicates_without_conversions(j, 40, seed=0)
    assert 0 < expected <= 20  # the seed gives some failures, but not most
    with pytest.warns(FailedReplicatesWarning, match=rf"skipped {expected} of 40 replicates.*no conversions"):
        result = bootstrap(j, MarkovChain(), n=40, seed=0)
    assert result.failed == expected
    assert len(result.replicates) == 40 - expected
    assert sum(result.failure_reasons.values()) == expected
    assert all("no conversions" in reason for reason in result.failure_reasons)


def test_bootstrap_warns_once_however_many_replicates_fail() -> None:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        bootstrap(_rare_conversions(), MarkovChain(), n=40, seed=0)
    assert [w.category for w in caught] == [FailedReplicatesWarning]


def test_bootstrap_with_failed_replicates_is_deterministic_for_a_seed() -> None:
    with pytest.warns(FailedReplicatesWarning):
        first = bootstrap(_rare_conversions(), MarkovChain(), n=40, seed=0)
    with pytest.warns(FailedReplicatesWarning):
        again = bootstrap(_rare_conversions(), MarkovChain(), n=40, seed=0)
    pd.testing.assert_frame_equal(first.intervals, again.intervals)
    pd.testing.assert_frame_equal(first.replicates, again.replicates)


def test_bootstrap_raises_when_most_replicates_fail() -> None:
    j = Journeys.from_sequences([["A", "B"], ["B"]], conversions=[0.2, 0], nulls=[20, 30])
    with pytest.raises(JourneyError, match=r"could not run on \d+ of 40 replicates, too many.*no conversions.*Fix:"):
        bootstrap(j, MarkovChain(), n=40, seed=0)


def test_bootstrap_result_with_failures_pickles() -> None:
    with pytest.warns(FailedReplicatesWarning):
        result = bootstrap(_rare_conversions(), MarkovChain(), n=40, seed=0)
    restored = pickle.loads(pickle.dumps(result))
    pd.testing.assert_frame_equal(restored.intervals, result.intervals)
    assert restored.failed == result.failed
    assert restored.failure_reasons == result.failure_reasons


# ---------------------------------------------------------------------- bootstrap: value intervals
def test_bootstrap_gives_intervals_for_value() -> None:
    j = Journeys.from_sequences(
        [["A", "B"], ["B"], ["A"]], conversions=[30, 20, 10], nulls=[70, 80, 90], value=[3000, 1000, 2000]
    )
    result = bootstrap(j, Linear(), n=60, seed=2)
    assert list(result.intervals.index.unique("quantity")) == ["conversions", "value", "share"]
    value = result.intervals.xs("value", level="quantity")
    pd.testing.assert_series_equal(value["estimate"], Linear().attribute(j).credits["value"], check_names=False)
    assert (value["low"] <= value["estimate"]).all()
    assert (value["estimate"] <= value["high"]).all()
    assert (value["std"] > 0).all()


def test_bootstrap_replicate_values_follow_each_rows_value_per_conversion() -> None:
    """Every row is worth 10 per conversion, so each replicate's value credit is 10 × its conversions."""
    j = Journeys.from_sequences([["A", "B"], ["B"]], conversions=[30, 20], nulls=[70, 80], value=[300, 200])
    result = bootstrap(j, Linear(), n=30, seed=4)
    pd.testing.assert_frame_equal(result.replicate_values, 10 * result.replicates)


def test_plot_bootstrap_draws_value_intervals() -> None:
    _agg_backend()
    import matplotlib.pyplot as plt

    from attribution.plotting import plot_bootstrap

    j = Journeys.from_sequences([["A", "B"], ["B"]], conversions=[30, 20], nulls=[70, 80], value=[300, 250])
    ax = plot_bootstrap(bootstrap(j, Linear(), n=20, seed=0), quantity="value")
    assert ax.get_xlabel().startswith("value")
    plt.close(ax.figure)


def test_plot_bootstrap_refuses_an_unknown_quantity() -> None:
    from attribution.plotting import plot_bootstrap

    result = bootstrap(Journeys.from_sequences([["A"], ["B"]], conversions=[5, 5], nulls=[5, 5]), Linear(), n=5)
    with pytest.raises(
        ParameterError, match=r"parameter 'quantity' of plot_bootstrap must be one of 'conversions', 'value', 'share'"
    ):
        plot_bootstrap(result, quantity="rate")


def test_plot_bootstrap_refuses_something_else_than_a_bootstrap_result() -> None:
    from attribution.plotting import plot_bootstrap

    with pytest.raises(ParameterError, match=r"parameter 'result' of plot_bootstrap must be a BootstrapResult"):
        plot_bootstrap({"Linear": None})  # type: ignore[arg-type]


# ---------------------------------------------------------------------- bootstrap: arguments
def test_bootstrap_refuses_a_list_of_models_with_the_fix() -> None:
    j = _rare_conversions()
    with pytest.raises(ParameterError, match=r"takes one model; got a list\. Fix: bootstrap each model on its own"):
        bootstrap(j, [Linear(), LastTouch()], n=5)  # type: ignore[arg-type]


def test_bootstrap_refuses_a_comparison_with_the_fix() -> None:
    j = _rare_conversions()
    with pytest.raises(ParameterError, match=r"takes one model; got a Comparison\. Fix: bootstrap each model"):
        bootstrap(j, compare(j, [Linear()]), n=5)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("model", "message"),
    [
        ("Linear", r"must be a model \(an object with name and attribute\(journeys\)\); got 'Linear'"),
        (Linear, r"must be a model object; got the class Linear\. Fix: create one, e.g\. Linear\(\)"),
    ],
)
def test_bootstrap_refuses_what_is_not_a_model(model: object, message: str) -> None:
    with pytest.raises(ParameterError, match=message):
        bootstrap(_rare_conversions(), model, n=5)  # type: ignore[arg-type]


@pytest.mark.parametrize("seed", [-1, "a", 1.5, True])
def test_bootstrap_refuses_a_bad_seed(seed: object) -> None:
    with pytest.raises(ParameterError, match=r"parameter 'seed' of bootstrap must be a non-negative integer or None"):
        bootstrap(_rare_conversions(), Linear(), n=5, seed=seed)  # type: ignore[arg-type]


def test_bootstrap_refuses_data_that_is_not_journeys() -> None:
    with pytest.raises(ParameterError, match=r"parameter 'journeys' of bootstrap must be a Journeys object; got list"):
        bootstrap([["A"]], Linear(), n=5)  # type: ignore[arg-type]


# ---------------------------------------------------------------------- simulate: parameters
INF, NAN = float("inf"), float("nan")
GOOD_LIFTS = (0.1, 0.2, 0.3)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"horizon_days": INF}, r"'horizon_days' of simulate must be a finite number of days .*got inf"),
        ({"horizon_days": True}, r"'horizon_days' of simulate must be a finite number of days .*got True"),
        ({"horizon_days": 1e6}, r"'horizon_days' of simulate must be a finite number of days .*got 1000000.0"),
        ({"mean_value": INF}, r"'mean_value' of simulate must be a finite positive number .*got inf"),
        ({"mean_value": True}, r"'mean_value' of simulate must be a finite positive number .*got True"),
        ({"p_decide": True}, r"'p_decide' of simulate must be a probability in \[0, 1\]; got True"),
        ({"baseline": np.True_}, r"'baseline' of simulate must be a probability in \[0, 1\]; got True"),
        ({"max_shapley_channels": "3"}, r"'max_shapley_channels' of simulate must be an integer >= 0; got '3'"),
        ({"max_shapley_channels": -1}, r"'max_shapley_channels' of simulate must be an integer >= 0; got -1"),
        ({"max_shapley_channels": 2.5}, r"'max_shapley_channels' of simulate must be an integer >= 0; got 2.5"),
        ({"seed": -1}, r"'seed' of simulate must be a non-negative integer or None; got -1"),
        ({"seed": "a"}, r"'seed' of simulate must be a non-negative integer or None; got 'a'"),
        ({"seed": 1.5}, r"'seed' of simulate must be a non-negative integer or None; got 1.5"),
        ({"n_users": 10**400}, r"'n_users' of simulate must be a positive integer .*got 1000"),
        ({"channels": "abc"}, r"'channels' of simulate must be a mapping .*got 'abc'"),
        ({"channels": {1: (1.0, GOOD_LIFTS)}}, r"'channels' of simulate must be keyed by non-empty channel names"),
        ({"channels": {"A": (INF, GOOD_LIFTS)}}, r"channel 'A' .*mean number of touches .*finite .*got inf"),
        ({"channels": {"A": (NAN, GOOD_LIFTS)}}, r"channel 'A' .*mean number of touches .*finite .*got nan"),
        ({"channels": {"A": (True, GOOD_LIFTS)}}, r"channel 'A' .*mean number of touches .*got True"),
        ({"channels": {"A": ("1", GOOD_LIFTS)}}, r"channel 'A' .*mean number of touches .*got '1'"),
        ({"channels": {"A": (1.0, ("0.1", 0.2, 0.3))}}, r"channel 'A' .*lifts in \[0, 1\].*got \('0.1', 0.2, 0.3\)"),
        ({"channels": {"A": (1.0, (True, 0.0, 0.0))}}, r"channel 'A' .*lifts in \[0, 1\].*got \(True, 0.0, 0.0\)"),
        (
            {"channels": {"A": (1.0, (0.1, 0.2))}},
            r"channel 'A' of parameter 'channels' of simulate must be \(mean touches",
        ),
    ],
)
def test_bad_simulation_parameters_name_the_parameter_the_rule_and_the_value(
    kwargs: dict[str, Any], message: str
) -> None:
    with pytest.raises(ParameterError, match=message):
        simulate(**({"n_users": 10} | kwargs))


def test_simulate_accepts_numpy_scalars_for_every_number() -> None:
    plain = simulate(500, p_decide=0.5, baseline=0.25, horizon_days=10, max_shapley_channels=5, seed=3)
    numpy = simulate(
        np.int64(500),
        p_decide=np.float32(0.5),
        baseline=np.float64(0.25),
        horizon_days=np.int32(10),
        max_shapley_channels=np.int8(5),
        seed=np.uint8(3),
    )
    pd.testing.assert_frame_equal(numpy.events, plain.events)
    assert numpy.parameters["p_decide"] == 0.5
    assert isinstance(numpy.parameters["p_decide"], float)


# ---------------------------------------------------------------------- score and plot_truth_vs_model
def _two_models() -> Any:
    j = Journeys.from_sequences([["A", "B"], ["B"]], conversions=[1, 1])
    return compare(j, [LastTouch(), Linear()])


@pytest.mark.parametrize(
    ("truth", "message"),
    [
        (pd.Series({"A": -0.5, "B": 1.5}), r"'truth' of score must hold finite shares >= 0; got -0.5 for 'A'"),
        (pd.Series({"A": INF, "B": 0.5}), r"'truth' of score must hold finite shares >= 0; got inf for 'A'"),
        (pd.Series({"A": NAN, "B": 0.5}), r"'truth' of score has no value for \['A'\]"),
        (pd.Series({"A": "x", "B": 0.5}), r"'truth' of score must hold numbers .*got 'x' for 'A'"),
        (pd.Series([0.5, 0.5], index=["A", "A"]), r"'truth' of score must give each channel once; 'A' appears"),
        (pd.Series({"A": 2.0, "B": 3.0}), r"'truth' of score must hold shares that sum to 1; they sum to 5.0"),
        (pd.Series({"a": 0.5, "b": 0.5}), r"'truth' of score must name every channel a model credits; .*'B'"),
        ({"A": 0.5, "B": 0.5}, r"'truth' of score must be a pandas Series .*got dict"),
    ],
    ids=["negative", "infinite", "missing", "text", "repeated", "not-shares", "misspelt", "dict"],
)
def test_score_refuses_a_bad_truth(truth: object, message: str) -> None:
    with pytest.raises(ParameterError, match=message):
        score(_two_models(), truth)  # type: ignore[arg-type]


def test_score_refuses_counts_where_shares_are_expected() -> None:
    sim = simulate(3_000, seed=1)
    journeys = Journeys.from_events(
        sim.events, user="user", time="time", channel="channel", conversion="converted", value="value"
    )
    with pytest.raises(ParameterError, match=r"column 'incremental' of parameter 'truth' of score must hold shares"):
        score(LastTouch().attribute(journeys), sim.truth, against="incremental")


@pytest.mark.parametrize(
    ("results", "message"),
    [
        ([], r"parameter 'results' of score holds no result"),
        ([LastTouch()], r"must hold attribution results; 'LastTouch\(\)' is of type LastTouch.*not the models"),
        ("Linear", r"parameter 'results' of score must be a Comparison, an Attribution.*got str"),
    ],
    ids=["empty", "models", "text"],
)
def test_score_refuses_results_that_are_not_attributions(results: object, message: str) -> None:
    with pytest.raises(ParameterError, match=message):
        score(results, pd.Series({"A": 0.5, "B": 0.5}))


def test_plot_truth_vs_model_refuses_a_missing_truth_column_without_a_key_error() -> None:
    from attribution.plotting import plot_truth_vs_model

    truth = pd.DataFrame({"incremental_share": [0.5, 0.5]}, index=["A", "B"])
    with pytest.raises(ParameterError, match=r"parameter 'against' of plot_truth_vs_model must be a column of truth"):
        plot_truth_vs_model(_two_models(), truth)


def test_plot_truth_vs_model_refuses_negative_truth() -> None:
    from attribution.plotting import plot_truth_vs_model

    with pytest.raises(ParameterError, match=r"'truth' of plot_truth_vs_model must hold finite shares >= 0"):
        plot_truth_vs_model(_two_models(), pd.Series({"A": -0.5, "B": 1.5}))


# ---------------------------------------------------------------------- plotting: install hint
def test_missing_matplotlib_hint_gives_an_install_that_works_today(monkeypatch: pytest.MonkeyPatch) -> None:
    from attribution.plotting import plot_bootstrap

    result = bootstrap(Journeys.from_sequences([["A"], ["B"]], conversions=[5, 5], nulls=[5, 5]), Linear(), n=5)
    monkeypatch.setitem(sys.modules, "matplotlib.pyplot", None)  # import matplotlib.pyplot now fails
    with pytest.raises(
        AttributionError, match=r'Fix: pip install matplotlib \(or pip install "\.\[plot\]" from a checkout'
    ):
        plot_bootstrap(result)
