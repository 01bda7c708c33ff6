"""Count a Markov chain's walks from journeys, in chunks of rows so memory stays bounded.

A state is a window of ``order`` consecutive channels, encoded as one integer with a
base-(channels + 1) digit per channel (digit 0 unused, so windows of different lengths
never collide); a path shorter than ``order`` is one state. Each row's walk is its
sequence of windows, weighted by the row's journeys (conversions + nulls).

Keys are int64, so a window of w channels needs (channels + 1)^w − 1 ≤ 2^63 − 1:
:func:`check_key_space` refuses wider windows before anything is counted (keys that
wrapped around would merge states, and decoding a negative key would never end).

Counting runs over chunks of about ``CHUNK_TOUCHES`` touches: per-touch temporaries
(window keys, state ids, weights) exist for one chunk at a time, never for the whole
table, so a fit's memory is the counts plus one chunk. Above order 1 a first pass finds
the states (sorted keys) and the second counts; at order 1 the states are the channels.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from attribution.journeys import Journeys, ragged

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

CHUNK_TOUCHES = 1 << 21  # ~2M touches per chunk: a few tens of MB of temporaries
DENSE_KEYS_MAX = 1 << 22  # window keys below this index a dense lookup table
DENSE_PAIRS_MAX = 4_000_000  # up to this many (state, state) pairs, count transitions densely
KEY_MAX = np.iinfo(np.int64).max  # window keys are int64


@dataclass(frozen=True)
class WalkCounts:
    """States and the weighted counts of every move between them.

    ``transitions`` is an n × n ``scipy.sparse.csr_array``; the per-state arrays count the
    walks that start at a state and that end there in a conversion or a null, and the
    value those conversions carry.
    """

    keys: IntArray
    windows: list[tuple[int, ...]]
    start: FloatArray
    transitions: Any
    conversions: FloatArray
    nulls: FloatArray
    value: FloatArray


class TooManyStatesError(Exception):
    """The chain would have ``count`` states, over the caller's budget."""

    def __init__(self, count: int) -> None:
        super().__init__(count)
        self.count = count


class KeySpaceError(Exception):
    """Windows of ``width`` channels would need keys beyond int64; at most ``widest`` fit."""

    def __init__(self, width: int, widest: int) -> None:
        super().__init__(width, widest)
        self.width = width
        self.widest = widest


def widest_window(n_channels: int) -> int:
    """The most channels per window whose keys fit int64: the largest w with (n + 1)^w − 1 ≤ 2^63 − 1."""
    base = n_channels + 1
    if base < 2:
        return KEY_MAX  # no channel: no touch, no key
    width = 0
    while base ** (width + 1) - 1 <= KEY_MAX:  # Python integers: exact, at most 63 steps
        width += 1
    return width


def longest_walk(journeys: Journeys, collapse_repeats: bool) -> int:
    """The most steps of any row's walk before windowing (its length after collapsing repeats)."""
    if journeys.n_rows == 0:
        return 0
    longest = int(journeys.lengths.max())
    if not collapse_repeats or longest < 2:
        return longest
    offsets, collapsed = journeys.offsets, 0
    for lo, hi in ragged.row_chunks(offsets, CHUNK_TOUCHES):
        codes = journeys.codes[offsets[lo] : offsets[hi]]
        _, local = _collapse(codes, offsets[lo : hi + 1] - offsets[lo])
        collapsed = max(collapsed, int(np.diff(local).max(initial=0)))
    return collapsed


def check_key_space(journeys: Journeys, order: int, collapse_repeats: bool) -> int:
    """The widest window the chain will use; :class:`KeySpaceError` if its keys would overflow int64.

    Windows are at most ``order`` channels and at most the longest walk, so a high order
    over short paths is fine; collapsing repeats is counted only when it matters.
    """
    widest = widest_window(len(journeys.channels))
    if order <= widest:
        return order
    lengths = journeys.lengths
    width = min(order, int(lengths.max()) if journeys.n_rows else 0)
    if width > widest:
        width = min(order, longest_walk(journeys, collapse_repeats))
    if width > widest:
        raise KeySpaceError(width, widest)
    return width


