"""Path-table and sequence builders: formats, separators, empty paths, totals."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from attribution import Journeys


def test_spec_example_from_a_path_table(spec_journeys: Journeys) -> None:
    table = pd.DataFrame(
        {
            "path": ["A > B > C", "A > C", "B", "C", "A > B"],
            "conv": [2, 1, 0, 1, 0],
            "null": [0, 1, 2, 1, 1],
            "revenue": [200, 50, 0, 30, 0],
        }
    )
    j = Journeys.from_paths(table, path="path", conversions="conv", nulls="null", value="revenue")
    assert j == spec_journeys
    assert (j.total_conversions, j.total_value, j.n_journeys) == (4, 280, 9)


@pytest.mark.parametrize(("paths", "sep"), [(["a>b", "c"], ">"), (["a | b", "c"], "|"), (["a::b", "c"], "::")])
def test_any_separator_string(paths: list[str], sep: str) -> None:
    j = Journeys.from_paths(pd.DataFrame({"p": paths, "c": [1, 1]}), path="p", conversions="c", sep=sep)
    assert j.paths() == [("a", "b"), ("c",)]


def test_labels_are_stripped_and_an_empty_string_is_an_empty_path() -> None:
    table = pd.DataFrame({"p": ["  Paid Search  >Email", "", "   "], "c": [1, 2, 1]})
    j = Journeys.from_paths(table, path="p", conversions="c")
    assert j.paths() == [("Paid Search", "Email"), (), ()]
    assert j.unattributed_conversions == 3


def test_list_paths_are_read_as_is() -> None:
    table = pd.DataFrame({"p": [["A", "B"], [], ("C",)], "c": [1, 1, 0], "n": [0, 0, 3]})
    j = Journeys.from_paths(table, path="p", conversions="c", nulls="n")
    assert j.paths() == [("A", "B"), (), ("C",)]
    assert j.nulls.tolist() == [0, 0, 3]


def test_fractional_counts_are_allowed() -> None:
    j = Journeys.from_paths(pd.DataFrame({"p": ["A"], "c": [0.25]}), path="p", conversions="c")
    assert j.total_conversions == 0.25


def test_empty_table() -> None:
    j = Journeys.from_paths(pd.DataFrame({"p": pd.Series([], dtype=str), "c": []}), path="p", conversions="c")
    assert j.n_rows == 0
    assert j.channels == ()


def test_to_frame_round_trips_through_from_paths(spec_journeys: Journeys) -> None:
    frame = spec_journeys.to_frame()
    again = Journeys.from_paths(frame, path="path", conversions="conversions", nulls="nulls", value="value")
    assert again == spec_journeys


def test_list_to_frame_round_trips() -> None:
    j = Journeys.from_sequences([["a > b", "c"], []], conversions=[1, 1])
    frame = j.to_frame(path="list")
    assert frame["path"].tolist() == [["a > b", "c"], []]
    again = Journeys.from_paths(frame, path="path", conversions="conversions", sep="|")
    assert again == j


def test_the_callers_table_is_not_modified() -> None:
    table = pd.DataFrame({"p": [" b > a ", "c"], "c": [1, 2], "n": [0, 1]})
    before = table.copy(deep=True)
    Journeys.from_paths(table, path="p", conversions="c", nulls="n")
    pd.testing.assert_frame_equal(table, before)


def test_from_sequences_with_times_and_timedeltas() -> None:
    j = Journeys.from_sequences([["A", "B"]], conversions=[1], times=[[pd.Timedelta(days=2), pd.Timedelta(0)]])
    assert j.times is not None
    assert j.times.tolist() == [172_800.0, 0.0]


def test_channels_are_sorted_and_codes_follow_them() -> None:
    j = Journeys.from_sequences([["zeta", "alpha"], ["mid"]], conversions=[1, 0])
    assert j.channels == ("alpha", "mid", "zeta")
    assert j.codes.tolist() == [2, 0, 1]
    assert j.offsets.tolist() == [0, 2, 3]


def test_counts_are_float64() -> None:
    j = Journeys.from_paths(pd.DataFrame({"p": ["A"], "c": np.array([3], dtype=np.int8)}), path="p", conversions="c")
    assert j.conversions.dtype == np.float64
    assert j.codes.dtype == np.int32
    assert j.offsets.dtype == np.int64
