"""Figures of the journeys themselves: a flow (alluvial) diagram of the first touches, and a transition heatmap.

The flow diagram has one column per touch (1st, 2nd, … k-th) and an outcome column.
Each journey with at least one touch is one unit of height in every column: in the
column of touch i it sits on the node of its i-th channel if it has that many touches,
otherwise on the lane of its outcome (conversion at the top, no conversion at the
bottom), which it joined when its last touch was shown. After the k-th touch every
journey still going joins the lane of its outcome, so every column sums to the same
total and the outcome column splits the journeys shown into converting and not. A row of
aggregated journeys counts for its ``conversions`` on the conversion side and its
``nulls`` on the other.

The counts are summed over the flat arrays of :class:`~attribution.Journeys` (the i-th
touch of every row is ``codes[offsets[:-1] + i]``) with one ``bincount`` per step.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from attribution._checks import boolean, integer, probability
from attribution.analytics import CONVERSION, NULL, START, transitions
from attribution.errors import JourneyError, ParameterError
from attribution.journeys import Journeys
from attribution.journeys.attributes import require_one_goal
from attribution.plotting._style import format_number, new_axes, palette, text_color_on

if TYPE_CHECKING:
    from matplotlib.axes import Axes

__all__ = ["OTHER", "journey_flows", "plot_journey_map", "plot_transitions"]

OTHER = "(other)"  # the channels below min_share of a step's journeys, grouped
CONVERSION_COLOUR, NULL_COLOUR, OTHER_COLOUR = "#009E73", "#BBBBBB", "#8C8C8C"
_ENDED = {CONVERSION: "ended, converted", NULL: "ended, no conversion"}
_SHOWN = {CONVERSION: "conversion", NULL: "no conversion", OTHER: "other", START: "journey start"}


def _checked(journeys: Any, owner: str) -> Journeys:
    """``journeys`` if it is a Journeys object with at least one touch to draw."""
    if not isinstance(journeys, Journeys):
        raise ParameterError(
            f"parameter 'journeys' of {owner} must be a Journeys object; got {type(journeys).__name__}. "
            "Fix: build one with Journeys.from_events, from_paths or from_sequences."
        )
    if not ((journeys.lengths > 0) & (journeys.conversions + journeys.nulls > 0)).any():
        raise JourneyError(
            f"{owner} has nothing to draw: no journey has a touch (every path is empty, or has no journey on it). "
            "Fix: check the channel column and the lookback window the journeys were built with."
        )
    return journeys


def journey_flows(journeys: Journeys, *, steps: int = 4, min_share: float = 0.05) -> pd.DataFrame:
    """The flows :func:`plot_journey_map` draws: journeys from each node of a column to the next column's.

    Parameters
    ----------
    journeys
        The journeys (of one conversion goal). Journeys without a touch are left out.
    steps
        How many touches to follow (k); column k + 1 is the outcome.
    min_share
        A channel holding less than this share of a column's journeys on touches is
        grouped with the others of that column as ``"(other)"``.

    Returns
    -------
    pandas.DataFrame
        One row per flow: ``source_step``, ``source``, ``target_step``, ``target``,
        ``journeys``. Nodes are channels, ``"(other)"``, and the lanes
        ``"(conversion)"`` and ``"(null)"`` (no conversion). Every column's outflow is the
        number of journeys shown; the flows into ``"(conversion)"`` of the last column
        sum to their conversions.

    Examples
    --------
    >>> j = Journeys.from_sequences([["A", "B"], ["A"], ["B", "A", "A"]], conversions=[2, 0, 1], nulls=[0, 3, 1])
    >>> print(journey_flows(j, steps=2, min_share=0).to_string(index=False))
     source_step source  target_step       target  journeys
               1      A            2            B       2.0
               1      A            2       (null)       3.0
               1      B            2            A       2.0
               2      A            3 (conversion)       1.0
               2      A            3       (null)       1.0
               2      B            3 (conversion)       2.0
               2 (null)            3       (null)       3.0
    """
    return _flows(journeys, steps, min_share, "journey_flows")


def _flows(journeys: Any, steps: Any, min_share: Any, owner: str) -> pd.DataFrame:
    """:func:`journey_flows`, its parameters checked in the name of ``owner``."""
    journeys = _checked(journeys, owner)
    steps = integer(steps, "steps", low=1, high=50, owner=owner, fix="e.g. steps=4.")
    min_share = probability(min_share, "min_share", owner=owner, fix="e.g. min_share=0.05.")
    require_one_goal(journeys, "following them in one diagram")
    lengths = journeys.lengths
    shown = np.flatnonzero(lengths > 0)
    length = lengths[shown]
    starts = journeys.offsets[:-1][shown]
    conversions, nulls = journeys.conversions[shown], journeys.nulls[shown]
    weight = conversions + nulls
    n = len(journeys.channels)
    other, conversion, null = n, n + 1, n + 2
    labels = np.asarray([*journeys.channels, OTHER, CONVERSION, NULL], dtype=object)
    size = n + 3

    def nodes(step: int, rows: npt.NDArray[np.int64]) -> npt.NDArray[np.int64]:
        """The node of touch ``step`` (0-based) of ``rows``: its channel, or OTHER where that channel is small."""
        codes = journeys.codes[starts[rows] + step].astype(np.int64)
        counts = np.bincount(codes, weights=weight[rows], minlength=n)
        small = counts < min_share * counts.sum()
        grouped: npt.NDArray[np.int64] = np.where(small[codes], other, codes)
        return grouped

    frames = []
    lane_conversions = lane_nulls = 0.0  # journeys that ended before this column, by outcome
    active = np.arange(len(shown))
    source = nodes(0, active)
    for step in range(steps):
        going_on = length[active] > step + 1 if step < steps - 1 else np.zeros(len(active), dtype=bool)
        target = nodes(step + 1, active[going_on])
        ending = active[~going_on]
        pairs = np.concatenate(
            [
                source[going_on] * size + target,
                source[~going_on] * size + conversion,
                source[~going_on] * size + null,
                [conversion * size + conversion, null * size + null],
            ]
        )
        amounts = np.concatenate(
            [weight[active[going_on]], conversions[ending], nulls[ending], [lane_conversions, lane_nulls]]
        )
        counts = np.bincount(pairs, weights=amounts, minlength=size * size)
        present = np.flatnonzero(counts > 0)
        frames.append(
            pd.DataFrame(
                {
                    "source_step": step + 1,
                    "source": labels[present // size],
                    "target_step": step + 2,
                    "target": labels[present % size],
                    "journeys": counts[present],
                }
            )
        )
        lane_conversions += float(conversions[ending].sum())
        lane_nulls += float(nulls[ending].sum())
        active, source = active[going_on], target
    return pd.concat(frames, ignore_index=True)


def _ordinal(step: int) -> str:
    suffix = "th" if 10 <= step % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(step % 10, "th")
    return f"{step}{suffix}"


def plot_journey_map(journeys: Journeys, *, steps: int = 4, min_share: float = 0.05, ax: Axes | None = None) -> Axes:
    """A flow diagram of the first ``steps`` touches of every journey, into conversion or no conversion.

    Columns are the 1st, 2nd, … touch and the outcome; a band's height is the number of
    journeys that move from one node to the next. A journey that ends joins the lane of its
    outcome (green, conversion, on top; grey, no conversion, at the bottom) and rides it to
    the right, so each column holds every journey shown and the outcome column splits them.
    Bands take the colour of the channel they leave. The numbers are
    :func:`journey_flows`' (same parameters).

    Parameters
    ----------
    journeys
        The journeys (of one conversion goal). Journeys without a touch are left out.
    steps
        How many touches to follow (default 4).
    min_share
        Channels with less than this share of a column's journeys on touches are grouped
        as "other" there (default 0.05); 0 shows every channel.
    ax
        Axes to draw on; by default a new 12 × 7.5 inch figure.

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import matplotlib.pyplot as plt
    >>> j = Journeys.from_sequences([["A", "B"], ["A"], ["B", "A"]], conversions=[2, 0, 1], nulls=[0, 3, 1])
    >>> ax = plot_journey_map(j, steps=2)
    >>> ax.get_title(loc="left")
    'Journeys: the first 2 touches and the outcome'
    >>> plt.close(ax.figure)
    """
    flows = _flows(journeys, steps, min_share, "plot_journey_map")
    ax = new_axes(ax, (12.0, 7.5), "plot_journey_map")
    layout = _Layout.of(flows, [str(c) for c in journeys.channels], steps)
    figure: Any = ax.figure
    # the axes' height in points over the data height: for which labels fit their node
    points_per_unit = figure.get_figheight() * 72 * ax.get_position().height * 0.9 / (layout.height * 1.09)
    _draw_bands(ax, flows, layout)
    _draw_nodes(ax, layout, points_per_unit)
    for column in range(1, steps + 2):
        header = "outcome" if column == steps + 1 else f"{_ordinal(column)} touch"
        ax.text(column - 1, -0.03 * layout.height, header, ha="center", va="bottom", fontsize=9, fontweight="bold")
    from matplotlib.patches import Patch

    handles = [Patch(facecolor=layout.colours[node], label=_SHOWN.get(node, node)) for node in layout.legend]
    ax.legend(
        handles=handles,
        loc="upper center",
        bbox_to_anchor=(0.5, 0.0),
        ncols=min(len(handles), 7),
        frameon=False,
        fontsize="small",
        handlelength=1.0,
        columnspacing=1.2,
    )
    ax.set_xlim(-0.3, steps + 0.45)
    ax.set_ylim(layout.height * 1.01, -0.075 * layout.height)
    ax.set_axis_off()
    ax.set_title(f"Journeys: the first {steps} touches and the outcome", loc="left", pad=18)
    grouped = f"channels under {min_share:.0%} of a column grouped as other; " if min_share > 0 else ""
    ax.text(
        0.0,
        1.0,
        f"{format_number(layout.total, 'conversions')} journeys with a touch; {grouped}"
        "journeys that end ride the conversion (top) or no-conversion (bottom) lane",
        transform=ax.transAxes,
        fontsize=8.5,
        color="#555555",
        va="bottom",
    )
    return ax


@dataclass(frozen=True)
class _Layout:
    """Where the nodes of the flow diagram sit: node (column, name) → its size and top (y grows downward)."""

    size: dict[tuple[int, str], float]
    top: dict[tuple[int, str], float]
    rank: dict[str, int]  # order within a column: conversion lane, channels by volume, other, no-conversion lane
    colours: dict[str, str]
    legend: list[str]
    total: float
    gap: float
    height: float
    columns: int

    @classmethod
    def of(cls, flows: pd.DataFrame, channels: list[str], steps: int) -> _Layout:
        size: dict[tuple[int, str], float] = {}
        for column, node, amount in zip(
            _ints(flows["source_step"]), _texts(flows["source"]), _floats(flows), strict=True
        ):
            size[(column, node)] = size.get((column, node), 0.0) + amount
        for column, node, amount in zip(
            _ints(flows["target_step"]), _texts(flows["target"]), _floats(flows), strict=True
        ):
            if column == steps + 1:
                size[(column, node)] = size.get((column, node), 0.0) + amount
        volume = {channel: sum(v for (_, node), v in size.items() if node == channel) for channel in channels}
        ranked = sorted((c for c in channels if volume[c] > 0), key=lambda c: -volume[c])
        rank = {node: i for i, node in enumerate([CONVERSION, *ranked, OTHER, NULL])}
        # green is the conversion lane's: no channel gets a green, nor black (it reads as the grey of "other")
        taken = (CONVERSION_COLOUR, "#117733", "#000000")
        colours = dict(zip(ranked, [c for c in palette(len(ranked) + len(taken)) if c not in taken], strict=False))
        colours.update({CONVERSION: CONVERSION_COLOUR, NULL: NULL_COLOUR, OTHER: OTHER_COLOUR})
        total = sum(v for (column, _), v in size.items() if column == 1)
        gap = 0.018 * total
        stacks = [sorted((n for (c, n) in size if c == column), key=rank.__getitem__) for column in range(1, steps + 2)]
        height = max(total + gap * (len(nodes) - 1) for nodes in stacks)
        top: dict[tuple[int, str], float] = {}
        for column, nodes in enumerate(stacks, start=1):
            y = (height - (total + gap * (len(nodes) - 1))) / 2  # columns are centred
            for node in nodes:
                top[(column, node)] = y
                y += size[(column, node)] + gap
        shown = {node for (_, node) in size}
        legend = [node for node in [*ranked, OTHER] if node in shown] + [CONVERSION, NULL]
        return cls(size, top, rank, colours, legend, total, gap, height, steps + 1)


def _ints(column: pd.Series) -> list[int]:
    return [int(v) for v in column.to_numpy(dtype=np.int64)]


def _texts(column: pd.Series) -> list[str]:
    return [str(v) for v in column.to_numpy(dtype=object)]


def _floats(flows: pd.DataFrame) -> list[float]:
    return [float(v) for v in flows["journeys"].to_numpy(dtype=np.float64)]


NODE_WIDTH = 0.07  # of the distance between two columns


def _draw_bands(ax: Axes, flows: pd.DataFrame, layout: _Layout) -> None:
    """One cubic Bézier band per flow, stacked at its source in the order of the targets and vice versa."""
    from matplotlib.patches import PathPatch
    from matplotlib.path import Path

    records = list(
        zip(_ints(flows["source_step"]), _texts(flows["source"]), _texts(flows["target"]), _floats(flows), strict=True)
    )
    rank = layout.rank
    leaving = dict.fromkeys(layout.top, 0.0)
    arriving = dict.fromkeys(layout.top, 0.0)
    arrival: dict[tuple[int, str, str], float] = {}
    for step, source, target, amount in sorted(records, key=lambda r: (r[0], rank[r[2]], rank[r[1]])):
        arrival[(step, source, target)] = layout.top[(step + 1, target)] + arriving[(step + 1, target)]
        arriving[(step + 1, target)] += amount
    biggest: dict[int, float] = {}
    for step, source, target, amount in records:
        if not (source == target and source in (CONVERSION, NULL)):
            biggest[step] = max(biggest.get(step, 0.0), amount)
    codes = [Path.MOVETO, *[Path.CURVE4] * 3, Path.LINETO, *[Path.CURVE4] * 3, Path.CLOSEPOLY]
    for step, source, target, amount in sorted(records, key=lambda r: (r[0], rank[r[1]], rank[r[2]])):
        y0 = layout.top[(step, source)] + leaving[(step, source)]
        leaving[(step, source)] += amount
        y1 = arrival[(step, source, target)]
        x0, x1 = step - 1 + NODE_WIDTH / 2, step - NODE_WIDTH / 2
        middle = (x0 + x1) / 2
        vertices = [
            (x0, y0),
            (middle, y0),
            (middle, y1),
            (x1, y1),
            (x1, y1 + amount),
            (middle, y1 + amount),
            (middle, y0 + amount),
            (x0, y0 + amount),
            (x0, y0),
        ]
        lane = source == target and source in (CONVERSION, NULL)
        # big flows stand out, the many small ones recede
        strength = 0.2 if lane else 0.12 + 0.5 * float(np.sqrt(amount / biggest[step]))
        band = PathPatch(Path(vertices, codes), facecolor=layout.colours[source], edgecolor="none", alpha=strength)
        band.set_zorder(1)
        ax.add_patch(band)


def _draw_nodes(ax: Axes, layout: _Layout, points_per_unit: float) -> None:
    """The nodes, each labelled with its name and journeys where the label fits."""
    from matplotlib.patches import Rectangle

    for (column, node), y in layout.top.items():
        size = layout.size[(column, node)]
        x = column - 1 - NODE_WIDTH / 2
        ax.add_patch(Rectangle((x, y), NODE_WIDTH, size, facecolor=layout.colours[node], edgecolor="white", zorder=2))
        final = column == layout.columns
        tall = size * points_per_unit
        room = (size + layout.gap) * points_per_unit  # a one-line label may use the gap below its node
        if room < 9.0 or (column == 1 and node in (CONVERSION, NULL)):
            continue
        name = _SHOWN.get(node, node) if final or node not in (CONVERSION, NULL) else _ENDED[node]
        count = format_number(size, "conversions")
        if final:
            text = f"{name}\n{count} ({size / layout.total:.0%})"
        else:
            text = f"{name}\n{count}" if tall >= 19 else f"{name} {count}"
        ax.text(
            column - 1 + NODE_WIDTH / 2 + 0.02,
            y + size / 2,
            text,
            ha="left",
            va="center",
            fontsize=7.5 if tall >= 8.5 else 6.5,
            zorder=3,
            linespacing=1.1,
            bbox={"boxstyle": "round,pad=0.15", "facecolor": "white", "edgecolor": "none", "alpha": 0.75},
        )


def plot_transitions(journeys: Journeys, *, start: bool = True, ax: Axes | None = None) -> Axes:
    """Heatmap of the first-order transitions: from each channel, the chance of each next channel or outcome.

    Row *c*, column *d*: the share of touches on *c* followed by a touch on *d*; the last
    two columns are the journey ending there with a conversion, or without. Each row sums
    to 1. Counts are :func:`attribution.analytics.transitions`' (journeys weighed by
    ``conversions + nulls``, consecutive repeats kept: the diagonal).

    Parameters
    ----------
    journeys
        The journeys (of one conversion goal).
    start
        Add a first row "journey start": where journeys begin.
    ax
        Axes to draw on; by default a new figure sized for the channels.

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import matplotlib.pyplot as plt
    >>> j = Journeys.from_sequences([["A", "B"], ["B"]], conversions=[1, 1], nulls=[1, 3])
    >>> ax = plot_transitions(j)
    >>> ax.images[0].get_array().sum(axis=1).round(6).tolist()
    [1.0, 1.0, 1.0]
    >>> plt.close(ax.figure)
    """
    journeys = _checked(journeys, "plot_transitions")
    start = boolean(start, "start", owner="plot_transitions")
    table = transitions(journeys)
    channels = list(journeys.channels)
    counts = table.pivot_table(index="source", columns="target", values="journeys", aggfunc="sum", fill_value=0.0)
    rows = [r for r in ([START] if start else []) + channels if r in counts.index]
    counts = counts.reindex(index=rows, columns=[*channels, CONVERSION, NULL], fill_value=0.0)
    probabilities = counts.div(counts.sum(axis=1), axis=0)
    n_rows, n_columns = probabilities.shape
    ax = new_axes(ax, (max(6.0, 0.72 * n_columns + 2.6), max(3.0, 0.42 * n_rows + 1.9)), "plot_transitions")
    from matplotlib import colormaps
    from matplotlib.colors import Normalize

    data = probabilities.to_numpy(dtype=np.float64)
    n_channels = len(channels)
    # moves between channels in blue; each outcome column on its own scale, so small
    # conversion chances still tell apart
    blocks = [
        (slice(0, n_channels), "Blues"),
        (slice(n_channels, n_channels + 1), "Greens"),
        (slice(n_channels + 1, n_channels + 2), "Greys"),
    ]
    ax.imshow(data, cmap="Blues", aspect="auto", interpolation="nearest", vmin=0.0, vmax=max(float(data.max()), 1e-12))
    for block, name in blocks:
        cmap = colormaps[name]
        part = data[:, block]
        darkest = 0.6 if name == "Greys" else 0.85  # the grey scale stops at mid grey: black text stays readable
        norm = Normalize(vmin=0.0, vmax=max(float(part.max()) if part.size else 0.0, 1e-12) / darkest)
        if block.start:
            left = block.start - 0.5
            ax.imshow(
                part,
                cmap=cmap,
                norm=norm,
                aspect="auto",
                interpolation="nearest",
                extent=(left, left + part.shape[1], n_rows - 0.5, -0.5),
            )
        for i in range(n_rows):
            for offset in range(part.shape[1]):
                value = float(part[i, offset])
                impossible = rows[i] == START and block.start  # a journey cannot end before its first touch
                ax.text(
                    block.start + offset,
                    i,
                    "–" if impossible else f"{value:.0%}" if value >= 0.01 or value == 0 else "<1%",
                    ha="center",
                    va="center",
                    fontsize=7.5,
                    color=text_color_on(cmap(norm(value))),
                )
    ax.set_xticks(np.arange(n_columns), labels=[_SHOWN.get(c, c) for c in probabilities.columns])
    ax.set_yticks(np.arange(n_rows), labels=[_SHOWN.get(r, r) for r in probabilities.index])
    ax.tick_params(axis="x", rotation=35, length=0)
    for label in ax.get_xticklabels():
        label.set_horizontalalignment("right")
        label.set_rotation_mode("anchor")
    ax.tick_params(axis="y", length=0)
    ax.set_xticks(np.arange(n_columns + 1) - 0.5, minor=True)
    ax.set_yticks(np.arange(n_rows + 1) - 0.5, minor=True)
    ax.grid(which="minor", color="white", linewidth=1.2)
    ax.tick_params(which="minor", length=0)
    ax.axvline(len(channels) - 0.5, color="#333333", linewidth=1.2)
    if start and rows and rows[0] == START:
        ax.axhline(0.5, color="#333333", linewidth=1.2)
    for spine in ax.spines.values():
        spine.set_visible(False)
    ax.set_xlabel("next touch, or the journey's end")
    ax.set_ylabel("touch on")
    ax.set_title("Where each touch leads: share of the touches on a row's channel", loc="left", pad=10)
    return ax
