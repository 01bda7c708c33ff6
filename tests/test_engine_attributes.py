"""Every engine builds the journey attributes of the pandas builder: segments, goals, end times."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from attribution import JourneyError, Journeys
from attribution.testing.strategies import event_logs

from .test_engine_parity import COLUMNS, _arrow, _assert_same, _spark_frame

duckdb = pytest.importorskip("duckdb", reason="the duckdb extra is not installed")


@st.composite
def attributed_logs(draw: st.DrawFn) -> pd.DataFrame:
    """Random logs with a country per event (sometimes missing) and a goal on every conversion."""
    events = draw(event_logs())
    n = len(events)
    country = draw(st.lists(st.sampled_from(["ID", "SG", None]), min_size=n, max_size=n))
    goal = draw(st.lists(st.sampled_from(["purchase", "lead"]), min_size=n, max_size=n))
    suffix = draw(st.lists(st.sampled_from(["1", "2", None]), min_size=n, max_size=n))
    campaign = [None if c is None or s is None else f"{c}-{s}" for c, s in zip(events["channel"], suffix, strict=True)]
    return events.assign(
        country=pd.Series(country, dtype=object),
        goal=pd.Series(np.where(events["converted"], goal, None), dtype=object),
        campaign=pd.Series(campaign, dtype=object),
    )


ATTRIBUTE_OPTIONS = st.sampled_from(
    [
        {"segments": ["country"]},
        {"conversion_type": "goal"},
        {"segments": "country", "conversion_type": "goal", "split_on_conversion": False},
        {"segments": ["country"], "conversion_type": "goal", "lookback": "1D", "tiebreak": "hit"},
        {"channel": ["channel", "campaign"]},
        {"channel": ["channel", "campaign"], "segments": "country", "conversion_type": "goal"},
    ]
)


def _arguments(options: dict[str, Any]) -> dict[str, Any]:
    return {**COLUMNS, **options}  # options may name the channel levels


SETTINGS = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@SETTINGS
@given(attributed_logs(), ATTRIBUTE_OPTIONS, st.sampled_from(["arrow", "chunks", "relation"]))
def test_duckdb_builds_the_attributes_pandas_builds(events: pd.DataFrame, options: dict[str, Any], how: str) -> None:
    from unittest import mock

    from attribution.engines.duckdb import from_events_duckdb

    expected = Journeys.from_events(events, **_arguments(options))
    if how == "chunks":  # sorted events streamed three rows at a time: users straddle batches
        with mock.patch("attribution.engines.duckdb.EVENTS_PER_BATCH", 3):
            got = from_events_duckdb(_arrow(events), **_arguments(options), memory_limit="500MB")
    elif how == "relation":
        got = Journeys.from_events(duckdb.connect().from_arrow(_arrow(events)), **_arguments(options))
    else:
        got = Journeys.from_events(_arrow(events), **_arguments(options))
    _assert_same(expected, got)


@SETTINGS
@given(attributed_logs(), ATTRIBUTE_OPTIONS, st.integers(1, 3))
def test_dask_builds_the_attributes_pandas_builds(events: pd.DataFrame, options: dict[str, Any], parts: int) -> None:
    dask = pytest.importorskip("dask", reason="the dask extra is not installed")
    dd = pytest.importorskip("dask.dataframe")
    expected = Journeys.from_events(events, **_arguments(options))
    with dask.config.set(scheduler="synchronous"):
        got = Journeys.from_events(dd.from_pandas(events, npartitions=parts, sort=False), **_arguments(options))
    _assert_same(expected, got)


@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(events=attributed_logs(), options=ATTRIBUTE_OPTIONS)
def test_spark_builds_the_attributes_pandas_builds(spark: Any, events: pd.DataFrame, options: dict[str, Any]) -> None:
    from pyspark.sql import functions as F  # noqa: N812  (the PySpark convention)

    frame = _spark_frame(spark, events)
    rows = spark.createDataFrame(
        [
            (i, c, g, k)
            for i, (c, g, k) in enumerate(zip(events["country"], events["goal"], events["campaign"], strict=True))
        ],
        "row long, country string, goal string, campaign string",
    )
    from pyspark.sql import Window

    indexed = frame.withColumn("row", F.monotonically_increasing_id())
    # monotonically increasing ids follow the row order of a frame made from one local list
    ordered = indexed.withColumn("row", F.row_number().over(Window.orderBy("row")) - 1)
    with_attributes = ordered.join(rows, "row").drop("row")
    expected = Journeys.from_events(events, **_arguments(options))
    _assert_same(expected, Journeys.from_events(with_attributes, **_arguments(options)))


def test_the_sql_method_refuses_attributes_it_cannot_carry() -> None:
    from attribution.engines.duckdb import from_events_duckdb

    events = pd.DataFrame(
        {
            "user": ["u"],
            "time": pd.to_datetime(["2024-01-01"]),
            "channel": ["A"],
            "converted": [True],
            "country": ["ID"],
        }
    )
    with pytest.raises(JourneyError, match=r"method.*must be 'sort'.*segments"):
        from_events_duckdb(_arrow(events), **COLUMNS, segments="country", method="sql")
