"""Rule-based models: first touch, last touch, last non-direct, linear, position-based, time decay.

Each model is a per-touch weight vector that sums to 1 on every path;
weights are computed for all touches at once over the flat arrays of ``Journeys``.
"""

from __future__ import annotations

import math
import re
import warnings
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar, Literal

import numpy as np
import numpy.typing as npt
import pandas as pd

from attribution import _checks
from attribution._durations import duration_seconds
from attribution.errors import JourneyError, ParameterError
from attribution.journeys import Journeys
from attribution.models.base import (
    Attribution,
    Configured,
    ModelSpec,
    attribution_from_chosen_touches,
    attribution_from_touch_weights,
    attribution_from_weigher,
)
from attribution.models.grouping import attribute_by, attribute_by_touch_weights, require_one_goal

__all__ = [
    "FirstTouch",
    "LastNonDirect",
    "LastTouch",
    "Linear",
    "PositionBased",
    "SkipLabelsNotFoundWarning",
    "TimeDecay",
]

FloatArray = npt.NDArray[np.float64]


class _RuleModel(Configured):
    """Shared plumbing: ``attribute`` turns the subclass's touch weights into an :class:`Attribution`.

    The name and ``params()`` are derived from the dataclass fields (:class:`Configured`).
    """

    label: ClassVar[str]

    def touch_weights(self, journeys: Journeys) -> FloatArray:
        """Weight of every touch; each non-empty path's weights sum to 1."""
        raise NotImplementedError

    def attribute(
        self,
        journeys: Journeys,
        *,
        per_path: bool = False,
        by: str | Sequence[str] | None = None,
        period: str | None = None,
    ) -> Attribution:
        """Credit the conversions and value of ``journeys`` to channels.

        Parameters
        ----------
        journeys
            The paths to attribute.
        per_path
            Also keep each row's credit per channel (see :meth:`Attribution.path_credits`).
        by
            Attribute keys (segments, ``"conversion_type"``, ``"period"``): attribute
            each group on its own and return a :class:`GroupedAttribution` (see
            :func:`attribution.models.grouping.attribute_by`).
        period
            The period frequency (``"M"``, ``"W"``, ``"Q"``...) when ``by`` holds ``"period"``.
        """
        if not isinstance(journeys, Journeys):
            raise TypeError(f"attribute takes a Journeys object; got {type(journeys).__name__}")
        spec = ModelSpec(self.name, self.params())
        if by is not None and not per_path:  # one pass over the touches (or rows), summed per group
            chosen = self.chosen_touches if isinstance(self, _SingleTouchModel) else None
            return attribute_by_touch_weights(self, journeys, by, period, self.touch_weights, spec, chosen=chosen)
        if by is not None:
            return attribute_by(self, journeys, by, period=period, per_path=per_path)
        require_one_goal(journeys)
        if isinstance(self, _SingleTouchModel) and not per_path:
            return attribution_from_chosen_touches(journeys, self.chosen_touches(journeys), spec)
        if not per_path:
            return attribution_from_weigher(journeys, self.touch_weights, spec)
        return attribution_from_touch_weights(journeys, self.touch_weights(journeys), spec, per_path=True)


class _SingleTouchModel(_RuleModel):
    """A model that gives each path's whole credit to one touch: row-level work only."""

    def chosen_touches(self, journeys: Journeys) -> npt.NDArray[np.int64]:
        """Index (into ``codes``) of the credited touch of every non-empty row."""
        raise NotImplementedError

    def touch_weights(self, journeys: Journeys) -> FloatArray:
        weights = np.zeros(journeys.n_touches)
        weights[self.chosen_touches(journeys)] = 1.0
        return weights


def _per_touch(journeys: Journeys, per_row: FloatArray) -> FloatArray:
    """Spread one number per row over the row's touches."""
    spread: FloatArray = np.repeat(per_row, journeys.lengths)
    return spread


