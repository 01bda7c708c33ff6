"""Transforms of :class:`Journeys`: each returns a new object and never copies more than it must."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import numpy.typing as npt
import pandas as pd

from attribution import _checks
from attribution.errors import JourneyError, ParameterError
from attribution.journeys import ragged
from attribution.journeys._messages import bad_argument
from attribution.journeys._parts import Parts
from attribution.journeys.attributes import Attributes
from attribution.journeys.levels import ChannelLevels

if TYPE_CHECKING:
    from attribution.journeys._core import Journeys

__all__ = [
    "aggregate",
    "aggregate_with_first_rows",
    "collapse_repeats",
    "stack",
    "filter_rows",
    "first_occurrences",
    "last_touches",
    "map_channels",
    "select_rows",
    "sort_rows",
]


def keep_touches(journeys: Journeys, keep: npt.NDArray[np.bool_]) -> Journeys:
    """Drop the touches where ``keep`` is false; rows and their counts stay."""
    times = None if journeys.times is None else journeys.times[keep]
    return type(journeys)._trusted(
        journeys.codes[keep],
        ragged.offsets_after_mask(journeys.offsets, keep),
        journeys.channels,
        journeys.conversions,
        journeys.nulls,
        journeys.value,
        times,
        journeys.users,
        journeys.attribute_set(),
        None if journeys.fine_codes() is None else journeys.fine_codes()[keep],  # type: ignore[index]
        journeys.channel_levels(),
    )


def aggregate(journeys: Journeys, time_buckets: Any = None) -> Journeys:
    """Merge identical paths with identical attributes, summing counts and value; rows in order of first appearance.

    Per-touch times, users and end times are dropped (merged journeys no longer share them),
    unless ``time_buckets`` (a duration) is given: then every touch's time is rounded to the
    nearest multiple of it, paths are equal only when their rounded times are equal too, and
    the rounded times are kept.
    """
    return aggregate_with_first_rows(journeys, time_buckets)[0]


def aggregate_with_first_rows(journeys: Journeys, time_buckets: Any = None) -> tuple[Journeys, npt.NDArray[np.int64]]:
    """:func:`aggregate`, and the row of ``journeys`` each aggregated row first appeared at."""
    fine = journeys.fine_codes()
    # with channel levels, paths are told apart at the finest level (the coarse path follows from it)
    ids, n_unique = ragged.path_ids(journeys.codes if fine is None else fine, journeys.offsets)
    keys = [ids]
    rounded = None
    if time_buckets is not None:
        rounded = rounded_times(journeys, time_buckets)
        _, bucket_codes = np.unique(rounded, return_inverse=True)
        time_ids, _ = ragged.path_ids(bucket_codes.reshape(-1).astype(np.int32), journeys.offsets)
        keys.append(time_ids)
    attributes = journeys.attribute_set()
    if attributes is not None and attributes.names:  # a group is a path and a value of every attribute
        keys += [attributes.codes(name) for name in attributes.names]
    if len(keys) > 1:
        _, ids = np.unique(np.column_stack(keys), axis=0, return_inverse=True)
        ids = ids.reshape(-1).astype(np.int64)
        n_unique = int(ids.max(initial=-1)) + 1
    first_row = np.full(n_unique, journeys.n_rows, dtype=np.int64)
    np.minimum.at(first_row, ids, np.arange(journeys.n_rows, dtype=np.int64))
    order = np.argsort(first_row, kind="stable")  # group ids ranked by first appearance
    rank = np.empty(n_unique, dtype=np.int64)
    rank[order] = np.arange(n_unique, dtype=np.int64)
    group = rank[ids]
    conversions, nulls, value = (
        np.bincount(group, weights=w, minlength=n_unique)
        for w in (journeys.conversions, journeys.nulls, journeys.value)
    )
    codes, offsets = ragged.take_rows(journeys.codes, journeys.offsets, first_row[order])
    kept = None
    if attributes is not None and attributes.names:
        kept = attributes.without_ended_at().take(first_row[order])
    kept_fine = None if fine is None else ragged.take_rows(fine, journeys.offsets, first_row[order])[0]
    times = None if rounded is None else ragged.take_rows(rounded, journeys.offsets, first_row[order])[0]
    aggregated = type(journeys)._trusted(
        codes,
        offsets,
        journeys.channels,
        conversions,
        nulls,
        value,
        times,
        attributes=kept,
        fine_codes=kept_fine,
        levels=journeys.channel_levels(),
    )
    return aggregated, first_row[order]


def rounded_times(journeys: Journeys, time_buckets: Any) -> npt.NDArray[np.float64]:
    """Every touch's time (seconds before its journey's end) rounded to the nearest multiple of
    ``time_buckets`` (a duration: ``"1h"``, a timedelta, or a number of days), halves up."""
    from attribution._durations import parse_duration

    step = parse_duration(time_buckets, "time_buckets", error=ParameterError).total_seconds()
    if journeys.times is None:
        raise JourneyError(
            "argument 'time_buckets' rounds touch times, and these journeys have none (an aggregated path table "
            "carries no times). Fix: build them with Journeys.from_events, or drop time_buckets."
        )
    return bucket_times(journeys.times, step)


def bucket_times(times: npt.NDArray[np.float64], step: float) -> npt.NDArray[np.float64]:
    """``times`` (seconds) to the nearest multiple of ``step`` seconds, halves up: ``floor(t / step + 0.5) * step``,
    the same floating-point operations an engine's SQL does, so every engine rounds alike."""
    result: npt.NDArray[np.float64] = np.floor(times / step + 0.5) * step
    return result


