"""Build journeys inside Spark from a ``pyspark.sql.DataFrame`` (DataFrame API only).

No Python UDFs and no RDDs, so it runs on Spark Connect and Databricks. By default one
shuffle gathers each user's events with ``sort_array(collect_list(struct(time, ...)))``
(``collect_list`` alone keeps no order after a shuffle); the lists come back through
Arrow and the journeys are cut by the pandas builder's own vectorised code, so the
result is the same :class:`Journeys` by construction. ``method="window"`` does the cutting
in Spark instead: events ranked per user with a window (time, then ``tiebreak``, then
touches before conversions, then channel label, then value — the pandas builder's order),
cut at conversions with a running count, windowed and capped, each journey's touches
gathered the same way; only the journeys come back. With ``aggregate=True`` the journeys are
cut and aggregated in Spark — each user's events gathered as numbers, cut at conversions
with array functions, grouped by path — and only the distinct paths come back.

Spark timestamps have microsecond resolution, so touch times (and the lookback window)
are measured in whole microseconds; events logged at finer resolution may order or
window differently than in pandas.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import Any

import numpy as np
import pandas as pd

from attribution.engines import is_spark_input
from attribution.engines._assemble import (
    assemble_aggregated,
    assemble_lists,
    attribute_aliases,
    broken_rule,
    channel_table,
    cut_events,
    goal_major,
    sorted_events,
    sorted_goals,
    with_period,
)
from attribution.errors import JourneyError
from attribution.journeys import Journeys, ragged
from attribution.journeys.from_events import attribute_arguments, check_columns
from attribution.journeys.levels import ChannelLevels, read_levels
from attribution.journeys.rules import TIME_UNITS, Columns, event_rules
from attribution.journeys.rules import argument_error as _argument_error
from attribution.journeys.spec import EventSpec
from attribution.journeys.zones import OFFSET_PATTERN, offsets_zone

__all__ = ["build", "from_events_spark", "is_spark_input"]

EVENTS_PER_SLICE = 2_000_000  # events cut into journeys at a time on the driver


def from_events_spark(
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
    method: str = "collect",
    time_format: str | None = None,
    time_unit: str | None = None,
    segments: str | Sequence[str] = (),
    conversion_type: str | None = None,
    aggregate: bool = False,
    time_buckets: str | pd.Timedelta | float | None = None,
    period: str | None = None,
) -> Journeys:
    """Build journeys from a Spark DataFrame of events; the same result as :meth:`Journeys.from_events`.

    Parameters
    ----------
    events
        A ``pyspark.sql.DataFrame`` with the named columns; ``time`` a timestamp column.
    user, time, channel, conversion, value, lookback, max_touches, split_on_conversion, tiebreak, drop_duplicates
        As in :meth:`Journeys.from_events`.
    time_unit
        The unit of epoch-number times (``"s"``, ``"ms"``, ``"us"``, ``"ns"``), as in
        :meth:`Journeys.from_events`. String times must be ISO 8601; ``time_format`` is not
        supported here (Spark's datetime patterns differ from strftime): convert such a
        column first with ``F.to_timestamp(col, "dd/MM/yyyy HH:mm")``.
    segments, conversion_type
        Journey attributes and conversion goals, as in :meth:`Journeys.from_events`
        (``method="collect"``, or ``aggregate=True``).
    aggregate, time_buckets, period
        As in :meth:`Journeys.from_events`: the journeys are cut and aggregated in Spark
        (one shuffle gathers each user's events as numbers, array functions cut them, the
        journeys are grouped by path, segments and goal), and only the distinct paths come
        back. With channel levels, paths are told apart at the finest level; ``period``
        is counted in Spark for ``"D"``, ``"W"``, ``"M"``, ``"Q"`` and ``"Y"``. The
        aggregated rows come back in ``spark.sql.shuffle.partitions`` pieces, so that no
        single result partition burdens the driver's JVM.
    method
        ``"collect"`` (default): one shuffle gathers each user's events, time-sorted, with
        ``sort_array(collect_list(struct(...)))``; they come back through Arrow and the
        journeys are cut by the pandas builder's own vectorised code. ``"window"``:
        everything runs in Spark (window ranks, a running count of conversions, a join to
        each journey's end, per-journey lists) and only the journeys come back — more
        Spark stages, less data to the driver. Both give the same journeys.
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
    return build(events, spec, method=method)


def build(events: Any, spec: EventSpec, *, method: str = "collect") -> Journeys:
    """The Spark builder of the engine registry: ``from_events_spark`` with a checked :class:`EventSpec`."""
    from pyspark.sql import functions as F
    from pyspark.sql.types import StringType, TimestampType

    if method not in ("collect", "window"):
        raise _argument_error("method", "must be 'collect' or 'window'", method, "pass method='collect' (default).")
    if spec.time_format is not None:
        raise JourneyError(
            "argument 'time_format' is not supported by the Spark builder: Spark's datetime patterns differ from "
            f"strftime. Fix: convert the column first, e.g. F.to_timestamp(F.col({spec.time!r}), 'dd/MM/yyyy HH:mm'), "
            "and drop time_format."
        )
    attributes = attribute_aliases(spec)
    check_columns([str(c) for c in events.columns], {**spec.columns(), **attribute_arguments(spec)})
    if spec.aggregate:
        _period_unit(spec)  # a period Spark cannot count is refused before any Spark job
    if attributes and method != "collect" and not spec.aggregate:
        raise _argument_error(
            "method",
            "must be 'collect' for journeys with segments, a conversion_type or channel levels",
            method,
            "pass method='collect' (default): the window method does not carry journey attributes yet.",
        )
    user, time, channel = str(spec.user), str(spec.time), str(spec.channel)
    value, tiebreak = spec.value, spec.tiebreak
    time_micros, time_rules = _time_micros(events.schema[time].dataType, time, spec.time_unit)
    ev = events.select(
        F.col(user).alias("u"),
        F.col(time).alias("ts"),
        F.col(str(spec.conversion)).alias("flag"),
        F.col(channel).cast("string").alias("ch"),
        (F.col(str(value)).cast("double") if value is not None else F.lit(None).cast("double")).alias("v"),
        (F.col(str(value)) if value is not None else F.lit(None)).alias("vr"),  # as given: the numeric rule
        (F.col(str(tiebreak)) if tiebreak is not None else F.lit(None).cast("long")).alias("tb"),  # typed for Arrow
        *(F.col(column).alias(alias) for column, alias in attributes),
    )
    raw_labels, level_rows = _validate(ev, spec, time_rules=time_rules)
    label_codes, labels = channel_table(raw_labels, channel)
    zone = None  # the times' own zone, in which calendar periods are counted (as in pandas)
    if isinstance(events.schema[time].dataType, StringType) and spec.time_unit is None:
        zone = _check_zones(ev, time)
    elif isinstance(events.schema[time].dataType, TimestampType):  # instants, shown in the session's zone
        zone = events.sparkSession.conf.get("spark.sql.session.timeZone")
    ev = ev.select(
        "u",
        (time_micros * 1000).alias("t"),
        F.col("flag").cast("boolean").alias("conv"),
        "ch",
        F.when(F.col("flag").cast("boolean"), F.coalesce(F.col("v"), F.lit(0.0))).otherwise(F.lit(0.0)).alias("v"),
        "tb",
        *(alias for _, alias in attributes),
    )
    if spec.drop_duplicates:
        ev = ev.dropDuplicates()
    if spec.aggregate:  # cut and aggregated in Spark: only the distinct paths come back
        return _aggregate_in_spark(ev, spec, label_codes, labels, level_rows, zone)
    if method == "collect":
        events_by_user = ev.groupBy("u").agg(
            F.sort_array(
                F.collect_list(F.struct("t", "conv", "ch", "v", "tb", *(alias for _, alias in attributes)))
            ).alias("e")
        )
        table = _to_arrow(events_by_user)
        if table.num_rows:
            table = table.sort_by([("u", "ascending")])
        kernel = replace(spec, drop_duplicates=False)  # already dropped in Spark
        goals = None
        if spec.conversion_type is not None:  # every goal of the log: a slice of users may lack some
            goals = sorted_goals([row[0] for row in ev.where("conv").select("gt").distinct().collect()])
        # cut in slices of users so the builder's temporaries stay small next to the lists
        stacked = Journeys.concat(
            Journeys.from_parts(cut_events(*_events_from_lists(piece, label_codes, labels, tiebreak), kernel, goals))
            for piece in _user_slices(table)
        )
        return with_period(goal_major(stacked), spec, zone)
    journeys = _journeys(ev, label_codes, spec.window_ns, spec.max_touches, spec.split_on_conversion)
    table = _to_arrow(journeys)
    # ordered on the driver: a global orderBy in Spark would run the whole plan twice (its range
    # partitioner samples the data first), and the journeys are few next to the events
    if table.num_rows:
        table = table.sort_by([("u", "ascending"), ("j", "ascending")])
    return with_period(assemble_lists([table], labels), spec, zone)


def _user_slices(table: Any) -> list[Any]:
    """Consecutive slices of a user-sorted table of event lists, about ``EVENTS_PER_SLICE`` events each."""
    import pyarrow.compute as pc

    if table.num_rows == 0:
        return [table]
    counts = pc.list_value_length(table.column("e")).to_numpy(zero_copy_only=False)
    chunks = ragged.row_chunks(ragged.offsets_from_lengths(counts), EVENTS_PER_SLICE)
    return [table.slice(lo, hi - lo) for lo, hi in chunks]


def _events_from_lists(table: Any, label_codes: dict[str, int], labels: list[str], tiebreak: Any) -> tuple[Any, Any]:
    """Per-user lists of time-sorted events (Arrow, users in order) as the pandas builder's arrays,
    and the accessor of their columns (for the journey attributes)."""
    import pyarrow.compute as pc

    lists = table.column("e").combine_chunks()
    counts = pc.list_value_length(lists).to_numpy(zero_copy_only=False).astype(np.int64)
    flat = lists.flatten()
    user_codes = np.repeat(np.arange(len(counts), dtype=np.int64), counts)
    user_labels = pd.Index(table.column("u").to_pandas().to_numpy())
    events = sorted_events(user_codes, user_labels, flat.field, label_codes, labels, tiebreak is not None)
    return events, flat.field


def _journeys(
    ev: Any, label_codes: dict[str, int], window: int | None, max_touches: int | None, split_on_conversion: bool
) -> Any:
    """One row per journey: u, j, closes, value, codes (array), befores (array, ns), ended_ns."""
    from pyspark.sql import Window
    from pyspark.sql import functions as F

    kind = F.when(F.col("conv") & F.col("ch").isNull(), 2).when(F.col("conv"), 1).otherwise(0)
    raw = list(label_codes)
    code = (
        F.element_at(
            F.array(*[F.lit(label_codes[label]) for label in raw]),
            F.array_position(F.array(*map(F.lit, raw)), F.col("ch")).cast("int"),
        )
        if raw
        else F.lit(-1)
    )
    ordered = Window.partitionBy("u").orderBy(
        "t", F.col("tb").asc_nulls_first(), kind, F.col("ch").asc_nulls_first(), "v"
    )
    ranked = ev.withColumn("s", F.row_number().over(ordered)).withColumn("code", code.cast("int"))
    if split_on_conversion:
        before = Window.partitionBy("u").orderBy("s").rowsBetween(Window.unboundedPreceding, -1)
        cut = ranked.withColumn("jid", F.coalesce(F.sum(F.col("conv").cast("int")).over(before), F.lit(0)))
        ends = cut.groupBy("u", "jid").agg(
            F.max("s").alias("j"),
            F.max_by("t", "s").alias("end_t"),
            F.max_by("conv", "s").alias("closes"),
            F.max_by("v", "s").alias("ev"),
        )
        touches = (
            cut.where(F.col("ch").isNotNull())
            .join(ends, ["u", "jid"])
            .select("u", "j", "s", "code", (F.col("end_t") - F.col("t")).alias("before_ns"))
        )
    else:
        converting = ranked.where("conv").select("u").distinct()
        conversion_ends = ranked.where("conv").select(
            "u", F.col("s").alias("j"), F.col("t").alias("end_t"), F.lit(True).alias("closes"), F.col("v").alias("ev")
        )
        never = (
            ranked.join(converting, "u", "left_anti")
            .groupBy("u")
            .agg(
                F.max("s").alias("j"),
                F.max_by("t", "s").alias("end_t"),
                F.lit(False).alias("closes"),
                F.lit(0.0).alias("ev"),
            )
        )
        ends = conversion_ends.unionByName(never)
        touch_rows = ranked.where(F.col("ch").isNotNull()).select("u", "s", "code", "t")
        touches = touch_rows.join(ends, (touch_rows["u"] == ends["u"]) & (touch_rows["s"] <= ends["j"])).select(
            touch_rows["u"], ends["j"], touch_rows["s"], "code", (F.col("end_t") - F.col("t")).alias("before_ns")
        )
    if window is not None:
        touches = touches.where(F.col("before_ns") <= F.lit(window))
    if max_touches is not None:
        latest = Window.partitionBy("u", "j").orderBy(F.col("s").desc())
        touches = touches.withColumn("recent", F.row_number().over(latest)).where(F.col("recent") <= max_touches)
    lists = touches.groupBy("u", "j").agg(
        F.sort_array(F.collect_list(F.struct("s", "code", "before_ns"))).alias("items")
    )
    return ends.join(lists, ["u", "j"], "left").select(
        "u",
        "j",
        "closes",
        F.when(F.col("closes"), F.col("ev")).otherwise(F.lit(0.0)).alias("value"),
        F.col("items.code").alias("codes"),
        F.col("items.before_ns").alias("befores"),
        F.col("end_t").alias("ended_ns"),
    )


def _aggregate_in_spark(
    ev: Any,
    spec: EventSpec,
    label_codes: dict[str, int],
    labels: list[str],
    level_rows: list[tuple[Any, ...]],
    zone: str | None,
) -> Journeys:
    """Journeys cut and aggregated in Spark, with their segments, goals, channel levels and period
    (counted in ``zone``, the times' own); only distinct rows come back."""
    from pyspark.sql import functions as F

    levels = None
    if spec.levels:  # each touch's finest label, numbered on the driver from the few distinct label rows
        ev, levels = _with_fine_codes(ev, spec, label_codes, labels, level_rows)

    step = None if spec.time_buckets is None else spec.time_buckets.total_seconds()
    segments = [f"a{i}" for i in range(len(spec.segments))]
    goals: list[Any] = []
    if spec.conversion_type is not None:  # every type is its own goal, its journeys cut as if only it converted
        found = ev.agg(
            F.count(F.when(F.col("conv") & F.col("gt").isNull(), 1)).alias("n"),
            F.min(F.when(F.col("conv") & F.col("gt").isNull(), F.col("u").cast("string"))).alias("example"),
            F.collect_set(F.when(F.col("conv"), F.col("gt"))).alias("goals"),
        ).collect()[0]
        if found["n"]:
            raise broken_rule(
                f"column {spec.conversion_type!r} (conversion_type) must name the type of every conversion",
                found["n"],
                found["example"],
                "fill in the type (e.g. 'purchase'), or drop those conversions.",
            )
        goals = sorted_goals(found["goals"] or [])
        from pyspark.sql.types import LongType, StructField, StructType

        # the goals in the type of the column itself: numeric types compare as numbers, not as text
        schema = StructType([StructField("g", LongType()), StructField("goal", ev.schema["gt"].dataType)])
        chosen = ev.sparkSession.createDataFrame(list(enumerate(goals)), schema)
        converting = F.col("conv") & (F.col("gt") == F.col("goal"))
        ev = (
            ev.crossJoin(F.broadcast(chosen))
            .where(~F.col("conv") | converting | F.col("ch").isNotNull())  # another goal's bare conversion: gone
            .withColumn("v", F.when(converting, F.col("v")).otherwise(F.lit(0.0)))
            .withColumn("conv", converting)
        )
    journeys = _journeys_by_arrays(
        ev,
        _label_code(label_codes),
        spec.window_ns,
        spec.max_touches,
        spec.split_on_conversion,
        tiebreak=spec.tiebreak is not None,
        times=step is not None,
        segments=segments,
        goals=spec.conversion_type is not None,
        fine=levels is not None,
        end_times=spec.period is not None,
    )
    period = None if spec.period is None else _period_start(_period_unit(spec), zone)
    aggregated = _aggregated(journeys, step, segments, goals=spec.conversion_type is not None, period=period)
    table = _to_arrow(_in_small_pieces(aggregated))
    if table.num_rows:
        table = table.sort_by([("first_g", "ascending"), ("first_u", "ascending"), ("first_j", "ascending")])
    result = assemble_aggregated(table, labels, step, levels=levels)
    columns: dict[str, Any] = {
        name: np.asarray(table.column(alias).to_pylist(), dtype=object)
        for name, alias in zip(spec.segments, segments, strict=True)
    }
    if spec.conversion_type is not None:
        columns["conversion_type"] = np.asarray(goals, dtype=object)[table.column("first_g").to_numpy()]
    if spec.period is not None:  # each period's first day, as pandas' periods of that frequency
        days = table.column("p").to_numpy(zero_copy_only=False).astype(np.int64)
        columns["period"] = pd.Categorical(pd.to_datetime(days, unit="D").to_period(spec.period_freq))
    return result.with_attributes(**columns) if columns else result


# pandas' period frequencies Spark counts in place: a period of each is a run of whole days
_SPARK_PERIODS = {"D": "day", "W-SUN": "week", "M": "month", "Q-DEC": "quarter", "Y-DEC": "year", "A-DEC": "year"}


def _period_unit(spec: EventSpec) -> str | None:
    """The Spark unit of ``period=`` (``None`` without one); one Spark cannot count is refused."""
    if spec.period_freq is None:
        return None
    unit = _SPARK_PERIODS.get(spec.period_freq)
    if unit is None:
        raise _argument_error(
            "period",
            "must be 'D', 'W', 'M', 'Q' or 'Y' for journeys aggregated in Spark",
            spec.period,
            "compute the period in Spark and pass its column as a segment, or build without aggregate and call "
            ".with_period(...).aggregate().",
        )
    return unit


def _period_start(unit: str | None, zone: str | None) -> Any:
    """The first day (days since 1970-01-01) of the period holding each journey's end (column
    ``end``, ns), on the calendar of ``zone`` (``None``: the times are wall-clock times).

    Whole-number arithmetic on wall-clock dates, so Spark's session zone plays no part."""
    from pyspark.sql import functions as F

    wall = F.expr("timestampadd(MICROSECOND, `end` div 1000, TIMESTAMP_NTZ'1970-01-01 00:00:00')")
    if zone is not None and zone != "UTC":
        wall = F.convert_timezone(F.lit("UTC"), F.lit(zone), wall)
    day = wall.cast("date")
    starts = {
        "day": day,
        "week": F.date_sub(day, (F.dayofweek(day) + 5) % 7),  # back to Monday (dayofweek: Sunday is 1)
        "month": F.trunc(day, "month"),
        "quarter": F.trunc(day, "quarter"),
        "year": F.trunc(day, "year"),
    }
    return F.datediff(starts[str(unit)], F.lit("1970-01-01").cast("date"))


def _with_fine_codes(
    ev: Any, spec: EventSpec, label_codes: dict[str, int], labels: list[str], level_rows: list[tuple[Any, ...]]
) -> tuple[Any, ChannelLevels]:
    """The events with each touch's finest-level code (column ``fine``), and the hierarchy.

    The hierarchy is read by the pandas builder's own rule (a missing finer label takes the one
    above; each label under one parent) from the distinct (channel, level...) rows of the log,
    which are few; each event finds its code by a broadcast join on them (nulls equal to nulls).
    """
    from pyspark.sql import functions as F
    from pyspark.sql.types import IntegerType, StructField, StructType

    rows = sorted(level_rows, key=repr)  # one order, whatever Spark's: the same error for the same log
    coarse = np.array([label_codes[row[0]] for row in rows], dtype=np.int32)
    finer = [(name, pd.Series([row[i + 1] for row in rows], dtype=object)) for i, name in enumerate(spec.levels)]
    fine_codes, levels = read_levels(labels, coarse, finer, str(spec.channel))
    names = ["ch", *(f"l{i}" for i in range(len(spec.levels)))]
    schema = StructType(
        [StructField(f"k_{name}", ev.schema[name].dataType) for name in names] + [StructField("fine", IntegerType())]
    )
    table = ev.sparkSession.createDataFrame(
        [(*row, int(code)) for row, code in zip(rows, fine_codes, strict=True)], schema
    )
    same = F.col("ch") == F.col("k_ch")
    for name in names[1:]:
        same = same & F.col(name).eqNullSafe(F.col(f"k_{name}"))
    joined = ev.join(F.broadcast(table), same, "left").drop(*(f"k_{name}" for name in names))
    return joined, levels


def _in_small_pieces(frame: Any) -> Any:
    """``frame`` spread over as many partitions as a shuffle makes (``spark.sql.shuffle.partitions``),
    by a hash of where each row first appeared: each partition of a result reaches the driver's
    JVM whole, and adaptive execution would otherwise merge them into a few large ones (four of
    64 MB for 2.9M aggregated rows, which ran a 1 GB driver heap out)."""
    setting = str(frame.sparkSession.conf.get("spark.sql.shuffle.partitions", "200"))
    pieces = int(setting) if setting.isdigit() else 200  # Databricks may say "auto"
    return frame.repartition(max(pieces, 1), "first_u", "first_j")


def _label_code(label_codes: dict[str, int]) -> Any:
    """Each event's channel code from its raw label (null without a channel), as a Spark expression."""
    from pyspark.sql import functions as F

    raw = list(label_codes)
    if not raw:
        return F.lit(None).cast("int")
    position = F.array_position(F.array(*map(F.lit, raw)), F.col("ch")).cast("int")
    code = F.element_at(F.array(*[F.lit(label_codes[label]) for label in raw]), position)
    return F.when(F.col("ch").isNotNull(), code).cast("int")  # a null label is no position


def _journeys_by_arrays(
    ev: Any,
    code: Any,
    window: int | None,
    max_touches: int | None,
    split_on_conversion: bool,
    *,
    tiebreak: bool,
    times: bool,
    segments: Sequence[str] = (),
    goals: bool = False,
    fine: bool = False,
    end_times: bool = False,
) -> Any:
    """One row per journey (g, u, j, closes, value, codes, befores, segments), cut with array
    functions: one shuffle gathers each user's events (per goal ``g``), sorted in the builder's
    order (time, ``tiebreak``, touches before conversions, channel, value, segments), and each
    user's array is cut at its conversions by slicing — no window, no join, no Python UDF. With
    ``fine``, the events' column ``fine`` (finest channel level) orders ties after the channel and
    makes the ``codes``. With ``end_times``, each journey's end time ``end`` (ns) too."""
    from pyspark.sql import functions as F

    kind = F.when(F.col("conv") & F.col("ch").isNull(), 2).when(F.col("conv"), 1).otherwise(0)
    # numbers (and the segments) only, in the order events sort by
    fields = [
        F.col("t"),
        *([F.col("tb")] if tiebreak else []),
        kind.alias("kind"),
        code.alias("code"),
        *([F.col("fine")] if fine else []),
        F.col("v"),
        *(F.col(a) for a in segments),
    ]
    # a constant goal column in the key would cost a third more time: one goal is added after the shuffle
    by = ["g", "u"] if goals else ["u"]
    users = ev.groupBy(*by).agg(F.sort_array(F.collect_list(F.struct(*fields))).alias("e"))
    if not goals:
        users = users.withColumn("g", F.lit(0).cast("long"))  # constant: left out of the grouping below
    n = F.size("e")
    closing = F.filter(F.sequence(F.lit(1), n), lambda i: F.element_at("e", i)["kind"] > 0)  # conversion positions
    m = F.size(closing)
    if split_on_conversion:  # journey k: after the (k-1)-th conversion up to the k-th; then the rest, if any
        starts = F.transform(
            F.sequence(F.lit(0), m), lambda k: F.when(k == 0, 1).otherwise(F.element_at(closing, k) + 1)
        )
        ends = F.concat(closing, F.array(n))
        bounds = F.filter(
            F.arrays_zip(starts.alias("a"), ends.alias("b")), lambda x: x["a"] <= x["b"]
        )  # a trailing empty part is no journey
    else:  # every conversion closes a journey of everything before it; a user who never converts has one
        bounds = F.when(m == 0, F.array(F.struct(F.lit(1).alias("a"), n.alias("b")))).otherwise(
            F.transform(closing, lambda c: F.struct(F.lit(1).alias("a"), c.alias("b")))
        )
    # the parts are sliced before they are exploded, so a user's events are not copied to every journey row
    parts = F.transform(bounds, lambda b: F.slice("e", b["a"], b["b"] - b["a"] + 1))
    cut = users.select("g", "u", F.posexplode(parts).alias("j", "part"))
    part = F.col("part")
    last = F.element_at(part, -1)
    per_touch = ["codes", "befores", *(["touch_segments"] if segments else [])]
    journeys = cut.select(
        "g",
        "u",
        "j",
        (last["kind"] > 0).alias("closes"),
        F.when(last["kind"] > 0, last["v"]).otherwise(F.lit(0.0)).alias("value"),
        *([last["t"].alias("end")] if end_times else []),
        F.array_compact(part["fine" if fine else "code"]).alias("codes"),  # the touches, oldest first: no lambda
        # each touch's time before the end, only when asked (a lambda per event costs as much as the rest)
        (
            F.array_compact(F.transform(part, lambda x: F.when(x["code"].isNotNull(), last["t"] - x["t"])))
            if times or window is not None
            else F.lit(None).cast("array<long>")
        ).alias("befores"),
        *(last[a].alias(a) for a in segments),  # the closing event's segments
        *(
            [
                F.array_compact(
                    F.transform(
                        part, lambda x: F.when(x["code"].isNotNull(), F.struct(*(x[a].alias(a) for a in segments)))
                    )
                ).alias("touch_segments")
            ]
            if segments
            else []
        ),
    )
    kept = ["g", "u", "j", "closes", "value", *(["end"] if end_times else []), *segments]
    if window is not None:  # touches are in time order, so those within the window are a suffix
        outside = F.size(F.filter("befores", lambda age: age > F.lit(window)))
        journeys = journeys.select(*kept, *(F.slice(c, outside + 1, F.size(c)).alias(c) for c in per_touch))
    if max_touches is not None:  # the most recent touches
        start = F.greatest(F.size("codes") - max_touches + 1, F.lit(1))
        journeys = journeys.select(*kept, *(F.slice(c, start, max_touches).alias(c) for c in per_touch))
    empty = F.size("codes") == 0
    return journeys.select(
        "g",
        "u",
        "j",
        "closes",
        "value",
        *(["end"] if end_times else []),
        F.when(~empty, F.col("codes")).alias("codes"),
        F.when(~empty, F.col("befores")).alias("befores"),
        # a missing segment on the closing event: the latest known one among the kept touches
        *(
            F.coalesce(F.col(a), F.try_element_at(F.filter("touch_segments", _known(a)), F.lit(-1))[a]).alias(a)
            for a in segments
        ),
    )


def _known(field: str) -> Any:
    """``x -> x.field IS NOT NULL`` for Spark's ``filter`` (one argument: the element, not its index)."""
    return lambda x: x[field].isNotNull()


def _aggregated(
    journeys: Any,
    bucket_seconds: float | None,
    segments: Sequence[str] = (),
    *,
    goals: bool = False,
    period: Any = None,
) -> Any:
    """One row per distinct path (``codes``, and with ``bucket_seconds`` the touches' rounded times
    ``buckets``), goal, segments and ``period`` (an expression, kept as ``p``), counts and value
    summed, and where it first appeared (``first_g``, ``first_u``, ``first_j``)."""
    from pyspark.sql import functions as F

    keys = [F.col("codes")]
    if bucket_seconds is not None:  # the same floating-point steps as the pandas builder's rounding
        step = float(bucket_seconds)
        keys.append(
            F.transform("befores", lambda b: F.floor(b.cast("double") / 1e9 / step + 0.5).cast("long")).alias("buckets")
        )
    closes = F.col("closes").cast("long")
    if period is not None:
        keys.append(period.alias("p"))
    grouped = journeys.groupBy(*keys, *(["g"] if goals else []), *segments).agg(
        F.sum(closes).alias("conversions"),
        F.sum(1 - closes).alias("nulls"),
        F.sum("value").alias("value"),
        F.min(F.struct("u", "j")).alias("first"),
    )
    goal = F.col("g") if goals else F.lit(0).cast("long")
    return grouped.select(
        "*", goal.alias("first_g"), F.col("first.u").alias("first_u"), F.col("first.j").alias("first_j")
    ).drop("first")


# the ISO 8601 forms pandas' ISO parser reads, and a trailing zone (Java regular expressions)
_ISO = r"^\d{4}(-?\d{2}(-?\d{2}([T ]\d{2}(:?\d{2}(:?\d{2}([.,]\d+)?)?)?)?)?)?\s*(Z|[+-]\d{2}(:?\d{2})?)?$"
_ZONE = r"[T ]\d{2}(:?\d{2}(:?\d{2}([.,]\d+)?)?)?\s*(Z|[+-]\d{2}(:?\d{2})?)$"  # a zone after a time


def _time_micros(kind: Any, time: str, time_unit: str | None) -> tuple[Any, list[tuple[str, Any, str]]]:
    """Each event's time (the column ``ts``) in microseconds since 1970, and the rules it must keep.

    The pandas builder's reading rules (:mod:`attribution.journeys._times`) in Spark: timestamps
    as they are, epoch numbers with ``time_unit``, ISO 8601 strings (with a zone: that instant;
    without: read as UTC, as pandas does).
    """
    from pyspark.sql import functions as F
    from pyspark.sql.types import DateType, NumericType, StringType, TimestampNTZType, TimestampType

    ts = F.col("ts")
    if isinstance(kind, (TimestampType, DateType, TimestampNTZType)):
        if time_unit is not None:
            raise JourneyError(
                f"argument 'time_unit' applies to epoch numbers, but column {time!r} holds timestamps. Fix: drop time_unit."
            )
        return F.unix_micros(ts.cast("timestamp")), []
    if isinstance(kind, NumericType) or (isinstance(kind, StringType) and time_unit is not None):
        if time_unit is None:
            raise JourneyError(
                f"column {time!r} holds numbers ({kind.simpleString()}), epoch times whose unit cannot be told from "
                "the data. Fix: pass time_unit='s' for Unix seconds ('ms', 'us' or 'ns' for finer units)."
            )
        number = ts.cast("double")
        limit = float((2**63 - 1) // TIME_UNITS[time_unit])
        micros = F.round(number * (TIME_UNITS[time_unit] / 1000)).cast("long")
        return micros, [
            (
                f"column {time!r} must hold epoch numbers (time_unit={time_unit!r})",
                number.isNull() & ts.isNotNull(),
                "drop time_unit if the column holds dates, or clean the values that are not numbers.",
            ),
            (
                f"column {time!r} must hold epoch times in {time_unit!r} within pandas' range (years 1677 to 2262)",
                F.abs(number) > F.lit(limit),
                "check time_unit (a wrong unit puts times centuries away), or drop the events with wrong times.",
            ),
        ]
    if not isinstance(kind, StringType):
        raise JourneyError(
            f"column {time!r} must hold times; got Spark type {kind.simpleString()}. "
            "Fix: pass a timestamp column, ISO 8601 strings, or epoch numbers with time_unit."
        )
    text = F.trim(ts)
    aware = text.rlike(_ZONE)
    # try_cast: a malformed string becomes null and breaks the rule below (ANSI casts would raise)
    naive_micros = F.expr(
        "timestampdiff(MICROSECOND, TIMESTAMP_NTZ'1970-01-01 00:00:00', try_cast(trim(ts) AS TIMESTAMP_NTZ))"
    )
    # Spark reads offsets written +07:00 or +07 after seconds: +0700 (ISO 8601's basic form) gets its
    # colon, and a time given to the minute its seconds, as pandas reads them
    aware_micros = F.expr(
        r"unix_micros(try_cast(regexp_replace(regexp_replace(trim(ts), '([+-]\\d{2})(\\d{2})$', '$1:$2'), "
        r"'([T ]\\d{2}:\\d{2})(\\s*(Z|[+-]))', '$1:00$2') AS TIMESTAMP))"
    )
    micros = F.when(aware, aware_micros).otherwise(naive_micros)
    return micros, [
        (
            f"column {time!r} must hold ISO 8601 times (e.g. '2024-01-13 08:30:00') unless time_format says how to "
            "read them",
            ~ts.rlike(_ISO) | micros.isNull(),
            "convert the column first, e.g. F.to_timestamp(F.col(...), 'dd/MM/yyyy HH:mm'). Dates such as "
            "01/02/2024 are read neither day-first nor month-first by guess.",
        ),
    ]


def _check_zones(ev: Any, time: str) -> str | None:
    """ISO strings with a zone beside strings without one are refused, as in pandas; the zone of
    the strings (their UTC offset if they share one, else UTC; ``None`` for naive strings)."""
    from pyspark.sql import functions as F

    aware = F.trim(F.col("ts")).rlike(_ZONE)
    found = ev.agg(
        F.count(F.when(aware, 1)).alias("aware"),
        F.count(F.when(~aware, 1)).alias("naive"),
        F.min(F.when(~aware, F.col("u").cast("string"))).alias("example"),
        F.collect_set(F.when(aware, F.regexp_extract(F.trim(F.col("ts")), OFFSET_PATTERN, 1))).alias("offsets"),
    ).collect()[0]
    if found["aware"] and found["naive"]:
        raise broken_rule(
            f"column {time!r} mixes time-zone-aware and naive times (naive ones counted)",
            found["naive"],
            found["example"],
            "give every time a zone or none.",
        )
    return offsets_zone(found["offsets"] or [])


def _to_arrow(frame: Any) -> Any:
    """The result as a pyarrow Table (``toArrow`` on Spark 4; Arrow-backed ``toPandas`` before)."""
    if hasattr(frame, "toArrow"):
        return frame.toArrow()
    import pyarrow as pa

    frame.sparkSession.conf.set("spark.sql.execution.arrow.pyspark.enabled", "true")
    return pa.Table.from_pandas(frame.toPandas(), preserve_index=False)


def _validate(
    ev: Any, spec: EventSpec, *, time_rules: list[tuple[str, Any, str]]
) -> tuple[list[str], list[tuple[Any, ...]]]:
    """The pandas builder's rules, checked in one aggregation (the first broken one is raised),
    and the distinct raw channel labels, gathered in the same pass; with channel levels, the
    distinct (channel, level...) rows of the touches too."""
    from pyspark.sql import functions as F
    from pyspark.sql.types import BooleanType, NumericType

    conversion = spec.conversion
    flag_type = ev.schema["flag"].dataType
    if isinstance(flag_type, BooleanType):
        bad_flag = F.col("flag").isNull()
        converting = F.coalesce(F.col("flag"), F.lit(False))
    elif isinstance(flag_type, NumericType):
        bad_flag = F.col("flag").isNull() | ~F.col("flag").isin(0, 1)
        converting = F.coalesce(F.col("flag") == 1, F.lit(False))
    else:
        raise JourneyError(
            f"column {conversion!r} must be boolean (True/False or 1/0); got Spark type {flag_type.simpleString()}. "
            f"Fix: make {conversion!r} a boolean column, e.g. F.col({conversion!r}) == 'purchase'."
        )
    columns = Columns(
        user=F.col("u"),
        time=F.col("ts"),
        conversion=bad_flag,  # the flag rule's condition depends on the column's Spark type
        converting=converting,
        channel=F.col("ch"),
        value=F.col("v"),
        value_raw=F.col("vr"),
    )
    table = [(r.role, (r.message(spec), r.spark(columns, F), r.fix_for(spec))) for r in event_rules(spec)]
    rules = [entry for role, entry in table if role != "value"] + time_rules
    rules += [entry for role, entry in table if role == "value"]
    aggregates = []
    for i, (_, condition, _) in enumerate(rules):
        hit = F.coalesce(condition, F.lit(False))
        aggregates += [
            F.count(F.when(hit, 1)).alias(f"n{i}"),
            F.min(F.when(hit, F.col("u").cast("string"))).alias(f"e{i}"),
        ]
    levels = [f"l{i}" for i in range(len(spec.levels))]
    rows = F.collect_set(F.when(F.col("ch").isNotNull(), F.struct("ch", *levels))) if levels else F.lit(None)
    found = ev.agg(*aggregates, F.collect_set("ch").alias("labels"), rows.alias("rows")).collect()[0]
    for i, (rule, _, fix) in enumerate(rules):
        if found[f"n{i}"]:
            raise broken_rule(rule, found[f"n{i}"], found[f"e{i}"], fix)
    return list(found["labels"] or []), [tuple(row) for row in found["rows"] or []]
