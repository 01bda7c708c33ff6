"""The simulated event log of *Larkspur & Co.*, a fictional home-goods retailer.

Larkspur & Co. sells online and in its shops, and advertises on eleven channels.
This module simulates one quarter (90 days from 1 March 2025) of its customers'
journeys; **no real data is used**: every user, time and amount is drawn from the
funnel below with a fixed seed, so the sample is the same on every run.

What is simulated
-----------------
Each of 50,000 users moves through a purchase funnel, *awareness* →
*consideration* → *decision* → *purchase*. Most start unaware, some are already
considering a purchase and a few have nearly decided.
At every step of the loop the user is touched by one channel, drawn from the
channel's **reach** at the user's stage: TV, Video, Display and Social mostly
reach people early; Email, Paid Search, Direct and the Store visit late. The
touch then moves the user to the next stage with a base probability times the
channel's **lift** at that stage (so a channel can be frequent late in journeys
without causing much, as Direct is); otherwise the user may drop out. A user
who advances past *decision* purchases.

The log shows the quirks a real one has, which the library must handle:

- most users never buy (about 5 % of journeys convert);
- a purchase is usually a separate row with no channel, minutes after the last
  touch; but a Store visit, a Paid Search click or a Direct visit can convert
  on the touch's own row (channel set *and* ``converted`` true);
- about a quarter of buyers come back two weeks or so later, ready to decide,
  for a second journey that may end in another purchase;
- a few buyers have no tracked touch at all (a conversion row with a null
  channel and nothing before it);
- touches are hours to days apart, journeys are cut at the end of the quarter,
  and order values are lognormal.

Every random draw is a uniform from :func:`numpy.random.default_rng` (normals
come from the Box-Muller transform), because numpy keeps the uniform stream
stable across versions while other distributions may change.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt
import pandas as pd

from attribution.journeys import Journeys

__all__ = ["CHANNELS", "N_USERS", "SEED", "generate_events", "generate_paths"]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

SEED = 20250301
N_USERS = 50_000
START = np.datetime64("2025-03-01T00:00:00", "s")
_DAY = 86_400.0
_HOUR = 3_600.0
_HORIZON = 90 * _DAY  # events after the quarter are not in the log
_ARRIVAL_SPAN = 84 * _DAY  # first touches arrive over the quarter, early enough to be seen
_MAX_STEPS = 60  # safety bound on the loop; journeys end far sooner (drop-out, horizon)

CHANNELS = (
    "Paid Search",
    "Organic Search",
    "Social",
    "Email",
    "Display",
    "Referral",
    "Direct",
    "Affiliate",
    "Video",
    "TV",
    "Store visit",
)

# Per channel, one column per stage (awareness, consideration, decision).
# Reach: relative chance that a user's touch at that stage is on the channel.
_REACH = np.array(
    [
        [0.06, 0.14, 0.22],  # Paid Search
        [0.08, 0.16, 0.12],  # Organic Search
        [0.20, 0.10, 0.03],  # Social
        [0.02, 0.12, 0.16],  # Email
        [0.20, 0.08, 0.03],  # Display
        [0.04, 0.08, 0.05],  # Referral
        [0.02, 0.06, 0.16],  # Direct
        [0.04, 0.08, 0.08],  # Affiliate
        [0.16, 0.06, 0.02],  # Video
        [0.16, 0.04, 0.01],  # TV
        [0.02, 0.08, 0.12],  # Store visit
    ]
)
# Lift: multiplier of the base probability of moving on to the next stage after a touch.
_LIFT = np.array(
    [
        [0.8, 1.1, 1.6],  # Paid Search
        [0.9, 1.2, 1.2],  # Organic Search
        [1.2, 0.9, 0.6],  # Social
        [0.6, 1.2, 1.4],  # Email
        [1.1, 0.7, 0.5],  # Display
        [1.0, 1.3, 1.1],  # Referral
        [0.6, 0.9, 1.0],  # Direct: frequent before purchases, little effect of its own
        [0.9, 1.0, 1.3],  # Affiliate
        [1.4, 0.8, 0.5],  # Video
        [1.5, 0.7, 0.4],  # TV
        [0.8, 1.2, 1.8],  # Store visit
    ]
)
_ADVANCE = np.array([0.09, 0.10, 0.08])  # base probability of moving on, per stage
_DROP_OUT = np.array([0.35, 0.24, 0.22])  # chance to leave after a touch that did not move the user on
_START_STAGE = np.array([0.80, 0.17, 0.03])  # where users enter the funnel
# Chance that a purchase right after a touch on the channel is recorded on the touch's own row.
_SAME_ROW = np.array([0.25, 0.0, 0.0, 0.0, 0.0, 0.0, 0.2, 0.0, 0.0, 0.0, 0.85])
_REPEAT = 0.25  # chance that a buyer starts another journey (they know the shop: at the decision stage)
_UNTRACKED = 0.0015  # share of users whose only event is a purchase with no tracked touch

_CUMULATIVE_REACH = np.cumsum(_REACH / _REACH.sum(axis=0), axis=0).T  # (stage, channel)
_CUMULATIVE_START = np.cumsum(_START_STAGE / _START_STAGE.sum())


@dataclass
class _Log:
    """Events collected step by step, as column chunks."""

    user: list[IntArray] = field(default_factory=list)
    time: list[FloatArray] = field(default_factory=list)
    channel: list[IntArray] = field(default_factory=list)  # -1: no channel
    revenue: list[FloatArray] = field(default_factory=list)  # NaN: not a conversion

    def add(self, user: IntArray, time: FloatArray, channel: IntArray, revenue: FloatArray) -> None:
        self.user.append(user)
        self.time.append(time)
        self.channel.append(channel)
        self.revenue.append(revenue)


def _normal(rng: np.random.Generator, n: int) -> FloatArray:
    """Standard normals from uniforms (Box-Muller), stable across numpy versions."""
    radius = np.sqrt(-2.0 * np.log1p(-rng.random(n)))  # 1 - U lies in (0, 1]: the log is finite
    normals: FloatArray = radius * np.cos(2.0 * np.pi * rng.random(n))
    return normals


def _lognormal(rng: np.random.Generator, n: int, median: float, sigma: float, low: float, high: float) -> FloatArray:
    return np.clip(median * np.exp(sigma * _normal(rng, n)), low, high)


def _revenue(rng: np.random.Generator, n: int) -> FloatArray:
    """Order values: lognormal, median 65, rounded to cents."""
    return np.round(_lognormal(rng, n, 65.0, 0.6, 4.0, 2_000.0), 2)


def _draw(cumulative: FloatArray, u: FloatArray) -> IntArray:
    """Inverse-CDF draws: one category per row of ``cumulative`` (rows end at 1)."""
    drawn: IntArray = np.minimum((u[:, None] > cumulative).sum(axis=1), cumulative.shape[1] - 1).astype(np.int64)
    return drawn


def _step(
    rng: np.random.Generator,
    log: _Log,
    users: IntArray,
    stage: IntArray,
    clock: FloatArray,
    active: npt.NDArray[np.bool_],
) -> None:
    """One touch for every active user, then their move through the funnel (in place)."""
    who = np.flatnonzero(active)
    n = len(who)
    at = stage[who]
    channel = _draw(_CUMULATIVE_REACH[at], rng.random(n))
    moves = rng.random(n) < np.minimum(_ADVANCE[at] * _LIFT[channel, at], 0.95)
    leaves = ~moves & (rng.random(n) < _DROP_OUT[at])
    same_row = rng.random(n) < _SAME_ROW[channel]
    returns = rng.random(n) < _REPEAT
    delay = _lognormal(rng, n, 20 * 60.0, 0.8, 60.0, 6 * _HOUR)  # purchase after the last click
    gap = _lognormal(rng, n, 18 * _HOUR, 1.1, 0.25 * _HOUR, 20 * _DAY)  # until the next touch
    comeback = _lognormal(rng, n, 14 * _DAY, 0.5, 2 * _DAY, 60 * _DAY)  # until a buyer's next journey
    revenue = _revenue(rng, n)

    buys = moves & (at == 2)
    on_row = buys & same_row
    apart = buys & ~same_row
    touch_time = clock[who]
    log.add(users[who], touch_time, channel, np.where(on_row, revenue, np.nan))
    log.add(users[who[apart]], touch_time[apart] + delay[apart], np.full(int(apart.sum()), -1), revenue[apart])

    bought_at = np.where(on_row, touch_time, touch_time + delay)
    stage[who] = np.where(buys, 2, np.where(moves, at + 1, at))
    clock[who] = np.where(buys, bought_at + comeback, touch_time + gap)
    active[who] = ~leaves & ~(buys & ~returns) & (clock[who] < _HORIZON)


def _untracked_purchases(rng: np.random.Generator, log: _Log, users: IntArray) -> None:
    """Buyers seen only at the till: one conversion row with no channel."""
    n = len(users)
    log.add(users, rng.random(n) * _HORIZON, np.full(n, -1), _revenue(rng, n))


def _simulate(rng: np.random.Generator, n_users: int) -> _Log:
    log = _Log()
    untracked = rng.random(n_users) < _UNTRACKED
    users = np.arange(n_users, dtype=np.int64)
    stage = _draw(np.broadcast_to(_CUMULATIVE_START, (n_users, 3)), rng.random(n_users))
    clock = rng.random(n_users) * _ARRIVAL_SPAN
    active = ~untracked
    _untracked_purchases(rng, log, users[untracked])
    for _ in range(_MAX_STEPS):  # a loop over journey steps, vectorised over users
        if not active.any():
            break
        _step(rng, log, users, stage, clock, active)
    return log


def _to_frame(log: _Log, n_users: int) -> pd.DataFrame:
    user = np.concatenate(log.user)
    seconds = np.round(np.concatenate(log.time))
    channel = np.concatenate(log.channel)
    revenue = np.concatenate(log.revenue)
    # Journeys are cut at the end of the quarter: a purchase after it is not in the log.
    seen = seconds < _HORIZON
    order = np.flatnonzero(seen)[np.lexsort((seconds[seen], user[seen]))]  # no ties within a user
    labels = np.char.add("U", np.char.zfill(np.arange(1, n_users + 1).astype(str), 6))
    names = np.array([*CHANNELS, None], dtype=object)  # code -1 picks the trailing None
    return pd.DataFrame(
        {
            "user_id": pd.Series(labels[user[order]], dtype="str"),
            "timestamp": (START + seconds[order].astype("timedelta64[s]")).astype("datetime64[ns]"),
            "channel": pd.Series(names[channel[order]], dtype="str"),
            "converted": ~np.isnan(revenue[order]),
            "revenue": revenue[order],
        }
    )


@functools.lru_cache(maxsize=1)
def generate_events() -> pd.DataFrame:
    """The sample event log, generated once and cached (callers must copy it)."""
    rng = np.random.default_rng(SEED)
    return _to_frame(_simulate(rng, N_USERS), N_USERS)


@functools.lru_cache(maxsize=1)
def generate_paths() -> pd.DataFrame:
    """The sample's path table, built once and cached (callers must copy it)."""
    journeys = Journeys.from_events(
        generate_events(),
        user="user_id",
        time="timestamp",
        channel="channel",
        conversion="converted",
        value="revenue",
    )
    table = journeys.aggregate().to_frame()
    table = table.assign(_journeys=table["conversions"] + table["nulls"])
    table = table.sort_values(["_journeys", "path"], ascending=[False, True], kind="stable")
    return table.drop(columns="_journeys").reset_index(drop=True)
