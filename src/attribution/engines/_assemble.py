"""What every engine shares: turning engine output into ``Journeys``."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from attribution.errors import JourneyError
from attribution.journeys import Journeys, ragged
from attribution.journeys.rules import encode_labels
from attribution.journeys.zones import zone_name

if TYPE_CHECKING:
    from attribution.journeys.cutting import Events, Parts
    from attribution.journeys.levels import ChannelLevels
    from attribution.journeys.spec import EventSpec

__all__ = [
    "aggregate_stream",
    "assemble_aggregated",
    "assemble_lists",
    "attribute_aliases",
    "broken_rule",
    "channel_codes",
    "channel_table",
    "cut_events",
    "goal_major",
    "in_zone",
    "sorted_events",
    "sorted_goals",
    "with_period",
]


def assemble_lists(parts: list[Any], labels: list[str]) -> Journeys:
    """One Journeys from Arrow tables of journeys with list columns (``u``, ``closes``, ``value``,
    ``codes``, ``befores``; each table in user, journey order, tables in ascending user ranges)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    table = pa.concat_tables(parts) if len(parts) > 1 else parts[0]
    codes = table.column("codes").combine_chunks()
    befores = table.column("befores").combine_chunks()
    lengths = pc.fill_null(pc.list_value_length(codes), 0).to_numpy(zero_copy_only=False).astype(np.int64)
    flat_codes = codes.flatten().to_numpy(zero_copy_only=False).astype(np.int32)
    flat_before = befores.flatten().to_numpy(zero_copy_only=False).astype(np.int64)
    conversions = table.column("closes").to_numpy().astype(np.float64)
    value = table.column("value").to_numpy().astype(np.float64)
    ended = table.column("ended_ns").to_numpy().astype(np.int64)
    return Journeys(
        flat_codes,
        ragged.offsets_from_lengths(lengths),
        labels,
        conversions,
        1.0 - conversions,
        value,
        times=flat_before / 1_000_000_000,
        users=pd.Index(table.column("u").to_pandas().to_numpy()),
        ended_at=ended,
        copy=False,  # arrays made here for these journeys alone
    )


MERGE_ROWS = 250_000  # aggregated rows held before they are merged into one aggregate (bounds the merge spike)


def aggregate_stream(parts: Iterable[Journeys], time_buckets: Any = None) -> Journeys:
    """``Journeys.concat(parts).aggregate(time_buckets=...)`` (goal by goal), holding only distinct paths.

    Each part (consecutive users, in user order) is aggregated as it arrives and released;
    the aggregates are merged whenever they hold 1.5 times the rows of the last merge
    (and at least ``MERGE_ROWS``), so memory follows the distinct paths, not the events.
    Merging keeps each path's first appearance, so the rows come out in the order the whole
    log's aggregate has; the value sums may differ from it in the last bits (another order
    of additions).
    """
    held: list[Journeys] = []
    held_rows = merged_rows = 0
    for part in parts:
        aggregated = part.aggregate(time_buckets=time_buckets)
        held.append(aggregated)
        held_rows += aggregated.n_rows
        if held_rows > max(MERGE_ROWS, 1.5 * merged_rows):
            held = [_merged(held, time_buckets)]
            held_rows = merged_rows = held[0].n_rows
    return _merged(held, time_buckets, goals_first=True)


def _merged(held: list[Journeys], time_buckets: Any, *, goals_first: bool = False) -> Journeys:
    """The held aggregates as one; emptied first, so that the parts are released once stacked,
    before the merge's own temporaries (the peak of a large aggregate is here)."""
    stacked = Journeys.concat(held)
    held.clear()
    if goals_first:
        stacked = goal_major(stacked)
    return stacked.aggregate(time_buckets=time_buckets)


