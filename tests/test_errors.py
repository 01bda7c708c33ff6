"""Bad input gets a clear error naming column, rule, first offending row and fix; each message is pinned."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from attribution import AttributionError, JourneyError, Journeys
from tests.helpers import build, events


@pytest.fixture
def log() -> pd.DataFrame:
    return events(
        [
            ("u", "2024-01-01", "A", False, None),
            ("u", "2024-01-02", "B", False, None),
            ("u", "2024-01-03", None, True, 10.0),
        ]
    )


def test_journey_error_is_an_attribution_error_and_a_value_error() -> None:
    assert issubclass(JourneyError, AttributionError)
    assert issubclass(JourneyError, ValueError)


def test_missing_column_lists_the_existing_columns(log: pd.DataFrame) -> None:
    with pytest.raises(
        JourneyError, match=r"column 'when' \(argument 'time'\) is not in the data; the columns are: 'user', 'time'"
    ):
        Journeys.from_events(log, user="user", time="when", channel="channel", conversion="converted")


def test_not_a_dataframe() -> None:
    with pytest.raises(JourneyError, match="expected a pandas DataFrame; got list"):
        Journeys.from_events([], user="u", time="t", channel="c", conversion="x")  # type: ignore[arg-type]


def test_null_user_names_the_first_row(log: pd.DataFrame) -> None:
    log.loc[1, "user"] = None
    with pytest.raises(
        JourneyError, match=r"column 'user' must not be null; 1 row breaks it, first at index 1\. Fix: drop"
    ):
        build(log)


def test_null_time(log: pd.DataFrame) -> None:
    log.loc[2, "time"] = pd.NaT
    with pytest.raises(JourneyError, match=r"column 'time' must not be null; 1 row breaks it, first at index 2"):
        build(log)


def test_unparseable_time_quotes_the_value(log: pd.DataFrame) -> None:
    log["time"] = ["2024-01-01", "yesterday-ish", "2024-01-03"]
    with pytest.raises(
        JourneyError,
        match=r"must hold ISO 8601 times .* unless time_format says how to read them; 1 row breaks it, "
        r"first at index 1 \(value 'yesterday-ish'\)",
    ):
        build(log)


def test_mixed_aware_and_naive_times(log: pd.DataFrame) -> None:
    log["time"] = pd.Series(
        [dt.datetime(2024, 1, 1, tzinfo=dt.timezone.utc), dt.datetime(2024, 1, 2), dt.datetime(2024, 1, 3)],
        dtype=object,
    )
    with pytest.raises(
        JourneyError,
        match=r"mixes time-zone-aware and naive times \(naive ones listed\); 2 rows break it, first at index 1",
    ):
        build(log)


def test_numeric_times_are_refused_as_ambiguous(log: pd.DataFrame) -> None:
    log["time"] = [1, 2, 3]
    with pytest.raises(
        JourneyError, match=r"column 'time' holds numbers \(e.g. 1\), epoch times .* Fix: pass time_unit='s'"
    ):
        build(log)


def test_negative_value(log: pd.DataFrame) -> None:
    log.loc[2, "value"] = -5.0
    with pytest.raises(
        JourneyError, match=r"column 'value' must be >= 0; 1 row breaks it, first at index 2 \(value -5\.0\)"
    ):
        build(log)


def test_infinite_value(log: pd.DataFrame) -> None:
    log.loc[2, "value"] = np.inf
    with pytest.raises(JourneyError, match=r"column 'value' must be finite"):
        build(log)


def test_missing_value_on_a_conversion(log: pd.DataFrame) -> None:
    log.loc[2, "value"] = np.nan
    with pytest.raises(JourneyError, match=r"column 'value' must not be null on a conversion; .*fillna\(0\)"):
        build(log)


def test_value_on_a_non_conversion(log: pd.DataFrame) -> None:
    log.loc[0, "value"] = 3.0
    with pytest.raises(
        JourneyError,
        match=r"must be null or 0 on rows that are not conversions; 1 row breaks it, first at index 0 \(value 3\.0\)",
    ):
        build(log)


def test_non_numeric_value(log: pd.DataFrame) -> None:
    log["value"] = log["value"].astype(object)
    log.loc[2, "value"] = "ten"
    with pytest.raises(
        JourneyError, match=r"column 'value' must be numeric; 1 row breaks it, first at index 2 \(value 'ten'\)"
    ):
        build(log)


def test_null_channel_on_a_touch(log: pd.DataFrame) -> None:
    log.loc[1, "channel"] = None
    with pytest.raises(
        JourneyError, match=r"must name a channel on every touch .*first at index 1\. Fix: fill in the channel"
    ):
        build(log)


def test_empty_channel_label(log: pd.DataFrame) -> None:
    log.loc[0, "channel"] = "  "
    with pytest.raises(JourneyError, match=r"must not hold empty channel labels; 1 row breaks it, first at index 0"):
        build(log)


@pytest.mark.parametrize("flags", [["yes", "no", "yes"], [0, 2, 1], [True, None, False]])
def test_non_boolean_conversion_flag(log: pd.DataFrame, flags: list[object]) -> None:
    log["converted"] = pd.Series(flags, dtype=object)
    with pytest.raises(JourneyError, match=r"column 'converted' must (be boolean \(True/False or 1/0\)|not be null)"):
        build(log)


@pytest.mark.parametrize(
    ("lookback", "message"),
    [
        ("1M", "is not a duration pandas understands"),
        ("30", "must name its unit"),
        (-3, "must be a positive, finite number of days"),
        ("0D", "must be a positive duration"),
        ([30], "must be a duration; got list"),
    ],
)
def test_bad_lookback(log: pd.DataFrame, lookback: object, message: str) -> None:
    with pytest.raises(JourneyError, match=rf"argument 'lookback' {message}"):
        build(log, lookback=lookback)


@pytest.mark.parametrize("k", [0, -1, 2.5, True])
def test_bad_max_touches(log: pd.DataFrame, k: object) -> None:
    with pytest.raises(JourneyError, match=r"argument 'max_touches' must be an integer >= 1; got"):
        build(log, max_touches=k)


def test_null_path_in_a_path_table() -> None:
    table = pd.DataFrame({"path": ["A > B", None], "conv": [1, 1]})
    with pytest.raises(
        JourneyError, match=r"column 'path' must not be null; 1 row breaks it, first at index 1\. Fix: use ''"
    ):
        Journeys.from_paths(table, path="path", conversions="conv")


def test_empty_label_between_separators() -> None:
    table = pd.DataFrame({"path": ["A > B", "A >  > B", "C >"], "conv": [1, 1, 1]})
    with pytest.raises(
        JourneyError,
        match=r"must not hold empty channel labels between separators '>'; 2 rows break it, first at index 1 \(value 'A >  > B'\)",
    ):
        Journeys.from_paths(table, path="path", conversions="conv")


def test_separator_inside_a_list_label_is_a_label() -> None:
    """List paths carry their labels as they are: a '>' inside one is part of the label."""
    table = pd.DataFrame({"path": [["A", "B > C"]], "conv": [1]})
    j = Journeys.from_paths(table, path="path", conversions="conv")
    assert j.paths() == [("A", "B > C")]


def test_separator_inside_a_label_when_writing_strings() -> None:
    j = Journeys.from_sequences([["A", "B > C"]], conversions=[1])
    assert j.to_frame()["path"].tolist() == [["A", "B > C"]]  # the default falls back to lists
    with pytest.raises(JourneyError, match=r"channel label 'B > C' contains the path separator '>'.*path='list'"):
        j.to_frame(path="string")


@pytest.mark.parametrize(
    ("column", "bad", "message"),
    [
        ("conv", [1, -1], r"column 'conv' must be >= 0; 1 row breaks it, first at index 1 \(value -1\.0\)"),
        ("conv", [1, np.nan], r"column 'conv' must not be NaN"),
        ("nulls", [np.inf, 0], r"column 'nulls' must be finite; 1 row breaks it, first at index 0"),
        ("value", [5, 5], r"column 'value' must be 0 on a row without conversions; 1 row breaks it, first at index 1"),
    ],
)
def test_bad_counts_in_a_path_table(column: str, bad: list[float], message: str) -> None:
    table = pd.DataFrame({"path": ["A", "B"], "conv": [1, 0], "nulls": [0, 1], "value": [5, 0]})
    table[column] = bad
    with pytest.raises(JourneyError, match=message):
        Journeys.from_paths(table, path="path", conversions="conv", nulls="nulls", value="value")


def test_mixed_path_forms() -> None:
    table = pd.DataFrame({"path": ["A > B", ["C"]], "conv": [1, 1]})
    with pytest.raises(JourneyError, match="must hold only strings or only lists"):
        Journeys.from_paths(table, path="path", conversions="conv")


def test_from_sequences_counts_must_align() -> None:
    with pytest.raises(JourneyError, match=r"conversions must be one number per path row: expected 2 values"):
        Journeys.from_sequences([["A"], ["B"]], conversions=[1])


def test_from_sequences_times_must_not_increase() -> None:
    with pytest.raises(JourneyError, match=r"must not increase along a path"):
        Journeys.from_sequences([["A", "B"]], conversions=[1], times=[[5.0, 10.0]])


def test_constructor_checks_codes_against_labels() -> None:
    with pytest.raises(JourneyError, match=r"codes must lie in \[0, 1\)"):
        Journeys([0, 1], [0, 2], ["A"], [1])


def test_map_channels_reports_unmapped_labels() -> None:
    j = Journeys.from_sequences([["a", "b", "c"]], conversions=[1])
    with pytest.raises(JourneyError, match=r"mapping has no entry for 2 channel\(s\), first 'b'.*unmapped='keep'"):
        j.map_channels({"a": "A"})


def test_concat_refuses_overlapping_users() -> None:
    log = events([("u", "2024-01-01", "A", False, None), ("u", "2024-01-02", None, True, 1.0)])
    j = build(log)
    with pytest.raises(JourneyError, match=r"disjoint users, but user 'u' appears in more than one part"):
        j + j


def test_filter_contains_unknown_channel() -> None:
    j = Journeys.from_sequences([["A"]], conversions=[1])
    with pytest.raises(JourneyError, match=r"argument 'contains' must name channels of these journeys; got 'Z'"):
        j.filter(contains="Z")


def test_mixed_aware_and_naive_time_strings(log: pd.DataFrame) -> None:
    log["time"] = ["2024-01-01T00:00:00+00:00", "2024-01-02", "2024-01-03"]
    with pytest.raises(
        JourneyError,
        match=r"mixes time-zone-aware and naive times \(naive ones listed\); 2 rows break it, first at index 1 \(value '2024-01-02'\)",
    ):
        build(log)