@dataclass(frozen=True, repr=True)
class FirstTouch(_SingleTouchModel):
    """All credit to the first touch of each path: P(1, 0, 0).

    Examples
    --------
    >>> j = Journeys.from_sequences([["A", "B", "C"], ["C"]], conversions=[2, 1])
    >>> FirstTouch().attribute(j).credits["conversions"].to_dict()
    {'A': 2.0, 'B': 0.0, 'C': 1.0}
    """

    label: ClassVar[str] = "First touch"

    def chosen_touches(self, journeys: Journeys) -> npt.NDArray[np.int64]:
        return journeys.offsets[:-1][journeys.lengths > 0]


@dataclass(frozen=True, repr=True)
class LastTouch(_SingleTouchModel):
    """All credit to the last touch of each path: P(0, 0, 1).

    Examples
    --------
    >>> j = Journeys.from_sequences([["A", "B", "C"], ["B"]], conversions=[2, 1])
    >>> LastTouch().attribute(j).credits["conversions"].to_dict()
    {'A': 0.0, 'B': 1.0, 'C': 2.0}
    """

    label: ClassVar[str] = "Last touch"

    def chosen_touches(self, journeys: Journeys) -> npt.NDArray[np.int64]:
        return journeys.offsets[1:][journeys.lengths > 0] - 1


class SkipLabelsNotFoundWarning(UserWarning):
    """None of :class:`LastNonDirect`'s ``skip`` labels occurs in the journeys, but a channel looks like one.

    The model then gives every path's credit to its last touch, exactly as
    :class:`LastTouch`; usually the direct channel is spelled differently in the data
    (``"(direct)"``, ``"direct"``).
    """


def _words(label: str) -> frozenset[str]:
    """The case-folded words of a label: ``"(direct) / (none)"`` → {"direct", "none"}."""
    return frozenset(re.findall(r"[^\W_]+", label.casefold()))


def _listed(labels: tuple[str, ...], most: int = 20) -> str:
    shown = ", ".join(repr(label) for label in labels[:most])
    return f"[{shown}, … {len(labels) - most} more]" if len(labels) > most else f"[{shown}]"


