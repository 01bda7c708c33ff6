"""StateSpace: one encoding of Markov states — keys, walks, last states, membership, labels."""

from __future__ import annotations

import pickle

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from attribution import Journeys, MarkovChain
from attribution.models.states import KeySpaceError, StateSpace, widest_window
from attribution.testing.strategies import journeys

KEY_MAX = 2**63 - 1


def _walks(j: Journeys, order: int, collapse: bool) -> list[list[tuple[str, ...]]]:
    """Every row's walk as windows of labels, straight from the definition (a loop per row)."""
    out = []
    for path in j.paths():
        if collapse:
            path = tuple(ch for i, ch in enumerate(path) if i == 0 or path[i - 1] != ch)
        if not path:
            out.append([])
        elif len(path) < order:
            out.append([path])
        else:
            out.append([path[i : i + order] for i in range(len(path) - order + 1)])
    return out


def _window(space: StateSpace, state: int) -> tuple[str, ...]:
    return tuple(space.channels[c] for c in space.windows[state])


# ---------------------------------------------------------------- the encoding
def test_a_key_is_one_digit_per_channel_in_base_channels_plus_one() -> None:
    """Channels A, B, C are digits 1, 2, 3 in base 4: A > C is 1·4 + 3 = 7, and C alone is 3."""
    j = Journeys.from_sequences([["A", "C"], ["C"], ["B", "B"]], conversions=[1, 0, 0], nulls=[0, 1, 1])
    space = StateSpace.from_journeys(j, order=2, collapse_repeats=True)
    assert space.keys.tolist() == [2, 3, 7]
    assert space.windows == [(1,), (2,), (0, 2)]
    assert space.labels == ["B", "C", "A > C"]
    assert space.table.tolist() == [[-1, 1], [-1, 2], [0, 2]]
    assert space.lengths.tolist() == [1, 1, 2]


@pytest.mark.parametrize("n_channels", [1, 2, 9, 10, 137, 138, 1_000, 2**31])
def test_widest_window_is_the_largest_width_whose_keys_fit_int64(n_channels: int) -> None:
    width = widest_window(n_channels)
    assert (n_channels + 1) ** width - 1 <= KEY_MAX < (n_channels + 1) ** (width + 1) - 1


def test_windows_too_wide_for_int64_keys_are_refused_before_encoding() -> None:
    channels = [f"c{i:03d}" for i in range(138)]  # 139^9 > 2^63
    long = Journeys.from_sequences([channels[:69], channels[69:]], conversions=[1, 0], nulls=[0, 1])
    with pytest.raises(KeySpaceError) as refused:
        StateSpace.from_journeys(long, order=9, collapse_repeats=True)
    assert (refused.value.width, refused.value.widest) == (9, 8)


def test_a_high_order_over_short_walks_fits() -> None:
    """Order 9 over 138 channels is fine when no walk is longer than 8 (after collapsing repeats)."""
    channels = [f"c{i:03d}" for i in range(138)]
    paths = [channels[i : i + 8] for i in range(0, 138, 8)] + [[channels[0]] * 20]
    short = Journeys.from_sequences(paths, conversions=[1] * len(paths), nulls=[1] * len(paths))
    space = StateSpace.from_journeys(short, order=9, collapse_repeats=True)
    assert len(space.channels) == 138
    assert space.width == 8
    assert sorted(space.labels) == sorted([" > ".join(path) for path in paths[:-1]] + [channels[0]])
    with pytest.raises(KeySpaceError):
        StateSpace.from_journeys(short, order=9, collapse_repeats=False)


