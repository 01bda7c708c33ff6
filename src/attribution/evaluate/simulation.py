"""Simulated journeys with a known truth (in the spirit of Google's DASS, Sapp & Vaver 2016).

Each user walks a funnel: unaware (stage 0) → aware (1) → considering (2) → deciding (3).
Channels reach users at random: channel c touches a user Poisson(``reach[c]``) times at
uniform random times over the horizon. In time order, a touch of channel c moves a user
at stage k < 3 up one stage with probability ``lift[c][k]``; nothing else moves users
through the funnel. A user who ends at stage 3 converts with probability
``p_decide`` (after the last touch); independently, any user converts with probability
``baseline`` without any help (organic demand). Conversions carry log-normal values.

Because a channel acts only through its own touches, switching it off is well defined:
drop its touches and replay every other random number unchanged (common random numbers).
The truth reported per channel is exact for the simulated population:

- ``incremental``: conversions lost when that channel alone is switched off;
- ``shapley``: the Shapley value of the game v(S) = conversions with only the channels in
  S switched on, by exact enumeration of the 2^C coalitions (each replayed with the same
  random numbers), for up to ``max_shapley_channels`` channels.

Both are net of baseline conversions, which no channel causes: a model that gives
channels credit for organic conversions over-credits them.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from math import factorial

import numpy as np
import numpy.typing as npt
import pandas as pd

from attribution.errors import ParameterError

__all__ = ["Simulation", "simulate"]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

STAGES = 3  # stages a touch can lift a user out of: unaware, aware, considering
STAGE_NAMES = ["unaware", "aware", "considering", "deciding", "converted"]

DEFAULT_CHANNELS: dict[str, tuple[float, tuple[float, float, float]]] = {
    # channel: (mean touches per user, lift out of stage 0 / 1 / 2)
    "Display": (1.2, (0.30, 0.05, 0.02)),
    "Social": (1.0, (0.25, 0.10, 0.03)),
    "Search": (0.8, (0.10, 0.30, 0.20)),
    "Email": (0.6, (0.02, 0.15, 0.30)),
    "Direct": (0.5, (0.00, 0.00, 0.05)),
}


@dataclass(frozen=True)
class Simulation:
    """A simulated event log and the truth behind it.

    Attributes
    ----------
    events
        One row per touch or conversion: ``user``, ``time``, ``channel`` (null on
        conversions), ``converted``, ``value`` — ready for :meth:`Journeys.from_events` —
        and ``stage``: the funnel stage each touch found its user in (``"converted"`` on
        conversion rows), for :func:`attribution.analytics.stage_summary`.
    truth
        Per channel: ``incremental`` conversions (lost when it alone is switched off),
        ``shapley`` (Shapley value of the true game; NaN past ``max_shapley_channels``),
        and both as shares (``incremental_share``, ``shapley_share``).
    conversions, baseline_conversions
        Conversions in the log, and how many of them only organic demand explains (the
        funnel did not convert those users).
    conversions_without_channels
        Conversions with every channel switched off (organic demand alone): the true
        game's v(∅), so the Shapley truth sums to ``conversions`` minus this.
    parameters
        The settings that produced it.
    """

    events: pd.DataFrame
    truth: pd.DataFrame
    conversions: int
    baseline_conversions: int
    conversions_without_channels: int
    parameters: dict[str, object]


@dataclass(frozen=True)
class _Draws:
    """Every random number of one simulated population (replayed for counterfactuals)."""

    touch_user: IntArray  # touches in (user, time) order
    touch_channel: IntArray
    touch_time: FloatArray  # days since the start
    touch_uniform: FloatArray  # decides whether the touch lifts the user
    decide_uniform: FloatArray  # per user: converts from stage 3?
    baseline_uniform: FloatArray  # per user: organic conversion?
    offsets: IntArray  # touches of each user
    positions: list[tuple[IntArray, IntArray]]  # per touch position: the users that far along, their touch


def simulate(
    n_users: int,
    *,
    channels: Mapping[str, tuple[float, Sequence[float]]] | None = None,
    p_decide: float = 0.6,
    baseline: float = 0.01,
    horizon_days: float = 30.0,
    mean_value: float = 80.0,
    max_shapley_channels: int = 10,
    seed: int | None = None,
) -> Simulation:
    """Simulate ``n_users`` journeys through a funnel, with the true effect of every channel.

    Parameters
    ----------
    n_users
        Number of users.
    channels
        ``{name: (mean touches per user, (lift out of stage 0, 1, 2))}``; default five
        channels from awareness (Display, Social) to closing (Search, Email, Direct).
    p_decide
        Probability that a user at the decision stage converts.
    baseline
        Probability that a user converts with no help from any channel.
    horizon_days
        Touches fall uniformly over this many days; a conversion follows the last touch.
    mean_value
        Mean conversion value (log-normal, coefficient of variation about 0.5).
    max_shapley_channels
        Compute the exact Shapley truth (2^C replays) only up to this many channels.
    seed
        Seed of the random generator; the same seed gives the same simulation.

    Examples
    --------
    >>> sim = simulate(20_000, seed=1)
    >>> sorted(sim.events.columns)
    ['channel', 'converted', 'stage', 'time', 'user', 'value']
    >>> bool((sim.truth["incremental"] >= 0).all())
    True
    """
    spec = dict(DEFAULT_CHANNELS if channels is None else channels)
    names, reach, lift = _check(n_users, spec, p_decide, baseline, horizon_days, mean_value)
    rng = np.random.default_rng(seed)
    draws = _draw(rng, n_users, reach, horizon_days)
    on_all = np.ones(len(names), dtype=bool)
    stage_at_touch = np.zeros(len(draws.touch_user), dtype=np.int8)
    converted_by_funnel, last_time = _replay(draws, lift, on_all, p_decide, n_users, record=stage_at_touch)
    organic = draws.baseline_uniform < baseline
    converted = converted_by_funnel | organic
    total = int(converted.sum())

    def conversions_with(active: npt.NDArray[np.bool_]) -> int:
        funnel, _ = _replay(draws, lift, active, p_decide, n_users)
        return int((funnel | organic).sum())

    incremental = np.array([total - conversions_with(~np.eye(len(names), dtype=bool)[c]) for c in range(len(names))])
    shapley = (
        _exact_shapley(conversions_with, len(names))
        if len(names) <= max_shapley_channels
        else np.full(len(names), np.nan)
    )
    truth = pd.DataFrame(
        {"incremental": incremental.astype(float), "shapley": shapley}, index=pd.Index(names, name="channel")
    )
    truth["incremental_share"] = _shares(truth["incremental"].to_numpy())
    truth["shapley_share"] = _shares(truth["shapley"].to_numpy())
    events = _event_log(rng, draws, names, converted, last_time, horizon_days, mean_value, stage_at_touch)
    return Simulation(
        events=events,
        truth=truth,
        conversions=total,
        baseline_conversions=int((organic & ~converted_by_funnel).sum()),
        conversions_without_channels=int(organic.sum()),
        parameters={
            "n_users": n_users,
            "channels": {
                n: (float(r), tuple(float(x) for x in lf)) for n, r, lf in zip(names, reach, lift, strict=True)
            },
            "p_decide": p_decide,
            "baseline": baseline,
            "horizon_days": horizon_days,
            "mean_value": mean_value,
            "seed": seed,
        },
    )


def _check(
    n_users: int,
    spec: dict[str, tuple[float, Sequence[float]]],
    p_decide: float,
    baseline: float,
    horizon_days: float,
    mean_value: float,
) -> tuple[list[str], FloatArray, FloatArray]:
    if isinstance(n_users, bool) or not isinstance(n_users, (int, np.integer)) or n_users < 1:
        raise ParameterError(f"parameter 'n_users' of simulate must be a positive integer; got {n_users!r}.")
    if not spec:
        raise ParameterError("parameter 'channels' of simulate must name at least one channel; got none.")
    for name, value in (("p_decide", p_decide), ("baseline", baseline)):
        if not (isinstance(value, (int, float)) and 0 <= value <= 1):
            raise ParameterError(f"parameter {name!r} of simulate must be a probability in [0, 1]; got {value!r}.")
    for name, value in (("horizon_days", horizon_days), ("mean_value", mean_value)):
        if not (isinstance(value, (int, float)) and value > 0):
            raise ParameterError(f"parameter {name!r} of simulate must be a positive number; got {value!r}.")
    names = [str(n) for n in spec]
    reach = np.zeros(len(names))
    lift = np.zeros((len(names), STAGES))
    for i, (name, entry) in enumerate(spec.items()):
        try:
            rate, lifts = entry
            reach[i] = float(rate)
            lift[i] = np.asarray(lifts, dtype=float)
        except (TypeError, ValueError):
            raise ParameterError(
                f"channel {name!r} of simulate must be (mean touches, (lift 0, lift 1, lift 2)); got {entry!r}. "
                "Fix: e.g. channels={'Search': (0.8, (0.1, 0.3, 0.2))}."
            ) from None
        if reach[i] < 0 or not np.all((lift[i] >= 0) & (lift[i] <= 1)):
            raise ParameterError(
                f"channel {name!r} of simulate needs a mean number of touches >= 0 and lifts in [0, 1]; got {entry!r}."
            )
    return names, reach, lift


def _draw(rng: np.random.Generator, n_users: int, reach: FloatArray, horizon_days: float) -> _Draws:
    counts = rng.poisson(reach, size=(n_users, len(reach)))  # touches per user and channel
    per_user = counts.sum(axis=1)
    user = np.repeat(np.arange(n_users, dtype=np.int64), per_user)
    channel = np.repeat(np.tile(np.arange(len(reach), dtype=np.int64), n_users), counts.ravel())
    time = rng.uniform(0.0, horizon_days, len(user))
    order = np.lexsort((time, user))
    offsets = np.zeros(n_users + 1, dtype=np.int64)
    np.cumsum(per_user, out=offsets[1:])
    positions = []
    for position in range(int(per_user.max(initial=0))):
        users = np.flatnonzero(per_user > position)
        positions.append((users, offsets[users] + position))
    return _Draws(
        user[order],
        channel[order],
        time[order],
        rng.random(len(user)),
        rng.random(n_users),
        rng.random(n_users),
        offsets,
        positions,
    )


def _replay(
    draws: _Draws,
    lift: FloatArray,
    active: npt.NDArray[np.bool_],
    p_decide: float,
    n_users: int,
    *,
    record: npt.NDArray[np.int8] | None = None,
) -> tuple[npt.NDArray[np.bool_], FloatArray]:
    """Walk every user through the funnel with only the ``active`` channels switched on.

    Vectorised over users: the loop runs over touch positions (the longest user's count),
    never over users or touches. ``record``, if given, receives the stage each touch found
    its user in.
    """
    stage = np.zeros(n_users, dtype=np.int8)
    last_time = np.zeros(n_users)
    lift_on = np.where(active[:, None], lift, 0.0)
    for users, touch in draws.positions:
        channel = draws.touch_channel[touch]
        at = stage[users]
        if record is not None:
            record[touch] = at  # the stage the touch found the user in
        chance = lift_on[channel, np.minimum(at, STAGES - 1)] * (at < STAGES)
        stage[users] = at + (draws.touch_uniform[touch] < chance)
        last_time[users] = draws.touch_time[touch]
    converted = (stage == STAGES) & (draws.decide_uniform < p_decide)
    return converted, last_time


def _exact_shapley(conversions_with: Callable[[npt.NDArray[np.bool_]], int], n: int) -> FloatArray:
    """Shapley values of v(S) = conversions with only S on, from all 2^n coalitions."""
    masks = np.arange(1 << n)
    members = (masks[:, None] >> np.arange(n)) & 1
    values = np.array([conversions_with(row.astype(bool)) for row in members], dtype=float)
    size = members.sum(axis=1)
    phi = np.zeros(n)
    for c in range(n):
        without = masks[members[:, c] == 0]
        s = size[without]
        weight = np.array([factorial(k) * factorial(n - k - 1) / factorial(n) for k in s])
        phi[c] = float(np.sum(weight * (values[without | (1 << c)] - values[without])))
    return phi


def _shares(values: FloatArray) -> FloatArray:
    total = np.nansum(values)
    if not np.isfinite(total) or total <= 0 or np.isnan(values).all():
        return np.full(len(values), np.nan) if np.isnan(values).all() else np.zeros(len(values))
    shares: FloatArray = values / total
    return shares


def _event_log(
    rng: np.random.Generator,
    draws: _Draws,
    names: list[str],
    converted: npt.NDArray[np.bool_],
    last_time: FloatArray,
    horizon_days: float,
    mean_value: float,
    stage_at_touch: npt.NDArray[np.int8],
) -> pd.DataFrame:
    start = pd.Timestamp("2025-01-01")
    buyers = np.flatnonzero(converted)
    # a conversion follows the user's last touch by up to two days (organic buyers: any time)
    delay = rng.uniform(0.0, 2.0, len(buyers))
    no_touch = np.diff(draws.offsets)[buyers] == 0
    when = np.where(no_touch, rng.uniform(0.0, horizon_days, len(buyers)), last_time[buyers] + delay)
    sigma = 0.47  # log-normal with a coefficient of variation of about 0.5
    value = np.round(rng.lognormal(np.log(mean_value) - sigma**2 / 2, sigma, len(buyers)), 2)
    labels = np.asarray(names, dtype=object)
    seconds = np.concatenate([draws.touch_time, when]) * 86_400.0
    frame = pd.DataFrame(
        {
            "user": np.concatenate([draws.touch_user, buyers]),
            "time": start + pd.to_timedelta(np.round(seconds), unit="s"),
            "channel": np.concatenate([labels[draws.touch_channel], np.full(len(buyers), None, dtype=object)]),
            "converted": np.concatenate(
                [np.zeros(len(draws.touch_user), dtype=bool), np.ones(len(buyers), dtype=bool)]
            ),
            "value": np.concatenate([np.full(len(draws.touch_user), np.nan), value]),
            "stage": pd.Categorical.from_codes(
                np.concatenate([stage_at_touch, np.full(len(buyers), STAGES + 1, dtype=np.int8)]).astype(np.int64),
                dtype=pd.CategoricalDtype(STAGE_NAMES, ordered=True),
            ),
        }
    )
    return frame.sort_values(["user", "time"], kind="stable").reset_index(drop=True)
