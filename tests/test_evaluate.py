"""attribution.evaluate: the simulator's truth, scoring, bootstrap intervals, predictive validity."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from attribution import FirstTouch, Journeys, LastTouch, Linear, MarkovChain, ParameterError, compare
from attribution.evaluate import bootstrap, predictive_validity, score, simulate
from attribution.models.order_selection import select_order

COLUMNS = {"user": "user", "time": "time", "channel": "channel", "conversion": "converted", "value": "value"}
CHANNELS = {
    "Display": (1.2, (0.30, 0.05, 0.02)),
    "Search": (0.8, (0.10, 0.30, 0.20)),
    "Email": (0.6, (0.02, 0.15, 0.30)),
}


def test_zero_lifts_give_zero_incremental_conversions_and_zero_shapley() -> None:
    no_effect = {name: (reach, (0.0, 0.0, 0.0)) for name, (reach, _) in CHANNELS.items()}
    sim = simulate(20_000, channels=no_effect, baseline=0.03, seed=3)
    assert sim.conversions > 0  # organic demand only
    assert sim.truth["incremental"].tolist() == [0.0, 0.0, 0.0]
    assert sim.truth["shapley"].tolist() == [0.0, 0.0, 0.0]
    assert sim.conversions == sim.conversions_without_channels


def test_switching_a_channel_off_matches_its_truth_within_sampling_error() -> None:
    """Two independent populations, with and without Search: their difference in conversions
    estimates Search's incremental conversions, with a standard deviation of about
    sqrt(conversions_with + conversions_without) (two independent Poisson-like counts)."""
    n = 200_000
    with_search = simulate(n, channels=CHANNELS, seed=11)
    without = dict(CHANNELS, Search=(0.0, CHANNELS["Search"][1]))
    without_search = simulate(n, channels=without, seed=12)
    difference = with_search.conversions - without_search.conversions
    sd = np.sqrt(with_search.conversions + without_search.conversions)
    truth = with_search.truth.loc["Search", "incremental"]
    assert truth > 5 * sd  # the effect is large enough for the test to mean something
    assert abs(difference - truth) <= 5 * sd


def test_shapley_truth_is_efficient_and_switching_off_is_bounded() -> None:
    """Σ φ = v(N) − v(∅); and no channel's removal costs more than all conversions it could touch."""
    sim = simulate(30_000, channels=CHANNELS, seed=5)
    assert sim.truth["shapley"].sum() == pytest.approx(sim.conversions - sim.conversions_without_channels)
    assert (sim.truth["incremental"] >= 0).all()
    assert sim.truth["incremental_share"].sum() == pytest.approx(1.0)
    assert sim.truth["shapley_share"].sum() == pytest.approx(1.0)


def test_the_simulation_is_seeded_and_its_log_builds_journeys() -> None:
    a, b = simulate(5_000, seed=9), simulate(5_000, seed=9)
    pd.testing.assert_frame_equal(a.events, b.events)
    pd.testing.assert_frame_equal(a.truth, b.truth)
    journeys = Journeys.from_events(a.events, **COLUMNS)
    assert journeys.total_conversions == a.conversions
    assert journeys.total_value == pytest.approx(a.events["value"].sum())
    assert not simulate(5_000, seed=10).events.equals(a.events)


def test_the_shapley_truth_is_pinned_for_the_default_channels() -> None:
    """Today's truth table, pinned: the game's values are whole conversions, so over 5! orders
    every φ is a multiple of 1/120 (here of 1/12), whichever exact algorithm computes it."""
    truth = simulate(20_000, seed=1).truth
    assert truth.index.tolist() == ["Display", "Social", "Search", "Email", "Direct"]
    assert truth["incremental"].tolist() == [110.0, 80.0, 136.0, 81.0, 11.0]
    np.testing.assert_allclose(truth["shapley"].to_numpy(), np.array([587, 418, 772, 414, 53]) / 12, rtol=1e-12)
    np.testing.assert_allclose(truth["shapley_share"].to_numpy(), np.array([587, 418, 772, 414, 53]) / 2244, rtol=1e-12)
    np.testing.assert_allclose(
        truth["incremental_share"].to_numpy(), np.array([110, 80, 136, 81, 11]) / 418, rtol=1e-12
    )


def test_replays_by_reached_channels_equal_one_full_replay_per_coalition() -> None:
    """The shortcut for stage-independent reach (one walk per subset of the channels a user can
    reach, then v(S) = sum of f_u(S & K_u)) gives every coalition's conversions exactly as
    replaying the whole population once per coalition does."""
    from attribution.evaluate import funnel as engine
    from attribution.evaluate.simulation import _funnel

    names = list(CHANNELS)
    reach = np.array([CHANNELS[n][0] for n in names])
    lift = np.array([CHANNELS[n][1] for n in names])
    funnel = _funnel(names, reach, lift, 0.6, 0.02, 30.0, 80.0)
    n_users, seed = 3_000, 4
    masks = np.arange(1 << len(names))
    on = ((masks[:, None] >> np.arange(len(names))) & 1).astype(bool)
    users = engine._users(funnel, seed, n_users)
    assert engine._exogenous_reach(funnel, seed, n_users, users) is not None  # the shortcut applies
    shortcut = engine.funnel_conversions(funnel, n_users, seed, on)
    one_by_one = []
    for row in on:  # the obviously correct route: the whole population, walked under each coalition
        rows = engine._Rows(n_users, log=False)
        lanes = np.arange(n_users)
        engine._walk(funnel, seed, n_users, users, engine._lift_sets(funnel, row[None]), lanes * 0, lanes, rows)
        one_by_one.append(int(rows.counts.sum()))
    np.testing.assert_array_equal(shortcut, one_by_one)
    assert len(set(one_by_one)) > 4  # the coalitions really differ


