"""Vectorised kernels over ragged arrays in CSR layout: flat values plus row offsets.

The contract, for every function here: ``offsets`` is an int64 array of length
``n_rows + 1`` starting at 0 and never decreasing, row ``i`` holds the flat elements
``offsets[i]:offsets[i + 1]``; inputs are never modified; results are new arrays. This is
the layout of :class:`~attribution.Journeys` (``codes``, ``offsets``), so models and
engines use these kernels on a journeys' arrays directly. No Python loop runs per row
or per element (a loop over positions or chunks at most).
"""

from __future__ import annotations

import itertools
import math
from typing import Any

import numpy as np
import numpy.typing as npt

__all__ = [
    "concatenated_ranges",
    "first_in_row",
    "last_of_runs",
    "lengths",
    "offsets_after_mask",
    "offsets_from_lengths",
    "path_ids",
    "position_in_row",
    "row_chunks",
    "row_of_element",
    "take_rows",
]

IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]


def lengths(offsets: IntArray) -> IntArray:
    """Number of elements in each row."""
    return np.diff(offsets)


def row_of_element(offsets: IntArray) -> IntArray:
    """Row number of every flat element."""
    n_rows = len(offsets) - 1
    return np.repeat(np.arange(n_rows, dtype=np.int64), np.diff(offsets))


def position_in_row(offsets: IntArray) -> IntArray:
    """Zero-based position of every flat element within its row."""
    rows = row_of_element(offsets)
    return np.arange(int(offsets[-1]), dtype=np.int64) - offsets[rows]


def offsets_from_lengths(row_lengths: npt.ArrayLike) -> IntArray:
    """Offsets (length ``n_rows + 1``, starting at 0) from row lengths."""
    counts = np.asarray(row_lengths, dtype=np.int64)
    out = np.zeros(len(counts) + 1, dtype=np.int64)
    np.cumsum(counts, out=out[1:])
    return out


def offsets_after_mask(offsets: IntArray, keep: BoolArray) -> IntArray:
    """Offsets of the rows once the flat elements where ``keep`` is false are removed."""
    kept_before = np.zeros(len(keep) + 1, dtype=np.int64)
    np.cumsum(keep, out=kept_before[1:])
    return kept_before[offsets]


def concatenated_ranges(starts: IntArray, counts: IntArray) -> IntArray:
    """``concatenate([arange(s, s + c) for s, c in zip(starts, counts)])`` without a loop."""
    counts = np.asarray(counts, dtype=np.int64)
    total = int(counts.sum())
    if total == 0:
        return np.zeros(0, dtype=np.int64)
    ends = np.cumsum(counts)
    row = np.repeat(np.arange(len(counts), dtype=np.int64), counts)
    return np.asarray(starts, dtype=np.int64)[row] + (np.arange(total, dtype=np.int64) - (ends - counts)[row])


def take_rows(
    values: npt.NDArray[np.generic], offsets: IntArray, rows: IntArray
) -> tuple[npt.NDArray[np.generic], IntArray]:
    """Flat values and offsets of the selected rows, in the order given."""
    counts = offsets[1:][rows] - offsets[:-1][rows]
    flat = concatenated_ranges(offsets[:-1][rows], counts)
    return values[flat], offsets_from_lengths(counts)


