"""Fuzzing the builders with corrupted valid input: a clear error or a correct result, nothing else.

Every case starts from VALID data (an event log from :func:`attribution.testing.strategies.event_logs`,
a path table from ``Journeys.to_frame()`` of valid journeys, or ``from_sequences`` arguments) and
injects one corruption: odd numbers (NaN, ±inf, negative, 1e308, 1e-300), odd dtypes (object
columns mixing types, categorical, string, nullable Int64/Float64/boolean, float flags, integer
user ids, time-zone-aware datetimes, time strings, epoch integers), odd labels (empty,
whitespace, surrounding whitespace, unicode, the separator inside a label, None), odd times
(NaT, years 1677 and 2263, duplicated timestamps, mixed time zones), duplicate column names and
integer column labels.

The contract checked for every call: it EITHER raises an :class:`attribution.AttributionError`
whose message names the column or argument involved, OR it returns journeys that every model
(Linear, LastTouch, MarkovChain, Shapley) attributes with credits + unattributed equal to the
totals (relative 1e-9) — and, where the corruption has a well-defined cleaned input, journeys
equal to the ones built from that cleaned input. No other exception (KeyError, IndexError,
TypeError, OverflowError, numpy or pandas errors, warnings turned errors) may escape.
Corruptions that make the data plainly invalid (a NaN conversion value, a touch without a
channel, ...) must raise.
"""

from __future__ import annotations

import datetime as dt
import math
import re
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, Phase, assume, given, settings
from hypothesis import strategies as st

from attribution import AttributionError, Journeys, LastTouch, Linear, MarkovChain, Shapley
from attribution.models import DegenerateChainWarning
from attribution.testing.strategies import event_logs, journeys

FUZZ = settings(
    max_examples=4,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much, HealthCheck.data_too_large],
    derandomize=True,
    phases=[Phase.explicit, Phase.generate],  # no shrinking: a failing corruption is reported as drawn
)

MODELS = (Linear(), LastTouch(), MarkovChain(), Shapley())

Expect = Literal["raise", "valid", "either"]
Compare = Literal["exact", "no_users", "multiset"]


# ---------------------------------------------------------------------- the contract
@dataclass
class Case:
    """One corrupted input: what to call, which names an error must mention, what to expect."""

    frame: Any
    names: tuple[Any, ...]
    expect: Expect = "either"
    cleaned: Any = None
    compare: Compare = "exact"
    options: dict[str, Any] = field(default_factory=dict)
    model_errors_ok: bool = False  # huge counts: a model may refuse them with a clear AttributionError


def _message_names(message: str, names: tuple[Any, ...]) -> bool:
    """Whether an error message names one of ``names`` (the quoted offending value does not count)."""
    text = re.sub(r" \(value .{0,90}?\)\. Fix:", ". Fix:", message)
    for name in names:
        if isinstance(name, str) and name.isidentifier() and not name.startswith("'"):
            # bare argument names (from_sequences): a whole word, or the quoted form
            if re.search(rf"(?<![\w']){re.escape(name)}(?![\w'])", text) or repr(name) in text:
                return True
        elif repr(name) in text or f"column {name}" in text:
            return True
    return False


def _outcome(call: Callable[[], Any]) -> tuple[Any, AttributionError | None]:
    """Run ``call``; return (result, None) or (None, the AttributionError). Anything else fails the test."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DegenerateChainWarning)
            return call(), None
    except AttributionError as error:
        return None, error
    except (KeyboardInterrupt, SystemExit):
        raise
    except BaseException as error:  # the point of the suite: nothing but AttributionError may escape
        pytest.fail(f"{type(error).__name__} escaped instead of an AttributionError: {error!r}", pytrace=True)


def _assert_conserves(j: Journeys, *, model_errors_ok: bool = False) -> None:
    """Credits + unattributed equal the totals (conversions and value) for every model, to 1e-9 relative."""
    totals, _ = _outcome(lambda: (j.total_conversions, j.total_value))
    assert all(math.isfinite(t) for t in totals), f"the builder accepted journeys whose totals are not finite: {totals}"
    for model in MODELS:
        result, error = _outcome(lambda model=model: model.attribute(j))
        if error is not None:
            nothing_to_share = j.total_conversions - j.unattributed_conversions <= 0
            assert model_errors_ok or (isinstance(model, MarkovChain) and nothing_to_share), (
                f"{model.name} raised {error!r}"
            )
            continue
        credits = result.credits
        assert np.isfinite(credits[["conversions", "value"]].to_numpy()).all(), f"{model.name}: {credits}"
        conversions = float(credits["conversions"].sum()) + result.unattributed.conversions
        value = float(credits["value"].sum()) + result.unattributed.value
        assert math.isclose(conversions, j.total_conversions, rel_tol=1e-9, abs_tol=0.0), (
            f"{model.name}: credits + unattributed = {conversions!r} != total conversions {j.total_conversions!r}"
        )
        assert math.isclose(value, j.total_value, rel_tol=1e-9, abs_tol=0.0), (
            f"{model.name}: credits + unattributed value = {value!r} != total value {j.total_value!r}"
        )


def _rows(j: Journeys) -> list[tuple[Any, ...]]:
    times = j.times.tolist() if j.times is not None else None
    out = []
    for i, path in enumerate(j.paths()):
        a, b = int(j.offsets[i]), int(j.offsets[i + 1])
        row_times = tuple(times[a:b]) if times is not None else None
        out.append((path, float(j.conversions[i]), float(j.nulls[i]), float(j.value[i]), row_times))
    return out


def _assert_same_journeys(got: Journeys, want: Journeys, compare: Compare) -> None:
    if compare == "multiset":
        assert sorted(_rows(got), key=repr) == sorted(_rows(want), key=repr)
        return
    assert got.channels == want.channels
    assert _rows(got) == _rows(want)
    if compare == "exact":
        assert (got.users is None) == (want.users is None)
        if got.users is not None and want.users is not None:
            assert list(got.users) == list(want.users)


def _safe_repr(j: Journeys) -> str:
    """Journeys' repr, or its raw arrays when the repr itself fails (e.g. on overflowing totals)."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            return repr(j)
    except Exception as error:
        return f"<repr failed with {error!r}; paths={j.paths()}, conversions={j.conversions}, value={j.value}>"


