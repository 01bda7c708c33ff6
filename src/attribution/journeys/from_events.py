"""Build :class:`Journeys` from a raw event log with pandas and numpy (the reference builder).

The rules: sort by user and time (a touch before a conversion at equal times), split at
conversions or accumulate, apply a lookback window and a touch cap, keep every conversion.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Hashable, Mapping, Sequence
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from attribution.errors import JourneyError
from attribution.journeys._messages import bad_rows
from attribution.journeys._times import read_times
from attribution.journeys._validate import check_non_negative_finite
from attribution.journeys.attributes import CONVERSION_TYPE, Attributes
from attribution.journeys.cutting import Events, Parts, journeys_from_events
from attribution.journeys.levels import read_levels
from attribution.journeys.rules import Columns, encode_labels, rule
from attribution.journeys.spec import EventSpec

__all__ = [
    "build",
    "read_events",
    "check_columns",
    "conversion_flags",
    "require_columns",
]

IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]

_NS_PER_SECOND = 1_000_000_000


def require_columns(frame: Any, columns: Mapping[str, Hashable | None]) -> None:
    """Raise unless ``frame`` is a DataFrame holding each named column exactly once."""
    if not isinstance(frame, pd.DataFrame):
        raise JourneyError(
            f"expected a pandas DataFrame; got {type(frame).__name__}. "
            "Fix: wrap your data with pandas.DataFrame(...), or read it with pandas.read_csv/read_parquet."
        )
    check_columns(list(frame.columns), columns)


def check_columns(existing: Sequence[Hashable], columns: Mapping[str, Hashable | None]) -> None:
    """Raise, naming the argument, unless every named column (``None``: not asked for) is in
    ``existing`` exactly once. Labels are compared as they are (``0`` is not ``"0"``)."""
    labels = list(existing)
    for argument, column in columns.items():
        if column is None:
            continue
        found = sum(1 for label in labels if _same_label(label, column))
        if found == 0:
            shown = ", ".join(map(repr, labels[:20])) + (", ..." if len(labels) > 20 else "")
            near = [label for label in labels if str(label) == str(column)]
            hint = (
                f" (a column is named {near[0]!r}: a {type(near[0]).__name__}, not a {type(column).__name__})"
                if near
                else ""
            )
            raise JourneyError(
                f"column {column!r} (argument {argument!r}) is not in the data{hint}; the columns are: {shown}. "
                f"Fix: pass {argument}= the name of the column that holds it."
            )
        if found > 1:
            raise JourneyError(
                f"column {column!r} (argument {argument!r}) appears {found} times in the data, so it is ambiguous. "
                "Fix: give the columns distinct names (e.g. events.columns = [...]) or drop the duplicates "
                "(events.loc[:, ~events.columns.duplicated()])."
            )


def _same_label(label: Hashable, column: Hashable) -> bool:
    try:
        return bool(label == column) and type(label) is not bool and type(column) is not bool
    except (TypeError, ValueError):
        return False


def build(events: pd.DataFrame, spec: EventSpec, *, goals: Sequence[Any] | None = None) -> Parts:
    """The pandas builder: read and check the columns ``spec`` names, then cut the journeys' arrays.

    ``goals``: every conversion type of the whole log, when ``events`` is a part of it.
    """
    require_columns(events, {**spec.columns(), **attribute_arguments(spec)})
    read = read_events(events, spec)
    if spec.conversion_type is None:
        return journeys_from_events(read, spec)
    types = events[spec.conversion_type]
    return journeys_per_goal(read, spec, types, index=events.index, goals=goals)


def attribute_arguments(spec: EventSpec) -> dict[str, Hashable | None]:
    """The journey attribute columns by the argument that names them (for missing-column messages)."""
    named: dict[str, Hashable | None] = {f"segments[{i}]": c for i, c in enumerate(spec.segments)}
    named |= {f"channel[{i + 1}]": c for i, c in enumerate(spec.levels)}
    named["conversion_type"] = spec.conversion_type
    return named


def journeys_per_goal(
    read: Events, spec: EventSpec, types: pd.Series, *, index: pd.Index, goals: Sequence[Any] | None = None
) -> Parts:
    """Every conversion type as its own goal (journeys built as if only it converted), the goals' journeys stacked.

    For goal t, only conversions of type t convert; a conversion of another type is a touch
    if it carries a channel and is left out otherwise. ``goals``: every goal of the whole
    log, when ``read`` is only part of it (an engine's batch), so that users with no
    conversion of a goal still get their non-converting journeys for it; by default the
    types found in ``types``.
    """
    missing = types.isna().to_numpy() & read.converted
    if missing.any():
        raise bad_rows(
            f"column {spec.conversion_type!r} (conversion_type)",
            "must name the type of every conversion",
            missing,
            index=index,
            fix="fill in the type (e.g. 'purchase'), or drop those conversions.",
        )
    # as objects: an Arrow-string column (dask, pandas 3) and plain strings then name the same goals
    of_conversions = pd.Series(np.asarray(types.astype(object), dtype=object)).where(read.converted)
    labels = pd.Index(sorted(of_conversions.dropna().unique()) if goals is None else list(goals), dtype=object)
    codes = np.asarray(pd.Categorical(of_conversions, categories=labels).codes, dtype=np.int64)
    parts: list[Parts] = []
    for goal in range(len(labels)):
        of_goal = codes == goal
        kept = np.flatnonzero(~read.converted | of_goal | (read.channel >= 0))
        events = read.take(kept)
        converted = of_goal[kept]
        events = dataclasses.replace(events, converted=converted, value=np.where(converted, events.value, 0.0))
        parts.append(journeys_from_events(events, spec))
    if not parts:  # no goal at all: no journeys, with the arrays and attributes of an empty build
        parts.append(journeys_from_events(read.take(np.zeros(0, dtype=np.int64)), spec))
    return stack_goals(parts, labels, read.channels)


def stack_goals(goals: list[Parts], labels: pd.Index, channels: list[str]) -> Parts:
    """The journeys of every goal in one set of arrays, each row labelled with its goal."""
    from attribution.journeys import ragged

    lengths = [len(p.offsets) - 1 for p in goals]
    goal_codes = np.repeat(np.arange(len(goals), dtype=np.int64), lengths)  # an empty build has no rows
    attributes = Attributes.concat([p.attributes for p in goals], lengths)
    if attributes is None:
        attributes = Attributes({}, None, n_rows=int(sum(lengths)))
    attributes = attributes.with_column(CONVERSION_TYPE, pd.Categorical.from_codes(goal_codes, categories=labels))
    users = [p.users for p in goals if p.users is not None]
    times = [p.times for p in goals if p.times is not None]
    return Parts(
        np.concatenate([p.codes for p in goals]) if goals else np.zeros(0, np.int32),
        ragged.offsets_from_lengths(
            np.concatenate([np.diff(p.offsets) for p in goals]) if goals else np.zeros(0, np.int64)
        ),
        channels,
        np.concatenate([p.conversions for p in goals]) if goals else np.zeros(0),
        np.concatenate([p.nulls for p in goals]) if goals else np.zeros(0),
        np.concatenate([p.value for p in goals]) if goals else np.zeros(0),
        np.concatenate(times) if len(times) == len(goals) else None,
        users[0].append(users[1:]) if len(users) == len(goals) else None,
        attributes,
        np.concatenate([p.fine_codes for p in goals if p.fine_codes is not None])
        if goals[0].fine_codes is not None
        else None,
        goals[0].levels,  # every goal is cut from the same events: one hierarchy
    )


# ---------------------------------------------------------------------- reading columns
def read_events(events: pd.DataFrame, spec: EventSpec) -> Events:
    """The checked columns of a pandas event log, as the kernel's arrays (in input order)."""
    index = events.index
    user = events[spec.user]
    if user.isna().any():
        raise rule("user_not_null").rows(spec, user.isna().to_numpy(), index=index)
    if events[spec.time].isna().any():
        raise rule("time_not_null").rows(spec, events[spec.time].isna().to_numpy(), index=index)
    user_codes, user_labels = _factorize_column(user)
    converted = conversion_flags(events[spec.conversion], spec.conversion, index)
    channel_codes, channels = _channels(events[spec.channel], spec, converted, index)
    values = np.zeros(len(events))
    if spec.value is not None:
        values = _values(events[spec.value], spec, converted, index)
    tiebreak_codes = None
    if spec.tiebreak is not None:
        tiebreak = events[spec.tiebreak]
        if tiebreak.isna().any():
            raise bad_rows(
                f"column {spec.tiebreak!r}",
                "must not be null",
                tiebreak.isna().to_numpy(),
                index=index,
                fix="drop those events or fill in the missing values.",
            )
        tiebreak_codes, _ = _factorize_column(tiebreak)
    attribute_codes: dict[str, IntArray] = {}
    attribute_labels: dict[str, pd.Index] = {}
    for name in spec.segments:
        # as objects: Arrow strings (dask, pandas 3) and plain strings give the same labels
        codes, labels = pd.factorize(events[name].astype(object), sort=True)
        attribute_codes[name] = np.asarray(codes, dtype=np.int64)
        attribute_labels[name] = pd.Index(labels, dtype=object)
    fine_channel, levels = None, None
    if spec.levels:
        fine_channel, levels = read_levels(
            channels, channel_codes, [(name, events[name]) for name in spec.levels], str(spec.channel)
        )
    times, zone = read_times(
        events[spec.time], spec.time, index, time_format=spec.time_format, time_unit=spec.time_unit
    )
    return Events(
        user_codes,
        user_labels,
        times,
        converted,
        channel_codes,
        channels,
        values,
        tiebreak_codes,
        attribute_codes,
        attribute_labels,
        fine_channel,
        levels,
        zone,
    )


def _factorize_column(column: pd.Series) -> tuple[IntArray, pd.Index]:
    """Codes in sorted order of the distinct values (checked not null)."""
    try:
        codes, uniques = pd.factorize(column, sort=True)
    except TypeError:  # mixed types that do not compare: order by their text instead
        codes, uniques = pd.factorize(column, sort=False)
        order = np.argsort(np.asarray([f"{type(u).__name__}:{u}" for u in uniques]), kind="stable")
        rank = np.empty(len(order), dtype=np.int64)
        rank[order] = np.arange(len(order))
        codes, uniques = rank[codes], uniques.take(order)
    return codes.astype(np.int64), pd.Index(uniques)


def conversion_flags(column: pd.Series, name: Hashable, index: pd.Index) -> BoolArray:
    """The conversion flags of ``column`` as booleans; the one check of every conversion column.

    Accepts booleans, and 0/1 (as numbers, or mixed with booleans in an object column);
    anything else (``"no"``, NaN, 2) raises a :class:`JourneyError` naming the column,
    the first bad row and the fix.
    """
    flag_rule = rule("flag_boolean")
    spec = EventSpec(user="-", time="-", channel="-", conversion=name)  # names the column in the message
    null = column.isna().to_numpy()
    if null.any():
        raise bad_rows(f"column {name!r}", "must not be null", null, index=index, fix=flag_rule.fix_for(spec))
    if pd.api.types.is_bool_dtype(column.dtype):
        return column.to_numpy(dtype=bool)
    if pd.api.types.is_numeric_dtype(column.dtype):
        raw = column.to_numpy(dtype=np.float64)
        bad = (raw != 0) & (raw != 1)
        if bad.any():
            raise flag_rule.rows(spec, bad, index=index, values=column.to_numpy())
        flags: BoolArray = raw == 1
        return flags
    raw_objects = column.to_numpy(dtype=object)
    # an object column may mix booleans with the numbers 0 and 1 (not 0.5, not "no")
    bad = np.fromiter((not _is_flag(v) for v in raw_objects), dtype=bool, count=len(raw_objects))
    if bad.any():
        raise flag_rule.rows(spec, bad, index=index, values=raw_objects)
    return np.fromiter((bool(v) for v in raw_objects), dtype=bool, count=len(raw_objects))


def _is_flag(value: Any) -> bool:
    if isinstance(value, (bool, np.bool_)):
        return True
    return isinstance(value, (int, float, np.integer, np.floating)) and (value == 0 or value == 1)


def _channels(
    column: pd.Series, spec: EventSpec, converted: BoolArray, index: pd.Index
) -> tuple[npt.NDArray[np.int32], list[str]]:
    codes, uniques = pd.factorize(column, sort=False)
    touch_missing = (codes < 0) & ~converted
    if touch_missing.any():
        raise rule("touch_has_channel").rows(spec, touch_missing, index=index)
    labels = [_label_text(u) for u in uniques]
    empty_unique = np.array([not label.strip() for label in labels], dtype=bool)
    if empty_unique.any():
        empty = (codes >= 0) & empty_unique[np.maximum(codes, 0)]
        raise rule("label_not_empty").rows(spec, empty, index=index, values=column.to_numpy())
    remap, distinct = encode_labels(labels)
    remap = np.append(remap, np.int32(-1))  # last entry: code -1 stays -1
    return remap[codes], distinct


def _label_text(value: Any) -> str:
    """A channel label as text; whole floats (numeric ids read next to nulls) lose their '.0'."""
    if isinstance(value, str):
        return value
    if isinstance(value, (float, np.floating)) and float(value).is_integer():
        return str(int(value))
    return str(value)


def _values(column: pd.Series, spec: EventSpec, converted: BoolArray, index: pd.Index) -> npt.NDArray[np.float64]:
    present = column.notna().to_numpy()
    given = column
    if not pd.api.types.is_numeric_dtype(column.dtype) or pd.api.types.is_bool_dtype(column.dtype):
        column = pd.to_numeric(column, errors="coerce")
    raw = column.to_numpy(dtype=np.float64, na_value=np.nan)
    columns = Columns(
        user=None, time=None, conversion=None, converting=converted, channel=None, value=raw, value_raw=present
    )
    for key in ("value_numeric", "value_only_on_conversions", "value_on_every_conversion"):
        check = rule(key)
        assert check.pandas is not None
        bad = check.pandas(columns)
        if bad.any():
            shown = given.to_numpy(dtype=object) if key == "value_numeric" else raw  # as given, on failure only
            raise check.rows(spec, bad, index=index, values=shown)
    conversion_values = np.where(converted, raw, 0.0)
    check_non_negative_finite(conversion_values, f"column {spec.value!r}", index=index)
    return conversion_values
