"""fractribution's counterfactual model: each touch's leave-one-out gain, normalised per path.

Google's fractribution calls this model "Shapley", but it is not a Shapley value: no
coalitions are averaged over. For each converting path, touch i gets

    gain_i = max(p(path) − p(path without touch i), 0),

with p the conversion rate of that exact path among the journeys (0 if never seen); the
gains are normalised per path, and a path where every gain is 0 gives its conversions to
its last touch (fractribution's fallback). A gain within ``ROUNDING`` of p(path),
relatively, is rounding noise between two equal rates computed from other counts, and
counts as 0 — otherwise scaling every count by 10⁶ could change who gets the credit.

All leave-one-out paths are built at once over the flat arrays (every touch's row with
that touch cut out), and every original and derived path gets one id from one sort, so
looking up p(path without i) is an array index, not a dictionary per path.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import ClassVar

import numpy as np
import numpy.typing as npt

from attribution.journeys import Journeys, ragged
from attribution.models.base import Attribution, Configured, attribution_from_touch_weights
from attribution.models.grouping import attribute_by, require_one_goal

__all__ = ["Counterfactual", "leave_one_out_weights"]

FloatArray = npt.NDArray[np.float64]

# A gain within this fraction of its path's own rate is rounding noise between equal rates.
ROUNDING = 1e-12


@dataclass(frozen=True, repr=True)
class Counterfactual(Configured):
    """fractribution's normalised leave-one-out gain — not a Shapley value.

    For each converting path, touch i gets max(p(path) − p(path without touch i), 0),
    with p the conversion rate of that exact path among the journeys (0 if never seen);
    the gains are normalised per path, and a path where every gain is 0 gives its
    conversions to its last touch. A gain within 1e-12 of p(path), relatively, is
    rounding noise between equal rates and counts as 0.

    The model has no parameters: the last-touch fallback is part of its definition,
    so ``params()`` is empty and the name is ``"Counterfactual"``.

    Examples
    --------
    >>> j = Journeys.from_sequences([["A", "B", "C"], ["A", "C"], ["B"], ["C"], ["A", "B"]],
    ...                             conversions=[2, 1, 0, 1, 0], nulls=[0, 1, 2, 1, 1])
    >>> Counterfactual().attribute(j).credits["conversions"].round(9).tolist()
    [0.8, 0.4, 2.8]
    >>> Counterfactual().name, Counterfactual().params()
    ('Counterfactual', {})
    """

    label: ClassVar[str] = "Counterfactual"

    def attribute(
        self,
        journeys: Journeys,
        *,
        per_path: bool = False,
        by: str | Sequence[str] | None = None,
        period: str | None = None,
    ) -> Attribution:
        """Credit each converting path's touches by their leave-one-out gain.

        Parameters
        ----------
        journeys
            The paths to attribute.
        per_path
            Also keep each row's credit per channel (see :meth:`Attribution.path_credits`).
        by, period
            Attribute each group of these attribute keys on its own (see
            :func:`attribution.models.grouping.attribute_by`).
        """
        if not isinstance(journeys, Journeys):
            raise TypeError(f"attribute takes a Journeys object; got {type(journeys).__name__}")
        if by is not None:
            return attribute_by(self, journeys, by, period=period, per_path=per_path)
        require_one_goal(journeys)
        return attribution_from_touch_weights(journeys, leave_one_out_weights(journeys), self.spec(), per_path=per_path)


def leave_one_out_weights(journeys: Journeys) -> FloatArray:
    """Every touch's weight: its normalised leave-one-out gain (each non-empty path's weights sum to 1).

    Examples
    --------
    >>> j = Journeys.from_sequences([["A", "B"], ["B"]], conversions=[1, 1], nulls=[0, 1])
    >>> leave_one_out_weights(j).tolist()   # gains: A 1 − p(B) = 1/2, B 1 − p(A) = 1 (A unseen)
    [0.3333333333333333, 0.6666666666666666, 1.0]
    """
    lengths = journeys.lengths
    rows = journeys.touch_rows()
    position = np.arange(journeys.n_touches) - journeys.offsets[rows]
    # every path with one touch left out: for each touch, its row's range minus that position
    per_touch = lengths[rows]
    flat = ragged.concatenated_ranges(journeys.offsets[:-1][rows], per_touch)
    block_start = np.repeat(ragged.offsets_from_lengths(per_touch)[:-1], per_touch)
    keep = np.arange(len(flat)) - block_start != np.repeat(position, per_touch)
    derived_codes = journeys.codes[flat[keep]]
    derived_lengths = per_touch - 1
    all_codes = np.concatenate([journeys.codes, derived_codes])
    all_offsets = ragged.offsets_from_lengths(np.concatenate([lengths, derived_lengths]))
    ids, n_ids = ragged.path_ids(all_codes, all_offsets)
    original, derived = ids[: journeys.n_rows], ids[journeys.n_rows :]
    conversions = np.bincount(original, weights=journeys.conversions, minlength=n_ids)
    totals = np.bincount(original, weights=journeys.conversions + journeys.nulls, minlength=n_ids)
    with np.errstate(invalid="ignore", divide="ignore"):
        rate = np.where(totals > 0, conversions / totals, 0.0)
    own = rate[original][rows]
    gain = np.maximum(own - rate[derived], 0.0)
    gain[gain <= ROUNDING * own] = 0.0  # two equal rates computed from other counts differ by rounding only
    row_gain = np.bincount(rows, weights=gain, minlength=journeys.n_rows)
    last = position == lengths[rows] - 1
    with np.errstate(invalid="ignore", divide="ignore"):
        weights: FloatArray = np.where(row_gain[rows] > 0, gain / row_gain[rows], last.astype(np.float64))
    return weights
