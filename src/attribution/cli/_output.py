"""Writing the command's result: text that fits the terminal, CSV, JSON or Parquet, to stdout or a file."""

from __future__ import annotations

import importlib
import json
import math
import shutil
import textwrap
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

import pandas as pd

from attribution._display import counted, format_count
from attribution.cli._input import PARQUET_HINT
from attribution.cli._parser import CLIError
from attribution.cli._tables import QUANTITIES, fit_table, wrap_field
from attribution.journeys import JourneysSummary

__all__ = ["Result", "terminal_width", "write_result"]


@dataclass(frozen=True)
class Result:
    """What a run found: where the events came from, the journeys' summary, and the tables to show."""

    source: str
    n_events: int
    summary: JourneysSummary
    quantity: str  # what ``table`` holds: conversions, value, share or roas
    table: pd.DataFrame  # rows: channels (group keys first with --by); columns: models
    roas: pd.DataFrame | None  # return on ad spend beside the credits (None: no spend, or shown as ``table``)
    skipped: dict[str, str] = field(default_factory=dict)  # default models not run, with the reason
    note: str | None = None  # why no model was run (no conversion to attribute)
    unattributed: dict[str, float] = field(default_factory=dict)  # conversions each model left unattributed


def terminal_width() -> int:
    """The terminal's width (``COLUMNS`` when set; 80 when not a terminal, e.g. piped)."""
    return max(40, shutil.get_terminal_size(fallback=(80, 24)).columns)


def write_result(result: Result, fmt: str, output: str | None, out: TextIO) -> None:
    """``result`` in ``fmt`` to the file ``output``, or to ``out`` (stdout)."""
    if fmt == "parquet":
        _write_parquet(result, output)
        return
    if fmt == "table":
        text = as_text(result, terminal_width() if output is None else 100)
    elif fmt == "json":
        text = json.dumps(_finite(_document(result)), indent=2, allow_nan=False) + "\n"
    else:  # csv: one machine-readable table (channels, per group, x models)
        text = result.table.to_csv()
    if output is None:
        out.write(text)
        return
    try:
        Path(output).write_text(text, encoding="utf-8")
    except OSError as exc:
        raise CLIError(f"cannot write {output}: {exc.strerror or exc}") from None


def as_text(result: Result, width: int) -> str:
    """The summary and the tables, every line at most ``width`` characters."""
    summary = result.summary
    lines = [*wrap_field("events", f"{result.source}, {counted(result.n_events, 'row')}", width)]
    lines += _summary_lines(summary, width)
    if result.note is not None:  # nothing to attribute: the summary, and why no table follows
        lines += ["", *textwrap.wrap(result.note, width=width)]
        return _joined(lines)
    lines += ["", *_caption(QUANTITIES[result.quantity], width), fit_table(result.table, result.quantity, width)]
    if summary.unattributed_conversions and result.quantity != "roas":
        lost = counted(summary.unattributed_conversions, "conversion")
        note = f"{lost} on empty paths {'is' if lost.startswith('1 ') else 'are'} unattributed by every model."
        lines += ["", *textwrap.wrap(note, width=width)]
    more = {
        name: n - summary.unattributed_conversions
        for name, n in result.unattributed.items()
        if n - summary.unattributed_conversions > 1e-9 * max(1.0, summary.conversions)
    }
    if more and result.quantity != "roas":  # e.g. paths on which no channel raises a model's conversion probability
        listed = "; ".join(f"{name}: {format_count(n)}" for name, n in more.items())
        lines += [
            "",
            *textwrap.wrap(f"Also unattributed, on paths where the model credits no channel: {listed}.", width),
        ]
    for name, reason in result.skipped.items():
        lines += ["", *textwrap.wrap(f"Not run: {name}, because {reason}.", width=width)]
    if result.roas is not None:
        lines += ["", *_caption(QUANTITIES["roas"], width), fit_table(result.roas, "roas", width)]
    return _joined(lines)


