"""From credits to decisions: journey attributes, goals, grouping and spend (SPEC §9, example E)."""

from __future__ import annotations

import math
import warnings
from typing import Any

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from attribution import (
    FirstTouch,
    JourneyError,
    Journeys,
    LastTouch,
    Linear,
    MarkovChain,
    ParameterError,
    PositionBased,
    Shapley,
    TimeDecay,
    compare,
)
from attribution.models import Counterfactual, GroupedAttribution, SmallGroupWarning

SETTINGS = settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def example_e() -> pd.DataFrame:
    """SPEC §9 example E: four users, two countries, a lead between two purchases."""
    rows = [
        (1, "ID", "2024-01-01", "Search", "brand", None, None),
        (1, "ID", "2024-01-02", "Email", "newsletter", None, None),
        (1, "ID", "2024-01-03", None, None, "purchase", 100.0),
        (2, "ID", "2024-01-01", "Social", "promo", None, None),
        (2, "ID", "2024-01-04", "Search", "generic", None, None),
        (2, "ID", "2024-01-05", None, None, "lead", 0.0),
        (2, "ID", "2024-01-06", "Email", "newsletter", None, None),
        (2, "ID", "2024-01-08", None, None, "purchase", 50.0),
        (3, "SG", "2024-01-02", "Search", "generic", None, None),
        (3, "SG", "2024-01-03", "Social", "promo", None, None),
        (4, "SG", "2024-01-30", "Email", "newsletter", None, None),
        (4, "SG", "2024-02-02", None, None, "purchase", 80.0),
    ]
    events = pd.DataFrame(rows, columns=["user", "country", "time", "channel", "campaign", "type", "value"])
    events["time"] = pd.to_datetime(events["time"])
    events["converted"] = events["type"].notna()
    return events


ARGS = {"user": "user", "time": "time", "channel": "channel", "conversion": "converted", "value": "value"}


@pytest.fixture
def one_goal() -> Journeys:
    return Journeys.from_events(example_e(), **ARGS, segments="country")


@pytest.fixture
def goals() -> Journeys:
    return Journeys.from_events(example_e(), **ARGS, segments="country", conversion_type="type")


def _credits(result: Any, column: str = "conversions") -> dict[Any, float]:
    series = result.credits[column]
    return {k: float(v) for k, v in series.items() if v != 0}


# ---------------------------------------------------------------------- example E, one goal
def test_example_e_journeys_with_their_country_and_end(one_goal: Journeys) -> None:
    frame = one_goal.to_frame()
    assert frame["path"].tolist() == ["Search > Email", "Social > Search", "Email", "Search > Social", "Email"]
    assert frame["conversions"].tolist() == [1, 1, 1, 0, 1]
    assert frame["value"].tolist() == [100, 0, 50, 0, 80]
    assert frame["country"].tolist() == ["ID", "ID", "ID", "SG", "SG"]
    assert one_goal.ended_at.strftime("%m-%d").tolist() == ["01-03", "01-05", "01-08", "01-03", "02-02"]


def test_example_e_linear_overall_by_country_and_by_month(one_goal: Journeys) -> None:
    assert _credits(Linear().attribute(one_goal)) == {"Email": 2.5, "Search": 1.0, "Social": 0.5}
    assert _credits(Linear().attribute(one_goal), "value") == {"Email": 180.0, "Search": 50.0}
    by_country = Linear().attribute(one_goal, by="country")
    assert _credits(by_country) == {
        ("ID", "Email"): 1.5,
        ("ID", "Search"): 1.0,
        ("ID", "Social"): 0.5,
        ("SG", "Email"): 1.0,
    }
    assert _credits(by_country, "value") == {("ID", "Email"): 100.0, ("ID", "Search"): 50.0, ("SG", "Email"): 80.0}
    by_month = Linear().attribute(one_goal, by="period", period="M")
    jan, feb = pd.Period("2024-01", "M"), pd.Period("2024-02", "M")
    assert _credits(by_month) == {(jan, "Email"): 1.5, (jan, "Search"): 1.0, (jan, "Social"): 0.5, (feb, "Email"): 1.0}
    # every channel of the journeys is listed in every group, with 0 where it earned nothing
    assert by_country.credits.loc[("SG", "Search"), "conversions"] == 0.0


