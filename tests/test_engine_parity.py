"""Engine parity: every engine builds exactly the Journeys of the pandas builder.

Random event logs (hypothesis) go through pandas and DuckDB — as an Arrow table, as a
Parquet file, as a relation, streamed in batches of three sorted events, and entirely in
SQL (``method="sql"``, the query for warehouses) — with every option of
``from_events``; a fixed set of tricky logs does too. Equality is exact: paths, counts,
value, times (seconds before the journey's end) and users.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from attribution import JourneyError, Journeys
from attribution.testing.strategies import event_logs

duckdb = pytest.importorskip("duckdb", reason="the duckdb extra is not installed")
pa = pytest.importorskip("pyarrow", reason="pyarrow (the duckdb and parquet extras) is not installed")
pq = pytest.importorskip("pyarrow.parquet")

COLUMNS = {"user": "user", "time": "time", "channel": "channel", "conversion": "converted"}


def _arrow(events: pd.DataFrame) -> Any:
    return pa.Table.from_pandas(events, preserve_index=False)


def via_arrow(events: pd.DataFrame, **options: Any) -> Journeys:
    return Journeys.from_events(_arrow(events), **COLUMNS, **options)


def via_parquet(events: pd.DataFrame, tmp: Path, **options: Any) -> Journeys:
    path = tmp / "events.parquet"
    pq.write_table(_arrow(events), path)
    return Journeys.from_events(str(path), **COLUMNS, **options)


def via_chunks(events: pd.DataFrame, **options: Any) -> Journeys:
    """Sorted events streamed 3 rows at a time: users straddle batches and are carried over."""
    from unittest import mock

    from attribution.engines.duckdb import from_events_duckdb

    with mock.patch("attribution.engines.duckdb.EVENTS_PER_BATCH", 3):
        return from_events_duckdb(_arrow(events), **COLUMNS, memory_limit="500MB", **options)


def via_sql(events: pd.DataFrame, **options: Any) -> Journeys:
    from attribution.engines.duckdb import from_events_duckdb

    return from_events_duckdb(_arrow(events), **COLUMNS, method="sql", chunks=2, **options)  # two user ranges


def via_relation(events: pd.DataFrame, **options: Any) -> Journeys:
    connection = duckdb.connect()
    relation = connection.from_arrow(_arrow(events))
    return Journeys.from_events(relation, **COLUMNS, **options)


ENGINES: dict[str, Callable[..., Journeys]] = {
    "duckdb-arrow": via_arrow,
    "duckdb-chunks": via_chunks,
    "duckdb-relation": via_relation,
    "duckdb-sql": via_sql,
}

option_sets = st.fixed_dictionaries(
    {
        "value": st.sampled_from([None, "value"]),
        "lookback": st.sampled_from([None, "1D", "36h", pd.Timedelta(hours=12)]),
        "max_touches": st.sampled_from([None, 1, 2]),
        "split_on_conversion": st.booleans(),
        "tiebreak": st.sampled_from([None, "hit"]),
        "drop_duplicates": st.booleans(),
    }
)


def _frame(journeys: Journeys) -> pd.DataFrame:
    """Every row with its user, path, counts, value and times; users compared by value, since an
    engine may hand back the same labels in another dtype (dask's Arrow strings, say)."""
    frame = journeys.to_frame(times=True)
    if "user" in frame:
        frame["user"] = frame["user"].astype(object)
    return frame


def _assert_same(expected: Journeys, got: Journeys) -> None:
    assert got.channels == expected.channels
    assert _frame(got).equals(_frame(expected)), (_frame(expected), _frame(got))
    assert got.equals(expected)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(event_logs(), option_sets, st.sampled_from(sorted(ENGINES)))
def test_duckdb_builds_what_pandas_builds(events: pd.DataFrame, options: dict[str, Any], engine: str) -> None:
    expected = Journeys.from_events(events, **COLUMNS, **options)
    _assert_same(expected, ENGINES[engine](events, **options))


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(event_logs(max_users=8, max_events=40), option_sets)
def test_duckdb_from_a_parquet_file(tmp_path: Path, events: pd.DataFrame, options: dict[str, Any]) -> None:
    expected = Journeys.from_events(events, **COLUMNS, **options)
    _assert_same(expected, via_parquet(events, tmp_path, **options))


def tricky_logs() -> dict[str, pd.DataFrame]:
    """Ties, lookback edges, conversions without touches, users with only touches."""
    t = pd.Timestamp("2024-03-01")
    day = pd.Timedelta(days=1)
    return {
        "ties": pd.DataFrame(
            {
                "user": ["a", "a", "a", "a", "b", "b"],
                "time": [t, t, t, t + day, t, t],
                "channel": ["Search", "Email", None, "Email", "Display", "Display"],
                "converted": [False, False, True, True, True, False],
                "value": [np.nan, np.nan, 10.0, 20.0, 5.0, np.nan],
                "hit": [3, 1, 2, 4, 1, 2],
            }
        ),
        "lookback_edge": pd.DataFrame(
            {
                "user": [1, 1, 1, 2, 2],
                "time": [t, t + day, t + 2 * day, t, t + 2 * day + pd.Timedelta(seconds=1)],
                "channel": ["A", "B", None, "A", None],
                "converted": [False, False, True, False, True],
                "value": [np.nan, np.nan, 3.0, np.nan, 4.0],
                "hit": [1, 2, 3, 4, 5],
            }
        ),
        "conversions_without_touches": pd.DataFrame(
            {
                "user": ["x", "x", "y"],
                "time": [t, t + day, t],
                "channel": [None, None, None],
                "converted": [True, True, True],
                "value": [1.0, 2.0, 3.0],
                "hit": [1, 2, 3],
            }
        ),
        "only_touches": pd.DataFrame(
            {
                "user": ["p", "p", "q"],
                "time": [t, t + day, t],
                "channel": ["A", "A", "B"],
                "converted": [False, False, False],
                "value": [np.nan, np.nan, np.nan],
                "hit": [1, 2, 3],
            }
        ),
    }


@pytest.mark.parametrize("name", sorted(tricky_logs()))
@pytest.mark.parametrize("engine", sorted(ENGINES))
@pytest.mark.parametrize("lookback", [None, "2D"])
@pytest.mark.parametrize("tiebreak", [None, "hit"])
def test_tricky_logs(name: str, engine: str, lookback: str | None, tiebreak: str | None) -> None:
    events = tricky_logs()[name]
    options = {"value": "value", "lookback": lookback, "tiebreak": tiebreak}
    _assert_same(Journeys.from_events(events, **COLUMNS, **options), ENGINES[engine](events, **options))


TRICKY_OPTIONS = [
    {"value": "value"},
    {"value": "value", "lookback": "2D", "tiebreak": "hit"},
    {"value": "value", "max_touches": 1, "split_on_conversion": False},
    {"lookback": "36h", "drop_duplicates": True},
]


def _spark_frame(spark: Any, events: pd.DataFrame) -> Any:
    from pyspark.sql import types as T

    schema = T.StructType(
        [
            # an empty log's user column is float64 in pandas: keep the type so the users match
            T.StructField(
                "user", {"i": T.LongType(), "f": T.DoubleType()}.get(events["user"].dtype.kind, T.StringType())
            ),
            # naive pandas times are wall-clock times: Spark's TIMESTAMP_NTZ (a TIMESTAMP is an instant,
            # shown in the session's zone, and its journeys record that zone; see test_time_zones)
            T.StructField("time", T.TimestampNTZType()),
            T.StructField("channel", T.StringType()),
            T.StructField("converted", T.BooleanType()),
            T.StructField("value", T.DoubleType()),
            T.StructField("hit", T.LongType()),
        ]
    )
    columns = [
        [u.item() if isinstance(u, np.generic) else u for u in events["user"]],
        [t.to_pydatetime() for t in events["time"]],
        [None if pd.isna(c) else c for c in events["channel"]],
        [bool(c) for c in events["converted"]],
        [None if pd.isna(v) else float(v) for v in events["value"]],
        [int(h) for h in events["hit"]],
    ]
    return spark.createDataFrame(list(zip(*columns, strict=True)), schema)


@pytest.mark.parametrize("name", sorted(tricky_logs()))
@pytest.mark.parametrize("options", TRICKY_OPTIONS, ids=lambda o: ",".join(o))
@pytest.mark.parametrize("method", ["collect", "collect in slices of 3 events", "window"])
def test_spark_builds_what_pandas_builds(spark: Any, name: str, options: dict[str, Any], method: str) -> None:
    from unittest import mock

    from attribution.engines.spark import from_events_spark

    events = tricky_logs()[name]
    expected = Journeys.from_events(events, **COLUMNS, **options)
    slice_size = 3 if "slices" in method else 2_000_000
    with mock.patch("attribution.engines.spark.EVENTS_PER_SLICE", slice_size):
        got = from_events_spark(_spark_frame(spark, events), **COLUMNS, **options, method=method.split()[0])
    _assert_same(expected, got)


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(event_logs(max_users=4, max_events=15), option_sets)
def test_spark_on_random_logs(spark: Any, events: pd.DataFrame, options: dict[str, Any]) -> None:
    expected = Journeys.from_events(events, **COLUMNS, **options)
    _assert_same(expected, Journeys.from_events(_spark_frame(spark, events), **COLUMNS, **options))


def test_the_input_is_not_modified_and_time_decay_runs_on_engine_journeys() -> None:
    from attribution import TimeDecay

    events = tricky_logs()["ties"]
    before = events.copy()
    table = _arrow(events)
    built = Journeys.from_events(table, **COLUMNS, value="value")
    pd.testing.assert_frame_equal(events, before)
    assert table.equals(_arrow(before))
    credits = TimeDecay("1D").attribute(built).credits
    expected = TimeDecay("1D").attribute(Journeys.from_events(events, **COLUMNS, value="value")).credits
    pd.testing.assert_frame_equal(credits, expected)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"channel": [None, "A"], "converted": [False, False]}, "must name a channel on every touch"),
        ({"channel": [" ", "A"]}, "must not hold empty channel labels"),
        ({"converted": [2, 0]}, "must be boolean"),
        ({"value": [5.0, np.nan], "converted": [False, False]}, "must be null or 0 on rows that are not conversions"),
        ({"value": [-1.0, np.nan], "converted": [True, False]}, "must be finite and >= 0"),
        ({"user": [None, "u"]}, "column 'user' must not be null"),
    ],
)
def test_bad_input_is_a_clear_error(change: dict[str, list[Any]], message: str) -> None:
    events = pd.DataFrame(
        {
            "user": ["u", "u"],
            "time": pd.to_datetime(["2024-01-01", "2024-01-02"]),
            "channel": ["A", "B"],
            "converted": [False, True],
            "value": [np.nan, 3.0],
        }
    )
    for column, values in change.items():
        events[column] = values
    with pytest.raises(JourneyError, match=message) as raised:
        via_arrow(events, value="value")
    assert "Fix:" in str(raised.value)