def collapse_repeats(journeys: Journeys) -> Journeys:
    """Merge consecutive touches of one channel; a run keeps its most recent touch."""
    return keep_touches(journeys, ragged.last_of_runs(journeys.codes, journeys.offsets))


def first_occurrences(journeys: Journeys) -> Journeys:
    """Keep each channel's first touch in every path."""
    return keep_touches(journeys, ragged.first_in_row(journeys.codes, journeys.offsets, len(journeys.channels)))


def last_touches(journeys: Journeys, k: int) -> Journeys:
    """Keep the ``k`` most recent touches of each path."""
    k = _checks.integer(
        k,
        "k",
        owner="last_touches",
        error=JourneyError,
        kind="argument",
        fix="pass the number of touches to keep, e.g. 4.",
    )
    from_end = np.repeat(journeys.offsets[1:], journeys.lengths) - np.arange(journeys.n_touches)
    return keep_touches(journeys, from_end <= k)


def map_channels(
    journeys: Journeys,
    mapping: Mapping[str, str] | Callable[[str], str],
    *,
    unmapped: Literal["error", "keep", "other"] = "error",
    other: str = "Other",
) -> Journeys:
    """Relabel channels through ``mapping``; see :meth:`Journeys.map_channels`."""
    if unmapped not in ("error", "keep", "other"):
        raise bad_argument(
            "unmapped", "must be 'error', 'keep' or 'other'", unmapped, "say what to do with labels the mapping lacks."
        )
    new_labels: list[str] = []
    missing: list[str] = []
    for label in journeys.channels:
        if callable(mapping):
            target: Any = mapping(label)
        elif label in mapping:
            target = mapping[label]
        else:
            missing.append(label)
            target = label if unmapped == "keep" else other
        if not isinstance(target, str) or not target.strip():
            raise JourneyError(
                f"mapping sends channel {label!r} to {target!r}; a channel label must be a non-empty string. "
                "Fix: map every channel to a group name."
            )
        new_labels.append(target)
    if missing and unmapped == "error":
        raise JourneyError(
            f"mapping has no entry for {len(missing)} channel(s), first {missing[0]!r} "
            f"(all: {', '.join(map(repr, missing[:10]))}{', ...' if len(missing) > 10 else ''}). "
            "Fix: add them to the mapping, or pass unmapped='keep' or unmapped='other'."
        )
    groups = sorted(set(new_labels))
    position = {label: i for i, label in enumerate(groups)}
    remap = np.array([position[label] for label in new_labels], dtype=np.int32)
    return type(journeys)._trusted(
        remap[journeys.codes],
        journeys.offsets,
        groups,
        journeys.conversions,
        journeys.nulls,
        journeys.value,
        journeys.times,
        journeys.users,
        journeys.attribute_set(),
    )


