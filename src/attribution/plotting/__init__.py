"""Matplotlib figures (the ``plot`` extra); matplotlib is imported only when a figure is drawn.

One module per subject: :mod:`~attribution.plotting.comparison` (models side by side),
:mod:`~attribution.plotting.journeys` (flows and transitions),
:mod:`~attribution.plotting.evaluation` (truth and bootstrap),
:mod:`~attribution.plotting.positions` (credit by touch position) and
:mod:`~attribution.plotting.spend` (return on ad spend). Every function returns the
matplotlib ``Axes`` it drew on, takes ``ax=`` to draw into an existing figure, and gives
every series its own colour (colour-blind-safe, Okabe–Ito first) and marker.
"""

from attribution.plotting._style import palette
from attribution.plotting.comparison import agreement_order, plot_comparison
from attribution.plotting.evaluation import plot_bootstrap, plot_truth_vs_model
from attribution.plotting.journeys import journey_flows, plot_journey_map, plot_transitions
from attribution.plotting.positions import plot_positions
from attribution.plotting.spend import plot_roas

__all__ = [
    "agreement_order",
    "journey_flows",
    "palette",
    "plot_bootstrap",
    "plot_comparison",
    "plot_journey_map",
    "plot_positions",
    "plot_roas",
    "plot_transitions",
    "plot_truth_vs_model",
]
