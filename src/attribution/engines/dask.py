"""Build journeys from a dask DataFrame: shuffle on user, the pandas builder per partition, merge.

A user's events must be split into journeys in one place, so the events are first
shuffled on the user column (every user's events land in one partition; skip it with
``shuffle=False`` when the partitions are already bucketed by user). Each partition then
goes through the pandas builder, in parallel on whatever scheduler is active (threads,
processes or a ``distributed`` cluster). The partitions' journeys are disjoint in users,
so they concatenate exactly; the rows are finally put in user order, which gives the very
:class:`Journeys` the pandas builder returns on the whole log. With ``aggregate=True`` each
partition is aggregated on its worker and the aggregates merged there (up to eight at a time), so only
the distinct paths reach the client.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from attribution.engines import is_dask_input
from attribution.engines._assemble import sorted_goals, with_period
from attribution.journeys import Journeys
from attribution.journeys.from_events import attribute_arguments, check_columns
from attribution.journeys.from_events import build as pandas_build
from attribution.journeys.spec import EventSpec
from attribution.journeys.transforms import aggregate_with_first_rows

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
    aggregate: bool = False,
    time_buckets: str | pd.Timedelta | float | None = None,
    period: str | None = None,
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
    aggregate, time_buckets, period
        As in :meth:`Journeys.from_events`: each partition is cut and aggregated on its
        worker (its periods counted first) and the aggregates merged on the workers, up to
        ``MERGE_FAN_IN`` at a time, so only the distinct paths reach the client.
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
        aggregate=aggregate,
        time_buckets=time_buckets,
        period=period,
    )
    return build(events, spec, shuffle=shuffle)


def build(events: Any, spec: EventSpec, *, shuffle: bool = True) -> Journeys:
    """The Dask builder of the engine registry: ``from_events_dask`` with a checked :class:`EventSpec`."""
    import importlib

    dask: Any = importlib.import_module("dask")  # untyped: only its delayed and compute are used

    named = {**spec.columns(), **attribute_arguments(spec)}
    check_columns(list(events.columns), named)  # once, not per partition
    used = list(dict.fromkeys(c for c in named.values() if c is not None))
    if len(used) < len(events.columns):  # only the columns the journeys need travel in the shuffle
        events = events[used]
    grouped = events.shuffle(on=spec.user) if shuffle and events.npartitions > 1 else events
    goals = None
    if spec.conversion_type is not None:  # every goal of the log: a partition may lack some
        goals = sorted_goals(list(dask.compute(events.map_partitions(_goals_of, spec, meta=(None, object)))[0]))
    if spec.aggregate:
        return _aggregated(dask, grouped, spec, goals)
    tasks = [dask.delayed(_build_part)(part, spec, goals) for part in grouped.to_delayed()]
    parts: list[Journeys] = [p for p in dask.compute(*tasks) if p.n_rows]
    if not parts:
        parts = [_build_part(grouped.head(0, npartitions=-1), spec, goals)]  # the empty result, with its dtypes
    return with_period(_in_user_order(Journeys.concat(parts)), spec)


MERGE_FAN_IN = 8  # aggregates merged at once: fewer levels, each row re-aggregated fewer times


def _aggregated(dask: Any, grouped: Any, spec: EventSpec, goals: list[Any] | None) -> Journeys:
    """Every partition cut and aggregated on its worker, the aggregates merged on the workers too
    (a tree, up to ``MERGE_FAN_IN`` at a time), so only the one aggregate of distinct paths
    reaches this process."""
    layer = [dask.delayed(_aggregate_part)(part, spec, goals) for part in grouped.to_delayed()]
    while len(layer) > 1:
        # as many groups as a fan-in needs, of even sizes, so a level's merges take about as long
        n_groups = -(-len(layer) // MERGE_FAN_IN)
        groups = [layer[i::n_groups] for i in range(n_groups)]
        layer = [dask.delayed(_merge)(group, spec.time_buckets) if len(group) > 1 else group[0] for group in groups]
    journeys, _, _ = dask.compute(layer[0])[0]
    result: Journeys = journeys
    return result


# an aggregate on its way through the tree: the journeys, and each row's first (user, journey number)
Keyed = tuple[Journeys, np.ndarray, np.ndarray]


def _aggregate_part(events: pd.DataFrame, spec: EventSpec, goals: list[Any] | None) -> Keyed:
    """One partition's journeys aggregated, each row keyed by where it first appeared: its user and
    the number of the journey within that user's (and goal's) journeys."""
    journeys = with_period(_build_part(events, spec, goals), spec)  # periods counted before end times are dropped
    users = journeys.users if journeys.users is not None else pd.Index([])
    user_codes, _ = pd.factorize(users)
    run = np.ones(journeys.n_rows, dtype=bool)  # rows come user by user (goal by goal)
    goal = _goal_codes(journeys)
    run[1:] = (user_codes[1:] != user_codes[:-1]) | (goal[1:] != goal[:-1])
    starts = np.flatnonzero(run)
    number = np.arange(journeys.n_rows) - np.repeat(starts, np.diff(np.append(starts, journeys.n_rows)))
    aggregated, first = aggregate_with_first_rows(journeys, spec.time_buckets)
    return aggregated, np.asarray(users)[first], number[first]


def _merge(parts: Sequence[Keyed], time_buckets: Any) -> Keyed:
    """Aggregates as one, rows ordered by goal, then first user, then journey number: the order
    of first appearance in the whole log."""
    journeys = Journeys.concat([part[0] for part in parts])
    users = np.concatenate([part[1] for part in parts])
    numbers = np.concatenate([part[2] for part in parts])
    user_rank, _ = pd.factorize(users, sort=True)
    order = np.lexsort((numbers, user_rank, _goal_codes(journeys)))
    aggregated, first = aggregate_with_first_rows(journeys[order], time_buckets)
    return aggregated, users[order][first], numbers[order][first]


def _goal_codes(journeys: Journeys) -> np.ndarray:
    """Each row's goal in the pandas builder's goal order (all 0 without goals)."""
    if "conversion_type" not in journeys.attribute_names:
        return np.zeros(journeys.n_rows, dtype=np.int64)
    return np.asarray(pd.Categorical(journeys.attributes["conversion_type"]).codes, dtype=np.int64)


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