def count_walks(journeys: Journeys, order: int, collapse_repeats: bool, max_states: int) -> WalkCounts:
    """Count the chain of ``order`` over ``journeys``.

    Raises :class:`KeySpaceError` (window keys would overflow int64) and
    :class:`TooManyStatesError` before counting any move.
    """
    width = check_key_space(journeys, order, collapse_repeats)
    base = len(journeys.channels) + 1
    if order == 1:
        keys = np.flatnonzero(np.bincount(journeys.codes, minlength=len(journeys.channels))).astype(np.int64) + 1
    else:
        keys = _present_keys(journeys, order, collapse_repeats, base)
    n = len(keys)
    if n > max_states:
        raise TooManyStatesError(n)
    locate = _locator(keys)
    start, conversions, nulls, value = (np.zeros(n) for _ in range(4))
    dense = np.zeros(n * n) if n * n <= DENSE_PAIRS_MAX else None
    sparse_parts: list[Any] = []
    for rows, step_keys, step_offsets in _chunks(journeys, order, collapse_repeats, base):
        state = locate(step_keys)
        steps = np.diff(step_offsets)
        walking = steps > 0
        weight = journeys.conversions[rows] + journeys.nulls[rows]
        first = state[step_offsets[:-1][walking]]
        last = state[step_offsets[1:][walking] - 1]
        start += np.bincount(first, weights=weight[walking], minlength=n)
        conversions += np.bincount(last, weights=journeys.conversions[rows][walking], minlength=n)
        nulls += np.bincount(last, weights=journeys.nulls[rows][walking], minlength=n)
        value += np.bincount(last, weights=journeys.value[rows][walking], minlength=n)
        if len(state) < 2:
            continue
        # every consecutive pair of steps is a move, except across rows: weight those 0
        move_weight = np.repeat(weight, steps)[:-1]
        row_ends = step_offsets[1:][walking] - 1
        move_weight[row_ends[row_ends < len(move_weight)]] = 0.0
        pair = state[:-1] * n + state[1:]
        if dense is not None:
            dense += np.bincount(pair, weights=move_weight, minlength=n * n)
        else:
            sparse_parts.append(_pair_matrix(pair, move_weight, n))
    transitions = _transition_matrix(dense, sparse_parts, n)
    return WalkCounts(keys, _windows(keys, base, width), start, transitions, conversions, nulls, value)


def _chunks(
    journeys: Journeys, order: int, collapse_repeats: bool, base: int
) -> Iterator[tuple[slice, IntArray, IntArray]]:
    """Per chunk of rows: the rows, every step's window key, and the steps' row offsets."""
    offsets = journeys.offsets
    for lo, hi in ragged.row_chunks(offsets, CHUNK_TOUCHES):
        codes = journeys.codes[offsets[lo] : offsets[hi]]
        local = offsets[lo : hi + 1] - offsets[lo]
        if collapse_repeats and len(codes) > 1:
            codes, local = _collapse(codes, local)
        step_keys, step_offsets = _window_keys(codes, local, order, base)
        yield slice(lo, hi), step_keys, step_offsets


def _collapse(codes: npt.NDArray[np.int32], offsets: IntArray) -> tuple[npt.NDArray[np.int32], IntArray]:
    """Merge consecutive touches of one channel within a row (as ``Journeys.collapse_repeats``)."""
    keep = ragged.last_of_runs(codes, offsets)
    return codes[keep], ragged.offsets_after_mask(offsets, keep)


