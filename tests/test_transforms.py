"""Transforms: aggregate, collapse, first occurrences, last k, channel grouping, filter, slicing, concat."""

from __future__ import annotations

import pickle

import numpy as np
import pytest

from attribution import Journeys, concat
from tests.helpers import build, events


@pytest.fixture
def timed() -> Journeys:
    return Journeys.from_sequences(
        [["A", "A", "B", "A"], ["C", "B", "C"]],
        conversions=[1, 0],
        nulls=[0, 1],
        value=[9, 0],
        times=[[40.0, 30.0, 20.0, 0.0], [5.0, 4.0, 0.0]],
    )


def test_aggregate_merges_identical_paths_in_order_of_first_appearance() -> None:
    j = Journeys.from_sequences(
        [["B"], ["A", "B"], ["B"], [], ["A", "B"], []],
        conversions=[1, 0, 0, 1, 1, 2],
        nulls=[0, 1, 1, 0, 0, 0],
        value=[5, 0, 0, 1, 2, 3],
    )
    a = j.aggregate()
    assert a.paths() == [("B",), ("A", "B"), ()]
    assert a.conversions.tolist() == [1, 1, 3]
    assert a.nulls.tolist() == [1, 1, 0]
    assert a.value.tolist() == [5, 2, 4]
    assert a.times is None


def test_aggregate_distinguishes_prefixes_and_permutations() -> None:
    j = Journeys.from_sequences([["A", "B"], ["A"], ["B", "A"], ["A", "B", "A"], ["A", "B"]], conversions=[1] * 5)
    assert j.aggregate().conversions.tolist() == [2, 1, 1, 1]


def test_collapse_repeats_keeps_the_most_recent_time_of_a_run(timed: Journeys) -> None:
    c = timed.collapse_repeats()
    assert c.paths() == [("A", "B", "A"), ("C", "B", "C")]
    assert c.times is not None
    assert c.times.tolist() == [30.0, 20.0, 0.0, 5.0, 4.0, 0.0]
    assert c.value.tolist() == [9, 0]


def test_collapse_repeats_does_not_merge_across_rows() -> None:
    j = Journeys.from_sequences([["A"], ["A"]], conversions=[1, 1])
    assert j.collapse_repeats().paths() == [("A",), ("A",)]


def test_first_occurrences(timed: Journeys) -> None:
    f = timed.first_occurrences()
    assert f.paths() == [("A", "B"), ("C", "B")]
    assert f.times is not None
    assert f.times.tolist() == [40.0, 20.0, 5.0, 4.0]


def test_last_touches(timed: Journeys) -> None:
    assert timed.last_touches(2).paths() == [("B", "A"), ("B", "C")]
    assert timed.last_touches(10).paths() == timed.paths()


def test_map_channels_groups_labels_and_can_keep_or_pool_the_unmapped() -> None:
    j = Journeys.from_sequences([["google/cpc", "bing/cpc", "mail"]], conversions=[1])
    mapping = {"google/cpc": "Paid Search", "bing/cpc": "Paid Search"}
    assert j.map_channels(mapping, unmapped="keep").paths() == [("Paid Search", "Paid Search", "mail")]
    assert j.map_channels(mapping, unmapped="other", other="Rest").paths() == [("Paid Search", "Paid Search", "Rest")]
    assert j.map_channels(str.upper).channels == ("BING/CPC", "GOOGLE/CPC", "MAIL")


def test_filter_by_criteria_and_mask(spec_journeys: Journeys) -> None:
    assert spec_journeys.filter(converting=True).paths() == [("A", "B", "C"), ("A", "C"), ("C",)]
    assert spec_journeys.filter(converting=False).paths() == [("B",), ("A", "B")]
    assert spec_journeys.filter(min_length=2, max_length=2).paths() == [("A", "C"), ("A", "B")]
    assert spec_journeys.filter(contains=["C"], min_length=2).paths() == [("A", "B", "C"), ("A", "C")]
    mask = np.array([True, False, False, False, True])
    assert spec_journeys.filter(mask).paths() == [("A", "B", "C"), ("A", "B")]


