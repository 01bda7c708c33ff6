"""The bundled sample: deterministic, copy-safe, realistic, and consistent with the builders."""

from __future__ import annotations

import subprocess
import sys
import time

import numpy as np
import pandas as pd
import pytest

from attribution import Journeys
from attribution.datasets import _sample, load_sample_events, load_sample_paths, load_sample_spend, load_sample_truth
from attribution.evaluate.funnel import funnel_conversions, funnel_truth

CHANNELS = {
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
}


@pytest.fixture(scope="module")
def events() -> pd.DataFrame:
    return load_sample_events()


@pytest.fixture(scope="module")
def journeys(events: pd.DataFrame) -> Journeys:
    return Journeys.from_events(
        events, user="user_id", time="timestamp", channel="channel", conversion="converted", value="revenue"
    )


# ---------------------------------------------------------------------- determinism and copies
def test_two_calls_give_equal_frames() -> None:
    pd.testing.assert_frame_equal(load_sample_events(), load_sample_events())
    pd.testing.assert_frame_equal(load_sample_paths(), load_sample_paths())


def test_generation_from_scratch_reproduces_the_cached_frame_quickly(events: pd.DataFrame) -> None:
    start = time.perf_counter()
    fresh = _sample.generate_events.__wrapped__()
    elapsed = time.perf_counter() - start
    pd.testing.assert_frame_equal(fresh, events)
    assert elapsed < 2.0


def test_mutating_the_returned_events_does_not_change_the_next_call() -> None:
    first = load_sample_events()
    expected = first.copy(deep=True)
    first["revenue"] = 0.0
    first.loc[0, "channel"] = "Carrier pigeon"
    first.loc[first.index[:10], "converted"] = True
    pd.testing.assert_frame_equal(load_sample_events(), expected)


def test_mutating_the_returned_paths_does_not_change_the_next_call() -> None:
    first = load_sample_paths()
    expected = first.copy(deep=True)
    first["conversions"] = -1.0
    first.loc[0, "path"] = "nowhere"
    pd.testing.assert_frame_equal(load_sample_paths(), expected)


# ---------------------------------------------------------------------- shape of the event log
def test_columns_and_dtypes(events: pd.DataFrame) -> None:
    assert list(events.columns) == [
        "user_id",
        "timestamp",
        "channel",
        "campaign",
        "converted",
        "revenue",
        "event",
        "country",
        "device",
    ]
    assert pd.api.types.is_string_dtype(events["user_id"])
    assert events["timestamp"].dtype == np.dtype("datetime64[ns]")  # naive, nanoseconds
    assert pd.api.types.infer_dtype(events["channel"], skipna=True) == "string"  # object on pandas 2, str on 3
    assert events["converted"].dtype == np.dtype(bool)
    assert events["revenue"].dtype == np.dtype("float64")
    assert isinstance(events.index, pd.RangeIndex)


def test_values_follow_the_documented_rules(events: pd.DataFrame) -> None:
    converted = events["converted"].to_numpy()
    revenue = events["revenue"].to_numpy()
    sign_up = (events["event"] == "sign-up").to_numpy()
    assert np.isnan(revenue[~converted & ~sign_up]).all()
    assert (revenue[sign_up] == 0).all()  # a sign-up earns nothing: 0, so it can be a goal of its own
    assert (revenue[converted] > 0).all()
    assert events.loc[events["channel"].isna(), "converted"].all()  # only conversions lack a channel
    assert events["user_id"].str.fullmatch(r"U\d{6}").all()
    assert events["user_id"].notna().all()
    assert events["timestamp"].notna().all()


def test_about_fifty_thousand_users_and_the_eleven_channels(events: pd.DataFrame) -> None:
    assert events["user_id"].nunique() == 50_000
    assert set(events["channel"].dropna().unique()) == CHANNELS


def test_events_are_sorted_by_user_then_time(events: pd.DataFrame) -> None:
    ordered = events.sort_values(["user_id", "timestamp"], kind="stable", ignore_index=True)
    pd.testing.assert_frame_equal(ordered, events)


def test_times_span_about_ninety_days_of_2025_with_gaps_of_hours_to_days(events: pd.DataFrame) -> None:
    times = events["timestamp"]
    assert times.min() >= pd.Timestamp("2025-03-01")
    assert times.max() < pd.Timestamp("2025-05-30")
    assert times.max() - times.min() > pd.Timedelta(days=85)
    gaps = times.groupby(events["user_id"]).diff().dropna()
    touch_gaps = gaps[events.loc[gaps.index, "channel"].notna().to_numpy()]
    assert pd.Timedelta(hours=2) < touch_gaps.median() < pd.Timedelta(days=3)
    assert touch_gaps.max() > pd.Timedelta(days=7)