def test_example_e_last_touch(one_goal: Journeys) -> None:
    assert _credits(LastTouch().attribute(one_goal)) == {"Email": 3.0, "Search": 1.0}
    assert _credits(LastTouch().attribute(one_goal), "value") == {"Email": 230.0}


def test_example_e_spend_cpa_roas_and_share_of_spend(one_goal: Journeys) -> None:
    spend = pd.Series({"Search": 60.0, "Email": 20.0, "Social": 40.0})
    linear = Linear().attribute(one_goal).with_spend(spend)
    assert linear["cpa"].to_dict() == {"Email": 8.0, "Search": 60.0, "Social": 80.0}
    assert linear.loc["Search", "roas"] == pytest.approx(5 / 6)
    assert linear.loc["Email", "roas"] == 9.0
    assert linear.loc["Social", "roas"] == 0.0
    assert linear["share_of_spend"].to_dict() == pytest.approx({"Search": 1 / 2, "Email": 1 / 6, "Social": 1 / 3})
    last = LastTouch().attribute(one_goal).with_spend(spend)
    assert last.loc["Search", "cpa"] == 60.0
    assert last.loc["Email", "cpa"] == pytest.approx(20 / 3)
    assert last.loc["Social", "cpa"] == math.inf
    assert last["roas"].to_dict() == {"Email": 11.5, "Search": 0.0, "Social": 0.0}


def test_example_e_goals_are_built_separately(goals: Journeys) -> None:
    purchase = goals.filter(conversion_type="purchase").to_frame()
    assert purchase["path"].tolist() == ["Search > Email", "Social > Search > Email", "Search > Social", "Email"]
    assert purchase["conversions"].tolist() == [1, 1, 0, 1]
    assert purchase["value"].tolist() == [100, 50, 0, 80]
    assert goals.filter(conversion_type="purchase").ended_at.strftime("%m-%d").tolist() == [
        "01-03",
        "01-08",
        "01-03",
        "02-02",
    ]
    lead = goals.filter(conversion_type="lead")
    assert [" > ".join(p) for p in lead.paths()] == [
        "Search > Email",
        "Social > Search",
        "Email",
        "Search > Social",
        "Email",
    ]
    assert lead.conversions.tolist() == [0, 1, 0, 0, 0]
    assert lead.ended_at.strftime("%m-%d").tolist() == ["01-02", "01-05", "01-06", "01-03", "01-30"]
    assert goals.conversion_types == ("lead", "purchase")


def test_example_e_linear_per_goal(goals: Journeys) -> None:
    result = Linear().attribute(goals, by="conversion_type")
    conversions = result.credits["conversions"]
    assert conversions[("purchase", "Search")] == pytest.approx(5 / 6)
    assert conversions[("purchase", "Email")] == pytest.approx(11 / 6)
    assert conversions[("purchase", "Social")] == pytest.approx(1 / 3)
    value = result.credits["value"]
    assert value[("purchase", "Search")] == pytest.approx(200 / 3)
    assert value[("purchase", "Email")] == pytest.approx(440 / 3)
    assert value[("purchase", "Social")] == pytest.approx(50 / 3)
    assert _credits(result.group("lead")) == {"Search": 0.5, "Social": 0.5}


def test_journeys_holding_several_goals_are_never_attributed_together(goals: Journeys) -> None:
    for model in (Linear(), MarkovChain(), Shapley(), Counterfactual()):
        with pytest.raises(JourneyError, match=r"conversion goals.*by='conversion_type'"):
            model.attribute(goals)
    with pytest.raises(JourneyError, match="conversion goals"):
        Linear().attribute(goals, by="country")
    with pytest.warns(SmallGroupWarning, match=r"'lead', 'SG'.*no conversions"):
        assert isinstance(Linear().attribute(goals, by=["conversion_type", "country"]), GroupedAttribution)


def test_every_table_bootstrap_and_order_selection_refuse_several_goals(goals: Journeys) -> None:
    from attribution import analytics, select_order
    from attribution.evaluate import bootstrap

    for refused in (
        lambda: analytics.top_paths(goals),
        lambda: analytics.channel_presence(goals),
        lambda: MarkovChain().fit(goals),
        lambda: bootstrap(goals, Linear(), n=5, seed=0),
        lambda: select_order(goals),
    ):
        with pytest.raises(JourneyError, match=r"conversion goals.*Fix"):
            refused()
    purchases = goals.filter(conversion_type="purchase")
    assert analytics.top_paths(purchases).shape[0] > 0  # one goal: fine