def test_slices_share_memory_and_keep_times(timed: Journeys) -> None:
    s = timed[1:]
    assert s.paths() == [("C", "B", "C")]
    assert s.times is not None
    assert s.times.tolist() == [5.0, 4.0, 0.0]
    assert np.shares_memory(s.times, timed.times)  # type: ignore[arg-type]
    assert timed[-1] == s
    assert timed[[1, 0]].paths() == [("C", "B", "C"), ("A", "A", "B", "A")]


def test_arrays_are_read_only(spec_journeys: Journeys) -> None:
    for array in (
        spec_journeys.codes,
        spec_journeys.offsets,
        spec_journeys.conversions,
        spec_journeys.nulls,
        spec_journeys.value,
    ):
        with pytest.raises(ValueError, match="read-only"):
            array[0] = 1


def test_transforms_return_new_objects_and_leave_the_original(timed: Journeys) -> None:
    before = timed.paths()
    timed.collapse_repeats()
    timed.last_touches(1)
    timed.map_channels(str.lower)
    assert timed.paths() == before


def test_concat_and_plus_of_user_disjoint_parts() -> None:
    log = events(
        [
            ("u", "2024-01-01", "A", False, None),
            ("u", "2024-01-02", None, True, 1.0),
            ("v", "2024-01-01", "B", False, None),
        ]
    )
    whole = build(log)
    parts = [build(log[log["user"] == u]) for u in ("u", "v")]
    assert parts[0] + parts[1] == whole
    assert concat(parts) == whole


def test_concat_keeps_times_only_if_every_part_has_them(timed: Journeys) -> None:
    untimed = Journeys.from_sequences([["Z"]], conversions=[1])
    assert (timed + timed).has_times
    assert not (timed + untimed).has_times


def test_equality_is_exact_and_order_sensitive_unless_asked(spec_journeys: Journeys) -> None:
    reversed_rows = spec_journeys[::-1]
    assert reversed_rows != spec_journeys
    assert reversed_rows.equals(spec_journeys, ignore_order=True)
    assert spec_journeys.aggregate() == spec_journeys.aggregate()


def test_pickle_round_trip_keeps_arrays_read_only(timed: Journeys) -> None:
    again = pickle.loads(pickle.dumps(timed))
    assert again == timed
    assert not again.codes.flags.writeable


def test_summary_counts_journeys_and_path_lengths(spec_journeys: Journeys) -> None:
    s = spec_journeys.summary()
    assert (s.rows, s.journeys, s.conversions, s.nulls, s.value) == (5, 9, 4, 5, 280)
    assert s.length_distribution.to_dict() == {1: 4.0, 2: 3.0, 3: 2.0}  # B 2, C 2; A>C 2, A>B 1; A>B>C 2
    assert s.mean_length == pytest.approx((4 * 1 + 3 * 2 + 2 * 3) / 9)
    assert s.conversion_rate == pytest.approx(4 / 9)
    assert "conversions:  4 (44.44% of journeys)\nvalue:        280.00\n" in str(s)


def test_repr_and_html_show_headline_and_rows(spec_journeys: Journeys) -> None:
    text = repr(spec_journeys)
    assert text.splitlines()[0] == (
        "Journeys: 9 journeys in 5 rows, 4 conversions (value 280.00), 3 channels, touch times: no"
    )
    assert "A > B > C" in text
    html = spec_journeys._repr_html_()
    assert html.startswith("<div><p><strong>Journeys: 9 journeys in 5 rows")
    assert "<table" in html


def test_first_occurrences_with_more_than_63_channels() -> None:
    """Past 63 channels the bitmask scan gives way to a sort; both keep the first touch."""
    labels = [f"c{i:02d}" for i in range(70)]
    j = Journeys.from_sequences([[*labels, "c00", "c69"], ["c69", "c69"]], conversions=[1, 1])
    assert j.first_occurrences().paths() == [tuple(labels), ("c69",)]
