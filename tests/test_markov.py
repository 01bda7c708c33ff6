"""Markov-chain attribution: SPEC.md §8, the slow reference, the visit identity, edges, API."""

from __future__ import annotations

import itertools
import warnings
from collections.abc import Callable
from typing import Any

import networkx as nx
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from attribution import AttributionError, Journeys, ParameterError
from attribution.models.markov import DegenerateChainWarning, FittedMarkovChain, MarkovChain
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
        mock.patch("attribution.models.states.CHUNK_TOUCHES", chunk),
        mock.patch("attribution.models.states.DENSE_KEYS_MAX", dense_keys),
        mock.patch("attribution.models._walks.DENSE_PAIRS_MAX", dense_pairs),
    ):
        _check_against_reference(j, order, collapse)


def _check_against_reference(j: Journeys, order: int, collapse: bool) -> None:
    attributable = j.total_conversions - j.unattributed_conversions
    if attributable <= 0:  # nothing to attribute: zero credits, as under every model
        result = MarkovChain(order=order, collapse_repeats=collapse).attribute(j)
        assert not result.credits["conversions"].any()
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


def test_no_conversions_gives_zero_credits_and_zero_removal_effects() -> None:
    j = Journeys.from_sequences([["A"], []], conversions=[0, 2], nulls=[3, 0])
    result = MarkovChain().attribute(j)
    assert result.credits["conversions"].tolist() == [0.0]
    assert result.removal_effects["conversions"].tolist() == [0.0]
    assert result.unattributed.conversions == 2.0


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
        ({"order": 0}, r"parameter 'order' of MarkovChain must be an integer >= 1; got 0\. Fix: pass e\.g\. order=2"),
        ({"order": 1.5}, "must be an integer >= 1; got 1.5"),
        ({"order": True}, "must be an integer >= 1; got True"),
        ({"collapse_repeats": "yes"}, "parameter 'collapse_repeats' of MarkovChain must be True or False; got 'yes'"),
        ({"max_states": 0}, "parameter 'max_states' of MarkovChain must be an integer >= 1; got 0"),
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


# ---------------------------------------------------------------- removing channels, groups, sequences
def test_conversion_probability_without_channels_matches_the_spec(spec_journeys: Journeys) -> None:
    """Without A 28/135, without B 8/27, without C 0, without nothing P(conv) = 4/9."""
    chain = MarkovChain().fit(spec_journeys)
    assert chain.conversion_probability_without(["A"]) == pytest.approx(28 / 135, rel=1e-12)
    assert chain.conversion_probability_without(("B",)) == pytest.approx(8 / 27, rel=1e-12)
    assert chain.conversion_probability_without(iter(["C"])) == 0.0
    assert chain.conversion_probability_without([]) == chain.conversion_probability
    assert chain.conversion_probability_without(["A", "B", "C"]) == 0.0


def test_conversion_probability_without_an_unknown_channel_lists_the_known_ones(spec_journeys: Journeys) -> None:
    chain = MarkovChain().fit(spec_journeys)
    with pytest.raises(ParameterError, match=r"unknown 'Z'.*Known channels: 'A', 'B', 'C'"):
        chain.conversion_probability_without(["A", "Z"])
    with pytest.raises(ParameterError, match=r"not one string.*Fix: pass \['A'\]"):
        chain.conversion_probability_without("A")


