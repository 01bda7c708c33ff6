"""The ordering-and-cutting kernel every builder shares: events in, journeys out (public for engine authors).

The journey rules as array code: events are ordered by user, time, then (at equal times) tiebreak,
touches before conversions, channel and value; journeys are cut at conversions (or
accumulated, ``split_on_conversion=False``), then the lookback window and the touch cap
are applied. The pandas builder (:mod:`attribution.journeys.from_events`) reads and checks
columns into :class:`Events`; the engines hand over events they sorted themselves, and
the kernel then costs one pass (already sorted input is detected, not re-sorted).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from attribution.journeys import ragged
from attribution.journeys._parts import Parts
from attribution.journeys.attributes import Attributes
from attribution.journeys.levels import ChannelLevels
from attribution.journeys.spec import EventSpec

__all__ = ["Events", "Parts", "journeys_from_events"]

IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]

_NS_PER_SECOND = 1_000_000_000


@dataclass(frozen=True)
class Events:
    """The validated columns of an event log, as numpy arrays in input order."""

    user: IntArray  # user codes in sorted-user order
    user_labels: pd.Index
    time: IntArray  # nanoseconds
    converted: BoolArray
    channel: npt.NDArray[np.int32]  # -1 where the row has no channel
    channels: list[str]
    value: npt.NDArray[np.float64]
    tiebreak: IntArray | None
    # journey attributes read per event: codes (-1: missing) and their labels, by attribute name
    attribute_codes: dict[str, IntArray] = field(default_factory=dict)
    attribute_labels: dict[str, pd.Index] = field(default_factory=dict)
    fine_channel: npt.NDArray[np.int32] | None = None  # finest channel level per event (-1: none)
    levels: ChannelLevels | None = None
    zone: str | None = None  # the times' own time zone (calendar periods are counted in it)

    def take(self, order: IntArray) -> Events:
        return Events(
            self.user[order],
            self.user_labels,
            self.time[order],
            self.converted[order],
            self.channel[order],
            self.channels,
            self.value[order],
            None if self.tiebreak is None else self.tiebreak[order],
            {name: codes[order] for name, codes in self.attribute_codes.items()},
            self.attribute_labels,
            None if self.fine_channel is None else self.fine_channel[order],
            self.levels,
            self.zone,
        )


def journeys_from_events(events: Events, spec: EventSpec) -> Parts:
    """Order validated events (cheap when already sorted by user and time) and cut journeys.

    Shared by the pandas builder and the engines that read and sort events elsewhere; only
    ``spec``'s options are used (its columns were read already). The arrays come back as
    :class:`Parts`, ready for :meth:`Journeys.from_parts`.
    """
    order = _event_order(events)
    if order is not None:  # sorted input (from an engine) needs no copy
        # rebinding frees the unsorted columns before the journeys are cut (peak memory)
        events = events.take(order)
    del order
    if spec.drop_duplicates:
        events = events.take(np.flatnonzero(~_repeats_previous(events)))
    cut = _split_journeys if spec.split_on_conversion else _cumulative_journeys
    return _finish(events, *cut(events), window=spec.window_ns, max_touches=spec.max_touches)


# ---------------------------------------------------------------------- ordering
def _kind(events: Events) -> npt.NDArray[np.int8]:
    """0 = touch, 1 = touch that converts, 2 = conversion without a touch: the order at equal times."""
    return (events.converted.astype(np.int8) + (events.converted & (events.channel < 0))).astype(np.int8)


def _event_order(events: Events) -> IntArray | None:
    """Permutation sorting events by user, time, tiebreak, kind, channel, value (``None``: in order already).

    One int64 sort key of (user, time) when it fits, which is much faster than a
    lexicographic sort; ties on (user, time) are then ordered among themselves only.
    """
    n = len(events.user)
    if n == 0:
        return None
    relative = events.time - events.time.min()
    for unit in (60 * _NS_PER_SECOND, _NS_PER_SECOND, 1_000_000, 1_000):
        if not (relative % unit).any():
            relative //= unit  # coarser clock ticks leave room for the user in one int64
            break
    span = int(relative.max()) + 1
    n_users = int(events.user.max()) + 1
    if n_users * span < 2**62:
        key = events.user * span
        key += relative
        del relative
        order: IntArray | None = None  # already sorted, as many logs (and engines' output) are
        if not bool(np.all(key[1:] >= key[:-1])):
            order = np.argsort(key)
            key = key[order]
        tie = key[1:] == key[:-1]
        del key
    else:
        order = np.lexsort((events.time, events.user))
        u, t = events.user[order], events.time[order]
        tie = (u[1:] == u[:-1]) & (t[1:] == t[:-1])
    if tie.any():
        order = _order_ties(events, np.arange(n, dtype=np.int64) if order is None else order, tie)
    return order


def _order_ties(events: Events, order: IntArray, tie: BoolArray) -> IntArray:
    """Sort the runs of equal (user, time) by tiebreak, kind, channel, finer channel level, value
    and attributes, in place."""
    in_run = np.zeros(len(order), dtype=bool)
    in_run[1:] |= tie
    in_run[:-1] |= tie
    run_id = np.concatenate([[0], np.cumsum(~tie)])
    positions = np.flatnonzero(in_run)
    rows = order[positions]
    # journey attributes last: rows equal in every other column still have one order, whatever the engine
    keys: list[npt.NDArray[Any]] = [codes[rows] for codes in reversed(list(events.attribute_codes.values()))]
    keys.append(events.value[rows])
    if events.fine_channel is not None:  # a campaign's touches in one order, whatever the input's
        keys.append(events.fine_channel[rows])
    keys += [events.channel[rows], _kind(events)[rows]]
    if events.tiebreak is not None:
        keys.append(events.tiebreak[rows])
    keys.append(run_id[positions])
    order = order.copy()
    order[positions] = rows[np.lexsort(keys)]
    return order


def _repeats_previous(events: Events) -> BoolArray:
    """Events equal to the one before in every used column (adjacent once sorted)."""
    same = np.zeros(len(events.user), dtype=bool)
    if len(same) > 1:
        columns: list[npt.NDArray[Any]] = [events.user, events.time, events.converted, events.channel, events.value]
        if events.tiebreak is not None:
            columns.append(events.tiebreak)
        columns.extend(events.attribute_codes.values())  # equal only if their attributes are too
        same[1:] = np.logical_and.reduce([c[1:] == c[:-1] for c in columns])
    return same


# ---------------------------------------------------------------------- journeys
# Each strategy returns, for sorted events: the touch events of every journey in
# chronological order, the journey of each, and per journey its end time, whether it
# converted, its value, its user and its closing event (the conversion, or the last event).
_Plan = tuple[IntArray, IntArray, IntArray, BoolArray, npt.NDArray[np.float64], IntArray, IntArray]


def _split_journeys(events: Events) -> _Plan:
    n = len(events.user)
    if n == 0:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty, empty, np.zeros(0, dtype=bool), np.zeros(0), empty, empty
    converted = events.converted
    conversions_before: IntArray = np.cumsum(converted, dtype=np.int64) - converted
    start = np.ones(n, dtype=bool)
    start[1:] = (events.user[1:] != events.user[:-1]) | (conversions_before[1:] != conversions_before[:-1])
    journey = np.cumsum(start) - 1
    last = np.flatnonzero(np.append(start[1:], True))  # a journey's last event: its conversion if any
    closes = converted[last]
    touches = np.flatnonzero(events.channel >= 0)
    return (
        touches,
        journey[touches],
        events.time[last],
        closes,
        np.where(closes, events.value[last], 0.0),
        events.user[last],
        last,
    )


def _cumulative_journeys(events: Events) -> _Plan:
    n = len(events.user)
    is_touch = events.channel >= 0
    touch_rows = np.flatnonzero(is_touch)
    touches_through = np.cumsum(is_touch)  # touches up to and including each event
    user_start = np.flatnonzero(np.r_[True, events.user[1:] != events.user[:-1]]) if n else np.zeros(0, np.int64)
    user_of_event = np.cumsum(np.r_[True, events.user[1:] != events.user[:-1]]) - 1 if n else np.zeros(0, np.int64)
    first_touch_of_user: IntArray = touches_through[user_start] - is_touch[user_start]
    conversion_rows = np.flatnonzero(events.converted)
    user_converts = np.bincount(user_of_event[conversion_rows], minlength=len(user_start)) > 0
    never = np.flatnonzero(~user_converts)
    user_end = np.r_[user_start[1:], n] - 1
    # converting journeys: every touch of the user up to the conversion; then one per non-converter
    ends = np.concatenate([conversion_rows, user_end[never]])
    starts = np.concatenate([first_touch_of_user[user_of_event[conversion_rows]], first_touch_of_user[never]])
    order = np.argsort(ends, kind="stable")
    ends, starts = ends[order], starts[order]
    counts = touches_through[ends] - starts
    closes = events.converted[ends]
    flat = ragged.concatenated_ranges(starts, counts)
    journey = np.repeat(np.arange(len(ends), dtype=np.int64), counts)
    end_time = events.time[ends]
    # a non-converting journey ends at its last touch
    value = np.where(closes, events.value[ends], 0.0)
    return (touch_rows[flat], journey, end_time, closes, value, events.user[ends], ends)


def _finish(
    events: Events,
    touch_rows: IntArray,
    journey: IntArray,
    end_time: IntArray,
    closes: BoolArray,
    value: npt.NDArray[np.float64],
    user: IntArray,
    closing: IntArray,
    *,
    window: int | None,
    max_touches: int | None,
) -> Parts:
    n_journeys = len(end_time)
    before = end_time[journey] - events.time[touch_rows]
    keep = np.ones(len(touch_rows), dtype=bool) if window is None else before <= window
    if max_touches is not None:
        kept_journey = journey[keep]
        offsets = ragged.offsets_from_lengths(np.bincount(kept_journey, minlength=n_journeys))
        from_end = offsets[kept_journey + 1] - np.arange(len(kept_journey))
        keep[np.flatnonzero(keep)[from_end > max_touches]] = False
    row_lengths = np.bincount(journey[keep], minlength=n_journeys)
    conversions = closes.astype(np.float64)
    attributes = _journey_attributes(events, touch_rows[keep], journey[keep], closing, end_time)
    return Parts(
        events.channel[touch_rows[keep]],
        ragged.offsets_from_lengths(row_lengths),
        events.channels,
        conversions,
        1.0 - conversions,
        value,
        before[keep] / _NS_PER_SECOND,
        events.user_labels.take(user),
        attributes,
        None if events.fine_channel is None else events.fine_channel[touch_rows[keep]],
        events.levels,
    )


def _journey_attributes(
    events: Events, kept_touches: IntArray, kept_journey: IntArray, closing: IntArray, end_time: IntArray
) -> Attributes:
    """Each journey's attributes, from the event that closes it, and when it ended.

    A missing value on the closing event falls back to the latest non-missing value among
    the journey's own kept touches (chronological, so the last one found per journey wins);
    with none, the journey's value is missing (a group of its own).
    """
    columns: dict[str, pd.Categorical] = {}
    for name, codes in events.attribute_codes.items():
        chosen = codes[closing].copy()
        known = codes[kept_touches] >= 0
        rows, values = kept_journey[known], codes[kept_touches][known]
        if len(rows):  # the last known value of each journey's run of kept touches
            last_of_run = np.append(rows[1:] != rows[:-1], True)
            latest = np.full(len(closing), -1, dtype=np.int64)
            latest[rows[last_of_run]] = values[last_of_run]
            chosen = np.where(chosen >= 0, chosen, latest)
        columns[name] = pd.Categorical.from_codes(chosen, categories=events.attribute_labels[name])
    return Attributes(columns, end_time, n_rows=len(closing), zone=events.zone)
