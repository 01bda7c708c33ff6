"""What every figure shares: the lazy matplotlib import, a distinct colour-blind-safe style per series, formats.

Colours: the eight of Okabe and Ito (2008), chosen to stay apart under the common colour
vision deficiencies, then five of Paul Tol's "muted" scheme that sit furthest from them,
then evenly spaced hues (golden-ratio steps), so any number of series gets distinct colours.
Every series also gets its own marker (twelve, then repeated with other colours), so two
series stay apart in grey-scale print too.
"""

from __future__ import annotations

import colorsys
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from attribution._checks import integer, refuse
from attribution.errors import AttributionError

if TYPE_CHECKING:
    from matplotlib.axes import Axes

__all__ = [
    "EDGE",
    "MARKERS",
    "MUTED",
    "OKABE_ITO",
    "dodge",
    "format_number",
    "new_axes",
    "palette",
    "pyplot",
    "series_styles",
    "text_color_on",
]

# Okabe & Ito: blue, orange, bluish green, vermillion, reddish purple, sky blue, yellow, black
OKABE_ITO = ("#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442", "#000000")
# Tol's muted scheme, least like the eight above first: wine, indigo, olive, green, purple
MUTED = ("#882255", "#332288", "#999933", "#117733", "#AA4499")
MARKERS = ("o", "s", "D", "^", "v", "P", "X", "<", ">", "p", "h", "*")
EDGE = "#333333"  # marker edges: keeps light colours (yellow, sky blue) visible on white
GOLDEN = 0.618033988749895


def pyplot() -> Any:
    """``matplotlib.pyplot``, imported now; without matplotlib, an error that says how to install it."""
    try:
        import matplotlib.pyplot as plt
    except ImportError:
        # the package is not on the package index yet, so the "[plot]" extra only installs from a checkout
        raise AttributionError(
            "plotting needs matplotlib, which is not installed. "
            'Fix: pip install matplotlib (or pip install ".[plot]" from a checkout of attribution).'
        ) from None
    return plt


def palette(n: int) -> list[str]:
    """``n`` distinct colours (hex): Okabe–Ito first, then Tol's muted, then evenly spread hues.

    Examples
    --------
    >>> palette(3)
    ['#0072B2', '#E69F00', '#009E73']
    >>> colours = palette(30)
    >>> len(set(colours)) == 30
    True
    """
    n = integer(n, "n", low=0, owner="palette")
    colours = [*OKABE_ITO, *MUTED][:n]
    seen = set(colours)
    step = 0
    while len(colours) < n:
        hue = (0.11 + step * GOLDEN) % 1.0
        lightness = (0.38, 0.55, 0.70)[step % 3]
        red, green, blue = colorsys.hls_to_rgb(hue, lightness, 0.65)
        colour = f"#{round(255 * red):02X}{round(255 * green):02X}{round(255 * blue):02X}"
        if colour not in seen:
            seen.add(colour)
            colours.append(colour)
        step += 1
    return colours


def series_styles(n: int) -> list[tuple[str, str]]:
    """(colour, marker) for ``n`` series: every colour distinct, markers cycling through twelve."""
    return [(colour, MARKERS[i % len(MARKERS)]) for i, colour in enumerate(palette(n))]


def text_color_on(rgba: Sequence[float]) -> str:
    """Black or white, whichever reads better on a background of colour ``rgba`` (relative luminance)."""
    red, green, blue = (float(c) for c in rgba[:3])
    return "black" if 0.2126 * red + 0.7152 * green + 0.0722 * blue > 0.45 else "white"


def dodge(n: int, spread: float = 0.62) -> np.ndarray[Any, np.dtype[np.float64]]:
    """Offsets that place ``n`` markers side by side within one row of height 1 (centred on 0)."""
    if n <= 1:
        return np.zeros(max(n, 0))
    return np.linspace(-spread / 2, spread / 2, n)


def format_number(value: float, kind: str) -> str:
    """A cell's text: shares as percentages (``12.3%``), counts and value with thousands separators.

    Counts and value below 100 keep one decimal unless whole.

    Examples
    --------
    >>> format_number(0.1234, "share"), format_number(1234.4, "conversions"), format_number(2.5, "value")
    ('12.3%', '1,234', '2.5')
    >>> format_number(3.0, "conversions"), format_number(float("nan"), "value"), format_number(float("inf"), "value")
    ('3', '–', '∞')
    """
    if not np.isfinite(value):
        return "∞" if value > 0 else "–"
    if kind == "share":
        return f"{value:.1%}"
    return f"{value:,.0f}" if abs(value) >= 100 or float(value).is_integer() else f"{value:,.1f}"


def new_axes(ax: Axes | None, size: tuple[float, float], owner: str) -> Axes:
    """``ax``, or the axes of a new figure of ``size`` inches with constrained layout (legends outside fit)."""
    plt = pyplot()
    if ax is not None:
        from matplotlib.axes import Axes

        if not isinstance(ax, Axes):
            raise refuse(
                "ax", "a matplotlib Axes or None", ax, owner=owner, fix="pass e.g. plt.subplots()[1], or leave it out."
            )
        return ax
    _, created = plt.subplots(figsize=size, layout="constrained")
    axes: Axes = created
    return axes
