"""The funnel simulator behind :func:`~attribution.evaluate.simulate` and the bundled sample.

One process, replayable with common random numbers, so that switching a channel off is
well defined and the truth of a simulated population is exact.

The process
-----------
Users move through four stages, 0 (unaware) → 1 (aware) → 2 (considering) → 3
(deciding). A user enters at a stage drawn from ``start``. At every step the user is
touched once: the channel is drawn from ``reach`` at the user's stage (a column per
stage; equal columns make touches independent of the funnel). The touch moves the user
out of stage k < 3 with probability ``lift[channel, k]``; otherwise the user leaves with
probability ``leave[k]``. Steps stop when the user leaves, when the touch budget (a
Poisson number of touches with mean ``mean_touches``, if given) is spent, or when the
next touch would fall after the observation window.

A user moved out of stage 2 *decides*: with probability ``p_decide`` the user buys —
at once (a purchase minutes after the touch, or on the touch's own row with probability
``same_row[channel]``), or, with ``decide_at_end``, after the user's last touch. A buyer
comes back for another journey (at stage 2, after ``comeback``) with probability
``repeat``. Independently of the funnel, a user converts organically with probability
``baseline`` (at most once, only if the funnel did not convert the user), and a share
``untracked`` of users never meets a channel and only buys (a purchase with no touch).

Times: with ``arrival_days``, a user's first touch falls uniformly in the first
``arrival_days`` and each next touch follows after ``gap``; without it, the touches of
a budget fall at uniform random times over ``horizon_days`` (drawn in order). Events
after ``observe_days`` (if given) are not in the log.

Common random numbers
---------------------
Every random number belongs to one user and one step (a block of uniforms per step,
drawn for *all* users from a generator seeded by the seed and the step), so the walk of
a user with some channels switched off reuses exactly the numbers of the factual walk
where it is the same, and fresh but fixed numbers where it differs. A channel switched
off still reaches the user (the step happens) but cannot move the user on. Distributions
are computed from uniforms by inverse CDFs, which numpy keeps stable across versions.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple

import numpy as np
import numpy.typing as npt
import pandas as pd
from scipy import special, stats

from attribution.models.shapley import exact_shapley

__all__ = ["Funnel", "FunnelLog", "Spread", "funnel_conversions", "funnel_truth", "run_funnel", "truth_table"]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]
AnyInts = npt.NDArray[np.signedinteger[Any]]  # lane indices: int32 where lanes are many

STAGES = 3  # stages a touch can move a user out of
DECIDED = 3  # the deciding stage (decide_at_end: waits there for the end of the budget)
_BLOCK_LANES = 4_000_000  # lanes (coalition x user) replayed at once: bounds replay memory

# Rows of a step's uniform block.
_CHANNEL, _MOVE, _LEAVE, _TIME, _DELAY, _SAME_ROW, _REPEAT, _VALUE, _COMEBACK, _DECIDE = range(10)
# Rows of the per-user uniform block.
_U_START, _U_ARRIVAL, _U_BUDGET, _U_ORGANIC, _U_UNTRACKED, _U_ORGANIC_TIME, _U_ORGANIC_VALUE = range(7)


class Spread(NamedTuple):
    """A log-normal quantity: median, log-scale sigma, clipped to [low, high] (days or money)."""

    median: float
    sigma: float
    low: float = 0.0
    high: float = np.inf

    def draw(self, uniform: FloatArray) -> FloatArray:
        """Inverse-CDF draws from uniforms in (0, 1)."""
        drawn: FloatArray = np.clip(self.median * np.exp(self.sigma * special.ndtri(uniform)), self.low, self.high)
        return drawn


_DAY = 1.0
_HOUR = 1.0 / 24.0


_GAP = Spread(18 * _HOUR, 1.1, 0.25 * _HOUR, 20 * _DAY)  # until the next touch
_DELAY_SPREAD = Spread(20 / 1440, 0.8, 1 / 1440, 6 * _HOUR)  # a purchase after the deciding touch
_COMEBACK_SPREAD = Spread(14 * _DAY, 0.5, 2 * _DAY, 60 * _DAY)  # until a buyer's next journey
_VALUE_SPREAD = Spread(65.0, 0.6, 4.0, 2_000.0)  # order values


@dataclass(frozen=True, eq=False)
class Funnel:
    """The settings of one funnel (see the module docstring for the process).

    ``reach`` and ``lift`` have one row per channel and one column per stage 0, 1, 2.
    Times are in days.
    """

    channels: tuple[str, ...]
    reach: FloatArray
    lift: FloatArray
    start: FloatArray = field(default_factory=lambda: np.array([1.0, 0.0, 0.0]))
    leave: FloatArray = field(default_factory=lambda: np.zeros(STAGES))
    mean_touches: float | None = None
    p_decide: float = 1.0
    decide_at_end: bool = False
    baseline: float = 0.0
    untracked: float = 0.0
    repeat: float = 0.0
    same_row: FloatArray | None = None
    horizon_days: float = 90.0
    arrival_days: float | None = None
    observe_days: float | None = None
    gap: Spread = _GAP
    delay: Spread = _DELAY_SPREAD
    comeback: Spread = _COMEBACK_SPREAD
    value: Spread = _VALUE_SPREAD
    max_steps: int = 60  # bound on the walk when no touch budget ends it

    def cumulative_reach(self) -> FloatArray:
        """(stage, channel) cumulative reach, each row ending at 1 (uniform if a stage has no reach)."""
        reach = np.asarray(self.reach, dtype=np.float64)
        totals = reach.sum(axis=0)
        shares = np.where(totals > 0, reach / np.where(totals > 0, totals, 1.0), 1.0 / max(len(self.channels), 1))
        cumulative: FloatArray = np.cumsum(shares, axis=0).T
        cumulative[:, -1] = 1.0
        return cumulative


@dataclass(frozen=True)
class FunnelLog:
    """The factual walk of a population: one row per touch and one per conversion.

    ``time`` is in days from the start; ``channel`` is -1 on a conversion row that is
    not a touch; ``value`` is NaN on touches; ``stage`` is the stage a touch found its
    user in (4 on conversion rows). Rows are sorted by user, then time.
    """

    user: IntArray
    time: FloatArray
    channel: IntArray
    converted: BoolArray
    value: FloatArray
    stage: npt.NDArray[np.int8]
    funnel_conversions: int  # conversions the funnel caused (not organic, not untracked)


def _rng(seed: int, *key: int) -> np.random.Generator:
    return np.random.default_rng([seed, *key])


def _user_draws(seed: int, n_users: int) -> FloatArray:
    return _rng(seed, 0).random((7, n_users))


class _StepUniforms:
    """The uniforms of one step for all users, one generator per row, drawn when first read.

    ``uniforms[row, users]`` reads them; a row a walk never needs is never drawn.
    """

    def __init__(self, seed: int, step: int, n_users: int) -> None:
        self._key = (seed, step)
        self._n = n_users
        self._rows: dict[int, FloatArray] = {}

    def row(self, row: int) -> FloatArray:
        if row not in self._rows:
            self._rows[row] = _rng(self._key[0], 1, self._key[1], row).random(self._n)
        return self._rows[row]

    def __getitem__(self, key: tuple[int, IntArray]) -> FloatArray:
        drawn: FloatArray = self.row(key[0])[key[1]]
        return drawn


@dataclass(frozen=True)
class _Users:
    """What is drawn once per user: the same in every replay."""

    drawn: FloatArray
    untracked: BoolArray
    stage: npt.NDArray[np.int8]
    budget: IntArray  # touches left (-1: no budget)
    clock: FloatArray  # days: when the next touch falls (uniform times: the previous touch, 0 at first)


def _users(funnel: Funnel, seed: int, n_users: int) -> _Users:
    drawn = _user_draws(seed, n_users)
    start = np.cumsum(funnel.start / funnel.start.sum())
    stage = _draw_category(np.broadcast_to(start, (n_users, STAGES)), drawn[_U_START]).astype(np.int8)
    if funnel.mean_touches is None:
        budget = np.full(n_users, -1, dtype=np.int64)
    else:
        budget = _poisson(drawn[_U_BUDGET], float(funnel.mean_touches))
    arrival = funnel.arrival_days
    clock = np.zeros(n_users) if arrival is None else drawn[_U_ARRIVAL] * float(arrival)
    return _Users(drawn, drawn[_U_UNTRACKED] < funnel.untracked, stage, budget, clock)


def _poisson(uniform: FloatArray, mean: float) -> IntArray:
    """Poisson draws by inverse CDF: the smallest k with P(X <= k) >= u (one table, one search)."""
    top = int(mean + 40.0 * np.sqrt(mean) + 40.0)  # beyond it the tail is below 1e-300
    cdf = stats.poisson.cdf(np.arange(top + 1), mean)
    drawn: IntArray = np.minimum(np.searchsorted(cdf, uniform, side="left"), top).astype(np.int64)
    return drawn


def _draw_category(cumulative: FloatArray, uniform: FloatArray) -> IntArray:
    """Inverse-CDF draws: one category per row of ``cumulative`` (rows end at 1)."""
    drawn: IntArray = np.minimum((uniform[:, None] > cumulative).sum(axis=1), cumulative.shape[1] - 1).astype(np.int64)
    return drawn


class _Rows:
    """Rows collected step by step (factual walk), or conversions counted per lane (replays)."""

    def __init__(self, n_lanes: int, log: bool) -> None:
        self.log = log
        self.counts = np.zeros(n_lanes, dtype=np.int32)  # conversions per lane
        self.funnel = np.zeros(n_lanes, dtype=np.int32)  # of which the funnel caused
        self.chunks: list[tuple[IntArray, FloatArray, IntArray, BoolArray, FloatArray, npt.NDArray[np.int8]]] = []

    def touches(self, user: IntArray, time: FloatArray, channel: IntArray, stage: npt.NDArray[np.int8]) -> None:
        if self.log:
            n = len(user)
            self.chunks.append((user, time, channel, np.zeros(n, dtype=bool), np.full(n, np.nan), stage))

    def conversions(
        self,
        lanes: IntArray,
        user: IntArray,
        time: FloatArray,
        channel: IntArray,
        value: FloatArray,
        *,
        funnel: bool,
    ) -> None:
        # a lane converts at most once per call: a plain fancy increment, not a bincount of every lane
        self.counts[lanes] += 1
        if funnel:
            self.funnel[lanes] += 1
        if self.log:
            n = len(user)
            stage = np.full(n, DECIDED + 1, dtype=np.int8)
            self.chunks.append((user, time, channel, np.ones(n, dtype=bool), value, stage))

    def separate_purchases(
        self,
        lanes: IntArray,
        user: IntArray,
        when: FloatArray,
        value_uniform: FloatArray,
        value: Spread,
        observe: float,
        *,
        funnel: bool,
    ) -> None:
        """Purchases on rows of their own (no channel), those inside the observation window."""
        logged = when < observe
        values = np.round(value.draw(value_uniform[logged]), 2) if self.log else np.zeros(0)
        no_channel = np.full(int(logged.sum()), -1, dtype=np.int64)
        self.conversions(lanes[logged], user[logged], when[logged], no_channel, values, funnel=funnel)


class _Step:
    """The random numbers of one step, per user, and what follows from them alone.

    Computed once per step for all users (n operations), then gathered for the lanes
    that are still walking: the expensive transforms never run per lane.
    """

    def __init__(self, funnel: Funnel, seed: int, step: int, n_users: int, cumulative: FloatArray) -> None:
        self.u = _StepUniforms(seed, step, n_users)
        # the channel the step's touch is on, for a user at each stage (stage-independent reach: one row)
        distinct = np.unique(cumulative, axis=0)
        rows = distinct if len(distinct) == 1 else cumulative
        uniform = self.u.row(_CHANNEL)
        last = cumulative.shape[1] - 1
        self.channel = np.stack([np.minimum(np.searchsorted(r, uniform, side="left"), last) for r in rows])
        self._funnel = funnel

    def log_time(self, users: IntArray) -> FloatArray:
        logs: FloatArray = np.log(self.u[_TIME, users])
        return logs

    def channel_of(self, users: IntArray, stage: npt.NDArray[np.int8]) -> IntArray:
        row = np.minimum(stage, len(self.channel) - 1) if len(self.channel) > 1 else 0
        channel: IntArray = self.channel[row, users]
        return channel

    def spread(self, name: str, row: int, users: IntArray) -> FloatArray:
        spread: Spread = getattr(self._funnel, name)
        return spread.draw(self.u[row, users])


def _walk(
    funnel: Funnel,
    seed: int,
    n_users: int,
    users: _Users,
    lift_sets: FloatArray,
    lane_set: AnyInts,
    lane_user: AnyInts,
    rows: _Rows,
) -> None:
    """Walk every lane (a user under one set of switched-on channels) through the funnel.

    Vectorised over lanes: the loop runs over steps, never over users or touches.
    ``lift_sets[s]`` is the lift table with the channels of set ``s`` switched on.
    """
    observe = np.inf if funnel.observe_days is None else float(funnel.observe_days)
    horizon = float(funnel.horizon_days)
    same_row = np.zeros(len(funnel.channels)) if funnel.same_row is None else np.asarray(funnel.same_row, dtype=float)
    cumulative = funnel.cumulative_reach()
    n_lanes = len(lane_user)
    untracked = users.untracked[lane_user]
    stage = users.stage[lane_user]
    budget = users.budget[lane_user]
    clock = users.clock[lane_user]
    uniform_times = funnel.arrival_days is None
    steps = funnel.max_steps if funnel.mean_touches is None else int(users.budget.max(initial=0))
    who = np.flatnonzero(~untracked & (budget != 0) & (clock < observe))  # the lanes still walking
    converted = np.zeros(n_lanes, dtype=bool)  # by the funnel
    last_touch = np.full(n_lanes, np.nan)
    leave = np.asarray(funnel.leave, dtype=np.float64)
    needs_time = rows.log or np.isfinite(observe) or funnel.repeat > 0
    for step in range(steps):
        if len(who) == 0:
            break
        draws = _Step(funnel, seed, step, n_users, cumulative)
        u = draws.u
        user = lane_user[who]
        at = stage[who]
        below = np.minimum(at, STAGES - 1)
        channel = draws.channel_of(user, below)
        if uniform_times and not needs_time:
            time = clock[who]  # counting only, with nothing cut by time: times do not matter
        elif uniform_times:  # the next of the remaining budget's uniform times, in order
            time = clock[who] - (horizon - clock[who]) * np.expm1(draws.log_time(user) / budget[who])
        else:
            time = clock[who]
        moves = u[_MOVE, user] < lift_sets[lane_set[who], channel, below]
        if funnel.decide_at_end:
            moves &= at < DECIDED
        ends = ~moves & (u[_LEAVE, user] < leave[below]) if leave.any() else np.zeros(len(who), dtype=bool)
        if funnel.decide_at_end:
            stage[who] = at + moves
            if rows.log:
                seen = time < observe
                rows.touches(user[seen], time[seen], channel[seen], at[seen])
            last_touch[who] = time
        else:
            decides = moves & (at == STAGES - 1)
            buys = decides & (u[_DECIDE, user] < funnel.p_decide)
            stage[who] = at + (moves & ~decides)  # a decided user is back to considering
            bought_at = time.copy()
            if buys.any():
                buyer = user[buys]
                on_row = u[_SAME_ROW, buyer] < same_row[channel[buys]]
                bought_at[buys] += np.where(on_row, 0.0, draws.spread("delay", _DELAY, buyer))
                logged = bought_at[buys] < observe
                rows.conversions(
                    who[buys][logged],
                    buyer[logged],
                    bought_at[buys][logged],
                    np.where(on_row, channel[buys], -1)[logged],
                    np.round(draws.spread("value", _VALUE, buyer), 2)[logged] if rows.log else np.zeros(0),
                    funnel=True,
                )
                converted[who[buys]] = True
                row_purchase = np.zeros(len(who), dtype=bool)
                row_purchase[np.flatnonzero(buys)[on_row]] = True
                ends |= buys & ~(u[_REPEAT, user] < funnel.repeat)
            else:
                row_purchase = buys
            if rows.log:
                seen = (time < observe) & ~row_purchase  # a purchase on a touch's own row is the touch's row
                rows.touches(user[seen], time[seen], channel[seen], at[seen])
            last_touch[who] = time
        if uniform_times:
            budget[who] -= 1
            ends |= budget[who] == 0
            next_clock = time
        else:
            next_clock = time + draws.spread("gap", _TIME, user)
            if not funnel.decide_at_end and buys.any():
                next_clock[buys] = bought_at[buys] + draws.spread("comeback", _COMEBACK, user[buys])
        clock[who] = next_clock
        walking = ~ends & (next_clock < observe)
        if funnel.decide_at_end:
            finished = ends & (stage[who] == DECIDED) & (u[_DECIDE, user] < funnel.p_decide)
            _buy_after_last_touch(funnel, draws, who[finished], lane_user, last_touch, observe, rows)
            converted[who[finished]] = True
        who = who[walking]
    _organic(funnel, users.drawn, lane_user, untracked, converted, last_touch, observe, horizon, rows)


def _buy_after_last_touch(
    funnel: Funnel,
    draws: _Step,
    lanes: IntArray,
    lane_user: IntArray,
    last_touch: FloatArray,
    observe: float,
    rows: _Rows,
) -> None:
    """Users whose walk ended at the deciding stage (and who decide to buy) buy after their last touch."""
    user = lane_user[lanes]
    bought_at = last_touch[lanes] + draws.spread("delay", _DELAY, user)
    rows.separate_purchases(lanes, user, bought_at, draws.u[_VALUE, user], funnel.value, observe, funnel=True)


def _organic(
    funnel: Funnel,
    drawn: FloatArray,
    lane_user: IntArray,
    untracked: BoolArray,
    converted: BoolArray,
    last_touch: FloatArray,
    observe: float,
    horizon: float,
    rows: _Rows,
) -> None:
    """Organic demand: untracked buyers, and users the funnel did not convert who buy anyway."""
    organic = drawn[_U_ORGANIC, lane_user] < funnel.baseline if funnel.baseline > 0 else np.zeros(len(lane_user), bool)
    lanes = np.flatnonzero(untracked | (~converted & organic))
    user = lane_user[lanes]
    touched = ~np.isnan(last_touch[lanes])
    span = horizon if funnel.arrival_days is None else min(horizon, observe)
    uniform = drawn[_U_ORGANIC_TIME, user]
    when = np.where(touched, last_touch[lanes] + funnel.delay.draw(uniform), uniform * span)
    rows.separate_purchases(lanes, user, when, drawn[_U_ORGANIC_VALUE, user], funnel.value, observe, funnel=False)


def _lift_sets(funnel: Funnel, on: BoolArray) -> FloatArray:
    """The lift table with only the channels switched on in each row of ``on`` (sets x channels)."""
    lift = np.asarray(funnel.lift, dtype=np.float64)
    sets: FloatArray = np.where(on[:, :, None], lift[None, :, :], 0.0)
    return sets


def run_funnel(funnel: Funnel, n_users: int, seed: int) -> FunnelLog:
    """The factual walk of ``n_users`` users (every channel on), as an event log."""
    rows = _Rows(n_users, log=True)
    lanes = np.arange(n_users, dtype=np.int64)
    _walk(
        funnel,
        seed,
        n_users,
        _users(funnel, seed, n_users),
        _lift_sets(funnel, np.ones((1, len(funnel.channels)), dtype=bool)),
        np.zeros(n_users, dtype=np.int64),
        lanes,
        rows,
    )
    if rows.chunks:
        user, time, channel, converted, value, stage = (np.concatenate(part) for part in zip(*rows.chunks, strict=True))
    else:
        user, time, channel = np.zeros(0, np.int64), np.zeros(0), np.zeros(0, np.int64)
        converted, value, stage = np.zeros(0, bool), np.zeros(0), np.zeros(0, np.int8)
    order = np.lexsort((~converted, time, user))  # a conversion on a touch's own time follows the touch
    return FunnelLog(
        user=user[order].astype(np.int64),
        time=time[order],
        channel=channel[order].astype(np.int64),
        converted=converted[order],
        value=value[order],
        stage=stage[order].astype(np.int8),
        funnel_conversions=int(rows.funnel.sum()),
    )


def funnel_conversions(funnel: Funnel, n_users: int, seed: int, on: BoolArray) -> IntArray:
    """Conversions in the log of each replay: row s of ``on`` (sets x channels) says which channels are on."""
    on = np.atleast_2d(np.asarray(on, dtype=bool))
    users = _users(funnel, seed, n_users)
    reached = _exogenous_reach(funnel, seed, n_users, users)
    if reached is not None:
        return _conversions_by_reached_channels(funnel, seed, n_users, users, on, reached)
    lift_sets = _lift_sets(funnel, on)
    counts = np.zeros(len(on), dtype=np.int64)
    per_block = max(1, _BLOCK_LANES // max(n_users, 1))
    for first in range(0, len(on), per_block):
        sets = np.arange(first, min(first + per_block, len(on)))
        rows = _Rows(len(sets) * n_users, log=False)
        lane_set = np.repeat(np.arange(len(sets), dtype=np.int64), n_users)
        lane_user = np.tile(np.arange(n_users, dtype=np.int64), len(sets))
        _walk(funnel, seed, n_users, users, lift_sets[sets], lane_set, lane_user, rows)
        counts[sets] = np.bincount(lane_set, weights=rows.counts, minlength=len(sets)).astype(np.int64)
    return counts


def _exogenous_reach(funnel: Funnel, seed: int, n_users: int, users: _Users) -> IntArray | None:
    """Each user's reachable channels as a bitmask, when they do not depend on the walk; else None.

    With one reach for every stage and a touch budget, the channel of each step is fixed
    by the step's numbers alone, so a user's walk depends on the channels switched on
    only through the channels among the user's budgeted touches.
    """
    cumulative = funnel.cumulative_reach()
    if funnel.mean_touches is None or len(funnel.channels) > 62 or len(np.unique(cumulative, axis=0)) > 1:
        return None
    reached = np.zeros(n_users, dtype=np.int64)
    for step in range(int(users.budget.max(initial=0))):
        within = np.flatnonzero(users.budget > step)
        channel = _Step(funnel, seed, step, n_users, cumulative).channel_of(within, np.zeros(len(within), np.int8))
        reached[within] |= np.left_shift(1, channel)
    return reached


def _conversions_by_reached_channels(
    funnel: Funnel, seed: int, n_users: int, users: _Users, on: BoolArray, reached: IntArray
) -> IntArray:
    """Replay each user once per subset of the user's reachable channels, then add up per set.

    v(S) = sum over users of f_u(S & K_u): a user reaching k channels needs 2^k walks,
    however many of the 2^C sets are asked for.
    """
    n = len(funnel.channels)
    bits = np.left_shift(1, np.arange(n, dtype=np.int64))
    on_bits = (on.astype(np.int64) * bits).sum(axis=1)
    # users grouped by the channels they reach (bitmasks below 2^C: counted, not sorted by value)
    members = np.argsort(reached, kind="stable")
    groups, starts = np.unique(reached[members], return_index=True)
    bounds = np.append(starts, len(members))
    # With no channel on nobody moves: a user's only conversion is organic (no walk needed).
    organic = users.untracked | (users.drawn[_U_ORGANIC] < funnel.baseline)
    lane_user_parts, lane_key_parts, subsets = [], [], []
    for g, mask in enumerate(groups.tolist()):
        subs = _submasks(int(mask), bits)  # sorted: the empty set first
        users_in = members[bounds[g] : bounds[g + 1]]
        lane_user_parts.append(np.repeat(users_in.astype(np.int32), len(subs) - 1))  # int32: lanes are many
        lane_key_parts.append(np.tile(subs[1:], len(users_in)))
        subsets.append(subs)
    lane_user = np.concatenate(lane_user_parts)
    lane_key = np.concatenate(lane_key_parts)
    del lane_user_parts, lane_key_parts
    rows = _Rows(len(lane_user), log=False)
    if len(lane_user):
        keys = np.unique(np.concatenate(subsets))  # the few distinct subsets, not one per lane
        lane_set = np.searchsorted(keys, lane_key).astype(np.int32)
        del lane_key
        on_sets = (keys[:, None] & bits) > 0
        _walk(funnel, seed, n_users, users, _lift_sets(funnel, on_sets), lane_set, lane_user, rows)
    counts = np.zeros(len(on), dtype=np.int64)
    start = 0
    for g, subs in enumerate(subsets):  # per group of users reaching the same channels
        users_in = members[bounds[g] : bounds[g + 1]]
        walked = len(users_in) * (len(subs) - 1)
        block = np.empty(len(subs), dtype=np.int64)
        block[0] = int(organic[users_in].sum())
        block[1:] = rows.counts[start : start + walked].reshape(len(users_in), len(subs) - 1).sum(axis=0)
        start += walked
        counts += block[np.searchsorted(subs, on_bits & int(groups[g]))]
    return counts


def _submasks(mask: int, bits: IntArray) -> IntArray:
    """Every subset of ``mask``, as sorted bitmasks."""
    members = bits[(bits & mask) > 0]
    chosen = (np.arange(1 << len(members), dtype=np.int64)[:, None] >> np.arange(len(members))) & 1
    return np.sort((chosen * members).sum(axis=1))


def funnel_truth(
    funnel: Funnel, n_users: int, seed: int, *, shapley: bool = True
) -> tuple[IntArray, FloatArray, int, int]:
    """Conversions lost when each channel alone is off, the exact Shapley values, v(all) and v(∅).

    The Shapley values are those of v(S) = conversions with only S on, from all 2^C
    replays (NaN when ``shapley`` is false).
    """
    n = len(funnel.channels)
    bits = np.left_shift(1, np.arange(n, dtype=np.int64))
    full = (1 << n) - 1
    # the coalitions asked for, as bitmasks: every one for the Shapley values, else all, all but one, none
    masks = np.arange(1 << n, dtype=np.int64) if shapley else np.array([full, *(full ^ bits), 0], dtype=np.int64)
    values = funnel_conversions(funnel, n_users, seed, (masks[:, None] & bits) > 0)
    total = int(values[full] if shapley else values[0])
    without = int(values[0] if shapley else values[-1])
    lost = values[full ^ bits] if shapley else values[1 : n + 1]
    incremental = total - lost.astype(np.int64)
    if not shapley:
        return incremental, np.full(n, np.nan), total, without
    phi, _ = exact_shapley(values.astype(np.float64), n)
    return incremental, phi, total, without


def truth_table(names: Sequence[str], incremental: npt.ArrayLike, shapley: npt.ArrayLike) -> pd.DataFrame:
    """The truth per channel: ``incremental`` and ``shapley`` conversions, and both as shares."""
    truth = pd.DataFrame(
        {
            "incremental": np.asarray(incremental, dtype=np.float64),
            "shapley": np.asarray(shapley, dtype=np.float64),
        },
        index=pd.Index(list(names), name="channel"),
    )
    truth["incremental_share"] = _shares(truth["incremental"].to_numpy())
    truth["shapley_share"] = _shares(truth["shapley"].to_numpy())
    return truth


def _shares(values: FloatArray) -> FloatArray:
    total = np.nansum(values)
    if not np.isfinite(total) or total <= 0 or np.isnan(values).all():
        return np.full(len(values), np.nan) if np.isnan(values).all() else np.zeros(len(values))
    shares: FloatArray = values / total
    return shares