def read_back(journeys: Journeys, **attributes: str) -> Journeys:
    """``journeys.to_frame()`` read back by ``from_paths`` with its attribute columns."""
    return Journeys.from_paths(
        journeys.to_frame(), path="path", conversions="conversions", nulls="nulls", value="value", **attributes
    )


def test_goals_round_trip_through_a_path_table(goals: Journeys) -> None:
    back = read_back(goals, segments="country", conversion_type="conversion_type", ended_at="ended_at")
    assert back.conversion_types == goals.conversion_types
    pd.testing.assert_frame_equal(back.attributes, goals.attributes, check_categorical=False)


def test_goals_with_cumulative_journeys() -> None:
    """split_on_conversion=False per goal: each purchase takes every touch of the user before it."""
    j = Journeys.from_events(example_e(), **ARGS, conversion_type="type", split_on_conversion=False)
    purchase = j.filter(conversion_type="purchase")
    assert sorted(" > ".join(p) for p in purchase.paths()) == [
        "Email",
        "Search > Email",
        "Search > Social",
        "Social > Search > Email",
    ]
    assert purchase.total_conversions == 3
    assert j.filter(conversion_type="lead").total_conversions == 1


def test_a_conversion_without_a_type_is_refused_with_its_row() -> None:
    events = example_e()
    events.loc[5, "type"] = None
    events.loc[5, "converted"] = True
    with pytest.raises(JourneyError, match=r"conversion_type.*index 5"):
        Journeys.from_events(events, **ARGS, conversion_type="type")


# ---------------------------------------------------------------------- segment rule
def test_segment_comes_from_the_closing_event_then_the_latest_known_touch() -> None:
    """A user touched in ID whose conversion row says SG is an SG journey; a missing value on the
    closing event falls back to the latest known value among the journey's kept touches."""
    events = pd.DataFrame(
        {
            "user": [1, 1, 1, 2, 2, 2, 3],
            "time": pd.to_datetime(["2024-01-01", "2024-01-02", "2024-01-03"] * 2 + ["2024-01-01"]),
            "channel": ["A", "B", None, "A", "B", None, "A"],
            "converted": [False, False, True, False, False, True, False],
            "country": ["ID", "ID", "SG", "ID", "MY", None, None],
        }
    )
    j = Journeys.from_events(
        events, user="user", time="time", channel="channel", conversion="converted", segments="country"
    )
    assert j.attributes["country"].astype(object).where(j.attributes["country"].notna(), None).tolist() == [
        "SG",
        "MY",
        None,
    ]
    # the journey with no known country is a group of its own, never dropped
    with pytest.warns(SmallGroupWarning, match="no conversions"):
        result = Linear().attribute(j, by="country")
    assert result.unattributed_by_group.shape[0] == 3


# ---------------------------------------------------------------------- attributes survive transforms
def test_attributes_survive_every_transform(one_goal: Journeys) -> None:
    back = read_back(one_goal, segments="country", ended_at="ended_at")
    assert back.attributes.equals(one_goal.attributes)
    assert one_goal[1:3].attributes["country"].tolist() == ["ID", "ID"]
    assert one_goal.filter(country="SG").n_rows == 2
    by_country = Journeys.concat([one_goal.filter(country="ID"), one_goal.filter(country="SG")])
    assert by_country.equals(one_goal, ignore_order=True)
    aggregated = one_goal.aggregate()
    assert aggregated.n_rows == 5  # nothing merges: [Email] in ID and [Email] in SG stay apart
    assert sorted(zip(aggregated.attributes["country"], map(" > ".join, aggregated.paths()), strict=True)) == [
        ("ID", "Email"),
        ("ID", "Search > Email"),
        ("ID", "Social > Search"),
        ("SG", "Email"),
        ("SG", "Search > Social"),
    ]
    same = Journeys.from_sequences([["A"], ["A"], ["A"]], conversions=[1, 1, 1], attributes={"c": ["x", "x", "y"]})
    merged = same.aggregate()
    assert merged.conversions.tolist() == [2.0, 1.0]
    assert merged.attributes["c"].tolist() == ["x", "y"]
    monthly = one_goal.with_period("M").aggregate()
    assert "period" in monthly.attribute_names
    assert monthly.ended_at is None


