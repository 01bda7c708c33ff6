"""Hypothesis properties: the fast builders and transforms against slow references, and invariants."""

from __future__ import annotations

import importlib
from collections import defaultdict

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from attribution import Journeys, concat
from attribution.journeys import ragged
from attribution.testing.strategies import event_logs, journeys
from tests.reference import reference_journeys

settings.register_profile("default", max_examples=150, deadline=None)
settings.load_profile("default")


def _build(log: pd.DataFrame, **options: object) -> Journeys:
    return Journeys.from_events(
        log, user="user", time="time", channel="channel", conversion="converted", value="value", **options
    )


@given(
    event_logs(),
    st.sampled_from([None, 1, 3.5]),
    st.sampled_from([None, 1, 2]),
    st.booleans(),
    st.booleans(),
)
def test_from_events_matches_the_reference_builder(
    log: pd.DataFrame, lookback_days: float | None, max_touches: int | None, split: bool, use_tiebreak: bool
) -> None:
    tiebreak = "hit" if use_tiebreak else None
    j = _build(log, lookback=lookback_days, max_touches=max_touches, split_on_conversion=split, tiebreak=tiebreak)
    ref = reference_journeys(
        log,
        lookback_seconds=None if lookback_days is None else lookback_days * 86_400,
        max_touches=max_touches,
        split_on_conversion=split,
        tiebreak=tiebreak,
    )
    assert j.paths() == [r.path for r in ref]
    assert j.conversions.tolist() == [float(r.converted) for r in ref]
    assert j.nulls.tolist() == [float(not r.converted) for r in ref]
    assert j.value.tolist() == [r.value for r in ref]
    assert list(j.users if j.users is not None else []) == [r.user for r in ref]
    assert j.times is not None
    flat_times = [t for r in ref for t in r.times]
    assert j.times.tolist() == flat_times


@given(event_logs(), st.booleans())
def test_from_events_never_loses_a_conversion_or_its_value(log: pd.DataFrame, split: bool) -> None:
    j = _build(log, split_on_conversion=split, lookback="1D", max_touches=1)
    assert j.total_conversions == log["converted"].sum()
    assert j.total_value == log["value"].fillna(0).sum()


@given(event_logs(), st.data())
def test_from_events_ignores_the_input_row_order(log: pd.DataFrame, data: st.DataObject) -> None:
    order = data.draw(st.permutations(list(range(len(log)))))
    assert _build(log.iloc[order]) == _build(log)


@given(event_logs())
def test_from_events_does_not_modify_its_input(log: pd.DataFrame) -> None:
    before = log.copy(deep=True)
    _build(log, lookback="2D", drop_duplicates=True)
    pd.testing.assert_frame_equal(log, before)


