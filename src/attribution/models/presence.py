"""Channel presence: the distinct set of channels of every path, and the distinct sets with their counts.

The data-driven models see a path as the set of channels it touched. Rows are reduced to
their distinct sets once — one 64-bit mask per row when there are at most 63 channels,
an exact sort of (row, channel) pairs otherwise — and the models work on the few
distinct sets, weighted by their summed counts, never with a Python loop over rows.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from attribution.journeys import Journeys, ragged

__all__ = ["ChannelSets", "channel_sets", "set_names", "touch_credits", "weighted_gram"]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]

_MASK_CHANNELS = 63  # one unsigned 64-bit mask per row holds this many channels
_TABLE_CHANNELS = 22  # up to here, distinct masks are found in a table of 2^n flags (4 MiB), not by sorting


@dataclass(frozen=True)
class ChannelSets:
    """The distinct channel sets of some journeys (the empty set included when a path is empty).

    Attributes
    ----------
    presence
        One row per distinct set, one column per channel: 1.0 where the set holds it.
    touches
        One row per distinct set, one column per channel: the number of touches of the
        channel (with ``counts=True`` rows are distinct by these counts too; without it,
        ``touches`` equals ``presence``).
    set_of_row
        The set (row of ``presence``) of every journey row.
    conversions, nulls, value
        Summed over the rows of each set.
    """

    presence: FloatArray
    touches: FloatArray
    set_of_row: IntArray
    conversions: FloatArray
    nulls: FloatArray
    value: FloatArray

    @property
    def sizes(self) -> FloatArray:
        """Channels in each set."""
        sizes: FloatArray = self.presence.sum(axis=1)
        return sizes


def channel_sets(journeys: Journeys, *, counts: bool = False) -> ChannelSets:
    """Reduce every row to its distinct set of channels and sum the counts of equal sets.

    With ``counts=True`` rows are grouped by their number of touches per channel instead
    (two rows are alike when they touched the same channels the same number of times).

    Examples
    --------
    >>> j = Journeys.from_sequences([["A", "B", "A"], ["B", "A"], ["B"]], conversions=[1, 2, 0], nulls=[0, 1, 3])
    >>> sets = channel_sets(j)
    >>> sets.presence.tolist(), sets.conversions.tolist(), sets.set_of_row.tolist()
    ([[0.0, 1.0], [1.0, 1.0]], [0.0, 3.0], [1, 1, 0])
    """
    n_channels = len(journeys.channels)
    if not counts and n_channels <= _MASK_CHANNELS:
        masks = _mask_sets(journeys)
        distinct, set_of_row = _distinct_masks(masks, n_channels)
        bits = np.left_shift(np.uint64(1), np.arange(n_channels, dtype=np.uint64))
        presence = ((distinct[:, None] & bits) > 0).astype(np.float64)
        touches = presence  # one touch count per present channel: the same matrix
    else:
        keys = _sorted_sets(journeys, distinct_codes=not counts)
        _, first_row, set_of_row = np.unique(keys, return_index=True, return_inverse=True)
        set_of_row = set_of_row.reshape(-1).astype(np.int64)
        presence, touches = _read_first_rows(journeys, first_row, set_of_row, counts=counts)
    n_sets = len(presence)
    return ChannelSets(
        presence,
        touches,
        set_of_row,
        np.bincount(set_of_row, journeys.conversions, n_sets).astype(np.float64),
        np.bincount(set_of_row, journeys.nulls, n_sets).astype(np.float64),
        np.bincount(set_of_row, journeys.value, n_sets).astype(np.float64),
    )


def _distinct_masks(masks: npt.NDArray[np.uint64], n_channels: int) -> tuple[npt.NDArray[np.uint64], IntArray]:
    """The distinct masks (ascending) and each row's index among them: by a table of all 2^n masks
    when that is small (no sort), else by sorting."""
    if n_channels <= _TABLE_CHANNELS:
        seen = np.zeros(1 << n_channels, dtype=bool)
        seen[masks] = True
        distinct = np.flatnonzero(seen)
        index = np.zeros(1 << n_channels, dtype=np.int64)
        index[distinct] = np.arange(len(distinct))
        return distinct.astype(np.uint64), index[masks]
    found, inverse = np.unique(masks, return_inverse=True)
    return found, inverse.reshape(-1).astype(np.int64)


def _read_first_rows(
    journeys: Journeys, first_row: IntArray, set_of_row: IntArray, *, counts: bool
) -> tuple[FloatArray, FloatArray]:
    """Presence and touches per (set, channel), read off the first row of each set (equal rows hold equal sets)."""
    n_channels = len(journeys.channels)
    n_sets = len(first_row)
    is_first = np.zeros(journeys.n_rows, dtype=bool)
    is_first[first_row] = True
    rows = journeys.touch_rows()
    chosen = is_first[rows]
    cells = set_of_row[rows[chosen]] * n_channels + journeys.codes[chosen]
    flat = np.zeros(n_sets * n_channels)
    flat[cells] = 1.0
    presence = flat.reshape(n_sets, n_channels)
    if not counts:
        return presence, presence
    touches = np.bincount(cells, minlength=n_sets * n_channels).astype(np.float64).reshape(n_sets, n_channels)
    return presence, touches


def _mask_sets(journeys: Journeys) -> npt.NDArray[np.uint64]:
    """One bit mask per row (at most 63 channels)."""
    bits = np.left_shift(np.uint64(1), np.arange(len(journeys.channels), dtype=np.uint64))[journeys.codes]
    non_empty = journeys.lengths > 0
    masks = np.zeros(journeys.n_rows, dtype=np.uint64)
    if non_empty.any():
        masks[non_empty] = np.bitwise_or.reduceat(bits, journeys.offsets[:-1][non_empty])
    return masks


def _sorted_sets(journeys: Journeys, *, distinct_codes: bool) -> IntArray:
    """Exact ids for any number of channels: each row's codes sorted (repeats dropped when
    ``distinct_codes``), labelled by path id."""
    rows = journeys.touch_rows()
    order = np.lexsort((journeys.codes, rows))
    rows, codes = rows[order], journeys.codes[order]
    if distinct_codes:
        keep = np.ones(len(rows), dtype=bool)
        keep[1:] = (rows[1:] != rows[:-1]) | (codes[1:] != codes[:-1])
        rows, codes = rows[keep], codes[keep]
    lengths = np.bincount(rows, minlength=journeys.n_rows)
    ids, _ = ragged.path_ids(codes.astype(np.int32), ragged.offsets_from_lengths(lengths))
    return ids.astype(np.int64)


def touch_credits(
    journeys: Journeys, sets: ChannelSets, share: FloatArray
) -> tuple[FloatArray, FloatArray, tuple[Any, Any]]:
    """Each touch's credit from each set's share per channel (``sets × channels``), split evenly among
    a path's touches of that channel; and the rows × channels credit matrices (conversions, value)."""
    import scipy.sparse as sp

    rows = journeys.touch_rows()
    codes = journeys.codes.astype(np.int64)
    n_channels = len(journeys.channels)
    _, inverse, repeats = np.unique(rows * n_channels + codes, return_inverse=True, return_counts=True)
    part = share[sets.set_of_row[rows], codes] / repeats[inverse.reshape(-1)]
    touch_conversions = part * journeys.conversions[rows]
    touch_value = part * journeys.value[rows]
    shape = (journeys.n_rows, n_channels)
    matrices = (
        sp.csr_array((touch_conversions, (rows, codes)), shape=shape),
        sp.csr_array((touch_value, (rows, codes)), shape=shape),
    )
    return touch_conversions, touch_value, matrices