def _window_keys(codes: npt.NDArray[np.int32], offsets: IntArray, order: int, base: int) -> tuple[IntArray, IntArray]:
    """Slide a window of ``order`` channels along every row: one key per step, and step offsets."""
    digits = codes.astype(np.int64) + 1
    if order == 1:  # every touch is a step and its channel is its state
        return digits, offsets
    lengths = np.diff(offsets)
    # full windows start at every touch up to the order-th from the end; short paths give one window
    steps_per_row = np.where(lengths >= order, lengths - order + 1, np.minimum(lengths, 1))
    step_offsets = ragged.offsets_from_lengths(steps_per_row)
    n_steps = int(step_offsets[-1])
    # the first touch of each window: the row's start plus the step's index in the row
    step_begin = np.arange(n_steps) + np.repeat(offsets[:-1] - step_offsets[:-1], steps_per_row)
    m = len(digits)
    key = np.zeros(n_steps, dtype=np.int64)
    if m >= order:  # the key of the window starting at every touch, from contiguous slices
        rolling = digits[: m - order + 1].copy()
        for back in range(1, order):
            rolling *= base
            rolling += digits[back : m - order + 1 + back]
        np.minimum(step_begin, m - order, out=step_begin)  # short rows' steps are recomputed below
        key = rolling[step_begin]
    short = np.flatnonzero((lengths > 0) & (lengths < order))
    if short.size:  # a short row's one window stops at its last touch
        first = offsets[short]
        short_key = digits[first]
        for back in range(1, order):
            more = lengths[short] > back
            short_key = np.where(more, short_key * base + digits[np.minimum(first + back, m - 1)], short_key)
        key[step_offsets[short]] = short_key
    return key, step_offsets


def _present_keys(journeys: Journeys, order: int, collapse_repeats: bool, base: int) -> IntArray:
    """Sorted keys of every window that occurs (first pass)."""
    space = base**order
    if space <= DENSE_KEYS_MAX:
        present = np.zeros(space, dtype=bool)
        for _, step_keys, _ in _chunks(journeys, order, collapse_repeats, base):
            present[step_keys] = True
        return np.flatnonzero(present).astype(np.int64)
    found = [np.unique(step_keys) for _, step_keys, _ in _chunks(journeys, order, collapse_repeats, base)]
    return np.unique(np.concatenate(found)) if found else np.zeros(0, dtype=np.int64)


def _locator(keys: IntArray) -> Any:
    """A function from window keys (all present in ``keys``) to state ids."""
    if len(keys) and int(keys[-1]) < DENSE_KEYS_MAX:
        lookup = np.zeros(int(keys[-1]) + 1, dtype=np.int64)
        lookup[keys] = np.arange(len(keys))
        return lambda k: lookup[k]
    return lambda k: np.searchsorted(keys, k)


def _pair_matrix(pair: IntArray, weight: FloatArray, n: int) -> Any:
    """One chunk's moves as an n × n sparse matrix of summed weights."""
    import scipy.sparse as sp

    entries: Any = (weight, (pair // n, pair % n))
    matrix = sp.csr_array(entries, shape=(n, n), dtype=np.float64)
    matrix.sum_duplicates()
    return matrix


def _transition_matrix(dense: FloatArray | None, parts: list[Any], n: int) -> Any:
    import scipy.sparse as sp  # imported on first use: scipy.sparse is slow to import

    if dense is not None:
        return sp.csr_array(dense.reshape(n, n))
    total = sp.csr_array((n, n))
    for part in parts:
        total = total + part
    total.eliminate_zeros()  # moves of rows that carry no journeys
    return total


def _windows(keys: IntArray, base: int, width: int) -> list[tuple[int, ...]]:
    """Decode each key (at most ``width`` digits, non-negative) into its window of channel codes, oldest first."""
    digits: list[IntArray] = []
    rest = keys.copy()
    for _ in range(width if len(keys) else 0):  # a fixed number of digits: no loop can run away
        digits.append(rest % base)
        rest //= base
    if not digits:
        return [() for _ in range(len(keys))]
    table = np.column_stack(digits[::-1]) - 1  # most significant digit first; -1 marks none
    return [tuple(int(c) for c in row if c >= 0) for row in table.tolist()]
