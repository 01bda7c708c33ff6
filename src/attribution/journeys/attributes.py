"""Journey attributes: per-row segment values, the conversion goal, and when each journey ended.

Stored beside the path rows as categoricals (integer codes with a label table, -1 for a
missing value, as channels are) and one int64 array of end times in nanoseconds since
the epoch (UTC for zone-aware input, wall-clock time for naive input). Every transform
of :class:`~attribution.Journeys` carries them: row selection takes them, concatenation
unions their labels, aggregation groups by them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from attribution.errors import JourneyError, ParameterError
from attribution.journeys.zones import zone_name

__all__ = ["CONVERSION_TYPE", "ENDED_AT", "PERIOD", "Attributes", "attribute_columns", "group_keys", "require_one_goal"]

IntArray = npt.NDArray[np.int64]

CONVERSION_TYPE = "conversion_type"  # the attribute that names each journey's goal
ENDED_AT = "ended_at"  # when each journey ended: not a categorical, and never a group key as such
PERIOD = "period"  # the group key computed from ended_at (unless an attribute of that name exists)
PERIOD_RULE = "must be a pandas period frequency such as 'D', 'W', 'M', 'Q' or 'Y'"  # period= everywhere
_NAT = np.iinfo(np.int64).min  # numpy's NaT as int64


class Attributes:
    """Immutable per-row attributes of journeys.

    Parameters
    ----------
    columns
        Attribute name to one value per row (a ``pandas.Categorical``, or anything
        ``pandas.Categorical`` accepts). Missing values are allowed: a journey whose
        segment is unknown is a group of its own.
    ended_at
        Optional, one end time per row: int64 nanoseconds since the epoch in UTC
        (``numpy.iinfo(int64).min`` for unknown), or datetimes (time-zone-aware ones give
        ``zone``).
    n_rows
        The number of rows every column must have.
    zone
        The time zone the end times were recorded in (``"Europe/Paris"``, ``"+07:00"``), in
        which calendar periods are counted; ``None`` for naive (wall-clock) times.
    """

    __slots__ = ("_columns", "_ended_at", "_n_rows", "_zone")

    def __init__(
        self, columns: Mapping[str, Any], ended_at: npt.ArrayLike | None = None, *, n_rows: int, zone: str | None = None
    ) -> None:
        built: dict[str, pd.Categorical] = {}
        for name, values in columns.items():
            if not isinstance(name, str) or not name or name in (ENDED_AT,):
                raise JourneyError(
                    f"journey attribute names must be non-empty strings other than {ENDED_AT!r}; got {name!r}. "
                    "Fix: rename the column."
                )
            column = values if isinstance(values, pd.Categorical) else pd.Categorical(_plain_values(values))
            if len(column) != n_rows:
                raise JourneyError(
                    f"journey attribute {name!r} needs one value per row ({n_rows}); got {len(column)}. "
                    "Fix: pass values aligned with the rows."
                )
            if column.categories.dtype != object:  # one label type whatever the source's (str, Arrow, empty)
                categories = pd.Index(np.asarray(column.categories, dtype=object), dtype=object)
                column = pd.Categorical.from_codes(column.codes, categories=categories)
            built[name] = column.copy()
        self._columns = built
        self._n_rows = n_rows
        self._ended_at: IntArray | None = None
        self._zone: str | None = None
        if ended_at is not None:
            self._ended_at, self._zone = _as_ns(ended_at, n_rows, zone)

    # ------------------------------------------------------------------ reading
    @property
    def names(self) -> tuple[str, ...]:
        """The categorical attributes, in the order they were given."""
        return tuple(self._columns)

    @property
    def ended_at(self) -> IntArray | None:
        """Per row, when the journey ended (int64 ns; the NaT value where unknown), or ``None``."""
        return self._ended_at

    @property
    def zone(self) -> str | None:
        """The time zone of the end times (periods are counted in it), or ``None`` for naive times."""
        return self._zone

    def end_times(self) -> pd.DatetimeIndex | None:
        """The end times as datetimes, in their own zone (naive if they have none)."""
        if self._ended_at is None:
            return None
        times = pd.DatetimeIndex(self._ended_at.astype("datetime64[ns]"))  # a copy: never our array
        return times if self._zone is None else times.tz_localize("UTC").tz_convert(self._zone)

    def column(self, name: str) -> pd.Categorical:
        """One attribute's values (a copy)."""
        return self._columns[name].copy()

    def codes(self, name: str) -> npt.NDArray[np.int64]:
        """One attribute's codes (-1 for a missing value)."""
        return np.asarray(self._columns[name].codes, dtype=np.int64)

    def frame(self) -> pd.DataFrame:
        """Every attribute as a column (categoricals, and ``ended_at`` as datetimes)."""
        data: dict[str, Any] = {name: column.copy() for name, column in self._columns.items()}
        if self._ended_at is not None:
            data[ENDED_AT] = self.end_times()
        return pd.DataFrame(data, index=pd.RangeIndex(self._n_rows))

    def periods(self, freq: str) -> pd.Categorical:
        """The calendar period (frequency ``freq``) containing each journey's end."""
        if self._ended_at is None:
            raise JourneyError(
                "these journeys do not record when they ended, so they cannot be grouped by period. "
                "Fix: build them with Journeys.from_events (which records it), or give from_paths an "
                "ended_at column, or group by an attribute that holds the period."
            )
        local = self.end_times()
        if self._zone is not None:  # the calendar of the times' own zone, not UTC's
            local = local.tz_localize(None)  # type: ignore[union-attr]
        try:
            periods = local.to_period(freq)  # type: ignore[union-attr]
        except (ValueError, TypeError, AttributeError) as exc:
            raise ParameterError(
                f"parameter 'period' {PERIOD_RULE}; got {freq!r} ({exc}). Fix: pass e.g. period='M'."
            ) from None
        return pd.Categorical(periods)

    def equals(self, other: Attributes) -> bool:
        if self.names != other.names or (self._ended_at is None) != (other._ended_at is None):
            return False
        if self._zone != other._zone:
            return False
        if self._ended_at is not None and not np.array_equal(self._ended_at, other._ended_at):  # type: ignore[arg-type]
            return False
        return all(_same_values(self._columns[n], other._columns[n]) for n in self.names)

    # ------------------------------------------------------------------ transforms
    def take(self, rows: IntArray) -> Attributes:
        """The attributes of the rows at ``rows`` (positions)."""
        columns = {name: column.take(rows) for name, column in self._columns.items()}
        ended = None if self._ended_at is None else self._ended_at[rows]
        return Attributes(columns, ended, n_rows=len(rows), zone=self._zone)

    def in_zone(self, zone: str | None) -> Attributes:
        """The same end times (instants) recorded as in ``zone``: periods are counted in it."""
        return Attributes(self._columns, self._ended_at, n_rows=self._n_rows, zone=zone)

    def without_ended_at(self) -> Attributes:
        return Attributes(self._columns, None, n_rows=self._n_rows)

    def with_column(self, name: str, values: Any) -> Attributes:
        columns = dict(self._columns)
        columns[name] = values
        return Attributes(columns, self._ended_at, n_rows=self._n_rows, zone=self._zone)

    @staticmethod
    def concat(items: Sequence[Attributes | None], lengths: Sequence[int]) -> Attributes | None:
        """Stacked attributes of consecutive parts (the same names in every part, or none anywhere)."""
        if all(item is None for item in items):
            return None
        names = {item.names if item is not None else () for item in items}
        if len(names) != 1:
            shown = sorted(names, key=len)
            raise JourneyError(
                f"journeys with different attributes cannot be stacked: {shown[0]} and {shown[-1]}. "
                "Fix: build every part with the same segments and conversion_type."
            )
        parts = [item for item in items if item is not None]
        columns = {name: _union([p._columns[name] for p in parts]) for name in parts[0].names}
        with_ends = all(p._ended_at is not None for p in parts)
        ended = np.concatenate([p._ended_at for p in parts if p._ended_at is not None]) if with_ends else None
        zones = list(dict.fromkeys(p._zone for p in parts if p._ended_at is not None))
        if with_ends and len(zones) > 1:
            listed = " and ".join("naive times" if z is None else repr(z) for z in zones[:2])
            raise JourneyError(
                f"journeys whose end times are in different time zones ({listed}) cannot be stacked: their "
                "calendar periods would disagree. Fix: build every part from times in one zone: "
                "events[time].dt.tz_convert(zone) for zoned times, .dt.tz_localize(zone) for naive ones."
            )
        return Attributes(columns, ended, n_rows=int(sum(lengths)), zone=zones[0] if with_ends and zones else None)

    def __getstate__(self) -> dict[str, Any]:
        return {"_columns": self._columns, "_ended_at": self._ended_at, "_n_rows": self._n_rows, "_zone": self._zone}

    def __setstate__(self, state: dict[str, Any]) -> None:
        object.__setattr__(self, "_zone", None)  # pickles made before zones were kept
        for name, item in state.items():
            object.__setattr__(self, name, item)