def test_upper_funnel_channels_come_early_and_lower_funnel_late(events: pd.DataFrame) -> None:
    touches = events[events["channel"].notna()]
    position = touches.groupby("user_id").cumcount()
    mean_position = position.groupby(touches["channel"]).mean()
    for early in ("TV", "Video", "Display", "Social"):
        for late in ("Email", "Paid Search", "Direct"):
            assert mean_position[early] < mean_position[late], (early, late)


# ---------------------------------------------------------------------- realistic features
def test_most_journeys_do_not_convert(journeys: Journeys) -> None:
    rate = journeys.total_conversions / journeys.n_journeys
    assert 0.03 <= rate <= 0.08


def test_some_users_buy_more_than_once(events: pd.DataFrame) -> None:
    purchases = events.loc[events["converted"], "user_id"].value_counts()
    assert (purchases > 1).sum() >= 50


def test_a_few_purchases_have_no_tracked_touch(events: pd.DataFrame, journeys: Journeys) -> None:
    first = events.groupby("user_id").head(1)
    touchless = first["converted"] & first["channel"].isna()
    n_conversions = int(events["converted"].sum())
    assert 0 < touchless.sum() < 0.1 * n_conversions
    # every such purchase becomes an empty path, reported as unattributed
    assert journeys.unattributed_conversions == touchless.sum()


def test_some_purchases_share_the_row_of_a_touch_but_most_are_separate(events: pd.DataFrame) -> None:
    conversions = events[events["converted"]]
    on_touch = conversions["channel"].notna()
    assert 0 < on_touch.sum() < 0.5 * len(conversions)
    assert set(conversions.loc[on_touch, "channel"]) <= {"Store visit", "Paid Search", "Direct"}
    # a separate purchase comes shortly after the user's previous event (the last touch)
    separate = conversions.index[~on_touch.to_numpy()]
    previous = events["timestamp"].shift(1)
    same_user = events["user_id"].shift(1) == events["user_id"]
    delay = (events["timestamp"] - previous)[separate[same_user[separate].to_numpy()]]
    assert pd.Timedelta(delay.median()) < pd.Timedelta(hours=1)
    assert delay.max() <= pd.Timedelta(hours=6)


def test_revenue_is_right_skewed(events: pd.DataFrame) -> None:
    revenue = events["revenue"].dropna()
    assert 20 < revenue.median() < 200
    assert revenue.mean() > revenue.median()  # lognormal: a long right tail
    assert revenue.max() > 5 * revenue.median()


# ---------------------------------------------------------------------- consistency with the builders
@pytest.mark.parametrize("split", [True, False])
def test_building_journeys_keeps_every_conversion_and_all_revenue(events: pd.DataFrame, split: bool) -> None:
    built = Journeys.from_events(
        events,
        user="user_id",
        time="timestamp",
        channel="channel",
        conversion="converted",
        value="revenue",
        split_on_conversion=split,
    )
    assert built.total_conversions == events["converted"].sum()
    assert built.total_value == pytest.approx(events["revenue"].sum(), rel=1e-12)
    assert set(built.channels) == CHANNELS


def test_paths_have_the_chattribution_columns_one_row_per_path_sorted() -> None:
    paths = load_sample_paths()
    assert list(paths.columns) == ["path", "conversions", "nulls", "value"]
    assert paths["path"].is_unique
    assert isinstance(paths.index, pd.RangeIndex)
    volume = (paths["conversions"] + paths["nulls"]).to_numpy()
    assert (np.diff(volume) <= 0).all()
    for _, tied in paths.groupby(volume, sort=False)["path"]:
        assert tied.is_monotonic_increasing
    assert "" in set(paths["path"])  # purchases with no tracked touch


def test_paths_totals_equal_the_events_totals(events: pd.DataFrame, journeys: Journeys) -> None:
    paths = load_sample_paths()
    assert paths["conversions"].sum() == events["converted"].sum()
    assert paths["value"].sum() == pytest.approx(events["revenue"].sum(), rel=1e-12)
    assert paths["conversions"].sum() + paths["nulls"].sum() == journeys.n_journeys


def test_paths_read_back_to_the_aggregated_events(journeys: Journeys) -> None:
    paths = load_sample_paths()
    back = Journeys.from_paths(paths, path="path", conversions="conversions", nulls="nulls", value="value")
    assert back.equals(journeys.aggregate(), ignore_order=True)


def test_import_attribution_does_not_load_the_sample_or_the_cli() -> None:
    code = "import sys, attribution; print(sorted(m for m in sys.modules if m.startswith(('attribution.datasets', 'attribution.cli'))))"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout == "[]\n"


