"""Builders from path tables (``"a > b > c"`` strings or lists) and from Python sequences."""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from attribution.errors import JourneyError
from attribution.journeys import ragged
from attribution.journeys._messages import bad_argument, bad_rows
from attribution.journeys._parts import Parts
from attribution.journeys._validate import as_float_array, check_outcomes, check_times
from attribution.journeys.attributes import Attributes, attribute_columns
from attribution.journeys.from_events import require_columns
from attribution.journeys.rules import encode_labels

__all__ = ["read_path_attributes", "read_path_table", "read_sequences"]

_ROW_MARK = "\x1e"  # ASCII record separator: splits rows inside one joined string


def read_path_table(
    table: pd.DataFrame,
    *,
    path: str,
    conversions: str,
    nulls: str | None = None,
    value: str | None = None,
    sep: str = ">",
) -> Parts:
    """The arrays of :meth:`Journeys.from_paths` (see there)."""
    if not isinstance(sep, str) or not sep:
        raise bad_argument("sep", "must be a non-empty string", sep, "pass the separator of your paths, e.g. '>'.")
    require_columns(table, {"path": path, "conversions": conversions, "nulls": nulls, "value": value})
    column = table[path]
    if isinstance(column.dtype, pd.CategoricalDtype):  # the paths themselves, not their category codes
        column = column.astype(object)
    index = table.index
    null_path = column.isna().to_numpy()
    if null_path.any():
        raise bad_rows(
            f"column {path!r}",
            "must not be null",
            null_path,
            index=index,
            fix="use '' (an empty path) for conversions without a tracked touch, or drop the rows.",
        )
    if pd.api.types.infer_dtype(column, skipna=False) in ("string", "empty"):
        codes, offsets, channels = _parse_strings(column, sep, subject=f"column {path!r}", index=index)
    else:
        raw = column.tolist()
        is_text = np.fromiter((isinstance(p, str) for p in raw), dtype=bool, count=len(raw))
        if is_text.any():
            raise bad_rows(
                f"column {path!r}",
                "must hold only strings or only lists",
                is_text if not is_text[0] else ~is_text,
                index=index,
                values=raw,
                fix="convert every path to the same form.",
            )
        codes, offsets, channels = _encode_sequences(raw, subject=f"column {path!r}", index=index)
    n = len(table)
    conv = as_float_array(table[conversions], f"column {conversions!r}", n, index=index)
    nul = np.zeros(n) if nulls is None else as_float_array(table[nulls], f"column {nulls!r}", n, index=index)
    val = np.zeros(n) if value is None else as_float_array(table[value], f"column {value!r}", n, index=index)
    check_outcomes(
        conv, nul, val, index=index, names=(f"column {conversions!r}", f"column {nulls!r}", f"column {value!r}")
    )
    return Parts(codes, offsets, channels, conv, nul, val)


def read_path_attributes(
    table: pd.DataFrame,
    *,
    segments: str | Sequence[str] | None,
    conversion_type: str | None,
    ended_at: str | None,
) -> Attributes | None:
    """The journey attributes of a path table's rows (``None`` when no column is named)."""
    names = attribute_columns(segments, conversion_type)
    if not names and ended_at is None:
        return None
    require_columns(table, {**{f"segments[{i}]": c for i, c in enumerate(names)}, "ended_at": ended_at})
    columns = {str(name): table[column] for name, column in names.items()}
    if conversion_type is not None:
        missing = table[conversion_type].isna().to_numpy()
        if missing.any():
            raise bad_rows(
                f"column {conversion_type!r}",
                "must name every row's goal (conversion type)",
                missing,
                index=table.index,
                fix="fill in the type, or drop the rows.",
            )
    ends = None
    if ended_at is not None:
        raw = table[ended_at]
        if not pd.api.types.is_datetime64_any_dtype(raw):
            raise JourneyError(
                f"column {ended_at!r} (ended_at) must hold datetimes; got dtype {raw.dtype}. "
                f"Fix: convert it first, e.g. table[{ended_at!r}] = pd.to_datetime(table[{ended_at!r}], format='ISO8601')."
            )
        ends = raw  # time-zone-aware ends keep their zone (periods are counted in it)
    return Attributes(columns, ends, n_rows=len(table))


def _parse_strings(
    column: pd.Series, sep: str, *, subject: str, index: Any
) -> tuple[npt.NDArray[np.int32], npt.NDArray[np.int64], list[str]]:
    """Split path strings into label codes without a Python loop per path.

    Tokens are split and dictionary-encoded in C (pyarrow when installed, else one
    joined ``str.split`` and ``pandas.factorize``); only the distinct tokens are then
    stripped and sorted in Python, so both routes give identical results.
    """
    n = len(column)
    if n == 0:
        return np.zeros(0, np.int32), np.zeros(1, np.int64), []
    try:
        token_ids, uniques, tokens_per_row = _split_with_arrow(column, sep)
    except ImportError:
        token_ids, uniques, tokens_per_row = _split_with_python(column.tolist(), sep, subject)
    stripped = [str(u).strip() for u in uniques]
    labels_sorted = sorted({label for label in stripped if label})
    position = {label: i for i, label in enumerate(labels_sorted)}
    unique_code = np.array([position.get(label, -1) for label in stripped], dtype=np.int32)  # -1: empty label
    codes = unique_code[token_ids]
    row = np.repeat(np.arange(n, dtype=np.int64), tokens_per_row)
    empty = codes < 0
    # a path that is a single empty token ("" or "  ") is an empty path, not an empty label
    empty_path = empty & (tokens_per_row[row] == 1)
    bad = empty & ~empty_path
    if bad.any():
        bad_row = np.zeros(n, dtype=bool)
        bad_row[row[bad]] = True
        raise bad_rows(
            subject,
            f"must not hold empty channel labels between separators {sep!r}",
            bad_row,
            index=index,
            values=column.to_numpy(dtype=object),
            fix="remove doubled or trailing separators, or name the missing channel.",
        )
    keep = ~empty_path
    return codes[keep], ragged.offsets_from_lengths(np.bincount(row[keep], minlength=n)), labels_sorted


