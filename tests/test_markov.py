"""Markov-chain attribution: SPEC.md §8, the slow reference, the visit identity, edges, API."""

from __future__ import annotations

import warnings

import networkx as nx
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from attribution import AttributionError, Journeys, ParameterError
from attribution.models.markov import DegenerateChainWarning, MarkovChain
from attribution.testing import check_model
from attribution.testing.strategies import journeys
from tests.reference import reference_markov


def test_spec_order_1(spec_journeys: Journeys) -> None:
    """P(conv) = 4/9; removal effects 8/15, 1/3, 1; credits 8/7, 5/7, 15/7; value 80, 50, 150."""
    result = MarkovChain().attribute(spec_journeys)
    assert result.conversion_probability == pytest.approx(4 / 9, rel=1e-12)
    assert result.removal_effects["conversions"].tolist() == pytest.approx([8 / 15, 1 / 3, 1.0], rel=1e-12)
    assert result.credits["conversions"].tolist() == pytest.approx([8 / 7, 5 / 7, 15 / 7], rel=1e-12)
    assert result.credits["value"].tolist() == pytest.approx([80, 50, 150], rel=1e-12)


def test_spec_removal_probabilities(spec_journeys: Journeys) -> None:
    """Without A 28/135, without B 8/27, without C 0: RE = 1 - P_-k / P."""
    effects = MarkovChain().attribute(spec_journeys).removal_effects["conversions"]
    p = 4 / 9
    assert (p * (1 - effects)).tolist() == pytest.approx([28 / 135, 8 / 27, 0.0], rel=1e-12, abs=1e-15)


def test_spec_order_2(spec_journeys: Journeys) -> None:
    result = MarkovChain(order=2).attribute(spec_journeys)
    assert result.removal_effects["conversions"].tolist() == pytest.approx([3 / 4, 1 / 2, 1.0], rel=1e-12)
    assert result.credits["conversions"].tolist() == pytest.approx([4 / 3, 8 / 9, 16 / 9], rel=1e-12)


@settings(max_examples=150, deadline=None)
@given(
    journeys(max_rows=8, max_length=5),
    st.integers(1, 3),
    st.booleans(),
    st.sampled_from(["schur", "reduced LU", "gmres"]),
    st.booleans(),
)
def test_matches_the_dense_reference(j: Journeys, order: int, collapse: bool, route: str, tiny_chunks: bool) -> None:
    """Every removal route against dense solves: the Schur complement on one LU, a reduced
    chain's own LU, and GMRES on the reduced chain (the route of large chains). With
    ``tiny_chunks`` the walks are counted 3 touches at a time with the sparse and sorted-key
    routes (the ones of large inputs), so many chunks of whole rows are merged."""
    from unittest import mock

    direct_max, schur_max = {"schur": (2_000, 64), "reduced LU": (2_000, 0), "gmres": (0, 64)}[route]
    chunk, dense_keys, dense_pairs = (3, 0, 0) if tiny_chunks else (1 << 21, 1 << 22, 4_000_000)
    with (
        mock.patch("attribution.models._absorbing.DIRECT_MAX_STATES", direct_max),
        mock.patch("attribution.models._absorbing.SCHUR_MAX_STATES", schur_max),
        mock.patch("attribution.models._walks.CHUNK_TOUCHES", chunk),
        mock.patch("attribution.models._walks.DENSE_KEYS_MAX", dense_keys),
        mock.patch("attribution.models._walks.DENSE_PAIRS_MAX", dense_pairs),
    ):
        _check_against_reference(j, order, collapse)


def _check_against_reference(j: Journeys, order: int, collapse: bool) -> None:
    attributable = j.total_conversions - j.unattributed_conversions
    if attributable <= 0:
        with pytest.raises(AttributionError, match="no conversions on any non-empty path"):
            MarkovChain(order=order, collapse_repeats=collapse).attribute(j)
        return
    p, effects, value_effects = reference_markov(
        j.paths(), j.conversions.tolist(), j.nulls.tolist(), j.value.tolist(), order=order, collapse=collapse
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DegenerateChainWarning)
        result = MarkovChain(order=order, collapse_repeats=collapse).attribute(j)
    assert result.conversion_probability == pytest.approx(p, rel=1e-9, abs=1e-12)
    got = result.removal_effects
    assert got["conversions"].tolist() == pytest.approx([effects[c] for c in j.channels], rel=1e-7, abs=1e-9)
    assert got["value"].tolist() == pytest.approx([value_effects[c] for c in j.channels], rel=1e-7, abs=1e-9)