# ---------------------------------------------------------------------- the known truth
def test_the_sample_with_truth_holds_the_same_events_and_a_truth_per_channel(events: pd.DataFrame) -> None:
    sample = load_sample_events(with_truth=True)
    pd.testing.assert_frame_equal(sample.events, events)
    assert set(sample.truth.index) == CHANNELS
    assert sample.conversions == int(events["converted"].sum())
    pd.testing.assert_frame_equal(sample.truth, load_sample_truth())


def test_the_kept_incremental_truth_is_what_replaying_the_funnel_gives() -> None:
    """The kept numbers are the funnel's: every channel switched off in turn (13 replays,
    about a second), and v(all) and v(none) are the purchases in the log and the untracked ones."""
    incremental, _, total, without = funnel_truth(_sample.FUNNEL, _sample.N_USERS, _sample.SEED, shapley=False)
    assert incremental.tolist() == list(_sample.TRUTH_INCREMENTAL)
    assert (total, without) == (_sample.TRUTH_CONVERSIONS, _sample.TRUTH_WITHOUT_CHANNELS)


def test_the_kept_shapley_truth_is_efficient_and_spot_checks_against_replays() -> None:
    """Σφ = v(all) − v(∅) exactly (the values are kept as multiples of 1/420). A full recompute
    takes 2^11 replays (``benchmarks/sample_truth.py``); here, besides efficiency, each φ is
    checked to lie between the channel's marginal contribution to the empty coalition
    (v({c}) − v(∅), 12 replays) and to all the others (its incremental conversions): φ is a
    weighted mean of marginal contributions, which in a game of complements like this funnel's
    grow with the coalition, so the two ends bound it."""
    truth = load_sample_truth()
    assert sum(_sample.TRUTH_SHAPLEY_TIMES_420) == 420 * (_sample.TRUTH_CONVERSIONS - _sample.TRUTH_WITHOUT_CHANNELS)
    alone = np.eye(len(_sample.CHANNELS), dtype=bool)
    on_alone = funnel_conversions(_sample.FUNNEL, _sample.N_USERS, _sample.SEED, alone) - _sample.TRUTH_WITHOUT_CHANNELS
    lower = np.minimum(on_alone, truth["incremental"].to_numpy())
    upper = np.maximum(on_alone, truth["incremental"].to_numpy())
    assert ((truth["shapley"].to_numpy() >= lower) & (truth["shapley"].to_numpy() <= upper)).all()


# ---------------------------------------------------------------------- attributes, goals, campaigns, spend
def test_campaigns_belong_to_one_channel_each(events: pd.DataFrame) -> None:
    pairs = events.dropna(subset=["campaign"]).groupby("campaign")["channel"].nunique()
    assert (pairs == 1).all()
    assert len(pairs) >= 10
    assert events.loc[events["channel"].isin(["Direct", "Organic Search", "Referral"]), "campaign"].isna().all()


def test_events_carry_a_country_per_user_a_device_and_two_goals(events: pd.DataFrame) -> None:
    assert events.groupby("user_id")["country"].nunique().max() == 1
    assert set(events["device"]) == {"mobile", "desktop"}
    assert events["event"].value_counts().to_dict().keys() == {"touch", "purchase", "sign-up"}
    assert (events["event"].eq("purchase") == events["converted"]).all()
    assert events.loc[events["event"].eq("sign-up"), "channel"].notna().all()  # sign-ups happen on touches


def test_the_two_goals_build_their_own_journeys(events: pd.DataFrame) -> None:
    goals = Journeys.from_events(
        # a sign-up has no order value: 0 on its row, so every conversion of either goal has one
        events.assign(
            goal=events["event"].ne("touch"), revenue=events["revenue"].mask(events["event"].eq("sign-up"), 0.0)
        ),
        user="user_id",
        time="timestamp",
        channel="channel",
        conversion="goal",
        value="revenue",
        conversion_type="event",
        segments=["country", "device"],
    )
    assert goals.conversion_types == ("purchase", "sign-up")
    purchases = goals.filter(conversion_type="purchase")
    plain = Journeys.from_events(
        events, user="user_id", time="timestamp", channel="channel", conversion="converted", value="revenue"
    )
    assert purchases.total_conversions == plain.total_conversions
    assert purchases.total_value == pytest.approx(plain.total_value)
    assert goals.filter(conversion_type="sign-up").total_conversions == int(events["event"].eq("sign-up").sum())


def test_spend_covers_every_paid_campaign_each_month() -> None:
    spend = load_sample_spend()
    assert list(spend.columns) == ["month", "channel", "campaign", "spend"]
    assert (spend["spend"] > 0).all()
    assert spend["month"].astype(str).unique().tolist() == ["2025-03", "2025-04", "2025-05"]
    paid = {c for names in _sample.CAMPAIGNS.values() for c in names}
    assert set(spend["campaign"].dropna()) == paid
