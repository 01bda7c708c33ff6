"""Calendar periods are counted in the event times' own time zone, by every builder.

The reference case: a purchase at 2024-01-31 20:00 UTC is at 2024-02-01 03:00 in Jakarta
(UTC+7), so under Jakarta times its journey belongs to February, not to January as it
would in UTC; a purchase at 2024-01-16 00:00 UTC stays in January in either zone.
"""

from __future__ import annotations

import datetime
import pickle

import pandas as pd
import pytest

from attribution import JourneyError, Journeys, LastTouch
from attribution.journeys.zones import offsets_zone, zone_name

COLUMNS = {"user": "user", "time": "time", "channel": "channel", "conversion": "converted"}
UTC_TIMES = pd.to_datetime(["2024-01-31 10:00", "2024-01-31 20:00", "2024-01-15 00:00", "2024-01-16 00:00"])


def _events(times: object) -> pd.DataFrame:
    return pd.DataFrame(
        {"user": ["u1", "u1", "u2", "u2"], "time": times, "channel": ["A", "B", "A", "C"], "converted": [0, 1, 0, 1]}
    )


JAKARTA = _events(UTC_TIMES.tz_localize("UTC").tz_convert("Asia/Jakarta"))
# the same instants written as strings with the +07:00 offset (ISO 8601's basic form: +0700)
OFFSET_STRINGS = _events(UTC_TIMES.tz_localize("UTC").tz_convert("Asia/Jakarta").strftime("%Y-%m-%dT%H:%M%z"))


def _periods(journeys: Journeys) -> dict[str, float]:
    """Last-touch conversions per month: u1's purchase (last touch B) and u2's (last touch C)."""
    credits = LastTouch().attribute(journeys, by="period").credits["conversions"]
    return {f"{period}/{channel}": v for (period, channel), v in credits.items() if v}


def test_periods_are_counted_in_the_times_own_zone() -> None:
    """u1's purchase (20:00 UTC on Jan 31) is on Feb 1 in Jakarta: its credit (B) is February's."""
    journeys = Journeys.from_events(JAKARTA, **COLUMNS)
    assert journeys.attribute_set().zone == "Asia/Jakarta"
    assert str(journeys.ended_at[0]) == "2024-02-01 03:00:00+07:00"
    assert _periods(journeys) == {"2024-01/C": 1.0, "2024-02/B": 1.0}


def test_the_same_instants_in_utc_fall_in_utc_months() -> None:
    """In UTC, u1's purchase is on Jan 31: both purchases are January's."""
    journeys = Journeys.from_events(_events(UTC_TIMES.tz_localize("UTC")), **COLUMNS)
    assert journeys.attribute_set().zone == "UTC"
    assert _periods(journeys) == {"2024-01/B": 1.0, "2024-01/C": 1.0}


def test_naive_times_are_wall_clock_times() -> None:
    """Naive times carry no zone; periods follow the times as written."""
    journeys = Journeys.from_events(_events(UTC_TIMES), **COLUMNS)
    assert journeys.attribute_set().zone is None
    assert journeys.ended_at.tz is None
    assert _periods(journeys) == {"2024-01/B": 1.0, "2024-01/C": 1.0}


def test_strings_with_one_offset_are_in_that_offset_and_mixed_offsets_in_utc() -> None:
    """+0700 strings: periods of UTC+7 (February for u1); mixing +07:00 with Z: UTC (January)."""
    journeys = Journeys.from_events(OFFSET_STRINGS, **COLUMNS)
    assert journeys.attribute_set().zone == "+07:00"
    assert _periods(journeys) == {"2024-01/C": 1.0, "2024-02/B": 1.0}
    mixed = OFFSET_STRINGS.assign(time=OFFSET_STRINGS["time"].where([True, True, True, False], "2024-01-16T00:00Z"))
    journeys = Journeys.from_events(mixed, **COLUMNS)
    assert journeys.attribute_set().zone == "UTC"
    assert _periods(journeys) == {"2024-01/B": 1.0, "2024-01/C": 1.0}


def test_the_zone_survives_every_transform_and_round_trip() -> None:
    journeys = Journeys.from_events(JAKARTA, **COLUMNS)
    table = journeys.to_frame(times=True)
    assert str(table["ended_at"].dt.tz) == "Asia/Jakarta"
    back = Journeys.from_paths(
        table, path="path", conversions="conversions", nulls="nulls", value="value", ended_at="ended_at"
    )
    assert back.attribute_set().zone == "Asia/Jakarta"
    assert _periods(back) == _periods(journeys)
    assert pickle.loads(pickle.dumps(journeys)).equals(journeys)
    assert journeys[[0]].attribute_set().zone == "Asia/Jakarta"
    assert journeys.with_attributes(device=["web", "app"]).attribute_set().zone == "Asia/Jakarta"
    assert str(journeys.with_period("M").attributes["period"].tolist()[0]) == "2024-02"
    other = Journeys.from_events(JAKARTA.assign(user=JAKARTA["user"] + "x"), **COLUMNS)
    assert Journeys.concat([journeys, other]).attribute_set().zone == "Asia/Jakarta"