@dataclass(frozen=True, repr=True)
class LastNonDirect(_SingleTouchModel):
    """All credit to the last touch whose channel is not skipped (Google's long-time default).

    Parameters
    ----------
    skip
        Channel labels to pass over, default ``("Direct",)``: any iterable of labels
        (tuple, list, set, ``pandas.Index``, NumPy array), kept as a tuple (sorted when
        given as a set, so equal sets give equal models). A bare string is refused: it
        would be read letter by letter. A path made only of skipped channels gives its
        credit to its last touch.

    Warns
    -----
    SkipLabelsNotFoundWarning
        When none of the ``skip`` labels occurs in the journeys but a channel holds the
        same words in another spelling (``"(direct)"``, ``"direct"`` or
        ``"(direct) / (none)"`` for ``"Direct"``; labels of under three letters are not
        compared): the model would silently be last touch. Labels absent from journeys
        that have no such look-alike are simply never met.

    Examples
    --------
    >>> j = Journeys.from_sequences([["Email", "Direct"], ["Direct"]], conversions=[1, 1])
    >>> LastNonDirect().attribute(j).credits["conversions"].to_dict()
    {'Direct': 1.0, 'Email': 1.0}
    """

    skip: tuple[str, ...] = ("Direct",)
    label: ClassVar[str] = "Last non-direct"

    def __post_init__(self) -> None:
        skip: Any = self.skip
        if isinstance(skip, (str, bytes)) or not isinstance(skip, Iterable):
            raise ParameterError(
                f"parameter 'skip' of LastNonDirect must be a tuple of channel labels (or any iterable of labels, "
                f"not a bare string); got {skip!r}. "
                "Fix: pass e.g. skip=('Direct',) — a bare string would be read letter by letter."
            )
        try:
            labels = tuple(skip)
        except TypeError:  # e.g. a 0-d NumPy array: iterable by type, not in fact
            raise ParameterError(
                f"parameter 'skip' of LastNonDirect must be an iterable of channel labels; got {skip!r}. "
                "Fix: pass e.g. skip=('Direct',)."
            ) from None
        bad = [s for s in labels if not isinstance(s, str) or not s.strip()]
        if bad:
            raise ParameterError(
                f"parameter 'skip' of LastNonDirect must hold non-empty channel labels; got {bad[0]!r}."
            )
        labels = tuple(str(s) for s in labels)  # plain str (not numpy.str_), so repr rebuilds the model
        if isinstance(skip, (set, frozenset)):
            labels = tuple(sorted(labels))
        object.__setattr__(self, "skip", labels)

    def renamed(self, mapping: dict[str, str]) -> LastNonDirect:
        """The same model after channels are relabelled with ``mapping``."""
        return LastNonDirect(skip=tuple(mapping.get(s, s) for s in self.skip))

    def attribute(
        self,
        journeys: Journeys,
        *,
        per_path: bool = False,
        by: str | Sequence[str] | None = None,
        period: str | None = None,
    ) -> Attribution:
        """Credit the last non-skipped touch of every path (warns when ``skip`` looks misspelled).

        Parameters
        ----------
        journeys
            The paths to attribute.
        per_path
            Also keep each row's credit per channel (see :meth:`Attribution.path_credits`).
        """
        if isinstance(journeys, Journeys) and by is None:
            self._warn_if_skip_is_spelled_differently(journeys)
        return super().attribute(journeys, per_path=per_path, by=by, period=period)

    def _warn_if_skip_is_spelled_differently(self, journeys: Journeys) -> None:
        channels = journeys.channels
        if not channels or set(self.skip) & set(channels):
            return
        # words of at least three letters: "direct" in "(direct)", not "a" in "A" (toy labels stay quiet)
        wanted = [w for w in (_words(s) for s in self.skip) if sum(len(word) for word in w) >= 3]
        alike = [c for c in channels if any(w <= _words(c) for w in wanted)]
        if alike:
            warnings.warn(
                f"none of LastNonDirect's skip labels {self.skip!r} occurs in the journeys, whose channels are "
                f"{_listed(channels)}; without them every path's credit goes to its last touch (LastTouch). "
                f"{alike[0]!r} looks like a skipped channel spelled differently. "
                f"Fix: name the channels as the data does, e.g. LastNonDirect(skip={tuple(alike)!r}).",
                SkipLabelsNotFoundWarning,
                stacklevel=3,
            )

    def chosen_touches(self, journeys: Journeys) -> npt.NDArray[np.int64]:
        skipped_codes = [i for i, c in enumerate(journeys.channels) if c in self.skip]
        eligible = ~np.isin(journeys.codes, skipped_codes)
        non_empty = journeys.lengths > 0
        if not non_empty.any():
            return np.zeros(0, dtype=np.int64)
        # the last eligible touch of each row (or -1) by a max over each row, then the last touch
        candidate = np.where(eligible, np.arange(journeys.n_touches, dtype=np.int64), -1)
        last_eligible = np.maximum.reduceat(candidate, journeys.offsets[:-1][non_empty])
        chosen: npt.NDArray[np.int64] = np.where(last_eligible >= 0, last_eligible, journeys.offsets[1:][non_empty] - 1)
        return chosen


@dataclass(frozen=True, repr=True)
class Linear(_RuleModel):
    """Equal credit to every touch: w_i = 1/L (a repeated channel gets each touch's share).

    Examples
    --------
    >>> j = Journeys.from_sequences([["A", "A", "B"]], conversions=[1])
    >>> Linear().attribute(j).credits["conversions"].round(4).to_dict()
    {'A': 0.6667, 'B': 0.3333}
    """

    label: ClassVar[str] = "Linear"

    def touch_weights(self, journeys: Journeys) -> FloatArray:
        with np.errstate(divide="ignore"):
            return _per_touch(journeys, 1.0 / journeys.lengths)


_PRESETS = {(0.4, 0.2, 0.4): "U-shaped", (0.2, 0.2, 0.6): "J-curve", (0.6, 0.2, 0.2): "Inverse J"}