def _check(
    case: Case, build: Callable[[Any], Journeys], build_cleaned: Callable[[Any], Journeys] | None = None
) -> None:
    """The contract: a named AttributionError, or journeys that conserve (and equal the cleaned input's)."""
    result, error = _outcome(lambda: build(case.frame))
    if error is not None:
        assert case.expect != "valid", f"valid input was refused: {error}"
        assert _message_names(str(error), case.names), f"the error names none of {case.names!r}: {error}"
        return
    assert case.expect != "raise", f"invalid input was accepted: {_safe_repr(result)}"
    _assert_conserves(result, model_errors_ok=case.model_errors_ok)
    if case.cleaned is not None:
        _assert_same_journeys(result, (build_cleaned or build)(case.cleaned), case.compare)


# ---------------------------------------------------------------------- event logs
EVENT_COLUMNS = {"user": "uid", "time": "ts", "channel": "chan", "converted": "conv", "value": "rev", "hit": "hit"}
EVENT_ARGS = {"user": "uid", "time": "ts", "channel": "chan", "conversion": "conv", "value": "rev"}
ARG_OF = {"uid": "user", "ts": "time", "chan": "channel", "conv": "conversion", "rev": "value"}


def _names(column: str) -> tuple[str, ...]:
    return (column, ARG_OF.get(column, column))


def _rows_where(data: st.DataObject, mask: np.ndarray, label: str) -> np.ndarray:
    """A non-empty random subset of the rows where ``mask`` holds (assumes there is one)."""
    positions = np.flatnonzero(mask)
    assume(len(positions) > 0)
    chosen = data.draw(st.sets(st.sampled_from(positions.tolist()), min_size=1), label=label)
    return np.array(sorted(chosen), dtype=np.int64)


def _with(log: pd.DataFrame, column: str, values: Any) -> pd.DataFrame:
    out = log.copy()
    out[column] = values if isinstance(values, pd.Series) else pd.Series(values, index=log.index)
    return out


def _number_in_value(number: float, expect: Expect) -> Callable[[st.DataObject, pd.DataFrame], Case]:
    def corrupt(data: st.DataObject, log: pd.DataFrame) -> Case:
        rows = _rows_where(data, log["conv"].to_numpy(), "conversion rows")
        values = log["rev"].to_numpy(copy=True)
        values[rows] = number
        return Case(_with(log, "rev", values), _names("rev"), expect, model_errors_ok=number > 1e300)

    return corrupt


def _value_on_touch(data: st.DataObject, log: pd.DataFrame) -> Case:
    rows = _rows_where(data, ~log["conv"].to_numpy(), "touch rows")
    values = log["rev"].to_numpy(copy=True)
    values[rows] = 5.0
    return Case(_with(log, "rev", values), _names("rev"), "raise")


def _value_as(kind: str) -> Callable[[st.DataObject, pd.DataFrame], Case]:
    def corrupt(data: st.DataObject, log: pd.DataFrame) -> Case:
        rev = log["rev"]
        if kind == "object":  # floats, whole ints, numeric strings and None mixed
            mixed = [
                None if pd.isna(v) else data.draw(st.sampled_from([float(v), int(v), f"{v}"]), label="as")
                for v in rev.tolist()
            ]
            values: Any = pd.Series(mixed, index=log.index, dtype=object)
        elif kind == "Float64":
            values = rev.astype("Float64")
        elif kind == "string":
            values = rev.astype("string")
        elif kind == "categorical":
            values = rev.astype("category")
        else:
            raise AssertionError(kind)
        return Case(_with(log, "rev", values), _names("rev"), "valid", cleaned=log)

    return corrupt


def _flags_as(kind: str) -> Callable[[st.DataObject, pd.DataFrame], Case]:
    def corrupt(data: st.DataObject, log: pd.DataFrame) -> Case:
        conv = log["conv"]
        if kind == "float":
            values: Any = conv.astype(float)
        elif kind == "int":
            values = conv.astype(np.int64)
        elif kind == "boolean":
            values = conv.astype("boolean")
        elif kind == "object":
            values = pd.Series(
                [data.draw(st.sampled_from([c, int(c), float(c), np.bool_(c)]), label="as") for c in conv],
                index=log.index,
                dtype=object,
            )
        elif kind == "categorical":
            values = conv.astype("category")
        else:
            raise AssertionError(kind)
        return Case(_with(log, "conv", values), _names("conv"), "valid", cleaned=log)

    return corrupt


def _bad_flag(kind: str) -> Callable[[st.DataObject, pd.DataFrame], Case]:
    def corrupt(data: st.DataObject, log: pd.DataFrame) -> Case:
        assume(len(log) > 0)
        rows = _rows_where(data, np.ones(len(log), dtype=bool), "rows")
        if kind == "nan":
            values: Any = log["conv"].astype(float).to_numpy(copy=True)
            values[rows] = np.nan
        elif kind == "two":
            values = log["conv"].astype(np.int64).to_numpy(copy=True)
            values[rows] = 2
        elif kind == "NA":
            values = log["conv"].astype("boolean").copy()
            values.iloc[rows] = pd.NA
        elif kind == "strings":
            values = pd.Series(np.where(log["conv"], "yes", "no"), index=log.index, dtype=object)
        else:
            raise AssertionError(kind)
        return Case(_with(log, "conv", values), _names("conv"), "raise")

    return corrupt


