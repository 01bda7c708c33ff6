"""How results read in a terminal and a notebook: numbers formatted for people, tables as text or HTML.

Every ``__repr__`` and ``_repr_html_`` of the library builds a :class:`Report` — a title,
a few labelled facts and at most one table — and lets it render itself, so a count, an
amount of money, a share or a probability looks the same everywhere:

- counts (conversions, journeys): ``2,758``, or ``0.50`` — 2 decimals unless all are whole;
- money (value): ``212,054.04`` — always 2 decimals;
- shares: ``23.4%`` — a percentage with 1 decimal (``<0.1%`` when positive but tiny);
- probabilities: ``0.0452`` — 4 decimals, 3 significant digits below 0.001;
- measures (scores, raw Shapley values): ``0.6931`` — 4 significant digits of the column's largest.

No format ever falls back to scientific notation below 10^18 (beyond, digits mean nothing).
Formats work on whole columns, so the decimals of a table's column agree; the scalar
``format_*`` functions are the one-value case. Missing numbers read ``n/a``.

HTML escapes every label and cell (a channel may be called ``<b>``).
"""

from __future__ import annotations

import html
import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

__all__ = [
    "Column",
    "Report",
    "count_cells",
    "counted",
    "format_count",
    "format_measure",
    "format_money",
    "format_probability",
    "format_rate",
    "format_share",
    "frame_columns",
    "label_cells",
    "listed",
    "measure_cells",
    "money_cells",
    "probability_cells",
    "rate_cells",
    "share_cells",
]

CellFormat = Callable[[Sequence[Any]], list[str]]

MISSING = "n/a"
HUGE = 1e18  # beyond this, digits mean nothing: such numbers are shown in scientific notation
MAX_ROWS = 60  # rows a table shows before it says how many more there are
MAX_WIDTH = 120  # characters of a text table's line before its columns continue in another block
LISTED = 12  # items of a list (channels…) spelled out before "and N more"


# ---------------------------------------------------------------------- numbers
def _floats(values: Iterable[Any]) -> list[float]:
    out = []
    for value in values:
        try:
            out.append(float(value))
        except (TypeError, ValueError):
            out.append(math.nan)
    return out


def _fixed(x: float, decimals: int) -> str:
    """``x`` with thousands separators and ``decimals`` decimals; never ``-0``."""
    if math.isnan(x):
        return MISSING
    if math.isinf(x):
        return "inf" if x > 0 else "-inf"
    if abs(x) >= HUGE:
        return f"{x:.4g}"
    text = f"{x:,.{decimals}f}"
    if text.startswith("-") and not any(c in "123456789" for c in text):
        text = text[1:]
    return text


def _all_whole(numbers: Sequence[float]) -> bool:
    """Whether every finite number is whole, up to rounding (credits summing to 4 may add up to 4.000000000001)."""
    return all(abs(x - round(x)) <= 1e-9 * max(1.0, abs(x)) for x in numbers if math.isfinite(x) and abs(x) < HUGE)


def count_cells(values: Sequence[Any]) -> list[str]:
    """Counts (conversions, journeys): no decimals when all are whole, else 2 for all."""
    numbers = _floats(values)
    decimals = 0 if _all_whole(numbers) else 2
    return [_fixed(x, decimals) for x in numbers]


def money_cells(values: Sequence[Any]) -> list[str]:
    """Amounts of money (value): thousands separators and 2 decimals."""
    return [_fixed(x, 2) for x in _floats(values)]


def share_cells(values: Sequence[Any]) -> list[str]:
    """Shares as percentages with 1 decimal; a positive share under 0.05% reads ``<0.1%``."""
    out = []
    for x in _floats(values):
        if not math.isfinite(x):
            out.append(_fixed(x, 0))
        elif 0 < x < 0.0005:
            out.append("<0.1%")
        else:
            out.append(_fixed(100 * x, 1) + "%")
    return out


def rate_cells(values: Sequence[Any]) -> list[str]:
    """Rates (conversion rates) as percentages with 2 decimals: ``5.45%``."""
    return [_fixed(100 * x, 2) + "%" if math.isfinite(x) else _fixed(x, 0) for x in _floats(values)]


def probability_cells(values: Sequence[Any]) -> list[str]:
    """Probabilities with 4 decimals; under 0.001, 3 significant digits (never scientific)."""
    out = []
    for x in _floats(values):
        if math.isfinite(x) and x != 0 and abs(x) < 0.001:
            out.append(np.format_float_positional(x, precision=3, unique=False, fractional=False))
        else:
            out.append(_fixed(x, 4))
    return out


def measure_cells(values: Sequence[Any], significant: int = 4) -> list[str]:
    """Other numbers (scores, raw Shapley values): ``significant`` digits of the column's largest.

    The decimals are shared by the column (at most 8), so its numbers line up.
    """
    numbers = _floats(values)
    largest = max((abs(x) for x in numbers if math.isfinite(x)), default=0.0)
    if largest == 0:
        decimals = 0 if _all_whole(numbers) else significant
    else:
        decimals = min(8, max(0, significant - 1 - math.floor(math.log10(largest))))
    return [_fixed(x, decimals) for x in numbers]


