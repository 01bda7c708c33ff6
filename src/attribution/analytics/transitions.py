"""Transitions: the moves between channels, the journey map's graph, first × last touch."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from attribution.analytics._common import CONVERSION, NULL, START, journey_weight
from attribution.errors import ParameterError
from attribution.journeys import Journeys
from attribution.journeys.attributes import require_one_goal

if TYPE_CHECKING:
    import networkx as nx

__all__ = ["first_last_matrix", "transition_graph", "transitions"]


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
    require_one_goal(journeys, "summing them in one table")
    # START first, then the channels, then the two ends: rows come out in that order
    labels = np.asarray((START, *journeys.channels, CONVERSION, NULL), dtype=object)
    n = len(journeys.channels)
    start, conv, null = 0, n + 1, n + 2
    non_empty = journeys.lengths > 0
    weight = journey_weight(journeys)
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
    require_one_goal(journeys, "summing them in one table")
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
    require_one_goal(journeys, "summing them in one table")
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
            "weight": (journeys.conversions if values == "conversions" else journey_weight(journeys))[non_empty],
        }
    )
    table = frame.pivot_table(index="first", columns="last", values="weight", aggfunc="sum", fill_value=0.0)
    table = table.reindex(index=list(journeys.channels), columns=list(journeys.channels), fill_value=0.0)
    return table.astype(float).rename_axis(index="first touch", columns="last touch")
