"""Builders at the edges: times, labels, columns, magnitudes and the engines' reading of them.

Each test pins a case that used to give a silent wrong result or an obscure error.
"""

from __future__ import annotations

import datetime as dt
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from attribution import JourneyError, Journeys, Linear

KW = {"user": "u", "time": "t", "channel": "c", "conversion": "x"}


def log(times: list[object], *, users: list[object] | None = None) -> pd.DataFrame:
    """Two touches and a conversion per user, in the order given."""
    n = len(times)
    channels = ["A", "B", None] * (n // 3) + ["A", "B", None][: n % 3]
    return pd.DataFrame(
        {
            "u": users or ["u1"] * n,
            "t": pd.Series(times, dtype=object),
            "c": channels,
            "x": [c is None for c in channels],
        }
    )


# ---------------------------------------------------------------------- times
def test_epoch_integers_in_a_text_column_need_a_unit() -> None:
    """Epoch seconds stored as text used to be read as nanoseconds since 1970."""
    events = log(["1704067200", "1704070800", "1704074400"])
    with pytest.raises(JourneyError, match=r"column 't' must hold ISO 8601 .*value '1704067200'.*time_unit='s'"):
        Journeys.from_events(events, **KW)
    journeys = Journeys.from_events(events, **KW, time_unit="s")
    assert journeys.times is not None
    assert journeys.times.tolist() == [7200.0, 3600.0]


def test_epoch_integers_in_an_object_column_need_a_unit() -> None:
    events = log([1704067200, 1704070800, 1704074400])
    with pytest.raises(JourneyError, match=r"column 't' holds numbers \(e.g. 1704067200\).*time_unit='s'"):
        Journeys.from_events(events, **KW)
    assert Journeys.from_events(events, **KW, time_unit="s").times.tolist() == [7200.0, 3600.0]


def test_numeric_epochs_in_milliseconds() -> None:
    events = log([0, 1_500, 3_000]).astype({"t": "int64"})
    assert Journeys.from_events(events, **KW, time_unit="ms").times.tolist() == [3.0, 1.5]


def test_one_integer_among_date_strings_is_refused_not_sorted_first() -> None:
    events = log(["2024-01-02", "1704067200", "2024-01-03"])
    with pytest.raises(JourneyError, match=r"1 row breaks it, first at index 1 \(value '1704067200'\)"):
        Journeys.from_events(events, **KW)


def test_day_first_dates_are_refused_with_the_fix() -> None:
    """12/01/2024 and 13/01/2024: a month-first guess would put them eleven months apart."""
    events = log(["12/01/2024 10:00", "13/01/2024 09:00", "13/01/2024 10:00"])
    with pytest.raises(JourneyError, match=r"value '12/01/2024 10:00'.*time_format='%d/%m/%Y %H:%M'"):
        Journeys.from_events(events, **KW)
    journeys = Journeys.from_events(events, **KW, time_format="%d/%m/%Y %H:%M")
    assert journeys.times.tolist() == [86_400.0, 3_600.0]


def test_ambiguous_dates_all_below_13_are_refused_too() -> None:
    events = log(["01/02/2024", "02/02/2024", "03/02/2024"])
    with pytest.raises(JourneyError, match=r"neither day-first nor month-first by guess"):
        Journeys.from_events(events, **KW)


def test_time_format_that_does_not_fit_names_the_value() -> None:
    events = log(["13/01/2024", "2024-01-14", "15/01/2024"])
    with pytest.raises(
        JourneyError, match=r"format '%d/%m/%Y'; 1 row breaks it, first at index 1 \(value '2024-01-14'\)"
    ):
        Journeys.from_events(events, **KW, time_format="%d/%m/%Y")


def test_time_options_are_checked() -> None:
    events = log(["2024-01-01", "2024-01-02", "2024-01-03"])
    with pytest.raises(JourneyError, match=r"argument 'time_unit' must be 's', 'ms', 'us' or 'ns'; got 'seconds'"):
        Journeys.from_events(events, **KW, time_unit="seconds")
    with pytest.raises(JourneyError, match=r"argument 'time_format' must be a strftime format"):
        Journeys.from_events(events, **KW, time_format="dd/mm/yyyy")
    with pytest.raises(JourneyError, match=r"'time_unit' applies to epoch numbers"):
        Journeys.from_events(events.assign(t=pd.to_datetime(events["t"])), **KW, time_unit="s")


def test_years_outside_the_nanosecond_range_name_the_column() -> None:
    for text in ("2263-01-01", "1600-06-01"):
        events = log(["2024-01-01", text, "2024-01-03"])
        with pytest.raises(JourneyError, match=rf"column 't' must hold times between the years 1677 and 2262.*{text}"):
            Journeys.from_events(events, **KW)


def test_out_of_range_datetimes_of_coarse_resolution_name_the_column() -> None:
    stamps = np.array(["2024-01-01", "2300-01-01", "2024-01-03"], dtype="datetime64[s]")
    events = log([0, 0, 0]).assign(t=stamps)
    with pytest.raises(JourneyError, match=r"between the years 1677 and 2262 .*; 1 row breaks it, first at index 1"):
        Journeys.from_events(events, **KW)


def test_epochs_out_of_range_name_the_column() -> None:
    events = log([0, 10**12, 1]).astype({"t": "int64"})
    with pytest.raises(JourneyError, match=r"epoch times in 's' within pandas' range.*index 1"):
        Journeys.from_events(events, **KW, time_unit="s")


@pytest.mark.parametrize("lookback", ["1000000D", 10**9, dt.timedelta(days=200_000)])
def test_a_lookback_longer_than_pandas_holds_names_the_argument(lookback: object) -> None:
    events = log(["2024-01-01", "2024-01-02", "2024-01-03"])
    with pytest.raises(JourneyError, match=r"argument 'lookback' is longer than pandas can hold"):
        Journeys.from_events(events, **KW, lookback=lookback)


def test_mixed_utc_offsets_are_one_instant_each_without_warnings() -> None:
    """pandas 2 warns (FutureWarning) and returns objects; pandas 3 raises: both are converted to UTC."""
    events = log(["2024-01-01T10:00+07:00", "2024-01-01T03:30Z", "2024-01-01T04:00:00+00:00"])
    assert Journeys.from_events(events, **KW).times.tolist() == [3600.0, 1800.0]  # 03:00Z, 03:30Z, 04:00Z


def test_aware_beside_naive_strings_is_refused() -> None:
    events = log(["2024-01-01T10:00+07:00", "2024-01-01T03:30", "2024-01-01T04:00"])
    with pytest.raises(JourneyError, match=r"mixes time-zone-aware and naive times \(naive ones listed\)"):
        Journeys.from_events(events, **KW)


# ---------------------------------------------------------------------- columns and flags
def test_duplicate_column_names_are_refused() -> None:
    events = log(["2024-01-01", "2024-01-02", "2024-01-03"])
    events.insert(1, "c2", events["c"])
    events.columns = ["u", "c", "t", "c", "x"]
    with pytest.raises(JourneyError, match=r"column 'c' \(argument 'channel'\) appears 2 times"):
        Journeys.from_events(events, **KW)


def test_integer_column_labels_are_found() -> None:
    events = log(["2024-01-01", "2024-01-02", "2024-01-03"])
    events.columns = [0, 1, 2, 3]
    journeys = Journeys.from_events(events, user=0, time=1, channel=2, conversion=3)  # type: ignore[arg-type]
    assert journeys.paths() == [("A", "B")]
    with pytest.raises(JourneyError, match=r"column '0' \(argument 'user'\) is not in the data \(a column is named 0"):
        Journeys.from_events(events, user="0", time=1, channel=2, conversion=3)  # type: ignore[arg-type]


def test_object_flags_may_mix_booleans_with_zero_and_one() -> None:
    events = log(["2024-01-01", "2024-01-02", "2024-01-03"]).assign(x=pd.Series([False, 0, True], dtype=object))
    assert Journeys.from_events(events, **KW).conversions.tolist() == [1.0]
    events["x"] = pd.Series([False, "no", True], dtype=object)
    with pytest.raises(JourneyError, match=r"column 'x' must be boolean .* first at index 1 \(value 'no'\)"):
        Journeys.from_events(events, **KW)


def test_a_categorical_path_column_reads_its_paths() -> None:
    table = pd.DataFrame({"path": pd.Categorical(["A > B", "B", "A > B"]), "conv": [1, 0, 2]})
    journeys = Journeys.from_paths(table, path="path", conversions="conv")
    assert journeys.paths() == [("A", "B"), ("B",), ("A", "B")]


def test_nullable_integer_counts_with_missing_values_are_refused_by_name() -> None:
    table = pd.DataFrame({"path": ["A", "B"], "conv": pd.array([1, None], dtype="Int64")})
    with pytest.raises(JourneyError, match=r"column 'conv' must not be NaN; 1 row breaks it, first at index 1"):
        Journeys.from_paths(table, path="path", conversions="conv")


# ---------------------------------------------------------------------- labels
def test_every_builder_strips_surrounding_whitespace_from_labels() -> None:
    expected = [("Email", "Search")]
    events = pd.DataFrame(
        {"u": ["a", "a", "a"], "t": pd.to_datetime(["2024-01-01", "2024-01-02", "2024-01-03"]),
         "c": [" Email", "Search\t", None], "x": [False, False, True]}
    )  # fmt: skip
    assert Journeys.from_events(events, **KW).paths() == expected
    assert (
        Journeys.from_paths(pd.DataFrame({"p": [" Email >Search "], "n": [1]}), path="p", conversions="n").paths()
        == expected
    )
    assert (
        Journeys.from_paths(pd.DataFrame({"p": [[" Email", "Search "]], "n": [1]}), path="p", conversions="n").paths()
        == expected
    )
    assert Journeys.from_sequences([[" Email", "Search\n"]], conversions=[1]).paths() == expected
    assert Journeys(np.array([0, 1]), np.array([0, 2]), [" Email", "Search "], [1.0]).paths() == expected


def test_labels_equal_once_stripped_are_one_channel() -> None:
    journeys = Journeys.from_sequences([["Email", " Email"]], conversions=[1])
    assert journeys.channels == ("Email",)
    assert Linear().attribute(journeys).credits["conversions"].tolist() == [1.0]


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.lists(st.text(min_size=1, max_size=6).filter(lambda s: s.strip() == s and s), max_size=4),
        min_size=1,
        max_size=5,
    )
)
def test_to_frame_then_from_paths_round_trips_any_label(paths: list[list[str]]) -> None:
    """Labels may hold the separator, spaces inside, any unicode: the table reads back the same."""
    journeys = Journeys.from_sequences(paths, conversions=[1] * len(paths), nulls=[2] * len(paths))
    table = journeys.to_frame()
    back = Journeys.from_paths(table, path="path", conversions="conversions", nulls="nulls", value="value")
    assert back == journeys