def _one(cells: CellFormat, x: Any) -> str:
    return cells([x])[0]


def format_count(x: float) -> str:
    """A count: ``2,758``, or with 2 decimals when not whole (``178.49``).

    Examples
    --------
    >>> format_count(2758.0), format_count(178.491), format_count(float("nan"))
    ('2,758', '178.49', 'n/a')
    """
    return _one(count_cells, x)


def format_money(x: float) -> str:
    """An amount of money: ``212,054.04``.

    Examples
    --------
    >>> format_money(212054.04), format_money(1e12)
    ('212,054.04', '1,000,000,000,000.00')
    """
    return _one(money_cells, x)


def format_share(x: float) -> str:
    """A share as a percentage: ``23.4%``.

    Examples
    --------
    >>> format_share(0.234), format_share(0.0001)
    ('23.4%', '<0.1%')
    """
    return _one(share_cells, x)


def format_rate(x: float) -> str:
    """A rate as a percentage: ``5.45%``.

    Examples
    --------
    >>> format_rate(0.05454)
    '5.45%'
    """
    return _one(rate_cells, x)


def format_probability(x: float) -> str:
    """A probability: ``0.0452``.

    Examples
    --------
    >>> format_probability(0.0452), format_probability(1.23456e-5)
    ('0.0452', '0.0000123')
    """
    return _one(probability_cells, x)


def format_measure(x: float, significant: int = 4) -> str:
    """Any other number, to ``significant`` digits: ``0.6931``, ``1,235``.

    Examples
    --------
    >>> format_measure(0.69314718), format_measure(1234.5678)
    ('0.6931', '1,235')
    """
    return measure_cells([x], significant)[0]


def counted(x: float, noun: str, plural: str | None = None) -> str:
    """A count and its noun, singular for exactly one: ``1 conversion``, ``2,758 conversions``.

    Examples
    --------
    >>> counted(1, "conversion"), counted(2758, "conversion"), counted(2.5, "touch", "touches")
    ('1 conversion', '2,758 conversions', '2.50 touches')
    """
    shown = format_count(x)
    return f"{shown} {noun if shown == '1' else plural or noun + 's'}"


# ---------------------------------------------------------------------- labels
def _label(value: Any, missing: str) -> str:
    if value is None or value is pd.NaT or (isinstance(value, float) and math.isnan(value)):
        return missing
    if not isinstance(value, (list, tuple, np.ndarray)) and pd.isna(value):
        return missing
    # one line per row, whatever the label holds
    return " ".join(str(value).split()) if any(c in str(value) for c in "\n\r\t") else str(value)


def label_cells(values: Iterable[Any], missing: str = "(missing)") -> list[str]:
    """Labels (channels, group keys, paths) as single-line text; a missing one reads ``missing``.

    Examples
    --------
    >>> label_cells(["Search", None, "two\\nlines"])
    ['Search', '(missing)', 'two lines']
    """
    return [_label(value, missing) for value in values]


def listed(items: Sequence[str], limit: int = LISTED) -> str:
    """``a, b, c`` — or the first ``limit`` items and ``and N more``.

    Examples
    --------
    >>> listed(["A", "B", "C"]), listed(["A", "B", "C"], limit=2)
    ('A, B, C', 'A, B and 1 more')
    """
    shown = ", ".join(items[:limit])
    return shown if len(items) <= limit else f"{shown} and {len(items) - limit:,} more"


# ---------------------------------------------------------------------- tables
@dataclass(frozen=True)
class Column:
    """One column of a table: a header and its cells, already text.

    Parameters
    ----------
    header
        The column's title.
    cells
        One text per row (see the ``*_cells`` formats).
    numeric
        Right-align (numbers, the default) or left-align (labels).
    """

    header: str
    cells: Sequence[str]
    numeric: bool = True


def frame_columns(
    frame: pd.DataFrame, formats: Mapping[str, CellFormat], *, index: bool = True, missing: str = "(missing)"
) -> list[Column]:
    """``frame`` as columns: its index levels as labels, then each column with its format.

    A column without a format in ``formats`` is shown as labels.

    Examples
    --------
    >>> import pandas as pd
    >>> frame = pd.DataFrame({"conversions": [1.5, 2.0], "share": [0.4286, 0.5714]},
    ...                      index=pd.Index(["A", "B"], name="channel"))
    >>> print(Report("Credits", table=frame_columns(frame, {"conversions": count_cells, "share": share_cells})).text())
    Credits
    channel  conversions  share
    A               1.50  42.9%
    B               2.00  57.1%
    """
    columns = []
    if index:
        for level in range(frame.index.nlevels):
            name = frame.index.names[level]
            labels = label_cells(frame.index.get_level_values(level).tolist(), missing)
            columns.append(Column("" if name is None else str(name), labels, numeric=False))
    for name in frame.columns:
        cells = formats.get(str(name))
        values = frame[name].tolist()
        if cells is None:
            columns.append(Column(str(name), label_cells(values, ""), numeric=False))
        else:
            columns.append(Column(str(name), cells(values)))
    return columns


