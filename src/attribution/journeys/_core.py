"""The :class:`Journeys` structure: immutable path rows stored flat (CSR) for vectorised models."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import numpy.typing as npt
import pandas as pd

from attribution.errors import JourneyError
from attribution.journeys import ragged
from attribution.journeys._validate import (
    as_float_array,
    check_channels,
    check_outcomes,
    check_times,
    check_totals,
)
from attribution.journeys.attributes import CONVERSION_TYPE, Attributes
from attribution.journeys.levels import ChannelLevels

if TYPE_CHECKING:
    from attribution.journeys._parts import Parts
    from attribution.journeys.summary import JourneysSummary

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
CodeArray = npt.NDArray[np.int32]

__all__ = ["Journeys"]


def _frozen(array: npt.NDArray[Any]) -> npt.NDArray[Any]:
    array.setflags(write=False)
    return array


class Journeys:
    """An immutable set of customer-journey paths with outcome counts.

    Each row is a path (an ordered sequence of channel touches) with the number of
    journeys on it that converted (``conversions``), that did not (``nulls``) and the
    total conversion ``value``. One raw journey is a row with ``conversions`` 1 or 0;
    an aggregated table has one row per distinct path and larger counts. Storage is
    flat: the channel codes of all touches in one int32 array with int64 row
    ``offsets`` (CSR layout), labels in the sorted ``channels`` table.

    Build one with :meth:`from_events`, :meth:`from_paths` or :meth:`from_sequences`;
    the constructor takes the flat arrays directly and validates them.

    Parameters
    ----------
    codes
        Channel code of every touch, row after row; ``channels[code]`` is the label.
    offsets
        Row boundaries: row ``i`` holds ``codes[offsets[i]:offsets[i + 1]]``.
        Length ``n_rows + 1``, starting at 0 and ending at ``len(codes)``.
    channels
        Distinct, non-empty channel labels, stripped of surrounding whitespace (as every
        builder does). They are re-sorted and unused ones dropped.
    conversions, nulls, value
        Per row: converting journeys, non-converting journeys, total conversion value.
        Finite and non-negative; a value needs conversions. ``nulls`` and ``value``
        default to zeros.
    times
        Optional per touch: seconds between the touch and the journey's end (its
        conversion, or for a non-converting journey its last touch).
    users
        Optional per row: the user the journey belongs to (kept by :meth:`from_events`).

    copy
        Copy every array (default): the journeys never share memory with the caller's
        data, and the caller's arrays are left writeable and unchanged. ``False`` is for
        builders that hand over arrays they own and will not touch again (engines): the
        arrays are then used as they are and made read-only.

    Examples
    --------
    >>> j = Journeys.from_sequences([["A", "B", "C"], ["A", "C"], ["B"]],
    ...                             conversions=[2, 1, 0], nulls=[0, 1, 2])
    >>> j.n_rows, j.total_conversions, j.channels
    (3, 3.0, ('A', 'B', 'C'))
    >>> j.paths()
    [('A', 'B', 'C'), ('A', 'C'), ('B',)]
    """

    __slots__ = (
        "_attributes",
        "_channels",
        "_codes",
        "_conversions",
        "_fine_codes",
        "_levels",
        "_nulls",
        "_offsets",
        "_times",
        "_touch_rows",
        "_users",
        "_value",
        "_value_per_conversion",
    )

    _codes: CodeArray
    _offsets: IntArray
    _channels: tuple[str, ...]
    _conversions: FloatArray
    _nulls: FloatArray
    _value: FloatArray
    _times: FloatArray | None
    _users: pd.Index | None
    _attributes: Attributes | None
    _fine_codes: CodeArray | None
    _levels: ChannelLevels | None

    def __init__(
        self,
        codes: npt.ArrayLike,
        offsets: npt.ArrayLike,
        channels: Sequence[str],
        conversions: npt.ArrayLike,
        nulls: npt.ArrayLike | None = None,
        value: npt.ArrayLike | None = None,
        *,
        times: npt.ArrayLike | None = None,
        users: Sequence[Any] | pd.Index | None = None,
        attributes: Mapping[str, Any] | pd.DataFrame | Attributes | None = None,
        ended_at: npt.ArrayLike | None = None,
        fine_codes: npt.ArrayLike | None = None,
        levels: ChannelLevels | None = None,
        copy: bool = True,
    ) -> None:
        code_array = np.asarray(codes)
        offset_array = np.asarray(offsets)
        if code_array.ndim != 1 or (code_array.size and not np.issubdtype(code_array.dtype, np.integer)):
            raise JourneyError(
                f"codes must be a 1-D integer array; got dtype {code_array.dtype}, shape {code_array.shape}. "
                "Fix: pass one integer channel code per touch."
            )
        if (
            offset_array.ndim != 1
            or len(offset_array) < 1
            or (offset_array.size and not np.issubdtype(offset_array.dtype, np.integer))
        ):
            raise JourneyError(
                "offsets must be a 1-D integer array of length n_rows + 1. "
                "Fix: pass row boundaries starting at 0, e.g. [0, 3, 5]."
            )
        offset_array = offset_array.astype(np.int64, copy=copy)
        if offset_array[0] != 0 or offset_array[-1] != len(code_array) or np.any(np.diff(offset_array) < 0):
            raise JourneyError(
                f"offsets must start at 0, never decrease and end at len(codes) = {len(code_array)}; "
                f"got first {int(offset_array[0])}, last {int(offset_array[-1])}. Fix: rebuild offsets from row lengths."
            )
        labels = tuple(channels)
        check_channels(labels)
        labels = tuple(label.strip() for label in labels)  # every builder's label rule
        check_channels(labels, subject="channel labels (stripped of surrounding whitespace)")
        if code_array.size and (code_array.min() < 0 or code_array.max() >= len(labels)):
            raise JourneyError(
                f"codes must lie in [0, {len(labels)}) to index the {len(labels)} channel labels; "
                f"got range [{int(code_array.min())}, {int(code_array.max())}]. Fix: recode the touches."
            )
        n_rows = len(offset_array) - 1
        conv = as_float_array(conversions, "conversions", n_rows, copy=copy)
        nul = np.zeros(n_rows) if nulls is None else as_float_array(nulls, "nulls", n_rows, copy=copy)
        val = np.zeros(n_rows) if value is None else as_float_array(value, "value", n_rows, copy=copy)
        check_outcomes(conv, nul, val)
        time_array = None
        if times is not None:
            time_array = as_float_array(times, "times", len(code_array), copy=copy)
            check_times(time_array, offset_array)
        user_index = None
        if users is not None:
            user_index = pd.Index(users, copy=copy)  # never a view of the caller's array
            if len(user_index) != n_rows:
                raise JourneyError(
                    f"users must give one user per row: expected {n_rows}, got {len(user_index)}. "
                    "Fix: pass users aligned with the rows, or none."
                )
        attribute_set = _attributes_of(attributes, ended_at, n_rows)
        fine = _fine_codes_of(fine_codes, levels, len(code_array), copy=copy)
        self._set(
            code_array.astype(np.int32, copy=copy),
            offset_array,
            labels,
            conv,
            nul,
            val,
            time_array,
            user_index,
            attribute_set,
            fine,
            levels if fine is not None else None,
        )

    def _set(
        self,
        codes: CodeArray,
        offsets: IntArray,
        channels: tuple[str, ...],
        conversions: FloatArray,
        nulls: FloatArray,
        value: FloatArray,
        times: FloatArray | None,
        users: pd.Index | None,
        attributes: Attributes | None = None,
        fine_codes: CodeArray | None = None,
        levels: ChannelLevels | None = None,
    ) -> None:
        check_totals(conversions, nulls, value)  # every construction, transforms and engines included
        codes, channels = _canonical_codes(codes, channels)
        self._codes = _frozen(codes)
        self._offsets = _frozen(offsets)
        self._channels = channels
        self._conversions = _frozen(conversions)
        self._nulls = _frozen(nulls)
        self._value = _frozen(value)
        self._times = None if times is None else _frozen(times)
        self._users = users
        self._attributes = attributes
        self._fine_codes = None if fine_codes is None else _frozen(fine_codes)
        self._levels = levels if fine_codes is not None else None
        self._touch_rows: IntArray | None = None
        self._value_per_conversion: FloatArray | None = None

    @classmethod
    def _trusted(
        cls,
        codes: npt.NDArray[Any],
        offsets: npt.NDArray[Any],
        channels: Sequence[str],
        conversions: npt.NDArray[Any],
        nulls: npt.NDArray[Any],
        value: npt.NDArray[Any],
        times: npt.NDArray[Any] | None = None,
        users: pd.Index | None = None,
        attributes: Attributes | None = None,
        fine_codes: npt.NDArray[Any] | None = None,
        levels: ChannelLevels | None = None,
    ) -> Journeys:
        """Build from arrays that already satisfy every rule (used by builders and transforms)."""
        obj = cls.__new__(cls)
        obj._set(
            np.ascontiguousarray(codes, dtype=np.int32),
            np.ascontiguousarray(offsets, dtype=np.int64),
            tuple(channels),
            np.ascontiguousarray(conversions, dtype=np.float64),
            np.ascontiguousarray(nulls, dtype=np.float64),
            np.ascontiguousarray(value, dtype=np.float64),
            None if times is None else np.ascontiguousarray(times, dtype=np.float64),
            users,
            attributes,
            None if fine_codes is None else np.ascontiguousarray(fine_codes, dtype=np.int32),
            levels,
        )
        return obj

    def _row_blocks(self, touches_per_block: int) -> Iterator[Journeys]:
        """Consecutive blocks of whole rows with about ``touches_per_block`` touches each.

        Internal, for models that work block by block so their per-touch temporaries stay
        small (cache-resident, and below the allocator's mmap threshold). A block shares
        this object's channel tuple and codes even when it uses only some channels, so
        per-channel sums over blocks line up; it is a view and never leaves the library.
        """
        offsets = self._offsets
        chunks = ragged.row_chunks(offsets, touches_per_block)
        if len(chunks) == 1:
            yield self
            return
        for lo, hi in chunks:
            block = Journeys.__new__(Journeys)
            a, b = int(offsets[lo]), int(offsets[hi])
            block._codes = self._codes[a:b]
            block._offsets = _frozen(offsets[lo : hi + 1] - a)
            block._channels = self._channels
            block._conversions = self._conversions[lo:hi]
            block._nulls = self._nulls[lo:hi]
            block._value = self._value[lo:hi]
            block._times = None if self._times is None else self._times[a:b]
            block._users = None
            block._attributes = None
            block._fine_codes = None
            block._levels = None
            block._touch_rows = None
            block._value_per_conversion = None
            yield block

    # ------------------------------------------------------------------ builders
    @classmethod
    def from_events(
        cls,
        events: Any,
        *,
        user: str,
        time: str,
        channel: str | Sequence[str],
        conversion: str,
        value: str | None = None,
        lookback: str | pd.Timedelta | float | None = None,
        max_touches: int | None = None,
        split_on_conversion: bool = True,
        tiebreak: str | None = None,
        drop_duplicates: bool = False,
        time_format: str | None = None,
        time_unit: str | None = None,
        segments: str | Sequence[str] = (),
        conversion_type: str | None = None,
        aggregate: bool = False,
        time_buckets: str | pd.Timedelta | float | None = None,
        period: str | None = None,
    ) -> Journeys:
        """Build journeys from an event log: one row per touch or conversion.

        Input types: a pandas DataFrame is built with pandas; a file path or glob, a DuckDB
        relation, a pyarrow Table or a polars DataFrame inside DuckDB (the ``duckdb`` extra);
        a Spark DataFrame inside Spark; a dask DataFrame partition by partition. The result
        is the same: see :func:`attribution.engines.duckdb.from_events_duckdb`,
        :func:`attribution.engines.spark.from_events_spark` and
        :func:`attribution.engines.dask.from_events_dask` for their own options.

        Parameters
        ----------
        events
            The event log. Never modified.
        user, time, channel, conversion
            Column names (strings, or any label the frame uses). ``time`` holds datetimes
            (time-zone-aware ones are converted to UTC; mixing aware and naive values is an
            error), ISO 8601 strings, strings in ``time_format``, or epoch numbers with
            ``time_unit``; nothing else is guessed. ``channel`` is null only on a conversion
            without a touch; labels are stripped of surrounding whitespace. ``conversion`` is
            boolean (or 0/1). A row with a channel that is also a conversion is a touch of the
            journey it then closes. ``channel`` may list columns coarse to fine
            (``["channel", "campaign"]``): the journeys keep every level and start at the
            first; see :meth:`at_level`. A touch with no value at a finer level keeps the
            label of the level above; each label must sit under one label of the level above.
        value
            Column of conversion value (revenue); must be null or 0 on non-conversions.
        lookback
            Drop touches more than this long before the journey's end (its conversion, or
            for a non-converting journey its last touch); a touch exactly this long before
            is kept. ``"30D"``, a timedelta, a number of days, or ``None`` (no window).
        max_touches
            Keep only this many most recent touches per journey.
        split_on_conversion
            ``True`` (default): each conversion closes a journey of the touches since the
            user's previous conversion; touches after the last one form a non-converting
            journey. ``False`` (fractribution): each conversion's journey is every touch of
            the user up to it; only users who never convert give non-converting journeys,
            and touches after a user's last conversion are not used.
        tiebreak
            Column that orders events with equal timestamps (e.g. a hit number). Without it,
            at equal times touches come before conversions, then channel labels sort.
        drop_duplicates
            Drop events identical in every used column. By default they are kept: two
            identical touches count twice and two identical conversions are two conversions.
        time_format
            How to read string times that are not ISO 8601: a strftime format such as
            ``"%d/%m/%Y %H:%M"``. Without it such strings are refused, never parsed by guess
            (``01/02/2024`` could be either of two days).
        time_unit
            The unit of epoch-number times: ``"s"``, ``"ms"``, ``"us"`` or ``"ns"``. Needed
            whenever times are numbers (in a numeric column or written as text).
        segments
            Columns whose values each journey carries (country, device...): the value on
            the event that closes the journey (its conversion; for a journey that does not
            convert, its last event). If that value is missing, the latest known value among
            the journey's own kept touches is used; if none is known, the journey's value is
            missing (a group of its own when grouping, never dropped).
        conversion_type
            Column naming each conversion's type (purchase, lead...). Every type is its own
            goal: the journeys for a type are built as if only its conversions existed (a
            conversion of another type neither closes a journey nor counts; it is a touch if
            it has a channel and is ignored otherwise), and the journeys of every goal are
            stacked with a ``conversion_type`` attribute. Models then attribute them per
            goal (``by="conversion_type"``), never summed together.
        aggregate
            Return one row per distinct path and journey attributes, with summed counts and
            value: exactly ``Journeys.from_events(...).aggregate()``. In DuckDB, Spark and
            Dask the journeys are aggregated where the events are, so only the distinct
            paths reach this process, however many events and users there are.
        time_buckets
            With ``aggregate=True``: keep every touch's time before its journey's end,
            rounded to this duration (``"1h"``), as :meth:`aggregate` does, so that time
            decay runs on the aggregated rows with a bounded error.
        period
            Add the calendar period of each journey's end (a pandas period frequency: ``"M"``,
            ``"W"``, ``"Q"``, ``"D"``...) as the attribute ``period``, counted in the times' own
            zone: exactly ``.with_period(period)``. Aggregated rows keep it (each engine counts
            it before the end times are dropped), so ``by="period"`` works on them.

        Returns
        -------
        Journeys
            One row per journey, ordered by user and then time (per goal, goals in sorted
            order, with ``conversion_type``), with ``users``, ``times`` (seconds before the
            journey's end), ``ended_at`` and the ``segments`` set. Conversions with no touch in
            the window give empty paths: they are kept and reported as unattributed.

        Raises
        ------
        JourneyError
            A missing column, a null user or time, unparseable or mixed-zone times, a
            non-boolean conversion flag, a touch without a channel, an empty channel label,
            a negative, NaN or infinite value, a value on a non-conversion, or a bad argument.

        Examples
        --------
        >>> events = pd.DataFrame({
        ...     "user": ["u1", "u1", "u1", "u2", "u2"],
        ...     "time": pd.to_datetime(["2024-01-01", "2024-01-08", "2024-01-15", "2024-01-03", "2024-01-04"]),
        ...     "channel": ["Social", "Email", None, "Search", "Display"],
        ...     "converted": [False, False, True, False, False],
        ...     "revenue": [None, None, 120.0, None, None],
        ... })
        >>> j = Journeys.from_events(events, user="user", time="time", channel="channel",
        ...                          conversion="converted", value="revenue")
        >>> j.to_frame(times=True).drop(columns="ended_at")
          user              path  conversions  nulls  value                  times
        0   u1    Social > Email          1.0    0.0  120.0  [1209600.0, 604800.0]
        1   u2  Search > Display          0.0    1.0    0.0         [86400.0, 0.0]
        >>> j.ended_at.strftime("%Y-%m-%d").tolist()
        ['2024-01-15', '2024-01-04']
        """
        from attribution.journeys.from_events import build
        from attribution.journeys.registry import engine_for
        from attribution.journeys.spec import EventSpec

        spec = EventSpec(
            user=user,
            time=time,
            channel=channel,
            conversion=conversion,
            value=value,
            lookback=lookback,
            max_touches=max_touches,
            split_on_conversion=split_on_conversion,
            tiebreak=tiebreak,
            drop_duplicates=drop_duplicates,
            time_format=time_format,
            time_unit=time_unit,
            segments=segments,  # type: ignore[arg-type]
            conversion_type=conversion_type,
            aggregate=aggregate,
            time_buckets=time_buckets,
            period=period,
        )
        engine = engine_for(events)
        if engine is not None:
            return engine.load(events)(events, spec)
        journeys = cls._trusted(*build(events, spec))
        if spec.period is not None:
            journeys = journeys.with_period(spec.period)
        return journeys.aggregate(time_buckets=spec.time_buckets) if spec.aggregate else journeys

    @classmethod
    def from_paths(
        cls,
        table: pd.DataFrame,
        *,
        path: str,
        conversions: str,
        nulls: str | None = None,
        value: str | None = None,
        sep: str = ">",
        segments: str | Sequence[str] | None = None,
        conversion_type: str | None = None,
        ended_at: str | None = None,
    ) -> Journeys:
        """Build journeys from an aggregated path table (ChannelAttribution / fractribution format).

        Parameters
        ----------
        table
            One row per path (paths may repeat; use :meth:`Journeys.aggregate` to merge).
        path
            Column of paths: strings of labels joined by ``sep`` (labels are stripped of
            surrounding spaces; an empty string is an empty path), or lists of labels.
        conversions
            Column of conversion counts (non-negative, may be fractional).
        nulls
            Column of non-converting journey counts; zero when omitted.
        value
            Column of total conversion value per row; zero when omitted.
        sep
            Separator of string paths (list paths may hold labels that contain it).
        segments
            Columns holding journey attributes (country, device...): each row's values are
            kept as the row's attributes, missing values included.
        conversion_type
            Column holding each row's goal (purchase, lead...); see :meth:`from_events`.
        ended_at
            Column of datetimes: when the row's journeys ended (enables ``period`` grouping).

        Returns
        -------
        Journeys
            One row per table row, in table order; :meth:`to_frame` writes the attribute
            columns back under their names.

        Raises
        ------
        JourneyError
            A missing column, a null path, an empty label (``"a >  > b"``), or bad counts.

        Examples
        --------
        >>> table = pd.DataFrame({"path": ["A > B > C", "A > C", "B", "C", "A > B"],
        ...                       "conv": [2, 1, 0, 1, 0], "null": [0, 1, 2, 1, 1],
        ...                       "revenue": [200, 50, 0, 30, 0]})
        >>> j = Journeys.from_paths(table, path="path", conversions="conv", nulls="null", value="revenue")
        >>> j.total_conversions, j.total_value, j.channels
        (4.0, 280.0, ('A', 'B', 'C'))
        """
        from attribution.journeys.from_paths import read_path_attributes, read_path_table

        attributes = read_path_attributes(table, segments=segments, conversion_type=conversion_type, ended_at=ended_at)
        return cls._trusted(
            *read_path_table(table, path=path, conversions=conversions, nulls=nulls, value=value, sep=sep)[:8],
            attributes=attributes,
        )

    @classmethod
    def from_sequences(
        cls,
        paths: Iterable[Sequence[str]],
        *,
        conversions: npt.ArrayLike,
        nulls: npt.ArrayLike | None = None,
        value: npt.ArrayLike | None = None,
        times: Iterable[Sequence[float]] | None = None,
        attributes: Mapping[str, Sequence[Any]] | None = None,
        ended_at: npt.ArrayLike | None = None,
    ) -> Journeys:
        """Build journeys from Python sequences: one list of channel labels per row.

        Parameters
        ----------
        paths
            One sequence of labels per row, oldest touch first; ``[]`` is an empty path.
        conversions, nulls, value
            One number per row; ``nulls`` and ``value`` default to zero.
        times
            Optional, one sequence per row: seconds from each touch to the journey's end
            (conversion), non-increasing along the path. Numbers or ``pandas.Timedelta``.
        attributes
            Optional journey attributes, ``{name: one value per row}``.
        ended_at
            Optional, one datetime per row: when each journey ended.

        Examples
        --------
        >>> j = Journeys.from_sequences([["A", "B", "C"], ["A", "C"]], conversions=[2, 1],
        ...                             value=[200, 50], times=[[14 * 86400, 7 * 86400, 0], [7 * 86400, 0]])
        >>> j.has_times, j.total_value
        (True, 250.0)
        """
        from attribution.journeys.from_paths import read_sequences

        parts = read_sequences(paths, conversions=conversions, nulls=nulls, value=value, times=times)
        n_rows = len(parts[1]) - 1
        return cls._trusted(*parts[:8], attributes=_attributes_of(attributes, ended_at, n_rows))

    # ------------------------------------------------------------------ arrays
    @property
    def codes(self) -> CodeArray:
        """Channel code of every touch, row after row (read-only int32)."""
        return self._codes

    @property
    def offsets(self) -> IntArray:
        """Row boundaries into :attr:`codes` (read-only int64, length ``n_rows + 1``)."""
        return self._offsets

    @property
    def channels(self) -> tuple[str, ...]:
        """Channel labels, sorted; ``channels[code]`` is a touch's label."""
        return self._channels

    @property
    def conversions(self) -> FloatArray:
        """Converting journeys per row (read-only float64)."""
        return self._conversions

    @property
    def nulls(self) -> FloatArray:
        """Non-converting journeys per row (read-only float64)."""
        return self._nulls

    @property
    def value(self) -> FloatArray:
        """Total conversion value per row (read-only float64)."""
        return self._value

    @property
    def times(self) -> FloatArray | None:
        """Seconds from each touch to its journey's end, or ``None`` when unknown."""
        return self._times

    @property
    def users(self) -> pd.Index | None:
        """The user of each row when built from events, else ``None``."""
        return self._users

    @property
    def levels(self) -> tuple[str, ...]:
        """The channel levels, coarse to fine (``channel=["channel", "campaign"]``); empty without levels."""
        return () if self._levels is None else self._levels.names

    @property
    def level(self) -> str | None:
        """The channel level the paths are at (``None`` without levels)."""
        return None if self._levels is None else self._levels.current

    def fine_codes(self) -> CodeArray | None:
        """Every touch's code at the finest channel level (``None`` without levels)."""
        return self._fine_codes

    def channel_levels(self) -> ChannelLevels | None:
        """The channel hierarchy as stored (for transforms; immutable)."""
        return self._levels

    def at_level(self, name: str) -> Journeys:
        """The same journeys with their touches labelled at channel level ``name``.

        Rows, counts, times and attributes are unchanged; only the labels change. A touch
        with no value at a finer level keeps the label of the level above.

        Examples
        --------
        >>> events = pd.DataFrame({"user": [1, 1, 1], "time": pd.to_datetime(["2024-01-01", "2024-01-02", "2024-01-03"]),
        ...                        "channel": ["Search", "Email", None], "campaign": ["brand", None, None],
        ...                        "converted": [False, False, True]})
        >>> j = Journeys.from_events(events, user="user", time="time", channel=["channel", "campaign"],
        ...                          conversion="converted")
        >>> j.paths(), j.at_level("campaign").paths()
        ([('Search', 'Email')], [('brand', 'Email')])
        """
        if self._levels is None or self._fine_codes is None:
            raise JourneyError(
                "these journeys have one channel level only. Fix: build them with channel=['channel', 'campaign'] "
                "(coarse to fine) to keep finer levels."
            )
        codes, channels = self._levels.codes_at(name, self._fine_codes)
        return Journeys._trusted(
            codes,
            self._offsets,
            channels,
            self._conversions,
            self._nulls,
            self._value,
            self._times,
            self._users,
            self._attributes,
            self._fine_codes,
            self._levels.at(name),
        )

    def channel_hierarchy(self) -> pd.DataFrame:
        """One row per label of the finest level: its label at every level (columns coarse to fine)."""
        if self._levels is None:
            return pd.DataFrame({"channel": list(self._channels)})
        return self._levels.hierarchy()

    @property
    def attribute_names(self) -> tuple[str, ...]:
        """The journey attributes (segments, ``conversion_type``), in the order given."""
        return () if self._attributes is None else self._attributes.names

    @property
    def attributes(self) -> pd.DataFrame:
        """Each row's attributes: one column per segment (and ``conversion_type``), and ``ended_at``.

        A copy, indexed by row position; categorical columns, with missing values where a
        journey's segment is unknown. Empty (no columns) when the journeys have none.

        Examples
        --------
        >>> j = Journeys.from_sequences([["A"], ["B"]], conversions=[1, 0], nulls=[0, 1],
        ...                             attributes={"country": ["ID", "SG"]})
        >>> j.attributes["country"].tolist()
        ['ID', 'SG']
        """
        if self._attributes is None:
            return pd.DataFrame(index=pd.RangeIndex(self.n_rows))
        return self._attributes.frame()

    @property
    def ended_at(self) -> pd.DatetimeIndex | None:
        """When each journey ended (its conversion, or its last touch), or ``None`` if not recorded.

        Time-zone-aware when the journeys were built from times with a zone: calendar
        periods (``by="period"``) are counted in that zone.
        """
        return None if self._attributes is None else self._attributes.end_times()

    @property
    def conversion_types(self) -> tuple[Any, ...]:
        """The goals these journeys hold (values of ``conversion_type``); empty if they have no such attribute."""
        if CONVERSION_TYPE not in self.attribute_names:
            return ()
        column = self._attributes.column(CONVERSION_TYPE)  # type: ignore[union-attr]
        return tuple(column.categories[np.unique(column.codes[column.codes >= 0])])

    def attribute_set(self) -> Attributes | None:
        """The attributes as stored (for transforms and models; immutable)."""
        return self._attributes

    def with_attributes(self, **columns: Any) -> Journeys:
        """The same journeys with attributes added or replaced (one value per row each).

        Examples
        --------
        >>> j = Journeys.from_sequences([["A"], ["B"]], conversions=[1, 0], nulls=[0, 1])
        >>> j.with_attributes(device=["mobile", "desktop"]).attribute_names
        ('device',)
        """
        current = self._attributes or Attributes({}, None, n_rows=self.n_rows)
        for name, values in columns.items():
            current = current.with_column(name, values)
        return self._with_attribute_set(current)

    def _with_attribute_set(self, attributes: Attributes | None) -> Journeys:
        """The same journeys (channel levels included) with ``attributes`` instead of their own."""
        return Journeys._trusted(
            self._codes,
            self._offsets,
            self._channels,
            self._conversions,
            self._nulls,
            self._value,
            self._times,
            self._users,
            attributes,
            self._fine_codes,
            self._levels,
        )

    def with_period(self, freq: str = "M", *, name: str = "period") -> Journeys:
        """Add the calendar period of each journey's end as an attribute (kept by :meth:`aggregate`).

        Examples
        --------
        >>> j = Journeys([0, 0], [0, 1, 2], ["A"], [1, 1], ended_at=pd.to_datetime(["2024-01-31", "2024-02-01"]))
        >>> j.with_period("M").attributes["period"].astype(str).tolist()
        ['2024-01', '2024-02']
        """
        if self._attributes is None:
            from attribution.journeys.attributes import group_keys

            group_keys(None, ["period"], period=freq)  # raises the explanation
        return self.with_attributes(**{name: self._attributes.periods(freq)})  # type: ignore[union-attr]

    @property
    def has_times(self) -> bool:
        """Whether every touch carries its time before the journey's end."""
        return self._times is not None

    @property
    def lengths(self) -> IntArray:
        """Number of touches on each row's path."""
        return ragged.lengths(self._offsets)

    @property
    def n_rows(self) -> int:
        """Number of path rows."""
        return len(self._offsets) - 1

    @property
    def n_touches(self) -> int:
        """Number of touches over all rows (not weighted by counts)."""
        return len(self._codes)

    @property
    def n_journeys(self) -> float:
        """Journeys represented: total conversions plus nulls."""
        return float(self._conversions.sum() + self._nulls.sum())

    @property
    def total_conversions(self) -> float:
        """Total conversions over all rows."""
        return float(self._conversions.sum())

    @property
    def total_value(self) -> float:
        """Total conversion value over all rows."""
        return float(self._value.sum())

    @property
    def unattributed_conversions(self) -> float:
        """Conversions on empty paths: no touch to credit."""
        return float(self._conversions[self.lengths == 0].sum())

    @property
    def unattributed_value(self) -> float:
        """Conversion value on empty paths."""
        return float(self._value[self.lengths == 0].sum())

    def with_outcomes(
        self, conversions: npt.ArrayLike, nulls: npt.ArrayLike, value: npt.ArrayLike | None = None
    ) -> Journeys:
        """The same paths (touch times and users too) with other outcome counts.

        For resampling, cross-validation folds and weighting: the paths are shared, not
        copied. Without ``value``, each row keeps its value per conversion (a row that had
        no conversions gets value 0).

        Examples
        --------
        >>> j = Journeys.from_sequences([["A"], ["B"]], conversions=[2, 0], nulls=[1, 3], value=[50, 0])
        >>> half = j.with_outcomes(conversions=[1, 0], nulls=[0, 1])
        >>> half.value.tolist(), half.paths() == j.paths()
        ([25.0, 0.0], True)
        """
        conv = as_float_array(conversions, "conversions", self.n_rows)
        nul = as_float_array(nulls, "nulls", self.n_rows)
        val = conv * self.value_per_conversion() if value is None else as_float_array(value, "value", self.n_rows)
        check_outcomes(conv, nul, val)
        return Journeys._trusted(
            self._codes,
            self._offsets,
            self._channels,
            conv,
            nul,
            val,
            self._times,
            self._users,
            self._attributes,
            self._fine_codes,
            self._levels,
        )

    def value_per_conversion(self) -> FloatArray:
        """Each row's value per conversion (0 where it has none); computed once and shared."""
        if self._value_per_conversion is None:
            with np.errstate(invalid="ignore", divide="ignore"):
                per = np.where(self._conversions > 0, self._value / self._conversions, 0.0)
            self._value_per_conversion = _frozen(per)
        return self._value_per_conversion

    def touch_rows(self) -> IntArray:
        """The row of every touch (read-only int64), computed once and shared by every model."""
        if self._touch_rows is None:
            self._touch_rows = _frozen(ragged.row_of_element(self._offsets))
        return self._touch_rows

    def __len__(self) -> int:
        return self.n_rows

    def paths(self) -> list[tuple[str, ...]]:
        """Every row's path as a tuple of labels (a Python loop: for inspection, not hot paths)."""
        labels = np.asarray(self._channels, dtype=object)[self._codes]
        return [tuple(labels[a:b]) for a, b in zip(self._offsets[:-1], self._offsets[1:], strict=True)]

    # ------------------------------------------------------------------ transforms
    def aggregate(self, *, time_buckets: str | pd.Timedelta | float | None = None) -> Journeys:
        """Merge identical paths into one row each, summing counts and value.

        Rows keep the order of each path's first appearance; rows with different journey
        attributes (segments, goal, period) stay apart. Per-touch times and users are
        dropped, since merged journeys no longer share them.

        Parameters
        ----------
        time_buckets
            Keep touch times, rounded: every touch's time before its journey's end is rounded
            to the nearest multiple (halves up) of this duration (``"1h"``, a timedelta, or a number of
            days), and paths merge only when their rounded times are equal too. Time decay
            then runs on the rounded times: each touch's age is off by at most half a bucket,
            so its age relative to the path's most recent touch by at most one bucket, and
            each touch's share of a path by a factor within ``2 ** (±2 * bucket / half_life)``
            (1.7 % with hourly buckets and a 7-day half-life).

        Examples
        --------
        >>> j = Journeys.from_sequences([["A", "B"], ["C"], ["A", "B"]], conversions=[1, 0, 1], nulls=[0, 1, 0])
        >>> a = j.aggregate()
        >>> a.paths(), a.conversions.tolist()
        ([('A', 'B'), ('C',)], [2.0, 0.0])
        >>> timed = Journeys.from_sequences([["A", "B"], ["A", "B"]], conversions=[1, 1],
        ...                                 times=[[7200, 0], [6000, 600]])
        >>> hourly = timed.aggregate(time_buckets="1h")
        >>> hourly.n_rows, hourly.times.tolist()
        (1, [7200.0, 0.0])
        """
        from attribution.journeys.transforms import aggregate

        return aggregate(self, time_buckets)

    def collapse_repeats(self) -> Journeys:
        """Merge consecutive touches of the same channel (A > A > B becomes A > B).

        A merged run keeps the time of its most recent touch.

        Examples
        --------
        >>> Journeys.from_sequences([["A", "A", "B", "A"]], conversions=[1]).collapse_repeats().paths()
        [('A', 'B', 'A')]
        """
        from attribution.journeys.transforms import collapse_repeats

        return collapse_repeats(self)

    def first_occurrences(self) -> Journeys:
        """Keep only the first touch of each channel in a path (A > B > A > C becomes A > B > C).

        Examples
        --------
        >>> Journeys.from_sequences([["A", "B", "A", "C"]], conversions=[1]).first_occurrences().paths()
        [('A', 'B', 'C')]
        """
        from attribution.journeys.transforms import first_occurrences

        return first_occurrences(self)

    def last_touches(self, k: int) -> Journeys:
        """Keep the ``k`` most recent touches of each path.

        Examples
        --------
        >>> Journeys.from_sequences([["A", "B", "C"]], conversions=[1]).last_touches(2).paths()
        [('B', 'C')]
        """
        from attribution.journeys.transforms import last_touches

        return last_touches(self, k)

    def map_channels(
        self,
        mapping: Mapping[str, str] | Callable[[str], str],
        *,
        unmapped: Literal["error", "keep", "other"] = "error",
        other: str = "Other",
    ) -> Journeys:
        """Relabel channels, e.g. group raw source/medium values into channel groups.

        Parameters
        ----------
        mapping
            Old label to new label, as a mapping or a function.
        unmapped
            What to do with labels the mapping lacks: ``"error"`` (default) raises,
            ``"keep"`` keeps the label, ``"other"`` maps it to ``other``.
        other
            The label for unmapped channels when ``unmapped="other"``.

        Examples
        --------
        >>> j = Journeys.from_sequences([["google / cpc", "bing / cpc", "newsletter"]], conversions=[1])
        >>> j.map_channels({"google / cpc": "Paid Search", "bing / cpc": "Paid Search"}, unmapped="other").paths()
        [('Paid Search', 'Paid Search', 'Other')]
        """
        from attribution.journeys.transforms import map_channels

        return map_channels(self, mapping, unmapped=unmapped, other=other)

    def filter(
        self,
        mask: npt.ArrayLike | None = None,
        *,
        converting: bool | None = None,
        min_length: int | None = None,
        max_length: int | None = None,
        contains: str | Iterable[str] | None = None,
        **attributes: Any,
    ) -> Journeys:
        """Keep the rows that pass every criterion given.

        Parameters
        ----------
        mask
            Boolean array with one entry per row.
        converting
            ``True`` keeps rows with conversions, ``False`` rows without.
        min_length, max_length
            Bounds (inclusive) on the number of touches.
        contains
            A channel label, or several: keep rows touching any of them.
        **attributes
            Attribute values to keep, e.g. ``country="ID"`` or
            ``conversion_type=["purchase", "lead"]`` (a list keeps any of them).

        Examples
        --------
        >>> j = Journeys.from_sequences([["A", "B"], ["C"], []], conversions=[1, 0, 1], nulls=[0, 1, 0])
        >>> j.filter(min_length=1, contains="C").paths()
        [('C',)]
        """
        from attribution.journeys.transforms import filter_rows

        return filter_rows(
            self,
            mask,
            converting=converting,
            min_length=min_length,
            max_length=max_length,
            contains=contains,
            attributes=attributes,
        )

    def __getitem__(self, rows: int | slice | npt.ArrayLike) -> Journeys:
        """Select rows by position, slice, boolean mask or integer array."""
        from attribution.journeys.transforms import select_rows

        return select_rows(self, rows)

    @staticmethod
    def concat(parts: Iterable[Journeys]) -> Journeys:
        """Stack journeys built from disjoint sets of users; counts simply add, which lets engines build in parallel.

        Times are kept only if every part has them, users only if every part has them;
        overlapping users are an error, since a user's events must be split into journeys
        in one place. The parts' arrays are released as they are stacked (pass a generator
        to keep the peak at the parts plus one stacked array).

        Examples
        --------
        >>> a = Journeys.from_sequences([["A"]], conversions=[1])
        >>> b = Journeys.from_sequences([["B", "A"]], conversions=[0], nulls=[1])
        >>> Journeys.concat([a, b]).paths()
        [('A',), ('B', 'A')]
        """
        from attribution.journeys.transforms import stack

        items = list(parts)
        bad = [type(p).__name__ for p in items if not isinstance(p, Journeys)]
        if bad:
            raise TypeError(f"concat takes Journeys objects; got {bad[0]}")
        if not items:
            return Journeys._trusted(np.zeros(0, np.int32), np.zeros(1, np.int64), (), *(np.zeros(0),) * 3)
        if len(items) == 1:
            return items[0]
        return Journeys._trusted(*stack(items))

    @classmethod
    def from_parts(cls, parts: Parts) -> Journeys:
        """Journeys from the arrays a builder made (``cutting.journeys_from_events`` in an engine).

        The arrays are validated as by the constructor and used without a copy: pass only
        arrays made for these journeys alone.
        """
        codes, offsets, channels, conversions, nulls, value, times, users, attributes, fine, levels = parts
        return cls(
            codes,
            offsets,
            channels,
            conversions,
            nulls,
            value,
            times=times,
            users=users,
            attributes=attributes,
            fine_codes=fine,
            levels=levels,
            copy=False,
        )

    def __add__(self, other: object) -> Journeys:
        if not isinstance(other, Journeys):
            return NotImplemented
        return Journeys.concat([self, other])

    # ------------------------------------------------------------------ comparison
    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Journeys):
            return NotImplemented
        return self.equals(other)

    __hash__ = None  # type: ignore[assignment]

    def equals(self, other: Journeys, *, ignore_order: bool = False) -> bool:
        """Whether both hold the same rows: paths, counts, value, times and users, exactly.

        With ``ignore_order`` the rows are compared as a multiset (both are sorted first).
        """
        if ignore_order:
            from attribution.journeys.transforms import sort_rows

            return sort_rows(self).equals(sort_rows(other))
        if self._channels != other._channels or (self._times is None) != (other._times is None):
            return False
        same_users = _same_labels(self._users, other._users)
        arrays: list[tuple[npt.NDArray[Any], npt.NDArray[Any]]] = [
            (self._offsets, other._offsets),
            (self._codes, other._codes),
            (self._conversions, other._conversions),
            (self._nulls, other._nulls),
            (self._value, other._value),
        ]
        if self._times is not None and other._times is not None:
            arrays.append((self._times, other._times))
        if (self._fine_codes is None) != (other._fine_codes is None) or self.levels != other.levels:
            return False
        if self._fine_codes is not None and other._fine_codes is not None:
            fine_a = np.asarray(self._levels.fine, dtype=object)[self._fine_codes]  # type: ignore[union-attr]
            fine_b = np.asarray(other._levels.fine, dtype=object)[other._fine_codes]  # type: ignore[union-attr]
            if not np.array_equal(fine_a, fine_b):
                return False
        if (self._attributes is None) != (other._attributes is None) or (
            self._attributes is not None and not self._attributes.equals(other._attributes)  # type: ignore[arg-type]
        ):
            return False
        return same_users and all(np.array_equal(a, b) for a, b in arrays)

    # ------------------------------------------------------------------ output
    def to_frame(
        self, *, path: Literal["auto", "string", "list"] = "auto", sep: str = " > ", times: bool = False
    ) -> pd.DataFrame:
        """One row per path: the path, ``conversions``, ``nulls``, ``value`` (and ``user``, ``times``).

        Parameters
        ----------
        path
            ``"string"`` joins labels with ``sep`` (the format :meth:`from_paths` reads);
            ``"list"`` gives a list of labels per row; ``"auto"`` (default) gives strings
            unless a label contains the separator, then lists, so that
            ``Journeys.from_paths(j.to_frame(), ...)`` always rebuilds the same paths.
        sep
            Separator for string paths; a label containing it raises an error.
        times
            Add a ``times`` column (seconds before the journey's end, per touch).

        Examples
        --------
        >>> Journeys.from_sequences([["A", "B"], []], conversions=[1, 1], value=[10, 5]).to_frame()
            path  conversions  nulls  value
        0  A > B          1.0    0.0   10.0
        1                 1.0    0.0    5.0
        """
        from attribution.journeys.summary import to_frame

        return to_frame(self, path=path, sep=sep, times=times)

    def summary(self) -> JourneysSummary:
        """Totals and the path-length distribution; see :class:`JourneysSummary`."""
        from attribution.journeys.summary import summarize

        return summarize(self)

    def __repr__(self) -> str:
        from attribution.journeys.summary import render_text

        return render_text(self)

    def _repr_html_(self) -> str:
        from attribution.journeys.summary import render_html

        return render_html(self)

    def __getstate__(self) -> dict[str, Any]:
        caches = ("_touch_rows", "_value_per_conversion")  # rebuilt on demand
        return {name: getattr(self, name) for name in self.__slots__ if name not in caches}

    def __setstate__(self, state: dict[str, Any]) -> None:
        object.__setattr__(self, "_touch_rows", None)
        object.__setattr__(self, "_value_per_conversion", None)
        for name, item in state.items():
            if isinstance(item, np.ndarray):
                item = np.array(item)  # pickled arrays come back writeable; freeze a private copy
                item.setflags(write=False)
            object.__setattr__(self, name, item)