# ---------------------------------------------------------------- against the definition
@settings(max_examples=150, deadline=None)
@given(journeys(max_rows=10, max_length=6), st.integers(1, 4), st.booleans(), st.sampled_from([3, 1 << 21]))
def test_walk_keys_are_the_windows_of_every_walk(j: Journeys, order: int, collapse: bool, chunk: int) -> None:
    """The states are exactly the windows that occur, and every step's key is its window's."""
    space = StateSpace.from_journeys(j, order, collapse, chunk_touches=chunk)
    expected = _walks(j, order, collapse)
    assert sorted(map(str, {w for walk in expected for w in walk})) == sorted(
        str(_window(space, s)) for s in range(len(space))
    )
    locate = space.locator()
    got: list[tuple[str, ...]] = []
    offsets: list[int] = [0]
    for _, keys, step_offsets in space.walks(j, chunk):
        got.extend(_window(space, int(s)) for s in locate(keys))
        offsets.extend((offsets[-1] + step_offsets[1:]).tolist())
    assert got == [w for walk in expected for w in walk]
    assert np.diff(offsets).tolist() == [len(walk) for walk in expected]
    assert space.find(space.keys).tolist() == list(range(len(space)))


@settings(max_examples=150, deadline=None)
@given(journeys(max_rows=10, max_length=6), journeys(max_rows=6, max_length=6, channels=("B", "E", "A")), st.data())
def test_last_states_are_each_rows_last_window(train: Journeys, new: Journeys, data: st.DataObject) -> None:
    """The last window of each row, found among the states; -1 for empty rows, unseen windows and
    windows with channels the space does not know (the new journeys code channels differently)."""
    order, collapse = data.draw(st.integers(1, 4)), data.draw(st.booleans())
    space = StateSpace.from_journeys(train, order, collapse)
    states = {_window(space, s): s for s in range(len(space))}
    for j in (train, new):
        expected = [states.get(walk[-1], -1) if walk else -1 for walk in _walks(j, order, collapse)]
        assert space.last_states(j).tolist() == expected


@settings(max_examples=150, deadline=None)
@given(journeys(max_rows=10, max_length=6), st.integers(1, 4), st.booleans(), st.data())
def test_members_and_containing_match_the_windows(j: Journeys, order: int, collapse: bool, data: st.DataObject) -> None:
    space = StateSpace.from_journeys(j, order, collapse)
    windows = space.windows
    codes = data.draw(st.lists(st.integers(0, max(len(j.channels) - 1, 0)), max_size=3))
    assert space.members(codes).tolist() == [s for s, w in enumerate(windows) if set(w) & set(codes)]
    by_channel = space.members_by_channel()
    assert len(by_channel) == len(j.channels)
    for c, members in enumerate(by_channel):
        assert members.tolist() == space.members([c]).tolist()
    sequence = data.draw(st.lists(st.integers(0, max(len(j.channels) - 1, 0)), min_size=1, max_size=order))
    held = [
        s
        for s, w in enumerate(windows)
        if any(list(w[i : i + len(sequence)]) == sequence for i in range(len(w) - len(sequence) + 1))
    ]
    assert space.containing(sequence).tolist() == held


# ---------------------------------------------------------------- one encoding, shared
def test_the_chain_and_its_predictions_use_the_state_space(spec_journeys: Journeys) -> None:
    """predict_proba reads each row's last state from the chain's StateSpace: no encoding of its own."""
    chain = MarkovChain(order=2).fit(spec_journeys)
    space = chain.states
    assert isinstance(space, StateSpace)
    assert chain.state_labels() == space.labels
    last = space.last_states(spec_journeys)
    absorbed = chain.conversion_counts + chain.null_counts
    assert chain.predict_proba(spec_journeys).tolist() == (chain.conversion_counts[last] / absorbed[last]).tolist()


def test_a_state_space_is_read_only_and_pickles() -> None:
    j = Journeys.from_sequences([["A", "B", "A"], ["B"]], conversions=[1, 0], nulls=[0, 1])
    space = StateSpace.from_journeys(j, order=2, collapse_repeats=False)
    with pytest.raises(ValueError, match="read-only"):
        space.keys[0] = 0
    with pytest.raises(ValueError, match="read-only"):
        space.table[0, 0] = 0
    with pytest.raises(AttributeError):
        space.order = 3  # type: ignore[misc]
    copy = pickle.loads(pickle.dumps(space))
    assert copy.labels == space.labels
    assert copy.last_states(j).tolist() == space.last_states(j).tolist()
    assert not copy.keys.flags.writeable
    assert repr(copy) == "StateSpace(3 states of order 2 over 2 channels, collapse_repeats=False)"
