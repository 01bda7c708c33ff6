"""The games of attribution.models.games: each v(S) against a slow reference, SPEC §8, custom-game checks."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import attribution.models
import attribution.models.shapley
from attribution import Journeys, ParameterError, Shapley
from attribution.models.games import bitmask_game, callable_game, conversion_rate_game, markov_game


def _all_coalitions(n: int) -> np.ndarray:
    """Membership of every bitmask 0 .. 2^n - 1 (bit j: channel j)."""
    return ((np.arange(1 << n)[:, None] >> np.arange(n)) & 1).astype(bool)


def _reference_markov_game(
    paths: list[tuple[str, ...]],
    conversions: list[float],
    nulls: list[float],
    kept: set[str],
    *,
    order: int,
    collapse: bool = True,
) -> float:
    """P(conv) of the chain with every state holding a channel outside ``kept`` sent to NULL (SPEC §4, §5).

    Dict-based counts and one dense solve, straight from the definition.
    """
    counts: dict[object, dict[object, float]] = {}
    for path, c, n in zip(paths, conversions, nulls, strict=True):
        if collapse:
            path = tuple(ch for i, ch in enumerate(path) if i == 0 or path[i - 1] != ch)
        if not path:
            continue
        states = [path] if len(path) < order else [path[i - order + 1 : i + 1] for i in range(order - 1, len(path))]
        for a, b in itertools.pairwise(["START", *states]):
            counts.setdefault(a, {})
            counts[a][b] = counts[a].get(b, 0.0) + c + n
        counts.setdefault(states[-1], {})
        counts[states[-1]]["CONV"] = counts[states[-1]].get("CONV", 0.0) + c
        counts[states[-1]]["NULL"] = counts[states[-1]].get("NULL", 0.0) + n
    transient = sorted({s for s in counts if s != "START"}, key=repr)
    index = {s: i for i, s in enumerate(transient)}
    q, r, start = np.zeros((len(transient), len(transient))), np.zeros(len(transient)), np.zeros(len(transient))
    for a, targets in counts.items():
        total = sum(targets.values())
        for b, w in targets.items():
            if total == 0 or b == "NULL" or (b != "CONV" and not set(b) <= kept):  # type: ignore[arg-type]
                continue  # removed states absorb into NULL
            if a == "START":
                start[index[b]] += w / total
            elif b == "CONV":
                r[index[a]] += w / total
            else:
                q[index[a], index[b]] += w / total
    if not transient:
        return 0.0
    return float(start @ np.linalg.solve(np.eye(len(transient)) - q, r))


# ------------------------------------------------------------------------------------------ the Markov game


def test_markov_game_gives_the_spec_values(spec_journeys: Journeys) -> None:
    """SPEC §8: P(conv) = 4/9; without A 28/135, without B 8/27, without C 0."""
    values = markov_game(spec_journeys)(_all_coalitions(3))
    assert values[0b111] == pytest.approx(4 / 9, rel=1e-12)
    assert values[0b110] == pytest.approx(28 / 135, rel=1e-12)
    assert values[0b101] == pytest.approx(8 / 27, rel=1e-12)
    assert values[0b011] == 0.0
    assert values[0] == 0.0


def test_shapley_over_the_markov_game_shares_the_chain_conversion_probability(spec_journeys: Journeys) -> None:
    result = Shapley(value="markov", method="exact").attribute(spec_journeys)
    assert result.coalitions()["value"].iloc[-1] == pytest.approx(4 / 9, rel=1e-12)  # v(N)
    assert result.raw_values.sum() == pytest.approx(4 / 9, rel=1e-12)


# The previous implementation's values (a sparse LU per coalition on the states left), pinned before it was
# replaced by FittedMarkovChain.conversion_probability_without; index = bitmask over the sorted channels.
PINNED = [
    (
        ["CA", "AA", "CCCAA", "AAACB", "AB", "CBC", "B", "CAA", "ACB", "BBBA", "A", "BCAC"],
        [3, 3, 0, 1, 1, 3, 3, 1, 1, 0, 1, 0],
        [0, 3, 1, 3, 1, 1, 3, 2, 1, 1, 3, 1],
        1,
        [
            0.0,
            0.14414414414414414,
            0.06486486486486487,
            0.22385210489299706,
            0.038777908343125736,
            0.2528103324563501,
            0.167699406723797,
            0.45945945945945943,
        ],
    ),
    (
        ["D", "AAC", "BC", "CAD", "CBBBD", "ABA", "BAC", "BABB", "AA", "D", "CAC", "DBAD"],
        [3, 2, 3, 0, 2, 2, 0, 0, 2, 1, 2, 0],
        [1, 1, 2, 2, 1, 2, 1, 0, 2, 3, 2, 0],
        2,
        [
            0.0,
            0.058823529411764705,
            0.0,
            0.11764705882352941,
            0.0,
            0.16176470588235292,
            0.08823529411764706,
            0.3235294117647059,
            0.11764705882352941,
            0.1764705882352941,
            0.11764705882352941,
            0.23529411764705882,
            0.11764705882352941,
            0.27941176470588236,
            0.2647058823529412,
            0.5,
        ],
    ),
]


@pytest.mark.parametrize(("paths", "conversions", "nulls", "order", "expected"), PINNED, ids=["order 1", "order 2"])
def test_markov_game_equals_the_previous_implementation(
    paths: list[str], conversions: list[int], nulls: list[int], order: int, expected: list[float]
) -> None:
    j = Journeys.from_sequences([list(p) for p in paths], conversions=conversions, nulls=nulls)
    values = markov_game(j, order=order)(_all_coalitions(len(j.channels)))
    np.testing.assert_allclose(values, expected, rtol=1e-12, atol=1e-15)


small_paths = st.lists(
    st.tuples(
        st.lists(st.sampled_from("ABCD"), min_size=1, max_size=5),
        st.integers(0, 3),
        st.integers(0, 3),
    ),
    min_size=1,
    max_size=10,
).filter(lambda rows: sum(c for _, c, _ in rows) > 0)


@settings(max_examples=40, deadline=None)
@given(small_paths, st.integers(1, 3), st.booleans())
def test_markov_game_equals_the_reference_chain_on_random_journeys(
    rows: list[tuple[list[str], int, int]], order: int, collapse: bool
) -> None:
    paths, conversions, nulls = [tuple(p) for p, _, _ in rows], [c for _, c, _ in rows], [n for _, _, n in rows]
    j = Journeys.from_sequences([list(p) for p in paths], conversions=conversions, nulls=nulls)
    members = _all_coalitions(len(j.channels))
    values = markov_game(j, order=order, collapse_repeats=collapse)(members)
    labels = np.asarray(j.channels, dtype=object)
    expected = [
        _reference_markov_game(paths, conversions, nulls, set(labels[m].tolist()), order=order, collapse=collapse)
        for m in members
    ]
    np.testing.assert_allclose(values, expected, rtol=1e-9, atol=1e-12)


def test_markov_game_honours_collapse_repeats() -> None:
    """B > B (a null) and A > B > B (a conversion, a null), order 2.

    Collapsed, the paths are B and A > B: the state B only ever ends in NULL, so v({B}) = 0.
    Kept, both paths end in the state (B, B) (1 conversion of 3), entered from START a third
    of the time, so v({B}) = 1/3 · 1/3 = 1/9. Either way v(N) = 1/3.
    """
    j = Journeys.from_sequences([["B", "B"], ["A", "B", "B"]], conversions=[0, 1], nulls=[1, 1])
    members = _all_coalitions(2)  # masks: A = 1, B = 2
    collapsed = markov_game(j, order=2)(members)
    kept = markov_game(j, order=2, collapse_repeats=False)(members)
    assert collapsed.tolist() == pytest.approx([0.0, 0.0, 0.0, 1 / 3], rel=1e-12)
    assert kept.tolist() == pytest.approx([0.0, 0.0, 1 / 9, 1 / 3], rel=1e-12)
    by_default = Shapley(value="markov", order=2).attribute(j).raw_values
    kept_raw = Shapley(value="markov", order=2, collapse_repeats=False).attribute(j).raw_values
    assert by_default.tolist() == pytest.approx([1 / 6, 1 / 6])  # A and B are needed together
    assert kept_raw.tolist() == pytest.approx([1 / 9, 2 / 9])  # φ_B = (1/9 + (1/3 - 0)) / 2


def test_markov_game_honours_max_states(spec_journeys: Journeys) -> None:
    with pytest.raises(ParameterError, match=r"has 3 states, over the budget of max_states=2\b"):
        markov_game(spec_journeys, max_states=2)
    with pytest.raises(ParameterError, match=r"max_states=2\b"):
        Shapley(value="markov", max_states=2).attribute(spec_journeys)


def test_markov_game_without_conversions_is_zero_everywhere() -> None:
    j = Journeys.from_sequences([["A", "B"]], conversions=[0], nulls=[1])
    game = markov_game(j)
    assert game(np.array([[True, True], [True, False], [False, False]])).tolist() == [0.0, 0.0, 0.0]


def test_markov_game_caches_each_coalition_once(spec_journeys: Journeys, monkeypatch: pytest.MonkeyPatch) -> None:
    from attribution.models.markov import FittedMarkovChain

    calls: list[tuple[str, ...]] = []
    original = FittedMarkovChain.conversion_probability_without

    def counted(self: FittedMarkovChain, channels: list[str]) -> float:
        calls.append(tuple(channels))
        return original(self, channels)

    monkeypatch.setattr(FittedMarkovChain, "conversion_probability_without", counted)
    game = markov_game(spec_journeys, cache=True)
    members = _all_coalitions(3)
    first, again = game(members), game(members)
    assert first.tolist() == again.tolist()
    assert len(calls) == 8
    uncached = markov_game(spec_journeys, cache=False)
    uncached(members)
    assert len(calls) == 16


# ----------------------------------------------------------------------------------- the conversion-rate game


def test_conversion_rate_game_gives_the_spec_values(spec_journeys: Journeys) -> None:
    """Exact sets: ABC 2/2, AC 1/2, B 0/2, C 1/2, AB 0/1; A and BC never observed (0); v(∅) = 0."""
    values = conversion_rate_game(spec_journeys)(_all_coalitions(3))
    # masks: A=1, B=2, AB=3, C=4, AC=5, BC=6, ABC=7
    assert values.tolist() == pytest.approx([0.0, 0.0, 0.0, 0.0, 0.5, 0.5, 0.0, 1.0])
    with_unobserved = conversion_rate_game(spec_journeys, unobserved=0.25)(_all_coalitions(3))
    assert with_unobserved.tolist() == pytest.approx([0.0, 0.25, 0.0, 0.0, 0.5, 0.5, 0.25, 1.0])


def test_conversion_rate_game_leaves_empty_paths_out() -> None:
    j = Journeys.from_sequences([[], ["A"]], conversions=[5, 1], nulls=[0, 1])
    assert conversion_rate_game(j)(_all_coalitions(1)).tolist() == [0.0, 0.5]


# ---------------------------------------------------------------------------------------------- custom games


def test_a_set_game_and_a_bitmask_game_agree() -> None:
    @bitmask_game
    def size(masks: np.ndarray) -> np.ndarray:
        return np.array([bin(m).count("1") for m in masks.tolist()], dtype=float)

    members = _all_coalitions(3)
    by_set = callable_game(lambda coalition: float(len(coalition)), ("A", "B", "C"))(members)
    assert by_set.tolist() == callable_game(size, ("A", "B", "C"))(members).tolist() == [0, 1, 1, 2, 1, 2, 2, 3]


@pytest.mark.parametrize(
    ("answer", "message"),
    [
        (float("inf"), r"returned inf for coalition \{A\}; a game's values must be finite"),
        ("high", r"returned 'high' \(a str\) for coalition \{A\}, not a number"),
        (10**400, r"which float64 cannot hold"),
    ],
)
def test_a_set_game_answer_that_is_not_a_finite_number_names_the_coalition(answer: object, message: str) -> None:
    def bad(coalition: frozenset[str]) -> object:
        return answer if coalition == {"A"} else 1.0

    with pytest.raises(ParameterError, match=message):
        callable_game(bad, ("A", "B"))(_all_coalitions(2))


def test_a_bitmask_game_must_answer_once_per_mask() -> None:
    @bitmask_game
    def short(masks: np.ndarray) -> np.ndarray:
        return np.zeros(len(masks) - 1)

    with pytest.raises(ParameterError, match=r"returned 3 value\(s\) \(shape \(3,\)\) for 4 coalitions"):
        callable_game(short, ("A", "B"))(_all_coalitions(2))


def test_a_bitmask_game_takes_at_most_62_channels() -> None:
    @bitmask_game
    def anything(masks: np.ndarray) -> np.ndarray:
        return np.zeros(len(masks))

    with pytest.raises(ParameterError, match="a bitmask game handles at most 62 channels; these journeys have 63"):
        callable_game(anything, tuple(f"c{i}" for i in range(63)))


# ------------------------------------------------------------------------------------------- public names kept


def test_the_moved_names_are_importable_from_their_old_places() -> None:
    from attribution.models.counterfactual import Counterfactual
    from attribution.models.shapley import exact_shapley

    assert attribution.models.bitmask_game is bitmask_game
    assert attribution.models.shapley.bitmask_game is bitmask_game
    assert attribution.models.shapley.Counterfactual is Counterfactual
    assert attribution.models.Counterfactual is Counterfactual
    assert callable(exact_shapley)