# ---------------------------------------------------------------------- magnitudes
def test_totals_that_overflow_are_refused() -> None:
    with pytest.raises(JourneyError, match=r"the total of conversions overflows to infinity"):
        Journeys.from_sequences([["A"], ["B"]], conversions=[1e308, 1e308])
    table = pd.DataFrame({"p": ["A", "B"], "n": [1.0, 1.0], "v": [1e308, 1e308]})
    with pytest.raises(JourneyError, match=r"the total of column 'v' overflows"):
        Journeys.from_paths(table, path="p", conversions="n", value="v")


def test_tiny_weighted_counts_are_kept() -> None:
    journeys = Journeys.from_sequences([["A"], ["B", "A"]], conversions=[1e-300, 3e-300], value=[1e-300, 0])
    credits = Linear().attribute(journeys).credits
    assert credits["conversions"].sum() == pytest.approx(4e-300, rel=1e-12)
    assert credits["conversions"].tolist() == pytest.approx([2.5e-300, 1.5e-300], rel=1e-12)


# ---------------------------------------------------------------------- engines read times the same way
duckdb = pytest.importorskip("duckdb", reason="the duckdb extra is not installed")
pa = pytest.importorskip("pyarrow", reason="pyarrow is not installed")


def test_iso_string_times_through_duckdb_equal_pandas() -> None:
    """Arrow and polars string times used to fail in DuckDB with a BinderException."""
    polars = pytest.importorskip("polars")
    events = log(
        [
            "2024-01-01 10:00",
            "2024-01-02T10:00:00",
            "2024-01-03",
            "2024-01-01T10:00+07:00",
            "2024-01-01T04:00Z",
            "2024-01-02",
        ],
        users=["a", "a", "a", "b", "b", "b"],
    )
    events = events.iloc[:3]  # one user's naive times; zones are tested below
    expected = Journeys.from_events(events, **KW)
    for source in (pa.Table.from_pandas(events), polars.from_pandas(events)):
        for method in ("sort", "sql"):
            from attribution.engines.duckdb import from_events_duckdb

            assert from_events_duckdb(source, **KW, method=method) == expected


