"""attribution.plotting: what each figure shows, its colours and labels, its parameter errors, headless rendering."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np
import pandas as pd
import pytest

from attribution import (
    AttributionError,
    FirstTouch,
    JourneyError,
    Journeys,
    LastTouch,
    Linear,
    MarkovChain,
    ParameterError,
    PositionBased,
    compare,
)
from attribution.compare import Comparison
from attribution.evaluate import bootstrap

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.collections import PathCollection  # noqa: E402
from matplotlib.colors import to_hex  # noqa: E402
from matplotlib.patches import PathPatch  # noqa: E402

from attribution.plotting import (  # noqa: E402
    agreement_order,
    journey_flows,
    palette,
    plot_bootstrap,
    plot_comparison,
    plot_journey_map,
    plot_roas,
    plot_transitions,
    plot_truth_vs_model,
)
from attribution.plotting.evaluation import spread_labels  # noqa: E402


@pytest.fixture(autouse=True)
def _close_figures() -> Iterator[None]:
    yield
    plt.close("all")


@pytest.fixture
def journeys() -> Journeys:
    """Four channels: A opens, D closes, B and C in between; an empty path that converts."""
    return Journeys.from_sequences(
        [["A", "B", "D"], ["A", "C"], ["B", "D"], ["C"], ["A", "B", "C", "D"], ["D"], []],
        conversions=[4, 1, 3, 0, 2, 1, 2],
        nulls=[1, 5, 2, 6, 1, 0, 0],
        value=[40, 10, 30, 0, 20, 10, 20],
    )


def _random_journeys(seed: int, n_rows: int = 60, n_channels: int = 5) -> Journeys:
    rng = np.random.default_rng(seed)
    channels = [f"c{i}" for i in range(n_channels)]
    paths = [[channels[k] for k in rng.integers(0, n_channels, rng.integers(0, 7))] for _ in range(n_rows)]
    return Journeys.from_sequences(
        paths,
        conversions=rng.integers(0, 3, n_rows).tolist(),
        nulls=rng.integers(0, 4, n_rows).tolist(),
    )


def _scatters(ax: Any) -> list[PathCollection]:
    return [c for c in ax.collections if isinstance(c, PathCollection)]


def _texts(labels: Any) -> list[str]:
    return [t.get_text() for t in labels]


# ---------------------------------------------------------------------- import and palette
def test_importing_plotting_does_not_import_matplotlib() -> None:
    code = "import sys, attribution, attribution.plotting; print('matplotlib' in sys.modules)"
    result = subprocess.run([sys.executable, "-W", "error", "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout == "False\n"


def test_palette_starts_with_okabe_ito_and_stays_distinct_for_any_count() -> None:
    assert palette(8) == ["#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442", "#000000"]
    for n in (0, 1, 12, 13, 40):
        colours = palette(n)
        assert len(colours) == n
        assert len(set(colours)) == n


def test_palette_refuses_a_negative_count() -> None:
    with pytest.raises(ParameterError, match=r"parameter 'n' of palette must be an integer >= 0; got -1"):
        palette(-1)


# ---------------------------------------------------------------------- comparison: heatmap
def test_heatmap_has_a_row_per_channel_and_a_column_per_model_in_agreement_order(journeys: Journeys) -> None:
    comparison = compare(journeys, [FirstTouch(), LastTouch(), Linear(), PositionBased.u_shaped(), MarkovChain()])
    ax = plot_comparison(comparison)
    shares = comparison.wide("share").fillna(0.0)
    channels = list(shares.mean(axis=1).sort_values(ascending=False, kind="stable").index)
    assert _texts(ax.get_yticklabels()) == channels
    assert _texts(ax.get_xticklabels()) == agreement_order(shares)
    assert sorted(_texts(ax.get_xticklabels())) == sorted(comparison.models)
    assert ax.images[0].get_array().shape == (len(channels), len(comparison.models))


def test_heatmap_annotations_are_the_shares_as_percentages(journeys: Journeys) -> None:
    comparison = compare(journeys, [FirstTouch(), LastTouch(), Linear()])
    ax = plot_comparison(comparison)
    rows, columns = _texts(ax.get_yticklabels()), _texts(ax.get_xticklabels())
    table = comparison.wide("share").fillna(0.0).loc[rows, columns]
    assert _texts(ax.texts) == [f"{v:.1%}" for v in table.to_numpy().ravel()]


def test_heatmap_of_conversions_annotates_the_counts(journeys: Journeys) -> None:
    comparison = compare(journeys, [FirstTouch(), LastTouch()])
    ax = plot_comparison(comparison, values="conversions")
    rows, columns = _texts(ax.get_yticklabels()), _texts(ax.get_xticklabels())
    table = comparison.wide("conversions").fillna(0.0).loc[rows, columns]
    assert _texts(ax.texts) == [f"{v:.0f}" if v.is_integer() else f"{v:.1f}" for v in table.to_numpy().ravel()]
    assert ax.get_title(loc="left") == "Conversions credited by channel and model"


def test_comparison_plot_draws_the_heatmap(journeys: Journeys) -> None:
    ax = compare(journeys, [FirstTouch(), LastTouch()]).plot()
    assert len(ax.images) == 1
    assert len(ax.texts) == 4 * 2


def test_grouped_comparison_gets_a_row_per_group_and_channel() -> None:
    j = Journeys.from_sequences([["A", "B"], ["B"], ["A"]], conversions=[1, 1, 1]).with_attributes(
        country=["FR", "FR", "DE"]
    )
    ax = plot_comparison(compare(j, [FirstTouch(), LastTouch()], by="country"))
    labels = _texts(ax.get_yticklabels())
    assert set(labels) == {"FR · A", "FR · B", "DE · A", "DE · B"}
    groups = [label.split(" · ")[0] for label in labels]
    assert groups in (["FR", "FR", "DE", "DE"], ["DE", "DE", "FR", "FR"])  # each group's rows stay together


# ---------------------------------------------------------------------- comparison: agreement order
def test_agreement_order_puts_agreeing_models_side_by_side() -> None:
    table = pd.DataFrame(
        {
            "first": [0.6, 0.3, 0.1],
            "last": [0.1, 0.3, 0.6],
            "first-like": [0.55, 0.35, 0.1],
            "last-like": [0.1, 0.25, 0.65],
        }
    )
    order = agreement_order(table)
    assert order.index("first") < order.index("last")  # the first model run is on the left
    assert abs(order.index("first") - order.index("first-like")) == 1
    assert abs(order.index("last") - order.index("last-like")) == 1


def test_agreement_order_is_deterministic_and_takes_a_model_that_gives_equal_shares() -> None:
    table = pd.DataFrame({"a": [0.5, 0.5], "b": [0.9, 0.1], "c": [0.1, 0.9], "d": [0.8, 0.2]})
    order = agreement_order(table)
    assert sorted(order) == ["a", "b", "c", "d"]
    assert agreement_order(table) == order
    assert abs(order.index("b") - order.index("d")) == 1


# ---------------------------------------------------------------------- comparison: dots
def _twelve_models(journeys: Journeys) -> Comparison:
    models = [FirstTouch(), LastTouch(), Linear(), PositionBased.u_shaped(), PositionBased.j_curve()]
    results = {}
    for i in range(12):
        model = models[i % len(models)]
        results[f"model {i}"] = model.attribute(journeys)
    return Comparison.of(results)


def test_dots_give_every_model_a_distinct_colour_and_marker_even_for_twelve(journeys: Journeys) -> None:
    ax = plot_comparison(_twelve_models(journeys), kind="dots")
    scatters = _scatters(ax)
    assert len(scatters) == 12
    colours = {to_hex(s.get_facecolor()[0]) for s in scatters}
    assert len(colours) == 12
    markers = {tuple(map(tuple, s.get_paths()[0].vertices.round(6))) for s in scatters}
    assert len(markers) == 12


def test_dots_have_one_row_per_channel_and_one_dot_per_model(journeys: Journeys) -> None:
    comparison = compare(journeys, [FirstTouch(), LastTouch(), Linear()])
    ax = plot_comparison(comparison, kind="dots")
    assert sorted(_texts(ax.get_yticklabels())) == ["A", "B", "C", "D"]
    assert [len(s.get_offsets()) for s in _scatters(ax)] == [4, 4, 4]
    assert ax.get_xlabel() == "share of conversions (%)"


def test_dots_legend_sits_outside_the_data(journeys: Journeys) -> None:
    comparison = compare(journeys, [FirstTouch(), LastTouch(), Linear()])
    ax = plot_comparison(comparison, kind="dots")
    ax.figure.canvas.draw()
    legend = ax.get_legend()
    assert legend is not None
    assert legend.get_window_extent().x0 >= ax.get_window_extent().x1
    models = agreement_order(comparison.wide("share"))
    assert _texts(legend.get_texts()) == ["range over the models", *models]


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"kind": "bars"}, r"parameter 'kind' of plot_comparison must be one of 'heatmap', 'dots'; got 'bars'"),
        ({"values": "rate"}, r"parameter 'values' of plot_comparison must be one of 'share', 'conversions', 'value'"),
        ({"ax": "left"}, r"parameter 'ax' of plot_comparison must be a matplotlib Axes or None; got 'left'"),
    ],
    ids=["kind", "values", "ax"],
)
def test_plot_comparison_refuses_bad_options(journeys: Journeys, options: dict[str, Any], message: str) -> None:
    with pytest.raises(ParameterError, match=message):
        plot_comparison(compare(journeys, [Linear()]), **options)


def test_plot_comparison_refuses_models_in_place_of_results() -> None:
    with pytest.raises(ParameterError, match=r"parameter 'results' of plot_comparison must hold attribution results"):
        plot_comparison([Linear()])  # type: ignore[arg-type]


# ---------------------------------------------------------------------- journeys: flows
def _reference_flows(journeys: Journeys, steps: int) -> dict[tuple[int, str, str], float]:
    """Path by path, as one would count by hand (min_share = 0)."""
    flows: dict[tuple[int, str, str], float] = {}

    def add(key: tuple[int, str, str], amount: float) -> None:
        if amount:
            flows[key] = flows.get(key, 0.0) + amount

    for path, conversions, nulls in zip(journeys.paths(), journeys.conversions, journeys.nulls, strict=True):
        if not path:
            continue
        shown = list(path[:steps])
        for i in range(steps):
            if i < len(shown) - 1:
                add((i + 1, shown[i], shown[i + 1]), conversions + nulls)
            elif i == len(shown) - 1:
                add((i + 1, shown[i], "(conversion)"), conversions)
                add((i + 1, shown[i], "(null)"), nulls)
            else:
                add((i + 1, "(conversion)", "(conversion)"), conversions)
                add((i + 1, "(null)", "(null)"), nulls)
    return flows


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("steps", [1, 3, 5])
def test_journey_flows_match_a_path_by_path_count(seed: int, steps: int) -> None:
    j = _random_journeys(seed)
    table = journey_flows(j, steps=steps, min_share=0)
    got = {
        (int(s), str(a), str(b)): float(v)
        for s, a, b, v in table[["source_step", "source", "target", "journeys"]].itertuples(index=False)
    }
    assert got == pytest.approx(_reference_flows(j, steps))
    assert (table["target_step"] == table["source_step"] + 1).all()


def test_every_column_holds_every_journey_with_a_touch(journeys: Journeys) -> None:
    table = journey_flows(journeys, steps=4)
    shown = float((journeys.conversions + journeys.nulls)[journeys.lengths > 0].sum())
    assert table.groupby("source_step")["journeys"].sum().tolist() == pytest.approx([shown] * 4)


def test_flows_into_conversion_sum_to_the_conversions_of_the_journeys_shown(journeys: Journeys) -> None:
    table = journey_flows(journeys, steps=2)
    into_conversion = table[(table["target_step"] == 3) & (table["target"] == "(conversion)")]["journeys"].sum()
    assert into_conversion == journeys.conversions[journeys.lengths > 0].sum() == 11  # the empty path's 2 left out


def test_small_channels_are_grouped_as_other() -> None:
    j = Journeys.from_sequences([["A"], ["B"], ["C"]], conversions=[0, 0, 0], nulls=[90, 6, 4])
    table = journey_flows(j, steps=1, min_share=0.05)
    assert set(table["source"]) == {"A", "B", "(other)"}
    assert table.loc[table["source"] == "(other)", "journeys"].sum() == 4


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"steps": 0}, r"parameter 'steps' of journey_flows must be an integer in \[1, 50\]; got 0"),
        ({"min_share": 1.5}, r"parameter 'min_share' of journey_flows must be a finite number in \[0, 1\]; got 1.5"),
    ],
    ids=["steps", "min_share"],
)
def test_journey_flows_refuse_bad_options(journeys: Journeys, options: dict[str, Any], message: str) -> None:
    with pytest.raises(ParameterError, match=message):
        journey_flows(journeys, **options)


def test_journey_map_refuses_something_else_than_journeys() -> None:
    with pytest.raises(ParameterError, match=r"parameter 'journeys' of plot_journey_map must be a Journeys object"):
        plot_journey_map([["A", "B"]])  # type: ignore[arg-type]


def test_journey_map_parameters_are_named_for_it(journeys: Journeys) -> None:
    with pytest.raises(ParameterError, match=r"parameter 'steps' of plot_journey_map must be an integer in \[1, 50\]"):
        plot_journey_map(journeys, steps=0)


@pytest.mark.parametrize("draw", [plot_journey_map, plot_transitions], ids=["journey map", "transitions"])
def test_journeys_without_a_touch_are_refused_with_the_fix(draw: Callable[[Journeys], Any]) -> None:
    empty = Journeys.from_sequences([[], []], conversions=[1, 0], nulls=[0, 2])
    with pytest.raises(JourneyError, match=r"has nothing to draw: no journey has a touch.*Fix: check the channel"):
        draw(empty)


def test_a_comparison_without_channels_is_refused_with_the_fix() -> None:
    empty = Journeys.from_sequences([[]], conversions=[1])
    with pytest.raises(ParameterError, match=r"parameter 'comparison' of plot_comparison credits no channel"):
        plot_comparison(compare(empty, [Linear()]))


# ---------------------------------------------------------------------- journeys: the flow diagram
def test_journey_map_draws_one_band_per_flow(journeys: Journeys) -> None:
    ax = plot_journey_map(journeys, steps=3, min_share=0)
    bands = [p for p in ax.patches if isinstance(p, PathPatch)]
    assert len(bands) == len(journey_flows(journeys, steps=3, min_share=0))


def test_journey_map_labels_the_outcomes_with_their_journeys(journeys: Journeys) -> None:
    ax = plot_journey_map(journeys, steps=2)
    texts = _texts(ax.texts)
    assert "conversion\n11 (42%)" in texts  # 11 of the 26 journeys with a touch
    assert "no conversion\n15 (58%)" in texts
    assert [t for t in texts if t.endswith("touch") or t == "outcome"] == ["1st touch", "2nd touch", "outcome"]


def test_journey_map_colours_every_channel_apart_from_the_lanes() -> None:
    j = _random_journeys(3, n_rows=200, n_channels=12)
    ax = plot_journey_map(j, steps=2, min_share=0)
    legend = ax.get_legend()
    colours = [to_hex(h.get_facecolor()) for h in legend.legend_handles]
    assert len(colours) == len(set(colours)) == 12 + 2  # twelve channels, conversion, no conversion


# ---------------------------------------------------------------------- journeys: transitions
def test_transition_heatmap_rows_sum_to_one(journeys: Journeys) -> None:
    ax = plot_transitions(journeys)
    data = np.asarray(ax.images[0].get_array())
    assert data.sum(axis=1) == pytest.approx(np.ones(data.shape[0]))


def test_transition_heatmap_holds_the_chances_of_the_next_step() -> None:
    j = Journeys.from_sequences([["A", "B"], ["B"]], conversions=[1, 1], nulls=[1, 3])
    ax = plot_transitions(j)
    assert _texts(ax.get_yticklabels()) == ["journey start", "A", "B"]
    assert _texts(ax.get_xticklabels()) == ["A", "B", "conversion", "no conversion"]
    data = np.asarray(ax.images[0].get_array())
    expected = [[2 / 6, 4 / 6, 0, 0], [0, 1, 0, 0], [0, 0, 2 / 6, 4 / 6]]
    assert data == pytest.approx(np.array(expected))


def test_transition_heatmap_without_the_start_row() -> None:
    j = Journeys.from_sequences([["A", "B"], ["B"]], conversions=[1, 1], nulls=[1, 3])
    ax = plot_transitions(j, start=False)
    assert _texts(ax.get_yticklabels()) == ["A", "B"]


# ---------------------------------------------------------------------- truth against model
def test_spread_labels_keeps_the_order_and_the_gap_and_moves_no_label_that_has_room() -> None:
    wanted = np.array([5.0, 0.0, 0.3, 0.2, 20.0])
    placed = spread_labels(wanted, gap=1.0)
    order = np.argsort(wanted, kind="stable")
    assert (np.diff(placed[order]) >= 1.0 - 1e-12).all()
    assert placed[0] == 5.0
    assert placed[4] == 20.0
    assert placed[[1, 3, 2]].mean() == pytest.approx(wanted[[1, 3, 2]].mean())  # a cluster stays centred


def test_truth_vs_model_labels_every_channel_once_without_overlaps() -> None:
    j = Journeys.from_sequences([["A", "B"], ["B", "C"], ["C", "D"], ["D"]], conversions=[3, 2, 2, 1])
    truth = pd.Series({"A": 0.30, "B": 0.305, "C": 0.31, "D": 0.085})  # three columns nearly on top of each other
    ax = plot_truth_vs_model(compare(j, [FirstTouch(), LastTouch(), Linear()]), truth)
    ax.figure.canvas.draw()
    labels = [t for t in ax.texts if t.get_text() in truth.index]
    assert sorted(t.get_text() for t in labels) == ["A", "B", "C", "D"]
    boxes = [t.get_window_extent() for t in labels]
    for i, a in enumerate(boxes):
        for b in boxes[i + 1 :]:
            assert not a.overlaps(b)


def test_truth_vs_model_draws_the_diagonal_and_names_the_units(journeys: Journeys) -> None:
    truth = pd.Series({"A": 0.25, "B": 0.25, "C": 0.2, "D": 0.3})
    ax = plot_truth_vs_model(compare(journeys, [FirstTouch(), LastTouch()]), truth)
    diagonal = [line for line in ax.lines if line.get_label() == "model = truth"]
    assert len(diagonal) == 1
    assert np.array_equal(diagonal[0].get_xdata(), diagonal[0].get_ydata())
    assert ax.get_xlabel() == "true share of conversions, % (shapley_share)"
    assert ax.get_ylabel() == "model's share of conversions, %"
    assert len({to_hex(s.get_facecolor()[0]) for s in _scatters(ax)}) == 2


# ---------------------------------------------------------------------- bootstrap
def test_bootstrap_title_names_the_model(journeys: Journeys) -> None:
    ax = plot_bootstrap(bootstrap(journeys, Linear(), n=10, seed=0))
    assert ax.get_title(loc="left") == "Linear: share of conversions with 95% bootstrap intervals"
    assert ax.get_xlabel() == "share of conversions, %: estimate and 95% interval over 10 replicates"


def test_bootstrap_rows_run_from_the_largest_estimate_down(journeys: Journeys) -> None:
    result = bootstrap(journeys, Linear(), n=10, seed=0)
    ax = plot_bootstrap(result, quantity="conversions")
    expected = result.estimate["conversions"].sort_values(ascending=False, kind="stable").index
    assert _texts(ax.get_yticklabels()) == [str(c) for c in expected]


# ---------------------------------------------------------------------- ROAS
SPEND = pd.Series({"A": 20.0, "B": 10.0, "D": 40.0})  # no spend given for C


def test_roas_draws_no_dot_for_a_channel_without_spend(journeys: Journeys) -> None:
    ax = plot_roas(compare(journeys, [FirstTouch(), LastTouch(), Linear()]), SPEND)
    labels = _texts(ax.get_yticklabels())
    assert labels[-1] == "C (no spend)"
    assert [len(s.get_offsets()) for s in _scatters(ax)] == [3, 3, 3]
    rows = {round(float(y)) for s in _scatters(ax) for y in s.get_offsets()[:, 1]}
    assert labels.index("C (no spend)") not in rows


def test_roas_shows_the_with_spend_table_as_given(journeys: Journeys) -> None:
    comparison = compare(journeys, [FirstTouch(), LastTouch()])
    table = comparison.with_spend(SPEND)
    ax = plot_roas(table)
    first = _scatters(ax)[0].get_offsets()
    labels = _texts(ax.get_yticklabels())
    drawn = {labels[round(float(y))]: float(x) for x, y in first}
    assert drawn == pytest.approx(table.loc["First touch", "roas"].dropna().to_dict())
    assert _texts(plot_roas(comparison, SPEND).get_yticklabels()) == labels


def test_roas_of_value_at_no_spend_is_drawn_at_the_right_edge() -> None:
    j = Journeys.from_sequences([["A"], ["B"]], conversions=[1, 1], value=[10, 10])
    ax = plot_roas(compare(j, [LastTouch()]), pd.Series({"A": 0.0, "B": 5.0}))
    arrows = [s for s in _scatters(ax) if len(s.get_offsets()) and s.get_label().startswith("_")]
    assert len(arrows) == 1
    assert float(arrows[0].get_offsets()[0, 0]) >= 2.0  # beyond B's ROAS of 2


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda c, t: plot_roas(c), r"parameter 'spend' of plot_roas is needed with a comparison"),
        (
            lambda c, t: plot_roas(t, SPEND),
            r"parameter 'spend' of plot_roas must be None when 'results' is a with_spend",
        ),
        (lambda c, t: plot_roas(t.drop(columns="roas")), r"parameter 'results' of plot_roas must be what with_spend"),
    ],
    ids=["no-spend", "spend-twice", "not-a-spend-table"],
)
def test_roas_refuses_what_it_cannot_draw(journeys: Journeys, call: Callable[..., Any], message: str) -> None:
    comparison = compare(journeys, [FirstTouch(), LastTouch()])
    with pytest.raises(ParameterError, match=message):
        call(comparison, comparison.with_spend(SPEND))


def test_roas_refuses_grouped_results_with_the_fix() -> None:
    j = Journeys.from_sequences([["A", "B"], ["B"]], conversions=[1, 1], value=[5, 5]).with_attributes(
        country=["FR", "DE"]
    )
    spend = pd.DataFrame({"country": ["FR", "FR", "DE"], "channel": ["A", "B", "B"], "spend": [1.0, 1.0, 1.0]})
    table = compare(j, [LastTouch()], by="country").with_spend(spend)
    with pytest.raises(ParameterError, match=r"holds grouped results .*one figure shows one group. Fix: pick one"):
        plot_roas(table)


# ---------------------------------------------------------------------- every figure: headless, without matplotlib
FIGURES: dict[str, Callable[[Journeys], Any]] = {
    "heatmap": lambda j: plot_comparison(compare(j, [FirstTouch(), Linear()])),
    "dots": lambda j: plot_comparison(compare(j, [FirstTouch(), Linear()]), kind="dots"),
    "journey map": lambda j: plot_journey_map(j),
    "transitions": lambda j: plot_transitions(j),
    "truth": lambda j: plot_truth_vs_model(compare(j, [Linear()]), pd.Series({"A": 0.4, "B": 0.2, "C": 0.1, "D": 0.3})),
    "bootstrap": lambda j: plot_bootstrap(bootstrap(j, Linear(), n=5, seed=0)),
    "roas": lambda j: plot_roas(compare(j, [Linear()]), SPEND),
}


@pytest.mark.parametrize("name", FIGURES)
def test_every_figure_renders_a_non_blank_png_headless(journeys: Journeys, name: str, tmp_path: Any) -> None:
    ax = FIGURES[name](journeys)
    assert ax.get_title(loc="left")
    path = tmp_path / "figure.png"
    ax.figure.savefig(path, dpi=60)
    image = plt.imread(path)
    assert image.shape[0] > 150
    assert image.shape[1] > 250
    assert image[..., :3].std() > 0.05  # marks and text, not a blank canvas


@pytest.mark.parametrize("name", FIGURES)
def test_every_figure_without_matplotlib_says_how_to_install_it(
    journeys: Journeys, name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "matplotlib.pyplot", None)  # import matplotlib.pyplot now fails
    with pytest.raises(
        AttributionError, match=r'needs matplotlib.*Fix: pip install matplotlib \(or pip install "\.\[plot\]" from'
    ):
        FIGURES[name](journeys)


def test_figures_draw_into_the_axes_given(journeys: Journeys) -> None:
    _, (left, right) = plt.subplots(1, 2)
    assert plot_transitions(journeys, ax=right) is right
    assert plot_comparison(compare(journeys, [Linear()]), ax=left) is left
    assert len(plt.get_fignums()) == 1