def select_rows(journeys: Journeys, rows: Any) -> Journeys:
    """Rows by position, slice, boolean mask or integer array (a slice shares memory)."""
    n = journeys.n_rows
    if isinstance(rows, (int, np.integer)) and not isinstance(rows, bool):
        position = int(rows)
        if not -n <= position < n:
            raise IndexError(f"row {position} is out of range for {n} rows")
        position %= n
        rows = slice(position, position + 1)
    if isinstance(rows, slice) and rows.step in (None, 1):
        start, stop, _ = rows.indices(n)
        stop = max(start, stop)
        a, b = int(journeys.offsets[start]), int(journeys.offsets[stop])
        sliced_times = None if journeys.times is None else journeys.times[a:b]
        sliced_users = None if journeys.users is None else journeys.users[start:stop]
        attributes = journeys.attribute_set()
        sliced_attributes = None if attributes is None else attributes.take(np.arange(start, stop, dtype=np.int64))
        fine = journeys.fine_codes()
        return type(journeys)._trusted(
            journeys.codes[a:b],
            journeys.offsets[start : stop + 1] - a,
            journeys.channels,
            journeys.conversions[start:stop],
            journeys.nulls[start:stop],
            journeys.value[start:stop],
            sliced_times,
            sliced_users,
            sliced_attributes,
            None if fine is None else fine[a:b],
            journeys.channel_levels(),
        )
    index = np.arange(n)[rows] if isinstance(rows, slice) else np.asarray(rows)
    if index.dtype == bool:
        if index.shape != (n,):
            raise JourneyError(
                f"a boolean row mask needs one entry per row ({n}); got shape {index.shape}. "
                "Fix: build the mask from this Journeys' arrays."
            )
        index = np.flatnonzero(index)
    elif index.size and not np.issubdtype(index.dtype, np.integer):
        raise JourneyError(
            f"rows must be selected by integers or a boolean mask; got dtype {index.dtype}. "
            "Fix: pass row positions or a mask."
        )
    index = index.astype(np.int64)
    if index.size and (index.min() < -n or index.max() >= n):
        raise IndexError(f"row positions must lie in [-{n}, {n}); got range [{index.min()}, {index.max()}]")
    index %= max(n, 1)
    codes, offsets = ragged.take_rows(journeys.codes, journeys.offsets, index)
    times: npt.NDArray[Any] | None = None
    if journeys.times is not None:
        times, _ = ragged.take_rows(journeys.times, journeys.offsets, index)
    users = None if journeys.users is None else journeys.users[index]
    attributes = journeys.attribute_set()
    fine = journeys.fine_codes()
    taken_fine = None if fine is None else ragged.take_rows(fine, journeys.offsets, index)[0]
    return type(journeys)._trusted(
        codes,
        offsets,
        journeys.channels,
        journeys.conversions[index],
        journeys.nulls[index],
        journeys.value[index],
        times,
        users,
        None if attributes is None else attributes.take(index),
        taken_fine,
        journeys.channel_levels(),
    )


def filter_rows(
    journeys: Journeys,
    mask: npt.ArrayLike | None = None,
    *,
    converting: bool | None = None,
    min_length: int | None = None,
    max_length: int | None = None,
    contains: str | Iterable[str] | None = None,
    attributes: Mapping[str, Any] | None = None,
) -> Journeys:
    """Keep rows passing every given criterion; see :meth:`Journeys.filter`."""
    keep = np.ones(journeys.n_rows, dtype=bool)
    for name, wanted in (attributes or {}).items():
        keep &= _attribute_matches(journeys, name, wanted)
    if mask is not None:
        given = np.asarray(mask)
        if given.dtype != bool or given.shape != (journeys.n_rows,):
            raise bad_argument(
                "mask",
                f"must be a boolean array with one entry per row ({journeys.n_rows})",
                f"dtype {given.dtype}, shape {given.shape}",
                "build the mask from this Journeys' arrays.",
            )
        keep &= given
    if converting is not None:
        keep &= (journeys.conversions > 0) == bool(converting)
    lengths = journeys.lengths
    if min_length is not None:
        keep &= lengths >= min_length
    if max_length is not None:
        keep &= lengths <= max_length
    if contains is not None:
        wanted = {contains} if isinstance(contains, str) else set(contains)
        unknown = sorted(wanted - set(journeys.channels))
        if unknown:
            raise bad_argument(
                "contains",
                "must name channels of these journeys",
                unknown[0],
                f"pick from {list(journeys.channels)[:12]}.",
            )
        hit = np.isin(journeys.codes, [journeys.channels.index(c) for c in wanted])
        rows = ragged.row_of_element(journeys.offsets)
        keep &= np.bincount(rows[hit], minlength=journeys.n_rows) > 0
    return select_rows(journeys, keep)


def _attribute_matches(journeys: Journeys, name: str, wanted: Any) -> npt.NDArray[np.bool_]:
    """Rows whose attribute ``name`` equals ``wanted`` (or any of them, given a list, tuple or set)."""
    stored = journeys.attribute_set()
    if stored is None or name not in stored.names:
        raise bad_argument(
            name,
            "must name an attribute of these journeys",
            name,
            f"filter on one of {list(journeys.attribute_names)}, or build the journeys with that attribute.",
        )
    values = list(wanted) if isinstance(wanted, (list, tuple, set, frozenset)) else [wanted]
    column = stored.column(name)
    return np.asarray(pd.Series(column).isin(values), dtype=bool)


