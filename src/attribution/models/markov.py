"""Markov-chain attribution (Anderl et al. 2016): any order, exact removal effects.

States are windows of ``order`` consecutive channels (SPEC.md §4). The chain is an
absorbing Markov chain with START, the transient states, CONV and NULL. Everything is
exact absorbing-chain algebra (:mod:`attribution.models._absorbing`): no simulation.

Removal effects come from the Schur complement. With N = (I − Q)⁻¹, x = N r the
conversion probability from each state and T the states that contain channel c,
removing c (sending every transition into T to NULL) leaves

    P₋c(conv) = x_S − N[S, T] · N[T, T]⁻¹ · x_T,

so RE_c = N[S, T] · N[T, T]⁻¹ · x_T / x_S = P(walk visits c | walk converts). Order 1 is
the case |T| = 1: RE_k = (N[S, k] / N[k, k]) · x_k / x_S. Small chains take N[S, ·] and
N[·, T] from one sparse LU; large high-order chains solve the reduced chain per channel
with GMRES to a relative residual of 1e-12 (checked, with an LU fallback).
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar

import numpy as np
import numpy.typing as npt
import pandas as pd

from attribution.errors import JourneyError, ParameterError
from attribution.journeys import Journeys
from attribution.models._absorbing import ChainAlgebra
from attribution.models._walks import KeySpaceError, TooManyStatesError, count_walks, widest_window
from attribution.models.base import (
    Attribution,
    Configured,
    ModelSpec,
    Unattributed,
    attributable_totals,
)

if TYPE_CHECKING:
    import networkx as nx

__all__ = ["DegenerateChainWarning", "FittedMarkovChain", "MarkovAttribution", "MarkovChain"]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

START, CONV, NULL = "(start)", "(conversion)", "(null)"


class DegenerateChainWarning(UserWarning):
    """The journeys have no non-converting counts, so every walk converts.

    Removal effects then degenerate to visit probabilities: RE_c = P(walk visits c).
    """


def no_conversions_error(subject: str) -> JourneyError:
    """The one error for journeys without a conversion on any non-empty path (Markov fit and game)."""
    return JourneyError(
        f"no conversions on any non-empty path: {subject}. "
        "Fix: check the conversion column, or the lookback window that may have emptied every path."
    )


def _key_space_error(order: int, n_channels: int, error: KeySpaceError) -> ParameterError:
    return ParameterError(
        f"parameter 'order' of MarkovChain is too high for {n_channels:,} channels: a state of {error.width} channels "
        f"is stored as a {error.width}-digit number in base {n_channels + 1}, and {n_channels + 1}^{error.width} "
        f"exceeds the 64-bit range (at most {error.widest} channels per state fit; order={order}). "
        f"Fix: lower the order to at most {error.widest}, merge channels with journeys.map_channels(...), "
        f"or keep the last touches with journeys.last_touches({error.widest})."
    )


class FittedMarkovChain:
    """An absorbing Markov chain estimated from journeys, with exact removal effects.

    Built by :meth:`MarkovChain.fit`. States are START, windows of ``order`` channels,
    CONV and NULL; a transition's probability is its count over its state's total.
    A fitted chain pickles (its sparse factorisation is rebuilt on first use).
    """

    def __init__(self, journeys: Journeys, order: int, collapse_repeats: bool, max_states: int) -> None:
        import scipy.sparse as sp  # imported on first use: scipy.sparse is slow to import

        self.order = order
        self.collapse_repeats = collapse_repeats
        self.channels = journeys.channels
        try:  # empty paths have no step: they never enter the chain
            walks = count_walks(journeys, order, collapse_repeats, max_states)
        except KeySpaceError as too_wide:
            raise _key_space_error(order, len(journeys.channels), too_wide) from None
        except TooManyStatesError as too_many:
            raise ParameterError(
                f"a Markov chain of order {order} on these journeys has {too_many.count:,} states, over the budget "
                f"of max_states={max_states:,}. Fix: use a lower order, shorten paths with "
                "journeys.last_touches(k), or raise max_states if memory allows."
            ) from None
        self._states = walks
        self._widest = max((len(window) for window in walks.windows), default=0)
        self.start_counts = walks.start
        self.transition_counts = walks.transitions
        self.conversion_counts = walks.conversions
        self.null_counts = walks.nulls
        with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
            self.mean_value = np.where(walks.conversions > 0, walks.value / walks.conversions, 0.0)
        with np.errstate(over="ignore", invalid="ignore"):
            out = np.asarray(self.transition_counts.sum(axis=1)).ravel() + self.conversion_counts + self.null_counts
        if not (np.isfinite(out).all() and np.isfinite(self.start_counts).all()):
            raise JourneyError(
                "the journeys' counts are too large for float64 once added up along the walks: a state's "
                f"transition counts overflow to inf (largest row count {_largest(journeys):.3g}). "
                "Fix: rescale conversions, nulls and value (e.g. divide them by 1e6): removal effects and shares "
                "do not depend on the scale."
            )
        safe = np.where(out > 0, out, 1.0)
        # each count over its state's total (never 1/total first: that overflows for subnormal totals)
        counts = sp.csr_array(self.transition_counts)
        per_row = np.repeat(safe, np.diff(counts.indptr))
        self.q = sp.csr_array((counts.data / per_row, counts.indices, counts.indptr), shape=counts.shape)
        self.r = self.conversion_counts / safe
        # r · (mean value per conversion) = value / out: no division by a conversion count that may be tiny
        with np.errstate(over="ignore"):
            self._r_value = walks.value / safe
        if not np.isfinite(self._r_value).all():
            state = int(np.argmin(np.isfinite(self._r_value)))
            raise JourneyError(
                f"the value per journey of state {self.state_labels()[state]!r} overflows float64 "
                f"(value {float(walks.value[state]):.3g} over {float(out[state]):.3g} journeys). "
                "Fix: rescale value, or check its rows for placeholder numbers."
            )
        start_total = self.start_counts.sum()
        self.p_start = self.start_counts / start_total if start_total > 0 else self.start_counts
        self._solve()

    # ------------------------------------------------------------------ algebra
    def _solve(self) -> None:
        self._algebra = ChainAlgebra(self.q, self.r, self._r_value, self.p_start)

    @property
    def conversion_probability(self) -> float:
        """P(a walk from START converts)."""
        return self._algebra.conversion_probability

    @property
    def value_flow(self) -> float:
        """Expected conversion value of a walk from START."""
        return self._algebra.value_flow

    def _states_of_channel(self) -> list[IntArray]:
        member: list[list[int]] = [[] for _ in self.channels]
        for state, window in enumerate(self._states.windows):
            for code in set(window):
                member[code].append(state)
        return [np.asarray(m, dtype=np.int64) for m in member]

    def removal_effects(self) -> pd.DataFrame:
        """Per channel: ``conversions`` and ``value`` removal effects, exact.

        RE_c = 1 − P₋c(conv) / P(conv), with every transition into a state containing c
        sent to NULL; the value removal effect uses the value flow (SPEC §4).
        """
        p_conv, flow = self.conversion_probability, self.value_flow
        effects = np.zeros((len(self.channels), 2))
        for c, members in enumerate(self._states_of_channel()):
            lost, lost_value = self._algebra.loss_without(members)
            effects[c, 0] = lost / p_conv if p_conv > 0 else 0.0
            effects[c, 1] = lost_value / flow if flow > 0 else 0.0
        effects = np.clip(effects, 0.0, 1.0)  # exact up to rounding
        return pd.DataFrame(effects, index=pd.Index(self.channels, name="channel"), columns=["conversions", "value"])

    # ------------------------------------------------------------------ views
    def state_labels(self) -> list[str]:
        """Labels of the transient states: channels joined by ' > '."""
        return [" > ".join(self.channels[c] for c in window) for window in self._states.windows]

    def transitions(self) -> pd.DataFrame:
        """Long form of the chain: ``source``, ``target``, ``count``, ``probability`` (sparse-friendly)."""
        labels = np.asarray(self.state_labels(), dtype=object)
        counts = self.transition_counts.tocoo()
        totals = self.start_counts.sum()
        out = np.asarray(self.transition_counts.sum(axis=1)).ravel() + self.conversion_counts + self.null_counts
        safe = np.where(out > 0, out, 1.0)
        started = np.flatnonzero(self.start_counts)
        converted = np.flatnonzero(self.conversion_counts)
        nulled = np.flatnonzero(self.null_counts)
        frame = pd.DataFrame(
            {
                "source": np.concatenate(
                    [np.full(len(started), START, dtype=object), labels[counts.row], labels[converted], labels[nulled]]
                ),
                "target": np.concatenate(
                    [
                        labels[started],
                        labels[counts.col],
                        np.full(len(converted), CONV, dtype=object),
                        np.full(len(nulled), NULL, dtype=object),
                    ]
                ),
                "count": np.concatenate(
                    [
                        self.start_counts[started],
                        counts.data,
                        self.conversion_counts[converted],
                        self.null_counts[nulled],
                    ]
                ),
            }
        )
        frame["probability"] = frame["count"] / np.concatenate(
            [np.full(len(started), totals), safe[counts.row], safe[converted], safe[nulled]]
        )
        return frame

    def transition_matrix(self) -> pd.DataFrame:
        """The named transition matrix (dense): rows and columns START, states, CONV, NULL."""
        names = [START, *self.state_labels(), CONV, NULL]
        table = self.transitions().pivot_table(index="source", columns="target", values="probability", aggfunc="sum")
        matrix = table.reindex(index=names, columns=names).fillna(0.0)
        matrix.loc[CONV, CONV] = 1.0
        matrix.loc[NULL, NULL] = 1.0
        return matrix.rename_axis(index="source", columns="target")

    def to_networkx(self) -> nx.DiGraph:
        """The chain as a ``networkx.DiGraph`` with ``probability`` and ``count`` edge attributes."""
        import networkx as nx

        graph = nx.DiGraph()
        table = self.transitions()
        for source, target, count, probability in zip(
            table["source"], table["target"], table["count"].tolist(), table["probability"].tolist(), strict=True
        ):
            graph.add_edge(source, target, probability=probability, count=count)
        return graph

    def predict_proba(self, journeys: Journeys) -> FloatArray:
        """Each row's conversion probability under the chain, for hold-out validation.

        A walk that has reached a path's last state ends in CONV with probability
        p(last → CONV) / (p(last → CONV) + p(last → NULL)). Paths whose last state the
        chain never saw, and empty paths, get the training conversion rate.
        """
        if not isinstance(journeys, Journeys):
            raise TypeError(f"predict_proba takes a Journeys object; got {type(journeys).__name__}")
        rows = journeys.collapse_repeats() if self.collapse_repeats else journeys
        total = self.conversion_counts.sum() + self.null_counts.sum()
        fallback = float(self.conversion_counts.sum() / total) if total > 0 else 0.0
        out = np.full(rows.n_rows, fallback)
        known = [c for c in rows.channels if c in self.channels]
        if not known:
            return out
        # express the rows' last windows in this chain's channel codes
        position = {c: i for i, c in enumerate(self.channels)}
        remap = np.array([position.get(c, -1) for c in rows.channels], dtype=np.int64)
        codes = remap[rows.codes]
        lengths = rows.lengths
        width = np.minimum(lengths, self.order)
        # a window wider than every state is unseen; only windows as wide as the states get keys,
        # and those fit int64 (fit checked them), so no key can wrap around and collide
        widest = min(self._widest, self.order)
        fits = widest_window(len(self.channels))
        if widest > fits:  # cannot happen for a fitted chain (fit checked it); never compute wrapped keys
            raise _key_space_error(self.order, len(self.channels), KeySpaceError(widest, fits))
        unknown = width > widest
        base = len(self.channels) + 1
        key = np.zeros(rows.n_rows, dtype=np.int64)
        for back in range(widest):
            take = (width > back) & ~unknown
            index = rows.offsets[1:][take] - width[take] + back
            digit = codes[index]
            unknown[np.flatnonzero(take)[digit < 0]] = True
            key[take] = key[take] * base + digit + 1
        state = np.searchsorted(self._states.keys, key)
        state = np.minimum(state, max(len(self._states.keys) - 1, 0))
        seen = (lengths > 0) & ~unknown & (len(self._states.keys) > 0)
        seen &= self._states.keys[state] == key if len(self._states.keys) else False
        absorbed = self.conversion_counts + self.null_counts
        ends = seen.copy()
        ends[seen] = absorbed[state[seen]] > 0
        out[ends] = self.conversion_counts[state[ends]] / absorbed[state[ends]]
        return out


def _largest(journeys: Journeys) -> float:
    return float(np.maximum(journeys.conversions, journeys.nulls).max())


@dataclass(frozen=True, repr=True)
class MarkovChain(Configured):
    """Markov-chain attribution by removal effects, exact, of any order.

    Channel c's removal effect is the relative drop in the chain's conversion
    probability when every transition into a state containing c goes to NULL instead;
    credits are total conversions × RE_c / Σ RE. The removal effect equals
    P(walk visits c | walk converts), computed exactly from one sparse factorisation.
    Value credits use the value removal effect: the drop in expected value per walk,
    with each state's mean value per conversion (SPEC §4).

    Parameters
    ----------
    order
        Channels per state: 1 (default) or more (windows sliding by one touch).
    collapse_repeats
        Merge consecutive touches of one channel first (default, as ChannelAttribution).
    max_states
        Refuse to build a chain with more states than this (memory guard).

    Examples
    --------
    >>> j = Journeys.from_sequences([["A", "B", "C"], ["A", "C"], ["B"], ["C"], ["A", "B"]],
    ...                             conversions=[2, 1, 0, 1, 0], nulls=[0, 1, 2, 1, 1])
    >>> result = MarkovChain().attribute(j)
    >>> result.removal_effects["conversions"].round(4).tolist()
    [0.5333, 0.3333, 1.0]
    >>> (result.credits["conversions"] * 7).round(6).tolist()
    [8.0, 5.0, 15.0]
    """

    order: int = 1
    collapse_repeats: bool = True
    max_states: int = 200_000
    label: ClassVar[str] = "Markov"

    def __post_init__(self) -> None:
        if isinstance(self.order, bool) or not isinstance(self.order, (int, np.integer)) or self.order < 1:
            raise ParameterError(f"parameter 'order' of MarkovChain must be a positive integer; got {self.order!r}.")
        if not isinstance(self.collapse_repeats, bool):
            raise ParameterError(
                f"parameter 'collapse_repeats' of MarkovChain must be True or False; got {self.collapse_repeats!r}."
            )
        if (
            isinstance(self.max_states, bool)
            or not isinstance(self.max_states, (int, np.integer))
            or self.max_states < 1
        ):
            raise ParameterError(
                f"parameter 'max_states' of MarkovChain must be a positive integer; got {self.max_states!r}."
            )

    named_params: ClassVar[tuple[str, ...]] = ("order",)

    def base_name(self) -> str:
        """``"Markov (order k)"``; other non-default parameters follow in the name."""
        return f"Markov (order {self.order})"

    def fit(self, journeys: Journeys) -> FittedMarkovChain:
        """Estimate the chain's transition probabilities from ``journeys``."""
        if not isinstance(journeys, Journeys):
            raise TypeError(f"fit takes a Journeys object; got {type(journeys).__name__}")
        return FittedMarkovChain(journeys, int(self.order), self.collapse_repeats, int(self.max_states))

    def attribute(self, journeys: Journeys, *, per_path: bool = False) -> MarkovAttribution:
        """Credit conversions and value by removal effects.

        Raises
        ------
        JourneyError
            No conversions on any non-empty path, or counts whose sums overflow float64.
        ParameterError
            ``per_path=True`` (Markov credits belong to the whole set of journeys, not to
            single paths), or an order too high for the channels (states would not fit
            64-bit keys) or for ``max_states``.
        """
        if per_path:
            raise ParameterError(
                "parameter 'per_path' of MarkovChain.attribute must be False: Markov-chain credits are defined for "
                "the whole set of journeys, not per path. Fix: call attribute(journeys) without per_path."
            )
        if not isinstance(journeys, Journeys):
            raise TypeError(f"attribute takes a Journeys object; got {type(journeys).__name__}")
        attributable, attributable_value = attributable_totals(journeys)
        if not attributable > 0:
            raise no_conversions_error("a Markov chain has nothing to attribute")
        chain = self.fit(journeys)
        if not (chain.null_counts.sum() > 0):
            warnings.warn(
                "these journeys have no non-converting counts (nulls), so every walk converts and removal effects "
                "degenerate to visit probabilities. Build journeys with nulls (non-converting journeys) for "
                "meaningful removal effects.",
                DegenerateChainWarning,
                stacklevel=2,
            )
        effects = chain.removal_effects()
        conversions = _share(effects["conversions"].to_numpy(), attributable)
        value = _share(effects["value"].to_numpy(), attributable_value)
        return MarkovAttribution(
            ModelSpec(self.name, self.params()),
            journeys.channels,
            conversions,
            value,
            Unattributed(journeys.unattributed_conversions, journeys.unattributed_value),
            removal_effects=effects,
            chain=chain,
        )


