"""Characteristic functions for Shapley attribution: the games v(S) over coalitions of channels.

A :data:`Game` takes a boolean membership matrix — one row per coalition, column j for
``journeys.channels[j]`` — and returns one float per row. The solvers in
:mod:`attribution.models.shapley` only ever call a game; what v means is decided here:

- :func:`conversion_rate_game` (exact set, Dalessandro et al. 2012; DP6 MAM's default):
  v(S) = conversions / journeys of the paths whose set of distinct channels is exactly S;
  a set never observed is worth ``unobserved``; v(∅) = 0, since empty paths stay out of
  every game (their conversions are reported as unattributed). One sorted table of the
  observed sets (packed bitsets), looked up for a whole block of coalitions at once.
- :func:`markov_game`: v(S) = P(conversion) of the Markov chain fitted once on the
  journeys, with every state that contains a channel outside S removed (its inbound
  transitions go to NULL): ``FittedMarkovChain.conversion_probability_without``, which
  takes the sparse-LU route on small chains and GMRES on large ones. v(N) is the chain's
  conversion probability, so Σφ = P(conv). Each coalition costs one solve, so the values
  are cached per coalition while sampling (permutations meet the same coalitions again).
- :func:`callable_game`: the user's function, of a ``frozenset`` of labels, or of int64
  bitmasks (bit j ↔ ``channels[j]``) when marked with :func:`bitmask_game`. Its answers are
  checked: one finite number per coalition, or a :class:`~attribution.errors.ParameterError`
  naming the coalition.

The subset-sum ``"conversions"`` game has a closed form (linear attribution over distinct
channels) and never needs a game function.
"""

from __future__ import annotations

import decimal
import numbers
from collections.abc import Callable
from typing import Any

import numpy as np
import numpy.typing as npt

from attribution.errors import ParameterError
from attribution.journeys import Journeys
from attribution.models.markov import MarkovChain

__all__ = ["Game", "bitmask_game", "callable_game", "conversion_rate_game", "markov_game"]

FloatArray = npt.NDArray[np.float64]
BoolMatrix = npt.NDArray[np.bool_]
Game = Callable[[BoolMatrix], FloatArray]  # coalitions as rows of a membership matrix -> values

# Coalition values cached by the Markov game while sampling (each entry ~ 100-200 bytes).
MARKOV_CACHE_MAX = 1 << 20
# The most channels a bitmask game can take: bit 63 of an int64 is its sign.
BITMASK_MAX_CHANNELS = 62


def bitmask_game(function: Callable[[npt.NDArray[np.int64]], npt.ArrayLike]) -> Callable[..., Any]:
    """Mark ``function`` as a vectorised game: it takes an int64 array of bitmasks, returns values.

    Bit j of a mask stands for ``journeys.channels[j]``; the empty coalition is mask 0.

    Examples
    --------
    >>> from attribution import Journeys, Shapley
    >>> @bitmask_game
    ... def coverage(masks):
    ...     return np.array([bin(m).count("1") for m in masks.tolist()], dtype=float)  # v(S) = |S|
    >>> j = Journeys.from_sequences([["A", "B"]], conversions=[1])
    >>> Shapley(value=coverage).attribute(j).raw_values.tolist()
    [1.0, 1.0]
    """
    function.bitmask = True  # type: ignore[attr-defined]
    return function


def _packed(membership: BoolMatrix) -> npt.NDArray[np.bytes_]:
    """Each row of a membership matrix as one fixed-width byte string (a packed bitset)."""
    packed = np.packbits(membership, axis=1)
    return packed.view(f"S{packed.shape[1]}").ravel() if packed.shape[1] else np.zeros(len(membership), dtype="S1")


