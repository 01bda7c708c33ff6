"""Shao & Li's simple probabilistic model (2011): conversion probabilities of channels and pairs.

A heuristic from the first data-driven attribution paper, not a Shapley value: its
contributions satisfy no efficiency and have no baseline. Every row is reduced to its
distinct set of channels; with

    p(i)    = conversions / (conversions + nulls) over rows whose set contains i,
    p(i, j) = the same over rows whose set contains both i and j,

a converting row with set T gives each i ∈ T, with O = T ∖ {i}, the contribution

    c_i = p(i) + 1 / (2|O|) · Σ_{j ∈ O} [p(i, j) − p(i) − p(j)]     (c_i = p(i) when O is empty).

``normalize="path"`` (default) shares each row's conversions and value among its
channels in proportion to max(c_i, 0); ``normalize="global"`` sums C_i = Σ conversions ·
c_i (and the value-weighted C^v_i) over the rows and shares the attributable conversions
(value) in proportion to max(C_i, 0) (max(C^v_i, 0)) — the convention of ``mta``'s
``shao()``, which keeps negative shares.

Rows with no conversions and no nulls carry no weight; empty paths stay unattributed.
Probabilities and pair probabilities come from one presence matrix of the distinct sets
(a matrix product), never from a loop over rows.

References: X. Shao and L. Li, "Data-driven multi-touch attribution models", KDD 2011.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, ClassVar, Literal

import numpy as np
import numpy.typing as npt
import pandas as pd

from attribution.errors import ParameterError
from attribution.journeys import Journeys
from attribution.models.base import Attribution, Configured, ModelSpec, Unattributed, credit_by_position
from attribution.models.grouping import attribute_by, require_one_goal
from attribution.models.markov import DegenerateChainWarning
from attribution.models.presence import ChannelSets, channel_sets, set_names, touch_credits, weighted_gram

__all__ = ["ShaoLi", "ShaoLiAttribution"]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]


@dataclass(frozen=True, repr=True)
class ShaoLi(Configured):
    """Shao & Li's simple probabilistic model: channel and pair conversion probabilities.

    Parameters
    ----------
    normalize
        ``"path"`` (default): each converting row's conversions and value are shared among
        its distinct channels in proportion to their clipped contributions (efficiency per
        path, the single-touch rule holds). ``"global"``: contributions are summed over the
        rows first and the totals shared in proportion to the clipped sums (``mta``'s
        convention).

    Examples
    --------
    >>> j = Journeys.from_sequences([["A", "B", "C"], ["A", "C"], ["B"], ["C"], ["A", "B"]],
    ...                             conversions=[2, 1, 0, 1, 0], nulls=[0, 1, 2, 1, 1])
    >>> ShaoLi().attribute(j).credits["conversions"].mul(2610).round(6).tolist()
    [2863.0, 1296.0, 6281.0]
    >>> ShaoLi(normalize="global").attribute(j).credits["conversions"].mul(115).round(6).tolist()
    [134.0, 72.0, 254.0]
    """

    label: ClassVar[str] = "Shao & Li"
    normalize: Literal["path", "global"] = "path"

    def __post_init__(self) -> None:
        if self.normalize not in ("path", "global"):
            raise ParameterError(
                f"parameter 'normalize' of ShaoLi must be 'path' or 'global'; got {self.normalize!r}. "
                "Fix: pass normalize='path' (shares per path) or 'global' (mta's convention)."
            )

    def attribute(
        self,
        journeys: Journeys,
        *,
        per_path: bool = False,
        by: str | Sequence[str] | None = None,
        period: str | None = None,
    ) -> Attribution:
        """Credit channels by their Shao & Li contributions.

        Parameters
        ----------
        journeys
            The paths to attribute.
        per_path
            Also keep each row's credit per channel (see :meth:`Attribution.path_credits`) and
            the credit by touch position (:meth:`Attribution.by_position`; a channel's credit
            on a path is split evenly among its touches there). Per-path normalisation only.
        by, period
            Attribute each group of these attribute keys on its own (see
            :func:`attribution.models.grouping.attribute_by`).

        Returns
        -------
        ShaoLiAttribution
            The credits, plus ``probabilities``, ``pair_probabilities`` and ``contributions``.
        """
        if not isinstance(journeys, Journeys):
            raise TypeError(f"attribute takes a Journeys object; got {type(journeys).__name__}")
        if by is not None:
            return attribute_by(self, journeys, by, period=period, per_path=per_path)
        require_one_goal(journeys)
        if per_path and self.normalize == "global":
            raise ParameterError(
                "parameter 'per_path' of ShaoLi.attribute needs normalize='path': global credits are shared out "
                "after summing over all paths, so no path has its own. Fix: use ShaoLi() (per path)."
            )
        sets = channel_sets(journeys)
        p, pairs = _probabilities(sets)
        converting = np.flatnonzero((sets.conversions > 0) & (sets.sizes > 0))
        contributions = _contributions(sets.presence[converting], p, pairs)  # only converting sets get credit
        if len(converting) and not (sets.nulls > 0).any():
            warnings.warn(
                "these journeys have no non-converting counts (nulls), so every probability is 1 and the "
                "contributions cannot tell channels apart. Build journeys with nulls for meaningful credits.",
                DegenerateChainWarning,
                stacklevel=2,
            )
        conversions, value, lost, share = self._credits(sets, converting, contributions)
        path_credits, positions = None, None
        if per_path:
            by_set = np.zeros_like(sets.presence)
            by_set[converting] = share
            touch_conversions, touch_value, path_credits = touch_credits(journeys, sets, by_set)
            positions = credit_by_position(journeys, touch_conversions, touch_value)
        channels = journeys.channels
        names = pd.Index(channels, name="channel")
        return ShaoLiAttribution(
            ModelSpec(self.name, self.params()),
            channels,
            conversions,
            value,
            Unattributed(journeys.unattributed_conversions + lost[0], journeys.unattributed_value + lost[1]),
            path_credits=path_credits,
            positions=positions,
            probabilities=pd.Series(p, index=names, name="probability"),
            pair_probabilities=pd.DataFrame(pairs, index=names, columns=pd.Index(channels, name="with")),
            contributions=_contribution_table(sets, converting, contributions, channels),
        )

    def _credits(
        self, sets: ChannelSets, converting: IntArray, c: FloatArray
    ) -> tuple[FloatArray, FloatArray, tuple[float, float], FloatArray]:
        """Channel credits from the contributions ``c`` of the ``converting`` sets, what no channel could
        take (conversions, value), and each converting set's share per channel (per path; zeros under
        global normalisation)."""
        conv, value = sets.conversions[converting], sets.value[converting]
        if self.normalize == "global":
            totals = conv.sum(), value.sum()
            shares = []
            for weight, total in zip((conv, value), totals, strict=True):
                summed = np.maximum(weight @ c, 0.0)
                mass = summed.sum()
                shares.append(total * summed / mass if mass > 0 else np.zeros_like(summed))
            lost = tuple(float(t) if s.sum() == 0 else 0.0 for t, s in zip(totals, shares, strict=True))
            return shares[0], shares[1], (lost[0], lost[1]), np.zeros_like(c)
        positive = np.maximum(c, 0.0)  # c is 0 outside each set
        mass = positive.sum(axis=1)
        shared = mass > 0
        positive[shared] /= mass[shared, None]
        positive[~shared] = 0.0
        unshared = ~shared  # every contribution ≤ 0: reported, never dropped
        lost = (float(conv[unshared].sum()), float(value[unshared].sum()))
        return conv @ positive, value @ positive, lost, positive


def _probabilities(sets: ChannelSets) -> tuple[FloatArray, FloatArray]:
    """p(i) and p(i, j) (NaN where no row with weight holds the channel, or the pair)."""
    x = sets.presence
    weight = sets.conversions + sets.nulls
    with np.errstate(invalid="ignore", divide="ignore"):
        p = (x.T @ sets.conversions) / (x.T @ weight)
        pairs = weighted_gram(x, sets.conversions) / weighted_gram(x, weight)
    return p, pairs


def _contributions(x: FloatArray, p: FloatArray, pairs: FloatArray) -> FloatArray:
    """c_i of every channel of every set of presence rows ``x`` (0 outside the set)."""
    gain = pairs - p[:, None] - p[None, :]
    np.fill_diagonal(gain, 0.0)
    gain = np.nan_to_num(gain)  # pairs never seen with weight are never in a weighted set together
    sizes = x.sum(axis=1)
    others = np.maximum(sizes - 1.0, 1.0)
    contributions = x @ gain
    contributions /= 2.0 * others[:, None]
    contributions[sizes <= 1] = 0.0
    contributions += np.nan_to_num(p)[None, :]
    contributions *= x
    return contributions


def _contribution_table(
    sets: ChannelSets, converting: IntArray, c: FloatArray, channels: tuple[str, ...]
) -> pd.DataFrame:
    """Contributions of the converting sets: one row per distinct set (named ``A + B``), one column per channel."""
    present = sets.presence[converting] > 0
    table = pd.DataFrame(
        np.where(present, c, np.nan),
        index=pd.Index(set_names(present, channels), name="channels"),
        columns=pd.Index(channels, name="channel"),
    )
    table.insert(0, "conversions", sets.conversions[converting])
    return table


class ShaoLiAttribution(Attribution):
    """:class:`Attribution` plus what Shao & Li's model estimated."""

    __slots__ = ("_contributions", "_pairs", "_probabilities")

    def __init__(
        self,
        model: ModelSpec,
        channels: tuple[str, ...],
        conversions: FloatArray,
        value: FloatArray,
        unattributed: Unattributed,
        *,
        path_credits: Any = None,
        positions: pd.DataFrame | None = None,
        probabilities: pd.Series,
        pair_probabilities: pd.DataFrame,
        contributions: pd.DataFrame,
    ) -> None:
        super().__init__(model, channels, conversions, value, unattributed, path_credits, positions)
        self._probabilities = probabilities
        self._pairs = pair_probabilities
        self._contributions = contributions

    @property
    def probabilities(self) -> pd.Series:
        """p(i): the conversion rate of the rows whose set holds each channel (NaN: never seen with weight)."""
        return self._probabilities.copy()

    @property
    def pair_probabilities(self) -> pd.DataFrame:
        """p(i, j): the conversion rate of the rows holding both channels (NaN: never together)."""
        return self._pairs.copy()

    @property
    def contributions(self) -> pd.DataFrame:
        """c_i for every distinct converting set (rows, named ``A + B``) and channel, with the set's conversions."""
        return self._contributions.copy()
