"""Figures of an evaluation: models against a known truth, and bootstrap intervals of one model's credits."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from attribution._checks import one_of
from attribution.errors import ParameterError
from attribution.evaluate.bootstrap import QUANTITIES, BootstrapResult
from attribution.evaluate.scoring import scoring_inputs
from attribution.plotting._style import EDGE, OKABE_ITO, format_number, new_axes, series_styles

if TYPE_CHECKING:
    from matplotlib.axes import Axes

__all__ = ["plot_bootstrap", "plot_truth_vs_model", "spread_labels"]

_QUANTITY_LABEL = {"share": "share of conversions", "conversions": "conversions credited", "value": "value credited"}


def spread_labels(positions: npt.ArrayLike, gap: float) -> npt.NDArray[np.float64]:
    """Label positions moved apart to at least ``gap`` from each other, as little as possible, order kept.

    Neighbours closer than ``gap`` are merged into a cluster centred on their mean
    wanted position and laid ``gap`` apart (the least-squares placement in one
    dimension); clusters that then touch are merged again.

    Examples
    --------
    >>> spread_labels([0.0, 0.1, 5.0], gap=1.0).tolist()
    [-0.45, 0.55, 5.0]
    """
    wanted = np.asarray(positions, dtype=np.float64)
    order = np.argsort(wanted, kind="stable")
    clusters: list[list[float]] = []  # each: [sum of wanted positions, count]
    for value in wanted[order]:
        clusters.append([float(value), 1.0])
        while len(clusters) > 1:
            (sum_a, n_a), (sum_b, n_b) = clusters[-2], clusters[-1]
            end_a = sum_a / n_a + (n_a - 1) * gap / 2
            start_b = sum_b / n_b - (n_b - 1) * gap / 2
            if start_b - end_a >= gap:
                break
            clusters[-2:] = [[sum_a + sum_b, n_a + n_b]]
    placed = np.concatenate([total / count + (np.arange(count) - (count - 1) / 2) * gap for total, count in clusters])
    result = np.empty_like(wanted)
    result[order] = placed
    return result


def plot_truth_vs_model(results: Any, truth: Any, *, against: str = "shapley_share", ax: Axes | None = None) -> Axes:
    """Each model's channel shares against the true shares; the diagonal is a perfect model.

    Every channel is a column of points at its true share (one point per model, a
    distinct colour and marker each), with a grey bar over the models' range and the
    channel's name above it (names are moved apart where columns are close, with a
    leader line). Points above the diagonal over-credit the channel.

    Parameters
    ----------
    results
        A :class:`~attribution.Comparison`, an :class:`~attribution.models.Attribution`,
        or a mapping / list of them, checked as by :func:`attribution.evaluate.score`.
    truth
        The true shares per channel: a Series, or a DataFrame with the column ``against``
        (e.g. :attr:`Simulation.truth`).
    against
        Which column of ``truth`` to use (default ``"shapley_share"``).
    ax
        Axes to draw on; by default a new figure with the legend to the right.

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import matplotlib.pyplot as plt
    >>> import pandas as pd
    >>> from attribution import Journeys, LastTouch, Linear, compare
    >>> j = Journeys.from_sequences([["A", "B"], ["B"]], conversions=[1, 1])
    >>> ax = plot_truth_vs_model(compare(j, [LastTouch(), Linear()]), pd.Series({"A": 0.4, "B": 0.6}))
    >>> sorted(t.get_text() for t in ax.texts)
    ['A', 'B']
    >>> plt.close(ax.figure)
    """
    by_model, true_share = scoring_inputs(results, truth, against, caller="plot_truth_vs_model")
    ax = new_axes(ax, (9.0, 6.8), "plot_truth_vs_model")
    channels = [str(c) for c in true_share.index]
    x = true_share.to_numpy(dtype=np.float64) * 100
    shares = np.column_stack(
        [
            result.credits["share"].reindex(true_share.index, fill_value=0.0).to_numpy(dtype=np.float64) * 100
            for result in by_model.values()
        ]
    )
    low, high = shares.min(axis=1), shares.max(axis=1)
    top = max(float(x.max()), float(high.max()), 1e-9)
    ax.vlines(x, low, high, color="#d0d0d0", linewidth=5, zorder=1, label="range over the models")
    right, highest = max(float(x.max()), 1e-9) * 1.12, top * 1.04
    ax.plot([0, top * 2], [0, top * 2], color="#555555", linewidth=1.0, linestyle="--", zorder=0, label="model = truth")
    for column, (name, (colour, marker)) in enumerate(zip(by_model, series_styles(len(by_model)), strict=True)):
        ax.scatter(
            x,
            shares[:, column],
            color=colour,
            marker=marker,
            s=36,
            edgecolors=EDGE,
            linewidths=0.5,
            label=str(name),
            zorder=3,
        )
    ax.set_xlim(0, right)
    _label_columns(ax, x, high, channels, right, highest)
    ax.set_xlabel(f"true share of conversions, % ({against})")
    ax.set_ylabel("model's share of conversions, %")
    ax.set_title("Models against the simulated truth: points above the diagonal over-credit", loc="left")
    ax.grid(color="#eeeeee", linewidth=0.8)
    ax.set_axisbelow(True)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False, fontsize="small", title="model")
    return ax


def _label_columns(
    ax: Axes,
    x: npt.NDArray[np.float64],
    tops: npt.NDArray[np.float64],
    names: list[str],
    right: float,
    highest: float,
) -> None:
    """Names above each column of points, spread apart horizontally where columns are close."""
    font = 7.5
    figure: Any = ax.figure
    box = ax.get_position()
    width_points = figure.get_figwidth() * 72 * box.width
    height_points = figure.get_figheight() * 72 * box.height
    points_per_x = width_points / right
    # each label needs its length (about 0.6 em a character) plus the offset above its column:
    # the top of the axes is the lowest that fits them all (a label may take at most half the height)
    length = np.array([len(n) * font * 0.6 + 12 for n in names])
    needed = tops * height_points / np.maximum(height_points - length, height_points / 2)
    top = max(highest, float(needed.max()) if len(needed) else highest)
    ax.set_ylim(-0.015 * top, top)  # a little below 0: points at 0 are drawn whole
    wanted = x * points_per_x
    placed = spread_labels(wanted, gap=font * 1.35)
    for name, x_at, y_at, shift in zip(names, x, tops, placed - wanted, strict=True):
        ax.annotate(
            name,
            xy=(float(x_at), float(y_at)),
            xytext=(float(shift), 9.0),
            textcoords="offset points",
            rotation=90,
            ha="center",
            va="bottom",
            fontsize=font,
            arrowprops={"arrowstyle": "-", "color": "#999999", "linewidth": 0.6, "shrinkA": 0, "shrinkB": 2},
        )


def plot_bootstrap(result: BootstrapResult, *, quantity: str = "share", ax: Axes | None = None) -> Axes:
    """Each channel's full-data estimate with its bootstrap interval, the model named in the title.

    Parameters
    ----------
    result
        What :func:`attribution.evaluate.bootstrap` returns.
    quantity
        ``"share"`` (default, in %), ``"conversions"`` or ``"value"``.
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
    >>> from attribution import Journeys, Linear
    >>> from attribution.evaluate import bootstrap
    >>> j = Journeys.from_sequences([["A", "B"], ["B"]], conversions=[30, 20], nulls=[70, 80])
    >>> ax = plot_bootstrap(bootstrap(j, Linear(), n=20, seed=0))
    >>> ax.get_title(loc="left")
    'Linear: share of conversions with 95% bootstrap intervals'
    >>> plt.close(ax.figure)
    """
    if not isinstance(result, BootstrapResult):
        raise ParameterError(
            f"parameter 'result' of plot_bootstrap must be a BootstrapResult; got {type(result).__name__}. "
            "Fix: pass what attribution.evaluate.bootstrap(journeys, model) returns."
        )
    available = [str(q) for q in result.intervals.index.unique("quantity")] or list(QUANTITIES)
    quantity = one_of(quantity, "quantity", available, owner="plot_bootstrap", fix="pick one of them.")
    block: Any = result.intervals.xs(quantity, level="quantity")
    table = block.sort_values("estimate", ascending=False, kind="stable")
    ax = new_axes(ax, (8.0, max(2.6, 0.36 * len(table) + 1.3)), "plot_bootstrap")
    scale = 100.0 if quantity == "share" else 1.0
    rows = np.arange(len(table))
    estimate = table["estimate"].to_numpy(dtype=np.float64) * scale
    low = table["low"].to_numpy(dtype=np.float64) * scale
    high = table["high"].to_numpy(dtype=np.float64) * scale
    colour = OKABE_ITO[0]
    ax.hlines(rows, low, high, color=colour, alpha=0.45, linewidth=6, capstyle="round", zorder=1)
    ax.scatter(estimate, rows, color=colour, edgecolors=EDGE, linewidths=0.6, s=40, zorder=3)
    right = float(np.nanmax(high)) if len(high) else 1.0
    for row, (value, a, b) in enumerate(zip(table["estimate"], table["low"], table["high"], strict=True)):
        text = f"{format_number(float(value), quantity)}  ({format_number(float(a), quantity)} to {format_number(float(b), quantity)})"
        ax.annotate(
            text,
            xy=(float(high[row]), float(row)),
            xytext=(8, 0),
            textcoords="offset points",
            va="center",
            fontsize=7.5,
            color="#333333",
        )
    ax.set_yticks(rows, labels=[str(c) for c in table.index])
    ax.set_ylim(len(table) - 0.5, -0.5)
    ax.set_xlim(min(0.0, float(np.nanmin(low)) if len(low) else 0.0), right * 1.32 if right > 0 else 1.0)
    ax.tick_params(axis="y", length=0)
    ax.grid(axis="x", color="#e6e6e6", linewidth=0.8)
    ax.set_axisbelow(True)
    for side in ("top", "right", "left"):
        ax.spines[side].set_visible(False)
    level = f"{100 * result.level:g}%"
    unit = ", %" if quantity == "share" else ""
    ax.set_xlabel(
        f"{_QUANTITY_LABEL[quantity]}{unit}: estimate and {level} interval over {len(result.replicates):,} replicates"
    )
    model = getattr(result, "model", "") or "A model"
    ax.set_title(f"{model}: {_QUANTITY_LABEL[quantity]} with {level} bootstrap intervals", loc="left")
    return ax
