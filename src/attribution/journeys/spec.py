"""What an event log's columns are and how to cut it: one frozen :class:`EventSpec`, checked once.

Every builder — pandas, and each engine — receives the same spec, so the columns and
options are validated in one place and reach the cutting kernel unchanged.
"""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass
from typing import Any

import pandas as pd

from attribution import _checks
from attribution._durations import parse_duration
from attribution.errors import JourneyError
from attribution.journeys._messages import bad_argument
from attribution.journeys._times import check_time_options
from attribution.journeys.attributes import PERIOD_RULE, attribute_columns

__all__ = ["EventSpec"]


@dataclass(frozen=True)
class EventSpec:
    """The columns and options of :meth:`Journeys.from_events`, validated when created.

    Parameters are those of :meth:`Journeys.from_events`; ``lookback`` is kept as a
    ``pandas.Timedelta`` (or ``None``). Column names may be any hashable label.

    Examples
    --------
    >>> spec = EventSpec(user="user", time="time", channel="channel", conversion="converted", lookback="30D")
    >>> spec.window_ns, spec.columns()["value"]
    (2592000000000000, None)
    >>> EventSpec(user="u", time="t", channel="c", conversion="x", max_touches=0)
    Traceback (most recent call last):
    ...
    attribution.errors.JourneyError: argument 'max_touches' must be an integer >= 1; got 0. Fix: pass how many of the most recent touches to keep, e.g. 20.
    """

    user: Hashable
    time: Hashable
    channel: Hashable
    conversion: Hashable
    value: Hashable | None = None
    lookback: Any = None
    max_touches: int | None = None
    split_on_conversion: bool = True
    tiebreak: Hashable | None = None
    drop_duplicates: bool = False
    time_format: str | None = None
    time_unit: str | None = None
    segments: tuple[str, ...] = ()
    conversion_type: Hashable | None = None
    levels: tuple[str, ...] = ()  # finer channel levels (columns), below ``channel``
    aggregate: bool = False  # one row per distinct path and attributes (see Journeys.aggregate)
    time_buckets: Any = None  # with aggregate: touch times kept, rounded to this duration
    period: str | None = None  # the calendar period of each journey's end, kept as the attribute "period"

    def __post_init__(self) -> None:
        if isinstance(self.channel, (list, tuple)):  # channel=["channel", "campaign"]: levels, coarse to fine
            given = list(self.channel)
            if not given or len(set(map(str, given))) != len(given):
                raise JourneyError(
                    f"argument 'channel' must name one column, or distinct columns coarse to fine; got {given!r}. "
                    "Fix: pass e.g. channel=['channel', 'campaign']."
                )
            object.__setattr__(self, "channel", given[0])
            object.__setattr__(self, "levels", tuple(str(c) for c in given[1:]))
        for name in ("user", "time", "channel", "conversion"):
            if getattr(self, name) is None:
                raise JourneyError(f"argument {name!r} must name a column; got None. Fix: pass {name}='column name'.")
        if self.lookback is not None:  # a Timedelta too: checked positive and within range
            object.__setattr__(self, "lookback", parse_duration(self.lookback, "lookback"))
        if self.max_touches is not None:
            _checks.integer(
                self.max_touches,
                "max_touches",
                error=JourneyError,
                kind="argument",
                fix="pass how many of the most recent touches to keep, e.g. 20.",
            )
            object.__setattr__(self, "max_touches", int(self.max_touches))
        if self.time_buckets is not None:
            object.__setattr__(self, "time_buckets", parse_duration(self.time_buckets, "time_buckets"))
            if self.aggregate is not True:
                raise JourneyError(
                    "argument 'time_buckets' applies only with aggregate=True (it rounds the touch times that "
                    "aggregated journeys keep). Fix: pass aggregate=True, or drop time_buckets."
                )
        for name in ("split_on_conversion", "drop_duplicates", "aggregate"):
            _checks.boolean(getattr(self, name), name, error=JourneyError, kind="argument")
            object.__setattr__(self, name, bool(getattr(self, name)))
        check_time_options(self.time_format, self.time_unit)
        attribute_columns(self.segments, None)  # checked: distinct names, none of the library's own
        object.__setattr__(
            self, "segments", (self.segments,) if isinstance(self.segments, str) else tuple(self.segments)
        )
        if self.period is not None:
            _check_period(self.period)

    @property
    def period_freq(self) -> str | None:
        """``period`` as pandas spells its periods' frequency (``"M"``, ``"W-SUN"``, ``"Q-DEC"``...)."""
        return None if self.period is None else str(pd.Period("2024-01-01", freq=self.period).freqstr)

    def attribute_columns(self) -> dict[str, Hashable]:
        """Journey attribute name to the column it is read from (segments, then ``conversion_type``)."""
        names: dict[str, Hashable] = {name: name for name in self.segments}
        if self.conversion_type is not None:
            names["conversion_type"] = self.conversion_type
        return names

    @property
    def window_ns(self) -> int | None:
        """The lookback window in nanoseconds (``None``: no window)."""
        return None if self.lookback is None else int(self.lookback.value)

    def columns(self) -> dict[str, Hashable | None]:
        """The columns by the argument that names them (``None``: not used)."""
        return {
            "user": self.user,
            "time": self.time,
            "channel": self.channel,
            "conversion": self.conversion,
            "value": self.value,
            "tiebreak": self.tiebreak,
        }


def _check_period(period: Any) -> None:
    """``period`` must be a pandas period frequency (no segment takes its attribute's name: the
    segments' own check refuses that name)."""
    fix = "pass a pandas period frequency, e.g. period='M' (months), 'W', 'Q' or 'D'."
    if not isinstance(period, str):
        raise bad_argument("period", "must be a pandas period frequency (a string)", period, fix)
    try:
        pd.Period("2024-01-01", freq=period)
    except (ValueError, TypeError, AttributeError):
        raise bad_argument("period", PERIOD_RULE, period, fix) from None
