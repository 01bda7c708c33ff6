"""Named scenarios tell the truth they claim; recovery_benchmark scores every model against it."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest

from attribution import FirstTouch, Journeys, LastTouch, Linear, ParameterError
from attribution.compare import default_models
from attribution.evaluate import SCENARIOS, Scenario, recovery_benchmark, simulate
from attribution.evaluate.funnel import Funnel, funnel_conversions

COLUMNS = {"user": "user", "time": "time", "channel": "channel", "conversion": "converted", "value": "value"}
N = 20_000  # about 0.2 s per scenario, and a few hundred purchases caused by channels
MEASURES = ["mean_abs_error", "max_abs_error", "total_variation", "rank_correlation"]
DOCUMENTED = [
    f"{measure}_{truth}{suffix}"
    for truth in ("incremental", "shapley")
    for measure in MEASURES
    for suffix in ("", "_std")
]


def _last_touch_shares(events: pd.DataFrame) -> pd.Series:
    return LastTouch().attribute(Journeys.from_events(events, **COLUMNS)).credits["share"]


# ---------------------------------------------------------------------- the registry


def test_the_registry_names_the_four_worlds_and_is_read_only() -> None:
    assert list(SCENARIOS) == ["default", "harvesting", "organic", "synergy"]
    assert all(scenario.name == name for name, scenario in SCENARIOS.items())
    with pytest.raises(TypeError):
        SCENARIOS["mine"] = SCENARIOS["default"]  # type: ignore[index]


@pytest.mark.parametrize("name", list(SCENARIOS))
def test_every_scenario_describes_its_world_with_its_parameters(name: str) -> None:
    scenario = SCENARIOS[name]
    assert len(scenario.description) > 300
    assert scenario.summary == scenario.description.splitlines()[0]
    assert "p_decide" in scenario.description or "probability" in scenario.description
    assert all(channel in scenario.description for channel in scenario.funnel().channels)
    assert repr(scenario) == f"<Scenario {name!r}: {scenario.summary}>"


@pytest.mark.parametrize("name", list(SCENARIOS))
def test_every_scenario_simulates_a_truth_that_adds_up(name: str) -> None:
    sim = SCENARIOS[name].simulate(N, seed=0)
    truth = sim.truth
    assert list(truth.index) == list(SCENARIOS[name].funnel().channels)
    assert (truth["incremental"] >= 0).all()
    assert (truth["shapley"] >= 0).all()  # no drop-out: a touch can only help
    assert truth["shapley"].sum() == pytest.approx(sim.conversions - sim.conversions_without_channels)
    assert truth["incremental_share"].sum() == pytest.approx(1.0)
    assert truth["shapley_share"].sum() == pytest.approx(1.0)
    assert int(sim.events["converted"].sum()) == sim.conversions
    assert set(sim.events["channel"].dropna()) <= set(truth.index)
    assert sim.parameters["scenario"] == name
    assert sim.parameters["n_users"] == N
    assert sim.parameters["seed"] == 0


def test_the_same_seed_gives_the_same_simulation_and_another_seed_another() -> None:
    a, b = (SCENARIOS["harvesting"].simulate(5_000, seed=4) for _ in range(2))
    pd.testing.assert_frame_equal(a.events, b.events)
    pd.testing.assert_frame_equal(a.truth, b.truth)
    c = SCENARIOS["harvesting"].simulate(5_000, seed=5)
    assert not a.events.equals(c.events)


def test_the_default_scenario_is_simulate_at_its_defaults() -> None:
    ours, theirs = SCENARIOS["default"].simulate(10_000, seed=3), simulate(10_000, seed=3)
    pd.testing.assert_frame_equal(ours.events, theirs.events)
    pd.testing.assert_frame_equal(ours.truth, theirs.truth)
    assert (ours.conversions, ours.baseline_conversions, ours.conversions_without_channels) == (
        theirs.conversions,
        theirs.baseline_conversions,
        theirs.conversions_without_channels,
    )


def test_each_funnel_is_built_fresh_so_editing_one_changes_no_scenario() -> None:
    funnel = SCENARIOS["harvesting"].funnel()
    funnel.lift[:] = 0.0
    assert SCENARIOS["harvesting"].funnel().lift.max() > 0


# ---------------------------------------------------------------------- each world's claim


def test_harvesting_brand_search_is_the_last_touch_of_purchases_it_did_not_cause() -> None:
    sim = SCENARIOS["harvesting"].simulate(N, seed=0)
    last_touch = _last_touch_shares(sim.events)
    truth = sim.truth
    assert last_touch["Brand Search"] > 0.3
    assert truth.loc["Brand Search", "incremental_share"] < 0.1
    assert truth.loc["Brand Search", "shapley_share"] < 0.1
    assert truth.loc["Brand Search", "incremental_share"] < last_touch["Brand Search"] / 3
    # the demand it harvests was created upstream: last touch under-credits the openers
    for opener in ("Display", "Social"):
        assert truth.loc[opener, "incremental_share"] > 2 * last_touch[opener]


def test_harvesting_the_harvest_depends_on_the_stage_dependent_reach() -> None:
    """With one reach for every stage (the mean of the columns) Brand Search is no longer mostly last."""
    funnel = SCENARIOS["harvesting"].funnel()
    flat = np.repeat(funnel.reach.mean(axis=1, keepdims=True), 3, axis=1)
    sim = Scenario("flat", lambda: dataclasses.replace(funnel, reach=flat)).simulate(N, seed=0)
    assert _last_touch_shares(sim.events)["Brand Search"] < 0.2


def test_organic_most_purchases_happen_with_every_channel_off() -> None:
    organic, default = SCENARIOS["organic"].simulate(N, seed=0), SCENARIOS["default"].simulate(N, seed=0)
    assert organic.conversions_without_channels / organic.conversions > 0.75
    assert default.conversions_without_channels / default.conversions < 0.6
    assert organic.baseline_conversions / organic.conversions > 0.75
    # the channels cause as many purchases as in the default world (same funnel, same seed) ...
    caused = organic.conversions - organic.conversions_without_channels
    assert caused == pytest.approx(default.conversions - default.conversions_without_channels, rel=0.1)
    # ... and the untracked buyers' purchases have no touch: no model can attribute them
    result = Linear().attribute(Journeys.from_events(organic.events, **COLUMNS))
    assert result.unattributed.conversions > 0.005 * N


def test_synergy_no_channel_converts_anyone_alone_but_pairs_do() -> None:
    funnel = SCENARIOS["synergy"].funnel()
    channels = list(funnel.channels)
    alone = np.eye(len(channels), dtype=bool)
    pair = np.isin(channels, ["Video", "Search"])[None, :]
    nothing = np.zeros((1, len(channels)), dtype=bool)
    singles, together, none = (funnel_conversions(funnel, N, 0, on) for on in (alone, pair, nothing))
    single_lifts = singles - none[0]
    assert single_lifts.tolist() == [0] * len(channels)
    assert together[0] - none[0] > 50  # the lift of the pair far exceeds the sum of their lifts (0)
    sim = SCENARIOS["synergy"].simulate(N, seed=0)
    caused = sim.conversions - sim.conversions_without_channels
    assert sim.truth["shapley"].sum() == pytest.approx(caused)
    assert sim.truth["shapley"].sum() > single_lifts.sum() + 100
    # each channel is needed: switching one off loses more than its Shapley share of the joint lift
    assert (sim.truth["incremental"] > sim.truth["shapley"]).all()
    assert sim.truth["incremental"].sum() > 2 * caused


# ---------------------------------------------------------------------- recovery_benchmark


def test_recovery_benchmark_has_one_row_per_model_and_scenario_and_the_documented_columns() -> None:
    table = recovery_benchmark(["last_touch", Linear()], ["harvesting", "synergy"], seeds=(0, 1), n_users=3_000)
    assert list(table.columns) == DOCUMENTED
    assert table.index.names == ["model", "scenario"]
    assert list(table.index) == [
        ("Last touch", "harvesting"),
        ("Last touch", "synergy"),
        ("Linear", "harvesting"),
        ("Linear", "synergy"),
    ]
    assert table.notna().all().all()
    errors = [c for c in DOCUMENTED if not c.endswith("_std") and not c.startswith("rank_correlation")]
    assert (table[errors] >= 0).all().all()
    assert (table[errors] <= 1).all().all()


def test_recovery_benchmark_is_deterministic_and_averages_the_seeds() -> None:
    arguments = {"models": ["first_touch", "linear"], "scenarios": "organic", "n_users": 3_000}
    both = recovery_benchmark(seeds=(0, 1), **arguments)
    pd.testing.assert_frame_equal(both, recovery_benchmark(seeds=(0, 1), **arguments))
    zero, one = recovery_benchmark(seeds=(0,), **arguments), recovery_benchmark(seeds=[1], **arguments)
    assert zero.filter(like="_std").isna().all().all()  # one seed: no spread
    means = [c for c in DOCUMENTED if not c.endswith("_std")]
    pd.testing.assert_frame_equal(both[means], (zero[means] + one[means]) / 2)
    spread = np.abs(zero["mean_abs_error_shapley"] - one["mean_abs_error_shapley"]) / np.sqrt(2)
    np.testing.assert_allclose(both["mean_abs_error_shapley_std"], spread)
    assert not zero["mean_abs_error_shapley"].equals(one["mean_abs_error_shapley"])


def test_recovery_benchmark_finds_what_the_worlds_are_built_to_show() -> None:
    table = recovery_benchmark(["last_touch", "linear"], ["harvesting", "synergy"], seeds=(0,), n_users=N)
    error = table["mean_abs_error_shapley"]
    assert error["Last touch", "harvesting"] > 1.5 * error["Linear", "harvesting"]  # last touch rewards the harvest
    assert error["Last touch", "synergy"] > 2 * error["Linear", "synergy"]  # credit belongs to both ends


def test_recovery_benchmark_runs_the_default_models_of_compare_by_default() -> None:
    table = recovery_benchmark(scenarios=["default"], seeds=(0,), n_users=3_000)
    journeys = Journeys.from_events(SCENARIOS["default"].simulate(3_000, seed=0).events, **COLUMNS)
    assert list(table.index.get_level_values("model")) == [m.name for m in default_models(journeys)]
    assert list(table.index.get_level_values("scenario").unique()) == ["default"]


def test_recovery_benchmark_takes_a_scenario_of_ones_own_and_a_lookback() -> None:
    heavy = Scenario("heavy organic", lambda: dataclasses.replace(SCENARIOS["default"].funnel(), baseline=0.2))
    plain = recovery_benchmark([FirstTouch()], [heavy, "default"], seeds=(0,), n_users=3_000)
    assert list(plain.index.get_level_values("scenario")) == ["heavy organic", "default"]
    short = recovery_benchmark([FirstTouch()], [heavy, "default"], seeds=(0,), n_users=3_000, lookback="2D")
    # first touch of a two-day window is another touch than the first of 30 days
    assert not np.allclose(plain["mean_abs_error_shapley"], short["mean_abs_error_shapley"])


@pytest.mark.parametrize(
    ("arguments", "match"),
    [
        (
            {"scenarios": ["default", "holiday"]},
            r"parameter 'scenarios' of recovery_benchmark .*'default', 'harvesting'",
        ),
        ({"scenarios": []}, r"parameter 'scenarios' .* non-empty"),
        ({"scenarios": ["organic", "organic"]}, r"'organic' appears more than once"),
        ({"scenarios": 3}, r"parameter 'scenarios'"),
        ({"models": ["linear", "magic"]}, r"parameter 'models' of recovery_benchmark .*first_touch.*got 'magic'"),
        ({"models": ["linear", "Linear"]}, r"'Linear' appears more than once"),
        ({"models": [object()]}, r"parameter 'models'"),
        ({"models": []}, r"parameter 'models' .* non-empty"),
        ({"seeds": 3}, r"parameter 'seeds' .*got 3\. Fix: pass e\.g\. seeds=\(0, 1, 2\)"),
        ({"seeds": ()}, r"parameter 'seeds'"),
        ({"seeds": (0, -1)}, r"parameter 'seeds' .*>= 0; got -1"),
        ({"seeds": (1, 1)}, r"list each seed once"),
        ({"seeds": (0, 1.5)}, r"parameter 'seeds'"),
        ({"n_users": 0}, r"parameter 'n_users' of recovery_benchmark must be an integer in \[1, 1000000000\]; got 0"),
        ({"n_users": True}, r"parameter 'n_users'"),
        ({"n_users": 2_000.0}, r"parameter 'n_users'"),
        ({"lookback": "soon"}, r"'lookback'"),
        ({"lookback": -1}, r"'lookback' must be a positive"),
    ],
)
def test_recovery_benchmark_refuses_bad_parameters_naming_them(arguments: dict[str, object], match: str) -> None:
    with pytest.raises(ParameterError, match=match):
        recovery_benchmark(**{"n_users": 1_000, **arguments})  # type: ignore[arg-type]


def test_recovery_benchmark_refuses_a_population_with_nothing_to_recover() -> None:
    with pytest.raises(ParameterError, match=r"parameter 'n_users' .*no truth to recover.*simulate more users"):
        recovery_benchmark(["linear"], ["synergy"], seeds=(0,), n_users=20)


def test_a_scenario_must_build_a_funnel_of_at_most_ten_channels() -> None:
    not_a_funnel = Scenario("broken", lambda: "funnel")  # type: ignore[arg-type,return-value]
    with pytest.raises(ParameterError, match=r"scenario 'broken' must build a Funnel; .* returned str"):
        recovery_benchmark(["linear"], [not_a_funnel], n_users=1_000)
    names = tuple(f"c{i}" for i in range(11))
    wide = Scenario("wide", lambda: Funnel(names, np.ones((11, 3)), np.full((11, 3), 0.1), mean_touches=3.0))
    with pytest.raises(ParameterError, match=r"scenario 'wide' has 11 channels"):
        recovery_benchmark(["linear"], [wide], n_users=1_000)


def test_scenario_simulate_checks_its_parameters() -> None:
    with pytest.raises(ParameterError, match=r"parameter 'n_users' of Scenario 'default'.simulate"):
        SCENARIOS["default"].simulate(0, seed=0)
    with pytest.raises(ParameterError, match=r"parameter 'seed' of Scenario 'default'.simulate .*got -2"):
        SCENARIOS["default"].simulate(10, seed=-2)
