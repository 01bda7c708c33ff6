"""compare(): default models, tidy and wide tables, rank agreement, plot, protocol."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from attribution import (
    Attribution,
    FirstTouch,
    Journeys,
    LastTouch,
    Linear,
    MarkovChain,
    ParameterError,
    TimeDecay,
    compare,
)
from attribution.models import Model, ModelSpec, Unattributed


def test_default_models_skip_time_decay_without_times_and_say_so(spec_journeys: Journeys) -> None:
    """Time decay needs touch times: left out of the default comparison, with the reason in ``skipped``
    (and in the repr); the exact-set conversion-rate game is opt-in, not skipped."""
    result = compare(spec_journeys)
    assert result.models == [
        "First touch",
        "Last touch",
        "Last non-direct",
        "Linear",
        "U-shaped (40/20/40)",
        "J-curve (20/20/60)",
        "Inverse J (60/20/20)",
        "Shapley (conversions)",
        "Markov (order 1)",
        "Shao & Li",
        "Logistic Shapley",
    ]
    assert result.skipped == {"Time decay (7D)": "the journeys have no touch times"}
    assert "not run:" in repr(result)
    assert "Time decay (7D): the journeys have no touch times" in repr(result)
    timed = Journeys.from_sequences([["A"]], conversions=[1], nulls=[1], times=[[0.0]])
    assert "Time decay (7D)" in compare(timed).models
    assert compare(timed).skipped == {}
    assert compare(spec_journeys, ["linear"]).skipped == {}  # models given: nothing was left out


def test_the_conversion_rate_game_is_opt_in(spec_journeys: Journeys) -> None:
    assert "Shapley (conversion_rate)" in compare(spec_journeys, ["shapley_rate"]).models


def test_nothing_to_attribute_runs_every_default_model_with_zero_credits() -> None:
    """No conversion on a path with touches: one rule for every model, zero credits; none left out."""
    nothing_to_attribute = Journeys.from_sequences([["A"]], conversions=[0], nulls=[1])
    result = compare(nothing_to_attribute)
    assert "Markov (order 1)" in result.models
    assert all(not credits["conversions"].any() for credits in (r.credits for r in result.values()))


def test_long_table_is_tidy_and_wide_table_matches(spec_journeys: Journeys) -> None:
    result = compare(spec_journeys, [FirstTouch(), Linear()])
    long = result.long()
    assert list(long.columns) == ["model", "channel", "conversions", "value", "share"]
    assert len(long) == 2 * 3
    wide = result.wide()
    assert wide.loc["A", "First touch"] == 3
    assert wide.loc["C", "Linear"] == pytest.approx(13 / 6)
    assert result.wide("share").sum().tolist() == pytest.approx([1.0, 1.0])


def test_rank_agreement(spec_journeys: Journeys) -> None:
    """First touch ranks A > C > B; last touch C > A = B; linear C > A > B."""
    result = compare(spec_journeys, [FirstTouch(), LastTouch(), Linear()])
    spearman = result.rank_agreement()
    assert spearman.loc["First touch", "First touch"] == 1.0
    assert spearman.loc["Linear", "First touch"] == pytest.approx(0.5)  # ranks (3,1,2) vs (2,1,3)
    kendall = result.rank_agreement("kendall")
    assert kendall.loc["Linear", "First touch"] == pytest.approx(1 / 3)
    np.testing.assert_allclose(spearman.to_numpy(), spearman.to_numpy().T)


def test_outside_models_plug_in_through_the_protocol(spec_journeys: Journeys) -> None:
    class Everything:
        name = "All to A"

        def attribute(self, journeys: Journeys) -> Attribution:
            conversions = np.array([journeys.total_conversions, 0.0, 0.0])
            value = np.array([journeys.total_value, 0.0, 0.0])
            return Attribution(ModelSpec(self.name), journeys.channels, conversions, value, Unattributed(0.0, 0.0))

    assert isinstance(Everything(), Model)
    result = compare(spec_journeys, [Everything(), Linear()])
    assert result.wide().loc["A", "All to A"] == 4


def test_duplicate_names_and_non_models_are_refused(spec_journeys: Journeys) -> None:
    with pytest.raises(ParameterError, match=r"must have distinct names; 'Linear' appears more than once"):
        compare(spec_journeys, [Linear(), Linear()])
    with pytest.raises(ParameterError, match=r"must hold models"):
        compare(spec_journeys, [42])  # type: ignore[list-item]
    with pytest.raises(ParameterError, match=r"unknown model name 'Lineer'; the names are: first_touch, "):
        compare(spec_journeys, ["Lineer"])


def test_models_may_be_named_as_on_the_command_line(spec_journeys: Journeys) -> None:
    assert compare(spec_journeys, ["linear", "markov"]).models == ["Linear", "Markov (order 1)"]
    assert compare(spec_journeys, ["Linear", "last-touch"]).models == ["Linear", "Last touch"]  # as people write them
    assert compare(spec_journeys, "u_shaped").models == ["U-shaped (40/20/40)"]


def test_differently_configured_models_compare_side_by_side(spec_journeys: Journeys) -> None:
    """Names carry every non-default parameter, so two configurations are never taken for one."""
    result = compare(spec_journeys, [MarkovChain(), MarkovChain(collapse_repeats=False)])
    assert result.models == ["Markov (order 1)", "Markov (order 1, collapse_repeats=False)"]
    assert result.results["Markov (order 1, collapse_repeats=False)"].model.params["collapse_repeats"] is False


def test_equal_configurations_are_equal_and_named_alike() -> None:
    assert TimeDecay(7) == TimeDecay("7D") == TimeDecay("168h")
    assert TimeDecay(7).name == TimeDecay("7D").name == "Time decay (7D)"
    assert MarkovChain().params() == {"order": 1, "collapse_repeats": True, "max_states": 200_000}


def test_time_decay_in_compare_needs_times(spec_journeys: Journeys) -> None:
    with pytest.raises(Exception, match="needs the time of every touch"):
        compare(spec_journeys, [TimeDecay()])


def test_plot_renders_a_non_blank_png(spec_journeys: Journeys, tmp_path: object) -> None:
    matplotlib = pytest.importorskip("matplotlib")
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    ax = compare(spec_journeys).plot()
    path = f"{tmp_path}/comparison.png"
    ax.figure.savefig(path, dpi=60)
    image = plt.imread(path)
    plt.close(ax.figure)
    assert image.shape[0] > 100
    assert image.shape[1] > 100
    assert image[..., :3].std() > 0.05  # bars and text, not a blank canvas


def test_repr_shows_shares(spec_journeys: Journeys) -> None:
    text = repr(compare(spec_journeys, [FirstTouch(), Linear()]))
    assert text.startswith("Comparison of 2 models: share of conversions\n")
    assert "75.0%" in text  # first touch share of A: 3/4
    assert isinstance(compare(spec_journeys, [Linear()]).long(), pd.DataFrame)


def test_plot_without_matplotlib_says_how_to_install_it(
    spec_journeys: Journeys, monkeypatch: pytest.MonkeyPatch
) -> None:
    import sys

    from attribution import AttributionError

    monkeypatch.setitem(sys.modules, "matplotlib.pyplot", None)  # makes the import fail
    with pytest.raises(AttributionError, match=r"needs matplotlib.*pip install matplotlib"):
        compare(spec_journeys, [Linear()]).plot()
