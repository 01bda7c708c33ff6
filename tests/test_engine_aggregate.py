"""Aggregated journeys built where the events are: ``from_events(..., aggregate=True)`` in every engine
equals ``Journeys.from_events(pandas_events, ...).aggregate()`` — paths, counts, value, rounded touch
times (``time_buckets``) and journey attributes, rows in order of first appearance.

The random logs carry whole-number values, so sums are exact in any order and equality is exact.
"""

from __future__ import annotations

import math
from typing import Any
from unittest import mock

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from attribution import JourneyError, Journeys, ParameterError, TimeDecay
from attribution.testing.strategies import event_logs, journeys

from .test_engine_attributes import ATTRIBUTE_OPTIONS, attributed_logs
from .test_engine_parity import COLUMNS, _arrow, _spark_frame

duckdb = pytest.importorskip("duckdb", reason="the duckdb extra is not installed")

AGGREGATE_OPTIONS = st.fixed_dictionaries(
    {
        "value": st.sampled_from([None, "value"]),
        "lookback": st.sampled_from([None, "1D", "36h"]),
        "max_touches": st.sampled_from([None, 1, 2]),
        "split_on_conversion": st.booleans(),
        "tiebreak": st.sampled_from([None, "hit"]),
        "drop_duplicates": st.booleans(),
        # 12-hour ticks: "1D" buckets put every other touch on a half (rounded up everywhere)
        "time_buckets": st.sampled_from([None, "1D", "5h"]),
        # the logs span days: days and weeks split them, months and years seldom
        "period": st.sampled_from([None, None, "D", "W", "M", "Y"]),
    }
)
SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _assert_same(expected: Journeys, got: Journeys) -> None:
    """Equal in every array (rounded times included) and attribute, shown as tables when not."""
    assert got.channels == expected.channels
    assert got.has_times == expected.has_times
    shown = (expected.to_frame(times=expected.has_times), got.to_frame(times=got.has_times))
    assert shown[0].equals(shown[1]), shown
    assert got.equals(expected)


def expected_of(events: pd.DataFrame, options: dict[str, Any]) -> Journeys:
    """What every engine must return: the pandas builder's journeys, with their periods, aggregated."""
    options = {**COLUMNS, **options}
    buckets = options.pop("time_buckets", None)
    period = options.pop("period", None)
    journeys = Journeys.from_events(events, **options)
    return (journeys if period is None else journeys.with_period(period)).aggregate(time_buckets=buckets)


def duckdb_sort(events: pd.DataFrame, options: dict[str, Any]) -> Journeys:
    """Sorted events streamed 3 at a time, aggregates merged every 2 rows: users straddle batches."""
    from attribution.engines.duckdb import from_events_duckdb

    with (
        mock.patch("attribution.engines.duckdb.EVENTS_PER_BATCH", 3),
        mock.patch("attribution.engines._assemble.MERGE_ROWS", 2),
    ):
        return from_events_duckdb(_arrow(events), **{**COLUMNS, **options}, aggregate=True, memory_limit="500MB")


def duckdb_sql(events: pd.DataFrame, options: dict[str, Any]) -> Journeys:
    from attribution.engines.duckdb import from_events_duckdb

    return from_events_duckdb(_arrow(events), **{**COLUMNS, **options}, aggregate=True, method="sql", chunks=2)


def dask_tree(events: pd.DataFrame, options: dict[str, Any], partitions: int = 5) -> Journeys:
    """Five partitions merged two or three at a time: a tree of two levels, groups of uneven size."""
    dask = pytest.importorskip("dask", reason="the dask extra is not installed")
    dd = pytest.importorskip("dask.dataframe")
    with dask.config.set(scheduler="synchronous"), mock.patch("attribution.engines.dask.MERGE_FAN_IN", 2):
        frame = dd.from_pandas(events, npartitions=partitions, sort=False)
        return Journeys.from_events(frame, **{**COLUMNS, **options}, aggregate=True)


@SETTINGS
@given(event_logs(), AGGREGATE_OPTIONS, st.sampled_from(["duckdb sort", "duckdb sql", "dask"]))
def test_every_engine_aggregates_what_pandas_aggregates(
    events: pd.DataFrame, options: dict[str, Any], how: str
) -> None:
    build = {"duckdb sort": duckdb_sort, "duckdb sql": duckdb_sql, "dask": dask_tree}[how]
    if how == "duckdb sql" and options["period"] is not None:  # refused: see test_periods_on_every_engine
        options = {**options, "period": None}
    _assert_same(expected_of(events, options), build(events, options))