def test_zoned_strings_and_formats_through_duckdb_equal_pandas() -> None:
    from attribution.engines.duckdb import from_events_duckdb

    zoned = log(["2024-01-01T10:00+07:00", "2024-01-01T03:30Z", "2024-01-01T04:00:00+00:00"])
    assert from_events_duckdb(pa.Table.from_pandas(zoned), **KW) == Journeys.from_events(zoned, **KW)
    day_first = log(["12/01/2024 10:00", "13/01/2024 09:00", "13/01/2024 10:00"])
    with pytest.raises(JourneyError, match=r"must hold ISO 8601 times"):
        from_events_duckdb(pa.Table.from_pandas(day_first), **KW)
    fmt = "%d/%m/%Y %H:%M"
    assert from_events_duckdb(pa.Table.from_pandas(day_first), **KW, time_format=fmt) == Journeys.from_events(
        day_first, **KW, time_format=fmt
    )
    epochs = log([1704067200, 1704070800, 1704074400]).astype({"t": "int64"})
    with pytest.raises(JourneyError, match=r"holds numbers \(BIGINT\).*time_unit='s'"):
        from_events_duckdb(pa.Table.from_pandas(epochs), **KW)
    assert from_events_duckdb(pa.Table.from_pandas(epochs), **KW, time_unit="s") == Journeys.from_events(
        epochs, **KW, time_unit="s"
    )
    far = log(["2024-01-01", "2300-01-01", "2024-01-03"])
    with pytest.raises(JourneyError, match=r"between the years 1677 and 2262"):
        from_events_duckdb(pa.Table.from_pandas(far), **KW)


