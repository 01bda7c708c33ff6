"""Immutability: builders leave the caller's data alone and never share memory with it.

For every builder — ``Journeys.from_events`` (pandas input), ``from_paths``, ``from_sequences``
and the ``Journeys(...)`` constructor with numpy arrays:

(a) after building, the caller's DataFrame equals a deep copy taken before (values, dtypes,
    index, column order) and the caller's numpy arrays are unchanged and still writeable;
(b) editing the caller's frame or arrays afterwards changes neither the journeys nor the
    credits computed from them, and no journeys array shares memory with the caller's data;
(c) ``model.attribute`` never changes the journeys' arrays (which stay read-only).
"""

from __future__ import annotations

import copy
import warnings
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from attribution import (
    FirstTouch,
    Journeys,
    LastNonDirect,
    LastTouch,
    Linear,
    MarkovChain,
    PositionBased,
    Shapley,
    TimeDecay,
)
from attribution.models import Counterfactual, DegenerateChainWarning
from attribution.testing.strategies import event_logs, journeys

SETTINGS = settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])

ARRAYS = ("codes", "offsets", "conversions", "nulls", "value", "times")


# ---------------------------------------------------------------------- helpers
def _snapshot(j: Journeys) -> dict[str, Any]:
    """A deep copy of everything the journeys hold."""
    state: dict[str, Any] = {name: None if getattr(j, name) is None else getattr(j, name).copy() for name in ARRAYS}
    state["channels"] = j.channels
    state["users"] = None if j.users is None else j.users.tolist()
    return state


def _assert_unchanged(j: Journeys, before: dict[str, Any]) -> None:
    for name in ARRAYS:
        now = getattr(j, name)
        if before[name] is None:
            assert now is None
        else:
            np.testing.assert_array_equal(now, before[name], err_msg=f"journeys.{name} changed")
            assert now.dtype == before[name].dtype
    assert j.channels == before["channels"]
    assert (None if j.users is None else j.users.tolist()) == before["users"]


def _credits(j: Journeys) -> pd.DataFrame:
    model = Linear() if not j.has_times else TimeDecay("1D")
    return model.attribute(j).credits


def _journeys_arrays(j: Journeys) -> dict[str, np.ndarray]:
    arrays = {name: getattr(j, name) for name in ARRAYS if getattr(j, name) is not None}
    if j.users is not None:
        arrays["users"] = j.users.to_numpy()
    return arrays


def _assert_no_shared_memory(j: Journeys, caller: dict[str, np.ndarray]) -> None:
    for name, ours in _journeys_arrays(j).items():
        for label, theirs in caller.items():
            if isinstance(theirs, np.ndarray) and theirs.dtype != object:
                assert not np.shares_memory(ours, theirs), f"journeys.{name} shares memory with the caller's {label}"


def _frame_arrays(frame: pd.DataFrame) -> dict[str, np.ndarray]:
    """The numpy arrays behind a frame's columns (views under copy-on-write, where pandas has them)."""
    out = {}
    for position, column in enumerate(frame.columns):
        series = frame.iloc[:, position]
        try:
            out[f"column {column!r}"] = series.to_numpy(copy=False)
        except (TypeError, ValueError):  # extension arrays without a zero-copy numpy view
            continue
    return out


def _assert_frame_unchanged(frame: pd.DataFrame, before: pd.DataFrame) -> None:
    pd.testing.assert_frame_equal(frame, before, check_exact=True)
    assert list(frame.columns) == list(before.columns)
    assert frame.dtypes.tolist() == before.dtypes.tolist()
    assert frame.index.equals(before.index)
    assert frame.index.dtype == before.index.dtype
    assert frame.flags.allows_duplicate_labels == before.flags.allows_duplicate_labels


def _scrambled(series: pd.Series) -> Any:
    """New values for a column, of its dtype, different from the old ones."""
    if pd.api.types.is_bool_dtype(series.dtype):
        return ~series.to_numpy(dtype=bool)
    if pd.api.types.is_datetime64_any_dtype(series.dtype):
        return list(series + pd.Timedelta(days=1000))
    if pd.api.types.is_numeric_dtype(series.dtype):
        return (series.to_numpy(dtype=float, na_value=0.0) * 0 + 1e6).astype(series.dtype)
    return ["scrambled > X"] * len(series)


