"""Build journeys from a dask DataFrame: shuffle on user, the pandas builder per partition, merge.

A user's events must be split into journeys in one place, so the events are first
shuffled on the user column (every user's events land in one partition; skip it with
``shuffle=False`` when the partitions are already bucketed by user). Each partition then
goes through the pandas builder, in parallel on whatever scheduler is active (threads,
processes or a ``distributed`` cluster). The partitions' journeys are disjoint in users,
so they concatenate exactly; the rows are finally put in user order, which gives the very
:class:`Journeys` the pandas builder returns on the whole log.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from attribution.engines import is_dask_input
from attribution.engines._assemble import sorted_goals
from attribution.journeys import Journeys
from attribution.journeys.from_events import attribute_arguments, check_columns
from attribution.journeys.from_events import build as pandas_build
from attribution.journeys.spec import EventSpec

__all__ = ["build", "from_events_dask", "is_dask_input"]


def from_events_dask(
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
    shuffle: bool = True,
    time_format: str | None = None,
    time_unit: str | None = None,
    segments: str | Sequence[str] = (),
    conversion_type: str | None = None,
) -> Journeys:
    """Build journeys from a dask DataFrame of events; the same result as :meth:`Journeys.from_events`.

    Parameters
    ----------
    events
        A ``dask.dataframe.DataFrame`` with the named columns.
    user, time, channel, conversion, value, lookback, max_touches, split_on_conversion, tiebreak, drop_duplicates
        As in :meth:`Journeys.from_events`.
    time_format, time_unit
        As in :meth:`Journeys.from_events`.
    segments, conversion_type
        Journey attributes and conversion goals, as in :meth:`Journeys.from_events`.
    shuffle
        Shuffle on ``user`` first (default). Pass ``False`` only if every user's events
        already sit in one partition; otherwise a user split over partitions is an error.
    """
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
    )
    return build(events, spec, shuffle=shuffle)


def build(events: Any, spec: EventSpec, *, shuffle: bool = True) -> Journeys:
    """The Dask builder of the engine registry: ``from_events_dask`` with a checked :class:`EventSpec`."""
    import importlib

    dask: Any = importlib.import_module("dask")  # untyped: only its delayed and compute are used

    check_columns(list(events.columns), {**spec.columns(), **attribute_arguments(spec)})  # once, not per partition
    grouped = events.shuffle(on=spec.user) if shuffle and events.npartitions > 1 else events
    goals = None
    if spec.conversion_type is not None:  # every goal of the log: a partition may lack some
        goals = sorted_goals(list(dask.compute(events.map_partitions(_goals_of, spec, meta=(None, object)))[0]))
    tasks = [dask.delayed(_build_part)(part, spec, goals) for part in grouped.to_delayed()]
    parts: list[Journeys] = [p for p in dask.compute(*tasks) if p.n_rows]
    if not parts:
        return _build_part(grouped.head(0, npartitions=-1), spec, goals)  # the empty result, with its dtypes
    return _in_user_order(Journeys.concat(parts))


def _goals_of(part: pd.DataFrame, spec: EventSpec) -> pd.Series:
    """A partition's distinct conversion types (filtered in pandas: dask's own boolean masks of a
    cast column have lost rows' alignment in some versions)."""
    flags = part[spec.conversion].astype(bool).to_numpy()
    goals = pd.Series(np.asarray(part[spec.conversion_type].astype(object), dtype=object)[flags], dtype=object)
    return goals.dropna().drop_duplicates()


def _build_part(events: pd.DataFrame, spec: EventSpec, goals: list[Any] | None = None) -> Journeys:
    """One partition through the pandas builder (its users are in no other partition)."""
    return Journeys.from_parts(pandas_build(events, spec, goals=goals))


def _in_user_order(journeys: Journeys) -> Journeys:
    """Rows sorted by user (stable: each user's journeys keep their order in time)."""
    users = journeys.users
    if users is None or journeys.n_rows < 2:
        return journeys
    codes, _ = pd.factorize(users, sort=True)
    order = np.argsort(codes, kind="stable")
    if "conversion_type" in journeys.attribute_names:  # goal by goal, as the pandas builder stacks them
        goal_codes = np.asarray(pd.Categorical(journeys.attributes["conversion_type"]).codes)
        order = np.lexsort((np.arange(len(codes)), codes, goal_codes))
    if bool(np.all(order == np.arange(len(order)))):
        return journeys
    return journeys[order]