def test_removal_effect_is_the_visit_probability_given_conversion(spec_journeys: Journeys) -> None:
    """Simulate 200,000 walks of the fitted chain: P(visit k | convert) within 5 standard errors."""
    chain = MarkovChain().fit(spec_journeys)
    matrix = chain.transition_matrix()
    names = list(matrix.index)
    cumulative = np.cumsum(matrix.to_numpy(), axis=1)
    rng = np.random.default_rng(2024)
    n_walks = 200_000
    state = np.zeros(n_walks, dtype=np.int64)  # START
    visited = np.zeros((n_walks, 3), dtype=bool)
    conv, null = names.index("(conversion)"), names.index("(null)")
    for _ in range(50):
        draw = rng.random(n_walks)
        state = np.minimum((cumulative[state] < draw[:, None]).sum(axis=1), len(names) - 1)
        for k, channel in enumerate("ABC"):
            visited[:, k] |= state == names.index(channel)
    converted = state == conv
    assert np.all((state == conv) | (state == null))
    estimate = visited[converted].mean(axis=0)
    exact = chain.removal_effects()["conversions"].to_numpy()
    standard_error = np.sqrt(exact * (1 - exact) / converted.sum()) + 1e-12
    assert np.all(np.abs(estimate - exact) <= 5 * standard_error + 1e-9)


def test_a_gate_channel_on_every_converting_path_gets_removal_effect_one(spec_journeys: Journeys) -> None:
    assert MarkovChain().attribute(spec_journeys).removal_effects.loc["C", "conversions"] == 1.0


def test_channel_only_on_non_converting_paths_gets_zero() -> None:
    j = Journeys.from_sequences([["A", "B"], ["D"]], conversions=[1, 0], nulls=[1, 3])
    credits = MarkovChain().attribute(j).credits["conversions"]
    assert credits["D"] == 0.0
    assert credits.sum() == pytest.approx(1.0)


def test_no_nulls_warns_that_effects_degenerate() -> None:
    j = Journeys.from_sequences([["A", "B"], ["B"]], conversions=[1, 1])
    with pytest.warns(DegenerateChainWarning, match="degenerate to visit probabilities"):
        result = MarkovChain().attribute(j)
    assert result.removal_effects["conversions"].tolist() == pytest.approx([0.5, 1.0])


def test_no_conversions_is_an_error() -> None:
    j = Journeys.from_sequences([["A"], []], conversions=[0, 2], nulls=[3, 0])
    with pytest.raises(AttributionError, match="no conversions on any non-empty path"):
        MarkovChain().attribute(j)


def test_too_many_states_is_an_error_that_states_the_count() -> None:
    j = Journeys.from_sequences([list("ABCDEFG"), list("GFEDCBA")], conversions=[1, 1], nulls=[1, 1])
    with pytest.raises(
        AttributionError,
        match=r"order 3 on these journeys has 10 states, over the budget of max_states=5.*last_touches",
    ):
        MarkovChain(order=3, max_states=5).attribute(j)


def test_unattributed_conversions_are_reported(spec_journeys: Journeys) -> None:
    extra = spec_journeys + Journeys.from_sequences([[]], conversions=[2], value=[20])
    result = MarkovChain().attribute(extra)
    assert result.unattributed == (2.0, 20.0)
    assert result.credits["conversions"].sum() == pytest.approx(4.0)


def test_collapse_repeats_is_a_parameter() -> None:
    j = Journeys.from_sequences([["A", "A", "B"], ["A"]], conversions=[1, 0], nulls=[0, 1])
    collapsed = MarkovChain().fit(j)
    assert collapsed.state_labels() == ["A", "B"]
    kept = MarkovChain(collapse_repeats=False).fit(j)
    assert kept.transitions().query("source == 'A' and target == 'A'")["count"].tolist() == [1.0]


def test_transition_matrix_rows_sum_to_one(spec_journeys: Journeys) -> None:
    matrix = MarkovChain(order=2).fit(spec_journeys).transition_matrix()
    assert list(matrix.index) == list(matrix.columns)
    assert matrix.index[0] == "(start)"
    assert matrix.to_numpy().sum(axis=1) == pytest.approx(np.ones(len(matrix)))
    assert "A > B" in matrix.index


