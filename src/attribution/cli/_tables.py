"""Tables that fit a terminal: short model names with a legend, whole columns per block, numbers never split.

A comparison has one column per model and one row per channel (per group with ``--by``);
with a dozen models it is far wider than a terminal. The table is laid out with models as
columns or, when that needs fewer blocks, as rows; columns that do not fit the width go
into further blocks below, each repeating the row labels, so a line never wraps and a
number is never cut.
"""

from __future__ import annotations

import math
import textwrap
from collections.abc import Callable, Sequence

import pandas as pd

__all__ = ["QUANTITIES", "fit_table", "format_number", "short_model_names", "wrap_field"]

# the caption of each --show quantity's table
QUANTITIES = {
    "conversions": "Conversions credited to each channel, by model:",
    "value": "Value credited to each channel, by model:",
    "share": "Share of the attributed conversions credited to each channel, by model:",
    "roas": "Return on ad spend by model (credited value per unit of spend; blank: no spend):",
}
_GAP = 2  # spaces between columns

# the short forms of the library's model names (the family, before any parameters)
_SHORT = (
    ("First touch", "First"),
    ("Last non-direct", "LastND"),
    ("Last touch", "Last"),
    ("Linear", "Linear"),
    ("U-shaped", "U"),
    ("J-curve", "J"),
    ("Inverse J", "InvJ"),
    ("Time decay", "Decay"),
    ("Shapley", "Shapley"),
    ("Markov", "Markov"),
    ("Counterfactual", "Counterf"),
    ("Shao & Li", "ShaoLi"),
    ("Logistic Shapley", "Logit"),
)


def short_model_names(names: Sequence[str]) -> list[str]:
    """A short, distinct column header per model name (the legend gives the full names).

    Examples
    --------
    >>> short_model_names(["First touch", "Markov (order 1)", "Markov (order 2)", "My model"])
    ['First', 'Markov', 'Markov2', 'My model']
    """
    shorts: list[str] = []
    for name in names:
        short = next((s for prefix, s in _SHORT if name.startswith(prefix)), name if len(name) <= 8 else name[:7] + ".")
        candidate, n = short, 1
        while candidate in shorts:  # two models of one family: number the later ones
            n += 1
            candidate = f"{short}{n}"
        shorts.append(candidate)
    return shorts


def format_number(quantity: str) -> Callable[[float], str]:
    """How a number of ``quantity`` is written: thousands separators, shares as percentages, blank for NaN.

    Examples
    --------
    >>> format_number("conversions")(1234.567), format_number("share")(0.2345), format_number("roas")(float("nan"))
    ('1,234.6', '23.4%', '')
    """
    patterns = {"conversions": "{:,.1f}", "value": "{:,.0f}", "share": "{:.1%}", "roas": "{:,.2f}"}
    pattern = patterns.get(quantity, "{:,.4g}")

    def write(x: float) -> str:
        return "" if x is None or (isinstance(x, float) and math.isnan(x)) else pattern.format(x)

    return write


def fit_table(table: pd.DataFrame, quantity: str, width: int) -> str:
    """``table`` (rows: channels, or group keys then channel; columns: models) as text at most ``width`` wide.

    Model columns get short names (a legend below gives the full ones); the layout with
    models as rows is used instead when the table has no groups and that takes fewer
    blocks. Each block holds whole columns.
    """
    write = format_number(quantity)
    models = [str(c) for c in table.columns]
    shorts = short_model_names(models)
    cells = pd.DataFrame({c: [write(v) for v in table[c]] for c in table.columns}, index=table.index)  # a few cells
    cells.columns = pd.Index(shorts)
    options = [_blocks(cells, width)]
    if not isinstance(table.index, pd.MultiIndex):
        transposed = cells.T
        transposed.index.name = "model"
        transposed.columns.name = None
        options.append(_blocks(transposed, width))
    text = min(options, key=lambda lines: lines.count(""))  # fewest blocks; channels as rows on a tie
    # each "short = full name" entry stays on one line (non-breaking spaces while wrapping)
    legend = [f"{s} = {m}".replace(" ", "\u00a0") for s, m in zip(shorts, models, strict=True) if s != m]
    lines = text
    if legend:
        wrapped = textwrap.wrap("Models: " + "; ".join(legend) + ".", width=width, break_long_words=False)
        lines = [*text, "", *(line.replace("\u00a0", " ") for line in wrapped)]
    return "\n".join(lines)


def _blocks(cells: pd.DataFrame, width: int) -> list[str]:
    """The rows of ``cells`` with their labels, in blocks of whole columns that fit ``width``."""
    index = cells.index
    names = [str(n) if n is not None else "" for n in (index.names if index.names else [None])]
    label_rows = _label_rows(index)
    label_widths = [max([len(n), *(len(r[k]) for r in label_rows)]) for k, n in enumerate(names)]
    labels_width = sum(label_widths) + _GAP * (len(label_widths) - 1)
    widths = {c: max([len(str(c)), *(len(v) for v in cells[c])]) for c in cells.columns}
    blocks: list[list[str]] = []
    current: list[str] = []
    used = labels_width
    for column in cells.columns:
        if current and used + _GAP + widths[column] > width:
            blocks.append(current)
            current, used = [], labels_width
        current.append(column)
        used += _GAP + widths[column]
    if current or not blocks:
        blocks.append(current)
    lines: list[str] = []
    for b, columns in enumerate(blocks):
        if b:
            lines.append("")
        header = _join([n.ljust(w) for n, w in zip(names, label_widths, strict=True)])
        header += "".join(" " * _GAP + str(c).rjust(widths[c]) for c in columns)
        lines.append(header.rstrip())
        for r, labels in enumerate(label_rows):
            row = _join([lab.ljust(w) for lab, w in zip(labels, label_widths, strict=True)])
            row += "".join(" " * _GAP + cells[c].iloc[r].rjust(widths[c]) for c in columns)
            lines.append(row.rstrip())
    return lines


def _label_rows(index: pd.Index) -> list[list[str]]:
    """Each row's labels as text; an outer key is written only where it changes (as pandas shows it)."""
    rows = [list(map(_text, key)) if isinstance(key, tuple) else [_text(key)] for key in index]
    shown: list[list[str]] = []
    for i, row in enumerate(rows):
        if i and len(row) > 1:
            same = 0
            while same < len(row) - 1 and row[same] == rows[i - 1][same]:
                same += 1
            row = [""] * same + row[same:]
        shown.append(row)
    return shown


def _text(value: object) -> str:
    return "(missing)" if value is None or (isinstance(value, float) and math.isnan(value)) else str(value)


def _join(parts: list[str]) -> str:
    return (" " * _GAP).join(parts)


def wrap_field(name: str, text: str, width: int) -> list[str]:
    """``name`` then ``text``, wrapped to ``width`` with the continuation lines under the text.

    Examples
    --------
    >>> wrap_field("channels", "3: Email, Paid Search, Social", 26)
    ['channels     3: Email,', '             Paid Search,', '             Social']
    """
    indent = " " * 13
    return textwrap.wrap(
        text,
        width=max(width, len(indent) + 10),
        initial_indent=f"{name:<13}",
        subsequent_indent=indent,
        break_long_words=False,
        break_on_hyphens=False,
    ) or [name]