def test_filter_on_an_unknown_attribute_names_the_known_ones(one_goal: Journeys) -> None:
    with pytest.raises(JourneyError, match="country"):
        one_goal.filter(device="mobile")


def test_grouping_by_an_unknown_key_or_without_end_times_is_explained(one_goal: Journeys) -> None:
    with pytest.raises(ParameterError, match=r"'device'.*country"):
        Linear().attribute(one_goal, by="device")
    plain = Journeys.from_sequences([["A"]], conversions=[1])
    with pytest.raises(JourneyError, match="ended"):
        Linear().attribute(plain, by="period")
    with pytest.raises(ParameterError, match="period"):
        Linear().attribute(one_goal, by="country", period="M")


# ---------------------------------------------------------------------- spend rules
def test_spend_edges_follow_the_stated_rules(one_goal: Journeys) -> None:
    result = LastTouch().attribute(one_goal)
    table = result.with_spend(pd.Series({"Email": 0.0, "Social": 0.0}))
    assert table.loc["Email", "roas"] == math.inf  # value at no spend
    assert math.isnan(table.loc["Social", "roas"])
    assert math.isnan(table.loc["Social", "cpa"])
    assert math.isnan(table.loc["Search", "spend"])  # credit without a spend row: unknown
    assert math.isnan(table.loc["Search", "cpa"])
    assert math.isnan(table.loc["Search", "share_of_spend"])
    with pytest.raises(ParameterError, match=r"never touch.*'TV'.*Email"):
        result.with_spend(pd.Series({"TV": 10.0}))
    with pytest.raises(ParameterError, match=">= 0"):
        result.with_spend(pd.Series({"Email": -1.0}))
    with pytest.raises(ParameterError, match=">= 0"):
        result.with_spend(pd.Series({"Email": float("nan")}))
    with pytest.raises(ParameterError, match="without the group keys"):
        Linear().attribute(one_goal, by="country").with_spend(pd.Series({"Email": 1.0}))


def test_grouped_spend_is_per_group_and_a_priced_channel_absent_from_a_group_earns_zero(one_goal: Journeys) -> None:
    spend = pd.DataFrame(
        {"country": ["ID", "SG", "SG"], "channel": ["Email", "Email", "Search"], "spend": [20.0, 10, 5]}
    )
    table = Linear().attribute(one_goal, by="country").with_spend(spend)
    assert table.loc[("ID", "Email"), "roas"] == 5.0
    assert table.loc[("SG", "Search"), "cpa"] == math.inf
    assert table.loc[("SG", "Search"), "roas"] == 0.0
    assert table.loc[("SG", "Email"), "share_of_spend"] == pytest.approx(10 / 15)


def test_compare_by_key_and_with_spend(one_goal: Journeys) -> None:
    comparison = compare(one_goal, ["linear", "last_touch"], by="country")
    assert comparison.by == ("country",)
    assert comparison.wide().loc[("ID", "Email"), "Linear"] == 1.5
    table = compare(one_goal, ["linear", "last_touch"]).with_spend(
        pd.Series({"Search": 60.0, "Email": 20.0, "Social": 40.0})
    )
    assert table.loc[("Linear", "Email"), "roas_rank"] == 1
    assert table.loc[("Last touch", "Search"), "roas"] == 0.0


# ---------------------------------------------------------------------- properties
GROUP_MODELS: dict[str, Any] = {
    "FirstTouch": FirstTouch(),
    "LastTouch": LastTouch(),
    "Linear": Linear(),
    "PositionBased": PositionBased.u_shaped(),
    "TimeDecay by position": TimeDecay(2, by="position"),
    "Markov": MarkovChain(),
    "Markov order 2": MarkovChain(order=2),
    "Shapley": Shapley(),
    "Shapley rate": Shapley(value="conversion_rate"),
    "Counterfactual": Counterfactual(),
}


