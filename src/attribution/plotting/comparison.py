"""Figures of a model comparison: a channels × models heatmap, and a dot plot of each channel across models.

Models are ordered by agreement, so that models that credit channels alike sit side by
side: the share vectors of the models are clustered hierarchically (average linkage on
the correlation distance 1 − r, a constant vector being at distance 1 from every other),
the leaves are put in optimal order (Bar-Joseph, Gifford & Jaakkola, 2001: adjacent leaves
as similar as possible), and the order is turned so that the first model run comes first
of the two ends. The order depends only on the shares, so the same comparison always
draws the same figure.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from attribution._checks import one_of
from attribution.compare import Comparison
from attribution.errors import ParameterError
from attribution.plotting._style import EDGE, dodge, format_number, new_axes, series_styles, text_color_on

if TYPE_CHECKING:
    from matplotlib.axes import Axes

__all__ = ["agreement_order", "plot_comparison"]

VALUES = ("share", "conversions", "value")
KINDS = ("heatmap", "dots")
_AXIS_LABEL = {"share": "share of conversions", "conversions": "conversions credited", "value": "value credited"}


def agreement_order(table: pd.DataFrame) -> list[str]:
    """The columns (models) of a channels × models ``table``, ordered so that models that agree sit together.

    Examples
    --------
    >>> table = pd.DataFrame({"a": [0.1, 0.9], "b": [0.8, 0.2], "c": [0.2, 0.8]})
    >>> agreement_order(table)
    ['a', 'c', 'b']
    """
    names = [str(c) for c in table.columns]
    if len(names) < 3:
        return names
    from scipy.cluster.hierarchy import leaves_list, linkage, optimal_leaf_ordering
    from scipy.spatial.distance import squareform

    vectors = table.to_numpy(dtype=np.float64).T
    centred = vectors - vectors.mean(axis=1, keepdims=True)
    norms = np.sqrt((centred**2).sum(axis=1))
    constant = norms == 0
    unit = np.divide(centred, norms[:, None], out=np.zeros_like(centred), where=~constant[:, None])
    distance = np.clip(1.0 - unit @ unit.T, 0.0, 2.0)
    distance[constant, :] = distance[:, constant] = 1.0
    np.fill_diagonal(distance, 0.0)
    condensed = squareform((distance + distance.T) / 2, checks=False)
    tree = optimal_leaf_ordering(linkage(condensed, method="average"), condensed)
    order = [int(i) for i in leaves_list(tree)]
    if order.index(0) > (len(order) - 1) / 2:
        order.reverse()
    return [names[i] for i in order]


def _table(comparison: Any, values: str, owner: str) -> tuple[pd.DataFrame, list[str]]:
    """Channels × models ``values`` (a missing credit is 0), rows largest first, columns in agreement order."""
    result = Comparison.of(comparison, caller=owner)
    table = result.wide(values).fillna(0.0).astype(float)  # type: ignore[arg-type]
    table.columns = [str(c) for c in table.columns]
    if table.empty:
        raise ParameterError(
            f"parameter 'comparison' of {owner} credits no channel: there is nothing to draw. "
            "Fix: compare models on journeys that have touches."
        )
    mean = table.mean(axis=1).to_numpy()
    if result.by:  # groups stay in their order, each with its largest channels first
        groups = table.index.to_frame(index=False).iloc[:, :-1].astype(str).agg(" · ".join, axis=1).to_numpy()
        first_seen = {group: i for i, group in reversed(list(enumerate(groups)))}
        order = sorted(range(len(table)), key=lambda i: (first_seen[groups[i]], -mean[i]))
        table = table.iloc[order]
        labels = [" · ".join(map(str, row)) for row in table.index]
    else:
        table = table.iloc[np.argsort(-mean, kind="stable")]
        labels = [str(c) for c in table.index]
    return table[agreement_order(table)], labels


def plot_comparison(
    comparison: Comparison,
    *,
    values: str = "share",
    kind: str = "heatmap",
    ax: Axes | None = None,
) -> Axes:
    """Every model's credit per channel: an annotated heatmap, or a dot plot of each channel across models.

    Channels are rows, the largest (mean over models) on top. Models are ordered by
    agreement (see :func:`agreement_order`): models that credit channels alike sit side by
    side, so blocks of agreeing models and the channels they disagree on stand out.

    Parameters
    ----------
    comparison
        What :func:`attribution.compare` returns (or results :meth:`Comparison.of` takes).
        Grouped comparisons get one row per group and channel.
    values
        ``"share"`` (default, shown as percentages), ``"conversions"`` or ``"value"``.
    kind
        ``"heatmap"`` (default): channels × models, every cell annotated with its value.
        ``"dots"``: one row per channel, one dot per model (a distinct colour and marker
        each, legend outside the data), with a grey bar over the range of the models.
    ax
        Axes to draw on; by default a new figure sized for the table.

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import matplotlib.pyplot as plt
    >>> from attribution import FirstTouch, Journeys, LastTouch, Linear, compare
    >>> j = Journeys.from_sequences([["A", "B"], ["B", "C"], ["C"]], conversions=[3, 2, 1])
    >>> ax = plot_comparison(compare(j, [FirstTouch(), LastTouch(), Linear()]))
    >>> [t.get_text() for t in ax.get_xticklabels()]
    ['First touch', 'Linear', 'Last touch']
    >>> [t.get_text() for t in ax.get_yticklabels()]
    ['B', 'C', 'A']
    >>> [t.get_text() for t in ax.texts][:3]
    ['33.3%', '41.7%', '50.0%']
    >>> plt.close(ax.figure)
    """
    values = one_of(values, "values", VALUES, owner="plot_comparison", fix="e.g. values='share'.")
    kind = one_of(kind, "kind", KINDS, owner="plot_comparison", fix="e.g. kind='dots'.")
    table, labels = _table(comparison, values, "plot_comparison")
    if kind == "heatmap":
        return _heatmap(table, labels, values, ax)
    return _dots(table, labels, values, ax)


def _heatmap(table: pd.DataFrame, labels: list[str], values: str, ax: Axes | None) -> Axes:
    n_rows, n_models = table.shape
    longest = max((len(m) for m in table.columns), default=0)
    size = (max(5.0, 0.95 * n_models + 2.2), max(3.0, 0.38 * n_rows + 0.1 * longest + 1.2))
    ax = new_axes(ax, size, "plot_comparison")
    from matplotlib import colormaps
    from matplotlib.colors import Normalize

    data = table.to_numpy()
    top = float(np.nanmax(data)) if data.size else 1.0
    norm = Normalize(vmin=0.0, vmax=top if top > 0 else 1.0)
    cmap = colormaps["Blues"]
    ax.imshow(data, cmap=cmap, norm=norm, aspect="auto", interpolation="nearest")
    font = 8.0 if n_models <= 12 else 6.5
    for row in range(n_rows):
        for column in range(n_models):
            value = float(data[row, column])
            ax.text(
                column,
                row,
                format_number(value, values),
                ha="center",
                va="center",
                fontsize=font,
                color=text_color_on(cmap(norm(value))),
            )
    ax.set_xticks(np.arange(n_models), labels=list(table.columns), rotation=35, ha="right", rotation_mode="anchor")
    ax.set_yticks(np.arange(n_rows), labels=labels)
    ax.set_xticks(np.arange(n_models + 1) - 0.5, minor=True)
    ax.set_yticks(np.arange(n_rows + 1) - 0.5, minor=True)
    ax.grid(which="minor", color="white", linewidth=1.5)
    ax.tick_params(which="both", length=0)
    for spine in ax.spines.values():
        spine.set_visible(False)
    ax.set_xlabel("model (ordered by agreement: models that credit alike sit side by side)", fontsize="small")
    ax.set_ylabel("channel")
    ax.set_title(f"{_AXIS_LABEL[values].capitalize()} by channel and model", loc="left")
    return ax


def _dots(table: pd.DataFrame, labels: list[str], values: str, ax: Axes | None) -> Axes:
    n_rows, n_models = table.shape
    ax = new_axes(ax, (9.5, max(3.0, 0.5 * n_rows + 1.3)), "plot_comparison")
    scale = 100.0 if values == "share" else 1.0
    rows = np.arange(n_rows)
    data = table.to_numpy() * scale
    offsets = dodge(n_models)
    for row in rows[::2]:
        ax.axhspan(row - 0.5, row + 0.5, color="#f2f2f2", zorder=0, linewidth=0)
    ax.hlines(
        rows,
        data.min(axis=1),
        data.max(axis=1),
        color="#c8c8c8",
        linewidth=6,
        zorder=1,
        capstyle="round",
        label="range over the models",
    )
    for column, (model, (colour, marker)) in enumerate(zip(table.columns, series_styles(n_models), strict=True)):
        ax.scatter(
            data[:, column],
            rows + offsets[column],
            color=colour,
            marker=marker,
            s=34,
            edgecolors=EDGE,
            linewidths=0.5,
            label=str(model),
            zorder=3,
        )
    ax.set_yticks(rows, labels=labels)
    ax.set_ylim(n_rows - 0.5, -0.5)
    ax.tick_params(axis="y", length=0)
    low = min(0.0, float(data.min())) if data.size else 0.0
    high = max(float(data.max()) if data.size else 0.0, 1e-12)
    ax.set_xlim(low - 0.03 * (high - low), high + 0.04 * (high - low))
    ax.grid(axis="x", color="#dddddd", linewidth=0.8)
    ax.set_axisbelow(True)
    for side in ("top", "right", "left"):
        ax.spines[side].set_visible(False)
    unit = " (%)" if values == "share" else ""
    ax.set_xlabel(f"{_AXIS_LABEL[values]}{unit}")
    ax.set_title(f"{_AXIS_LABEL[values].capitalize()} by channel: one dot per model", loc="left")
    ax.legend(title="model", loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False, fontsize="small")
    return ax