def test_to_networkx(spec_journeys: Journeys) -> None:
    graph = MarkovChain().fit(spec_journeys).to_networkx()
    assert isinstance(graph, nx.DiGraph)
    assert graph["A"]["B"] == {"probability": pytest.approx(0.6), "count": 3.0}
    assert graph["C"]["(conversion)"]["count"] == 4.0


def test_predict_proba_uses_the_last_state_and_falls_back_for_unseen(spec_journeys: Journeys) -> None:
    chain = MarkovChain().fit(spec_journeys)
    new = Journeys.from_sequences([["B", "C"], ["A", "B"], ["Z"], []], conversions=[0, 0, 0, 0], nulls=[1, 1, 1, 1])
    assert chain.predict_proba(new).tolist() == pytest.approx([2 / 3, 0.0, 4 / 9, 4 / 9])


def test_per_path_is_refused_with_a_reason(spec_journeys: Journeys) -> None:
    with pytest.raises(AttributionError, match="whole set of journeys"):
        MarkovChain().attribute(spec_journeys, per_path=True)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"order": 0}, "parameter 'order' of MarkovChain must be a positive integer; got 0"),
        ({"order": 1.5}, "must be a positive integer; got 1.5"),
        ({"collapse_repeats": "yes"}, "parameter 'collapse_repeats' of MarkovChain must be True or False"),
    ],
)
def test_parameters_are_validated(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(ParameterError, match=message):
        MarkovChain(**kwargs)  # type: ignore[arg-type]


@pytest.mark.parametrize("order", [1, 2, 3])
def test_contract(order: int) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DegenerateChainWarning)
        check_model(MarkovChain(order=order), max_examples=30)


def _random_journeys(n_rows: int, n_channels: int, seed: int, max_length: int = 12) -> Journeys:
    rng = np.random.default_rng(seed)
    lengths = rng.integers(1, max_length + 1, n_rows)
    names = [f"c{i:02d}" for i in range(n_channels)]
    sequences = [[names[k] for k in rng.integers(0, n_channels, n)] for n in lengths]
    total = rng.integers(1, 20, n_rows)
    conversions = rng.binomial(total, 0.3)
    return Journeys.from_sequences(
        sequences, conversions=conversions, nulls=total - conversions, value=conversions * 10.0
    )


@pytest.mark.parametrize("collapse", [True, False])
def test_the_krylov_route_converges_and_agrees_with_the_lu_route(collapse: bool) -> None:
    """An order-2 chain of ~600 states: GMRES (no LU fallback allowed) equals the direct LU route to 1e-10."""
    from unittest import mock

    j = _random_journeys(3_000, 25, seed=7)
    direct = MarkovChain(order=2, collapse_repeats=collapse).attribute(j)
    assert len(direct.chain.state_labels()) > 400

    def no_fallback(*args: object, **kwargs: object) -> None:
        raise AssertionError("GMRES did not converge: the LU fallback was used")

    with (
        mock.patch("attribution.models._absorbing.DIRECT_MAX_STATES", 0),
        mock.patch("attribution.models._absorbing.ChainAlgebra._direct_transposed", no_fallback),
    ):
        krylov = MarkovChain(order=2, collapse_repeats=collapse).attribute(j)
    assert krylov.conversion_probability == pytest.approx(direct.conversion_probability, rel=1e-12)
    for column in ("conversions", "value"):
        np.testing.assert_allclose(krylov.removal_effects[column], direct.removal_effects[column], rtol=1e-10)


def test_a_stalled_krylov_solve_falls_back_to_an_exact_factorisation() -> None:
    """With an unreachable tolerance GMRES never passes the residual check; the LU answer is used."""
    from unittest import mock

    j = _random_journeys(400, 8, seed=3)
    direct = MarkovChain(order=2).attribute(j)
    with (
        mock.patch("attribution.models._absorbing.DIRECT_MAX_STATES", 0),
        mock.patch("attribution.models._absorbing.RTOL", 0.0),
    ):
        fallback = MarkovChain(order=2).attribute(j)
    np.testing.assert_allclose(fallback.removal_effects.to_numpy(), direct.removal_effects.to_numpy(), rtol=1e-12)