@st.composite
def segmented(draw: st.DrawFn) -> Journeys:
    n = draw(st.integers(1, 14))
    paths = draw(st.lists(st.lists(st.sampled_from("ABCD"), max_size=4), min_size=n, max_size=n))
    conversions = draw(st.lists(st.integers(0, 4), min_size=n, max_size=n))
    nulls = draw(st.lists(st.integers(0, 4), min_size=n, max_size=n))
    value = [c * draw(st.integers(0, 30)) for c in conversions]
    country = draw(st.lists(st.sampled_from(["ID", "SG", None]), min_size=n, max_size=n))
    return Journeys.from_sequences(
        paths, conversions=conversions, nulls=nulls, value=value, attributes={"country": country}
    )


@pytest.mark.parametrize("name", list(GROUP_MODELS))
@SETTINGS
@given(j=segmented())
def test_attributing_by_a_key_equals_attributing_each_group_alone(name: str, j: Journeys) -> None:
    """For every model: each group's credits are the model's credits on that group's journeys alone,
    and every group's credits plus unattributed equal its totals."""
    model = GROUP_MODELS[name]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        grouped = model.attribute(j, by="country")
        for key, result in grouped.groups.items():
            value = key[0]
            mask = (
                j.attributes["country"].isna().to_numpy()
                if value is None or value != value
                else (j.attributes["country"] == value).to_numpy()
            )
            part = j[mask]
            assert result.total_conversions == pytest.approx(part.total_conversions, rel=1e-9, abs=1e-12)
            assert result.total_value == pytest.approx(part.total_value, rel=1e-9, abs=1e-9)
            if part.total_conversions - part.unattributed_conversions > 0:
                alone = model.attribute(part)
                for channel, credit in alone.credits["conversions"].items():
                    assert result.credits.loc[channel, "conversions"] == pytest.approx(credit, rel=1e-9, abs=1e-12)
    assert grouped.total_conversions == pytest.approx(j.total_conversions, rel=1e-9, abs=1e-12)


@SETTINGS
@given(j=segmented())
def test_aggregating_keeps_attributes_and_grouped_credits(j: Journeys) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SmallGroupWarning)
        before = Linear().attribute(j, by="country").credits
        after = Linear().attribute(j.aggregate(), by="country").credits
    pd.testing.assert_frame_equal(before, after, rtol=1e-9, atol=1e-12)


# ---------------------------------------------------------------------- channel levels (campaigns)
@pytest.fixture
def campaigns() -> Journeys:
    return Journeys.from_events(example_e(), **{**ARGS, "channel": ["channel", "campaign"]}, segments="country")


def test_example_e_at_the_campaign_level(campaigns: Journeys) -> None:
    assert campaigns.level == "channel"
    assert campaigns.levels == ("channel", "campaign")
    fine = campaigns.at_level("campaign")
    assert _credits(Linear().attribute(fine)) == {"brand": 0.5, "generic": 0.5, "newsletter": 2.5, "promo": 0.5}
    assert _credits(Linear().attribute(fine), "value") == {"brand": 50.0, "newsletter": 180.0}
    # brand + generic = Search
    coarse = Linear().attribute(campaigns).credits["conversions"]
    assert coarse["Search"] == 1.0
    spend = pd.Series({"brand": 25.0, "generic": 35.0})
    table = Linear().attribute(fine).with_spend(spend)
    assert table.loc["brand", "roas"] == 2.0
    assert table.loc["generic", "roas"] == 0.0
    assert fine.at_level("channel").equals(campaigns)


def test_a_touch_without_a_campaign_keeps_its_channel_label_and_levels_survive_transforms(campaigns: Journeys) -> None:
    events = example_e()
    events.loc[1, "campaign"] = None  # user 1's Email touch has no campaign
    j = Journeys.from_events(events, **{**ARGS, "channel": ["channel", "campaign"]})
    assert j.at_level("campaign").paths()[0] == ("brand", "Email")
    for transformed in (campaigns[1:4], campaigns.filter(country="ID"), campaigns.aggregate()):
        assert transformed.levels == ("channel", "campaign")
        coarse = [tuple(p) for p in transformed.paths()]
        fine = transformed.at_level("campaign").paths()
        parents = campaigns.channel_levels().parents("campaign", "channel")  # type: ignore[union-attr]
        assert [tuple(parents[label] for label in path) for path in fine] == coarse
    both = Journeys.concat([campaigns.filter(country="ID"), campaigns.filter(country="SG")])
    assert both.equals(campaigns, ignore_order=True)