@dataclass(frozen=True, repr=True)
class PositionBased(_RuleModel):
    """First, middle and last touches share the credit in fixed proportions: P(f, m, l).

    Weights (Adobe's "custom" rule; the shares are normalised):

    - one touch: (1);
    - two touches: (f, l) / (f + l), the middle share is ignored; when f = l = 0 the
      two touches split evenly;
    - L ≥ 3 touches: (f, m/(L−2), …, m/(L−2), l) / (f + m + l).

    Parameters
    ----------
    first, middle, last
        Non-negative shares, not all zero. Presets: :meth:`u_shaped` (0.4, 0.2, 0.4),
        :meth:`j_curve` (0.2, 0.2, 0.6), :meth:`inverse_j` (0.6, 0.2, 0.2).

    Examples
    --------
    >>> j = Journeys.from_sequences([["A", "B", "C"], ["A", "C"]], conversions=[1, 1])
    >>> PositionBased.u_shaped().attribute(j).credits["conversions"].round(4).to_dict()
    {'A': 0.9, 'B': 0.2, 'C': 0.9}
    """

    first: float = 0.4
    middle: float = 0.2
    last: float = 0.4

    def __post_init__(self) -> None:
        for name in ("first", "middle", "last"):
            share = _checks.finite_number(getattr(self, name), name, low=0.0, owner="PositionBased")
            object.__setattr__(self, name, share)
        if self.first + self.middle + self.last == 0:
            raise ParameterError(
                "parameters 'first', 'middle' and 'last' of PositionBased must not all be 0; got (0, 0, 0). "
                "Fix: give at least one position a share, e.g. PositionBased(0.4, 0.2, 0.4)."
            )

    named_params: ClassVar[tuple[str, ...]] = ("first", "middle", "last")

    def base_name(self) -> str:
        """``"U-shaped (40/20/40)"`` for a preset, else ``"Position-based (f/m/l)"`` in percent."""
        shares = (self.first, self.middle, self.last)
        preset = _PRESETS.get(shares)
        total = sum(shares)
        percent = "/".join(f"{100 * s / total:g}" for s in shares)
        return f"{preset} ({percent})" if preset else f"Position-based ({percent})"

    @classmethod
    def u_shaped(cls) -> PositionBased:
        """40 % first, 20 % middle, 40 % last (Google's and Adobe's position-based)."""
        return cls(0.4, 0.2, 0.4)

    @classmethod
    def j_curve(cls) -> PositionBased:
        """20 % first, 20 % middle, 60 % last (two touches: 25/75)."""
        return cls(0.2, 0.2, 0.6)

    @classmethod
    def inverse_j(cls) -> PositionBased:
        """60 % first, 20 % middle, 20 % last (two touches: 75/25)."""
        return cls(0.6, 0.2, 0.2)

    def touch_weights(self, journeys: Journeys) -> FloatArray:
        first, middle, last = self.first, self.middle, self.last
        lengths = journeys.lengths
        total = first + middle + last
        # middle share on every touch, then the two ends of each row overwritten (row-level work)
        with np.errstate(divide="ignore", invalid="ignore"):
            weights = _per_touch(journeys, middle / (lengths - 2) / total).copy()
        start, end = journeys.offsets[:-1], journeys.offsets[1:] - 1
        long, two = lengths >= 3, lengths == 2
        weights[start[long]] = first / total
        weights[end[long]] = last / total
        ends = first + last
        weights[start[two]] = first / ends if ends > 0 else 0.5
        weights[end[two]] = last / ends if ends > 0 else 0.5
        weights[start[lengths == 1]] = 1.0
        return weights


def _canonical_duration(seconds: float) -> str | float:
    """One spelling per duration: ``"7D"``, ``"36h"``, ``"90min"``, ``"45s"``; days as a number past that."""
    if seconds > 100_000 * 86_400 or not float(seconds).is_integer():
        return seconds / 86_400
    whole = int(seconds)
    for unit, size in (("D", 86_400), ("h", 3_600), ("min", 60), ("s", 1)):
        if whole % size == 0:
            return f"{whole // size}{unit}"
    return seconds / 86_400  # unreachable: every whole number of seconds is a number of seconds