def conversion_rate_game(journeys: Journeys, unobserved: float = 0.0) -> Game:
    """v(S) = conversion rate of the paths whose set of distinct channels is exactly S.

    Parameters
    ----------
    journeys
        The paths; empty paths stay out of the game, so v(∅) = 0.
    unobserved
        v of a non-empty coalition never observed as an exact set (default 0).

    Examples
    --------
    >>> j = Journeys.from_sequences([["A", "B", "C"], ["A", "C"], ["B"], ["C"], ["A", "B"]],
    ...                             conversions=[2, 1, 0, 1, 0], nulls=[0, 1, 2, 1, 1])
    >>> game = conversion_rate_game(j)
    >>> game(np.array([[False, False, True], [True, True, True], [True, False, False]])).tolist()
    [0.5, 1.0, 0.0]
    """
    journeys = journeys.filter(min_length=1)
    membership = np.zeros((journeys.n_rows, len(journeys.channels)), dtype=bool)
    membership[journeys.touch_rows(), journeys.codes] = True
    uniques, inverse = np.unique(_packed(membership), return_inverse=True)
    conversions = np.bincount(inverse, weights=journeys.conversions, minlength=len(uniques))
    journeys_per_set = np.bincount(inverse, weights=journeys.conversions + journeys.nulls, minlength=len(uniques))
    with np.errstate(invalid="ignore", divide="ignore"):
        rate = np.where(journeys_per_set > 0, conversions / journeys_per_set, unobserved)

    def game(members: BoolMatrix) -> FloatArray:
        empty = ~members.any(axis=1)
        if len(uniques) == 0:
            return np.where(empty, 0.0, unobserved)
        wanted = _packed(members)
        at = np.minimum(np.searchsorted(uniques, wanted), len(uniques) - 1)
        found = uniques[at] == wanted
        return np.where(empty, 0.0, np.where(found, rate[at], unobserved))

    return game


def markov_game(
    journeys: Journeys,
    *,
    order: int = 1,
    collapse_repeats: bool = True,
    max_states: int = 200_000,
    cache: bool = True,
) -> Game:
    """v(S) = P(conversion) of the fitted Markov chain with every channel outside S removed.

    Parameters
    ----------
    journeys
        The paths the chain is fitted on (once).
    order, collapse_repeats, max_states
        The chain, as for :class:`~attribution.models.markov.MarkovChain`.
    cache
        Keep each coalition's value (up to ``MARKOV_CACHE_MAX`` of them): sampling meets
        the same coalitions again and again, the exact method meets each once.

    With no conversion on a path with touches the game is 0 for every coalition (and
    every channel's Shapley value 0).

    Examples
    --------
    >>> j = Journeys.from_sequences([["A", "B", "C"], ["A", "C"], ["B"], ["C"], ["A", "B"]],
    ...                             conversions=[2, 1, 0, 1, 0], nulls=[0, 1, 2, 1, 1])
    >>> game = markov_game(j)
    >>> (game(np.array([[True, True, True], [False, True, True], [True, True, False]])) * 135).round(9).tolist()
    [60.0, 28.0, 0.0]
    """
    chain = MarkovChain(order=order, collapse_repeats=collapse_repeats, max_states=max_states).fit(journeys)
    labels = np.asarray(journeys.channels, dtype=object)
    known: dict[bytes, float] = {}

    def one(member: npt.NDArray[np.bool_]) -> float:
        key = np.packbits(member).tobytes()
        if key in known:
            return known[key]
        probability = float(chain.conversion_probability_without(labels[~member].tolist()))
        if cache:
            if len(known) >= MARKOV_CACHE_MAX:
                known.clear()
            known[key] = probability
        return probability

    def game(members: BoolMatrix) -> FloatArray:
        return np.array([one(member) for member in members], dtype=np.float64)  # one chain solve per coalition

    return game