@SETTINGS
@given(event_logs(), AGGREGATE_OPTIONS)
def test_pandas_aggregate_true_is_aggregate_of_the_journeys(events: pd.DataFrame, options: dict[str, Any]) -> None:
    got = Journeys.from_events(events, **COLUMNS, **options, aggregate=True)
    _assert_same(expected_of(events, options), got)
    assert got.users is None
    assert got.has_times == (options["time_buckets"] is not None)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(attributed_logs(), ATTRIBUTE_OPTIONS, st.sampled_from(["duckdb sort", "dask"]))
def test_aggregated_attributes_match(events: pd.DataFrame, options: dict[str, Any], how: str) -> None:
    """Segments, goals and channel levels: rows stay apart by attribute, goal by goal."""
    build = {"duckdb sort": duckdb_sort, "dask": dask_tree}[how]
    expected = expected_of(events, options)
    got = build(events, options)
    _assert_same(expected, got)
    assert got.attribute_names == expected.attribute_names


def random_log(seed: int, n: int, users: int, start: str, days: int, conversion_rate: float) -> pd.DataFrame:
    """``n`` events of ``users`` users over ``days`` days from ``start``, channels A, B and C."""
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            "user": rng.integers(0, users, n),
            "time": pd.Timestamp(start) + pd.to_timedelta(rng.integers(0, days * 86400, n), unit="s"),
            "channel": rng.choice(["A", "B", "C"], n),
            "converted": rng.random(n) < conversion_rate,
        }
    )


def test_dask_aggregates_on_a_local_cluster_with_several_workers() -> None:
    distributed = pytest.importorskip("dask.distributed", reason="the dask extra is not installed")
    dd = pytest.importorskip("dask.dataframe")
    events = random_log(3, 4000, users=500, start="2024-01-01", days=30, conversion_rate=0.1)
    options = {"lookback": "7D", "time_buckets": "1h"}
    expected = expected_of(events, options)
    with (
        distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster,
        distributed.Client(cluster),
    ):
        got = Journeys.from_events(dd.from_pandas(events, npartitions=7), **COLUMNS, **options, aggregate=True)
    _assert_same(expected, got)


@pytest.mark.parametrize("options", [{}, {"time_buckets": "1D", "lookback": "2D"}, {"split_on_conversion": False}])
def test_spark_aggregates_in_spark(spark: Any, options: dict[str, Any]) -> None:
    from .test_engine_parity import tricky_logs

    for events in tricky_logs().values():
        got = Journeys.from_events(_spark_frame(spark, events), **COLUMNS, **options, aggregate=True)
        _assert_same(expected_of(events, options), got)


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(events=event_logs(max_users=4, max_events=20), options=AGGREGATE_OPTIONS)
def test_spark_aggregates_random_logs(spark: Any, events: pd.DataFrame, options: dict[str, Any]) -> None:
    got = Journeys.from_events(_spark_frame(spark, events), **COLUMNS, **options, aggregate=True)
    _assert_same(expected_of(events, options), got)


# ---------------------------------------------------------------------- time buckets
@settings(max_examples=60, deadline=None)
@given(journeys(with_times=True), st.sampled_from([3600.0, 6 * 3600.0, 86400.0]), st.sampled_from([2.0, 7.0]))
def test_time_decay_on_bucketed_times_stays_within_its_stated_bound(
    j: Journeys, bucket: float, half_life: float
) -> None:
    """Each touch's age relative to its path's newest touch moves by at most one bucket, so its
    weight by a factor within 2^(±bucket/half-life) and its share of the path within 2^(±2·bucket/
    half-life); a channel's credit, a sum of such shares, stays within that factor too."""
    model = TimeDecay(half_life=half_life)
    exact = model.attribute(j).credits["conversions"]
    rounded = model.attribute(j.aggregate(time_buckets=bucket / 86400)).credits["conversions"]
    factor = 2 ** (2 * bucket / (half_life * 86400))
    for channel, credit in exact.items():
        assert rounded[channel] <= credit * factor + 1e-9
        assert rounded[channel] >= credit / factor - 1e-9


