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

The funnel is the one of :mod:`attribution.evaluate.funnel` (the simulator behind
:func:`attribution.evaluate.simulate`), so the sample has a known truth: the
conversions each channel causes, from replays with the channel switched off under
common random numbers (:func:`attribution.datasets.load_sample_truth`).
"""

from __future__ import annotations

import functools

import numpy as np
import numpy.typing as npt
import pandas as pd

from attribution.evaluate.funnel import Funnel, FunnelLog, Spread, run_funnel
from attribution.journeys import Journeys

__all__ = [
    "CHANNELS",
    "FUNNEL",
    "N_USERS",
    "SEED",
    "TRUTH_CONVERSIONS",
    "TRUTH_INCREMENTAL",
    "TRUTH_SHAPLEY_TIMES_420",
    "TRUTH_WITHOUT_CHANNELS",
    "generate_events",
    "generate_paths",
]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

SEED = 20250301
N_USERS = 50_000
START = np.datetime64("2025-03-01T00:00:00", "s")

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

FUNNEL = Funnel(
    channels=CHANNELS,
    reach=_REACH,
    lift=np.minimum(_ADVANCE * _LIFT, 0.95),  # probability that a touch moves the user on
    start=_START_STAGE,
    leave=_DROP_OUT,
    repeat=0.25,  # a buyer starts another journey (they know the shop: at the considering stage)
    untracked=0.0015,  # users whose only event is a purchase with no tracked touch
    same_row=_SAME_ROW,
    horizon_days=90.0,
    arrival_days=84.0,  # first touches arrive over the quarter, early enough to be seen
    observe_days=90.0,  # events after the quarter are not in the log
    gap=Spread(18 / 24, 1.1, 0.25 / 24, 20.0),  # days until the next touch
    delay=Spread(20 / 1440, 0.8, 1 / 1440, 6 / 24),  # purchase after the last click
    comeback=Spread(14.0, 0.5, 2.0, 60.0),  # until a buyer's next journey
    value=Spread(65.0, 0.6, 4.0, 2_000.0),  # order values, rounded to cents
    max_steps=60,
)


# The sample's truth, from replays of the funnel above (2^11 of them for the Shapley values;
# about a minute, so the numbers are kept here and ``benchmarks/sample_truth.py`` recomputes
# them). Shapley values of a game with 11 players and integer values are multiples of
# 1/27720; these happen to be multiples of 1/420 and are kept as exact fractions.
TRUTH_INCREMENTAL = (814, 556, 362, 615, 277, 304, 348, 305, 282, 265, 505)
TRUTH_SHAPLEY_TIMES_420 = (217970, 140648, 74972, 159109, 55596, 68676, 93636, 75938, 53832, 49984, 134399)
TRUTH_CONVERSIONS = 2758  # v(every channel): the purchases in the log
TRUTH_WITHOUT_CHANNELS = 80  # v(no channel): the untracked purchases


def _to_frame(log: FunnelLog, n_users: int) -> pd.DataFrame:
    seconds = np.floor(log.time * 86_400.0)  # stays inside the quarter
    labels = np.char.add("U", np.char.zfill(np.arange(1, n_users + 1).astype(str), 6))
    names = np.array([*CHANNELS, None], dtype=object)  # code -1 picks the trailing None
    return pd.DataFrame(
        {
            "user_id": pd.Series(labels[log.user], dtype="str"),
            "timestamp": (START + seconds.astype("timedelta64[s]")).astype("datetime64[ns]"),
            "channel": pd.Series(names[log.channel], dtype="str"),
            "converted": log.converted,
            "revenue": log.value,
        }
    )


@functools.lru_cache(maxsize=1)
def generate_events() -> pd.DataFrame:
    """The sample event log, generated once and cached (callers must copy it)."""
    return _to_frame(run_funnel(FUNNEL, N_USERS, SEED), N_USERS)


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
