"""Data-driven models: Shao & Li's probabilistic model and the logistic model with Shapley credit.

Reference numbers are SPEC §10's worked example on data D (the ``spec_journeys`` fixture:
A>B>C 2 conversions / 0 nulls / value 200, A>C 1/1/50, B 0/2, C 1/1/30, A>B 0/1).
"""

from __future__ import annotations

import itertools
import math
import warnings
from fractions import Fraction

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy.optimize import minimize
from scipy.special import expit, log_expit

from attribution import JourneyError, Journeys, LogisticShapley, ParameterError, ShaoLi, compare
from attribution.models.markov import DegenerateChainWarning
from attribution.testing import check_model
from attribution.testing.strategies import journeys

D_VALUE = [200, 50, 0, 30, 0]


@pytest.fixture
def d() -> Journeys:
    return Journeys.from_sequences(
        [["A", "B", "C"], ["A", "C"], ["B"], ["C"], ["A", "B"]],
        conversions=[2, 1, 0, 1, 0],
        nulls=[0, 1, 2, 1, 1],
        value=D_VALUE,
    )


def exact(values: object) -> list[Fraction]:
    return [Fraction(v).limit_denominator(100_000) for v in values]  # type: ignore[attr-defined]


# ---------------------------------------------------------------------- Shao & Li on D
def test_shao_li_probabilities_and_contributions_on_d(d: Journeys) -> None:
    """p(A) = 3/5, p(B) = 2/5, p(C) = 2/3; rows A>B>C: c = (31/80, 3/10, 25/48); A>C: (41/120, 49/120); C: 2/3."""
    result = ShaoLi().attribute(d)
    assert exact(result.probabilities) == [Fraction(3, 5), Fraction(2, 5), Fraction(2, 3)]
    table = result.contributions
    assert exact(table.loc["A + B + C", ["A", "B", "C"]]) == [Fraction(31, 80), Fraction(3, 10), Fraction(25, 48)]
    assert exact(table.loc["A + C", ["A", "C"]]) == [Fraction(41, 120), Fraction(49, 120)]
    assert exact([table.loc["C", "C"]]) == [Fraction(2, 3)]
    assert math.isnan(table.loc["C", "A"])  # A is not in that set


def test_shao_li_per_path_credits_on_d(d: Journeys) -> None:
    credits = ShaoLi().attribute(d).credits
    assert exact(credits["conversions"]) == [Fraction(2863, 2610), Fraction(72, 145), Fraction(6281, 2610)]
    assert exact(credits["value"]) == [Fraction(22685, 261), Fraction(1440, 29), Fraction(37435, 261)]


def test_shao_li_global_credits_on_d(d: Journeys) -> None:
    """C = (67/60, 3/5, 127/60): credits A 134/115, B 72/115, C 254/115; value 31780/359, 20160/359, 48580/359."""
    credits = ShaoLi(normalize="global").attribute(d).credits
    assert exact(credits["conversions"]) == [Fraction(134, 115), Fraction(72, 115), Fraction(254, 115)]
    assert exact(credits["value"]) == [Fraction(31780, 359), Fraction(20160, 359), Fraction(48580, 359)]


def test_shao_li_refuses_a_bad_normalisation() -> None:
    with pytest.raises(ParameterError, match=r"'normalize' of ShaoLi must be 'path' or 'global'; got 'row'"):
        ShaoLi(normalize="row")  # type: ignore[arg-type]


# ---------------------------------------------------------------------- logistic on D
def test_logistic_coefficients_and_credits_on_d(d: Journeys) -> None:
    result = LogisticShapley().attribute(d)
    coefficients = result.coefficients["coefficient"].tolist()
    assert coefficients == pytest.approx([-1.06308110204, 0.421078577161, 0.0141725431793, 0.866872230638], abs=1e-6)
    credits = result.credits
    assert credits["conversions"].tolist() == pytest.approx([0.960199546669, 0.0210724243718, 3.01872802896], abs=1e-6)
    assert credits["value"].tolist() == pytest.approx([79.9010542837, 2.10724243718, 197.991703279], abs=1e-6)