def test_duckdb_leaves_the_callers_connection_as_it_was() -> None:
    """A temp view named `events` used to shadow the caller's table; settings stayed changed."""
    from attribution.engines.duckdb import from_events_duckdb

    connection = duckdb.connect()
    connection.execute("CREATE TABLE events AS SELECT 42 AS answer")
    settings_sql = "SELECT current_setting('preserve_insertion_order')"
    before = connection.sql(settings_sql).fetchall()
    events = pa.Table.from_pandas(log(["2024-01-01", "2024-01-02", "2024-01-03"]))
    from_events_duckdb(events, **KW, connection=connection, memory_limit="256MB")
    assert connection.sql("SELECT * FROM events").fetchall() == [(42,)]
    assert connection.sql(settings_sql).fetchall() == before
    assert connection.sql("SELECT view_name FROM duckdb_views() WHERE NOT internal").fetchall() == []


def test_duckdb_memory_limit_is_validated_not_pasted_into_sql() -> None:
    from attribution.engines.duckdb import from_events_duckdb

    events = pa.Table.from_pandas(log(["2024-01-01", "2024-01-02", "2024-01-03"]))
    with pytest.raises(JourneyError, match=r"argument 'memory_limit' must be an amount of memory"):
        from_events_duckdb(events, **KW, memory_limit="1GB'; DROP TABLE x; --")


def test_duckdb_labels_follow_the_strip_rule() -> None:
    from attribution.engines.duckdb import from_events_duckdb

    events = log(["2024-01-01", "2024-01-02", "2024-01-03"]).assign(c=[" A", "A\t", None])
    expected = Journeys.from_events(events, **KW)
    assert expected.paths() == [("A", "A")]
    for method in ("sort", "sql"):
        assert from_events_duckdb(pa.Table.from_pandas(events), **KW, method=method) == expected


# ---------------------------------------------------------------------- command line
def test_cli_reports_a_date_after_2262_in_one_line(tmp_path: object) -> None:
    from pathlib import Path

    path = Path(str(tmp_path)) / "far.csv"
    path.write_text("user_id,timestamp,channel,converted,revenue\nu1,2300-01-13,A,false,\n")
    done = subprocess.run([sys.executable, "-m", "attribution", str(path)], capture_output=True, text=True, check=False)
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    assert done.stderr.count("\n") == 1
    assert "between the years 1677 and 2262" in done.stderr


def test_cli_reads_day_first_dates_with_time_format(tmp_path: object) -> None:
    from pathlib import Path

    path = Path(str(tmp_path)) / "dm.csv"
    path.write_text(
        "user_id,timestamp,channel,converted,revenue\nu1,12/01/2024 10:00,A,false,\nu1,13/01/2024 10:00,,true,5\n"
    )
    refused = subprocess.run(
        [sys.executable, "-m", "attribution", str(path)], capture_output=True, text=True, check=False
    )
    assert refused.returncode == 2
    assert "--time-format" in refused.stderr
    done = subprocess.run(
        [sys.executable, "-m", "attribution", str(path), "--time-format", "%d/%m/%Y %H:%M", "--models", "linear",
         "--format", "csv"],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "A,1.0" in done.stdout