def test_a_campaign_under_two_channels_is_refused_with_the_fix() -> None:
    events = example_e()
    events.loc[3, "campaign"] = "newsletter"  # a Social touch in Email's campaign
    with pytest.raises(JourneyError, match=r"'newsletter' appears under 2 'channel' labels.*Fix"):
        Journeys.from_events(events, **{**ARGS, "channel": ["channel", "campaign"]})
    with pytest.raises(ParameterError, match="levels are"):
        Journeys.from_events(example_e(), **{**ARGS, "channel": ["channel", "campaign"]}).at_level("creative")


@st.composite
def leveled(draw: st.DrawFn) -> Journeys:
    """Random logs whose touches carry a campaign that belongs to their channel (or none)."""
    n_users = draw(st.integers(1, 6))
    rows = []
    for user in range(n_users):
        for step in range(draw(st.integers(1, 6))):
            channel = draw(st.sampled_from(["A", "B", "C"]))
            campaign = draw(st.sampled_from([None, f"{channel}1", f"{channel}2"]))
            converts = draw(st.booleans())
            rows.append((user, step, channel, campaign, False, None))
            if converts:
                rows.append((user, step, None, None, True, float(draw(st.integers(0, 20)))))
    events = pd.DataFrame(rows, columns=["user", "time", "channel", "campaign", "converted", "value"])
    events["time"] = pd.Timestamp("2024-01-01") + pd.to_timedelta(events["time"], unit="h")
    return Journeys.from_events(events, **{**ARGS, "channel": ["channel", "campaign"]})


FINE_MODELS = {
    "FirstTouch": FirstTouch(),
    "LastTouch": LastTouch(),
    "Linear": Linear(),
    "PositionBased": PositionBased.u_shaped(),
    "TimeDecay": TimeDecay("2h"),
}


@pytest.mark.parametrize("name", list(FINE_MODELS))
@SETTINGS
@given(j=leveled())
def test_fine_level_credits_sum_to_the_coarse_level(name: str, j: Journeys) -> None:
    """Per-touch models: campaign credits add up, channel by channel, to the channel-level credits
    (each touch's weight does not depend on labels, and a coarse label is a function of the fine one)."""
    model = FINE_MODELS[name]
    if j.total_conversions - j.unattributed_conversions <= 0:
        return
    coarse = model.attribute(j).credits
    fine = model.attribute(j.at_level("campaign")).credits
    parents = j.channel_levels().parents("campaign", "channel")  # type: ignore[union-attr]
    summed = fine.groupby(fine.index.map(parents))[["conversions", "value"]].sum()
    for channel in coarse.index:
        assert summed.loc[channel, "conversions"] == pytest.approx(coarse.loc[channel, "conversions"], abs=1e-9)
        assert summed.loc[channel, "value"] == pytest.approx(coarse.loc[channel, "value"], abs=1e-9)


def test_shapley_credits_at_the_fine_level_do_not_sum_to_the_coarse_level() -> None:
    """Not a bug: the Shapley value plays the game of the *set* of channels on a path, and two
    campaigns of one channel are two players. One path A1 > A2 > B converting once: at the
    campaign level each of the three gets 1/3 (A1 + A2 = 2/3); at the channel level A and B
    each get 1/2. So Shapley (like Markov) is run at a chosen level, and the docs say so."""
    events = pd.DataFrame(
        {
            "user": [1, 1, 1, 1],
            "time": pd.to_datetime(["2024-01-01", "2024-01-02", "2024-01-03", "2024-01-04"]),
            "channel": ["A", "A", "B", None],
            "campaign": ["A1", "A2", None, None],
            "converted": [False, False, False, True],
        }
    )
    j = Journeys.from_events(events, user="user", time="time", channel=["channel", "campaign"], conversion="converted")
    assert _credits(Shapley().attribute(j)) == {"A": 0.5, "B": 0.5}
    fine = _credits(Shapley().attribute(j.at_level("campaign")))
    assert fine == pytest.approx({"A1": 1 / 3, "A2": 1 / 3, "B": 1 / 3})