@given(event_logs())
def test_concat_of_user_disjoint_parts_equals_the_whole(log: pd.DataFrame) -> None:
    whole = _build(log)
    users = sorted(log["user"].unique())
    parts = [
        _build(log[log["user"].isin(users[: len(users) // 2])]),
        _build(log[log["user"].isin(users[len(users) // 2 :])]),
    ]
    assert concat(parts) == whole


@given(journeys())
def test_aggregate_preserves_totals_and_per_path_counts(j: Journeys) -> None:
    a = j.aggregate()
    expected: dict[tuple[str, ...], list[float]] = defaultdict(lambda: [0.0, 0.0, 0.0])
    for path, c, n, v in zip(j.paths(), j.conversions, j.nulls, j.value, strict=True):
        expected[path][0] += c
        expected[path][1] += n
        expected[path][2] += v
    got = {p: [c, n, v] for p, c, n, v in zip(a.paths(), a.conversions, a.nulls, a.value, strict=True)}
    assert got == dict(expected)
    assert list(got) == list(expected)  # order of first appearance
    assert a.total_conversions == j.total_conversions
    assert a.total_value == j.total_value


@given(journeys())
def test_path_ids_are_equal_exactly_for_equal_paths(j: Journeys) -> None:
    ids, n_unique = ragged.path_ids(j.codes, j.offsets)
    paths = j.paths()
    assert n_unique == len(set(paths))
    for a in range(len(paths)):
        for b in range(len(paths)):
            assert (ids[a] == ids[b]) == (paths[a] == paths[b])


@given(journeys(max_length=8), st.sampled_from([62, 8, 4]))
def test_path_ids_rank_paths_by_length_then_codes_on_both_routes(j: Journeys, key_bits: int) -> None:
    """Short paths are encoded as one integer, long ones refined position by position; with fewer
    key bits more paths take the long route. Either way ids rank (length, codes) exactly."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(ragged, "_KEY_BITS", key_bits)
        ids, n_unique = ragged.path_ids(j.codes, j.offsets)
    rows = [tuple(j.codes[a:b].tolist()) for a, b in zip(j.offsets[:-1], j.offsets[1:], strict=True)]
    ranked = sorted(set(rows), key=lambda path: (len(path), path))
    assert n_unique == len(ranked)
    assert ids.tolist() == [ranked.index(path) for path in rows]


@given(journeys())
def test_to_frame_then_from_paths_round_trips(j: Journeys) -> None:
    frame = j.to_frame()
    again = Journeys.from_paths(frame, path="path", conversions="conversions", nulls="nulls", value="value")
    assert again == Journeys._trusted(j.codes, j.offsets, j.channels, j.conversions, j.nulls, j.value)


@given(journeys(with_times=True), st.integers(1, 4))
def test_path_transforms_match_per_path_python(j: Journeys, k: int) -> None:
    paths = j.paths()

    def collapse(p: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(c for i, c in enumerate(p) if i == len(p) - 1 or p[i + 1] != c)

    def first(p: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(dict.fromkeys(p))

    assert j.collapse_repeats().paths() == [collapse(p) for p in paths]
    assert j.first_occurrences().paths() == [first(p) for p in paths]
    assert j.last_touches(k).paths() == [p[-k:] if p else p for p in paths]
    for transformed in (j.collapse_repeats(), j.first_occurrences(), j.last_touches(k)):
        assert transformed.total_conversions == j.total_conversions
        assert transformed.times is not None
        assert len(transformed.times) == transformed.n_touches


@given(journeys(), st.data())
def test_selection_and_filter_agree_with_python(j: Journeys, data: st.DataObject) -> None:
    mask = np.array(data.draw(st.lists(st.booleans(), min_size=j.n_rows, max_size=j.n_rows)), dtype=bool)
    expected = [p for p, m in zip(j.paths(), mask, strict=True) if m]
    assert j.filter(mask).paths() == expected
    assert j[mask].paths() == expected
    assert j[np.flatnonzero(mask)].paths() == expected


@given(journeys())
def test_map_channels_relabels_every_touch(j: Journeys) -> None:
    mapped = j.map_channels(lambda c: "X" if c in ("A", "B") else c)
    assert mapped.paths() == [tuple("X" if c in ("A", "B") else c for c in p) for p in j.paths()]


@given(st.lists(st.tuples(st.lists(st.sampled_from("ABC"), max_size=4), st.integers(0, 3), st.integers(0, 50))))
def test_from_sequences_and_from_paths_keep_every_conversion_and_value(rows: list[tuple[list[str], int, int]]) -> None:
    paths = [p for p, _, _ in rows]
    conversions = [c for _, c, _ in rows]
    value = [c * v for _, c, v in rows]
    j = Journeys.from_sequences(paths, conversions=conversions, value=value)
    assert (j.total_conversions, j.total_value) == (sum(conversions), sum(value))
    table = pd.DataFrame({"path": [" > ".join(p) for p in paths], "c": conversions, "v": value})
    from_table = Journeys.from_paths(table, path="path", conversions="c", value="v")
    assert from_table == j


@given(st.lists(st.text(alphabet="ab >\t", max_size=10), max_size=12))
def test_string_paths_split_the_same_with_or_without_pyarrow(paths: list[str]) -> None:
    """The pyarrow route and the pure-Python route agree, errors included."""
    from unittest import mock

    from attribution.errors import JourneyError

    table = pd.DataFrame({"path": pd.Series(paths, dtype=object), "c": [1] * len(paths)})

    def run() -> Journeys | str:
        try:
            return Journeys.from_paths(table, path="path", conversions="c")
        except JourneyError as exc:
            return str(exc)

    with_arrow = run()
    module = importlib.import_module("attribution.journeys.from_paths")  # journeys.from_paths is also a function
    with mock.patch.object(module, "_split_with_arrow", side_effect=ImportError):
        without_arrow = run()
    assert with_arrow == without_arrow
    if isinstance(with_arrow, Journeys):
        expected = [tuple(t.strip() for t in p.split(">")) if p.strip() else () for p in paths]
        assert with_arrow.paths() == expected
