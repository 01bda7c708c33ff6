"""Journey analytics: the numbers of a journey map, from the flat arrays of ``Journeys``.

Every table weighs a path row by its journeys (``conversions + nulls``), so aggregated and
unaggregated journeys give the same numbers, and totals reconcile with the ``Journeys``
totals (empty paths are reported, not dropped).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from attribution.errors import JourneyError, ParameterError
from attribution.journeys import Journeys, ragged
from attribution.journeys.from_events import conversion_flags, require_columns
from attribution.journeys.rules import bad_rows

if TYPE_CHECKING:
    import networkx as nx

__all__ = [
    "channel_presence",
    "drop_off",
    "first_last_matrix",
    "path_lengths",
    "stage_summary",
    "time_to_conversion",
    "top_paths",
    "transition_graph",
    "transitions",
]

START, CONVERSION, NULL = "(start)", "(conversion)", "(null)"
EMPTY_PATH = "(no touch)"  # how top_paths shows conversions with no touch in the window


def _weight(journeys: Journeys) -> np.ndarray:
    return journeys.conversions + journeys.nulls


def path_lengths(journeys: Journeys) -> pd.DataFrame:
    """Journeys, conversions and conversion rate by number of touches (0 = empty path).

    Examples
    --------
    >>> j = Journeys.from_sequences([["A", "B"], ["B"], []], conversions=[1, 0, 1], nulls=[1, 2, 0])
    >>> path_lengths(j)["journeys"].to_dict()
    {0: 1.0, 1: 2.0, 2: 2.0}
    """
    frame = pd.DataFrame(
        {
            "length": journeys.lengths,
            "journeys": _weight(journeys),
            "conversions": journeys.conversions,
            "value": journeys.value,
        }
    )
    table = frame.groupby("length").sum()
    table["conversion_rate"] = table["conversions"] / table["journeys"].where(table["journeys"] > 0)
    return table


def top_paths(journeys: Journeys, n: int = 10, *, by: str = "conversions") -> pd.DataFrame:
    """The ``n`` most common paths (equal paths merged) by ``"conversions"``, ``"journeys"`` or ``"value"``.

    Conversions with no touch in the window show as the path ``"(no touch)"``.

    Examples
    --------
    >>> j = Journeys.from_sequences([["A", "B"], ["A", "B"], ["B"]], conversions=[1, 2, 1], nulls=[1, 0, 5])
    >>> top_paths(j, 1)[["path", "conversions", "journeys"]].to_dict("records")
    [{'path': 'A > B', 'conversions': 3.0, 'journeys': 4.0}]
    """
    if by not in ("conversions", "journeys", "value"):
        raise ParameterError(f"parameter 'by' of top_paths must be 'conversions', 'journeys' or 'value'; got {by!r}.")
    if isinstance(n, (bool, np.bool_)) or not isinstance(n, (int, np.integer)) or n < 1:
        raise ParameterError(
            f"parameter 'n' of top_paths must be a positive integer; got {n!r}. Fix: ask for e.g. the top n=10 paths."
        )
    merged = journeys.aggregate()
    frame = merged.to_frame()
    frame["path"] = frame["path"].where(frame["path"] != "", EMPTY_PATH)
    frame["journeys"] = frame["conversions"] + frame["nulls"]
    frame["conversion_rate"] = frame["conversions"] / frame["journeys"].where(frame["journeys"] > 0)
    columns = ["path", "journeys", "conversions", "conversion_rate", "value"]
    return (
        frame.sort_values([by, "path"], ascending=[False, True], kind="stable")[columns].head(n).reset_index(drop=True)
    )


def time_to_conversion(journeys: Journeys) -> pd.DataFrame:
    """Days from the first touch to the conversion, over converting journeys with touches.

    Returns count, mean, quartiles and max, weighted by conversions.

    Raises
    ------
    JourneyError
        The journeys carry no touch times (e.g. built from an aggregated path table).

    Examples
    --------
    >>> day = 86_400
    >>> j = Journeys.from_sequences([["A", "B"], ["C"]], conversions=[1, 1], times=[[3 * day, 0], [day]])
    >>> time_to_conversion(j)["mean_days"].item()
    2.0
    """
    if journeys.times is None:
        raise JourneyError(
            "time_to_conversion needs touch times, and these journeys have none. "
            "Fix: build them with Journeys.from_events (or pass times to from_sequences)."
        )
    non_empty = journeys.lengths > 0
    first = journeys.offsets[:-1][non_empty]
    days = journeys.times[first] / 86_400.0
    weight = journeys.conversions[non_empty]
    keep = weight > 0
    days, weight = days[keep], weight[keep]
    if not len(days):
        return pd.DataFrame([{"conversions": 0.0}])
    order = np.argsort(days, kind="stable")
    cumulative = np.cumsum(weight[order]) / weight.sum()

    def quantile(q: float) -> float:
        return float(days[order][np.searchsorted(cumulative, q)])

    return pd.DataFrame(
        [
            {
                "conversions": float(weight.sum()),
                "mean_days": float(np.average(days, weights=weight)),
                "p25_days": quantile(0.25),
                "median_days": quantile(0.5),
                "p75_days": quantile(0.75),
                "max_days": float(days.max()),
            }
        ]
    )


def transitions(journeys: Journeys) -> pd.DataFrame:
    """Weighted counts of every move: START → first channel, channel → next, last → CONV / NULL.

    Consecutive repeats are kept (A > A counts an A → A move). Long form: ``source``,
    ``target``, ``journeys``; START's total equals the journeys on non-empty paths.

    Examples
    --------
    >>> j = Journeys.from_sequences([["A", "B"]], conversions=[2], nulls=[1])
    >>> transitions(j).to_dict("records")[:2]
    [{'source': '(start)', 'target': 'A', 'journeys': 3.0}, {'source': 'A', 'target': 'B', 'journeys': 3.0}]
    """
    # START first, then the channels, then the two ends: rows come out in that order
    labels = np.asarray((START, *journeys.channels, CONVERSION, NULL), dtype=object)
    n = len(journeys.channels)
    start, conv, null = 0, n + 1, n + 2
    non_empty = journeys.lengths > 0
    weight = _weight(journeys)
    rows = journeys.touch_rows()
    codes = journeys.codes.astype(np.int64) + 1
    follows = np.ones(len(codes), dtype=bool)
    follows[journeys.offsets[:-1][non_empty]] = False
    inner = np.flatnonzero(follows)
    last = journeys.offsets[1:][non_empty] - 1
    sources = np.concatenate([np.full(int(non_empty.sum()), start), codes[inner - 1], codes[last], codes[last]])
    targets = np.concatenate(
        [
            codes[journeys.offsets[:-1][non_empty]],
            codes[inner],
            np.full(len(last), conv),
            np.full(len(last), null),
        ]
    )
    weights = np.concatenate(
        [weight[non_empty], weight[rows[inner]], journeys.conversions[non_empty], journeys.nulls[non_empty]]
    )
    size = n + 3
    counts = np.bincount(sources * size + targets, weights=weights, minlength=size * size)
    present = np.flatnonzero(counts > 0)
    return pd.DataFrame(
        {"source": labels[present // size], "target": labels[present % size], "journeys": counts[present]}
    )


def transition_graph(journeys: Journeys) -> nx.DiGraph:
    """:func:`transitions` as a ``networkx.DiGraph`` with ``journeys`` and ``share`` (of the source's
    outflow) edge attributes: the journey map."""
    import networkx as nx

    table = transitions(journeys)
    outflow = table.groupby("source")["journeys"].transform("sum")
    graph = nx.DiGraph()
    for source, target, count, share in zip(
        table["source"],
        table["target"],
        table["journeys"].tolist(),
        (table["journeys"] / outflow).tolist(),
        strict=True,
    ):
        graph.add_edge(source, target, journeys=count, share=share)
    return graph


def first_last_matrix(journeys: Journeys, *, values: str = "conversions") -> pd.DataFrame:
    """First-touch channel × last-touch channel: ``"conversions"`` or ``"journeys"`` on each pair.

    Examples
    --------
    >>> j = Journeys.from_sequences([["A", "B"], ["A"]], conversions=[1, 2])
    >>> first_last_matrix(j).loc["A"].to_dict()
    {'A': 2.0, 'B': 1.0}
    """
    if values not in ("conversions", "journeys"):
        raise ParameterError(
            f"parameter 'values' of first_last_matrix must be 'conversions' or 'journeys'; got {values!r}."
        )
    non_empty = journeys.lengths > 0
    labels = np.asarray(journeys.channels, dtype=object)
    frame = pd.DataFrame(
        {
            "first": labels[journeys.codes[journeys.offsets[:-1][non_empty]]],
            "last": labels[journeys.codes[journeys.offsets[1:][non_empty] - 1]],
            "weight": (journeys.conversions if values == "conversions" else _weight(journeys))[non_empty],
        }
    )
    table = frame.pivot_table(index="first", columns="last", values="weight", aggfunc="sum", fill_value=0.0)
    table = table.reindex(index=list(journeys.channels), columns=list(journeys.channels), fill_value=0.0)
    return table.astype(float).rename_axis(index="first touch", columns="last touch")


def drop_off(journeys: Journeys) -> pd.DataFrame:
    """Per channel: non-converting journeys whose last touch it was, and its share of all drop-offs.

    Examples
    --------
    >>> j = Journeys.from_sequences([["A", "B"], ["B", "A"]], conversions=[0, 1], nulls=[3, 1])
    >>> drop_off(j)["nulls"].to_dict()
    {'A': 1.0, 'B': 3.0}
    """
    non_empty = journeys.lengths > 0
    last = journeys.codes[journeys.offsets[1:][non_empty] - 1]
    nulls = np.bincount(last, weights=journeys.nulls[non_empty], minlength=len(journeys.channels))
    ended = np.bincount(last, weights=_weight(journeys)[non_empty], minlength=len(journeys.channels))
    table = pd.DataFrame(
        {"nulls": nulls, "journeys_ending_here": ended}, index=pd.Index(journeys.channels, name="channel")
    )
    total = nulls.sum()
    table["share_of_drop_off"] = nulls / total if total > 0 else 0.0
    table["drop_off_rate"] = nulls / np.where(ended > 0, ended, np.nan)
    return table


def channel_presence(journeys: Journeys) -> pd.DataFrame:
    """Conversion rate and value per conversion of journeys with and without each channel.

    A channel is present on a path if it is touched at least once. Associational, not
    causal: channels that come late in journeys look good here.

    Examples
    --------
    >>> j = Journeys.from_sequences([["A", "B"], ["B"]], conversions=[3, 1], nulls=[1, 3])
    >>> channel_presence(j)["rate_with"].to_dict()
    {'A': 0.75, 'B': 0.5}
    """
    n = len(journeys.channels)
    first = ragged.first_in_row(journeys.codes, journeys.offsets, n)  # count each channel once per path
    rows = journeys.touch_rows()[first]
    codes = journeys.codes[first]
    weight = _weight(journeys)
    with_journeys = np.bincount(codes, weights=weight[rows], minlength=n)
    with_conversions = np.bincount(codes, weights=journeys.conversions[rows], minlength=n)
    with_value = np.bincount(codes, weights=journeys.value[rows], minlength=n)
    without_journeys = weight.sum() - with_journeys
    without_conversions = journeys.conversions.sum() - with_conversions
    without_value = journeys.value.sum() - with_value

    def ratio(a: np.ndarray, b: np.ndarray) -> np.ndarray:
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(b > 0, a / np.where(b > 0, b, 1.0), np.nan)

    return pd.DataFrame(
        {
            "journeys_with": with_journeys,
            "rate_with": ratio(with_conversions, with_journeys),
            "value_per_conversion_with": ratio(with_value, with_conversions),
            "journeys_without": without_journeys,
            "rate_without": ratio(without_conversions, without_journeys),
            "value_per_conversion_without": ratio(without_value, without_conversions),
        },
        index=pd.Index(journeys.channels, name="channel"),
    )


def stage_summary(events: pd.DataFrame, *, user: str, stage: str, conversion: str) -> pd.DataFrame:
    """Per stage of an event log that carries one (e.g. awareness, consideration, decision).

    Counts the events and the users seen at each stage, and the share of those users who
    converted at some point: where in the funnel users are reached, and how far they go.
    The order of the stages is the column's category order if it is categorical, else
    the order of first appearance.

    Raises
    ------
    JourneyError
        A missing column, a null user or stage, or a conversion flag that is not boolean
        (True/False or 1/0): the same check as :meth:`Journeys.from_events`, so ``"no"``
        or NaN never counts as a conversion.

    Examples
    --------
    >>> events = pd.DataFrame({"u": [1, 1, 2, 2], "stage": ["aware", "deciding", "aware", "aware"],
    ...                        "buy": [False, True, False, False]})
    >>> stage_summary(events, user="u", stage="stage", conversion="buy")["conversion_rate"].to_dict()
    {'aware': 0.5, 'deciding': 1.0}
    """
    require_columns(events, {"user": user, "stage": stage, "conversion": conversion})
    fixes = {
        "user": "drop those events, or fill in the user each belongs to.",
        "stage": "fill in the stage (e.g. 'unknown') or drop those events.",
    }
    for argument, name in (("user", user), ("stage", stage), ("conversion", conversion)):
        if isinstance(events[name], pd.DataFrame):
            raise JourneyError(
                f"column {name!r} (argument {argument!r}) appears more than once in the data. "
                "Fix: rename or drop the copies."
            )
        missing = events[name].isna().to_numpy()
        if argument in fixes and missing.any():
            raise bad_rows(f"column {name!r}", "must not be null", missing, index=events.index, fix=fixes[argument])
    converts = conversion_flags(events[conversion], conversion, events.index)
    converting_users = pd.unique(events[user].to_numpy()[converts])
    frame = pd.DataFrame(
        {"stage": events[stage], "user": events[user], "converts": events[user].isin(converting_users)}
    )
    grouped = frame.groupby("stage", observed=True, sort=False)
    table = pd.DataFrame(
        {
            "events": grouped.size(),
            "users": grouped["user"].nunique(),
            "converting_users": frame[frame["converts"]].groupby("stage", observed=True, sort=False)["user"].nunique(),
        }
    ).fillna({"converting_users": 0})
    if isinstance(events[stage].dtype, pd.CategoricalDtype):
        table = table.reindex([c for c in events[stage].cat.categories if c in table.index])
    table["converting_users"] = table["converting_users"].astype(int)
    table["conversion_rate"] = table["converting_users"] / table["users"]
    return table.rename_axis("stage")
