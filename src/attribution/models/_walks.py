"""Count a Markov chain's walks from journeys, in chunks of rows so memory stays bounded.

A row's walk is its sequence of states (:class:`~attribution.models.states.StateSpace`
encodes them), weighted by the row's journeys (conversions + nulls). Counting runs over
the state space's chunks of rows: per-touch temporaries (window keys, state ids,
weights) exist for one chunk at a time, never for the whole table, so a fit's memory is
the counts plus one chunk. Moves between states are counted in a dense n × n table up
to ``DENSE_PAIRS_MAX`` pairs, and as sparse matrices summed chunk by chunk beyond.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from attribution.journeys import Journeys
from attribution.models.states import StateSpace

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

DENSE_PAIRS_MAX = 4_000_000  # up to this many (state, state) pairs, count transitions densely


@dataclass(frozen=True)
class WalkCounts:
    """The weighted counts of every move between the states of a :class:`StateSpace`.

    ``transitions`` is an n × n ``scipy.sparse.csr_array``; the per-state arrays count the
    walks that start at a state and that end there in a conversion or a null, and the
    value those conversions carry.
    """

    start: FloatArray
    transitions: Any
    conversions: FloatArray
    nulls: FloatArray
    value: FloatArray


def count_walks(journeys: Journeys, states: StateSpace) -> WalkCounts:
    """Count the walks of ``journeys`` over ``states`` (built from these journeys)."""
    n = len(states)
    locate = states.locator()
    start, conversions, nulls, value = (np.zeros(n) for _ in range(4))
    dense = np.zeros(n * n) if n * n <= DENSE_PAIRS_MAX else None
    sparse_parts: list[Any] = []
    for rows, step_keys, step_offsets in states.walks(journeys):
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
    return WalkCounts(start, _transition_matrix(dense, sparse_parts, n), conversions, nulls, value)


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