def _dense_without(
    j: Journeys, order: int, collapse: bool, removed: Callable[[tuple[str, ...]], bool]
) -> tuple[float, float]:
    """P(conv) and value flow of the chain with the states ``removed`` says, by the definition.

    Dict-based counts of every walk (states as tuples of labels), transitions into a removed
    state redirected to NULL, then one dense solve of (I - Q) x = r on the kept states.
    """
    counts: dict[object, dict[object, float]] = {}
    conv_end: dict[object, float] = {}
    value_end: dict[object, float] = {}
    for path, c, n, v in zip(j.paths(), j.conversions.tolist(), j.nulls.tolist(), j.value.tolist(), strict=True):
        if collapse:
            path = tuple(ch for i, ch in enumerate(path) if i == 0 or path[i - 1] != ch)
        if not path:
            continue
        walk = [path] if len(path) < order else [path[i : i + order] for i in range(len(path) - order + 1)]
        for a, b in zip(["START", *walk], [*walk, "END"], strict=True):
            targets = counts.setdefault(a, {})
            if b == "END":
                targets["CONV"] = targets.get("CONV", 0.0) + c
                targets["NULL"] = targets.get("NULL", 0.0) + n
            else:
                targets[b] = targets.get(b, 0.0) + c + n
        conv_end[walk[-1]] = conv_end.get(walk[-1], 0.0) + c
        value_end[walk[-1]] = value_end.get(walk[-1], 0.0) + v
    kept = sorted({s for s in counts if s != "START" and not removed(s)}, key=repr)  # type: ignore[arg-type]
    if not kept:
        return 0.0, 0.0
    index = {s: i for i, s in enumerate(kept)}
    q, r, start = np.zeros((len(kept), len(kept))), np.zeros(len(kept)), np.zeros(len(kept))
    mean = np.array([value_end.get(s, 0.0) / conv_end[s] if conv_end.get(s, 0.0) > 0 else 0.0 for s in kept])
    for a, targets in counts.items():
        total = sum(targets.values())
        if total == 0 or (a != "START" and a not in index):
            continue
        for b, w in targets.items():
            if b == "CONV" and a != "START":
                r[index[a]] += w / total
            elif b in index:
                if a == "START":
                    start[index[b]] += w / total
                else:
                    q[index[a], index[b]] += w / total
    x = np.linalg.solve(np.eye(len(kept)) - q, r)
    return float(start @ x), float(start @ (np.linalg.solve(np.eye(len(kept)) - q, r * mean)))


def _holds(window: tuple[str, ...], sequence: tuple[str, ...]) -> bool:
    return any(window[i : i + len(sequence)] == sequence for i in range(len(window) - len(sequence) + 1))


@settings(max_examples=150, deadline=None)
@given(
    journeys(max_rows=8, max_length=5),
    st.integers(1, 3),
    st.booleans(),
    st.sampled_from(["schur", "reduced LU", "gmres"]),
    st.data(),
)
def test_group_and_sequence_removal_match_the_dense_definition(
    j: Journeys, order: int, collapse: bool, route: str, data: st.DataObject
) -> None:
    """Removing a group (states with any of its channels) or a sequence (states holding it
    consecutively) equals building the reduced chain densely and solving it, on every route."""
    from unittest import mock

    direct_max, schur_max = {"schur": (2_000, 64), "reduced LU": (2_000, 0), "gmres": (0, 64)}[route]
    with (
        mock.patch("attribution.models._absorbing.DIRECT_MAX_STATES", direct_max),
        mock.patch("attribution.models._absorbing.SCHUR_MAX_STATES", schur_max),
    ):
        _check_groups_against_the_definition(j, order, collapse, data)


def _check_groups_against_the_definition(j: Journeys, order: int, collapse: bool, data: st.DataObject) -> None:
    if not j.channels:
        return
    chain = MarkovChain(order=order, collapse_repeats=collapse).fit(j)
    group = tuple(data.draw(st.lists(st.sampled_from(j.channels), min_size=1, max_size=3, unique=True)))
    sequence = tuple(data.draw(st.lists(st.sampled_from(j.channels), min_size=1, max_size=order)))
    p, flow = _dense_without(j, order, collapse, lambda s: False)
    p_group, flow_group = _dense_without(j, order, collapse, lambda s: any(c in group for c in s))
    p_sequence, flow_sequence = _dense_without(j, order, collapse, lambda s: _holds(s, sequence))
    assert chain.conversion_probability == pytest.approx(p, rel=1e-9, abs=1e-12)
    assert chain.conversion_probability_without(group) == pytest.approx(p_group, rel=1e-9, abs=1e-12)
    assert chain.value_flow_without(group) == pytest.approx(flow_group, rel=1e-9, abs=1e-9)
    table = chain.removal_effects(groups={"g": group}, sequences={"s": sequence})
    assert list(table.index) == ["g", "s"]
    expected = [
        [1 - p_group / p if p > 0 else 0.0, 1 - flow_group / flow if flow > 0 else 0.0],
        [1 - p_sequence / p if p > 0 else 0.0, 1 - flow_sequence / flow if flow > 0 else 0.0],
    ]
    np.testing.assert_allclose(table.to_numpy(), np.clip(expected, 0, 1), rtol=1e-7, atol=1e-9)