def test_logistic_path_allocation_on_d(d: Journeys) -> None:
    credits = LogisticShapley(allocation="path").attribute(d).credits
    assert credits["conversions"].tolist() == pytest.approx([0.876108586, 0.021196830, 3.102694584], abs=1e-6)
    assert credits["value"].tolist() == pytest.approx([72.8957734, 2.1196830, 204.9845436], abs=1e-6)


def test_logistic_baseline_report_moves_the_baseline_share_to_unattributed(d: Journeys) -> None:
    """Each converting row keeps 1 − σ(β0)/p̂(path) for its channels; the rest is baseline demand."""
    shared = LogisticShapley().attribute(d)
    reported = LogisticShapley(baseline="report").attribute(d)
    fitted = shared.fitted.fitted_probabilities
    base = shared.fitted.baseline_probability
    converting = fitted[fitted["conversions"] > 0]
    expected = float((converting["conversions"] * base / converting["probability"]).sum())
    assert reported.baseline.conversions == pytest.approx(expected, rel=1e-9)
    assert reported.unattributed.conversions == pytest.approx(expected, rel=1e-9)
    total = reported.credits["conversions"].sum() + reported.unattributed.conversions
    assert total == pytest.approx(d.total_conversions, rel=1e-12)
    assert "baseline demand" in repr(reported)


def test_logistic_without_nulls_is_refused_with_the_reason() -> None:
    j = Journeys.from_sequences([["A"], ["B"]], conversions=[1, 2])
    with pytest.raises(JourneyError, match=r"needs non-converting journeys.*intercept is unbounded.*Fix:"):
        LogisticShapley().attribute(j)


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({"penalty": -1.0}, "penalty"),
        ({"features": "counts"}, "features"),
        ({"allocation": "touch"}, "allocation"),
        ({"baseline": "drop"}, "baseline"),
        ({"max_exact_channels": 25}, "max_exact_channels"),
        ({"n_permutations": 0}, "n_permutations"),
        ({"interactions": "yes"}, "interactions"),
    ],
)
def test_logistic_refuses_bad_parameters(arguments: dict[str, object], message: str) -> None:
    with pytest.raises(ParameterError, match=message):
        LogisticShapley(**arguments)  # type: ignore[arg-type]


def test_logistic_sampling_is_reproducible_and_close_to_exact(d: Journeys) -> None:
    """Past max_exact_channels, sampled orders with a seed: the same numbers twice, near the exact ones,
    and the sampling error reported."""
    sampled = LogisticShapley(max_exact_channels=1, n_permutations=4000, seed=3).attribute(d)
    again = LogisticShapley(max_exact_channels=1, n_permutations=4000, seed=3).attribute(d)
    pd.testing.assert_frame_equal(sampled.credits, again.credits)
    assert sampled.sampled_paths == 2  # A + C and A + B + C
    assert 0 < sampled.sampling_error < 0.01
    exact_credits = LogisticShapley().attribute(d).credits["conversions"]
    assert sampled.credits["conversions"].tolist() == pytest.approx(exact_credits.tolist(), abs=0.02)


# ---------------------------------------------------------------------- references
def reference_fit(j: Journeys, penalty: float) -> np.ndarray:
    """Plain scipy on one row per path row (no distinct sets, no scaling): presence features."""
    x = np.zeros((j.n_rows, len(j.channels)))
    for row, path in enumerate(j.paths()):
        for channel in path:
            x[row, j.channels.index(channel)] = 1.0

    def loss(theta: np.ndarray) -> float:
        z = theta[0] + x @ theta[1:]
        return float(-(j.conversions @ log_expit(z) + j.nulls @ log_expit(-z)) + penalty / 2 * theta[1:] @ theta[1:])

    return np.asarray(minimize(loss, np.zeros(1 + len(j.channels)), method="BFGS", options={"gtol": 1e-10}).x)


