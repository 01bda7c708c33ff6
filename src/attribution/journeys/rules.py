"""The rules an event log must keep, in one table: message, fix, and a check per engine.

Each :class:`Rule` says what must hold of which column (the message), how to repair the
data (the fix), and how each builder finds the rows that break it: a pandas predicate
over the columns, a SQL condition (DuckDB, or a warehouse) and a Spark condition, each
true on an offending row. The pandas builder raises with the first offending row; the
engines count offenders in one aggregation pass and name an example user. Adding a rule
here adds it to every builder.

Predicates see the event log's columns by role (see :class:`Columns`): ``user``,
``time``, ``conversion`` (the raw flag), ``converting`` (the flag read as a boolean,
false where unreadable), ``channel`` and ``value`` (read as a number, null where
unreadable).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from attribution.errors import JourneyError
from attribution.journeys._messages import bad_argument, bad_rows
from attribution.journeys._times import TIME_UNITS
from attribution.journeys.spec import EventSpec

__all__ = [
    "EVENT_RULES",
    "TIME_UNITS",
    "Columns",
    "Rule",
    "argument_error",
    "bad_rows",
    "encode_labels",
    "event_rules",
    "rule",
]

BoolArray = npt.NDArray[np.bool_]


@dataclass(frozen=True)
class Columns:
    """An engine's expressions (SQL text, Spark columns, or pandas arrays) for each role."""

    user: Any
    time: Any
    conversion: Any
    converting: Any
    channel: Any
    value: Any
    value_raw: Any = None


@dataclass(frozen=True)
class Rule:
    """One rule of the event log.

    Attributes
    ----------
    key
        Its name in :data:`EVENT_RULES`.
    role
        The :class:`EventSpec` field naming the column checked (``"user"``, ``"value"``, ...).
    text
        What must hold, e.g. ``"must not be null"``.
    fix
        How to repair the data; ``{column}`` stands for the column's name.
    sql, spark
        Conditions true on an offending row, given a :class:`Columns` of SQL snippets or of
        Spark columns (and, for Spark, the ``pyspark.sql.functions`` module).
    pandas
        The same over numpy arrays (``None``: the pandas builder checks it while parsing).
    """

    key: str
    role: str
    text: str
    fix: str
    sql: Callable[[Columns], str]
    spark: Callable[[Columns, Any], Any]
    pandas: Callable[[Columns], BoolArray] | None = None

    def column(self, spec: EventSpec) -> Any:
        """The name of the column this rule checks, under ``spec``."""
        return getattr(spec, self.role)

    def message(self, spec: EventSpec) -> str:
        """``column 'name' <text>``."""
        return f"column {self.column(spec)!r} {self.text}"

    def fix_for(self, spec: EventSpec) -> str:
        """The fix, with the column's name filled in."""
        return self.fix.format(column=repr(self.column(spec)))

    def rows(self, spec: EventSpec, bad: BoolArray, *, index: Any, values: Any = None) -> JourneyError:
        """The pandas builder's error: how many rows break the rule, the first one, the fix."""
        return bad_rows(
            f"column {self.column(spec)!r}", self.text, bad, index=index, values=values, fix=self.fix_for(spec)
        )

    def events(self, spec: EventSpec, count: int, example: Any) -> JourneyError:
        """An engine's error: how many events break the rule, an example user, the fix."""
        return JourneyError(
            f"{self.message(spec)}; {count:,} event(s) break this, e.g. one of user {example!r}. "
            f"Fix: {self.fix_for(spec)}"
        )


def _sql_not_finite_or_negative(c: Columns) -> str:
    return f"{c.converting} AND (isnan({c.value}) OR isinf({c.value}) OR {c.value} < 0)"


