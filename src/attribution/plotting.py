"""Matplotlib figures (the ``plot`` extra); matplotlib is imported only when a figure is drawn."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from attribution.errors import AttributionError

if TYPE_CHECKING:
    from matplotlib.axes import Axes

    from attribution.compare import Comparison

__all__ = ["plot_comparison"]


def _pyplot() -> Any:
    try:
        import matplotlib.pyplot as plt
    except ImportError:
        raise AttributionError(
            'plotting needs matplotlib, which is not installed. Fix: pip install "multitouch-attribution[plot]".'
        ) from None
    return plt


def plot_comparison(comparison: Comparison, *, values: str = "share", ax: Axes | None = None) -> Axes:
    """Grouped bars: one group per channel, one bar per model."""
    plt = _pyplot()
    table = comparison.wide(values)  # type: ignore[arg-type]
    if ax is None:
        _, ax = plt.subplots(figsize=(min(16.0, max(7.0, 0.8 * len(table) + 3.0)), 4.5))
    n_models = max(len(table.columns), 1)
    width = 0.8 / n_models
    x = np.arange(len(table))
    for i, model in enumerate(table.columns):
        ax.bar(x + (i - (n_models - 1) / 2) * width, table[model].fillna(0.0).to_numpy(), width, label=str(model))
    ax.set_xticks(x, [str(c) for c in table.index], rotation=30, ha="right")
    ax.set_ylabel({"share": "share of conversions", "conversions": "conversions", "value": "value"}.get(values, values))
    ax.set_title("Attribution by model")
    ax.legend(fontsize="small", ncols=2 if n_models > 4 else 1, frameon=False)
    figure: Any = ax.figure
    figure.tight_layout()
    return ax