def reference_shapley(intercept: float, beta: dict[str, float], members: list[str]) -> dict[str, float]:
    """Shapley values of v(S) = σ(β0 + Σ β) − σ(β0) by every permutation."""

    def v(coalition: tuple[str, ...]) -> float:
        return float(expit(intercept + sum(beta[c] for c in coalition)) - expit(intercept))

    phi = dict.fromkeys(members, 0.0)
    orders = list(itertools.permutations(members))
    for order in orders:
        for i, channel in enumerate(order):
            phi[channel] += (v(order[: i + 1]) - v(order[:i])) / len(orders)
    return phi


SMALL = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def with_both_outcomes(j: Journeys) -> bool:
    return bool(j.conversions.sum() > 0 and j.nulls.sum() > 0 and (j.lengths > 0).any())


@SMALL
@given(journeys().filter(with_both_outcomes))
def test_the_fit_matches_plain_scipy_on_expanded_rows(j: Journeys) -> None:
    fitted = LogisticShapley().fit(j)
    expected = reference_fit(j, 1.0)
    assert fitted.coefficients["coefficient"].to_numpy() == pytest.approx(expected, abs=1e-4)


def test_the_fit_without_a_penalty_matches_plain_scipy() -> None:
    """penalty=0 where every distinct path has both outcomes (so the likelihood has a finite maximum).
    (On data D it has none: σ(A+B+C) → 1 and σ(B), σ(A+B) → 0 need β_B → +∞.)"""
    j = Journeys.from_sequences(
        [["A", "B"], ["B"], ["A"], ["C"], ["A", "C"], []], conversions=[2, 1, 1, 1, 1, 1], nulls=[1, 2, 2, 3, 1, 4]
    )
    fitted = LogisticShapley(penalty=0).fit(j)
    assert fitted.coefficients["coefficient"].to_numpy() == pytest.approx(reference_fit(j, 0.0), abs=1e-4)
    with pytest.raises(JourneyError, match="no finite fit"):
        LogisticShapley(penalty=0).fit(
            Journeys.from_sequences(
                [["A", "B", "C"], ["A", "C"], ["B"], ["C"], ["A", "B"]],
                conversions=[2, 1, 0, 1, 0],
                nulls=[0, 1, 2, 1, 1],
            )
        )


def test_a_separating_channel_without_a_penalty_is_refused() -> None:
    """B converts on every journey it touches: the unpenalised likelihood rises forever along β_B."""
    j = Journeys.from_sequences(
        [["A", "B"], ["B"], ["A"], ["C"], ["A", "C"]], conversions=[2, 1, 1, 0, 1], nulls=[0, 0, 2, 3, 1]
    )
    with pytest.raises(JourneyError, match=r"penalty=0.*no finite fit.*'B' separates.*Fix: pass a penalty > 0"):
        LogisticShapley(penalty=0).attribute(j)
    assert LogisticShapley(penalty=1.0).fit(j).channel_beta[1] > 0  # the penalty keeps it finite


def reference_sets(j: Journeys, counts: bool) -> dict[tuple[tuple[str, int], ...], tuple[float, float, float]]:
    """Per distinct set (channel, touches) — touches 1 without ``counts`` —: summed conversions, nulls, value."""
    result: dict[tuple[tuple[str, int], ...], tuple[float, float, float]] = {}
    for row, path in enumerate(j.paths()):
        key = tuple(sorted((c, path.count(c) if counts else 1) for c in set(path)))
        old = result.get(key, (0.0, 0.0, 0.0))
        result[key] = (old[0] + j.conversions[row], old[1] + j.nulls[row], old[2] + j.value[row])
    return result