EVENT_RULES: dict[str, Rule] = {
    rule.key: rule
    for rule in (
        Rule(
            "user_not_null",
            "user",
            "must not be null",
            "drop those events or fill in the missing values.",
            sql=lambda c: f"{c.user} IS NULL",
            spark=lambda c, fn: c.user.isNull(),
        ),
        Rule(
            "time_not_null",
            "time",
            "must not be null",
            "drop those events or fill in their timestamps.",
            sql=lambda c: f"{c.time} IS NULL",
            spark=lambda c, fn: c.time.isNull(),
        ),
        Rule(
            "flag_boolean",
            "conversion",
            "must be boolean (True/False or 1/0)",
            "make {column} True/False (or 1/0), e.g. events[{column}] == 'purchase'; "
            "the builder does not guess what other values mean.",
            sql=lambda c: (
                f"{c.conversion} IS NULL OR TRY_CAST({c.conversion} AS BOOLEAN) IS NULL "
                f"OR CAST({c.conversion} AS VARCHAR) NOT IN ('true', 'false', '0', '1', '1.0', '0.0')"
            ),
            spark=lambda c, fn: c.conversion,  # the Spark builder passes the type-dependent condition itself
        ),
        Rule(
            "touch_has_channel",
            "channel",
            "must name a channel on every touch (a row that is not a conversion)",
            "fill in the channel (e.g. 'Unknown') or drop those events; only conversions may lack one.",
            sql=lambda c: f"{c.channel} IS NULL AND NOT {c.converting}",
            spark=lambda c, fn: c.channel.isNull() & ~c.converting,
        ),
        Rule(
            "label_not_empty",
            "channel",
            "must not hold empty channel labels",
            "name the channel (e.g. 'Unknown'), or set it to null on pure conversions.",
            sql=lambda c: f"trim(CAST({c.channel} AS VARCHAR)) = ''",
            spark=lambda c, fn: fn.trim(c.channel) == "",
        ),
        Rule(
            "value_numeric",
            "value",
            "must be numeric",
            "convert {column} to numbers, e.g. pd.to_numeric(events[{column}]).",
            sql=lambda c: f"{c.value_raw} IS NOT NULL AND {c.value} IS NULL",
            spark=lambda c, fn: c.value_raw.isNotNull() & c.value.isNull(),
            pandas=lambda c: np.asarray(c.value_raw) & np.isnan(c.value),
        ),
        Rule(
            "value_only_on_conversions",
            "value",
            "must be null or 0 on rows that are not conversions",
            "a value belongs to a conversion: flag the row as a conversion, or clear its value.",
            sql=lambda c: f"NOT {c.converting} AND COALESCE({c.value}, 0) <> 0",
            spark=lambda c, fn: ~c.converting & c.value.isNotNull() & ~fn.isnan(c.value) & (c.value != 0),
            pandas=lambda c: ~c.converting & ~np.isnan(c.value) & (c.value != 0),
        ),
        Rule(
            "value_on_every_conversion",
            "value",
            "must not be null on a conversion",
            "fill the missing conversion values (0 if unknown), e.g. events[{column}].fillna(0).",
            sql=lambda c: f"{c.converting} AND {c.value_raw} IS NULL",
            spark=lambda c, fn: c.converting & (c.value.isNull() | fn.isnan(c.value)),
            pandas=lambda c: c.converting & np.isnan(c.value),
        ),
        Rule(
            "value_finite_non_negative",
            "value",
            "must be finite and >= 0",
            "drop or fix those values (refunds belong in a separate analysis).",
            sql=_sql_not_finite_or_negative,
            spark=lambda c, fn: c.converting & ((c.value < 0) | (fn.abs(c.value) == float("inf"))),
            # pandas: check_non_negative_finite says which of the two (finite, >= 0) a value breaks
        ),
    )
}


def argument_error(name: str, rule: str, value: Any, fix: str) -> JourneyError:
    """The error for a builder argument (an engine's too) that breaks ``rule``."""
    return bad_argument(name, rule, value, fix)


def rule(key: str) -> Rule:
    """The rule named ``key`` (see :data:`EVENT_RULES`)."""
    return EVENT_RULES[key]


def event_rules(spec: EventSpec) -> list[Rule]:
    """The rules that apply under ``spec`` (value rules only when a value column is named)."""
    return [r for r in EVENT_RULES.values() if r.role != "value" or spec.value is not None]


def encode_labels(raw_labels: Sequence[str]) -> tuple[npt.NDArray[np.int32], list[str]]:
    """The one label rule of every builder: surrounding whitespace is stripped, so ``" Email"`` and
    ``"Email"`` are one channel. Returns each raw label's code and the sorted distinct labels."""
    stripped = [label.strip() for label in raw_labels]
    labels = sorted(set(stripped))
    position = {label: i for i, label in enumerate(labels)}
    return np.array([position[label] for label in stripped], dtype=np.int32), labels