def _split_with_arrow(column: pd.Series, sep: str) -> tuple[npt.NDArray[np.int64], list[Any], npt.NDArray[np.int64]]:
    """Token ids, distinct raw tokens and tokens per row, computed by pyarrow (optional)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    array = pa.array(column, type=pa.large_string(), from_pandas=True)
    if isinstance(array, pa.ChunkedArray):
        array = array.combine_chunks()
    lists = pc.split_pattern(array, pattern=sep)
    offsets = np.asarray(lists.offsets, dtype=np.int64)
    tokens_per_row: npt.NDArray[np.int64] = offsets[1:] - offsets[:-1]
    encoded = pc.dictionary_encode(lists.flatten())
    return np.asarray(encoded.indices, dtype=np.int64), encoded.dictionary.to_pylist(), tokens_per_row


def _split_with_python(
    raw: list[str], sep: str, subject: str
) -> tuple[npt.NDArray[np.int64], list[Any], npt.NDArray[np.int64]]:
    """The same as :func:`_split_with_arrow` with one C-level ``str.split`` of all paths joined."""
    n = len(raw)
    joined = (sep + _ROW_MARK + sep).join(raw)
    if _ROW_MARK in sep or joined.count(_ROW_MARK) != n - 1:
        raise JourneyError(
            f"{subject} contains the control character \\x1e, which cannot be a channel label. "
            "Fix: remove it from the paths."
        )
    token_ids, uniques = pd.factorize(np.asarray(joined.split(sep), dtype=object))
    unique_list = list(uniques)
    mark_id = unique_list.index(_ROW_MARK) if n > 1 else -1
    is_mark = token_ids == mark_id
    row = np.cumsum(is_mark)
    tokens_per_row = np.bincount(row[~is_mark], minlength=n).astype(np.int64)
    return token_ids[~is_mark].astype(np.int64), unique_list, tokens_per_row


def _encode_sequences(
    raw: Sequence[Any], *, subject: str, index: Any = None
) -> tuple[npt.NDArray[np.int32], npt.NDArray[np.int64], list[str]]:
    """Flatten sequences of labels and encode them; labels must be non-empty strings once stripped."""
    not_sequence = np.fromiter(
        (isinstance(p, (str, bytes)) or not hasattr(p, "__len__") for p in raw), dtype=bool, count=len(raw)
    )
    if not_sequence.any():
        raise bad_rows(
            subject,
            "must hold a sequence of channel labels per path",
            not_sequence,
            index=index,
            values=list(raw),
            unit="path",
            fix="pass each path as a list of labels, e.g. ['Email', 'Direct'].",
        )
    row_lengths = np.fromiter(map(len, raw), dtype=np.int64, count=len(raw))
    flat = np.empty(int(row_lengths.sum()), dtype=object)
    flat[:] = list(itertools.chain.from_iterable(raw))
    offsets = ragged.offsets_from_lengths(row_lengths)
    if len(flat) == 0:
        return np.zeros(0, np.int32), offsets, []
    codes, uniques = pd.factorize(flat, sort=False, use_na_sentinel=True)
    unique_labels = list(uniques)
    bad_unique = np.array([not isinstance(u, str) or not u.strip() for u in unique_labels], dtype=bool)
    bad_touch = codes < 0  # missing labels (None, NaN, NA)
    if len(unique_labels):
        bad_touch |= bad_unique[np.maximum(codes, 0)] & (codes >= 0)
    if bad_touch.any():
        rows = ragged.row_of_element(offsets)
        bad_row = np.zeros(len(raw), dtype=bool)
        bad_row[rows[bad_touch]] = True
        raise bad_rows(
            subject,
            "must hold non-empty string channel labels",
            bad_row,
            index=index,
            values=list(raw),
            unit="path",
            fix="give every touch a channel name, or drop the touch.",
        )
    remap, labels = encode_labels(unique_labels)
    return remap[codes], offsets, labels


def read_sequences(
    paths: Iterable[Sequence[str]],
    *,
    conversions: npt.ArrayLike,
    nulls: npt.ArrayLike | None = None,
    value: npt.ArrayLike | None = None,
    times: Iterable[Sequence[float]] | None = None,
) -> Parts:
    """The arrays of :meth:`Journeys.from_sequences` (see there)."""
    rows = list(paths)
    codes, offsets, channels = _encode_sequences(rows, subject="paths")
    n = len(rows)
    conv = as_float_array(conversions, "conversions", n)
    nul = np.zeros(n) if nulls is None else as_float_array(nulls, "nulls", n)
    val = np.zeros(n) if value is None else as_float_array(value, "value", n)
    check_outcomes(conv, nul, val)
    time_array = None
    if times is not None:
        time_rows = list(times)
        time_lengths = [len(t) for t in time_rows]
        if len(time_rows) != n or time_lengths != np.diff(offsets).tolist():
            raise JourneyError(
                "times must give one time per touch, shaped like paths. "
                "Fix: pass one sequence of seconds-before-conversion for every path."
            )
        flat = list(itertools.chain.from_iterable(time_rows))
        if any(isinstance(t, pd.Timedelta) for t in flat):
            flat = [t.total_seconds() if isinstance(t, pd.Timedelta) else t for t in flat]
        time_array = as_float_array(flat, "times", len(codes))
        check_times(time_array, offsets)
    return Parts(codes, offsets, channels, conv, nul, val, time_array)