@SMALL
@given(journeys(), st.booleans(), st.sampled_from(["table", "sorted masks", "sorted codes"]))
def test_channel_sets_match_a_slow_reference_on_every_route(j: Journeys, counts: bool, route: str) -> None:
    """The three ways to find distinct sets (a table of 2^n masks, sorted masks, sorted codes) agree
    with Python sets, and every row points at its own set."""
    from attribution.models import presence

    limits = {"table": (63, 22), "sorted masks": (63, 0), "sorted codes": (0, 0)}[route]
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(presence, "_MASK_CHANNELS", limits[0])
        patch.setattr(presence, "_TABLE_CHANNELS", limits[1])
        sets = presence.channel_sets(j, counts=counts)
    names = np.asarray(j.channels, dtype=object)
    found = {
        tuple((str(names[c]), int(sets.touches[s, c])) for c in np.flatnonzero(sets.presence[s])): (
            sets.conversions[s],
            sets.nulls[s],
            sets.value[s],
        )
        for s in range(len(sets.presence))
    }
    expected = reference_sets(j, counts)
    assert found.keys() == expected.keys()
    for key, sums in expected.items():
        assert found[key] == pytest.approx(sums, rel=1e-12, abs=1e-12)
    for row, path in enumerate(j.paths()):
        assert {names[c] for c in np.flatnonzero(sets.presence[sets.set_of_row[row]])} == set(path)


@SMALL
@given(journeys().filter(with_both_outcomes))
def test_every_distinct_sets_shapley_values_sum_to_its_gain(j: Journeys) -> None:
    """Per-row efficiency: Σφ = p̂(path) − p̂(∅) for every converting distinct set, against a permutation reference."""
    from attribution.models.logistic import _shapley_values

    fitted = LogisticShapley().fit(j)
    sets = fitted.sets
    rows = np.flatnonzero((sets.conversions > 0) & (sets.sizes > 0))
    phi, members, _ = _shapley_values(LogisticShapley(), fitted, rows)
    beta = dict(zip(j.channels, fitted.channel_beta.tolist(), strict=True))
    probability = fitted.fitted_probabilities["probability"].to_numpy()
    for r, row in enumerate(rows):
        names = [j.channels[m] for m in members[r] if m >= 0]
        assert phi[r, : len(names)].sum() == pytest.approx(probability[row] - fitted.baseline_probability, abs=1e-12)
        reference = reference_shapley(fitted.intercept, beta, names)
        assert phi[r, : len(names)].tolist() == pytest.approx([reference[n] for n in names], abs=1e-12)