def attribute_columns(segments: str | Sequence[str] | None, conversion_type: str | None) -> dict[str, Any]:
    """Attribute name to column: the segments, then ``conversion_type`` (stored under that name)."""
    listed = [] if segments is None else [segments] if isinstance(segments, str) else list(segments)
    bad = [s for s in listed if not isinstance(s, str) or not s]
    if bad or len(set(listed)) != len(listed):
        raise JourneyError(
            f"argument 'segments' must be distinct column names (strings); got {bad[0] if bad else listed!r}. "
            "Fix: pass e.g. segments=['country', 'device']."
        )
    if CONVERSION_TYPE in listed or "ended_at" in listed or "period" in listed:
        raise JourneyError(
            "argument 'segments' must not name 'conversion_type', 'ended_at' or 'period' (the library's own "
            f"attributes); got {listed!r}. Fix: rename the column, or pass it as conversion_type=."
        )
    names: dict[str, Any] = {name: name for name in listed}
    if conversion_type is not None:
        names[CONVERSION_TYPE] = conversion_type
    return names


def group_keys(attributes: Attributes | None, by: Iterable[str], *, period: str | None) -> dict[str, pd.Categorical]:
    """One categorical per key of ``by``: attribute values, or ``"period"`` computed from ``ended_at``.

    The attribute columns are the stored ones, not copies: read them, never write to them.
    """
    columns: dict[str, pd.Categorical] = {}
    known = () if attributes is None else attributes.names
    for key in by:
        if key in known:
            columns[key] = attributes._columns[key]  # type: ignore[union-attr]
        elif key == PERIOD:
            if attributes is None:
                raise JourneyError(
                    "these journeys do not record when they ended, so they cannot be grouped by period. "
                    "Fix: build them with Journeys.from_events, or give from_paths an ended_at column."
                )
            columns[key] = attributes.periods(period or "M")
        else:
            raise ParameterError(
                f"parameter 'by' names {key!r}, which is not an attribute of these journeys "
                f"(they have: {', '.join(map(repr, (*known, PERIOD))) if attributes else 'none'}). "
                "Fix: build the journeys with segments=[...] or conversion_type=..., or group by 'period'."
            )
    return columns