def _share(effects: FloatArray, total: float) -> FloatArray:
    mass = effects.sum()
    if mass <= 0 or total <= 0 or not math.isfinite(mass):
        return np.zeros_like(effects)
    shared: FloatArray = total * effects / mass
    return shared


class MarkovAttribution(Attribution):
    """:class:`Attribution` plus what the chain knows: removal effects and the fitted chain."""

    __slots__ = ("_chain", "_removal_effects")

    def __init__(
        self,
        model: ModelSpec,
        channels: tuple[str, ...],
        conversions: FloatArray,
        value: FloatArray,
        unattributed: Unattributed,
        *,
        removal_effects: pd.DataFrame,
        chain: FittedMarkovChain,
    ) -> None:
        super().__init__(model, channels, conversions, value, unattributed)
        self._removal_effects = removal_effects
        self._chain = chain

    @property
    def removal_effects(self) -> pd.DataFrame:
        """Per channel: removal effects for ``conversions`` and ``value`` (a copy)."""
        return self._removal_effects.copy()

    @property
    def conversion_probability(self) -> float:
        """P(conversion) of a walk under the fitted chain."""
        return self._chain.conversion_probability

    @property
    def chain(self) -> FittedMarkovChain:
        """The fitted chain (transition matrix, predictions, graph)."""
        return self._chain