def _scramble_frame(frame: pd.DataFrame) -> None:
    """Overwrite every cell of the frame in place, keeping each column's dtype.

    No other pandas object may reference the frame's columns meanwhile: under copy-on-write
    that would make pandas copy the block instead of writing into it (and hide a shared view).
    """
    for position in range(frame.shape[1]):
        if len(frame) == 0:
            continue
        new = _scrambled(frame.iloc[:, position])
        frame.iloc[:, position] = new


# ---------------------------------------------------------------------- from_events
EVENT_ARGS = {"user": "user", "time": "time", "channel": "channel", "conversion": "converted", "value": "value"}


@SETTINGS
@given(log=event_logs(), options=st.sampled_from([{}, {"lookback": "2D", "max_touches": 2}, {"drop_duplicates": True}]))
def test_from_events_leaves_the_callers_frame_equal_to_a_deep_copy(log: pd.DataFrame, options: dict[str, Any]) -> None:
    """(a) from_events: the event log keeps its values, dtypes, index and column order."""
    log.index = pd.RangeIndex(len(log))[::-1] * 3 + 7  # an unusual index, to see it kept
    before = log.copy(deep=True)
    Journeys.from_events(log, **EVENT_ARGS, tiebreak="hit", **options)
    _assert_frame_unchanged(log, before)


@SETTINGS
@given(log=event_logs())
def test_editing_the_event_log_afterwards_changes_neither_journeys_nor_credits(log: pd.DataFrame) -> None:
    """(b) from_events: journeys share no memory with the log; scrambling the log afterwards changes nothing."""
    assume(len(log) > 0)
    j = Journeys.from_events(log, **EVENT_ARGS)
    before, credits = _snapshot(j), _credits(j)
    _scramble_frame(log)
    _assert_unchanged(j, before)
    pd.testing.assert_frame_equal(_credits(j), credits, check_exact=True)
    _assert_no_shared_memory(j, _frame_arrays(log))


def test_from_events_leaves_numpy_arrays_behind_the_frame_writeable() -> None:
    """(a) from_events: numpy arrays the caller wrapped in a frame (copy=False) stay writeable and unchanged."""
    value = np.array([np.nan, np.nan, 10.0, np.nan])
    converted = np.array([False, False, True, False])
    time = np.array(["2024-01-01", "2024-01-02", "2024-01-03", "2024-01-02"], dtype="datetime64[ns]")
    arrays = {"value": value, "converted": converted, "time": time}
    before = {name: a.copy() for name, a in arrays.items()}
    log = pd.DataFrame({"user": ["u", "u", "u", "v"], "channel": ["A", "B", None, "C"], **arrays}, copy=False)
    j = Journeys.from_events(log, **EVENT_ARGS)
    for name, array in arrays.items():
        assert array.flags.writeable, f"the caller's {name} array was made read-only"
        np.testing.assert_array_equal(array, before[name])
    _assert_no_shared_memory(j, arrays)


# ---------------------------------------------------------------------- from_paths
PATH_ARGS = {"path": "path", "conversions": "conversions", "nulls": "nulls", "value": "value"}


@SETTINGS
@given(j=journeys(), path=st.sampled_from(["string", "list"]))
def test_from_paths_leaves_the_callers_table_equal_to_a_deep_copy(j: Journeys, path: str) -> None:
    """(a) from_paths: the path table keeps its values, dtypes, index and column order."""
    table = j.to_frame(path=path)
    table.index = pd.Index([f"row{i}" for i in range(len(table))], dtype=object)
    before = table.copy(deep=True)
    Journeys.from_paths(table, **PATH_ARGS)
    _assert_frame_unchanged(table, before)
    if path == "list":  # the lists inside the cells are the caller's objects too
        assert [list(p) for p in table["path"]] == [list(p) for p in before["path"]]


@SETTINGS
@given(j=journeys())
def test_editing_the_path_table_afterwards_changes_neither_journeys_nor_credits(j: Journeys) -> None:
    """(b) from_paths: journeys share no memory with the table; scrambling the table afterwards changes nothing."""
    assume(j.n_rows > 0)
    table = j.to_frame()
    built = Journeys.from_paths(table, **PATH_ARGS)
    before, credits = _snapshot(built), _credits(built)
    _scramble_frame(table)
    _assert_unchanged(built, before)
    pd.testing.assert_frame_equal(_credits(built), credits, check_exact=True)
    _assert_no_shared_memory(built, _frame_arrays(table))