def test_time_buckets_round_halves_up_and_keep_every_journey() -> None:
    j = Journeys.from_sequences(
        [["A", "B"], ["A", "B"], ["A", "B"]],
        conversions=[1, 0, 2],
        nulls=[0, 3, 0],
        times=[[5400, 0], [7199, 0], [1800, 0]],
    )
    hourly = j.aggregate(time_buckets="1h")
    assert hourly.times.tolist() == [7200.0, 0.0, 3600.0, 0.0]  # 1.5 h and 1:59:59 -> 2 h; 0.5 h -> 1 h
    assert hourly.conversions.tolist() == [1.0, 2.0]
    assert hourly.nulls.tolist() == [3.0, 0.0]
    assert math.isclose(hourly.total_conversions, j.total_conversions)


def test_time_buckets_need_aggregate_and_times() -> None:
    events = pd.DataFrame(
        {"user": ["u"], "time": pd.to_datetime(["2024-01-01"]), "channel": ["A"], "converted": [True]}
    )
    with pytest.raises(JourneyError, match=r"'time_buckets' applies only with aggregate=True.*Fix"):
        Journeys.from_events(events, **COLUMNS, time_buckets="1h")
    with pytest.raises(JourneyError, match=r"time_buckets.*duration"):
        Journeys.from_events(events, **COLUMNS, aggregate=True, time_buckets="soon")
    with pytest.raises(JourneyError, match=r"'time_buckets' rounds touch times.*have none"):
        Journeys.from_sequences([["A"]], conversions=[1]).aggregate(time_buckets="1h")
    with pytest.raises(ParameterError, match="time_buckets"):
        Journeys.from_sequences([["A"]], conversions=[1], times=[[0]]).aggregate(time_buckets=-1)
    with pytest.raises(JourneyError, match="aggregate"):
        Journeys.from_events(events, **COLUMNS, aggregate="yes")  # type: ignore[arg-type]


def _spark_attributed(spark: Any, events: pd.DataFrame) -> Any:
    """The log as a Spark frame with its country, goal and campaign columns, rows in order."""
    from pyspark.sql import Window
    from pyspark.sql import functions as F  # noqa: N812  (the PySpark convention)

    rows = spark.createDataFrame(
        [
            (i, *(None if pd.isna(x) else x for x in (c, g, k)))  # pandas 3 may hold missing text as NaN
            for i, (c, g, k) in enumerate(zip(events["country"], events["goal"], events["campaign"], strict=True))
        ],
        "row long, country string, goal string, campaign string",
    )
    indexed = _spark_frame(spark, events).withColumn("row", F.monotonically_increasing_id())
    ordered = indexed.withColumn("row", F.row_number().over(Window.orderBy("row")) - 1)
    return ordered.join(rows, "row").drop("row")


SPARK_ATTRIBUTES = st.sampled_from(
    [
        {"segments": ["country"]},
        {"conversion_type": "goal"},
        {"segments": "country", "conversion_type": "goal", "split_on_conversion": False},
        {"segments": ["country"], "conversion_type": "goal", "lookback": "1D", "tiebreak": "hit", "max_touches": 1},
        {"segments": ["country", "campaign"], "time_buckets": "1D"},
        {"channel": ["channel", "campaign"]},
        {"channel": ["channel", "campaign"], "segments": "country", "conversion_type": "goal", "time_buckets": "1D"},
    ]
)


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(events=attributed_logs(), options=SPARK_ATTRIBUTES)
def test_spark_aggregates_segments_and_goals(spark: Any, events: pd.DataFrame, options: dict[str, Any]) -> None:
    """Segments from the closing event (else the latest kept touch), every goal cut on its own."""
    got = Journeys.from_events(_spark_attributed(spark, events), **{**COLUMNS, **options}, aggregate=True)
    expected = expected_of(events, options)
    _assert_same(expected, got)
    assert got.attribute_names == expected.attribute_names