_BLOCK_CELLS = 1 << 22  # rows × columns per block of a weighted Gram matrix: a 32 MiB buffer, not a copy


def weighted_gram(x: FloatArray, weight: FloatArray) -> FloatArray:
    """xᵀ diag(weight) x, summed block by block of rows so that no rows × columns temporary is made
    (at 100 channels and 2M sets such a copy is 1.6 GB, and fresh memory is slow to come by).

    Examples
    --------
    >>> weighted_gram(np.array([[1.0, 0.0], [1.0, 1.0]]), np.array([2.0, 3.0])).tolist()
    [[5.0, 3.0], [3.0, 3.0]]
    """
    block = max(1, _BLOCK_CELLS // max(1, x.shape[1]))
    gram = np.zeros((x.shape[1], x.shape[1]))
    for start in range(0, len(x), block):
        rows = x[start : start + block]
        gram += rows.T @ (rows * weight[start : start + block, None])
    return gram


def set_names(present: BoolArray, channels: tuple[str, ...]) -> list[str]:
    """Each row's channels joined as ``A + B`` (in channel order); ``present`` is rows × channels.

    Examples
    --------
    >>> set_names(np.array([[True, False, True], [False, True, False]]), ("A", "B", "C"))
    ['A + C', 'B']
    """
    rows, columns = np.nonzero(present)
    labels = np.asarray(channels, dtype=object)[columns].tolist()
    ends = np.cumsum(np.bincount(rows, minlength=len(present))).tolist()
    starts = [0, *ends[:-1]][: len(ends)]
    return [" + ".join(labels[a:b]) for a, b in zip(starts, ends, strict=True)]