def test_a_missing_column_names_the_argument() -> None:
    events = tricky_logs()["ties"].rename(columns={"channel": "source"})
    with pytest.raises(JourneyError, match=r"column 'channel' \(argument 'channel'\) is not in the data"):
        via_arrow(events)


def test_an_unknown_file_format_is_refused(tmp_path: Path) -> None:
    with pytest.raises(JourneyError, match=r"must end in \.parquet"):
        Journeys.from_events(str(tmp_path / "events.json"), **COLUMNS)


def _dask_frame(events: pd.DataFrame, partitions: int = 3) -> Any:
    dd = pytest.importorskip("dask.dataframe", reason="the dask extra is not installed")
    return dd.from_pandas(events, npartitions=partitions, sort=False)


@pytest.mark.parametrize("name", sorted(tricky_logs()))
@pytest.mark.parametrize("options", TRICKY_OPTIONS, ids=lambda o: ",".join(o))
def test_dask_builds_what_pandas_builds(name: str, options: dict[str, Any]) -> None:
    dask = pytest.importorskip("dask", reason="the dask extra is not installed")
    events = tricky_logs()[name]
    expected = Journeys.from_events(events, **COLUMNS, **options)
    with dask.config.set(scheduler="synchronous"):
        _assert_same(expected, Journeys.from_events(_dask_frame(events), **COLUMNS, **options))