def path_ids(codes: npt.NDArray[np.int32], offsets: IntArray) -> tuple[IntArray, int]:
    """Label every row so that two rows get the same id exactly when their paths are equal.

    Exact (no hashing). A path short enough is one integer — its codes + 1 as the digits
    of a number in base max code + 2, first touch most significant — and the ids are the
    ranks of those integers: one sort of the rows. Longer paths (over 17 touches with 10
    channels, say) are refined position by position instead (one sort per position) and
    ranked after the short ones. Either way ids are ordered by length, then
    lexicographically by codes.

    Returns
    -------
    ids, n_unique
        ``ids[i]`` in ``[0, n_unique)``, equal for equal paths.
    """
    n_rows = len(offsets) - 1
    row_len = np.diff(offsets)
    if n_rows == 0:
        return np.zeros(0, dtype=np.int64), 0
    radix = int(codes.max()) + 2 if len(codes) else 2
    # a path of up to `fits` touches is one exact integer: its codes + 1 as digits in base `radix`,
    # first touch most significant; longer numbers are longer paths, so the order is the same
    fits = int(_KEY_BITS // math.log2(radix))
    while radix**fits > 1 << _KEY_BITS:  # guard the float logarithm: the bound is exact in Python ints
        fits -= 1
    short = row_len <= fits
    if bool(short.all()):
        return _dense_ids(_encoded_paths(codes, offsets, row_len, radix))
    keys = np.full(n_rows, 1 << _KEY_BITS, dtype=np.int64)  # above every encoded path
    keys[short] = _encoded_paths(*take_rows(codes, offsets, np.flatnonzero(short)), None, radix)
    long_rows = np.flatnonzero(~short)
    long_codes, long_offsets = take_rows(codes, offsets, long_rows)
    keys[long_rows] += _refined_ids(long_codes, long_offsets)  # refined position by position
    return _dense_ids(keys)


_KEY_BITS = 62  # encoded paths stay below 2**62, so longer ones can be ranked above them in an int64


def _dense_ids(keys: IntArray) -> tuple[IntArray, int]:
    """Ranks of ``keys`` among their distinct values (ascending), and how many there are."""
    uniques, inverse = np.unique(keys, return_inverse=True)
    return inverse.reshape(-1).astype(np.int64), len(uniques)


def _encoded_paths(codes: npt.NDArray[Any], offsets: IntArray, row_len: IntArray | None, radix: int) -> IntArray:
    """Every row's path as Σ (code + 1) · radix^(touches after it): exact while below 2**62."""
    row_len = np.diff(offsets) if row_len is None else row_len
    n_rows = len(offsets) - 1
    keys = np.zeros(n_rows, dtype=np.int64)
    if len(codes) == 0:
        return keys
    after = np.repeat(offsets[1:] - 1, row_len) - np.arange(len(codes), dtype=np.int64)
    powers = np.int64(radix) ** np.arange(int(row_len.max()), dtype=np.int64)
    digits = (codes.astype(np.int64) + 1) * powers[after]
    filled = row_len > 0
    keys[filled] = np.add.reduceat(digits, offsets[:-1][filled])
    return keys


def _refined_ids(codes: npt.NDArray[Any], offsets: IntArray) -> IntArray:
    """Path ids in (length, lexicographic) order for paths of any length: rows are refined position
    by position (one sort per position)."""
    n_rows = len(offsets) - 1
    row_len = np.diff(offsets)
    by_length = np.argsort(-row_len, kind="stable")
    sorted_len = row_len[by_length]
    starts = offsets[:-1][by_length]
    key = np.zeros(n_rows, dtype=np.int64)  # prefix rank, in by_length order
    radix = int(codes.max()) + 2 if len(codes) else 1
    max_len = int(sorted_len[0])
    # number of rows longer than j, for every j (rows are sorted by length, descending)
    active_counts = np.searchsorted(-sorted_len, -np.arange(max_len), side="left")
    for j in range(max_len):
        active = int(active_counts[j])
        combined = key[:active] * radix + codes[starts[:active] + j].astype(np.int64)
        _, key[:active] = np.unique(combined, return_inverse=True)
    final = sorted_len.astype(np.int64) * (n_rows + 1) + key
    _, inverse = np.unique(final, return_inverse=True)
    ids = np.empty(n_rows, dtype=np.int64)
    ids[by_length] = inverse.reshape(-1)
    return ids


def first_in_row(codes: npt.NDArray[np.int32], offsets: IntArray, n_codes: int) -> BoolArray:
    """Whether each element is the first of its code in its row (A > B > A: True, True, False).

    With at most 63 codes, a prefix OR of one-bit masks within rows, by doubling steps
    (log₂ of the longest row passes, no sort); otherwise the first index of each
    (row, code) pair.
    """
    n = len(codes)
    if n == 0:
        return np.zeros(0, dtype=bool)
    position = position_in_row(offsets)
    if n_codes <= 63:
        bit = np.left_shift(np.int64(1), codes.astype(np.int64))
        seen = bit.copy()  # after the loop: OR of the row's bits up to and including each element
        shift = 1
        longest = int(np.diff(offsets).max())
        while shift < longest:
            reach = position[shift:] >= shift  # the element `shift` back is in the same row
            seen[shift:][reach] |= seen[:-shift][reach]
            shift *= 2
        before = np.zeros(n, dtype=np.int64)
        inside = position > 0
        before[inside] = seen[:-1][inside[1:]]
        return np.asarray((before & bit) == 0)
    key = row_of_element(offsets) * n_codes + codes
    _, first = np.unique(key, return_index=True)
    out = np.zeros(n, dtype=bool)
    out[first] = True
    return out


def row_chunks(offsets: IntArray, per_chunk: int) -> list[tuple[int, int]]:
    """Split rows into consecutive runs ``(first, stop)`` of about ``per_chunk`` elements
    each (a row longer than that is a run of its own); at least one run, even with no rows."""
    targets = np.arange(per_chunk, int(offsets[-1]), per_chunk)
    cuts = np.unique(np.concatenate([[0], np.searchsorted(offsets, targets), [len(offsets) - 1]]))
    return [(int(a), int(b)) for a, b in itertools.pairwise(cuts.tolist())] or [(0, 0)]


def last_of_runs(codes: npt.NDArray[np.int32], offsets: IntArray) -> BoolArray:
    """Whether each element is the last of a run of equal codes within its row (A > A > B: F, T, T)."""
    keep = np.ones(len(codes), dtype=bool)
    if len(codes) > 1:
        row_end = np.zeros(len(codes), dtype=bool)
        row_end[offsets[1:][offsets[1:] > offsets[:-1]] - 1] = True
        keep[:-1] = (codes[:-1] != codes[1:]) | row_end[:-1]
    return keep