def test_the_shapley_truth_is_skipped_past_the_channel_limit() -> None:
    sim = simulate(2_000, channels=CHANNELS, max_shapley_channels=2, seed=1)
    assert sim.truth["shapley"].isna().all()
    with pytest.raises(ParameterError, match="incremental_share"):
        score(LastTouch().attribute(Journeys.from_events(sim.events, **COLUMNS)), sim.truth)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"n_users": 0}, "'n_users'"),
        ({"n_users": 10, "baseline": 1.5}, "'baseline'"),
        ({"n_users": 10, "channels": {"A": (1.0, (0.1, 2.0, 0.1))}}, "lifts in \\[0, 1\\]"),
        ({"n_users": 10, "channels": {"A": 3}}, "must be \\(mean touches"),
    ],
)
def test_bad_simulation_parameters_are_named(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(ParameterError, match=message):
        simulate(**kwargs)  # type: ignore[arg-type]


def test_score_ranks_a_perfect_model_first() -> None:
    """Against truth equal to Linear's own shares, Linear scores zero error and rank correlation 1."""
    j = Journeys.from_sequences([["A", "B", "C"], ["B"], ["C", "A"]], conversions=[3, 5, 2], nulls=[1, 1, 1])
    comparison = compare(j, [FirstTouch(), LastTouch(), Linear()])
    truth = Linear().attribute(j).credits["share"]
    table = score(comparison, truth)
    assert table.index[0] == "Linear"
    assert table.loc["Linear", "mean_abs_error"] == pytest.approx(0.0, abs=1e-15)
    assert table.loc["Linear", "rank_correlation"] == pytest.approx(1.0)
    first = FirstTouch().attribute(j).credits["share"]
    assert table.loc["First touch", "bias A"] == pytest.approx(first["A"] - truth["A"])
    assert table.loc["First touch", "total_variation"] == pytest.approx((first - truth).abs().sum() / 2)


def test_rule_models_credit_organic_conversions_to_channels() -> None:
    """With heavy organic demand, last touch over-credits: its shares are off the truth."""
    sim = simulate(50_000, channels=CHANNELS, baseline=0.05, seed=2)
    journeys = Journeys.from_events(sim.events, **COLUMNS)
    table = score(compare(journeys, [LastTouch(), MarkovChain()]), sim.truth)
    assert set(table.index) == {"Last touch", "Markov (order 1)"}
    assert (table["mean_abs_error"] > 0).all()
    # credits cover every conversion, organic ones included, while the truth is net of them
    total_credit = LastTouch().attribute(journeys).credits["conversions"].sum()
    assert total_credit + journeys.unattributed_conversions == pytest.approx(sim.conversions)
    assert sim.truth["shapley"].sum() < sim.conversions


@pytest.mark.parametrize("model", [Linear(), MarkovChain()], ids=lambda m: m.name)
def test_bootstrap_intervals_cover_the_full_data_estimate(model: object) -> None:
    j = Journeys.from_sequences(
        [["A", "B"], ["B", "C"], ["A"], ["C"], ["B"], ["A", "C", "B"]],
        conversions=[30, 25, 10, 12, 8, 20],
        nulls=[70, 75, 90, 88, 92, 80],
    )
    result = bootstrap(j, model, n=100, seed=1)  # type: ignore[arg-type]
    for quantity in ("conversions", "share"):
        block = result.intervals.xs(quantity, level="quantity")
        assert (block["low"] <= block["estimate"] + 1e-12).all()
        assert (block["estimate"] <= block["high"] + 1e-12).all()
        assert (block["std"] > 0).all()
    assert ((result.rank_stability >= 0) & (result.rank_stability <= 1)).all()
    assert result.replicates.shape == (100, 3)
    again = bootstrap(j, model, n=100, seed=1)  # type: ignore[arg-type]
    pd.testing.assert_frame_equal(result.intervals, again.intervals)


def test_bootstrap_replicates_keep_the_total_on_average() -> None:
    """Poisson resampling of counts: the replicates' mean total is the data's total, within 5 SE."""
    j = Journeys.from_sequences([["A", "B"], ["B"]], conversions=[400, 100], nulls=[600, 900])
    result = bootstrap(j, Linear(), n=400, seed=3)
    totals = result.replicates.sum(axis=1)
    assert abs(totals.mean() - 500) <= 5 * totals.std() / np.sqrt(len(totals))


def test_bootstrap_parameters_are_checked() -> None:
    j = Journeys.from_sequences([["A"]], conversions=[1], nulls=[1])
    with pytest.raises(ParameterError, match="'n'"):
        bootstrap(j, Linear(), n=1)
    with pytest.raises(ParameterError, match="'level'"):
        bootstrap(j, Linear(), n=10, level=95)  # type: ignore[arg-type]


def test_predictive_validity_reuses_select_order() -> None:
    j = Journeys.from_sequences(
        [["A", "B"], ["B", "A"], ["A"], ["B"]], conversions=[300, 50, 100, 100], nulls=[100, 350, 300, 300]
    )
    table = predictive_validity(j, max_order=2, cv=4, seed=1)
    assert list(table.columns) == ["log_loss", "log_loss_std", "auc", "auc_std"]
    expected = select_order(j, max_order=2, cv=4, metric="auc", seed=1).scores["mean"]
    np.testing.assert_allclose(table["auc"].to_numpy(), expected.to_numpy())
    assert table["log_loss"].idxmin() == 2