def test_removal_effects_without_arguments_are_the_per_channel_table(spec_journeys: Journeys) -> None:
    chain = MarkovChain(order=2).fit(spec_journeys)
    table = chain.removal_effects()
    assert table.index.name == "channel"
    assert list(table.columns) == ["conversions", "value"]
    singletons = chain.removal_effects(groups={c: [c] for c in chain.channels})
    np.testing.assert_array_equal(singletons.to_numpy(), table.to_numpy())


def test_a_group_removes_every_state_with_any_of_its_channels(spec_journeys: Journeys) -> None:
    """Without A and B only walks that start at C remain: P = 2/9 · 4/6, so RE = 1 - (4/27) / (4/9) = 2/3."""
    chain = MarkovChain().fit(spec_journeys)
    table = chain.removal_effects(groups={"paid": ["A", "B"], "all": ["A", "B", "C"]})
    assert table.index.name == "group"
    assert table.loc["paid", "conversions"] == pytest.approx(2 / 3, rel=1e-12)
    assert table.loc["all"].tolist() == [1.0, 1.0]


def test_a_sequence_removes_the_states_that_hold_it_in_order(spec_journeys: Journeys) -> None:
    """Order 2: removing 'A > B' takes the state A > B only; 'B > A' never occurs, so it removes nothing."""
    chain = MarkovChain(order=2).fit(spec_journeys)
    table = chain.removal_effects(sequences=[("A", "B"), ("B", "A")])
    assert list(table.index) == ["A > B", "B > A"]
    assert table.loc["B > A"].tolist() == [0.0, 0.0]
    p, _ = _dense_without(spec_journeys, 2, True, lambda s: s == ("A", "B"))
    assert table.loc["A > B", "conversions"] == pytest.approx(1 - p / (4 / 9), rel=1e-12)
    assert chain.removal_effects(sequences={"one": ["A"]}).loc["one"].tolist() == (
        chain.removal_effects().loc["A"].tolist()
    )


def test_markov_attribution_gives_group_removal_effects(spec_journeys: Journeys) -> None:
    result = MarkovChain().attribute(spec_journeys)
    pd.testing.assert_frame_equal(
        result.group_removal_effects({"paid": ["A", "B"]}), result.chain.removal_effects(groups={"paid": ["A", "B"]})
    )


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"groups": {"g": ["A", "Z"]}}, r"'groups\['g'\]'.*unknown 'Z'\. Known channels: 'A', 'B', 'C'"),
        ({"groups": {"g": "A"}}, r"not one string; got 'A'\. Fix: pass \['A'\]"),
        ({"groups": {"g": []}}, r"'groups\['g'\]'.*must name at least one channel"),
        ({"groups": [["A"]]}, r"'groups'.*must be a mapping from names to channel labels.*Fix: pass e\.g\. groups="),
        ({"sequences": [("A", "B", "C")]}, r"a sequence of 3 channels; a chain of order 2.*MarkovChain\(order=3\)"),
        ({"sequences": ["AB"]}, r"must hold sequences of channel labels; got 'AB'"),
        ({"groups": {"x": ["A"]}, "sequences": {"x": ["B"]}}, r"names 'x', a name already given to a group"),
    ],
)
def test_bad_groups_and_sequences_are_parameter_errors(
    spec_journeys: Journeys, kwargs: dict[str, Any], message: str
) -> None:
    chain = MarkovChain(order=2).fit(spec_journeys)
    with pytest.raises(ParameterError, match=message):
        chain.removal_effects(**kwargs)


# ---------------------------------------------------------------- the fitted chain: names, immutability
def test_the_chain_spells_out_q_r_and_the_start_distribution(spec_journeys: Journeys) -> None:
    chain = MarkovChain().fit(spec_journeys)
    matrix = chain.transition_matrix()
    labels = chain.state_labels()
    np.testing.assert_allclose(chain.transient_probabilities.toarray(), matrix.loc[labels, labels].to_numpy())
    np.testing.assert_allclose(chain.conversion_step, matrix.loc[labels, "(conversion)"].to_numpy())
    np.testing.assert_allclose(chain.start_distribution, matrix.loc["(start)", labels].to_numpy())
    assert chain.states.labels == labels
    assert chain.algebra.conversion_probability == chain.conversion_probability