def stack(items: list[Journeys]) -> Parts:
    """The arrays of journeys of disjoint users stacked (see :meth:`Journeys.concat`).

    ``items`` (at least two) is emptied: each part's arrays are released as they are
    stacked, so the peak is the parts plus one stacked array.
    """
    labels = sorted(set().union(*(p.channels for p in items)))
    position = {label: i for i, label in enumerate(labels)}
    with_times = all(p.has_times for p in items)
    with_users = all(p.users is not None for p in items)
    columns: dict[str, list[Any]] = {
        "codes": [np.array([position[c] for c in p.channels] or [0], dtype=np.int32)[p.codes] for p in items],
        "lengths": [p.lengths for p in items],
        "conversions": [p.conversions for p in items],
        "nulls": [p.nulls for p in items],
        "value": [p.value for p in items],
        "times": [p.times for p in items] if with_times else [],
        "users": [p.users for p in items] if with_users else [],
    }
    attributes = Attributes.concat([p.attribute_set() for p in items], [p.n_rows for p in items])
    fine, levels = _stacked_levels(items)
    items.clear()  # from here on each part lives only in the column lists, freed as they are stacked
    stacked: dict[str, Any] = {}
    for name, pieces in columns.items():
        if name == "users":
            stacked[name] = _disjoint_users(pieces) if pieces else None
        else:
            stacked[name] = np.concatenate(pieces) if pieces else None
        pieces.clear()
    return Parts(
        stacked["codes"],
        ragged.offsets_from_lengths(stacked["lengths"]),
        labels,
        stacked["conversions"],
        stacked["nulls"],
        stacked["value"],
        stacked["times"],
        stacked["users"],
        attributes,
        fine,
        levels,
    )


def _stacked_levels(items: list[Journeys]) -> tuple[npt.NDArray[Any] | None, ChannelLevels | None]:
    """The parts' fine codes over one hierarchy (levels are kept only if every part has them)."""
    hierarchies = [p.channel_levels() for p in items]
    fines = [p.fine_codes() for p in items]
    if any(h is None for h in hierarchies) or any(f is None for f in fines):
        return None, None
    merged = hierarchies[0]
    assert merged is not None
    for other in hierarchies[1:]:
        merged, _, _ = merged.union(other)  # type: ignore[arg-type]
    position = {label: i for i, label in enumerate(merged.fine)}
    pieces = [
        np.array([position[label] for label in h.fine] or [0], dtype=np.int32)[f]  # type: ignore[union-attr]
        for h, f in zip(hierarchies, fines, strict=True)
    ]
    levels = merged.at(items[0].level or merged.names[0])
    return np.concatenate(pieces), levels


def _disjoint_users(pieces: list[pd.Index]) -> pd.Index:
    """The parts' users stacked, after checking no user is in two parts.

    Parts in ascending, non-overlapping user ranges (what engines produce) are checked in
    one comparison per part; others by one factorisation of all users.
    """
    users = pieces[0].append(pieces[1:])
    try:
        ranges_ordered = all(p.is_monotonic_increasing for p in pieces) and all(
            a[-1] < b[0] for a, b in itertools.pairwise(p for p in pieces if len(p))
        )
    except TypeError:  # users of types that do not compare
        ranges_ordered = False
    if ranges_ordered:
        return users
    user_codes = pd.factorize(users)[0].astype(np.int64)
    owner = np.repeat(np.arange(len(pieces), dtype=np.int64), [len(p) for p in pieces])
    user_of_pair = np.unique(user_codes * len(pieces) + owner) // len(pieces)
    shared = user_of_pair[1:][user_of_pair[1:] == user_of_pair[:-1]]
    if shared.size:
        first = users[int(np.flatnonzero(user_codes == shared[0])[0])]
        raise JourneyError(
            f"concat takes journeys of disjoint users, but user {first!r} appears in more than one part. "
            "Fix: build each user's journeys in one part (split events by user, not by time)."
        )
    return users


def sort_rows(journeys: Journeys) -> Journeys:
    """Rows in a canonical order (path, then counts): for order-insensitive comparison."""
    ids, _ = ragged.path_ids(journeys.codes, journeys.offsets)
    # rank paths lexicographically by their label sequences so the order is label-defined
    paths = journeys.paths()
    first_of_id: dict[int, tuple[str, ...]] = {}
    for i, p in zip(ids.tolist(), paths, strict=True):
        first_of_id.setdefault(i, p)
    lexical = {i: r for r, i in enumerate(sorted(first_of_id, key=lambda i: first_of_id[i]))}
    path_rank = np.array([lexical[i] for i in ids.tolist()], dtype=np.int64)
    keys = [journeys.value, journeys.nulls, journeys.conversions, path_rank]
    if journeys.users is not None:
        keys.append(pd.factorize(journeys.users, sort=True)[0])
    stored = journeys.attribute_set()
    if stored is not None:
        keys.extend(pd.factorize(pd.Series(stored.column(n)).astype(object), sort=True)[0] for n in stored.names)
        if stored.ended_at is not None:
            keys.append(stored.ended_at)
    return select_rows(journeys, np.lexsort(keys))