def _users_as(kind: str) -> Callable[[st.DataObject, pd.DataFrame], Case]:
    def corrupt(data: st.DataObject, log: pd.DataFrame) -> Case:
        number = log["uid"].str.removeprefix("user").astype(np.int64)
        if kind == "int":
            return Case(_with(log, "uid", number), _names("uid"), "valid", cleaned=log, compare="no_users")
        if kind == "float":
            return Case(
                _with(log, "uid", number.astype(float)), _names("uid"), "valid", cleaned=log, compare="no_users"
            )
        if kind == "mixed":
            mixed = [u if n % 2 else int(n) for u, n in zip(log["uid"], number, strict=True)]
            frame = _with(log, "uid", pd.Series(mixed, index=log.index, dtype=object))
            return Case(frame, _names("uid"), "valid", cleaned=log, compare="multiset")
        if kind == "categorical":
            return Case(_with(log, "uid", log["uid"].astype("category")), _names("uid"), "valid", cleaned=log)
        if kind == "string":
            return Case(_with(log, "uid", log["uid"].astype("string")), _names("uid"), "valid", cleaned=log)
        if kind == "none":
            assume(len(log) > 0)
            rows = _rows_where(data, np.ones(len(log), dtype=bool), "rows")
            users = log["uid"].to_numpy(dtype=object, copy=True)
            users[rows] = None
            return Case(_with(log, "uid", pd.Series(users, index=log.index, dtype=object)), _names("uid"), "raise")
        raise AssertionError(kind)

    return corrupt