def test_spark_aggregates_channel_levels_and_refuses_a_label_under_two_parents(spark: Any) -> None:
    """Paths are told apart at the finest level; the coarse path and the hierarchy follow from it,
    and a campaign under two channels is refused as the pandas builder refuses it."""
    events = pd.DataFrame(
        {
            "user": ["a", "a", "a", "b", "b", "c", "c"],
            "time": pd.to_datetime(["2024-01-01", "2024-01-02", "2024-01-03"] + ["2024-01-01", "2024-01-02"] * 2),
            "channel": ["Search", "Search", None, "Search", None, "Email", None],
            "converted": [False, False, True, False, True, False, True],
            "value": [0.0, 0.0, 5.0, 0.0, 2.0, 0.0, 1.0],
            "hit": [0] * 7,
            "campaign": ["brand", None, None, "generic", None, None, None],
        }
    )
    events = events.assign(country=None, goal=np.where(events["converted"], "purchase", None))
    options = {**COLUMNS, "channel": ["channel", "campaign"]}
    got = Journeys.from_events(_spark_attributed(spark, events), **options, aggregate=True)
    _assert_same(Journeys.from_events(events, **options).aggregate(), got)
    assert got.at_level("campaign").paths() == [("brand", "Search"), ("generic",), ("Email",)]
    assert got.paths() == [("Search", "Search"), ("Search",), ("Email",)]
    twice = events.assign(campaign=["brand", None, None, "generic", None, "brand", None])
    refused = r"label 'brand' appears under 2 'channel' labels \(Email, Search\).*Fix"
    with pytest.raises(JourneyError, match=refused):
        Journeys.from_events(twice, **options)
    with pytest.raises(JourneyError, match=refused):
        Journeys.from_events(_spark_attributed(spark, twice), **options, aggregate=True)


def test_time_decay_on_aggregated_journeys_without_buckets_keeps_its_error() -> None:
    events = pd.DataFrame(
        {
            "user": ["u", "u"],
            "time": pd.to_datetime(["2024-01-01", "2024-01-02"]),
            "channel": ["A", None],
            "converted": [False, True],
        }
    )
    aggregated = Journeys.from_events(events, **COLUMNS, aggregate=True)
    with pytest.raises(JourneyError, match="needs the time of every touch"):
        TimeDecay(half_life="7D").attribute(aggregated)
    bucketed = Journeys.from_events(events, **COLUMNS, aggregate=True, time_buckets="1h")
    assert TimeDecay(half_life="7D").attribute(bucketed).credits["conversions"].tolist() == [1.0]


def test_spark_aggregates_numeric_goals_as_numbers(spark: Any) -> None:
    """Goals read from a numeric column are matched as numbers (not as their text)."""
    events = pd.DataFrame(
        {
            "user": ["a", "a", "a", "b", "b"],
            "time": pd.to_datetime(["2024-01-01", "2024-01-02", "2024-01-03", "2024-01-01", "2024-01-02"]),
            "channel": ["A", None, "B", "B", None],
            "converted": [False, True, False, False, True],
            "goal": [None, 2, None, None, 1],
        }
    )
    rows = [
        (u, t.to_pydatetime(), None if pd.isna(c) else c, bool(k), None if pd.isna(g) else int(g))
        for u, t, c, k, g in events.itertuples(index=False)
    ]
    frame = spark.createDataFrame(rows, "user string, time timestamp_ntz, channel string, converted boolean, goal long")
    options = {**COLUMNS, "conversion_type": "goal"}
    got = Journeys.from_events(frame, **options, aggregate=True)
    _assert_same(Journeys.from_events(events, **options).aggregate(), got)
    assert got.paths() == [("A", "B"), ("B",), ("A",), ("B",)]


# ---------------------------------------------------------------------- periods
def test_periods_on_every_engine(spark: Any) -> None:
    """``period=`` is ``.with_period(period)`` in every engine, aggregated or not; the SQL method
    of DuckDB refuses it with aggregate (it carries no attributes), naming the fix."""
    from attribution.engines.duckdb import from_events_duckdb

    events = random_log(7, 300, users=40, start="2024-01-20", days=60, conversion_rate=0.2)
    events["value"] = np.where(events["converted"], np.arange(len(events)) % 50 + 1, 0).astype(float)
    events["hit"] = 0
    dd = pytest.importorskip("dask.dataframe")
    for period in ("W", "M"):
        options = {**COLUMNS, "lookback": "20D", "period": period}
        plain = Journeys.from_events(events, **{**COLUMNS, "lookback": "20D"}).with_period(period)
        assert Journeys.from_events(events, **options) == plain
        assert len(set(plain.attributes["period"])) > 1  # the log spans several periods
        frames = {
            "duckdb": lambda: _arrow(events),
            "spark": lambda: _spark_frame(spark, events),
            "dask": lambda: dd.from_pandas(events, npartitions=3, sort=False),
        }
        for frame in frames.values():
            _assert_same(plain, Journeys.from_events(frame(), **options))
            _assert_same(plain.aggregate(), Journeys.from_events(frame(), **options, aggregate=True))
    with pytest.raises(JourneyError, match=r"'method' must be 'sort'.*by period.*Fix: pass method='sort'"):
        from_events_duckdb(_arrow(events), **COLUMNS, period="M", aggregate=True, method="sql")
    assert from_events_duckdb(_arrow(events), **COLUMNS, period="M", method="sql") == Journeys.from_events(
        events, **COLUMNS
    ).with_period("M")