def callable_game(function: Callable[..., Any], channels: tuple[str, ...]) -> Game:
    """The user's game, its answers checked; exceptions it raises itself propagate unchanged.

    ``function`` takes a ``frozenset`` of labels and returns a number, or, marked with
    :func:`bitmask_game`, an int64 array of masks and returns one number per mask.

    Raises
    ------
    ParameterError
        A bitmask game over more than 62 channels; a value that is not a finite number,
        or a bitmask game's answer of the wrong length (raised when the game is called).

    Examples
    --------
    >>> game = callable_game(lambda coalition: float("A" in coalition), ("A", "B"))
    >>> game(np.array([[True, False], [False, True]])).tolist()
    [1.0, 0.0]
    >>> game = callable_game(lambda coalition: float("nan"), ("A", "B"))
    >>> game(np.array([[True, True]]))
    Traceback (most recent call last):
    ...
    attribution.errors.ParameterError: the value function '<lambda>' returned nan for coalition {A, B}; ...
    """
    n = len(channels)
    name = getattr(function, "__name__", "custom")
    if getattr(function, "bitmask", False):
        if n > BITMASK_MAX_CHANNELS:
            raise ParameterError(
                f"a bitmask game handles at most {BITMASK_MAX_CHANNELS} channels; these journeys have {n}. "
                "Fix: pass a function of frozensets instead."
            )
        weights = np.left_shift(np.int64(1), np.arange(n, dtype=np.int64))

        def game(members: BoolMatrix) -> FloatArray:
            masks = members.astype(np.int64) @ weights if n else np.zeros(len(members), dtype=np.int64)
            values = _as_values(function(masks), members, channels, name)
            _check_finite(values, members, channels, name)
            return values

        return game
    labels = np.asarray(channels, dtype=object)

    def game_of_sets(members: BoolMatrix) -> FloatArray:
        values = np.empty(len(members))
        for k, member in enumerate(members):  # the user's function takes one coalition at a time
            values[k] = _as_number(function(frozenset(labels[member].tolist())), member, channels, name)
        _check_finite(values, members, channels, name)
        return values

    return game_of_sets


# ---------------------------------------------------------------------- checking a custom game's answers


def _short(value: Any, most: int = 60) -> str:
    text = repr(value)
    return text if len(text) <= most else text[: most - 1] + "…"


def _coalition(member: npt.NDArray[np.bool_], channels: tuple[str, ...]) -> str:
    """A coalition as the user reads it: ``{A, B}``."""
    inside = [c for c, is_in in zip(channels, member.tolist(), strict=True) if is_in]
    return "{" + ", ".join(inside) + "}" if inside else "{} (the empty coalition)"


def _as_number(result: Any, member: npt.NDArray[np.bool_], channels: tuple[str, ...], name: str) -> float:
    """One value of a custom game as a float, or a :class:`ParameterError` naming the coalition."""
    if isinstance(result, np.ndarray) and result.ndim == 0:
        result = result[()]
    if isinstance(result, (numbers.Real, decimal.Decimal, np.bool_)):
        try:
            return float(result)
        except (OverflowError, ValueError):  # an int of 400 digits; Decimal('sNaN')
            pass
        raise ParameterError(
            f"the value function {name!r} returned {_short(result)} for coalition {_coalition(member, channels)}, "
            "which float64 cannot hold. Fix: return a finite float for every coalition (rescale the game if needed)."
        )
    raise ParameterError(
        f"the value function {name!r} returned {_short(result)} (a {type(result).__name__}) for coalition "
        f"{_coalition(member, channels)}, not a number. Fix: return a float for every coalition."
    )


def _as_values(result: Any, members: BoolMatrix, channels: tuple[str, ...], name: str) -> FloatArray:
    """A bitmask game's answer as one float per mask, or a :class:`ParameterError`."""
    expected = len(members)
    try:
        array = np.asarray(result)
    except (TypeError, ValueError):  # ragged nested lists and the like
        array = None
    if array is None or array.dtype.kind not in "biufO":
        raise ParameterError(
            f"the bitmask game {name!r} returned {_short(result)}, not an array of numbers. "
            "Fix: return a float array with one value per mask."
        )
    if array.size != expected:
        raise ParameterError(
            f"the bitmask game {name!r} returned {array.size:,} value(s) (shape {array.shape}) for {expected:,} "
            "coalitions; it must return one value per mask, in the order given. "
            "Fix: return an array as long as the masks it receives."
        )
    if array.dtype.kind == "O":  # Python objects: each must be a number (rare, so checked one by one)
        flat = array.reshape(expected)
        return np.array([_as_number(v, members[k], channels, name) for k, v in enumerate(flat.tolist())])
    values: FloatArray = array.astype(np.float64).reshape(expected)
    return values


def _check_finite(values: FloatArray, members: BoolMatrix, channels: tuple[str, ...], name: str) -> None:
    bad = ~np.isfinite(values)
    if bad.any():
        first = int(np.argmax(bad))
        raise ParameterError(
            f"the value function {name!r} returned {float(values[first])} for coalition "
            f"{_coalition(members[first], channels)}; a game's values must be finite numbers. "
            "Fix: return a finite number for every coalition (e.g. 0 for a coalition never observed)."
        )