def _plain_values(values: Any) -> Any:
    """Values as objects (missing ones as None), so every dtype gives the same labels."""
    if isinstance(values, (pd.Series, pd.Index)) and not isinstance(values.dtype, pd.CategoricalDtype):
        as_objects = np.array(values.astype(object), dtype=object)
        as_objects[pd.isna(as_objects)] = None
        return as_objects
    return values


def _as_ns(values: npt.ArrayLike, n_rows: int, zone: str | None) -> tuple[IntArray, str | None]:
    """End times as int64 UTC nanoseconds, and their zone (given, or that of aware datetimes)."""
    if str(getattr(values, "dtype", "")) == "object" or (isinstance(values, (list, tuple)) and values):
        values = pd.to_datetime(pd.Series(np.asarray(values, dtype=object), dtype=object))
    dtype = getattr(values, "dtype", None)
    if isinstance(dtype, pd.DatetimeTZDtype):
        own = zone_name(dtype.tz)
        if zone is not None and zone_name(zone) != own:
            raise JourneyError(
                f"ended_at holds times in zone {own!r} but zone={zone!r} was given. Fix: pass one of them."
            )
        zone = own
        values = pd.DatetimeIndex(values).tz_convert("UTC").tz_localize(None)  # type: ignore[arg-type]
    elif zone is not None:
        zone = zone_name(zone)

    array = np.asarray(values)
    if np.issubdtype(array.dtype, np.datetime64):
        array = array.astype("datetime64[ns]").view(np.int64)
    if array.ndim != 1 or len(array) != n_rows or not np.issubdtype(array.dtype, np.integer):
        raise JourneyError(
            f"ended_at needs one time per row ({n_rows}) as datetimes or int64 nanoseconds; "
            f"got dtype {array.dtype}, shape {array.shape}. Fix: pass the journeys' end times."
        )
    ns = np.array(array, dtype=np.int64)
    ns.setflags(write=False)
    return ns, zone


def _union(columns: list[pd.Categorical]) -> pd.Categorical:
    """Categoricals stacked over the union of their labels (sorted when they sort)."""
    from pandas.api.types import union_categoricals

    return union_categoricals(columns, sort_categories=_sortable(columns))


def _sortable(columns: list[pd.Categorical]) -> bool:
    try:
        sorted(set().union(*(c.categories for c in columns)))
    except TypeError:
        return False
    return True


def _same_values(a: pd.Categorical, b: pd.Categorical) -> bool:
    missing = np.asarray(a.codes) < 0
    if len(a) != len(b) or not np.array_equal(missing, np.asarray(b.codes) < 0):
        return False
    return bool(np.array_equal(np.asarray(a, dtype=object)[~missing], np.asarray(b, dtype=object)[~missing]))


def require_one_goal(journeys: Any, what: str = "attributing them together") -> None:
    """Refuse journeys holding several conversion goals: their touches would count once per goal."""
    goals = journeys.conversion_types
    if len(goals) > 1:
        shown = ", ".join(map(repr, goals[:5]))
        raise JourneyError(
            f"these journeys hold {len(goals)} conversion goals ({shown}); {what} would count every touch "
            f"once per goal. Fix: group by goal (model.attribute(journeys, by='{CONVERSION_TYPE}')), or pick "
            f"one (journeys.filter({CONVERSION_TYPE}={goals[0]!r}))."
        )