def test_spark_counts_aggregated_periods_in_the_times_own_zone(spark: Any) -> None:
    """ISO times written at +07:00: 03:00 on 1 February there is 20:00 on 31 January in UTC, so
    the journey belongs to February (and to the week of Monday 29 January), as pandas counts it."""
    events = pd.DataFrame(
        {
            "user": ["a", "a", "b", "b", "c", "c"],
            "time": [
                "2024-01-30T10:00:00+07:00",
                "2024-02-01T03:00:00+07:00",
                "2024-01-28T10:00:00+07:00",
                "2024-01-31T22:00:00+07:00",
                "2024-02-04T10:00:00+07:00",
                "2024-02-05T06:00:00+07:00",
            ],
            "channel": ["A", None, "B", None, "A", None],
            "converted": [False, True, False, True, False, True],
        }
    )
    frame = spark.createDataFrame(
        [(u, t, None if pd.isna(c) else c, bool(k)) for u, t, c, k in events.itertuples(index=False, name=None)],
        "user string, time string, channel string, converted boolean",
    )
    options = {"user": "user", "time": "time", "channel": "channel", "conversion": "converted"}
    weeks = ["2024-01-29/2024-02-04", "2024-01-29/2024-02-04", "2024-02-05/2024-02-11"]
    for period, expected in (("M", ["2024-02", "2024-01"]), ("W", weeks)):
        reference = Journeys.from_events(events, **options, period=period, aggregate=True)
        got = Journeys.from_events(frame, **options, period=period, aggregate=True)
        _assert_same(reference, got)
        assert got.attributes["period"].astype(str).tolist() == expected


def test_period_is_checked_before_any_work(spark: Any) -> None:
    events = pd.DataFrame(
        {"user": ["u"], "time": pd.to_datetime(["2024-01-01"]), "channel": ["A"], "converted": [True]}
    )
    with pytest.raises(JourneyError, match=r"argument 'period' must be a pandas period frequency.*got 'soon'.*Fix"):
        Journeys.from_events(events, **COLUMNS, period="soon")
    frame = _spark_frame(spark, events.assign(value=1.0, hit=0))
    with pytest.raises(
        JourneyError, match=r"'period' must be 'D', 'W', 'M', 'Q' or 'Y' for journeys aggregated in Spark"
    ):
        Journeys.from_events(frame, **COLUMNS, period="2W", aggregate=True)
    assert Journeys.from_events(frame, **COLUMNS, period="2W").attributes["period"].astype(str).tolist() == [
        Journeys.from_events(events, **COLUMNS, period="2W").attributes["period"].astype(str).tolist()[0]
    ]


def test_spark_counts_aggregated_periods_of_timestamps_in_the_session_zone(spark: Any) -> None:
    """Timestamps are instants shown in the session's zone: with a zone that keeps daylight saving
    time, each aggregated row's period is the one the unaggregated journeys give in that zone."""
    # across the end of February and the March clock change, as UTC instants
    events = random_log(11, 400, users=60, start="2024-02-25", days=30, conversion_rate=0.25)
    rows = [
        (f"u{u}", t.tz_localize("UTC").to_pydatetime(), c, bool(k)) for u, t, c, k in events.itertuples(index=False)
    ]
    frame = spark.createDataFrame(rows, "user string, time timestamp, channel string, converted boolean")
    options = {"user": "user", "time": "time", "channel": "channel", "conversion": "converted"}
    before = spark.conf.get("spark.sql.session.timeZone")
    spark.conf.set("spark.sql.session.timeZone", "America/New_York")
    try:
        journeys = Journeys.from_events(frame, **options)
        assert journeys.attribute_set().zone == "America/New_York"
        for period in ("D", "W", "M"):
            got = Journeys.from_events(frame, **options, period=period, aggregate=True)
            _assert_same(journeys.with_period(period).aggregate(), got)
    finally:
        spark.conf.set("spark.sql.session.timeZone", before)