def test_from_paths_leaves_numpy_arrays_behind_the_table_writeable_and_unshared() -> None:
    """(a)+(b) from_paths: count arrays the caller wrapped in a frame (copy=False) stay writeable and unshared."""
    conversions = np.array([2.0, 1.0, 0.0])
    nulls = np.array([0.0, 1.0, 2.0])
    value = np.array([200.0, 50.0, 0.0])
    arrays = {"conversions": conversions, "nulls": nulls, "value": value}
    table = pd.DataFrame({"path": ["A > B", "A", "B"], **arrays}, copy=False)
    j = Journeys.from_paths(table, **PATH_ARGS)
    for name, array in arrays.items():
        assert array.flags.writeable, f"the caller's {name} array was made read-only"
    before = _snapshot(j)
    for array in arrays.values():
        array *= 7.0
    _assert_unchanged(j, before)
    _assert_no_shared_memory(j, arrays)


# ---------------------------------------------------------------------- from_sequences
def _sequence_arguments(j: Journeys) -> dict[str, Any]:
    """from_sequences arguments as caller-owned numpy arrays (times: one array per path)."""
    bounds = list(zip(j.offsets[:-1].tolist(), j.offsets[1:].tolist(), strict=True))
    arguments: dict[str, Any] = {
        "paths": [np.array(p, dtype=object) for p in j.paths()],
        "conversions": j.conversions.copy(),
        "nulls": j.nulls.copy(),
        "value": j.value.copy(),
    }
    if j.times is not None:
        flat = j.times.copy()
        arguments["times"] = [flat[a:b] for a, b in bounds]  # views of one caller-owned array
        arguments["_flat_times"] = flat
    return arguments


def _caller_arrays(arguments: dict[str, Any]) -> dict[str, np.ndarray]:
    arrays = {name: arguments[name] for name in ("conversions", "nulls", "value")}
    if "_flat_times" in arguments:
        arrays["times"] = arguments["_flat_times"]
    return arrays


def _from_sequences(arguments: dict[str, Any]) -> Journeys:
    return Journeys.from_sequences(
        arguments["paths"],
        conversions=arguments["conversions"],
        nulls=arguments["nulls"],
        value=arguments["value"],
        times=arguments.get("times"),
    )


@SETTINGS
@given(j=journeys())
def test_from_sequences_leaves_the_callers_arrays_unchanged_and_writeable(j: Journeys) -> None:
    """(a) from_sequences: the caller's count, value and time arrays keep their values and stay writeable."""
    arguments = _sequence_arguments(j)
    arrays = _caller_arrays(arguments)
    before = {name: (a.copy(), a.flags.writeable) for name, a in arrays.items()}
    paths_before = copy.deepcopy([p.tolist() for p in arguments["paths"]])
    _from_sequences(arguments)
    for name, array in arrays.items():
        np.testing.assert_array_equal(array, before[name][0])
        assert array.flags.writeable == before[name][1], f"from_sequences changed the flags of the caller's {name}"
    assert [p.tolist() for p in arguments["paths"]] == paths_before


@SETTINGS
@given(j=journeys())
def test_editing_from_sequences_arrays_afterwards_changes_neither_journeys_nor_credits(j: Journeys) -> None:
    """(b) from_sequences: journeys share no memory with the caller's arrays; editing them changes nothing."""
    assume(j.n_rows > 0)
    arguments = _sequence_arguments(j)
    arrays = _caller_arrays(arguments)
    built = _from_sequences(arguments)
    before, credits = _snapshot(built), _credits(built)
    for array in arrays.values():
        array.setflags(write=True)  # (a) checks the flags; here only the sharing matters
        array += 1.0
    for path in arguments["paths"]:
        path[:] = "Z"
    _assert_unchanged(built, before)
    pd.testing.assert_frame_equal(_credits(built), credits, check_exact=True)
    _assert_no_shared_memory(built, arrays)


# ---------------------------------------------------------------------- the constructor
def _constructor_arguments(j: Journeys) -> dict[str, Any]:
    """Caller-owned numpy arrays in exactly the stored dtypes (int32 codes, int64 offsets, float64)."""
    arguments: dict[str, Any] = {
        "codes": j.codes.copy(),
        "offsets": j.offsets.copy(),
        "channels": list(j.channels),
        "conversions": j.conversions.copy(),
        "nulls": j.nulls.copy(),
        "value": j.value.copy(),
        "users": np.array([f"user{i}" for i in range(j.n_rows)], dtype=object),
    }
    if j.times is not None:
        arguments["times"] = j.times.copy()
    return arguments


def _construct(arguments: dict[str, Any]) -> Journeys:
    return Journeys(
        arguments["codes"],
        arguments["offsets"],
        arguments["channels"],
        arguments["conversions"],
        arguments["nulls"],
        arguments["value"],
        times=arguments.get("times"),
        users=arguments["users"],
    )