def _fine_codes_of(
    fine_codes: npt.ArrayLike | None, levels: ChannelLevels | None, n_touches: int, *, copy: bool
) -> CodeArray | None:
    """The fine channel codes of the constructor, checked against the hierarchy (``None``: no levels)."""
    if fine_codes is None and levels is None:
        return None
    if fine_codes is None or levels is None:
        raise JourneyError("fine_codes and levels go together. Fix: pass both, or neither.")
    fine = np.array(fine_codes, dtype=np.int32) if copy else np.asarray(fine_codes, dtype=np.int32)
    if fine.shape != (n_touches,) or (fine.size and (fine.min() < 0 or fine.max() >= len(levels.fine))):
        raise JourneyError(
            f"fine_codes must give one code in [0, {len(levels.fine)}) per touch ({n_touches}). Fix: rebuild them."
        )
    return fine


def _attributes_of(
    attributes: Mapping[str, Any] | pd.DataFrame | Attributes | None, ended_at: npt.ArrayLike | None, n_rows: int
) -> Attributes | None:
    """The constructor's attribute arguments as one :class:`Attributes` (copied), or ``None``."""
    if isinstance(attributes, Attributes):
        ends = attributes.end_times() if ended_at is None else ended_at
        return Attributes({n: attributes.column(n) for n in attributes.names}, ends, n_rows=n_rows)
    if attributes is None and ended_at is None:
        return None
    columns = {} if attributes is None else {str(k): v for k, v in dict(attributes).items()}
    return Attributes(columns, ended_at, n_rows=n_rows)


def _canonical_codes(codes: CodeArray, channels: tuple[str, ...]) -> tuple[CodeArray, tuple[str, ...]]:
    """Re-express codes over the sorted labels actually used, so equal data has equal arrays."""
    used = np.bincount(codes, minlength=len(channels)) > 0 if len(channels) else np.zeros(0, dtype=bool)
    kept = [label for label, u in zip(channels, used, strict=True) if u]
    ordered = sorted(kept)
    if ordered == list(channels):
        return codes, channels
    new_code = {label: i for i, label in enumerate(ordered)}
    remap = np.array([new_code.get(label, -1) for label in channels], dtype=np.int32)
    return remap[codes] if len(codes) else codes, tuple(ordered)


def _same_labels(a: pd.Index | None, b: pd.Index | None) -> bool:
    """Both absent, or the same user labels in the same order, whatever their dtype: dask hands
    pandas 2's object strings back as Arrow strings, and pandas 3's ``str`` as ``string``."""
    if a is None or b is None:
        return a is None and b is None
    return len(a) == len(b) and (a.equals(b) or a.astype(object).equals(b.astype(object)))