def test_journeys_in_different_zones_are_not_stacked() -> None:
    jakarta = Journeys.from_events(JAKARTA, **COLUMNS)
    naive = Journeys.from_events(_events(UTC_TIMES).assign(user=lambda e: e["user"] + "x"), **COLUMNS)
    with pytest.raises(JourneyError, match=r"different time zones \('Asia/Jakarta' and naive times\).*tz_localize"):
        Journeys.concat([jakarta, naive])


def test_the_constructor_takes_the_zone_of_aware_end_times() -> None:
    ends = pd.DatetimeIndex(["2024-01-31 20:00", "2024-01-16 00:00"]).tz_localize("UTC").tz_convert("Asia/Jakarta")
    journeys = Journeys([0, 1], [0, 1, 2], ["B", "C"], [1, 1], ended_at=ends)
    assert journeys.attribute_set().zone == "Asia/Jakarta"
    assert _periods(journeys) == {"2024-01/C": 1.0, "2024-02/B": 1.0}


@pytest.mark.parametrize(
    ("zone", "name"),
    [
        (datetime.timezone(datetime.timedelta(hours=7)), "+07:00"),
        (datetime.timezone(datetime.timedelta(hours=-3, minutes=-30)), "-03:30"),
        (datetime.timezone.utc, "UTC"),
        ("Z", "UTC"),
        ("Etc/UTC", "UTC"),
        ("Europe/Paris", "Europe/Paris"),
    ],
)
def test_zone_names(zone: object, name: str) -> None:
    assert zone_name(zone) == name


def test_a_zone_without_a_name_is_refused() -> None:
    with pytest.raises(JourneyError, match="no name that pandas can read back"):
        zone_name("Mars/Olympus_Mons")


@pytest.mark.parametrize(
    ("offsets", "zone"),
    [
        ([], None),
        (["+07:00", "+0700", "+07"], "+07:00"),
        (["Z"], "UTC"),
        (["Z", "+00:00"], "UTC"),
        (["+07", "Z"], "UTC"),
    ],
)
def test_the_zone_of_offsets_the_engines_found(offsets: list[str], zone: str | None) -> None:
    assert offsets_zone(offsets) == zone


# ---------------------------------------------------------------------- engines
def test_duckdb_keeps_the_zone_of_pandas_arrow_and_string_input() -> None:
    pytest.importorskip("duckdb", reason="the duckdb extra is not installed")
    import pyarrow as pa

    from attribution.engines.duckdb import from_events_duckdb

    for source, events in [(JAKARTA, JAKARTA), (pa.Table.from_pandas(JAKARTA), JAKARTA), (OFFSET_STRINGS,) * 2]:
        built = from_events_duckdb(source, **COLUMNS)
        assert built.equals(Journeys.from_events(events, **COLUMNS))
        assert _periods(built) == {"2024-01/C": 1.0, "2024-02/B": 1.0}


def test_duckdb_timestamptz_columns_are_in_the_connections_zone() -> None:
    """A TIMESTAMPTZ column holds instants that DuckDB shows in its TimeZone setting: so do we."""
    duckdb = pytest.importorskip("duckdb", reason="the duckdb extra is not installed")
    from attribution.engines.duckdb import from_events_duckdb

    connection = duckdb.connect()
    connection.execute("SET TimeZone = 'Asia/Jakarta'")
    connection.register("utc_events", _events(UTC_TIMES))  # naive UTC, cast below to instants
    relation = connection.sql(
        "SELECT user, time::TIMESTAMP AT TIME ZONE 'UTC' AS time, channel, converted FROM utc_events"
    )
    built = from_events_duckdb(relation, **COLUMNS)
    assert built.attribute_set().zone == "Asia/Jakarta"
    assert _periods(built) == {"2024-01/C": 1.0, "2024-02/B": 1.0}


def test_spark_timestamps_are_in_the_session_zone_and_strings_in_their_offset(spark: object) -> None:
    """Spark timestamps are instants shown in the session's zone (UTC in the tests); offset strings
    (+0700 included, which Spark's cast does not read as written) are read as pandas reads them."""
    from attribution.engines.spark import from_events_spark

    rows = [(u, t.to_pydatetime(), c, k) for u, t, c, k in JAKARTA.itertuples(index=False)]
    frame = spark.createDataFrame(rows, "user string, time timestamp, channel string, converted int")  # type: ignore[attr-defined]
    built = from_events_spark(frame, **COLUMNS)
    assert built.attribute_set().zone == "UTC"
    assert _periods(built) == {"2024-01/B": 1.0, "2024-01/C": 1.0}
    rows = list(OFFSET_STRINGS.itertuples(index=False))
    strings = spark.createDataFrame(rows, "user string, time string, channel string, converted int")  # type: ignore[attr-defined]
    built = from_events_spark(strings, **COLUMNS)
    assert built.equals(Journeys.from_events(OFFSET_STRINGS, **COLUMNS))
    assert _periods(built) == {"2024-01/C": 1.0, "2024-02/B": 1.0}


def test_dask_keeps_the_zone() -> None:
    dd = pytest.importorskip("dask.dataframe", reason="the dask extra is not installed")
    built = Journeys.from_events(dd.from_pandas(JAKARTA, npartitions=2), **COLUMNS)
    assert built.equals(Journeys.from_events(JAKARTA, **COLUMNS))
    assert built.attribute_set().zone == "Asia/Jakarta"