# ---------------------------------------------------------------------- the contract, and the library around them
def test_shao_li_keeps_the_model_contract() -> None:
    """Journeys without nulls warn (every probability is 1: documented), as Markov chains do."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DegenerateChainWarning)
        check_model(ShaoLi(), max_examples=40)
        check_model(ShaoLi(normalize="global"), max_examples=20, single_touch_rule=False)


def test_shao_li_without_nulls_warns(d: Journeys) -> None:
    with pytest.warns(DegenerateChainWarning, match="every probability is 1"):
        ShaoLi().attribute(Journeys.from_sequences([["A"], ["A", "B"]], conversions=[1, 1]))


def test_logistic_keeps_the_model_contract() -> None:
    """A channel whose presence lowers the fitted probability gets nothing, even on its own path:
    the single-touch rule does not hold by definition (as for the exact-set conversion-rate game)."""
    check_model(LogisticShapley(), max_examples=40, single_touch_rule=False, needs_nulls=True)


def test_both_are_in_the_defaults_the_registry_groups_and_bootstrap(d: Journeys) -> None:
    from attribution.evaluate import bootstrap

    assert {"Shao & Li", "Logistic Shapley"} <= set(compare(d).models)
    assert compare(d, ["shao_li", "logistic"]).models == ["Shao & Li", "Logistic Shapley"]
    grouped = ShaoLi().attribute(d.with_attributes(country=["ID", "ID", "SG", "SG", "ID"]), by="country")
    alone = ShaoLi().attribute(d[[0, 1, 4]]).credits["conversions"]
    assert grouped.group("ID").credits["conversions"].tolist() == pytest.approx(alone.tolist(), rel=1e-12)
    result = bootstrap(d, ShaoLi(), n=20, seed=0)
    assert result.model == "Shao & Li"
    assert st is not None


def test_results_pickle_and_display(d: Journeys) -> None:
    import pickle

    for result in (ShaoLi().attribute(d), LogisticShapley().attribute(d)):
        restored = pickle.loads(pickle.dumps(result))
        pd.testing.assert_frame_equal(restored.credits, result.credits)
        assert "object at 0x" not in repr(result)
        assert "<table" in result._repr_html_()


def test_held_out_validity_ranks_the_logistic_model_beside_the_markov_orders() -> None:
    """Same folds for every model: the chains' scores are those of the Markov-only table."""
    from attribution.models.order_selection import predictive_validity

    j = Journeys.from_sequences(
        [["A", "B"], ["B", "A"], ["A"], ["B"], []], conversions=[30, 5, 10, 10, 2], nulls=[10, 35, 30, 30, 40]
    )
    alone = predictive_validity(j, max_order=2, cv=4, seed=1)
    both = predictive_validity(j, max_order=2, cv=4, seed=1, models=[LogisticShapley()])
    assert list(both.index) == ["Markov (order 1)", "Markov (order 2)", "Logistic Shapley"]
    assert both.iloc[:2].to_numpy() == pytest.approx(alone.to_numpy(), rel=1e-12)
    assert 0 < both.loc["Logistic Shapley", "log_loss"] < 1
    with pytest.raises(ParameterError, match=r"'models' of predictive_validity must hold models with fit"):
        predictive_validity(j, models=[42])


def test_predict_proba_maps_channels_by_label(d: Journeys) -> None:
    """Journeys with other channel codes (and a channel never seen) get the probabilities of their labels."""
    fitted = LogisticShapley().fit(d)
    other = Journeys.from_sequences([["C", "A"], ["Z"], []], conversions=[0, 0, 0], nulls=[1, 1, 1])
    p = fitted.predict_proba(other)
    beta = dict(zip(d.channels, fitted.channel_beta.tolist(), strict=True))
    assert p.tolist() == pytest.approx(
        [expit(fitted.intercept + beta["A"] + beta["C"]), expit(fitted.intercept), expit(fitted.intercept)], rel=1e-12
    )


# ---------------------------------------------------------------------- credit by position
def test_by_position_of_subset_sum_shapley_is_the_ordered_shapley(d: Journeys) -> None:
    """Each touch of a channel on a path with s distinct channels gets 1/(s · its occurrences) of the
    path's conversions: A>B>C (2): 2/3 each; A>C (1): 1/2 each; C (1): 1. From the start:
    position 1 = 2/3 + 1/2 + 1, 2 = 2/3 + 1/2, 3 = 2/3."""
    from attribution import Shapley

    table = Shapley().attribute(d, per_path=True).by_position()["conversions"]
    assert table.loc["from start"].head(3).tolist() == pytest.approx([13 / 6, 7 / 6, 2 / 3], rel=1e-12)
    assert table.loc["from end"].head(3).tolist() == pytest.approx([13 / 6, 7 / 6, 2 / 3], rel=1e-12)


@pytest.mark.parametrize("model", [ShaoLi(), LogisticShapley(), LogisticShapley(baseline="report")])
def test_by_position_and_path_credits_add_up_to_the_credits(model: object) -> None:
    """A channel's credit on a path is split evenly among its touches there (A twice on the first path)."""
    j = Journeys.from_sequences(
        [["A", "B", "A", "C"], ["A", "C"], ["B"], ["C"], ["A", "B"]],
        conversions=[2, 1, 0, 1, 0],
        nulls=[0, 1, 2, 1, 1],
        value=D_VALUE,
    )
    result = model.attribute(j, per_path=True)  # type: ignore[attr-defined]
    credited = result.credits["conversions"]
    assert np.asarray(result.path_credits().sum(axis=0)) == pytest.approx(credited.to_numpy(), rel=1e-12)
    positions = result.by_position()
    for side in ("from start", "from end"):
        assert positions.loc[side, "conversions"].sum() == pytest.approx(credited.sum(), rel=1e-12)
        assert positions.loc[side, "value"].sum() == pytest.approx(result.credits["value"].sum(), rel=1e-12)