@SETTINGS
@given(j=journeys())
def test_constructor_leaves_the_callers_arrays_unchanged_and_writeable(j: Journeys) -> None:
    """(a) Journeys(...): every array passed keeps its values and stays writeable."""
    arguments = _constructor_arguments(j)
    arrays = {k: v for k, v in arguments.items() if isinstance(v, np.ndarray)}
    before = {name: a.copy() for name, a in arrays.items()}
    _construct(arguments)
    for name, array in arrays.items():
        np.testing.assert_array_equal(array, before[name])
        assert array.flags.writeable, f"Journeys(...) made the caller's {name} array read-only"


@SETTINGS
@given(j=journeys())
def test_editing_constructor_arrays_afterwards_changes_neither_journeys_nor_credits(j: Journeys) -> None:
    """(b) Journeys(...): no stored array shares memory with an argument; editing the arguments changes nothing."""
    assume(j.n_touches > 0)
    arguments = _constructor_arguments(j)
    arrays = {k: v for k, v in arguments.items() if isinstance(v, np.ndarray)}
    built = _construct(arguments)
    before, credits = _snapshot(built), _credits(built)
    for name, array in arrays.items():
        array.setflags(write=True)  # (a) checks the flags; here only the sharing matters
        if name == "codes":
            array[:] = 0
        elif name == "offsets":
            array[1:-1] = array[-1]
        elif name == "users":
            array[:] = "someone else"
        else:
            array += 1.0
    arguments["channels"][:] = ["Z"] * len(arguments["channels"])
    _assert_unchanged(built, before)
    pd.testing.assert_frame_equal(_credits(built), credits, check_exact=True)
    for name, ours in _journeys_arrays(built).items():
        for label, theirs in arrays.items():
            assert not np.shares_memory(ours, theirs), f"journeys.{name} shares memory with the caller's {label}"


# ---------------------------------------------------------------------- models
MODELS: dict[str, Any] = {
    "FirstTouch": FirstTouch(),
    "LastTouch": LastTouch(),
    "LastNonDirect": LastNonDirect(skip=("A",)),
    "Linear": Linear(),
    "PositionBased": PositionBased.u_shaped(),
    "TimeDecay": TimeDecay("1D"),
    "TimeDecay by position": TimeDecay(2, by="position"),
    "MarkovChain order 1": MarkovChain(),
    "MarkovChain order 2": MarkovChain(order=2),
    "Shapley conversions": Shapley(),
    "Shapley conversion_rate": Shapley(value="conversion_rate"),
    "Shapley markov": Shapley(value="markov"),
    "Shapley sampling": Shapley(value="conversion_rate", method="sampling", n_permutations=20, seed=1),
    "Counterfactual": Counterfactual(),
}
PER_PATH = ("FirstTouch", "LastTouch", "LastNonDirect", "Linear", "PositionBased", "TimeDecay", "Counterfactual")


@pytest.mark.parametrize("name", list(MODELS))
@settings(SETTINGS, max_examples=10)
@given(j=journeys(with_times=True))
def test_attribute_never_changes_the_journeys_arrays(name: str, j: Journeys) -> None:
    """(c) model.attribute (and per_path=True where offered) leaves every journeys array equal and read-only."""
    assume(j.total_conversions - j.unattributed_conversions > 0)
    before = _snapshot(j)
    model = MODELS[name]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DegenerateChainWarning)
        result = model.attribute(j)
        if name.startswith(PER_PATH):
            model.attribute(j, per_path=True)
    _assert_unchanged(j, before)
    for array_name, array in _journeys_arrays(j).items():
        if array_name != "users":
            assert not array.flags.writeable, f"journeys.{array_name} became writeable"
    credits = result.credits
    credits.iloc[:, :] = -1.0  # the credits table is the caller's copy
    assert (result.credits.to_numpy() >= 0).all()
    _assert_unchanged(j, before)


def test_touch_rows_is_read_only_and_leaves_the_journeys_unchanged() -> None:
    """The lazily cached touch_rows() is read-only, so no model can corrupt the shared cache."""
    j = Journeys.from_sequences([["A", "B"], [], ["C"]], conversions=[1, 1, 0], nulls=[0, 0, 1])
    before = _snapshot(j)
    rows = j.touch_rows()
    assert not rows.flags.writeable
    with pytest.raises(ValueError, match="read-only"):
        rows[0] = 2
    assert j.touch_rows() is rows
    _assert_unchanged(j, before)
