"""Every rule of SPEC.md §2, one behaviour per test."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from attribution import JourneyError, Journeys
from tests.helpers import DAY, build, events


def test_splits_at_each_conversion_and_keeps_trailing_touches_as_a_null_journey() -> None:
    log = events(
        [
            ("u", "2024-01-01", "A", False, None),
            ("u", "2024-01-02", "B", False, None),
            ("u", "2024-01-03", None, True, 10.0),
            ("u", "2024-01-04", "C", False, None),
            ("u", "2024-01-05", None, True, 20.0),
            ("u", "2024-01-06", "D", False, None),
        ]
    )
    j = build(log)
    assert j.paths() == [("A", "B"), ("C",), ("D",)]
    assert j.conversions.tolist() == [1, 1, 0]
    assert j.nulls.tolist() == [0, 0, 1]
    assert j.value.tolist() == [10, 20, 0]


def test_without_splitting_each_conversion_sees_every_earlier_touch() -> None:
    """fractribution's convention: touches serve several conversions; trailing touches of a converter are unused."""
    log = events(
        [
            ("u", "2024-01-01", "A", False, None),
            ("u", "2024-01-03", None, True, 10.0),
            ("u", "2024-01-04", "C", False, None),
            ("u", "2024-01-05", None, True, 20.0),
            ("u", "2024-01-06", "D", False, None),
            ("v", "2024-01-01", "B", False, None),
            ("v", "2024-01-02", "E", False, None),
        ]
    )
    j = build(log, split_on_conversion=False)
    assert j.paths() == [("A",), ("A", "C"), ("B", "E")]
    assert j.conversions.tolist() == [1, 1, 0]
    assert j.value.tolist() == [10, 20, 0]
    assert list(j.users) == ["u", "u", "v"]


def test_events_are_sorted_by_user_then_time_whatever_the_input_order() -> None:
    log = events(
        [
            ("b", "2024-01-02", "Y", False, None),
            ("a", "2024-01-03", None, True, 5.0),
            ("b", "2024-01-01", "X", False, None),
            ("a", "2024-01-01", "Q", False, None),
        ]
    )
    j = build(log)
    assert list(j.users) == ["a", "b"]
    assert j.paths() == [("Q",), ("X", "Y")]


def test_a_touch_comes_before_a_conversion_at_the_same_time() -> None:
    log = events([("u", "2024-01-01 10:00", None, True, 1.0), ("u", "2024-01-01 10:00", "A", False, None)])
    j = build(log)
    assert j.paths() == [("A",)]
    assert j.conversions.tolist() == [1]


def test_equal_times_without_tiebreak_order_touches_by_channel_label() -> None:
    log = events([("u", "2024-01-01", "Z", False, None), ("u", "2024-01-01", "M", False, None)])
    assert build(log).paths() == [("M", "Z")]


def test_tiebreak_column_orders_equal_times_before_the_default_rules() -> None:
    log = events(
        [
            ("u", "2024-01-01", "Z", False, None),
            ("u", "2024-01-01", None, True, 1.0),
            ("u", "2024-01-01", "M", False, None),
        ]
    )
    log["hit"] = [1, 2, 3]
    j = build(log, tiebreak="hit")
    assert j.paths() == [("Z",), ("M",)]
    assert j.conversions.tolist() == [1, 0]


def test_a_touch_that_converts_is_part_of_the_journey_it_closes() -> None:
    log = events([("u", "2024-01-01", "A", False, None), ("u", "2024-01-02", "Store", True, 50.0)])
    j = build(log)
    assert j.paths() == [("A", "Store")]
    assert j.value.tolist() == [50]
    assert j.times is not None
    assert j.times.tolist() == [DAY, 0.0]


def test_conversions_without_touches_become_empty_paths_and_are_reported() -> None:
    log = events([("u", "2024-01-01", None, True, 7.0), ("u", "2024-01-02", None, True, 3.0)])
    j = build(log)
    assert j.paths() == [(), ()]
    assert j.total_conversions == 2
    assert j.unattributed_conversions == 2
    assert j.unattributed_value == 10


def test_a_user_with_touches_only_gives_one_null_journey() -> None:
    log = events([("u", "2024-01-01", "A", False, None), ("u", "2024-02-01", "B", False, None)])
    j = build(log)
    assert j.paths() == [("A", "B")]
    assert j.conversions.tolist() == [0]
    assert j.nulls.tolist() == [1]


def test_lookback_keeps_a_touch_exactly_one_window_before_and_drops_older() -> None:
    log = events(
        [
            ("u", "2024-01-01 00:00:00", "Old", False, None),
            ("u", "2024-01-01 00:00:01", "Edge", False, None),
            ("u", "2024-01-31 00:00:01", None, True, 1.0),
        ]
    )
    j = build(log, lookback="30D")
    assert j.paths() == [("Edge",)]
    assert j.times is not None
    assert j.times.tolist() == [30 * DAY]


def test_lookback_of_a_null_journey_counts_from_its_last_touch() -> None:
    log = events(
        [
            ("u", "2024-01-01", "Old", False, None),
            ("u", "2024-01-20", "Mid", False, None),
            ("u", "2024-01-31", "Last", False, None),
        ]
    )
    assert build(log, lookback=20).paths() == [("Mid", "Last")]


def test_lookback_can_empty_a_journey_but_never_drops_its_conversion() -> None:
    log = events([("u", "2024-01-01", "A", False, None), ("u", "2024-03-01", None, True, 9.0)])
    j = build(log, lookback=pd.Timedelta(days=7))
    assert j.paths() == [()]
    assert j.total_conversions == 1
    assert j.total_value == 9


