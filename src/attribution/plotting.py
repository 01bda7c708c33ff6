"""Matplotlib figures (the ``plot`` extra); matplotlib is imported only when a figure is drawn."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from attribution.errors import AttributionError, ParameterError

if TYPE_CHECKING:
    from matplotlib.axes import Axes

    from attribution.compare import Comparison
    from attribution.evaluate.bootstrap import BootstrapResult
    from attribution.journeys import Journeys

__all__ = ["plot_bootstrap", "plot_comparison", "plot_journey_map", "plot_truth_vs_model"]


def _pyplot() -> Any:
    try:
        import matplotlib.pyplot as plt
    except ImportError:
        # the package is not on the package index yet, so the "[plot]" extra only installs from a checkout
        raise AttributionError(
            "plotting needs matplotlib, which is not installed. "
            'Fix: pip install matplotlib (or pip install ".[plot]" from a checkout of attribution).'
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


def plot_bootstrap(result: BootstrapResult, *, quantity: str = "share", ax: Axes | None = None) -> Axes:
    """Each channel's full-data estimate with its bootstrap interval (horizontal error bars).

    ``quantity`` is ``"conversions"``, ``"value"`` or ``"share"`` (default).
    """
    from attribution.evaluate.bootstrap import BootstrapResult

    if not isinstance(result, BootstrapResult):
        raise ParameterError(
            f"parameter 'result' of plot_bootstrap must be a BootstrapResult; got {type(result).__name__}. "
            "Fix: pass what attribution.evaluate.bootstrap(journeys, model) returns."
        )
    available = [str(q) for q in result.intervals.index.unique("quantity")]
    if quantity not in available:
        raise ParameterError(
            f"parameter 'quantity' of plot_bootstrap must be one of {', '.join(map(repr, available))}; "
            f"got {quantity!r}. Fix: pick one of them."
        )
    plt = _pyplot()
    block: Any = result.intervals.xs(quantity, level="quantity")
    table = block.sort_values("estimate")
    if ax is None:
        _, ax = plt.subplots(figsize=(7.0, max(2.5, 0.45 * len(table) + 1.2)))
    y = np.arange(len(table))
    lower = (table["estimate"] - table["low"]).clip(lower=0).to_numpy()
    upper = (table["high"] - table["estimate"]).clip(lower=0).to_numpy()
    ax.errorbar(table["estimate"].to_numpy(), y, xerr=[lower, upper], fmt="o", capsize=4)
    ax.set_yticks(y, [str(c) for c in table.index])
    ax.set_xlabel(f"{quantity} ({100 * result.level:g} % bootstrap interval)")
    ax.set_title("Credits with uncertainty")
    figure: Any = ax.figure
    figure.tight_layout()
    return ax


def plot_journey_map(journeys: Journeys, *, min_share: float = 0.05, ax: Axes | None = None) -> Axes:
    """The journey map: START on the left, channels on a ring, CONV and NULL on the right.

    Channel-to-channel edges carrying less than ``min_share`` of their source's journeys
    are hidden; every channel's edge to CONV is drawn (green, width relative to the best
    conversion share), as are START's edges.
    """
    import networkx as nx

    from attribution.analytics import CONVERSION, NULL, START, transition_graph

    plt = _pyplot()
    graph = transition_graph(journeys)
    channels = sorted(n for n in graph.nodes if n not in (START, CONVERSION, NULL))
    angles = np.linspace(0.0, 2 * np.pi, len(channels), endpoint=False) + np.pi / 2
    position: dict[str, tuple[float, float]] = {START: (-1.9, 0.0), CONVERSION: (1.9, 0.5), NULL: (1.9, -0.5)}
    for channel, angle in zip(channels, angles, strict=True):
        position[channel] = (float(np.cos(angle)), float(np.sin(angle)))
    to_conversion = [d["share"] for u, v, d in graph.edges(data=True) if v == CONVERSION]
    best = max(to_conversion, default=1.0) or 1.0
    edges, widths, colors = [], [], []
    for u, v, d in graph.edges(data=True):
        if u == v or (v != CONVERSION and u != START and d["share"] < min_share):
            continue
        edges.append((u, v))
        widths.append(0.5 + 5.0 * (d["share"] / best if v == CONVERSION else d["share"]))
        colors.append("tab:green" if v == CONVERSION else "tab:red" if v == NULL else "tab:gray")
    if ax is None:
        _, ax = plt.subplots(figsize=(10.0, 7.0))
    nx.draw_networkx_edges(
        graph,
        position,
        edgelist=edges,
        width=widths,
        edge_color=colors,
        ax=ax,
        arrows=True,
        connectionstyle="arc3,rad=0.12",
        alpha=0.55,
        node_size=1400,
    )
    nx.draw_networkx_nodes(graph, position, ax=ax, node_size=1400, node_color="#dde6f5")
    nx.draw_networkx_labels(graph, position, ax=ax, font_size=8)
    ax.set_title(
        f"Journey map: moves with at least {100 * min_share:g} % of their source's journeys; "
        "green: to conversion, red: to no conversion",
        fontsize="small",
    )
    ax.set_axis_off()
    figure: Any = ax.figure
    figure.tight_layout()
    return ax


def plot_truth_vs_model(results: Any, truth: Any, *, against: str = "shapley_share", ax: Axes | None = None) -> Axes:
    """Each model's channel shares against the true shares; the diagonal is a perfect model.

    ``results`` and ``truth`` are checked as by :func:`attribution.evaluate.score`.
    """
    from attribution.evaluate.scoring import scoring_inputs

    by_model, true_share = scoring_inputs(results, truth, against, caller="plot_truth_vs_model")
    plt = _pyplot()
    if ax is None:
        _, ax = plt.subplots(figsize=(6.0, 6.0))
    top = float(true_share.max())
    for name, result in by_model.items():
        share = result.credits["share"].reindex(true_share.index, fill_value=0.0)
        ax.scatter(true_share.to_numpy(), share.to_numpy(), label=str(name), s=30)
        top = max(top, float(share.max()))
    ax.plot([0, top * 1.05], [0, top * 1.05], color="black", linewidth=0.8, linestyle="--")
    ax.set_xlabel(f"true share ({against})")
    ax.set_ylabel("model share")
    ax.set_title("Models against the simulated truth")
    ax.legend(fontsize="small", frameon=False)
    figure: Any = ax.figure
    figure.tight_layout()
    return ax
