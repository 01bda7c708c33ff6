"""attribution.analytics: totals reconcile with Journeys, aggregation changes nothing, hand-worked tables."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given

from attribution import Journeys, ParameterError
from attribution.analytics import (
    CONVERSION,
    NULL,
    START,
    channel_presence,
    drop_off,
    first_last_matrix,
    path_lengths,
    time_to_conversion,
    top_paths,
    transition_graph,
    transitions,
)
from attribution.testing.strategies import journeys


@given(journeys())
def test_totals_reconcile_with_the_journeys(j: Journeys) -> None:
    non_empty = j.lengths > 0
    lengths = path_lengths(j)
    assert lengths["journeys"].sum() == pytest.approx(j.n_journeys)
    assert lengths["conversions"].sum() == pytest.approx(j.total_conversions)
    assert lengths["value"].sum() == pytest.approx(j.total_value)
    moves = transitions(j)
    by_source = moves.groupby("source")["journeys"].sum()
    by_target = moves.groupby("target")["journeys"].sum()
    attributable = j.total_conversions - j.unattributed_conversions
    assert by_source.get(START, 0.0) == pytest.approx((j.conversions + j.nulls)[non_empty].sum())
    assert by_target.get(CONVERSION, 0.0) == pytest.approx(attributable)
    assert by_target.get(NULL, 0.0) == pytest.approx(j.nulls[non_empty].sum())
    assert first_last_matrix(j).to_numpy().sum() == pytest.approx(attributable)
    assert drop_off(j)["nulls"].sum() == pytest.approx(j.nulls[non_empty].sum())
    everything = top_paths(j, n=j.n_rows + 1)
    assert everything["conversions"].sum() == pytest.approx(j.total_conversions)
    assert everything["journeys"].sum() == pytest.approx(j.n_journeys)


@given(journeys())
def test_aggregating_rows_changes_no_table(j: Journeys) -> None:
    merged = j.aggregate()
    pd.testing.assert_frame_equal(path_lengths(j), path_lengths(merged))
    pd.testing.assert_frame_equal(
        transitions(j).sort_values(["source", "target"]).reset_index(drop=True),
        transitions(merged).sort_values(["source", "target"]).reset_index(drop=True),
    )
    pd.testing.assert_frame_equal(channel_presence(j), channel_presence(merged))
    pd.testing.assert_frame_equal(drop_off(j), drop_off(merged))


def test_hand_worked_example(spec_journeys: Journeys) -> None:
    """Data D: A>B>C 2/0, A>C 1/1, B 0/2, C 1/1, A>B 0/1 (conversions/nulls)."""
    moves = transitions(spec_journeys).set_index(["source", "target"])["journeys"]
    assert moves[(START, "A")] == 5.0  # 2 + 2 + 1
    assert moves[("A", "B")] == 3.0
    assert moves[("B", NULL)] == 3.0  # B alone (2) and A>B (1)
    presence = channel_presence(spec_journeys)
    assert presence.loc["A", "rate_with"] == pytest.approx(3 / 5)
    assert presence.loc["A", "rate_without"] == pytest.approx(1 / 4)
    assert presence.loc["A", "value_per_conversion_with"] == pytest.approx(250 / 3)
    matrix = first_last_matrix(spec_journeys)
    assert matrix.loc["A", "C"] == 3.0
    assert matrix.loc["C", "C"] == 1.0
    assert drop_off(spec_journeys).loc["B", "share_of_drop_off"] == pytest.approx(3 / 5)
    assert top_paths(spec_journeys, 1)["path"].item() == "A > B > C"


def test_transition_graph_shares_sum_to_one_per_source(spec_journeys: Journeys) -> None:
    graph = transition_graph(spec_journeys)
    for node in graph.nodes:
        out = [d["share"] for _, _, d in graph.out_edges(node, data=True)]
        if out:
            assert sum(out) == pytest.approx(1.0)


def test_time_to_conversion_is_weighted_by_conversions() -> None:
    day = 86_400.0
    j = Journeys.from_sequences(
        [["A", "B"], ["C"], ["D"]], conversions=[3, 1, 0], nulls=[0, 0, 5], times=[[4 * day, 0], [day], [9 * day]]
    )
    table = time_to_conversion(j)
    assert table["conversions"].item() == 4.0
    assert table["mean_days"].item() == pytest.approx((3 * 4 + 1) / 4)
    assert table["max_days"].item() == 4.0


def test_bad_options_are_named() -> None:
    j = Journeys.from_sequences([["A"]], conversions=[1])
    with pytest.raises(ParameterError, match="'by'"):
        top_paths(j, by="rate")
    with pytest.raises(ParameterError, match="'values'"):
        first_last_matrix(j, values="value")


def _non_blank_png(ax: object, tmp_path: object, name: str) -> None:
    import matplotlib.pyplot as plt

    figure = ax.figure  # type: ignore[attr-defined]
    path = f"{tmp_path}/{name}.png"
    figure.savefig(path, dpi=60)
    image = plt.imread(path)
    plt.close(figure)
    assert image.shape[0] > 100
    assert image.shape[1] > 100
    assert image[..., :3].std() > 0.05  # marks and text, not a blank canvas


def test_plots_render_non_blank_pngs(spec_journeys: Journeys, tmp_path: object) -> None:
    matplotlib = pytest.importorskip("matplotlib")
    matplotlib.use("Agg")
    from attribution import Linear, compare
    from attribution.evaluate import bootstrap
    from attribution.plotting import plot_bootstrap, plot_journey_map, plot_truth_vs_model

    _non_blank_png(plot_journey_map(spec_journeys), tmp_path, "map")
    _non_blank_png(plot_bootstrap(bootstrap(spec_journeys, Linear(), n=20, seed=0)), tmp_path, "bootstrap")
    truth = pd.Series({"A": 0.3, "B": 0.2, "C": 0.5})
    _non_blank_png(plot_truth_vs_model(compare(spec_journeys), truth), tmp_path, "truth")
    assert np.isfinite(truth.sum())


def test_stage_summary_on_a_simulated_funnel() -> None:
    """Every touch finds its user at a funnel stage; users reached at the decision stage convert
    far more often than users reached while unaware, and every converting user is counted."""
    from attribution.analytics import stage_summary
    from attribution.evaluate import simulate

    sim = simulate(20_000, seed=4)
    table = stage_summary(sim.events, user="user", stage="stage", conversion="converted")
    assert list(table.index) == ["unaware", "aware", "considering", "deciding", "converted"]
    assert table["events"].sum() == len(sim.events)
    assert table.loc["converted", "users"] == sim.conversions  # one conversion per converting user
    assert table.loc["converted", "conversion_rate"] == 1.0
    assert table.loc["deciding", "conversion_rate"] > 2 * table.loc["unaware", "conversion_rate"]