@dataclass(frozen=True, repr=True)
class TimeDecay(_RuleModel):
    """Credit halves with every ``half_life`` between a touch and the conversion (Google, Adobe).

    ``by="time"``: w_i ∝ 2^(−t_i / h), t_i the time from touch i to the conversion,
    normalised per path. It needs touch times (journeys built with
    :meth:`Journeys.from_events`, or ``times`` given to ``from_sequences``); it never
    falls back to positions silently. ``by="position"``: w_i ∝ 2^(−(L − i) / h) with
    ``half_life`` h counted in touches, for journeys without times, only when asked.
    As h → ∞ the weights tend to linear; as h → 0, to last touch (touches at the very
    time of the last one share its credit).

    Parameters
    ----------
    half_life
        With ``by="time"``: ``"7D"``, ``"36h"``, a ``pandas.Timedelta`` or a number of
        days (default 7 days). With ``by="position"``: a positive number of touches.
    by
        ``"time"`` (default) or ``"position"``.

    Examples
    --------
    >>> day = 86_400
    >>> j = Journeys.from_sequences([["A", "B", "C"]], conversions=[1], times=[[3 * day, 2 * day, 0]])
    >>> TimeDecay("7D").attribute(j).credits["conversions"].round(6).to_dict()
    {'A': 0.289856, 'B': 0.320027, 'C': 0.390117}
    """

    half_life: str | pd.Timedelta | float = "7D"
    by: Literal["time", "position"] = "time"
    _scale: float = field(init=False, repr=False, compare=False, default=0.0)

    def __post_init__(self) -> None:
        if self.by not in ("time", "position"):
            raise ParameterError(f"parameter 'by' of TimeDecay must be 'time' or 'position'; got {self.by!r}.")
        if self.by == "time":
            seconds = duration_seconds(self.half_life, "half_life", error=ParameterError)
            object.__setattr__(self, "_scale", seconds)
            object.__setattr__(self, "half_life", _canonical_duration(seconds))  # TimeDecay(7) == TimeDecay("7D")
        else:
            steps = self.half_life
            if (
                isinstance(steps, bool)
                or not isinstance(steps, (int, float, np.integer, np.floating))
                or not (math.isfinite(steps) and steps > 0)
            ):
                raise ParameterError(
                    f"parameter 'half_life' of TimeDecay(by='position') must be a positive number of touches; "
                    f"got {steps!r}. Fix: pass e.g. TimeDecay(half_life=2, by='position')."
                )
            object.__setattr__(self, "_scale", float(steps))

    named_params: ClassVar[tuple[str, ...]] = ("half_life", "by")

    def base_name(self) -> str:
        """``"Time decay (7D)"``, or ``"Time decay (2 touches)"`` by position."""
        if self.by == "position":
            return f"Time decay ({self.half_life:g} touches)"
        text = self.half_life if isinstance(self.half_life, str) else f"{self.half_life:g} days"
        return f"Time decay ({text})"

    def touch_weights(self, journeys: Journeys) -> FloatArray:
        lengths = journeys.lengths
        last_touch = journeys.offsets[1:] - 1
        if self.by == "time":
            if journeys.times is None:
                raise JourneyError(
                    "TimeDecay(by='time') needs the time of every touch, and these journeys have none "
                    "(aggregated path tables carry no times). Fix: build them with Journeys.from_events, "
                    "pass times to Journeys.from_sequences, or ask for TimeDecay(half_life=..., by='position')."
                )
            # measure from each path's most recent touch so the largest weight is exactly 1 (no underflow)
            newest = np.zeros(journeys.n_rows)
            newest[lengths > 0] = journeys.times[last_touch[lengths > 0]]
            age = journeys.times - np.repeat(newest, lengths)
        else:  # touches before the last one
            age = (np.repeat(last_touch, lengths) - np.arange(journeys.n_touches)).astype(np.float64)
        with np.errstate(over="ignore", under="ignore"):
            raw = np.exp2(-age / self._scale)
        non_empty = lengths > 0
        totals = np.ones(journeys.n_rows)
        totals[non_empty] = np.add.reduceat(raw, journeys.offsets[:-1][non_empty]) if raw.size else 0.0
        weights: FloatArray = raw / np.repeat(totals, lengths)
        return weights
