"""Markov-chain attribution (Anderl et al. 2016): any order, exact removal effects.

States are windows of ``order`` consecutive channels. The chain is an
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

The same identity removes any set T of states: a group of channels (every state that
contains any of them, RE = P(walk visits the group | walk converts)) or, above order 1,
a channel sequence (every state whose window holds it consecutively, RE = P(walk visits
a state holding the sequence | walk converts)). The states, their encoding and membership are
one :class:`~attribution.models.states.StateSpace`; the algebra is one
:class:`~attribution.models._absorbing.ChainAlgebra`.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar, overload

import numpy as np
import numpy.typing as npt
import pandas as pd

from attribution._checks import boolean, integer
from attribution._display import (
    Column,
    Report,
    counted,
    format_count,
    format_money,
    format_probability,
    listed,
    probability_cells,
)
from attribution.errors import JourneyError, ParameterError
from attribution.journeys import Journeys
from attribution.models._absorbing import ChainAlgebra
from attribution.models._walks import count_walks
from attribution.models.base import (
    Attribution,
    Configured,
    ModelSpec,
    Unattributed,
    attributable_totals,
)
from attribution.models.grouping import GroupedAttribution, attribute_by, require_one_goal
from attribution.models.states import KeySpaceError, StateSpace

if TYPE_CHECKING:
    import networkx as nx

__all__ = ["DegenerateChainWarning", "FittedMarkovChain", "MarkovAttribution", "MarkovChain"]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

START, CONV, NULL = "(start)", "(conversion)", "(null)"
KNOWN_SHOWN = 30  # an unknown-label error lists this many of the chain's channels


class DegenerateChainWarning(UserWarning):
    """The journeys have no non-converting counts, so every walk converts.

    Removal effects then degenerate to visit probabilities: RE_c = P(walk visits c).
    """


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

    Built by :meth:`MarkovChain.fit`. States are START, windows of ``order`` channels
    (:attr:`states`), CONV and NULL; a transition's probability is its count over its
    state's total. A fitted chain is immutable (assigning an attribute raises
    ``AttributeError``; its arrays are read-only, its sparse matrices are handed out as
    copies) and pickles (its sparse factorisation is rebuilt on first use).

    Examples
    --------
    >>> j = Journeys.from_sequences([["A", "B", "C"], ["A", "C"], ["B"], ["C"], ["A", "B"]],
    ...                             conversions=[2, 1, 0, 1, 0], nulls=[0, 1, 2, 1, 1])
    >>> chain = MarkovChain().fit(j)
    >>> chain
    Fitted Markov chain: order 1, 3 states over 3 channels
    fitted on:              9 journeys with touches (4 converting, 5 not)
    repeats:                consecutive touches of one channel merged (collapse_repeats=True)
    transitions:            3 between states, plus start and end steps
    conversion probability: 0.4444
    value per journey:      0.00
    channels:               A, B, C
    >>> chain.conversion_step.round(4).tolist(), chain.start_distribution.round(4).tolist()
    ([0.0, 0.0, 0.6667], [0.5556, 0.2222, 0.2222])
    >>> chain.order = 2
    Traceback (most recent call last):
    ...
    AttributeError: FittedMarkovChain is immutable: 'order' cannot be set. Fix: fit MarkovChain(...) again.
    """

    __slots__ = (
        "_algebra",
        "_conversion_counts",
        "_conversion_step",
        "_mean_value",
        "_null_counts",
        "_start_counts",
        "_start_distribution",
        "_states",
        "_transient_probabilities",
        "_transition_counts",
    )
    _algebra: ChainAlgebra
    _conversion_counts: FloatArray
    _conversion_step: FloatArray
    _mean_value: FloatArray
    _null_counts: FloatArray
    _start_counts: FloatArray
    _start_distribution: FloatArray
    _states: StateSpace
    _transient_probabilities: Any
    _transition_counts: Any

    def __init__(self, journeys: Journeys, order: int, collapse_repeats: bool, max_states: int) -> None:
        import scipy.sparse as sp  # imported on first use: scipy.sparse is slow to import

        try:  # empty paths have no step: they never enter the chain
            states = StateSpace.from_journeys(journeys, order, collapse_repeats)
        except KeySpaceError as too_wide:
            raise _key_space_error(order, len(journeys.channels), too_wide) from None
        if len(states) > max_states:
            raise ParameterError(
                f"a Markov chain of order {order} on these journeys has {len(states):,} states, over the budget "
                f"of max_states={max_states:,}. Fix: use a lower order, shorten paths with "
                "journeys.last_touches(k), or raise max_states if memory allows."
            )
        walks = count_walks(journeys, states)
        with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
            mean_value = np.where(walks.conversions > 0, walks.value / walks.conversions, 0.0)
        with np.errstate(over="ignore", invalid="ignore"):
            out = np.asarray(walks.transitions.sum(axis=1)).ravel() + walks.conversions + walks.nulls
        if not (np.isfinite(out).all() and np.isfinite(walks.start).all()):
            raise JourneyError(
                "the journeys' counts are too large for float64 once added up along the walks: a state's "
                f"transition counts overflow to inf (largest row count {_largest(journeys):.3g}). "
                "Fix: rescale conversions, nulls and value (e.g. divide them by 1e6): removal effects and shares "
                "do not depend on the scale."
            )
        safe = np.where(out > 0, out, 1.0)
        # each count over its state's total (never 1/total first: that overflows for subnormal totals)
        counts = sp.csr_array(walks.transitions)
        per_row = np.repeat(safe, np.diff(counts.indptr))
        q = sp.csr_array((counts.data / per_row, counts.indices, counts.indptr), shape=counts.shape)
        r = walks.conversions / safe
        # r · (mean value per conversion) = value / out: no division by a conversion count that may be tiny
        with np.errstate(over="ignore"):
            r_value = walks.value / safe
        if not np.isfinite(r_value).all():
            state = int(np.argmin(np.isfinite(r_value)))
            raise JourneyError(
                f"the value per journey of state {states.labels[state]!r} overflows float64 "
                f"(value {float(walks.value[state]):.3g} over {float(out[state]):.3g} journeys). "
                "Fix: rescale value, or check its rows for placeholder numbers."
            )
        start_total = walks.start.sum()
        p_start = walks.start / start_total if start_total > 0 else walks.start
        fields = {
            "_states": states,
            "_start_counts": _frozen(walks.start),
            "_transition_counts": walks.transitions,
            "_conversion_counts": _frozen(walks.conversions),
            "_null_counts": _frozen(walks.nulls),
            "_mean_value": _frozen(mean_value),
            "_transient_probabilities": q,
            "_conversion_step": _frozen(r),
            "_start_distribution": _frozen(p_start),
            "_algebra": ChainAlgebra(q, _frozen(r), _frozen(r_value), _frozen(p_start)),
        }
        for name, item in fields.items():
            object.__setattr__(self, name, item)

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError(
            f"FittedMarkovChain is immutable: {name!r} cannot be set. Fix: fit MarkovChain(...) again."
        )

    def __delattr__(self, name: str) -> None:
        raise AttributeError(f"FittedMarkovChain is immutable: {name!r} cannot be deleted.")

    def __getstate__(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in FittedMarkovChain.__slots__}

    def __setstate__(self, state: dict[str, Any]) -> None:
        for name, item in state.items():
            if isinstance(item, np.ndarray):  # unpickled arrays come back writeable
                item = _frozen(item)
            object.__setattr__(self, name, item)

    def _report(self) -> Report:
        journeys = float(self._start_counts.sum())
        conversions = float(self._conversion_counts.sum())
        if self.collapse_repeats:
            repeats = "consecutive touches of one channel merged (collapse_repeats=True)"
        else:
            repeats = "consecutive touches of one channel kept (collapse_repeats=False)"
        return Report(
            f"Fitted Markov chain: order {self.order}, {counted(len(self._states), 'state')} over "
            f"{counted(len(self.channels), 'channel')}",
            [
                (
                    "fitted on",
                    f"{counted(journeys, 'journey')} with touches ({format_count(conversions)} converting, "
                    f"{format_count(float(self._null_counts.sum()))} not)",
                ),
                ("repeats", repeats),
                ("transitions", f"{self._transition_counts.nnz:,} between states, plus start and end steps"),
                ("conversion probability", format_probability(self.conversion_probability)),
                ("value per journey", format_money(self.value_flow)),
                ("channels", listed(list(self.channels))),
            ],
        )

    def __repr__(self) -> str:
        return self._report().text()

    def _repr_html_(self) -> str:
        return self._report().html()

    # ------------------------------------------------------------------ what was fitted
    @property
    def order(self) -> int:
        """Channels per state."""
        return self._states.order

    @property
    def collapse_repeats(self) -> bool:
        """Whether consecutive touches of one channel were merged before windowing."""
        return self._states.collapse_repeats

    @property
    def channels(self) -> tuple[str, ...]:
        """Channel labels of the journeys fitted (codes in :attr:`states` index them)."""
        return self._states.channels

    @property
    def states(self) -> StateSpace:
        """The transient states: their windows, keys, labels and channel membership."""
        return self._states

    @property
    def algebra(self) -> ChainAlgebra:
        """The absorbing-chain algebra: P(conversion), value flow and their loss without some states."""
        return self._algebra

    @property
    def start_counts(self) -> FloatArray:
        """Per state: journeys whose walk starts there (read-only)."""
        return self._start_counts

    @property
    def transition_counts(self) -> Any:
        """States × states journeys moving from one to the next (a ``scipy.sparse.csr_array`` copy)."""
        return self._transition_counts.copy()

    @property
    def conversion_counts(self) -> FloatArray:
        """Per state: conversions of the walks that end there (read-only)."""
        return self._conversion_counts

    @property
    def null_counts(self) -> FloatArray:
        """Per state: non-converting journeys whose walk ends there (read-only)."""
        return self._null_counts

    @property
    def mean_value(self) -> FloatArray:
        """Per state: mean value per conversion of the walks that end there (read-only)."""
        return self._mean_value

    @property
    def transient_probabilities(self) -> Any:
        """Q: states × states one-step transition probabilities (a ``scipy.sparse.csr_array`` copy)."""
        return self._transient_probabilities.copy()

    @property
    def conversion_step(self) -> FloatArray:
        """r: per state, the probability that the next step is CONV (read-only)."""
        return self._conversion_step

    @property
    def start_distribution(self) -> FloatArray:
        """p: the distribution of a walk's first state (read-only)."""
        return self._start_distribution

    @property
    def q(self) -> Any:
        """Deprecated alias of :attr:`transient_probabilities`."""
        _deprecated("q", "transient_probabilities")
        return self.transient_probabilities

    @property
    def r(self) -> FloatArray:
        """Deprecated alias of :attr:`conversion_step`."""
        _deprecated("r", "conversion_step")
        return self._conversion_step

    @property
    def p_start(self) -> FloatArray:
        """Deprecated alias of :attr:`start_distribution`."""
        _deprecated("p_start", "start_distribution")
        return self._start_distribution

    # ------------------------------------------------------------------ algebra
    @property
    def conversion_probability(self) -> float:
        """P(a walk from START converts)."""
        return self._algebra.conversion_probability

    @property
    def value_flow(self) -> float:
        """Expected conversion value of a walk from START."""
        return self._algebra.value_flow

    def conversion_probability_without(self, channels: Iterable[str]) -> float:
        """P(conversion) with every state that contains any of ``channels`` removed.

        Transitions into a removed state go to NULL instead. This is the value, in the
        Markov game of :class:`~attribution.Shapley`, of the coalition of the other
        channels; ``1 - conversion_probability_without([c]) / conversion_probability`` is
        channel c's removal effect.

        Raises
        ------
        ParameterError
            A label that is not one of the chain's channels (the message lists them), or a
            single string instead of an iterable of labels.

        Examples
        --------
        >>> j = Journeys.from_sequences([["A", "B", "C"], ["A", "C"], ["B"], ["C"], ["A", "B"]],
        ...                             conversions=[2, 1, 0, 1, 0], nulls=[0, 1, 2, 1, 1])
        >>> chain = MarkovChain().fit(j)
        >>> round(chain.conversion_probability, 6), round(chain.conversion_probability_without(["A"]), 6)
        (0.444444, 0.207407)
        >>> chain.conversion_probability_without([]) == chain.conversion_probability
        True
        """
        codes = self._channel_codes(channels, "channels", "conversion_probability_without")
        return self._algebra.probability_without(self._states.members(codes))

    def value_flow_without(self, channels: Iterable[str]) -> float:
        """Expected conversion value of a walk with every state containing any of ``channels`` removed.

        As :meth:`conversion_probability_without`, for the value flow.

        Examples
        --------
        >>> j = Journeys.from_sequences([["A", "B"], ["B"]], conversions=[1, 1], nulls=[1, 1], value=[30, 10])
        >>> chain = MarkovChain().fit(j)
        >>> chain.value_flow, chain.value_flow_without(["A"])
        (10.0, 5.0)
        """
        codes = self._channel_codes(channels, "channels", "value_flow_without")
        return self._algebra.value_without(self._states.members(codes))

    def removal_effects(
        self,
        groups: Mapping[str, Iterable[str]] | None = None,
        *,
        sequences: Mapping[str, Sequence[str]] | Iterable[Sequence[str]] | None = None,
    ) -> pd.DataFrame:
        """Removal effects for ``conversions`` and ``value``, exact: per channel, group or sequence.

        RE = 1 − P₋T(conv) / P(conv), with every transition into a removed state T sent to
        NULL; the value removal effect uses the value flow. Without arguments T
        is, for each channel, the states that contain it (a table indexed by channel).

        Parameters
        ----------
        groups
            Named sets of channels, e.g. ``{"paid": ["Search", "Display"]}``: a group removes
            every state that contains any of its channels at once.
        sequences
            Channel sequences, e.g. ``[("Email", "Search")]`` (named ``"Email > Search"``) or
            ``{"email first": ("Email", "Search")}``: a sequence removes every state whose
            window holds its channels consecutively, in that order. A sequence can be at
            most ``order`` channels long.

        Returns
        -------
        pandas.DataFrame
            ``conversions`` and ``value`` removal effects, indexed by ``channel`` (no
            arguments) or by ``group`` (groups first, then sequences).

        Raises
        ------
        ParameterError
            An unknown channel label (the message lists the known ones), an empty group or
            sequence, a sequence longer than the order, or a name given twice.

        Examples
        --------
        >>> j = Journeys.from_sequences([["A", "B", "C"], ["A", "C"], ["B"], ["C"], ["A", "B"]],
        ...                             conversions=[2, 1, 0, 1, 0], nulls=[0, 1, 2, 1, 1], value=[200, 50, 0, 30, 0])
        >>> chain = MarkovChain(order=2).fit(j)
        >>> chain.removal_effects()["conversions"].round(4).tolist()
        [0.75, 0.5, 1.0]
        >>> chain.removal_effects(groups={"A or B": ["A", "B"]}, sequences=[("A", "B")]).round(4)
                conversions   value
        group
        A or B         0.75  0.8929
        A > B          0.50  0.7143
        """
        if groups is None and sequences is None:
            return self._effects_table(self._states.members_by_channel(), pd.Index(self.channels, name="channel"))
        removed: dict[str, IntArray] = {}
        for name, members in _named(groups, "groups", sequences=False).items():
            codes = self._channel_codes(members, f"groups[{name!r}]", "removal_effects")
            removed[name] = self._states.members(codes)
        for name, sequence in _named(sequences, "sequences", sequences=True).items():
            if name in removed:
                raise ParameterError(
                    f"parameter 'sequences' of FittedMarkovChain.removal_effects names {name!r}, a name already given "
                    "to a group. Fix: give every group and sequence its own name."
                )
            codes = self._channel_codes(sequence, f"sequences[{name!r}]", "removal_effects")
            if len(codes) > self.order:
                raise ParameterError(
                    f"parameter 'sequences' of FittedMarkovChain.removal_effects has {name!r}, a sequence of "
                    f"{len(codes)} channels; a chain of order {self.order} has states of at most {self.order} "
                    f"channels, so none contains it. Fix: fit MarkovChain(order={len(codes)}) or shorten the sequence."
                )
            removed[name] = self._states.containing(codes)
        return self._effects_table(list(removed.values()), pd.Index(list(removed), name="group", dtype=object))

    def _effects_table(self, removed: list[IntArray], index: pd.Index) -> pd.DataFrame:
        p_conv, flow = self.conversion_probability, self.value_flow
        effects = np.zeros((len(removed), 2))
        for row, members in enumerate(removed):  # a loop over channels or groups, each one solve
            lost, lost_value = self._algebra.loss_without(members)
            effects[row, 0] = lost / p_conv if p_conv > 0 else 0.0
            effects[row, 1] = lost_value / flow if flow > 0 else 0.0
        effects = np.clip(effects, 0.0, 1.0)  # exact up to rounding
        return pd.DataFrame(effects, index=index, columns=["conversions", "value"])

    def _channel_codes(self, labels: Iterable[str], name: str, owner: str) -> IntArray:
        """The codes of channel ``labels``; a ParameterError that lists the known labels for an unknown one."""
        if isinstance(labels, str) or not isinstance(labels, Iterable):
            raise ParameterError(
                f"parameter '{name}' of FittedMarkovChain.{owner} must be an iterable of channel labels, not one "
                f"string; got {labels!r}. Fix: pass [{labels!r}]."
            )
        position = {c: i for i, c in enumerate(self.channels)}
        wanted = list(labels)
        unknown = [label for label in wanted if not isinstance(label, str) or label not in position]
        if unknown:
            shown = self.channels[:KNOWN_SHOWN]
            known = ", ".join(map(repr, shown)) + (
                f", ... ({len(self.channels):,} in all)" if shown != self.channels else ""
            )
            raise ParameterError(
                f"parameter '{name}' of FittedMarkovChain.{owner} must name channels of the chain; "
                f"got unknown {', '.join(map(repr, unknown))}. Known channels: {known}."
            )
        return np.array([position[label] for label in wanted], dtype=np.int64)

    # ------------------------------------------------------------------ views
    def state_labels(self) -> list[str]:
        """Labels of the transient states: channels joined by ' > '."""
        return self._states.labels

    def transitions(self) -> pd.DataFrame:
        """Long form of the chain: ``source``, ``target``, ``count``, ``probability`` (sparse-friendly)."""
        labels = np.asarray(self._states.labels, dtype=object)
        counts = self._transition_counts.tocoo()
        totals = self._start_counts.sum()
        out = np.asarray(self._transition_counts.sum(axis=1)).ravel() + self._conversion_counts + self._null_counts
        safe = np.where(out > 0, out, 1.0)
        started = np.flatnonzero(self._start_counts)
        converted = np.flatnonzero(self._conversion_counts)
        nulled = np.flatnonzero(self._null_counts)
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
                        self._start_counts[started],
                        counts.data,
                        self._conversion_counts[converted],
                        self._null_counts[nulled],
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
        names = [START, *self._states.labels, CONV, NULL]
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

        Examples
        --------
        >>> j = Journeys.from_sequences([["A", "B"], ["B"]], conversions=[3, 1], nulls=[1, 3])
        >>> chain = MarkovChain().fit(j)
        >>> chain.predict_proba(Journeys.from_sequences([["B", "A", "B"], ["Z"]], conversions=[0, 0], nulls=[1, 1]))
        array([0.5, 0.5])
        """
        if not isinstance(journeys, Journeys):
            raise TypeError(f"predict_proba takes a Journeys object; got {type(journeys).__name__}")
        total = self._conversion_counts.sum() + self._null_counts.sum()
        fallback = float(self._conversion_counts.sum() / total) if total > 0 else 0.0
        out = np.full(journeys.n_rows, fallback)
        state = self._states.last_states(journeys)
        absorbed = self._conversion_counts + self._null_counts
        ends = state >= 0
        ends[ends] = absorbed[state[ends]] > 0
        out[ends] = self._conversion_counts[state[ends]] / absorbed[state[ends]]
        return out


def _frozen(array: FloatArray) -> FloatArray:
    """A read-only view (the chain hands its arrays out without copies)."""
    view = array.view()
    view.setflags(write=False)
    return view


def _deprecated(old: str, new: str) -> None:
    warnings.warn(
        f"FittedMarkovChain.{old} is deprecated; use FittedMarkovChain.{new} (same values).",
        DeprecationWarning,
        stacklevel=3,
    )


def _named(
    given: Mapping[str, Iterable[str]] | Iterable[Sequence[str]] | None, name: str, *, sequences: bool
) -> dict[str, Iterable[str]]:
    """Named groups or sequences; an iterable of sequences is named by its labels joined by ' > '."""
    if given is None:
        return {}
    if isinstance(given, Mapping):
        named = dict(given)
    elif sequences and isinstance(given, Iterable) and not isinstance(given, str):
        named = {}
        for sequence in given:
            if isinstance(sequence, str) or not isinstance(sequence, Iterable):
                raise ParameterError(
                    f"parameter 'sequences' of FittedMarkovChain.removal_effects must hold sequences of channel "
                    f"labels; got {sequence!r}. Fix: pass e.g. sequences=[('Email', 'Search')]."
                )
            sequence = tuple(sequence)
            named[" > ".join(map(str, sequence))] = sequence
    else:
        example = "sequences=[('Email', 'Search')]" if sequences else "groups={'paid': ['Search', 'Display']}"
        kind = "a mapping or a list of channel sequences" if sequences else "a mapping from names to channel labels"
        raise ParameterError(
            f"parameter {name!r} of FittedMarkovChain.removal_effects must be {kind}; got {given!r}. "
            f"Fix: pass e.g. {example}."
        )
    for key, members in named.items():
        if not isinstance(key, str):
            raise ParameterError(
                f"parameter {name!r} of FittedMarkovChain.removal_effects must be named by strings; got {key!r}."
            )
        if isinstance(members, str) or not isinstance(members, Iterable):
            raise ParameterError(
                f"parameter '{name}[{key!r}]' of FittedMarkovChain.removal_effects must be an iterable of channel "
                f"labels, not one string; got {members!r}. Fix: pass [{members!r}]."
            )
        members = tuple(members)
        if not members:
            raise ParameterError(
                f"parameter '{name}[{key!r}]' of FittedMarkovChain.removal_effects must name at least one channel; "
                "got none."
            )
        named[key] = members
    return named


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
    with each state's mean value per conversion.

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
        integer(self.order, "order", owner="MarkovChain", fix="pass e.g. order=2.")
        boolean(self.collapse_repeats, "collapse_repeats", owner="MarkovChain")
        integer(self.max_states, "max_states", owner="MarkovChain", fix="pass e.g. max_states=500_000.")

    named_params: ClassVar[tuple[str, ...]] = ("order",)

    def base_name(self) -> str:
        """``"Markov (order k)"``; other non-default parameters follow in the name."""
        return f"Markov (order {self.order})"

    def fit(self, journeys: Journeys) -> FittedMarkovChain:
        """Estimate the chain's transition probabilities from ``journeys``."""
        if not isinstance(journeys, Journeys):
            raise TypeError(f"fit takes a Journeys object; got {type(journeys).__name__}")
        require_one_goal(journeys, "fitting one chain to them")
        return FittedMarkovChain(journeys, int(self.order), self.collapse_repeats, int(self.max_states))

    @overload
    def attribute(
        self, journeys: Journeys, *, per_path: bool = False, by: None = None, period: None = None
    ) -> MarkovAttribution: ...
    @overload
    def attribute(
        self, journeys: Journeys, *, per_path: bool = False, by: str | Sequence[str], period: str | None = None
    ) -> GroupedAttribution: ...
    def attribute(
        self,
        journeys: Journeys,
        *,
        per_path: bool = False,
        by: str | Sequence[str] | None = None,
        period: str | None = None,
    ) -> MarkovAttribution | GroupedAttribution:
        """Credit conversions and value by removal effects.

        Raises
        ------
        JourneyError
            Counts whose sums overflow float64. Journeys with no conversion on a path with
            touches are not an error: every channel gets 0, as under every model.
        ParameterError
            ``per_path=True`` (Markov credits belong to the whole set of journeys, not to
            single paths), or an order too high for the channels (states would not fit
            64-bit keys) or for ``max_states``.

        With ``by`` (attribute keys), a chain is fitted on each group of journeys on its
        own and a :class:`~attribution.models.grouping.GroupedAttribution` is returned.
        """
        if by is not None:
            return attribute_by(self, journeys, by, period=period, per_path=per_path)
        if isinstance(journeys, Journeys):
            require_one_goal(journeys)
        if per_path:
            raise ParameterError(
                "parameter 'per_path' of MarkovChain.attribute must be False: Markov-chain credits are defined for "
                "the whole set of journeys, not per path. Fix: call attribute(journeys) without per_path."
            )
        if not isinstance(journeys, Journeys):
            raise TypeError(f"attribute takes a Journeys object; got {type(journeys).__name__}")
        # nothing to attribute (no conversion on a path with touches): the chain's removal
        # effects are all 0, so every channel gets 0, as under every other model
        attributable, attributable_value = attributable_totals(journeys)
        chain = self.fit(journeys)
        if attributable > 0 and not (chain.null_counts.sum() > 0):
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

    def _facts(self) -> list[tuple[str, str]]:
        chain = self._chain
        return [
            *super()._facts(),
            (
                "chain",
                f"order {chain.order}, {counted(len(chain.states), 'state')}, "
                f"conversion probability {format_probability(chain.conversion_probability)}",
            ),
        ]

    def _table(self) -> list[Column]:
        effects = self._removal_effects["conversions"].reindex(list(self.channels))
        return [*super()._table(), Column("removal effect", probability_cells(effects.tolist()))]

    @property
    def conversion_probability(self) -> float:
        """P(conversion) of a walk under the fitted chain."""
        return self._chain.conversion_probability

    @property
    def chain(self) -> FittedMarkovChain:
        """The fitted chain (transition matrix, predictions, graph)."""
        return self._chain

    def group_removal_effects(
        self,
        groups: Mapping[str, Iterable[str]] | None = None,
        *,
        sequences: Mapping[str, Sequence[str]] | Iterable[Sequence[str]] | None = None,
    ) -> pd.DataFrame:
        """Removal effects of sets of channels or of channel sequences (:meth:`FittedMarkovChain.removal_effects`).

        Examples
        --------
        >>> j = Journeys.from_sequences([["A", "B", "C"], ["A", "C"], ["B"], ["C"], ["A", "B"]],
        ...                             conversions=[2, 1, 0, 1, 0], nulls=[0, 1, 2, 1, 1])
        >>> result = MarkovChain().attribute(j)
        >>> result.group_removal_effects({"A or B": ["A", "B"]})["conversions"].round(4).tolist()
        [0.6667]
        """
        return self._chain.removal_effects(groups, sequences=sequences)
