"""Credit by touch position: where in the path each model puts the credit (upper vs lower funnel)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import numpy as np

from attribution._checks import refuse
from attribution.models.base import Attribution
from attribution.plotting._style import new_axes, series_styles

if TYPE_CHECKING:
    from matplotlib.axes import Axes

__all__ = ["plot_positions"]


def plot_positions(results: Attribution | Mapping[str, Attribution], *, ax: Axes | None = None) -> Axes:
    """Each model's share of credit by touch position, from the start (left) and from the end (right).

    ``results``: one result, or several by name (a ``Comparison`` works), each attributed
    with ``per_path=True`` (see :meth:`~attribution.models.Attribution.by_position`).

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from attribution import Journeys, Linear, LastTouch
    >>> j = Journeys.from_sequences([["A", "B", "C"], ["B", "C"]], conversions=[2, 1])
    >>> ax = plot_positions({m.name: m.attribute(j, per_path=True) for m in (Linear(), LastTouch())})
    >>> ax.get_title()
    'Share of credit by touch position'
    """
    owner = "plot_positions"
    named = {results.model.name: results} if isinstance(results, Attribution) else dict(results)
    if not named or not all(isinstance(r, Attribution) for r in named.values()):
        raise refuse(
            "results",
            "an Attribution or a mapping of them",
            results,
            owner=owner,
            fix="pass model.attribute(j, per_path=True).",
        )
    tables = {name: result.by_position() for name, result in named.items()}
    axes = new_axes(ax, (10.0, 4.2), owner)
    first = next(iter(tables.values()))
    labels = [str(label) for label in first.xs("from start", level="from").index]
    n = len(labels)
    # from the start on the left (1, 2, ...), from the end on the right (..., 2, 1): the path reads left to right
    x_start = np.arange(n)
    x_end = np.arange(n) + n + 1
    for (name, table), (colour, marker) in zip(tables.items(), series_styles(len(tables)), strict=True):
        share = table["share"]
        start = np.asarray(share.xs("from start", level="from"), dtype=np.float64)
        end = np.asarray(share.xs("from end", level="from"), dtype=np.float64)[::-1]
        axes.plot(x_start, start, color=colour, marker=marker, label=name)
        axes.plot(x_end, end, color=colour, marker=marker)
    axes.set_xticks(
        np.concatenate([x_start, x_end]),
        [*labels, *(f"−{label}" for label in labels[::-1])],
        fontsize="small",
    )
    axes.axvline(n, color="0.7", linewidth=1)
    axes.text(n / 2 - 0.5, 1.02, "touch from the start", transform=axes.get_xaxis_transform(), ha="center")
    axes.text(n * 1.5 + 0.5, 1.02, "touch from the end (−1: last)", transform=axes.get_xaxis_transform(), ha="center")
    axes.set_ylabel("share of credited conversions")
    axes.yaxis.set_major_formatter(_percent())
    axes.set_ylim(bottom=0)
    axes.set_title("Share of credit by touch position", pad=18)
    axes.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False, fontsize="small")
    return axes


def _percent() -> Any:
    from matplotlib.ticker import PercentFormatter

    return PercentFormatter(1.0, decimals=0)
