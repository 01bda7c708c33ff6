"""Shapley-value attribution: the solvers over a named game, exact or sampled.

The Shapley value of channel i is its average marginal contribution v(S ∪ {i}) − v(S)
over all orders in which channels could join. Everything depends on the game v, so it
is an explicit parameter, built in :mod:`attribution.models.games`: ``"conversions"``
(subset-sum, Zhao et al. 2018), ``"conversion_rate"`` (exact set, Dalessandro et al.
2012), ``"markov"`` (the chain's conversion probability with the channels outside S
removed), or a callable over coalitions (of bitmasks with :func:`bitmask_game`). The
subset-sum game has a closed form — each path's conversions split equally among its
distinct channels (linear attribution over distinct channels) — for any number of
channels; the others are solved here.

Exact values come from Harsanyi dividends: d = Möbius transform of v over bitmasks, and
φ_i = Σ_{T ∋ i} d(T) / |T|, in O(n·2ⁿ) time and about 24 bytes per coalition (v and d, kept
in the result, and the transform's temporaries): the game is evaluated and the dividends
shared out in blocks of ``MASKS_PER_BLOCK`` coalitions, so no 2ⁿ × n membership matrix is
ever built. The memory is checked against what the machine has available before anything
is allocated. Past ``max_exact_channels`` (at most ``EXACT_MAX_CHANNELS``), permutations are
sampled in antithetic pairs (a permutation and its reverse; Castro et al. 2009), with
standard errors.

A raw value within ``ROUNDING`` × max |v| of zero is zero: it is floating-point noise (the
same game scaled by 10⁶ must not give one channel everything through a stray +1e-17).

fractribution's "Shapley" is a leave-one-out gain, not a Shapley value: it lives in
:mod:`attribution.models.counterfactual` (:class:`Counterfactual`, re-exported here).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar, Literal, overload

import numpy as np
import numpy.typing as npt
import pandas as pd

from attribution import _checks
from attribution._display import Column, measure_cells
from attribution.errors import AttributionError, ParameterError
from attribution.journeys import Journeys, ragged
from attribution.models.base import (
    Attribution,
    Configured,
    ModelSpec,
    Unattributed,
    attributable_totals,
    attribution_from_touch_weights,
)
from attribution.models.counterfactual import Counterfactual
from attribution.models.games import Game, bitmask_game, callable_game, conversion_rate_game, markov_game
from attribution.models.grouping import GroupedAttribution, attribute_by, require_one_goal

__all__ = [
    "Counterfactual",  # re-exported from attribution.models.counterfactual
    "Shapley",
    "ShapleyAttribution",
    "bitmask_game",  # re-exported from attribution.models.games
    "exact_shapley",
]

FloatArray = npt.NDArray[np.float64]
BoolMatrix = npt.NDArray[np.bool_]

# The most channels computed exactly: 2^30 coalitions take 26 GB (24 bytes each).
EXACT_MAX_CHANNELS = 30
# Bytes per coalition of the exact method: v and the dividends (both kept in the result)
# and a temporary half-array the in-place Möbius transform may take.
BYTES_PER_COALITION = 24
# Bytes per cell (coalition × channel) of one block's temporaries: the int64 shifts that build
# the membership matrix, the matrix, its float copy in the product that shares out dividends.
BYTES_PER_BLOCK_CELL = 24
BYTES_PER_BLOCK_ROW = 128
# Coalitions per block when the exact method evaluates the game and shares out dividends.
MASKS_PER_BLOCK = 1 << 16
# Membership cells (permutations × steps × channels) per sampling batch: 64 MB of booleans.
SAMPLING_CELLS_PER_BATCH = 1 << 26
# A raw value within this fraction of max |v| of zero is rounding noise, set to 0.
ROUNDING = 1e-12
GAMES = ("conversions", "conversion_rate", "markov")


def _popcount(masks: npt.NDArray[np.int64]) -> npt.NDArray[np.int64]:
    if hasattr(np, "bitwise_count"):  # numpy >= 2
        counted: npt.NDArray[np.int64] = np.bitwise_count(masks).astype(np.int64)
        return counted
    counts = np.zeros(masks.shape, dtype=np.int64)
    work = masks.copy()
    while work.any():
        counts += work & 1
        work >>= 1
    return counts


def exact_shapley(values: FloatArray, n: int) -> tuple[FloatArray, FloatArray]:
    """Shapley values and Harsanyi dividends from v over all 2ⁿ bitmasks (index = mask).

    The dividends are shared out in blocks of masks, so the only arrays of 2ⁿ entries are
    ``values`` and the dividends.

    Examples
    --------
    >>> v = np.array([0.0, 1.0, 1.0, 3.0])   # v(∅), v({0}), v({1}), v({0, 1})
    >>> phi, dividends = exact_shapley(v, 2)
    >>> phi.tolist(), dividends.tolist()
    ([1.5, 1.5], [0.0, 1.0, 1.0, 1.0])
    """
    dividends = np.array(values, dtype=np.float64)
    if dividends.shape != (1 << n,):
        raise ParameterError(
            f"parameter 'values' of exact_shapley must hold one value per bitmask, 2^{n} = {1 << n:,} for n={n}; "
            f"got shape {dividends.shape}. Fix: pass v(mask) for every mask 0 .. 2^n - 1."
        )
    shape = (2,) * n
    with np.errstate(over="ignore", invalid="ignore"):  # overflow is reported by the caller, not warned
        for axis in range(n):  # Möbius transform, one channel at a time
            view = dividends.reshape(shape)
            index_in: list[Any] = [slice(None)] * n
            index_out: list[Any] = [slice(None)] * n
            index_in[n - 1 - axis] = 1
            index_out[n - 1 - axis] = 0
            view[tuple(index_in)] -= view[tuple(index_out)]
        phi = np.zeros(n)
        for masks in _mask_blocks(n):  # φ_i = Σ_{T ∋ i} d(T) / |T|, a block of coalitions at a time
            sizes = _popcount(masks)
            share = np.where(sizes > 0, dividends[masks[0] : masks[-1] + 1] / np.maximum(sizes, 1), 0.0)
            phi += share @ _membership(masks, n)
    return phi, dividends


def _mask_blocks(n: int) -> Iterator[npt.NDArray[np.int64]]:
    """Every bitmask of n channels, in consecutive blocks of at most ``MASKS_PER_BLOCK``."""
    total = 1 << n
    for lo in range(0, total, MASKS_PER_BLOCK):
        yield np.arange(lo, min(lo + MASKS_PER_BLOCK, total), dtype=np.int64)


def _membership(masks: npt.NDArray[np.int64], n: int) -> BoolMatrix:
    return ((masks[:, None] >> np.arange(n, dtype=np.int64)) & 1).astype(bool)


def _coalition_values(game: Game, n: int) -> FloatArray:
    """v over all 2ⁿ bitmasks, evaluated block by block (one block's membership matrix at a time)."""
    values = np.empty(1 << n)
    for masks in _mask_blocks(n):
        values[masks[0] : masks[-1] + 1] = game(_membership(masks, n))
    return values


def _available_memory(meminfo: str = "/proc/meminfo") -> int | None:
    """Bytes a new allocation can take: ``MemAvailable`` of /proc/meminfo, else ``os.sysconf``; None if unknown."""
    try:
        with open(meminfo, encoding="ascii") as file:
            for line in file:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024  # reported in kB
    except (OSError, ValueError, IndexError):
        pass
    try:
        return int(os.sysconf("SC_AVPHYS_PAGES")) * int(os.sysconf("SC_PAGE_SIZE"))
    except (AttributeError, OSError, ValueError):
        return None


def exact_memory(n: int) -> int:
    """Bytes the exact method needs for n channels (2ⁿ coalitions, plus one block's temporaries)."""
    block = min(1 << n, MASKS_PER_BLOCK)
    return BYTES_PER_COALITION * (1 << n) + block * (BYTES_PER_BLOCK_CELL * n + BYTES_PER_BLOCK_ROW)


def _size(count: float) -> str:
    for unit in ("bytes", "KB", "MB", "GB", "TB"):
        if count < 1024 or unit == "TB":
            return f"{count:,.0f} {unit}" if unit == "bytes" else f"{count:,.1f} {unit}"
        count /= 1024
    raise AssertionError("unreachable")


def _rounded(phi: FloatArray, scale: float, game: str) -> FloatArray:
    """Raw values with floating-point noise (|φ| ≤ ROUNDING × max |v|) set to exactly 0.

    Raises :class:`ParameterError` when the game's values are so large that their
    differences overflow float64.
    """
    if not np.isfinite(phi).all():
        raise ParameterError(
            f"the values of the {game!r} game are too large for float64: the largest |v(S)| is {scale:.3g}, and "
            "the differences between coalitions overflow, so its Shapley values are not finite. "
            "Fix: rescale the game (e.g. divide every value by 1e6): shares do not depend on the scale."
        )
    out = phi.copy()
    out[np.abs(out) <= ROUNDING * scale] = 0.0
    return out


@dataclass(frozen=True, repr=True)
class Shapley(Configured):
    """Shapley-value attribution over a named characteristic function.

    Parameters
    ----------
    value
        The game (:mod:`attribution.models.games`): ``"conversions"`` (subset-sum,
        closed form), ``"conversion_rate"`` (exact set), ``"markov"`` (chain conversion
        probability), or a callable over coalitions (see :func:`bitmask_game`).
    method
        ``"exact"`` (Harsanyi dividends over all 2ⁿ coalitions), ``"sampling"``
        (antithetic permutation pairs with standard errors), or ``"auto"`` (default:
        exact up to ``max_exact_channels``, sampling beyond). The subset-sum game always
        uses its closed form.
    n_permutations
        Permutations to sample at most (default 2,000); rounded up to an even number.
    precision
        Stop sampling once every raw value's standard error is at most this.
    seed
        Seed of the permutation sampler (sampling only): an integer >= 0, or None.
    max_exact_channels
        Largest number of channels computed exactly by ``"auto"`` (default 20; at most
        30). The exact method holds 2ⁿ coalition values and dividends, about 24 bytes per
        coalition (25 MB at 20 channels, 26 GB at 30) plus a few tens of MB for one block
        of coalitions, and refuses, before allocating, when the machine does not have
        that much memory available.
    unobserved
        v of a coalition never observed as an exact set (``"conversion_rate"``), default 0.
    order, collapse_repeats, max_states
        The chain of ``value="markov"``, as for :class:`~attribution.models.markov.MarkovChain`
        (defaults 1, True, 200,000); the other games ignore them.

    Notes
    -----
    Raw Shapley values φ satisfy Σφ = v(N) − v(∅) and may be negative. Credits are
    formed from the positive parts: channel i gets attributable conversions (and value)
    × max(φ_i, 0) / Σ_j max(φ_j, 0). If no channel has a positive value, the
    conversions cannot be shared and are reported as unattributed.

    The name says the game, then every other parameter that differs from its default
    (:class:`~attribution.models.base.Configured`).

    Examples
    --------
    >>> j = Journeys.from_sequences([["A", "B", "C"], ["A", "C"], ["B"], ["C"], ["A", "B"]],
    ...                             conversions=[2, 1, 0, 1, 0], nulls=[0, 1, 2, 1, 1])
    >>> result = Shapley(value="conversion_rate").attribute(j)
    >>> (result.raw_values * 12).round(9).tolist()
    [4.0, 1.0, 7.0]
    >>> (result.credits["conversions"] * 3).round(9).tolist()
    [4.0, 1.0, 7.0]
    >>> Shapley().name, Shapley(value="markov", order=2).name
    ('Shapley (conversions)', 'Shapley (markov, order=2)')
    """

    value: str | Callable[..., Any] = "conversions"
    method: Literal["auto", "exact", "sampling"] = "auto"
    n_permutations: int | None = None
    precision: float | None = None
    seed: int | None = None
    max_exact_channels: int = 20
    unobserved: float = 0.0
    order: int = 1
    collapse_repeats: bool = True
    max_states: int = 200_000
    label: ClassVar[str] = "Shapley"
    named_params: ClassVar[tuple[str, ...]] = ("value",)

    def __post_init__(self) -> None:
        if not (callable(self.value) or (isinstance(self.value, str) and self.value in GAMES)):
            raise _checks.refuse(
                "value",
                "'conversions', 'conversion_rate', 'markov' or a callable",
                self.value,
                owner="Shapley",
                fix="name a game, or pass a function of a frozenset of channels (see bitmask_game for speed).",
            )
        _checks.one_of(self.method, "method", ("auto", "exact", "sampling"), owner="Shapley")
        canonical: dict[str, Any] = {}
        if self.n_permutations is not None:
            canonical["n_permutations"] = _checks.integer(self.n_permutations, "n_permutations", owner="Shapley")
        if self.precision is not None:
            canonical["precision"] = _checks.finite_number(
                self.precision, "precision", low=0.0, low_open=True, owner="Shapley"
            )
        if self.seed is not None:
            canonical["seed"] = _checks.integer(self.seed, "seed", low=0, owner="Shapley")
        canonical["max_exact_channels"] = _checks.integer(
            self.max_exact_channels, "max_exact_channels", owner="Shapley"
        )
        if canonical["max_exact_channels"] > EXACT_MAX_CHANNELS:
            raise _checks.refuse(
                "max_exact_channels",
                f"at most {EXACT_MAX_CHANNELS}",
                self.max_exact_channels,
                owner="Shapley",
                fix=f"keep max_exact_channels <= {EXACT_MAX_CHANNELS}; 'auto' samples permutations beyond it. "
                f"Exact values hold all 2^n coalitions, about {_size(exact_memory(canonical['max_exact_channels']))} "
                f"at n={self.max_exact_channels}.",
            )
        canonical["unobserved"] = _checks.finite_number(self.unobserved, "unobserved", owner="Shapley")
        canonical["order"] = _checks.integer(self.order, "order", owner="Shapley")
        canonical["collapse_repeats"] = _checks.boolean(self.collapse_repeats, "collapse_repeats", owner="Shapley")
        canonical["max_states"] = _checks.integer(self.max_states, "max_states", owner="Shapley")
        for name, item in canonical.items():  # Shapley(order=np.int64(2)) == Shapley(order=2), and looks the same
            object.__setattr__(self, name, item)

    @property
    def game_name(self) -> str:
        """The game's name: ``value`` itself, or a callable's ``__name__``."""
        if isinstance(self.value, str):
            return self.value
        return str(getattr(self.value, "__name__", "custom"))

    def base_name(self) -> str:
        """``"Shapley (game)"``; other non-default parameters follow in the name."""
        return f"Shapley ({self.game_name})"

    @overload
    def attribute(
        self, journeys: Journeys, *, per_path: bool = False, by: None = None, period: None = None
    ) -> ShapleyAttribution: ...
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
    ) -> ShapleyAttribution | GroupedAttribution:
        """Shapley values of the channels and the credits formed from them.

        Raises
        ------
        ParameterError
            ``per_path=True`` for a game other than ``"conversions"``; exact values for
            more channels than memory (or 30 channels) allows; a custom game that returns
            anything but one finite number per coalition.
        JourneyError
            Counts whose sums overflow float64. Journeys with no conversion on a path with
            touches are not an error: every channel gets 0, as under every model.

        With ``by`` (attribute keys), the game is played on each group of journeys on its
        own and a :class:`~attribution.models.grouping.GroupedAttribution` is returned.
        """
        if not isinstance(journeys, Journeys):
            raise TypeError(f"attribute takes a Journeys object; got {type(journeys).__name__}")
        if by is not None:
            return attribute_by(self, journeys, by, period=period, per_path=per_path)
        require_one_goal(journeys)
        spec = self.spec()
        if self.value == "conversions":
            return self._subset_sum(journeys, spec, per_path)
        if per_path:
            raise ParameterError(
                f"parameter 'per_path' of Shapley.attribute must be False for the {self.game_name!r} game: "
                f"{self.name} values belong to the whole set of journeys, not to single paths. "
                "Fix: call attribute(journeys) without per_path (value='conversions' supports per_path)."
            )
        n = len(journeys.channels)
        use_exact = self.method == "exact" or (self.method == "auto" and n <= self.max_exact_channels)
        if use_exact:
            self._check_exact_fits(n)
        game = self._game(journeys, cache=not use_exact)
        values: FloatArray | None
        dividends: FloatArray | None
        if use_exact:
            values = _coalition_values(game, n)
            phi, dividends = exact_shapley(values, n)
            scale = float(np.abs(values).max())
            errors = np.zeros(n)
            used, count = "exact", 0
        else:
            phi, errors, count, scale = self._sample(game, n)
            values = dividends = None
            used = "sampling"
        phi = _rounded(phi, scale, self.game_name)
        return _from_raw_values(journeys, spec, phi, errors, used, count, values, dividends)

    def _check_exact_fits(self, n: int) -> None:
        """Refuse exact values that could not be held, before anything of size 2ⁿ is allocated."""
        if n > EXACT_MAX_CHANNELS:
            raise ParameterError(
                f"exact Shapley values over {n} channels need 2^{n} coalitions, too many to hold. "
                "Fix: use method='sampling' (or 'auto')."
            )
        needed, available = exact_memory(n), _available_memory()
        if available is not None and needed > available:
            also = " (or a lower max_exact_channels, so that method='auto' samples)" if self.method == "auto" else ""
            raise ParameterError(
                f"exact Shapley values over {n} channels need about {_size(needed)} of memory for the 2^{n} "
                f"coalition values and their dividends, more than the {_size(available)} available. "
                f"Fix: use method='sampling'{also}, or merge channels with journeys.map_channels(...)."
            )

    def _game(self, journeys: Journeys, *, cache: bool) -> Game:
        if self.value == "conversion_rate":
            return conversion_rate_game(journeys, float(self.unobserved))
        if self.value == "markov":
            return markov_game(
                journeys,
                order=int(self.order),
                collapse_repeats=bool(self.collapse_repeats),
                max_states=int(self.max_states),
                cache=cache,
            )
        assert callable(self.value)  # __post_init__ accepts only the named games or a callable
        return callable_game(self.value, journeys.channels)

    def _subset_sum(self, journeys: Journeys, spec: ModelSpec, per_path: bool) -> ShapleyAttribution:
        if not per_path and len(journeys.channels) <= 63:
            return self._subset_sum_by_masks(journeys, spec)
        # each path's conversions split equally among its distinct channels
        first = ragged.first_in_row(journeys.codes, journeys.offsets, len(journeys.channels))
        rows = journeys.touch_rows()
        distinct = np.bincount(rows[first], minlength=journeys.n_rows)
        weights = first / np.maximum(distinct, 1)[rows]
        base = attribution_from_touch_weights(journeys, weights, spec, per_path=per_path)
        phi = base.credits["conversions"].to_numpy()
        return ShapleyAttribution(
            spec,
            journeys.channels,
            phi,
            base.credits["value"].to_numpy(),
            base.unattributed,
            path_credits=base._path_credits,
            positions=base._positions,
            raw_values=phi,
            standard_errors=np.zeros(len(phi)),
            method="closed form",
            n_permutations=0,
        )

    def _subset_sum_by_masks(self, journeys: Journeys, spec: ModelSpec) -> ShapleyAttribution:
        """The closed form from one bitmask of channels per path (an OR over its touches)."""
        n = len(journeys.channels)
        non_empty = np.flatnonzero(journeys.lengths > 0)
        bits = np.left_shift(np.int64(1), journeys.codes.astype(np.int64))
        masks = np.bitwise_or.reduceat(bits, journeys.offsets[:-1][non_empty]) if len(non_empty) else bits[:0]
        size = _popcount(masks).astype(np.float64)
        per_channel_conversions = journeys.conversions[non_empty] / size
        per_channel_value = journeys.value[non_empty] / size
        conversions = np.empty(n)
        value = np.empty(n)
        for channel in range(n):  # a loop over channels (at most 63), not over paths
            member = ((masks >> channel) & 1).astype(bool)
            conversions[channel] = per_channel_conversions[member].sum()
            value[channel] = per_channel_value[member].sum()
        unattributed = Unattributed(journeys.unattributed_conversions, journeys.unattributed_value)
        return ShapleyAttribution(
            spec,
            journeys.channels,
            conversions,
            value,
            unattributed,
            raw_values=conversions.copy(),
            standard_errors=np.zeros(n),
            method="closed form",
            n_permutations=0,
        )

    def _sample(self, game: Game, n: int) -> tuple[FloatArray, FloatArray, int, float]:
        """Antithetic permutation pairs in batches; running sums give means and standard errors.

        Also returns the largest |v| met, the scale below which a raw value is rounding noise.
        """
        rng = np.random.default_rng(self.seed)
        pairs_limit = max(1, (int(self.n_permutations or 2000) + 1) // 2)
        # a batch's membership array is 2·pairs × (n + 1) × n booleans: bounded, whatever n is
        pairs_cap = max(1, SAMPLING_CELLS_PER_BATCH // (2 * (n + 1) * max(n, 1)))
        total = np.zeros(n)
        total_squares = np.zeros(n)
        scale = 0.0
        done = 0
        batch = 32
        while done < pairs_limit:
            size = min(batch, pairs_cap, pairs_limit - done)
            perms = np.argsort(rng.random((size, n)), axis=1)
            contributions, largest = _marginals(game, np.concatenate([perms, perms[:, ::-1]]), n)
            scale = max(scale, largest)
            pair_means = (contributions[:size] + contributions[size:]) / 2
            total += pair_means.sum(axis=0)
            total_squares += (pair_means**2).sum(axis=0)
            done += size
            batch = min(2 * batch, 1024)  # small first batches let a loose precision stop early
            if (
                self.precision is not None
                and done >= 2
                and _standard_errors(total, total_squares, done).max() <= (self.precision)
            ):
                break
        errors = _standard_errors(total, total_squares, done) if done > 1 else np.full(n, np.nan)
        return total / done, errors, 2 * done, scale


def _standard_errors(total: FloatArray, total_squares: FloatArray, count: int) -> FloatArray:
    variance = np.maximum(total_squares - total**2 / count, 0.0) / (count - 1)
    errors: FloatArray = np.sqrt(variance / count)
    return errors


def _marginals(game: Game, perms: npt.NDArray[np.int64], n: int) -> tuple[FloatArray, float]:
    """Marginal contribution of every channel in every permutation (rows), and the largest |v| met."""
    m = len(perms)
    members = np.zeros((m, n + 1, n), dtype=bool)
    rank = np.empty_like(perms)
    rank[np.arange(m)[:, None], perms] = np.arange(n)
    for step in range(1, n + 1):  # coalition after step joins: channels of rank < step
        members[:, step, :] = rank < step
    values = game(members.reshape(m * (n + 1), n)).reshape(m, n + 1)
    with np.errstate(over="ignore", invalid="ignore"):  # overflow is reported by _rounded
        gains = np.diff(values, axis=1)  # gain at each step
    out = np.empty((m, n))
    out[np.arange(m)[:, None], perms] = gains
    return out, float(np.abs(values).max()) if values.size else 0.0


def _from_raw_values(
    journeys: Journeys,
    spec: ModelSpec,
    phi: FloatArray,
    errors: FloatArray,
    method: str,
    count: int,
    values: FloatArray | None,
    dividends: FloatArray | None,
) -> ShapleyAttribution:
    positive = np.clip(phi, 0.0, None)
    attributable, attributable_value = attributable_totals(journeys)
    largest = float(positive.max()) if positive.size else 0.0
    if largest > 0:  # shares relative to the largest value: no underflow of tiny games, no overflow of huge
        weights = positive / largest
        conversions = attributable * weights / weights.sum()
        value = attributable_value * weights / weights.sum()
        unattributed = Unattributed(journeys.unattributed_conversions, journeys.unattributed_value)
    else:  # nothing positive to share by: report, never drop
        conversions = value = np.zeros(len(phi))
        unattributed = Unattributed(journeys.total_conversions, journeys.total_value)
    return ShapleyAttribution(
        spec,
        journeys.channels,
        conversions,
        value,
        unattributed,
        raw_values=phi,
        standard_errors=errors,
        method=method,
        n_permutations=count,
        coalition_values=values,
        dividends=dividends,
    )


class ShapleyAttribution(Attribution):
    """:class:`Attribution` plus raw Shapley values, standard errors and the method used."""

    __slots__ = ("_coalition_values", "_dividends", "_method", "_n_permutations", "_raw", "_standard_errors")

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
        raw_values: FloatArray,
        standard_errors: FloatArray,
        method: str,
        n_permutations: int,
        coalition_values: FloatArray | None = None,
        dividends: FloatArray | None = None,
    ) -> None:
        super().__init__(model, channels, conversions, value, unattributed, path_credits, positions)
        self._raw = np.asarray(raw_values, dtype=np.float64)
        self._standard_errors = np.asarray(standard_errors, dtype=np.float64)
        self._method = method
        self._n_permutations = n_permutations
        self._coalition_values = coalition_values
        self._dividends = dividends

    @property
    def raw_values(self) -> pd.Series:
        """Signed Shapley values φ of the game, per channel (Σφ = v(N) − v(∅))."""
        return pd.Series(self._raw, index=pd.Index(self.channels, name="channel"), name="shapley")

    @property
    def standard_errors(self) -> pd.Series:
        """Standard errors of the raw values (0 when computed exactly)."""
        return pd.Series(self._standard_errors, index=pd.Index(self.channels, name="channel"), name="standard_error")

    @property
    def method(self) -> str:
        """``"exact"``, ``"sampling"`` or ``"closed form"``: how the values were computed."""
        return self._method

    @property
    def n_permutations(self) -> int:
        """Permutations sampled (0 unless sampled)."""
        return self._n_permutations

    def _facts(self) -> list[tuple[str, str]]:
        if self._method == "exact":
            how = f"exact, over all {2 ** len(self.channels):,} coalitions of the channels"
        elif self._method == "sampling":
            how = f"sampled: {self._n_permutations:,} permutations (standard errors below)"
        else:
            how = "closed form: each path's conversions shared equally among its distinct channels"
        return [*super()._facts(), ("method", how)]

    def _table(self) -> list[Column]:
        columns = super()._table()
        if self._method != "closed form":  # in closed form, the raw values are the credited conversions
            columns.append(Column("Shapley value", measure_cells(self._raw.tolist())))
        if self._method == "sampling":
            columns.append(Column("standard error", measure_cells(self._standard_errors.tolist())))
        return columns

    def coalitions(self) -> pd.DataFrame:
        """Every coalition's value v(S) and Harsanyi dividend d(S) (exact method only)."""
        if self._coalition_values is None or self._dividends is None:
            raise AttributionError(
                f"coalition values are kept by the exact method only; this result used {self._method}."
            )
        n = len(self.channels)
        masks = np.arange(2**n, dtype=np.int64)
        labels = np.asarray(self.channels, dtype=object)
        names = [" + ".join(labels[_membership(np.array([m]), n)[0]].tolist()) or "(none)" for m in masks]
        return pd.DataFrame(
            {"value": self._coalition_values, "dividend": self._dividends}, index=pd.Index(names, name="coalition")
        )