def test_by_position_needs_per_path(d: Journeys) -> None:
    from attribution import AttributionError

    with pytest.raises(AttributionError, match=r"by position was not computed.*per_path=True"):
        ShaoLi().attribute(d).by_position()
    with pytest.raises(ParameterError, match=r"'per_path' of ShaoLi.attribute needs normalize='path'"):
        ShaoLi(normalize="global").attribute(d, per_path=True)


def test_plot_positions_draws_every_model_on_both_sides(d: Journeys) -> None:
    matplotlib = pytest.importorskip("matplotlib")
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from attribution import LastTouch
    from attribution.plotting import plot_positions

    results = {m.name: m.attribute(d, per_path=True) for m in (ShaoLi(), LastTouch())}
    ax = plot_positions(results)
    assert ax.get_title() == "Share of credit by touch position"
    series = [line for line in ax.get_lines() if line.get_marker() not in (None, "None", "")]  # not the divider
    assert len(series) == 4  # each model: from the start, from the end
    colours = {line.get_color() for line in series}
    assert len(colours) == 2
    plt.close(ax.figure)


def test_baseline_report_never_gives_negative_credit() -> None:
    """R + D converts below the baseline (D lowers the probability): that path is all baseline demand,
    so R is credited only its own path's share 30 · (1 − p̂(∅)/p̂(R)), and no channel goes below 0."""
    j = Journeys.from_sequences([["R", "D"], ["R"], ["D"], []], conversions=[5, 30, 1, 10], nulls=[95, 70, 199, 90])
    result = LogisticShapley(baseline="report").attribute(j)
    fitted = result.fitted.fitted_probabilities["probability"]
    assert fitted["D + R"] < result.fitted.baseline_probability  # the path the clipping is about
    assert (result.credits["conversions"] >= 0).all()
    keep_r = 1 - result.fitted.baseline_probability / fitted["R"]
    assert result.credits.loc["R", "conversions"] == pytest.approx(30 * keep_r, rel=1e-12)
    total = result.credits["conversions"].sum() + result.unattributed.conversions
    assert total == pytest.approx(j.total_conversions, rel=1e-12)
    assert "on empty paths" in repr(result)
    assert "baseline demand" in repr(result)


def test_excluding_empty_paths_fits_as_if_they_were_not_there(d: Journeys) -> None:
    """empty_paths="exclude": the coefficients of the journeys without their empty paths, and the
    conversions on empty paths still reported as unattributed."""
    with_empty = Journeys.from_sequences(
        [["A", "B", "C"], ["A", "C"], ["B"], ["C"], ["A", "B"], []],
        conversions=[2, 1, 0, 1, 0, 7],
        nulls=[0, 1, 2, 1, 1, 0],
        value=[*D_VALUE, 70],
    )
    excluded = LogisticShapley(empty_paths="exclude").attribute(with_empty)
    plain = LogisticShapley().attribute(d)
    assert excluded.coefficients["coefficient"].tolist() == pytest.approx(
        plain.coefficients["coefficient"].tolist(), abs=1e-9
    )
    assert excluded.credits["conversions"].tolist() == pytest.approx(plain.credits["conversions"].tolist(), abs=1e-9)
    assert excluded.unattributed.conversions == 7
    fitted_in = LogisticShapley().attribute(with_empty)
    assert fitted_in.fitted.intercept > excluded.fitted.intercept  # 7 empty conversions pull the baseline up
