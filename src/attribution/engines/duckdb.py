"""Build journeys inside DuckDB: files larger than memory, Arrow tables, polars frames.

By default (``method="sort"``) DuckDB does what it is best at — reads the files, checks
every rule, and sorts the events by user and time, spilling to disk within a
``memory_limit`` — and streams the sorted events out in batches of whole users; each
batch is cut into journeys by the pandas builder's own vectorised code, so the result is
the very :class:`Journeys` the pandas builder returns (the engine-parity tests hold them
equal). ``method="sql"`` runs everything in DuckDB (:func:`journeys_sql`, window
functions and ordered list aggregation): the query to port to a warehouse.
"""

from __future__ import annotations

import contextlib
import itertools
import math
import re
import uuid
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from attribution import _checks
from attribution.engines import is_duckdb_input
from attribution.engines._assemble import (
    aggregate_stream,
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
from attribution.journeys import Journeys
from attribution.journeys.from_events import attribute_arguments, check_columns
from attribution.journeys.rules import TIME_UNITS, Columns, event_rules
from attribution.journeys.rules import argument_error as _argument_error
from attribution.journeys.spec import EventSpec
from attribution.journeys.zones import OFFSET_PATTERN, offsets_zone, zone_name

__all__ = ["aggregated_sql", "build", "from_events_duckdb", "is_duckdb_input", "journeys_sql"]

EVENTS_PER_BATCH = 2_000_000  # sorted events handed over and cut into journeys at a time
EVENTS_PER_CHUNK = 2_000_000  # method="sql" with a memory_limit and no chunks: about this many events per query
SAMPLE_USERS = 200_000  # events sampled to place the boundaries of the user ranges


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def journeys_sql(
    *,
    user: str,
    time: str,
    channel: str,
    conversion: str,
    value: str | None = None,
    tiebreak: str | None = None,
    lookback_ns: int | None = None,
    max_touches: int | None = None,
    split_on_conversion: bool = True,
    drop_duplicates: bool = False,
    labels: list[str] | tuple[str, ...] = (),
    source: str = "events",
    where: str = "TRUE",
    time_ns: str | None = None,
    label_codes: Sequence[tuple[str, int]] | None = None,
    bucket_seconds: float | None = None,
) -> str:
    """The SQL that turns an event table into one row per journey, with its touches as lists.

    Columns out, ordered by user and then journey (in time): ``u`` (user), ``closes``
    (whether it ends in a conversion), ``value``, ``codes`` (the kept touches' channels as
    positions in ``labels``, oldest first; null when none is kept), ``befores`` (ns from
    each touch to the journey's end) and ``ended_ns`` (the journey's end, ns since the epoch). Events are ordered per user by time, then
    ``tiebreak``, then touches before conversions, then channel label, then value — the
    pandas builder's order. ``time_ns`` is the SQL expression of each event's time in
    nanoseconds (default ``epoch_ns(time)``); ``label_codes`` maps raw labels to codes when
    several raw labels are one channel (default: each label's position in ``labels``).
    With ``bucket_seconds``, a list ``buckets`` too: each touch's time before the end in
    multiples of ``bucket_seconds``, rounded to the nearest (halves up).
    """
    tb = _quote(tiebreak) if tiebreak else "NULL"
    pairs = list(enumerate(labels)) if label_codes is None else [(code, label) for label, code in label_codes]
    code_rows = ", ".join(f"({_literal(label)}, {i})" for i, label in pairs) or "(NULL, 0)"
    time_expression = time_ns or f"epoch_ns({_quote(time)})"
    val = f"CAST({_quote(value)} AS DOUBLE)" if value else "0.0"
    select = "SELECT DISTINCT" if drop_duplicates else "SELECT"
    events = f"""
raw AS (
  {select} {_quote(user)} AS u, {time_expression} AS t, CAST({_quote(conversion)} AS BOOLEAN) AS conv,
         CAST({_quote(channel)} AS VARCHAR) AS ch, COALESCE({val}, 0.0) AS v, {tb} AS tb
  FROM {source} WHERE {where}
),
codes(label, code) AS (VALUES {code_rows}),
ev AS (SELECT raw.*, codes.code FROM raw LEFT JOIN codes ON raw.ch = codes.label),
ranked AS (
  SELECT *, row_number() OVER (
      PARTITION BY u
      ORDER BY t, tb, CASE WHEN conv AND ch IS NULL THEN 2 WHEN conv THEN 1 ELSE 0 END, ch NULLS FIRST, v
  ) AS s
  FROM ev
)"""
    if split_on_conversion:
        journeys = """
cut AS (
  SELECT *, COALESCE(SUM(CAST(conv AS INTEGER)) OVER (
      PARTITION BY u ORDER BY s ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), 0) AS jid
  FROM ranked
),
ends AS (
  SELECT u, jid, max(s) AS j, arg_max(t, s) AS end_t, arg_max(conv, s) AS closes, arg_max(v, s) AS v
  FROM cut GROUP BY u, jid
),
touches AS (
  SELECT c.u, e.j, c.s, c.code, e.end_t - c.t AS before_ns
  FROM cut c JOIN ends e ON c.u = e.u AND c.jid = e.jid WHERE c.ch IS NOT NULL
)"""
    else:
        journeys = """
converting AS (SELECT DISTINCT u FROM ranked WHERE conv),
ends AS (
  SELECT u, s AS j, t AS end_t, TRUE AS closes, v FROM ranked WHERE conv
  UNION ALL
  SELECT u, max(s) AS j, arg_max(t, s) AS end_t, FALSE AS closes, 0.0 AS v
  FROM ranked WHERE u NOT IN (SELECT u FROM converting) GROUP BY u
),
touches AS (
  SELECT r.u, e.j, r.s, r.code, e.end_t - r.t AS before_ns
  FROM ranked r JOIN ends e ON r.u = e.u AND r.s <= e.j WHERE r.ch IS NOT NULL
)"""
    keep = "TRUE" if lookback_ns is None else f"before_ns <= {int(lookback_ns)}"
    cap = (
        "" if max_touches is None else f"QUALIFY row_number() OVER (PARTITION BY u, j ORDER BY s DESC) <= {max_touches}"
    )
    buckets = bucket_column = ""
    if bucket_seconds is not None:  # the same floating-point steps as the pandas builder's rounding
        step = repr(float(bucket_seconds))
        buckets = f", list(CAST(floor(CAST(before_ns AS DOUBLE) / 1e9 / {step} + 0.5) AS BIGINT) ORDER BY s) AS buckets"
        bucket_column = ", l.buckets"
    return f"""
WITH {events},{journeys},
kept AS (SELECT * FROM touches WHERE {keep} {cap}),
lists AS (
  SELECT u, j, list(code ORDER BY s) AS codes, list(before_ns ORDER BY s) AS befores{buckets} FROM kept GROUP BY u, j
)
SELECT e.u, e.j, e.closes, CASE WHEN e.closes THEN e.v ELSE 0.0 END AS value, l.codes, l.befores{bucket_column},
       e.end_t AS ended_ns
FROM ends e LEFT JOIN lists l ON e.u = l.u AND e.j = l.j
ORDER BY e.u, e.j
"""


def aggregated_sql(journeys: str, *, buckets: bool = False) -> str:
    """The SQL that aggregates the journeys of :func:`journeys_sql` by path: one row per distinct
    ``codes`` list (and distinct ``buckets`` list, with ``buckets``), with ``conversions``,
    ``nulls`` and ``value`` summed, in order of first appearance (user, then journey)."""
    return f"""
SELECT codes, {"buckets, " if buckets else ""}sum(CAST(closes AS INTEGER)) AS conversions,
       sum(1 - CAST(closes AS INTEGER)) AS nulls, sum(value) AS value, min({{'u': u, 'j': j}}) AS first
FROM ({journeys}) GROUP BY ALL ORDER BY first
"""


def from_events_duckdb(
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
    memory_limit: str | None = None,
    chunks: int | None = None,
    connection: Any = None,
    method: str = "sort",
    time_format: str | None = None,
    time_unit: str | None = None,
    segments: str | Sequence[str] = (),
    conversion_type: str | None = None,
    aggregate: bool = False,
    time_buckets: str | pd.Timedelta | float | None = None,
    period: str | None = None,
) -> Journeys:
    """Build journeys from events inside DuckDB; the same result as :meth:`Journeys.from_events`.

    Parameters
    ----------
    events
        A file path or glob (``.parquet``, ``.csv``), a DuckDB relation, a pyarrow Table,
        a polars DataFrame, or a pandas DataFrame.
    user, time, channel, conversion, value, lookback, max_touches, split_on_conversion, tiebreak, drop_duplicates
        As in :meth:`Journeys.from_events`.
    time_format, time_unit
        As in :meth:`Journeys.from_events`: string times are ISO 8601 unless ``time_format``
        (strftime, read by DuckDB's ``strptime``) says otherwise; numeric times need
        ``time_unit``. Time-zone-aware strings are read at microsecond resolution.
    memory_limit
        DuckDB's ``memory_limit`` for this build, e.g. ``"256MB"`` or ``"2GiB"``: DuckDB sorts
        within it, spilling to a private temporary folder (removed afterwards), and the
        sorted events are cut into journeys two million at a time, so the whole build stays
        small. On a ``connection`` you pass, the previous settings are restored afterwards.
    chunks
        With ``method="sql"``: the number of user ranges queried one after another (default
        1, or ranges of about two million events under a ``memory_limit``).
    connection
        A DuckDB connection to use (default: a new in-memory one); it is left as it was
        (the events are read through a private, uniquely named view that is dropped
        afterwards). Ignored for a relation, which runs on its own connection.
    method
        ``"sort"`` (default): DuckDB reads, checks and sorts the events by user and time
        (spilling to disk under a memory limit) and hands them over as narrow columns;
        journeys are cut with the pandas builder's own vectorised code, which is faster
        than doing it in SQL. ``"sql"``: everything runs in DuckDB as
        :func:`journeys_sql` (the query to port to a warehouse). Both give the same journeys.
    segments, conversion_type
        Journey attributes and conversion goals, as in :meth:`Journeys.from_events`.
    aggregate, time_buckets, period
        As in :meth:`Journeys.from_events`: with ``method="sort"`` each batch of users is cut
        and aggregated as it arrives, so memory follows the distinct paths; with
        ``method="sql"`` the journeys are grouped by path in SQL (:func:`aggregated_sql`).

    Examples
    --------
    >>> import pyarrow as pa
    >>> events = pa.table({
    ...     "user": ["u1", "u1", "u1", "u2"],
    ...     "time": pd.to_datetime(["2024-01-01", "2024-01-08", "2024-01-15", "2024-01-03"]),
    ...     "channel": ["Social", "Email", None, "Search"],
    ...     "converted": [False, False, True, False],
    ... })
    >>> Journeys.from_events(events, user="user", time="time", channel="channel", conversion="converted").paths()
    [('Social', 'Email'), ('Search',)]
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
    return build(events, spec, memory_limit=memory_limit, chunks=chunks, connection=connection, method=method)


def build(
    events: Any,
    spec: EventSpec,
    *,
    memory_limit: str | None = None,
    chunks: int | None = None,
    connection: Any = None,
    method: str = "sort",
) -> Journeys:
    """The DuckDB builder of the engine registry: ``from_events_duckdb`` with a checked :class:`EventSpec`."""
    import duckdb

    if memory_limit is not None and (not isinstance(memory_limit, str) or not _MEMORY.fullmatch(memory_limit.strip())):
        raise _argument_error(
            "memory_limit",
            "must be an amount of memory such as '256MB' or '2GiB'",
            memory_limit,
            "pass a number followed by B, KB, MB, GB, TB (or KiB, MiB, GiB, TiB).",
        )
    if chunks is not None:
        _checks.integer(
            chunks, "chunks", owner="from_events_duckdb", error=JourneyError, kind="argument", fix="pass e.g. 4."
        )
    if method not in ("sort", "sql"):
        raise _argument_error("method", "must be 'sort' or 'sql'", method, "pass method='sort' (default) or 'sql'.")
    if chunks is not None and method != "sql":
        raise _argument_error(
            "chunks", "applies only to method='sql'", chunks, "drop it: the sorted events are streamed in batches."
        )
    with _Runner(duckdb, events, connection, memory_limit) as runner:
        return _build(runner, spec, memory_limit=memory_limit, chunks=chunks, method=method)


def _build(runner: _Runner, spec: EventSpec, *, memory_limit: str | None, chunks: int | None, method: str) -> Journeys:
    user, time, channel = str(spec.user), str(spec.time), str(spec.channel)
    check_columns(runner.columns(), {**spec.columns(), **attribute_arguments(spec)})
    kind = runner.column_type(time)
    time_ns, time_rules = _time_sql(kind, time, spec.time_format, spec.time_unit)
    raw_labels = _validate(runner, spec, time_rules=time_rules)
    label_codes, labels = channel_table(raw_labels, channel)
    zone = None  # the times' own zone, in which calendar periods are counted (as in pandas)
    if kind.upper() == "VARCHAR" and spec.time_format is None and spec.time_unit is None:
        zone = _check_zones(runner, user, time)
    elif kind.upper() == "TIMESTAMP WITH TIME ZONE":
        zone = _declared_zone(runner.source, time) or runner.fetch("SELECT current_setting('TimeZone')")[0][0]
    n_chunks = chunks or (1 if memory_limit is None else max(1, math.ceil(runner.count() / EVENTS_PER_CHUNK)))
    options: dict[str, Any] = {
        "user": user,
        "time": time,
        "channel": channel,
        "conversion": str(spec.conversion),
        "value": None if spec.value is None else str(spec.value),
        "tiebreak": None if spec.tiebreak is None else str(spec.tiebreak),
        "split_on_conversion": spec.split_on_conversion,
        "drop_duplicates": spec.drop_duplicates,
        "time_ns": time_ns,
    }
    step = None if spec.time_buckets is None else spec.time_buckets.total_seconds()
    if method == "sql":
        if attribute_aliases(spec) or (spec.period is not None and spec.aggregate):
            raise _argument_error(
                "method",
                "must be 'sort' for journeys with segments, a conversion_type or channel levels (or aggregated "
                "by period)",
                method,
                "pass method='sort' (default): the SQL method does not carry journey attributes yet.",
            )
        queries = [
            journeys_sql(
                **options,
                lookback_ns=spec.window_ns,
                max_touches=spec.max_touches,
                labels=labels,
                label_codes=list(label_codes.items()),
                source=runner.view,
                where=w,
                bucket_seconds=step,
            )
            for w in _user_ranges(runner, user, n_chunks)
        ]
        if spec.aggregate:  # each user range aggregated in DuckDB; the ranges merged here, in user order
            return aggregate_stream(
                (
                    assemble_aggregated(runner.arrow(aggregated_sql(q, buckets=step is not None)), labels, step)
                    for q in queries
                ),
                spec.time_buckets,
            )
        return with_period(assemble_lists([runner.arrow(q) for q in queries], labels), spec, zone)
    goals = None
    if spec.conversion_type is not None:  # every goal of the log: a batch may lack some
        found = runner.arrow(
            f"SELECT DISTINCT {_quote(str(spec.conversion_type))} AS g FROM {runner.view} "
            f"WHERE CAST({_quote(str(spec.conversion))} AS BOOLEAN)"
        )
        goals = sorted_goals(found.column("g").to_pylist())
    # consecutive runs of whole users, in user order, each released once stacked (or aggregated)
    batches = (
        Journeys.from_parts(
            cut_events(_events_of(batch, label_codes, labels, spec.tiebreak is not None), batch.column, spec, goals)
        )
        for batch in _user_batches(runner, **options, attributes=attribute_aliases(spec))
    )
    if spec.aggregate:  # each batch's periods counted before its end times are dropped
        periods = (with_period(batch, spec, zone) for batch in batches) if spec.period is not None else batches
        return aggregate_stream(periods, spec.time_buckets)
    return with_period(goal_major(Journeys.concat(batches)), spec, zone)


def _user_batches(
    runner: _Runner,
    *,
    user: str,
    time: str,
    channel: str,
    conversion: str,
    value: str | None,
    tiebreak: str | None,
    time_ns: str,
    attributes: Sequence[tuple[str, str]] = (),
    **_: Any,
) -> Iterator[Any]:
    """The events sorted by user and time, streamed from one query in Arrow tables of whole users.

    DuckDB sorts once (spilling to disk under its memory limit) and hands the result over
    ``EVENTS_PER_BATCH`` rows at a time; a user whose events run past a batch's end is
    carried into the next, so each table holds every event of its users. Ties in
    (user, time) are left to the builder, which orders them by its own rule.
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    val = f"COALESCE(CAST({_quote(value)} AS DOUBLE), 0.0)" if value else "0.0"
    tb = f", {_quote(tiebreak)} AS tb" if tiebreak else ""
    extra = "".join(f", {_quote(column)} AS {alias}" for column, alias in attributes)
    reader = runner.reader(
        f"SELECT {_quote(user)} AS u, {time_ns} AS t, CAST({_quote(conversion)} AS BOOLEAN) AS conv, "
        f"CAST({_quote(channel)} AS VARCHAR) AS ch, {val} AS v{tb}{extra} FROM {runner.view} ORDER BY u, t",
        EVENTS_PER_BATCH,
    )
    pending = reader.schema.empty_table()
    for batch in reader:
        table = (
            pa.concat_tables([pending, pa.Table.from_batches([batch])])
            if pending.num_rows
            else pa.Table.from_batches([batch])
        )
        if table.num_rows == 0:
            continue
        users = table.column("u")
        trailing = pc.equal(users, users[-1]).to_numpy(zero_copy_only=False)
        split = int(np.argmax(trailing))  # where the last user's events begin
        if split:
            yield table.slice(0, split)
        pending = table.slice(split)
    yield pending  # the last user (or an empty table of the right columns)


def _events_of(table: Any, label_codes: dict[str, int], labels: list[str], has_tiebreak: bool) -> Any:
    """Events sorted by user and time (an Arrow table) as the pandas builder's arrays."""
    import pyarrow as pa
    import pyarrow.compute as pc

    users = table.column("u").combine_chunks()
    n = len(users)
    change = np.ones(n, dtype=bool)
    if n > 1:
        change[1:] = pc.not_equal(users.slice(1), users.slice(0, n - 1)).to_numpy(zero_copy_only=False)
    first = pa.array(np.flatnonzero(change), type=pa.int64())
    user_labels = pd.Index(users.take(first).to_pandas().to_numpy())
    return sorted_events(np.cumsum(change) - 1, user_labels, table.column, label_codes, labels, has_tiebreak)


class _Runner:
    """Runs SQL over the events, exposed under a private view name, whatever their form.

    The caller's connection is left as it was found: the input is registered and viewed
    under unique names that are dropped afterwards, and any setting changed for the build
    (``memory_limit``, ``preserve_insertion_order``) is restored.
    """

    def __init__(self, duckdb: Any, events: Any, connection: Any, memory_limit: str | None) -> None:
        self.spill: Any = None
        self.source = events  # the caller's input, read only for its declared time zone
        self.owned = connection is None
        token = uuid.uuid4().hex
        self.view = f"attribution_events_{token}"
        self._input = f"attribution_input_{token}"
        self._restore: list[str] = []
        self.relation = events if isinstance(events, duckdb.DuckDBPyRelation) else None
        if self.relation is None:
            self.connection = connection if connection is not None else duckdb.connect()
            if isinstance(events, (str, Path)):
                self.connection.execute(f"CREATE TEMP VIEW {self.view} AS SELECT * FROM {_reader(str(events))}")
            else:
                self.connection.register(self._input, events)
                self.connection.execute(f"CREATE TEMP VIEW {self.view} AS SELECT * FROM {self._input}")
            if memory_limit is not None:
                self._set("memory_limit", f"'{memory_limit.strip()}'")
                self._set("preserve_insertion_order", "false")
                if connection is None:  # our own connection spills to a private folder, removed after
                    import tempfile

                    self.spill = tempfile.TemporaryDirectory(prefix="attribution-duckdb-")
                    self.connection.execute(f"SET temp_directory = '{self.spill.name}'")
        elif memory_limit is not None:
            self._set("memory_limit", f"'{memory_limit.strip()}'")

    def _set(self, name: str, value: str) -> None:
        """Change a setting for this build, remembering how to put the old value back."""
        old = self.fetch(f"SELECT current_setting('{name}')")[0][0]
        self._restore.append(f"SET {name} = {_literal(str(old)) if isinstance(old, str) else str(old).lower()}")
        self._execute(f"SET {name} = {value}")

    def _execute(self, sql: str) -> None:
        if self.relation is not None:
            self.relation.query(self.view, sql)
        else:
            self.connection.execute(sql)

    def __enter__(self) -> _Runner:
        return self

    def __exit__(self, *exc: object) -> None:
        """Restore settings, drop our names, close the connection we opened, remove the spill folder."""
        for statement in reversed(self._restore):
            self._execute(statement)
        if self.relation is None:
            if self.owned:
                self.connection.close()
            else:
                self.connection.execute(f"DROP VIEW IF EXISTS {self.view}")
                with contextlib.suppress(Exception):  # registered only for in-memory inputs
                    self.connection.unregister(self._input)
        if self.spill is not None:
            self.spill.cleanup()

    def _run(self, sql: str) -> Any:
        if self.relation is not None:
            return self.relation.query(self.view, sql)
        return self.connection.sql(sql)

    def fetch(self, sql: str) -> list[tuple[Any, ...]]:
        rows: list[tuple[Any, ...]] = self._run(sql).fetchall()
        return rows

    def reader(self, sql: str, rows_per_batch: int) -> Any:
        """A pyarrow RecordBatchReader streaming the result ``rows_per_batch`` rows at a time."""
        return self._run(sql).to_arrow_reader(rows_per_batch)

    def arrow(self, sql: str) -> Any:
        result = self._run(sql)
        return result.to_arrow_table() if hasattr(result, "to_arrow_table") else result.arrow()

    def _described(self) -> Any:
        return self._run(f"SELECT * FROM {self.view} LIMIT 0")

    def columns(self) -> list[str]:
        return [str(c) for c in self._described().columns]

    def column_type(self, name: str) -> str:
        described = self._described()
        return str(dict(zip(described.columns, described.types, strict=True))[name])

    def count(self) -> int:
        return int(self.fetch(f"SELECT count(*) FROM {self.view}")[0][0])


def _reader(path: str) -> str:
    quoted = "'" + path.replace("'", "''") + "'"
    lowered = path.lower()
    if lowered.endswith((".csv", ".csv.gz")):
        return f"read_csv({quoted})"
    if lowered.endswith((".parquet", ".pq")):
        return f"read_parquet({quoted})"
    raise JourneyError(
        f"cannot tell the format of {path!r}: DuckDB input paths must end in .parquet, .pq, .csv or .csv.gz. "
        "Fix: rename the files, or read them yourself and pass a DuckDB relation or an Arrow table."
    )


def _validate(runner: _Runner, spec: EventSpec, *, time_rules: list[tuple[str, str, str]]) -> list[str]:
    """The pandas builder's rules, checked in one pass (the first broken one is raised), and
    the distinct raw channel labels, gathered in the same pass."""
    u, c = _quote(str(spec.user)), _quote(str(spec.channel))
    v = _quote(str(spec.value)) if spec.value is not None else "NULL"
    columns = Columns(
        user=u,
        time=_quote(str(spec.time)),
        conversion=_quote(str(spec.conversion)),
        converting=f"COALESCE(TRY_CAST({_quote(str(spec.conversion))} AS BOOLEAN), FALSE)",
        channel=c,
        value=f"TRY_CAST({v} AS DOUBLE)",
        value_raw=v,
    )
    table = [(r.role, (r.message(spec), r.sql(columns), r.fix_for(spec))) for r in event_rules(spec)]
    rules = [entry for role, entry in table if role != "value"] + time_rules
    rules += [entry for role, entry in table if role == "value"]
    checks = ", ".join(
        f"count(*) FILTER (WHERE {cond}), CAST(min({u}) FILTER (WHERE {cond}) AS VARCHAR)" for _, cond, _ in rules
    )
    labels = f"list(DISTINCT CAST({c} AS VARCHAR)) FILTER (WHERE {c} IS NOT NULL)"
    found = runner.fetch(f"SELECT {checks}, {labels} FROM {runner.view}")[0]
    for i, (rule, _, fix) in enumerate(rules):
        if found[2 * i]:
            raise broken_rule(rule, found[2 * i], found[2 * i + 1], fix)
    return list(found[-1] or [])


# DuckDB type names of event times, by how they are read
_DATETIME_TYPES = ("TIMESTAMP", "DATE", "TIMESTAMP_NS", "TIMESTAMP_MS", "TIMESTAMP_S", "TIMESTAMP WITH TIME ZONE")
_INTEGER_TYPES = ("TINYINT", "SMALLINT", "INTEGER", "BIGINT", "UTINYINT", "USMALLINT", "UINTEGER", "UBIGINT", "HUGEINT")
_FLOAT_TYPES = ("FLOAT", "DOUBLE")
# the ISO 8601 forms pandas' ISO parser reads, and a trailing zone
_ISO = r"^\d{4}(-?\d{2}(-?\d{2}([T ]\d{2}(:?\d{2}(:?\d{2}([.,]\d+)?)?)?)?)?)?\s*(Z|[+-]\d{2}(:?\d{2})?)?$"
_ZONE = r"[T ]\d{2}(:?\d{2}(:?\d{2}([.,]\d+)?)?)?\s*(Z|[+-]\d{2}(:?\d{2})?)$"  # a zone after a time
# DuckDB < 2 casts a zoned time only with its seconds: '10:00:00+07:00', not '10:00+07:00' (nor '03:30Z')
_MINUTES_THEN_ZONE = r"([T ]\d{2}:\d{2})(\s*(Z|[+-]\d{2}(:?\d{2})?))$"
_MEMORY = re.compile(r"\d+(\.\d+)?\s*(B|KB|MB|GB|TB|KiB|MiB|GiB|TiB|kB)", re.IGNORECASE)


def _time_sql(
    kind: str, time: str, time_format: str | None, time_unit: str | None
) -> tuple[str, list[tuple[str, str, str]]]:
    """The SQL expression of each event's time in int64 nanoseconds, and the rules its column must keep.

    The pandas builder's reading rules (:mod:`attribution.journeys._times`), in DuckDB.
    """
    t = _quote(time)
    kind = kind.upper()
    if kind.startswith("DECIMAL"):
        kind = "DOUBLE"
    numeric = kind in _INTEGER_TYPES or kind in _FLOAT_TYPES
    if time_unit is not None and kind not in ("VARCHAR",) and not numeric:
        raise JourneyError(
            f"argument 'time_unit' applies to epoch numbers, but column {time!r} holds {kind.lower()} values. "
            "Fix: drop time_unit."
        )
    if time_format is not None and kind != "VARCHAR":
        raise JourneyError(
            f"argument 'time_format' applies to string times, but column {time!r} holds {kind.lower()} values. "
            "Fix: drop time_format."
        )

    def range_rule(ts: str) -> tuple[str, str, str]:
        return (
            f"column {time!r} must hold times between the years 1677 and 2262 (pandas' nanosecond range)",
            f"({ts}) < TIMESTAMP '1677-09-22' OR ({ts}) > TIMESTAMP '2262-04-11'",
            "drop the events with wrong dates (often placeholders such as 9999-12-31 or 1000-01-01).",
        )

    if kind in _DATETIME_TYPES:
        ts = f"CAST({t} AS TIMESTAMP)" if kind == "DATE" else t
        return f"epoch_ns({ts})", [range_rule(f"CAST({t} AS TIMESTAMP)")]
    if numeric or (kind == "VARCHAR" and time_unit is not None):
        if time_unit is None:
            raise JourneyError(
                f"column {time!r} holds numbers ({kind}), epoch times whose unit cannot be told from the data. "
                "Fix: pass time_unit='s' for Unix seconds ('ms', 'us' or 'ns' for finer units)."
            )
        factor = TIME_UNITS[time_unit]
        number = f"TRY_CAST({t} AS DOUBLE)"
        limit = (2**63 - 1) // factor
        rules = [
            (
                f"column {time!r} must hold epoch numbers (time_unit={time_unit!r})",
                f"{number} IS NULL",
                "drop time_unit if the column holds dates, or clean the values that are not numbers.",
            ),
            (
                f"column {time!r} must hold epoch times in {time_unit!r} within pandas' range (years 1677 to 2262)",
                f"abs({number}) > {limit}",
                "check time_unit (a wrong unit puts times centuries away), or drop the events with wrong times.",
            ),
        ]
        if kind in _INTEGER_TYPES:
            return f"CAST({t} AS BIGINT) * {factor}", rules
        # whole numbers exactly (a double holds nanosecond epochs only to ~256 ns), fractions by rounding
        return f"CAST(COALESCE(TRY_CAST({t} AS HUGEINT) * {factor}, round({number} * {factor})) AS BIGINT)", rules
    if kind != "VARCHAR":
        raise JourneyError(
            f"column {time!r} must hold times; got DuckDB type {kind}. "
            "Fix: pass a timestamp column, ISO 8601 strings, or epoch numbers with time_unit."
        )
    if time_format is not None:
        fmt = _literal(time_format)
        parsed = f"try_strptime({t}, {fmt})"
        return f"epoch_ns(strptime({t}, {fmt}))", [
            (
                f"column {time!r} must hold times in the format {time_format!r}",
                f"{parsed} IS NULL",
                "correct time_format (strftime directives, e.g. '%d/%m/%Y %H:%M'), or clean those values.",
            ),
            range_rule(f"CAST({parsed} AS TIMESTAMP)"),
        ]
    iso, zone = _literal(_ISO), _literal(_ZONE)
    aware = f"regexp_matches(trim({t}), {zone})"
    zoned = f"regexp_replace(trim({t}), {_literal(_MINUTES_THEN_ZONE)}, '\\1:00\\2')"  # seconds for DuckDB < 2
    as_time = f"CASE WHEN {aware} THEN CAST(TRY_CAST({zoned} AS TIMESTAMPTZ) AS TIMESTAMP) ELSE TRY_CAST(trim({t}) AS TIMESTAMP) END"
    expression = f"CASE WHEN {aware} THEN epoch_ns(CAST({zoned} AS TIMESTAMPTZ)) ELSE epoch_ns(CAST(trim({t}) AS TIMESTAMP_NS)) END"
    return expression, [
        (
            f"column {time!r} must hold ISO 8601 times (e.g. '2024-01-13 08:30:00') unless time_format says how to read them",
            f"NOT regexp_matches({t}, {iso}) OR ({as_time}) IS NULL",
            "pass time_format= the strftime format of your times (e.g. time_format='%d/%m/%Y %H:%M'), "
            "or time_unit= if they are epoch numbers. Dates such as 01/02/2024 are read neither day-first "
            "nor month-first by guess.",
        ),
        range_rule(as_time),
    ]


def _check_zones(runner: _Runner, user: str, time: str) -> str | None:
    """ISO strings with a zone beside strings without one are refused, as in pandas; the zone of
    the strings (their UTC offset if they share one, else UTC; ``None`` for naive strings)."""
    aware = f"regexp_matches(trim({_quote(time)}), {_literal(_ZONE)})"
    offset = f"regexp_extract(trim({_quote(time)}), {_literal(OFFSET_PATTERN)}, 1)"
    n_aware, n_naive, example, offsets = runner.fetch(
        f"SELECT count(*) FILTER (WHERE {aware}), count(*) FILTER (WHERE NOT {aware}), "
        f"CAST(min({_quote(user)}) FILTER (WHERE NOT {aware}) AS VARCHAR), "
        f"list(DISTINCT {offset}) FILTER (WHERE {aware}) FROM {runner.view}"
    )[0]
    if n_aware and n_naive:
        raise broken_rule(
            f"column {time!r} mixes time-zone-aware and naive times (naive ones counted)",
            n_naive,
            example,
            "give every time a zone or none.",
        )
    return offsets_zone(offsets or [])


def _declared_zone(source: Any, time: str) -> str | None:
    """The time zone a pandas, Arrow or polars input declares for its time column, if any."""
    dtype = getattr(getattr(source, "dtypes", None), "get", lambda _: None)(time)  # pandas
    if isinstance(dtype, pd.DatetimeTZDtype):
        return str(zone_name(dtype.tz))
    schema = getattr(source, "schema", None)
    try:
        field = schema.field(time).type if hasattr(schema, "field") else schema[time]  # type: ignore[index,union-attr]
    except (KeyError, TypeError, AttributeError):
        return None
    zone = getattr(field, "tz", None) or getattr(field, "time_zone", None)  # Arrow, polars
    return str(zone) if zone else None


def _user_ranges(runner: _Runner, user: str, n_chunks: int) -> list[str]:
    """WHERE clauses splitting the sorted users into ``n_chunks`` contiguous ranges."""
    if n_chunks == 1:
        return ["TRUE"]
    fractions = ", ".join(f"{i / n_chunks!r}" for i in range(1, n_chunks))
    # boundaries from a fixed-size sample: the ranges need not be even, only disjoint and ordered,
    # and an exact quantile would hold the whole user column in memory
    cuts = runner.fetch(
        f"SELECT quantile_disc({_quote(user)}, [{fractions}]) FROM {runner.view} USING SAMPLE reservoir({SAMPLE_USERS} ROWS)"
    )[0][0]
    if not cuts:  # no events
        return ["TRUE"]
    bounds = sorted(set(cuts))
    literal = [_literal(b) for b in bounds]
    u = _quote(user)
    clauses = [f"{u} <= {literal[0]}"]
    clauses += [f"{u} > {lo} AND {u} <= {hi}" for lo, hi in itertools.pairwise(literal)]
    clauses.append(f"{u} > {literal[-1]}")
    return clauses


def _literal(value: Any) -> str:
    if isinstance(value, str):
        return "'" + value.replace("'", "''") + "'"
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    return f"'{value}'"  # dates and other scalars: DuckDB casts the text back