@settings(max_examples=25, deadline=None)
@given(event_logs(max_users=6, max_events=30), option_sets, st.integers(1, 4))
def test_dask_on_random_logs(events: pd.DataFrame, options: dict[str, Any], partitions: int) -> None:
    dask = pytest.importorskip("dask", reason="the dask extra is not installed")
    expected = Journeys.from_events(events, **COLUMNS, **options)
    with dask.config.set(scheduler="synchronous"):
        _assert_same(expected, Journeys.from_events(_dask_frame(events, partitions), **COLUMNS, **options))


def test_dask_on_a_local_cluster() -> None:
    distributed = pytest.importorskip("dask.distributed", reason="the dask extra is not installed")
    events = pd.concat([log.assign(user=log["user"].astype(str) + name) for name, log in tricky_logs().items()])
    expected = Journeys.from_events(events, **COLUMNS, value="value", lookback="2D")
    with (
        distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=False, dashboard_address=None) as cluster,
        distributed.Client(cluster),
    ):
        got = Journeys.from_events(
            _dask_frame(events.reset_index(drop=True), 2), **COLUMNS, value="value", lookback="2D"
        )
    _assert_same(expected, got)


def test_dask_refuses_a_user_split_over_partitions_without_a_shuffle() -> None:
    dask = pytest.importorskip("dask", reason="the dask extra is not installed")
    from attribution.engines.dask import from_events_dask

    events = tricky_logs()["ties"]
    with dask.config.set(scheduler="synchronous"), pytest.raises(JourneyError, match=r"overlap|more than one"):
        from_events_dask(_dask_frame(events, 2), **COLUMNS, shuffle=False)


def test_duckdb_reads_a_glob_of_parquet_files(tmp_path: Path) -> None:
    """Two files holding different users, read through one glob, build what pandas builds on both."""
    events = pd.concat([log.assign(user=log["user"].astype(str) + name) for name, log in tricky_logs().items()])
    users = sorted(events["user"].unique())
    first = events["user"].isin(users[: len(users) // 2])
    pq.write_table(_arrow(events[first]), tmp_path / "part-0.parquet")
    pq.write_table(_arrow(events[~first]), tmp_path / "part-1.parquet")
    expected = Journeys.from_events(events, **COLUMNS, value="value")
    _assert_same(expected, Journeys.from_events(str(tmp_path / "*.parquet"), **COLUMNS, value="value"))


def test_duckdb_reads_a_polars_frame() -> None:
    polars = pytest.importorskip("polars", reason="polars is not installed")
    events = tricky_logs()["ties"]
    expected = Journeys.from_events(events, **COLUMNS, value="value", tiebreak="hit")
    _assert_same(expected, Journeys.from_events(polars.from_pandas(events), **COLUMNS, value="value", tiebreak="hit"))