def assemble_aggregated(
    table: Any,
    labels: list[str],
    bucket_seconds: float | None,
    *,
    code_of: Any = None,
    first_code: int = 0,
    levels: ChannelLevels | None = None,
) -> Journeys:
    """Journeys from an Arrow table of aggregated paths: ``codes`` (list), ``conversions``, ``nulls``,
    ``value``, and with ``bucket_seconds`` the touch times' bucket numbers ``buckets`` (list).
    ``code_of``: the channel code of each engine-side code from ``first_code`` on (default: the same).
    With ``levels``, the codes are those of the finest channel level (the channels follow from them)."""
    import pyarrow.compute as pc

    codes = table.column("codes").combine_chunks()
    lengths = pc.fill_null(pc.list_value_length(codes), 0).to_numpy(zero_copy_only=False).astype(np.int64)
    times = None
    if bucket_seconds is not None:
        buckets = table.column("buckets").combine_chunks().flatten().to_numpy(zero_copy_only=False)
        times = buckets.astype(np.float64) * bucket_seconds
    flat = codes.flatten().to_numpy(zero_copy_only=False).astype(np.int32)
    if code_of is not None:
        flat = np.asarray(code_of, dtype=np.int32)[flat - first_code]
    fine = None
    if levels is not None:
        fine = flat
        flat, labels = levels.codes_at(levels.current, fine)
    return Journeys(
        flat,
        ragged.offsets_from_lengths(lengths),
        labels,
        *(table.column(name).to_numpy().astype(np.float64) for name in ("conversions", "nulls", "value")),
        times=times,
        fine_codes=fine,
        levels=levels,
        copy=False,  # arrays made here for these journeys alone
    )


def in_zone(journeys: Journeys, zone: str | None) -> Journeys:
    """``journeys`` with their end times recorded as in ``zone`` (the event times' own zone), so that
    calendar periods are counted there, as the pandas builder does."""
    attributes = journeys.attribute_set()
    if zone is None or attributes is None or attributes.ended_at is None:
        return journeys
    return journeys._with_attribute_set(attributes.in_zone(zone_name(zone)))


def with_period(journeys: Journeys, spec: EventSpec, zone: str | None = None) -> Journeys:
    """``journeys`` with their end times in ``zone`` (see :func:`in_zone`) and, with ``period=``, the
    calendar period of each journey's end as the attribute ``period``, counted in that zone."""
    journeys = in_zone(journeys, zone)
    return journeys if spec.period is None else journeys.with_period(spec.period)


def channel_codes(column: Any, position: dict[str, int]) -> Any:
    """Channel labels to codes through Arrow's dictionary encoding (no Python loop per touch); null is -1."""
    import pyarrow.compute as pc

    encoded = pc.dictionary_encode(column)
    if hasattr(encoded, "combine_chunks"):  # a ChunkedArray (table column), not a plain Array
        encoded = encoded.combine_chunks()
    remap = np.array([position[label] for label in encoded.dictionary.to_pylist()] + [-1], dtype=np.int32)
    indices = pc.fill_null(encoded.indices, len(remap) - 1).to_numpy(zero_copy_only=False)
    return remap[indices] if len(indices) else np.zeros(0, dtype=np.int32)


def sorted_events(
    user_codes: Any,
    user_labels: pd.Index,
    column: Callable[[str], Any],
    label_codes: dict[str, int],
    labels: list[str],
    has_tiebreak: bool,
) -> Any:
    """Events already sorted by user and time, from Arrow columns, as the pandas builder's arrays.

    ``column(name)`` gives the Arrow column ``t`` (ns), ``conv``, ``ch``, ``v`` or ``tb``;
    ``label_codes`` gives each raw label's code in ``labels`` (see ``channel_table``); ties in
    time are left to the builder's own rule (``journeys_from_events``).
    """
    from attribution.journeys.cutting import Events

    tiebreak_codes = None
    if has_tiebreak:
        codes, _ = pd.factorize(column("tb").to_pandas(), sort=True)
        tiebreak_codes = codes.astype(np.int64)
    return Events(
        user_codes,
        user_labels,
        column("t").to_numpy().astype(np.int64, copy=False),
        column("conv").to_numpy(zero_copy_only=False).astype(bool, copy=False),
        channel_codes(column("ch"), label_codes),
        list(labels),
        column("v").to_numpy(zero_copy_only=False).astype(np.float64, copy=False),
        tiebreak_codes,
    )