@pytest.mark.parametrize(
    ("old", "new"), [("q", "transient_probabilities"), ("r", "conversion_step"), ("p_start", "start_distribution")]
)
def test_the_short_names_are_deprecated_aliases(spec_journeys: Journeys, old: str, new: str) -> None:
    chain = MarkovChain().fit(spec_journeys)
    with pytest.warns(DeprecationWarning, match=f"FittedMarkovChain.{old} is deprecated; use FittedMarkovChain.{new}"):
        alias = getattr(chain, old)
    expected = getattr(chain, new)
    np.testing.assert_array_equal(
        getattr(alias, "toarray", lambda: alias)(), getattr(expected, "toarray", lambda: expected)()
    )


@pytest.mark.parametrize("name", ["order", "channels", "q", "transient_probabilities", "states", "_states", "extra"])
def test_a_fitted_chain_is_immutable(spec_journeys: Journeys, name: str) -> None:
    chain = MarkovChain().fit(spec_journeys)
    with pytest.raises(AttributeError, match="FittedMarkovChain is immutable"):
        setattr(chain, name, None)
    with pytest.raises(AttributeError, match="FittedMarkovChain is immutable"):
        delattr(chain, name)


def test_a_fitted_chains_arrays_are_read_only_and_its_matrices_copies(spec_journeys: Journeys) -> None:
    chain = MarkovChain().fit(spec_journeys)
    for name in (
        "start_counts",
        "conversion_counts",
        "null_counts",
        "mean_value",
        "conversion_step",
        "start_distribution",
    ):
        with pytest.raises(ValueError, match="read-only"):
            getattr(chain, name)[0] = 1.0
    chain.transient_probabilities.data[:] = 0.0
    chain.transition_counts.data[:] = 0.0
    assert chain.transient_probabilities.sum() > 0
    assert chain.transition_counts.sum() > 0
    assert chain.removal_effects()["conversions"].tolist() == pytest.approx([8 / 15, 1 / 3, 1.0], rel=1e-12)


@pytest.mark.parametrize("route", ["schur", "reduced LU", "gmres"])
def test_the_algebra_gives_p_conv_and_value_without_any_set_of_states(spec_journeys: Journeys, route: str) -> None:
    """Every subset of states of an order-2 chain: p_K (I - Q_KK)^-1 r_K, densely, on every route."""
    from unittest import mock

    direct_max, schur_max = {"schur": (2_000, 64), "reduced LU": (2_000, 0), "gmres": (0, 64)}[route]
    with (
        mock.patch("attribution.models._absorbing.DIRECT_MAX_STATES", direct_max),
        mock.patch("attribution.models._absorbing.SCHUR_MAX_STATES", schur_max),
    ):
        _check_every_removal(MarkovChain(order=2).fit(spec_journeys))


def _check_every_removal(chain: FittedMarkovChain) -> None:
    algebra = chain.algebra
    q, r, p = chain.transient_probabilities.toarray(), chain.conversion_step, chain.start_distribution
    n = len(r)
    for size in range(n + 1):
        for removed in itertools.combinations(range(n), size):
            keep = np.setdiff1d(np.arange(n), removed)
            a = np.eye(len(keep)) - q[np.ix_(keep, keep)]
            expected = p[keep] @ np.linalg.solve(a, r[keep]) if keep.size else 0.0
            expected_value = p[keep] @ np.linalg.solve(a, algebra.r_value[keep]) if keep.size else 0.0
            states = np.array(removed, dtype=np.int64)
            assert algebra.probability_without(states) == pytest.approx(expected, rel=1e-12, abs=1e-15)
            assert algebra.value_without(states) == pytest.approx(expected_value, rel=1e-12, abs=1e-12)


def test_the_algebra_refuses_state_ids_out_of_range(spec_journeys: Journeys) -> None:
    algebra = MarkovChain().fit(spec_journeys).algebra
    with pytest.raises(IndexError, match=r"state ids must be in \[0, 3\)"):
        algebra.probability_without(np.array([3]))


def test_an_unknown_label_among_many_channels_lists_the_first_ones() -> None:
    names = [f"c{i:02d}" for i in range(40)]
    chain = MarkovChain().fit(Journeys.from_sequences([names], conversions=[1], nulls=[1]))
    with pytest.raises(ParameterError, match=r"unknown 'x'\. Known channels: 'c00', .*'c29', \.\.\. \(40 in all\)\.$"):
        chain.conversion_probability_without(["x"])