def test_max_touches_keeps_the_most_recent() -> None:
    log = events([("u", f"2024-01-0{d}", c, False, None) for d, c in zip(range(1, 6), "ABCDE", strict=True)])
    assert build(log, max_touches=2).paths() == [("D", "E")]


def test_max_touches_applies_after_lookback() -> None:
    log = events(
        [
            ("u", "2024-01-01", "A", False, None),
            ("u", "2024-01-10", "B", False, None),
            ("u", "2024-01-11", "C", False, None),
            ("u", "2024-01-12", None, True, 1.0),
        ]
    )
    assert build(log, lookback="5D", max_touches=3).paths() == [("B", "C")]


def test_times_are_seconds_before_the_conversion() -> None:
    log = events(
        [
            ("u", "2024-01-01", "A", False, None),
            ("u", "2024-01-08", "B", False, None),
            ("u", "2024-01-15", None, True, 1.0),
        ]
    )
    j = build(log)
    assert j.times is not None
    assert j.times.tolist() == [14 * DAY, 7 * DAY]


def test_timezone_aware_times_are_compared_in_utc() -> None:
    log = events([("u", "2024-01-01 10:00", "A", False, None), ("u", "2024-01-01 11:00", None, True, 1.0)])
    log["time"] = [pd.Timestamp("2024-01-01 10:00", tz="Europe/Paris"), pd.Timestamp("2024-01-01 10:00", tz="UTC")]
    j = build(log)
    assert j.times is not None
    assert j.times.tolist() == [3600.0]


def test_string_times_are_parsed() -> None:
    log = events([("u", "2024-01-01", "A", False, None), ("u", "2024-01-02", None, True, 1.0)])
    log["time"] = ["2024-01-01 00:00:00", "2024-01-02"]
    assert build(log).times.tolist() == [DAY]  # type: ignore[union-attr]


def test_integer_conversion_flags_are_accepted() -> None:
    log = events([("u", "2024-01-01", "A", False, None), ("u", "2024-01-02", None, True, 1.0)])
    log["converted"] = [0, 1]
    assert build(log).conversions.tolist() == [1]


def test_duplicate_events_are_kept_by_default_and_dropped_on_request() -> None:
    log = events(
        [
            ("u", "2024-01-01", "A", False, None),
            ("u", "2024-01-01", "A", False, None),
            ("u", "2024-01-02", None, True, 5.0),
            ("u", "2024-01-02", None, True, 5.0),
        ]
    )
    kept = build(log)
    assert kept.paths() == [("A", "A"), ()]
    assert kept.total_conversions == 2
    dropped = build(log, drop_duplicates=True)
    assert dropped.paths() == [("A",)]
    assert dropped.total_conversions == 1


def test_value_column_is_optional() -> None:
    log = events([("u", "2024-01-01", "A", False, None), ("u", "2024-01-02", None, True, None)])
    j = Journeys.from_events(log, user="user", time="time", channel="channel", conversion="converted")
    assert j.value.tolist() == [0.0]
    assert j.total_conversions == 1


def test_empty_event_log_gives_empty_journeys() -> None:
    log = events([])
    j = build(log)
    assert j.n_rows == 0
    assert j.total_conversions == 0


def test_the_callers_frame_is_not_modified() -> None:
    log = events(
        [
            ("b", "2024-01-02", "Y", False, None),
            ("a", "2024-01-03", None, True, 5.0),
            ("a", "2024-01-01", "Q", False, None),
        ]
    )
    log["time"] = log["time"].dt.tz_localize("Europe/Paris")
    before = log.copy(deep=True)
    build(log, lookback="30D", max_touches=1, drop_duplicates=True)
    pd.testing.assert_frame_equal(log, before)


def test_rows_follow_users_in_sorted_order_and_keep_users() -> None:
    log = events([(3, "2024-01-01", "A", False, None), (1, "2024-01-01", "B", False, None)])
    j = build(log)
    assert list(j.users) == [1, 3]
    assert j.to_frame()["user"].tolist() == [1, 3]


def test_times_spanning_centuries_fall_back_to_a_full_sort() -> None:
    """A span too wide for the single int64 sort key must still order correctly."""
    log = events(
        [
            (i, t, "A", False, None)
            for i in range(3)
            for t in ("1900-01-01 00:00:00.000000001", "2000-01-01", "1990-06-01")
        ]
    )
    j = build(log)
    assert j.lengths.tolist() == [3, 3, 3]
    assert j.times is not None
    assert j.times[0] > j.times[1] > j.times[2] == 0.0


def test_times_spanning_more_than_292_years_are_rejected() -> None:
    log = events([("u", "1700-01-01", "A", False, None), ("u", "2200-01-01", "B", False, None)])
    with pytest.raises(JourneyError, match="spans more than 292 years"):
        build(log)


@pytest.mark.parametrize("split", [True, False])
def test_conversions_and_value_never_vanish(split: bool) -> None:
    log = events(
        [
            ("u", "2024-01-01", "A", False, None),
            ("u", "2024-01-02", None, True, 10.0),
            ("u", "2024-01-02", None, True, 2.5),
            ("v", "2024-01-05", "B", True, 4.0),
            ("w", "2024-01-05", None, True, 1.0),
        ]
    )
    j = build(log, split_on_conversion=split, lookback="1D", max_touches=1)
    assert j.total_conversions == 4
    assert j.total_value == 17.5


def test_numeric_channel_ids_next_to_nulls_keep_integer_labels() -> None:
    log = events([("u", "2024-01-01", None, False, None), ("u", "2024-01-02", None, True, 1.0)])
    log["channel"] = [7.0, np.nan]
    assert build(log).channels == ("7",)


def test_summary_of_no_journeys_says_so() -> None:
    text = str(build(events([])).summary())
    assert "n/a of journeys" in text
    assert "path length:  no journeys" in text