def _rows(columns: Sequence[Column]) -> int:
    return len(columns[0].cells) if columns else 0


def _cut(columns: Sequence[Column], max_rows: int) -> tuple[list[Column], int]:
    """The first ``max_rows`` rows, and how many were left out."""
    rows = _rows(columns)
    if rows <= max_rows:
        return list(columns), 0
    return [Column(c.header, c.cells[:max_rows], c.numeric) for c in columns], rows - max_rows


def _text_table(columns: Sequence[Column], max_width: int = MAX_WIDTH) -> list[str]:
    """Aligned text lines; a table wider than ``max_width`` is cut into blocks of columns,
    each repeating the leading label columns (as pandas wraps a wide frame)."""
    widths = [max([len(c.header), *(len(cell) for cell in c.cells)]) for c in columns]
    labels = 0
    while labels < len(columns) - 1 and not columns[labels].numeric:
        labels += 1
    blocks: list[list[int]] = []
    width = sum(widths[:labels]) + 2 * labels
    for i in range(labels, len(columns)):
        if blocks and width + widths[i] <= max_width:
            blocks[-1].append(i)
        else:
            blocks.append([i])
            width = sum(widths[:labels]) + 2 * labels
        width += widths[i] + 2
    lines: list[str] = []
    for block in blocks or [[]]:
        shown = [*range(labels), *block]
        if lines:
            lines.append("")

        def line(cells: Sequence[str], shown: list[int] = shown) -> str:
            parts = [cells[i].rjust(widths[i]) if columns[i].numeric else cells[i].ljust(widths[i]) for i in shown]
            return "  ".join(parts).rstrip()

        lines.append(line([c.header for c in columns]))
        lines += [line([c.cells[row] for c in columns]) for row in range(_rows(columns))]
    return lines


def _html_table(columns: Sequence[Column]) -> str:
    def cell(tag: str, text: str, numeric: bool) -> str:
        align = "right" if numeric else "left"
        return f'<{tag} style="text-align: {align}">{html.escape(text)}</{tag}>'

    head = "".join(cell("th", c.header, c.numeric) for c in columns)
    body = "".join(
        "<tr>" + "".join(cell("td", c.cells[i], c.numeric) for c in columns) + "</tr>" for i in range(_rows(columns))
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


@dataclass(frozen=True)
class Report:
    """What a result shows: a title, labelled facts (``label: value``) and at most one table.

    Parameters
    ----------
    title
        The first line: what the object is.
    facts
        ``(label, value)`` lines under the title, aligned on their labels.
    table
        The table's columns (all of the same length), e.g. from :func:`frame_columns`.
    footer
        A line under the table (a legend).
    max_rows
        Rows shown before ``... N more rows``.

    Examples
    --------
    >>> report = Report("Scores", [("best", "order 2")], [Column("order", ["1", "2"], numeric=False),
    ...                 Column("mean", measure_cells([0.61, 0.5987]))])
    >>> print(report.text())
    Scores
    best: order 2
    order    mean
    1      0.6100
    2      0.5987
    """

    title: str
    facts: Sequence[tuple[str, str]] = ()
    table: Sequence[Column] = ()
    footer: str = ""  # a line under the table (e.g. what else the result holds)
    max_rows: int = MAX_ROWS

    def _more(self, left_out: int) -> str:
        return f"... {left_out:,} more rows" if left_out else ""

    def text(self) -> str:
        """The terminal form: the title, the facts aligned on their labels, the table."""
        lines = [self.title]
        width = max((len(label) for label, _ in self.facts), default=0) + 1
        lines += [f"{label + ':':<{width}} {value}" for label, value in self.facts]
        if self.table:
            shown, left_out = _cut(self.table, self.max_rows)
            lines += _text_table(shown)
            lines += [self._more(left_out)] if left_out else []
        lines += [self.footer] if self.footer else []
        return "\n".join(lines)

    def html(self) -> str:
        """The notebook form: the same content, every label and cell escaped."""
        parts = [f"<div><p><strong>{html.escape(self.title)}</strong></p>"]
        if self.facts:
            rows = "".join(
                f'<tr><th style="text-align: left">{html.escape(label)}</th>'
                f'<td style="text-align: left">{html.escape(value)}</td></tr>'
                for label, value in self.facts
            )
            parts.append(f"<table>{rows}</table>")
        if self.table:
            shown, left_out = _cut(self.table, self.max_rows)
            parts.append(_html_table(shown))
            parts += [f"<p>{html.escape(self._more(left_out))}</p>"] if left_out else []
        parts += [f"<p>{html.escape(self.footer)}</p>"] if self.footer else []
        parts.append("</div>")
        return "".join(parts)