def attribute_aliases(spec: EventSpec) -> list[tuple[str, str]]:
    """(column, alias) of every journey attribute column an engine must read: ``a0``... for the
    segments, ``gt`` for the conversion type."""
    aliases = [(str(name), f"a{i}") for i, name in enumerate(spec.segments)]
    if spec.conversion_type is not None:
        aliases.append((str(spec.conversion_type), "gt"))
    aliases += [(str(name), f"l{i}") for i, name in enumerate(spec.levels)]  # finer channel levels
    return aliases


def cut_events(
    events: Events, column: Callable[[str], Any], spec: EventSpec, goals: Sequence[Any] | None = None
) -> Parts:
    """The kernel on events an engine read, with the journey attributes of ``spec``.

    ``column(alias)`` gives the Arrow column of each attribute alias (see
    :func:`attribute_aliases`), aligned with ``events``; ``goals`` are the conversion types
    of the whole log (a batch may lack some, yet its users have journeys for every goal).
    """
    from attribution.journeys.cutting import journeys_from_events
    from attribution.journeys.from_events import journeys_per_goal

    if spec.segments:
        codes: dict[str, Any] = {}
        labels: dict[str, pd.Index] = {}
        for i, name in enumerate(spec.segments):
            found, distinct = pd.factorize(pd.Series(column(f"a{i}").to_pandas()).astype(object), sort=True)
            codes[name] = np.asarray(found, dtype=np.int64)
            labels[name] = pd.Index(distinct, dtype=object)
        events = dataclasses.replace(events, attribute_codes=codes, attribute_labels=labels)
    if spec.levels:
        from attribution.journeys.levels import read_levels

        finer = [(name, pd.Series(column(f"l{i}").to_pandas())) for i, name in enumerate(spec.levels)]
        fine, levels = read_levels(list(events.channels), events.channel, finer, str(spec.channel))
        events = dataclasses.replace(events, fine_channel=fine, levels=levels)
    if spec.conversion_type is None:
        return journeys_from_events(events, spec)
    types = pd.Series(column("gt").to_pandas())
    return journeys_per_goal(events, spec, types, index=pd.RangeIndex(len(types)), goals=goals)


def goal_major(journeys: Journeys) -> Journeys:
    """Rows goal by goal (stable), as the pandas builder stacks them, when batches were built apart."""
    if "conversion_type" not in journeys.attribute_names or journeys.n_rows < 2:
        return journeys
    goal_codes = np.asarray(pd.Categorical(journeys.attributes["conversion_type"]).codes)
    order = np.argsort(goal_codes, kind="stable")
    return journeys if bool(np.all(order == np.arange(len(order)))) else journeys[order]


def sorted_goals(values: Sequence[Any]) -> list[Any]:
    """The distinct conversion types of a whole log, in the pandas builder's order."""
    return sorted({v for v in values if v is not None and v == v})


def channel_table(raw_labels: Sequence[str], channel: str) -> tuple[dict[str, int], list[str]]:
    """Each raw label's code and the channels, by the builders' one label rule (labels are
    stripped of surrounding whitespace); a label that is only whitespace is refused."""
    codes, labels = encode_labels(list(raw_labels))
    if "" in labels:
        blank = next(label for label in raw_labels if not label.strip())
        raise JourneyError(
            f"column {channel!r} must not hold empty channel labels; it holds {blank!r}. "
            "Fix: name the channel (e.g. 'Unknown'), or set it to null on pure conversions."
        )
    return {label: int(code) for label, code in zip(raw_labels, codes, strict=True)}, labels


def broken_rule(rule: str, count: int, example: Any, fix: str) -> JourneyError:
    """The error for a rule that ``count`` events break, naming an example user and the fix."""
    return JourneyError(f"{rule}; {count:,} event(s) break this, e.g. one of user {example!r}. Fix: {fix}")
