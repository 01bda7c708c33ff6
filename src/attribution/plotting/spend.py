"""Figure of spend against credit: each channel's return on ad spend under several models."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from attribution.compare import Comparison
from attribution.errors import ParameterError
from attribution.plotting._style import EDGE, dodge, new_axes, series_styles

if TYPE_CHECKING:
    from matplotlib.axes import Axes

__all__ = ["plot_roas"]


def _roas_table(results: Any, spend: Any) -> pd.DataFrame:
    """Channels × models ROAS from a ``with_spend`` table, or from results and spend."""
    if isinstance(results, pd.DataFrame):
        if spend is not None:
            raise ParameterError(
                "parameter 'spend' of plot_roas must be None when 'results' is a with_spend table (it holds the "
                f"spend already); got {type(spend).__name__}. Fix: pass the table alone, or the comparison and spend."
            )
        table = results
    else:
        if spend is None:
            raise ParameterError(
                "parameter 'spend' of plot_roas is needed with a comparison or attribution results; got None. "
                "Fix: plot_roas(compare(journeys), spend) with spend by channel, e.g. pd.Series({'Search': 60.0})."
            )
        table = Comparison.of(results, caller="plot_roas").with_spend(spend)
    names = list(table.index.names)
    if "roas" not in table.columns or names[-1] != "channel" or (len(names) > 1 and names[0] != "model"):
        raise ParameterError(
            "parameter 'results' of plot_roas must be what with_spend returns (a 'roas' column, indexed by "
            f"'model' and 'channel'); got columns {list(map(str, table.columns))[:8]} and index {names}. "
            "Fix: pass compare(journeys, models).with_spend(spend), or the comparison and spend."
        )
    if len(names) > 2:
        raise ParameterError(
            f"parameter 'results' of plot_roas holds grouped results (index {names}); one figure shows one group. "
            "Fix: pick one, e.g. table.xs('2025-04', level='period'), or plot ungrouped results."
        )
    roas = table["roas"]
    if len(names) == 1:  # one result's table: a single, unnamed model
        return roas.rename("model").to_frame()
    models = list(dict.fromkeys(table.index.get_level_values("model")))
    channels = list(dict.fromkeys(table.index.get_level_values("channel")))
    return pd.DataFrame({str(m): roas.xs(m, level="model") for m in models}).reindex(channels)


def plot_roas(results: Any, spend: Any = None, *, ax: Axes | None = None) -> Axes:
    """Each channel's return on ad spend under each model: one row per channel, one dot per model.

    Rows are ordered by the median ROAS over the models (best on top). A vertical line
    marks break-even (ROAS = 1). Channels without spend have no ROAS: they are listed at
    the bottom as "no spend", with no dot (never a dot at 0). A ROAS of +inf (value
    credited at zero spend) is drawn at the right edge as a right-pointing triangle.

    Parameters
    ----------
    results
        What :meth:`Comparison.with_spend` (or an attribution's ``with_spend``) returns;
        or a :class:`~attribution.Comparison` (or results :meth:`Comparison.of` takes),
        together with ``spend``.
    spend
        Spend by channel (as :meth:`Comparison.with_spend` takes it), when ``results`` are
        attribution results; None with a ``with_spend`` table.
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
    >>> from attribution import FirstTouch, Journeys, LastTouch, compare
    >>> j = Journeys.from_sequences([["A", "B"], ["B", "C"]], conversions=[1, 1], value=[10, 10])
    >>> ax = plot_roas(compare(j, [FirstTouch(), LastTouch()]), pd.Series({"A": 5.0, "B": 5.0}))
    >>> [t.get_text() for t in ax.get_yticklabels()]
    ['B', 'A', 'C (no spend)']
    >>> plt.close(ax.figure)
    """
    wide = _roas_table(results, spend).astype(float)
    priced = wide.notna().any(axis=1)
    finite = wide.where(np.isfinite(wide))
    median = finite.median(axis=1).fillna(np.inf).where(priced, -np.inf)  # all-infinite rows first, unpriced last
    wide = wide.iloc[np.argsort(-median.to_numpy(), kind="stable")]
    priced = priced.reindex(wide.index)
    n_rows, n_models = wide.shape
    ax = new_axes(ax, (9.5, max(3.0, 0.5 * n_rows + 1.4)), "plot_roas")
    rows = np.arange(n_rows)
    data = wide.to_numpy()
    shown = data[np.isfinite(data)]
    right = max(float(shown.max()) if shown.size else 1.0, 1.0) * 1.08
    offsets = dodge(n_models)
    for row in rows[::2]:
        ax.axhspan(row - 0.5, row + 0.5, color="#f2f2f2", zorder=0, linewidth=0)
    with np.errstate(invalid="ignore"):
        spans = np.where(np.isfinite(data), data, np.nan)
    has_span = np.isfinite(spans).sum(axis=1) > 1
    ax.hlines(
        rows[has_span],
        np.nanmin(spans[has_span], axis=1) if has_span.any() else [],
        np.nanmax(spans[has_span], axis=1) if has_span.any() else [],
        color="#c8c8c8",
        linewidth=6,
        capstyle="round",
        zorder=1,
        label="range over the models",
    )
    priced_rows = rows[priced.to_numpy()]
    ax.vlines(  # over the priced channels only
        1.0,
        -0.5,
        (float(priced_rows.max()) if len(priced_rows) else -1.0) + 0.5,
        color="#555555",
        linestyle="--",
        linewidth=1.0,
        zorder=1,
        label="break-even (ROAS = 1)",
    )
    for column, (model, (colour, marker)) in enumerate(zip(wide.columns, series_styles(n_models), strict=True)):
        values = data[:, column]
        drawn = np.isfinite(values)
        ax.scatter(
            values[drawn],
            rows[drawn] + offsets[column],
            color=colour,
            marker=marker,
            s=36,
            edgecolors=EDGE,
            linewidths=0.5,
            label=str(model),
            zorder=3,
        )
        infinite = np.isposinf(values)
        for row in rows[infinite]:
            ax.annotate("∞", xy=(right, row + offsets[column]), xytext=(6, 0), textcoords="offset points", va="center")
        if infinite.any():
            ax.scatter(
                np.full(int(infinite.sum()), right),
                rows[infinite] + offsets[column],
                color=colour,
                marker=">",
                s=36,
                edgecolors=EDGE,
                linewidths=0.5,
                zorder=3,
                clip_on=False,
            )
    for row in rows[~priced.to_numpy()]:
        ax.text(
            0.02 * right, row, "no spend given: ROAS unknown", va="center", fontsize=8, color="#777777", style="italic"
        )
    labels = [str(c) if ok else f"{c} (no spend)" for c, ok in zip(wide.index, priced, strict=True)]
    ax.set_yticks(rows, labels=labels)
    for label, ok in zip(ax.get_yticklabels(), priced, strict=True):
        if not ok:
            label.set_color("#777777")
    ax.set_ylim(n_rows - 0.5, -0.5)
    ax.set_xlim(-0.015 * right, right * 1.02)  # a little left of 0: a ROAS of 0 is drawn whole
    ax.tick_params(axis="y", length=0)
    ax.grid(axis="x", color="#dddddd", linewidth=0.8)
    ax.set_axisbelow(True)
    for side in ("top", "right", "left"):
        ax.spines[side].set_visible(False)
    ax.set_xlabel("ROAS: value credited per unit of spend")
    ax.set_title("Return on ad spend by channel under each model", loc="left")
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False, fontsize="small", title="model")
    return ax