def _times_as(kind: str) -> Callable[[st.DataObject, pd.DataFrame], Case]:
    def corrupt(data: st.DataObject, log: pd.DataFrame) -> Case:
        ts = log["ts"]
        if kind == "tz":
            zone = data.draw(st.sampled_from(["UTC", "Asia/Tokyo", "America/Sao_Paulo"]), label="zone")
            aware = ts.dt.tz_localize("UTC").dt.tz_convert(zone)
            return Case(_with(log, "ts", aware), _names("ts"), "valid", cleaned=log)
        if kind == "iso strings":
            return Case(
                _with(log, "ts", ts.dt.strftime("%Y-%m-%dT%H:%M:%S").astype(object)), _names("ts"), "valid", cleaned=log
            )
        if kind == "string dtype":
            return Case(
                _with(log, "ts", ts.dt.strftime("%Y-%m-%d %H:%M:%S").astype("string")),
                _names("ts"),
                "valid",
                cleaned=log,
            )
        if kind == "python datetimes":
            objects = pd.Series([t.to_pydatetime() for t in ts], index=log.index, dtype=object)
            return Case(_with(log, "ts", objects), _names("ts"), "valid", cleaned=log)
        if kind == "second unit":
            return Case(_with(log, "ts", ts.astype("datetime64[s]")), _names("ts"), "valid", cleaned=log)
        if kind == "mixed zones":  # the same instants, written in different zones
            zones = data.draw(
                st.lists(st.sampled_from(["UTC", "Asia/Tokyo", "Europe/Paris"]), min_size=len(ts), max_size=len(ts))
            )
            objects = pd.Series(
                [t.tz_localize("UTC").tz_convert(z) for t, z in zip(ts, zones, strict=True)],
                index=log.index,
                dtype=object,
            )
            return Case(_with(log, "ts", objects), _names("ts"), "valid", cleaned=log)
        if kind == "aware and naive":
            assume(len(log) >= 2)
            objects = pd.Series(list(ts), index=log.index, dtype=object)
            objects.iloc[0] = ts.iloc[0].tz_localize("UTC")
            return Case(_with(log, "ts", objects), _names("ts"), "raise")
        if kind == "duplicated":  # every event of a user at one instant: ties everywhere
            first = ts.groupby(log["uid"]).transform("min")
            return Case(_with(log, "ts", first), _names("ts"), "valid")
        if kind in ("epoch seconds", "epoch ns", "epoch float"):
            assume(len(log) > 0)
            ns = ts.astype("datetime64[ns]").astype(np.int64)
            numbers = {"epoch seconds": ns // 10**9, "epoch ns": ns, "epoch float": ns / 1e9}[kind]
            return Case(_with(log, "ts", numbers), _names("ts"), "raise")
        if kind in ("NaT", "year 1677", "year 2263", "garbage"):
            assume(len(log) > 0)
            rows = _rows_where(data, np.ones(len(log), dtype=bool), "rows")
            if kind == "NaT":
                values: Any = ts.copy()
                values.iloc[rows] = pd.NaT
            else:
                stamp = {"year 1677": "1677-06-01", "year 2263": "2263-06-01", "garbage": "soon"}[kind]
                values = ts.dt.strftime("%Y-%m-%d %H:%M:%S").astype(object)
                values.iloc[rows] = stamp
            return Case(_with(log, "ts", values), _names("ts"), "raise")
        if kind == "whole log in 2262":  # near the end of the nanosecond range, still valid
            shifted = ts + (pd.Timestamp("2262-01-01") - pd.Timestamp("2024-01-01"))
            return Case(_with(log, "ts", shifted), _names("ts"), "valid", cleaned=log)
        raise AssertionError(kind)

    return corrupt


def _labels_as(kind: str) -> Callable[[st.DataObject, pd.DataFrame], Case]:
    def corrupt(data: st.DataObject, log: pd.DataFrame) -> Case:
        chan = log["chan"]
        touch = chan.notna().to_numpy()
        if kind in ("empty", "whitespace", "none on a touch", "surrounding whitespace", "unicode", "separator"):
            # a converting touch without its channel is a plain conversion: only pure touches must keep one
            rows = _rows_where(data, touch & ~log["conv"].to_numpy(dtype=bool), "touch rows")
            label = {
                "empty": "",
                "whitespace": " \t ",
                "none on a touch": None,
                "surrounding whitespace": "  A ",
                "unicode": "Ünïcødé 📧 ∑",
                "separator": "Paid > Search",
            }[kind]
            values = chan.to_numpy(dtype=object, copy=True)
            values[rows] = label
            expect: Expect = "raise" if kind in ("empty", "whitespace", "none on a touch") else "valid"
            frame = _with(log, "chan", pd.Series(values, index=log.index, dtype=object))
            if kind == "surrounding whitespace":  # every builder strips labels: '  A ' is channel 'A'
                return Case(frame, _names("chan"), expect, cleaned=_with(log, "chan", frame["chan"].str.strip()))
            return Case(frame, _names("chan"), expect)
        if kind == "categorical":
            return Case(_with(log, "chan", chan.astype("category")), _names("chan"), "valid", cleaned=log)
        if kind == "string dtype":
            return Case(_with(log, "chan", chan.astype("string")), _names("chan"), "valid", cleaned=log)
        if kind in ("integers", "floats"):
            number = {"A": 1, "B": 2, "C": 3, "D": 4}
            mapped = [None if pd.isna(c) else number[c] for c in chan.tolist()]
            values = pd.Series(mapped, index=log.index, dtype=object if kind == "integers" else float)
            text = pd.Series([None if m is None else str(m) for m in mapped], index=log.index, dtype=object)
            return Case(_with(log, "chan", values), _names("chan"), "valid", cleaned=_with(log, "chan", text))
        raise AssertionError(kind)

    return corrupt


def _duplicate_column(column: str) -> Callable[[st.DataObject, pd.DataFrame], Case]:
    def corrupt(data: st.DataObject, log: pd.DataFrame) -> Case:
        return Case(pd.concat([log, log[[column]]], axis=1), _names(column), "either", cleaned=log)

    return corrupt


def _integer_column_labels(as_text: bool) -> Callable[[st.DataObject, pd.DataFrame], Case]:
    def corrupt(data: st.DataObject, log: pd.DataFrame) -> Case:
        position = {c: i for i, c in enumerate(log.columns)}
        frame = log.copy()
        frame.columns = list(range(len(log.columns)))
        options = {arg: (str(position[c]) if as_text else position[c]) for arg, c in EVENT_ARGS.items()}
        names = tuple(options.values()) + tuple(options)
        return Case(frame, names, "either", cleaned=log, options=options)

    return corrupt


EVENT_CORRUPTIONS: dict[str, Callable[[st.DataObject, pd.DataFrame], Case]] = {
    "value NaN on a conversion": _number_in_value(np.nan, "raise"),
    "value +inf": _number_in_value(np.inf, "raise"),
    "value -inf": _number_in_value(-np.inf, "raise"),
    "value negative": _number_in_value(-3.0, "raise"),
    "value huge 1e308": _number_in_value(1e308, "either"),
    "value tiny 1e-300": _number_in_value(1e-300, "valid"),
    "value on a touch": _value_on_touch,
    "value object mixing floats ints strings": _value_as("object"),
    "value nullable Float64": _value_as("Float64"),
    "value string dtype": _value_as("string"),
    "value categorical": _value_as("categorical"),
    "flags float 0/1": _flags_as("float"),
    "flags int 0/1": _flags_as("int"),
    "flags nullable boolean": _flags_as("boolean"),
    "flags object mixing bool int float": _flags_as("object"),
    "flags categorical": _flags_as("categorical"),
    "flags NaN": _bad_flag("nan"),
    "flags 2": _bad_flag("two"),
    "flags boolean NA": _bad_flag("NA"),
    "flags yes/no strings": _bad_flag("strings"),
    "users int": _users_as("int"),
    "users float": _users_as("float"),
    "users object mixing int and str": _users_as("mixed"),
    "users categorical": _users_as("categorical"),
    "users string dtype": _users_as("string"),
    "users None": _users_as("none"),
    "times tz-aware": _times_as("tz"),
    "times ISO strings": _times_as("iso strings"),
    "times string dtype": _times_as("string dtype"),
    "times python datetimes": _times_as("python datetimes"),
    "times datetime64[s]": _times_as("second unit"),
    "times mixed zones": _times_as("mixed zones"),
    "times aware and naive": _times_as("aware and naive"),
    "times duplicated": _times_as("duplicated"),
    "times epoch seconds": _times_as("epoch seconds"),
    "times epoch ns": _times_as("epoch ns"),
    "times epoch float": _times_as("epoch float"),
    "times NaT": _times_as("NaT"),
    "times year 1677": _times_as("year 1677"),
    "times year 2263": _times_as("year 2263"),
    "times unparseable": _times_as("garbage"),
    "times all in 2262": _times_as("whole log in 2262"),
    "labels empty": _labels_as("empty"),
    "labels whitespace only": _labels_as("whitespace"),
    "labels None on a touch": _labels_as("none on a touch"),
    "labels surrounding whitespace": _labels_as("surrounding whitespace"),
    "labels unicode": _labels_as("unicode"),
    "labels holding the separator": _labels_as("separator"),
    "labels categorical": _labels_as("categorical"),
    "labels string dtype": _labels_as("string dtype"),
    "labels integers": _labels_as("integers"),
    "labels floats": _labels_as("floats"),
    "duplicate column user": _duplicate_column("uid"),
    "duplicate column time": _duplicate_column("ts"),
    "duplicate column channel": _duplicate_column("chan"),
    "duplicate column conversion": _duplicate_column("conv"),
    "duplicate column value": _duplicate_column("rev"),
    "integer column labels": _integer_column_labels(as_text=False),
    "integer column labels named as text": _integer_column_labels(as_text=True),
}


def _from_events(options: dict[str, Any]) -> Callable[[Any], Journeys]:
    arguments = {**EVENT_ARGS, **options}
    return lambda frame: Journeys.from_events(frame, **arguments)


@pytest.mark.parametrize("corruption", list(EVENT_CORRUPTIONS))
@FUZZ
@given(log=event_logs(max_events=12), data=st.data())
def test_from_events_on_a_corrupted_log_raises_a_named_error_or_conserves(
    corruption: str, log: pd.DataFrame, data: st.DataObject
) -> None:
    """A corrupted event log gives an AttributionError naming the column, or conserving journeys (= cleaned)."""
    assume(len(log) > 0)
    log = log.rename(columns=EVENT_COLUMNS)
    case = EVENT_CORRUPTIONS[corruption](data, log)
    _check(case, _from_events(case.options), _from_events({}))


# ---------------------------------------------------------------------- path tables
PATH_COLUMNS = {"path": "route", "conversions": "n_conv", "nulls": "n_null", "value": "revenue"}
PATH_ARGS = {"path": "route", "conversions": "n_conv", "nulls": "n_null", "value": "revenue"}
PATH_ARG_OF = {v: k for k, v in PATH_ARGS.items()}


def _path_names(column: str) -> tuple[str, ...]:
    return (column, PATH_ARG_OF.get(column, column))


def _table(j: Journeys, path: Literal["string", "list"] = "string") -> pd.DataFrame:
    return j.to_frame(path=path).rename(columns=PATH_COLUMNS)


def _number_in_counts(column: str, number: float, expect: Expect) -> Callable[[st.DataObject, pd.DataFrame], Case]:
    def corrupt(data: st.DataObject, table: pd.DataFrame) -> Case:
        eligible = np.ones(len(table), dtype=bool)
        if column == "revenue" and number > 0:  # a value needs conversions on its row
            eligible = table["n_conv"].to_numpy() > 0
        rows = _rows_where(data, eligible, "rows")
        values = table[column].to_numpy(dtype=float, copy=True)
        values[rows] = number
        return Case(_with(table, column, values), _path_names(column), expect, model_errors_ok=number > 1e300)

    return corrupt


def _counts_as(column: str, kind: str) -> Callable[[st.DataObject, pd.DataFrame], Case]:
    def corrupt(data: st.DataObject, table: pd.DataFrame) -> Case:
        counts = table[column]
        expect: Expect = "valid"
        cleaned = table
        if kind == "object":
            values: Any = pd.Series(
                [data.draw(st.sampled_from([float(v), int(v), f"{int(v)}"]), label="as") for v in counts],
                index=table.index,
                dtype=object,
            )
        elif kind == "Int64":
            values = counts.astype("Int64")
        elif kind == "Int64 with NA":
            assume(len(table) > 0)
            values = counts.astype("Int64").copy()
            values.iloc[0] = pd.NA
            expect, cleaned = "raise", None
        elif kind == "Float64 with NA":
            assume(len(table) > 0)
            values = counts.astype("Float64").copy()
            values.iloc[-1] = pd.NA
            expect, cleaned = "raise", None
        elif kind == "None in object":
            assume(len(table) > 0)
            values = pd.Series([None, *counts.tolist()[1:]], index=table.index, dtype=object)
            expect, cleaned = "raise", None
        elif kind == "words":
            assume(len(table) > 0)
            values = pd.Series(["many", *counts.tolist()[1:]], index=table.index, dtype=object)
            expect, cleaned = "raise", None
        elif kind == "categorical":
            values = counts.astype("category")
        elif kind == "string":
            values = counts.astype(np.int64).astype("string")
        elif kind == "boolean":
            flags = counts > 0
            values = flags.astype("boolean")
            cleaned = _with(table, column, flags.astype(float))
            if column == "n_conv":  # value only where conversions remain
                cleaned = _with(cleaned, "revenue", table["revenue"].where(flags, 0.0))
                table = _with(table, "revenue", cleaned["revenue"])
        else:
            raise AssertionError(kind)
        return Case(_with(table, column, values), _path_names(column), expect, cleaned=cleaned)

    return corrupt


def _orphan_value(data: st.DataObject, table: pd.DataFrame) -> Case:
    rows = _rows_where(data, table["n_conv"].to_numpy() == 0, "rows without conversions")
    values = table["revenue"].to_numpy(copy=True)
    values[rows] = 7.0
    return Case(_with(table, "revenue", values), _path_names("revenue"), "raise")


def _paths_as(kind: str) -> Callable[[st.DataObject, pd.DataFrame], Case]:
    def corrupt(data: st.DataObject, table: pd.DataFrame) -> Case:
        route = table["route"]
        names = _path_names("route")
        if kind == "categorical":
            return Case(_with(table, "route", route.astype("category")), names, "valid", cleaned=table)
        if kind == "string dtype":
            return Case(_with(table, "route", route.astype("string")), names, "valid", cleaned=table)
        if kind == "padded":  # labels with spaces around them are stripped
            padded = route.str.replace(" > ", "   >\t", regex=False).map(lambda p: f"  {p} ")
            return Case(_with(table, "route", padded), names, "valid", cleaned=table)
        if kind == "no spaces":
            return Case(
                _with(table, "route", route.str.replace(" > ", ">", regex=False)), names, "valid", cleaned=table
            )
        if kind == "whitespace-only empty path":
            return Case(_with(table, "route", route.map(lambda p: p or "   ")), names, "valid", cleaned=table)
        if kind == "unicode":
            renamed = route.str.replace("A", "Ä📧", regex=False)
            return Case(_with(table, "route", renamed), names, "valid")
        if kind in ("empty label", "trailing separator", "None", "number"):
            rows = _rows_where(data, route.str.len().to_numpy() > 0, "non-empty rows")
            values = route.to_numpy(dtype=object, copy=True)
            for r in rows:
                values[r] = {"empty label": values[r] + " >  > B", "trailing separator": values[r] + " >"}.get(
                    kind, None if kind == "None" else 17
                )
            return Case(_with(table, "route", pd.Series(values, index=table.index, dtype=object)), names, "raise")
        if kind == "strings mixed with lists":
            assume(len(table) >= 2)
            values = route.to_numpy(dtype=object, copy=True)
            values[1] = values[1].split(" > ") if values[1] else []
            return Case(_with(table, "route", pd.Series(values, index=table.index, dtype=object)), names, "raise")
        raise AssertionError(kind)

    return corrupt


def _list_paths(kind: str) -> Callable[[st.DataObject, pd.DataFrame], Case]:
    def corrupt(data: st.DataObject, table: pd.DataFrame) -> Case:
        lists = [p.split(" > ") if p else [] for p in table["route"]]
        frame = _with(table, "route", pd.Series(lists, index=table.index, dtype=object))
        names = _path_names("route")
        if kind == "lists":
            return Case(frame, names, "valid", cleaned=table)
        if kind == "tuples":
            return Case(
                _with(table, "route", pd.Series([tuple(p) for p in lists], index=table.index, dtype=object)),
                names,
                "valid",
                cleaned=table,
            )
        rows = _rows_where(data, np.array([len(p) > 0 for p in lists], dtype=bool), "non-empty rows")
        if kind == "padded label":  # list labels are stripped like string ones
            padded = [list(p) for p in lists]
            for r in rows:
                padded[r][-1] = f" {padded[r][-1]}\t"
            return Case(
                _with(table, "route", pd.Series(padded, index=table.index, dtype=object)), names, "valid", cleaned=table
            )
        label = {"separator in a label": "Paid > Search", "None label": None, "empty label": "", "int label": 3}[kind]
        for r in rows:
            lists[r] = [*lists[r][:-1], label]
        # list paths may hold labels containing the separator (it only splits string paths)
        expect: Expect = "valid" if kind == "separator in a label" else "raise"
        return Case(_with(table, "route", pd.Series(lists, index=table.index, dtype=object)), names, expect)

    return corrupt


def _duplicate_table_column(column: str) -> Callable[[st.DataObject, pd.DataFrame], Case]:
    def corrupt(data: st.DataObject, table: pd.DataFrame) -> Case:
        return Case(pd.concat([table, table[[column]]], axis=1), _path_names(column), "either", cleaned=table)

    return corrupt


def _integer_table_labels(as_text: bool) -> Callable[[st.DataObject, pd.DataFrame], Case]:
    def corrupt(data: st.DataObject, table: pd.DataFrame) -> Case:
        position = {c: i for i, c in enumerate(table.columns)}
        frame = table.copy()
        frame.columns = list(range(len(table.columns)))
        options = {arg: (str(position[c]) if as_text else position[c]) for arg, c in PATH_ARGS.items()}
        return Case(frame, tuple(options.values()) + tuple(options), "either", cleaned=table, options=options)

    return corrupt


PATH_CORRUPTIONS: dict[str, Callable[[st.DataObject, pd.DataFrame], Case]] = {
    **{
        f"{column} {label}": _number_in_counts(column, number, expect)
        for column in ("n_conv", "n_null", "revenue")
        for label, number, expect in (
            ("NaN", np.nan, "raise"),
            ("+inf", np.inf, "raise"),
            ("-inf", -np.inf, "raise"),
            ("negative", -2.0, "raise"),
            ("huge 1e308", 1e308, "either"),
            ("tiny 1e-300", 1e-300, "valid"),
        )
    },
    **{
        f"{column} as {kind}": _counts_as(column, kind)
        for column in ("n_conv", "n_null", "revenue")
        for kind in (
            "object",
            "Int64",
            "Int64 with NA",
            "Float64 with NA",
            "None in object",
            "words",
            "categorical",
            "string",
        )
    },
    "n_conv as boolean": _counts_as("n_conv", "boolean"),
    "revenue without conversions": _orphan_value,
    "path categorical": _paths_as("categorical"),
    "path string dtype": _paths_as("string dtype"),
    "path padded with whitespace": _paths_as("padded"),
    "path without spaces": _paths_as("no spaces"),
    "path whitespace-only empty path": _paths_as("whitespace-only empty path"),
    "path unicode": _paths_as("unicode"),
    "path empty label": _paths_as("empty label"),
    "path trailing separator": _paths_as("trailing separator"),
    "path None": _paths_as("None"),
    "path a number": _paths_as("number"),
    "path strings mixed with lists": _paths_as("strings mixed with lists"),
    "path lists": _list_paths("lists"),
    "path tuples": _list_paths("tuples"),
    "path list label holding the separator": _list_paths("separator in a label"),
    "path list label padded with whitespace": _list_paths("padded label"),
    "path list label None": _list_paths("None label"),
    "path list label empty": _list_paths("empty label"),
    "path list label int": _list_paths("int label"),
    "duplicate column path": _duplicate_table_column("route"),
    "duplicate column conversions": _duplicate_table_column("n_conv"),
    "duplicate column value": _duplicate_table_column("revenue"),
    "integer column labels": _integer_table_labels(as_text=False),
    "integer column labels named as text": _integer_table_labels(as_text=True),
}


def _from_paths(options: dict[str, Any]) -> Callable[[Any], Journeys]:
    arguments = {**PATH_ARGS, **options}
    return lambda frame: Journeys.from_paths(frame, **arguments)


@pytest.mark.parametrize("corruption", list(PATH_CORRUPTIONS))
@FUZZ
@given(j=journeys(max_rows=8, max_length=4), data=st.data())
def test_from_paths_on_a_corrupted_table_raises_a_named_error_or_conserves(
    corruption: str, j: Journeys, data: st.DataObject
) -> None:
    """A corrupted path table gives an AttributionError naming the column, or conserving journeys (= cleaned)."""
    assume(j.n_rows > 0)
    table = _table(j)
    case = PATH_CORRUPTIONS[corruption](data, table)
    _check(case, _from_paths(case.options), _from_paths({}))


# ---------------------------------------------------------------------- from_sequences
@dataclass
class Sequences:
    paths: list[Any]
    conversions: Any
    nulls: Any
    value: Any
    times: Any = None

    def build(self) -> Journeys:
        return Journeys.from_sequences(
            self.paths, conversions=self.conversions, nulls=self.nulls, value=self.value, times=self.times
        )


def _valid_sequences(j: Journeys) -> Sequences:
    paths = [list(p) for p in j.paths()]
    times = None
    if j.times is not None:
        flat = j.times.tolist()
        times = [flat[int(a) : int(b)] for a, b in zip(j.offsets[:-1], j.offsets[1:], strict=True)]
    return Sequences(paths, j.conversions.tolist(), j.nulls.tolist(), j.value.tolist(), times)


def _seq_number(argument: str, number: float, expect: Expect) -> Callable[[st.DataObject, Sequences], Case]:
    def corrupt(data: st.DataObject, s: Sequences) -> Case:
        current = list(getattr(s, argument))
        eligible = np.ones(len(current), dtype=bool)
        if argument == "value" and number > 0:
            eligible = np.array(s.conversions) > 0
        rows = _rows_where(data, eligible, "rows")
        for r in rows:
            current[r] = number
        return Case(Sequences(**{**s.__dict__, argument: current}), (argument,), expect, model_errors_ok=number > 1e300)

    return corrupt


def _seq_counts_as(kind: str) -> Callable[[st.DataObject, Sequences], Case]:
    def corrupt(data: st.DataObject, s: Sequences) -> Case:
        conv = s.conversions
        expect: Expect = "valid"
        cleaned: Sequences | None = s
        if kind == "numpy float32":
            values: Any = np.asarray(conv, dtype=np.float32)
        elif kind == "numeric strings":
            values = [f"{c:g}" for c in conv]
        elif kind == "Series with odd index":
            values = pd.Series(conv, index=np.arange(len(conv))[::-1] * 10 + 3)
        elif kind == "Int64":
            values = pd.array([int(c) for c in conv], dtype="Int64")
        elif kind == "Int64 with NA":
            assume(len(conv) > 0)
            values = pd.array([None, *[int(c) for c in conv[1:]]], dtype="Int64")
            expect, cleaned = "raise", None
        elif kind == "None":
            assume(len(conv) > 0)
            values = [None, *conv[1:]]
            expect, cleaned = "raise", None
        elif kind == "words":
            assume(len(conv) > 0)
            values = ["lots", *conv[1:]]
            expect, cleaned = "raise", None
        elif kind == "too short":
            assume(len(conv) > 0)
            values = conv[:-1]
            expect, cleaned = "raise", None
        elif kind == "2-D":
            values = [[c] for c in conv]
            expect, cleaned = ("raise", None) if conv else ("either", None)
        elif kind == "scalar":
            values = 1.0
            expect, cleaned = ("raise", None) if len(conv) != 1 else ("either", None)
        else:
            raise AssertionError(kind)
        return Case(Sequences(**{**s.__dict__, "conversions": values}), ("conversions",), expect, cleaned=cleaned)

    return corrupt


def _seq_labels(kind: str) -> Callable[[st.DataObject, Sequences], Case]:
    def corrupt(data: st.DataObject, s: Sequences) -> Case:
        paths = [list(p) for p in s.paths]
        if kind == "tuples":
            return Case(Sequences(**{**s.__dict__, "paths": [tuple(p) for p in paths]}), ("paths",), "valid", cleaned=s)
        if kind == "numpy arrays":
            arrays = [np.array(p, dtype=object) for p in paths]
            return Case(Sequences(**{**s.__dict__, "paths": arrays}), ("paths",), "valid", cleaned=s)
        if kind == "numpy str_":
            labels = [[np.str_(c) for c in p] for p in paths]
            return Case(Sequences(**{**s.__dict__, "paths": labels}), ("paths",), "valid", cleaned=s)
        if kind == "a string path":
            rows = _rows_where(data, np.array([len(p) > 0 for p in paths], dtype=bool), "rows")
            for r in rows:
                paths[r] = "".join(paths[r])
            return Case(Sequences(**{**s.__dict__, "paths": paths}), ("paths",), "raise")
        rows = _rows_where(data, np.array([len(p) > 0 for p in paths], dtype=bool), "rows")
        label = {
            "None": None,
            "empty": "",
            "whitespace": "  ",
            "int": 7,
            "bytes": b"A",
            "NaN": float("nan"),
            "surrounding whitespace": " A ",
            "unicode": "Ünïcødé 📧",
            "separator": "Paid > Search",
        }[kind]
        original_last = {int(r): paths[r][-1] for r in rows}
        for r in rows:
            paths[r][-1] = label
        expect: Expect = "valid" if kind in ("surrounding whitespace", "unicode", "separator") else "raise"
        cleaned = None
        if kind == "surrounding whitespace":  # labels are stripped: ' A ' is channel 'A'
            stripped = [list(p) for p in paths]
            for r in original_last:
                stripped[r][-1] = "A"
            cleaned = Sequences(**{**s.__dict__, "paths": stripped})
        return Case(Sequences(**{**s.__dict__, "paths": paths}), ("paths",), expect, cleaned=cleaned)

    return corrupt


def _seq_times(kind: str) -> Callable[[st.DataObject, Sequences], Case]:
    def corrupt(data: st.DataObject, s: Sequences) -> Case:
        assume(s.times is not None)
        times = [list(t) for t in s.times]
        if kind == "timedeltas":
            deltas = [[pd.Timedelta(seconds=x) for x in t] for t in times]
            return Case(Sequences(**{**s.__dict__, "times": deltas}), ("times",), "valid", cleaned=s)
        if kind == "numpy arrays":
            arrays = [np.asarray(t, dtype=np.int64) for t in times]
            return Case(Sequences(**{**s.__dict__, "times": arrays}), ("times",), "valid", cleaned=s)
        rows = _rows_where(data, np.array([len(t) > 0 for t in times], dtype=bool), "rows")
        for r in rows:
            if kind == "increasing":
                assume(len(times[r]) >= 2)
                times[r][-1] = times[r][0] + 10.0
            else:
                times[r][0] = {"NaN": np.nan, "+inf": np.inf, "negative": -1.0, "NaT": pd.NaT, "None": None}[kind]
        return Case(Sequences(**{**s.__dict__, "times": times}), ("times",), "raise")

    return corrupt


def _seq_orphan_value(data: st.DataObject, s: Sequences) -> Case:
    rows = _rows_where(data, np.array(s.conversions) == 0, "rows without conversions")
    value = list(s.value)
    for r in rows:
        value[r] = 3.0
    return Case(Sequences(**{**s.__dict__, "value": value}), ("value",), "raise")


SEQUENCE_CORRUPTIONS: dict[str, Callable[[st.DataObject, Sequences], Case]] = {
    **{
        f"{argument} {label}": _seq_number(argument, number, expect)
        for argument in ("conversions", "nulls", "value")
        for label, number, expect in (
            ("NaN", np.nan, "raise"),
            ("+inf", np.inf, "raise"),
            ("-inf", -np.inf, "raise"),
            ("negative", -1.0, "raise"),
            ("huge 1e308", 1e308, "either"),
            ("tiny 1e-300", 1e-300, "valid"),
        )
    },
    **{
        f"conversions as {kind}": _seq_counts_as(kind)
        for kind in (
            "numpy float32",
            "numeric strings",
            "Series with odd index",
            "Int64",
            "Int64 with NA",
            "None",
            "words",
            "too short",
            "2-D",
            "scalar",
        )
    },
    "value without conversions": _seq_orphan_value,
    **{
        f"labels {kind}": _seq_labels(kind)
        for kind in (
            "tuples",
            "numpy arrays",
            "numpy str_",
            "a string path",
            "None",
            "empty",
            "whitespace",
            "int",
            "bytes",
            "NaN",
            "surrounding whitespace",
            "unicode",
            "separator",
        )
    },
    **{
        f"times {kind}": _seq_times(kind)
        for kind in ("timedeltas", "numpy arrays", "increasing", "NaN", "+inf", "negative", "NaT", "None")
    },
}


@pytest.mark.parametrize("corruption", list(SEQUENCE_CORRUPTIONS))
@FUZZ
@given(j=journeys(max_rows=8, max_length=4), data=st.data())
def test_from_sequences_on_corrupted_arguments_raises_a_named_error_or_conserves(
    corruption: str, j: Journeys, data: st.DataObject
) -> None:
    """Corrupted from_sequences arguments give an AttributionError naming the argument, or conserving journeys."""
    case = SEQUENCE_CORRUPTIONS[corruption](data, _valid_sequences(j))
    _check(case, lambda s: s.build())


# ---------------------------------------------------------------------- pinned examples
def test_fuzz_contract_accepts_a_named_error_and_rejects_a_foreign_exception() -> None:
    """The harness itself: an AttributionError passes through, a KeyError fails the test."""
    _, error = _outcome(lambda: Journeys.from_sequences([["A"]], conversions=[-1]))
    assert error is not None
    assert _message_names(str(error), ("conversions",))
    with pytest.raises(pytest.fail.Exception, match="KeyError escaped"):
        _outcome(lambda: {}["missing"])


def test_message_check_ignores_the_quoted_value() -> None:
    """A message that only quotes the value does not count as naming the 'value' argument."""
    message = "conversions must not be NaN; 1 row breaks it, first at row 0 (value nan). Fix: fill them."
    assert not _message_names(message, ("value",))
    assert _message_names(message, ("conversions",))


def test_python_date_objects_as_times_build_like_datetimes() -> None:
    """``datetime.date`` objects in the time column are read as midnight datetimes."""
    log = pd.DataFrame(
        {
            "uid": ["u", "u", "u"],
            "ts": [dt.date(2024, 1, 1), dt.date(2024, 1, 2), dt.date(2024, 1, 3)],
            "chan": ["A", "B", None],
            "conv": [False, False, True],
            "rev": [None, None, 5.0],
        }
    )
    cleaned = log.assign(ts=pd.to_datetime(["2024-01-01", "2024-01-02", "2024-01-03"]))
    case = Case(log, _names("ts"), "valid", cleaned=cleaned)
    _check(case, _from_events({}))


# ---------------------------------------------------------------------- pinned corner cases
# The random draws above rarely hit these exact corners; each is a minimal failing input.
@pytest.mark.parametrize("label", [None, np.nan, pd.NA], ids=["None", "NaN", "NA"])
def test_from_sequences_with_only_missing_labels_raises_a_named_error(label: Any) -> None:
    """Paths whose every label is missing give an error naming ``paths`` (not an IndexError)."""
    case = Case(Sequences([[label], []], [1.0, 0.0], [0.0, 1.0], [0.0, 0.0]), ("paths",), "raise")
    _check(case, lambda s: s.build())


def test_from_paths_with_list_paths_of_only_missing_labels_raises_a_named_error() -> None:
    """A list-path column whose every label is None gives an error naming the path column."""
    table = pd.DataFrame({"route": [[None], [None, None]], "n_conv": [1.0, 2.0]})
    case = Case(table, _path_names("route"), "raise")
    _check(case, lambda t: Journeys.from_paths(t, path="route", conversions="n_conv"))


def test_from_events_with_values_whose_total_overflows_raises_a_named_error() -> None:
    """Two conversions of 1e308 each: every value is finite but the total is not; refuse, naming the column."""
    log = pd.DataFrame(
        {
            "uid": ["a", "a", "b", "b"],
            "ts": pd.to_datetime(["2024-01-01", "2024-01-02", "2024-01-01", "2024-01-02"]),
            "chan": ["A", None, "B", None],
            "conv": [False, True, False, True],
            "rev": [np.nan, 1e308, np.nan, 1e308],
        }
    )
    _check(Case(log, _names("rev"), "raise"), _from_events({}))


def test_from_paths_with_counts_whose_total_overflows_raises_a_named_error() -> None:
    """Conversions of 1e308 on two rows add up past float64: refuse, naming the column."""
    table = pd.DataFrame({"route": ["A", "B"], "n_conv": [1e308, 1e308]})
    case = Case(table, _path_names("n_conv"), "raise")
    _check(case, lambda t: Journeys.from_paths(t, path="route", conversions="n_conv"))
