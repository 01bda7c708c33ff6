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


# Journey attributes and campaigns, drawn after the funnel from generators of their own, so the
# funnel's events (and every number computed from them) do not depend on them.
COUNTRIES = ("Indonesia", "Malaysia", "Philippines", "Singapore", "Thailand", "Vietnam")
_COUNTRY_WEIGHTS = np.array([0.30, 0.14, 0.16, 0.10, 0.18, 0.12])
_MOBILE_SHARE = np.array([0.78, 0.66, 0.80, 0.52, 0.72, 0.75])  # per country: users who prefer mobile
_OTHER_DEVICE = 0.15  # chance an event happens on the user's other device
# Campaigns per channel (names unique across channels); channels without campaigns have none.
CAMPAIGNS: dict[str, tuple[str, ...]] = {
    "Paid Search": ("search-brand", "search-generic", "search-competitor"),
    "Social": ("social-prospecting", "social-retargeting"),
    "Email": ("email-newsletter", "email-winback", "email-cart-reminder"),
    "Display": ("display-prospecting", "display-retargeting"),
    "Affiliate": ("affiliate-cashback", "affiliate-coupons"),
    "Video": ("video-brand-story",),
    "TV": ("tv-spring-sale",),
}
_SIGN_UP = {"Email": 0.05, "Social": 0.02, "Organic Search": 0.02, "Referral": 0.03}  # touch that is a sign-up


def _attributes(log: FunnelLog, n_users: int) -> dict[str, object]:
    """Country (per user), device (per event), campaign (per touch) and the event's kind."""
    rng = np.random.default_rng([SEED, 7])
    country_of_user = np.minimum(
        np.searchsorted(np.cumsum(_COUNTRY_WEIGHTS), rng.random(n_users), side="right"), len(COUNTRIES) - 1
    )
    mobile_user = rng.random(n_users) < _MOBILE_SHARE[country_of_user]
    n = len(log.user)
    mobile = mobile_user[log.user] ^ (rng.random(n) < _OTHER_DEVICE)
    campaign = np.full(n, None, dtype=object)
    pick = rng.random(n)
    sign_up = rng.random(n)
    event = np.where(log.converted, "purchase", "touch").astype(object)
    for code, channel in enumerate(CHANNELS):
        rows = log.channel == code
        names = CAMPAIGNS.get(channel)
        if names:
            campaign[rows] = np.asarray(names, dtype=object)[
                np.minimum((pick[rows] * len(names)).astype(int), len(names) - 1)
            ]
        if channel in _SIGN_UP:
            event[rows & ~log.converted & (sign_up < _SIGN_UP[channel])] = "sign-up"
    return {
        "campaign": pd.Series(campaign, dtype="str"),
        "event": pd.Series(event, dtype="str"),
        "country": pd.Series(np.asarray(COUNTRIES, dtype=object)[country_of_user[log.user]], dtype="str"),
        "device": pd.Series(np.where(mobile, "mobile", "desktop"), dtype="str"),
    }


def _to_frame(log: FunnelLog, n_users: int) -> pd.DataFrame:
    seconds = np.floor(log.time * 86_400.0)  # stays inside the quarter
    labels = np.char.add("U", np.char.zfill(np.arange(1, n_users + 1).astype(str), 6))
    names = np.array([*CHANNELS, None], dtype=object)  # code -1 picks the trailing None
    extra = _attributes(log, n_users)
    return pd.DataFrame(
        {
            "user_id": pd.Series(labels[log.user], dtype="str"),
            "timestamp": (START + seconds.astype("timedelta64[s]")).astype("datetime64[ns]"),
            "channel": pd.Series(names[log.channel], dtype="str"),
            "campaign": extra["campaign"],
            "converted": log.converted,
            # a sign-up earns nothing (0, not unknown), so it may be made a goal of its own
            "revenue": np.where(np.asarray(extra["event"], dtype=object) == "sign-up", 0.0, log.value),
            "event": extra["event"],
            "country": extra["country"],
            "device": extra["device"],
        }
    )


# Spend per month, channel and campaign (currency units), as a media plan would state it.
# Organic Search, Referral and Direct have no media cost; the Store visit channel is the
# shops' local promotion budget.
_MONTHLY_SPEND = {
    ("Paid Search", "search-brand"): 3_400.0,
    ("Paid Search", "search-generic"): 6_800.0,
    ("Paid Search", "search-competitor"): 2_100.0,
    ("Social", "social-prospecting"): 4_200.0,
    ("Social", "social-retargeting"): 1_900.0,
    ("Email", "email-newsletter"): 450.0,
    ("Email", "email-winback"): 300.0,
    ("Email", "email-cart-reminder"): 250.0,
    ("Display", "display-prospecting"): 3_900.0,
    ("Display", "display-retargeting"): 1_700.0,
    ("Affiliate", "affiliate-cashback"): 1_600.0,
    ("Affiliate", "affiliate-coupons"): 1_100.0,
    ("Video", "video-brand-story"): 5_200.0,
    ("TV", "tv-spring-sale"): 12_000.0,
    ("Store visit", None): 2_500.0,
}


def generate_spend() -> pd.DataFrame:
    """The sample's media spend: one row per month, channel and campaign (same every month, with a spring push)."""
    months = pd.period_range("2025-03", "2025-05", freq="M")
    push = {"2025-03": 0.9, "2025-04": 1.0, "2025-05": 1.15}  # budgets grow into the spring sale
    rows = [
        (month, channel, campaign, round(amount * push[str(month)], 2))
        for month in months
        for (channel, campaign), amount in _MONTHLY_SPEND.items()
    ]
    return pd.DataFrame(rows, columns=["month", "channel", "campaign", "spend"])


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