def _joined(lines: list[str]) -> str:
    return "\n".join(line.rstrip().replace(_KEEP, " ") for line in lines) + "\n"


_KEEP = "\u00a0"  # a space that wrapping keeps (textwrap breaks only at ASCII whitespace)


def _caption(text: str, width: int) -> list[str]:
    return textwrap.wrap(text, width=width)


def _summary_lines(summary: JourneysSummary, width: int) -> list[str]:
    rate = "n/a" if not summary.journeys else f"{summary.conversions / summary.journeys:.2%}"
    lengths = summary.length_distribution
    total = float(lengths.sum()) or 1.0
    shown = [
        f"{k}:{_KEEP}{v / total:.1%}" for k, v in zip(lengths.index.tolist(), lengths.tolist(), strict=True) if k < 10
    ]
    tail = float(lengths[lengths.index >= 10].sum())
    histogram = ", ".join([*shown, *([f"10+:{_KEEP}{tail / total:.1%}"] if tail else [])])
    lines = wrap_field(
        "journeys",
        f"{counted(summary.journeys, 'journey')}, {counted(summary.distinct_paths, 'distinct path')}, "
        f"{counted(summary.touches, 'touch', 'touches')}",
        width,
    )
    lines += wrap_field(
        "conversions", f"{format_count(summary.conversions)} ({rate} of journeys), value {summary.value:,.2f}", width
    )
    if summary.unattributed_conversions:
        lines += wrap_field(
            "unattributed",
            f"{format_count(summary.unattributed_conversions)} conversions on empty paths "
            f"(value {summary.unattributed_value:,.2f})",
            width,
        )
    lines += wrap_field("channels", f"{len(summary.channels)}: {', '.join(summary.channels)}", width)
    if summary.journeys:
        lines += wrap_field("path length", f"mean {summary.mean_length:.2f}; {histogram}", width)
    lines += wrap_field("touch times", "yes" if summary.has_times else "no", width)
    return lines


def _document(result: Result) -> dict[str, Any]:
    document: dict[str, Any] = {
        "summary": result.summary.to_dict(),
        "quantity": result.quantity,
        "models": _by_model(result.table),
    }
    if result.roas is not None:
        document["roas"] = _by_model(result.roas)
    if result.unattributed:
        document["unattributed"] = result.unattributed
    if result.skipped:
        document["skipped"] = result.skipped
    if result.note is not None:
        document["note"] = result.note
    return document


def _by_model(table: pd.DataFrame) -> dict[str, Any]:
    """Each model's column: ``{channel: number}``, or with groups ``{"key|...|channel": number}``."""
    return {
        str(name): {("|".join(map(str, k)) if isinstance(k, tuple) else str(k)): v for k, v in table[name].items()}
        for name in table.columns
    }


def _finite(item: Any) -> Any:
    """NaN and infinities become null, which JSON (unlike Python's json module) knows."""
    if isinstance(item, dict):
        return {key: _finite(value) for key, value in item.items()}
    if isinstance(item, list):
        return [_finite(value) for value in item]
    if isinstance(item, float) and not math.isfinite(item):
        return None
    return item


def _write_parquet(result: Result, output: str | None) -> None:
    """The table (group keys and channel as columns, one column per model) as a Parquet file."""
    if output is None:
        raise CLIError("--format parquet writes a file: pass --output FILE (e.g. --output credits.parquet)")
    try:
        importlib.import_module("pyarrow")
    except ImportError:
        raise CLIError(PARQUET_HINT.replace("reading", "writing")) from None
    table = result.table.reset_index()
    table.columns = [str(c) for c in table.columns]
    for column in table.columns:
        if isinstance(table[column].dtype, pd.PeriodDtype):  # Parquet has no periods: their text, e.g. 2025-03
            table[column] = table[column].astype(str)
    try:
        table.to_parquet(output, index=False, engine="pyarrow")
    except OSError as exc:
        raise CLIError(f"cannot write {output}: {exc.strerror or exc}") from None
