"""Tables and text views of :class:`Journeys`: ``to_frame``, ``summary()``, reprs."""

from __future__ import annotations

import html
import itertools
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from attribution.errors import JourneyError

if TYPE_CHECKING:
    from attribution.journeys._core import Journeys

__all__ = ["JourneysSummary", "summarize", "to_frame"]

_PREVIEW_ROWS = 8


def _path_strings(journeys: Journeys, sep: str) -> list[str]:
    token = sep.strip() or sep
    clashing = [c for c in journeys.channels if token in c]
    if clashing:
        raise JourneyError(
            f"channel label {clashing[0]!r} contains the path separator {token!r}, so string paths would be ambiguous. "
            "Fix: pass another sep, or path='list'."
        )
    labels = np.asarray(journeys.channels, dtype=object)[journeys.codes]
    bounds = journeys.offsets.tolist()
    return [sep.join(labels[a:b]) for a, b in itertools.pairwise(bounds)]


def _path_lists(journeys: Journeys, values: np.ndarray[Any, Any]) -> list[list[Any]]:
    bounds = journeys.offsets.tolist()
    return [values[a:b].tolist() for a, b in itertools.pairwise(bounds)]


def to_frame(journeys: Journeys, *, path: str = "auto", sep: str = " > ", times: bool = False) -> pd.DataFrame:
    """One row per path: ``path``, ``conversions``, ``nulls``, ``value`` (+ ``user``, ``times``, attributes)."""
    if path == "auto":
        token = sep.strip() or sep
        path = "list" if any(token in c for c in journeys.channels) else "string"
    if path == "string":
        paths: list[Any] = _path_strings(journeys, sep)
    elif path == "list":
        paths = _path_lists(journeys, np.asarray(journeys.channels, dtype=object)[journeys.codes])
    else:
        raise JourneyError(
            f"argument 'path' must be 'auto', 'string' or 'list'; got {path!r}. Fix: pick one of the three."
        )
    columns: dict[str, Any] = {}
    if journeys.users is not None:
        columns["user"] = journeys.users
    columns |= {"path": paths, "conversions": journeys.conversions, "nulls": journeys.nulls, "value": journeys.value}
    if times:
        if journeys.times is None:
            raise JourneyError(
                "times=True needs journeys with touch times; these have none. "
                "Fix: build them with Journeys.from_events, or pass times to from_sequences."
            )
        columns["times"] = _path_lists(journeys, journeys.times)
    frame = pd.DataFrame(columns)
    frame.index = pd.RangeIndex(len(frame))
    attributes = journeys.attributes  # segments and conversion_type (categoricals), then ended_at
    for name in attributes.columns:
        frame[name] = attributes[name].to_numpy()
    return frame


@dataclass(frozen=True)
class JourneysSummary:
    """What a set of journeys holds, at a glance.

    Attributes
    ----------
    rows
        Path rows stored.
    journeys
        Journeys represented (conversions + nulls).
    conversions, nulls, value
        Totals.
    unattributed_conversions, unattributed_value
        Conversions and value on empty paths (no touch to credit).
    touches
        Touches stored (not weighted by counts).
    channels
        Channel labels.
    mean_length
        Touches per journey, weighted by journeys.
    length_distribution
        Journeys by number of touches (index: path length).
    has_times
        Whether touch times are known (needed by time decay).
    """

    rows: int
    journeys: float
    conversions: float
    nulls: float
    value: float
    unattributed_conversions: float
    unattributed_value: float
    touches: int
    channels: tuple[str, ...]
    mean_length: float
    length_distribution: pd.Series = field(repr=False)
    has_times: bool

    @property
    def conversion_rate(self) -> float:
        """Conversions per journey (NaN when there are none)."""
        return self.conversions / self.journeys if self.journeys else float("nan")

    def to_dict(self) -> dict[str, Any]:
        """Plain Python values (lists and numbers), e.g. for JSON."""
        return {
            "rows": self.rows,
            "journeys": self.journeys,
            "conversions": self.conversions,
            "nulls": self.nulls,
            "value": self.value,
            "conversion_rate": self.conversion_rate,
            "unattributed_conversions": self.unattributed_conversions,
            "unattributed_value": self.unattributed_value,
            "touches": self.touches,
            "channels": list(self.channels),
            "mean_length": self.mean_length,
            "length_distribution": dict(
                zip(self.length_distribution.index.tolist(), self.length_distribution.tolist(), strict=True)
            ),
            "has_times": self.has_times,
        }

    def to_frame(self) -> pd.DataFrame:
        """The scalar totals as a one-column table (``metric`` → ``value``)."""
        scalars = {k: v for k, v in self.to_dict().items() if k not in ("channels", "length_distribution")}
        scalars["channels"] = len(self.channels)
        return pd.DataFrame({"value": pd.Series(scalars, dtype=object)}).rename_axis("metric")

    def __str__(self) -> str:
        lines = [
            f"journeys     {_num(self.journeys)} in {self.rows:,} path rows, {self.touches:,} touches",
            f"conversions  {_num(self.conversions)} ({_percent(self.conversion_rate)} of journeys), value {_num(self.value)}",
            f"unattributed {_num(self.unattributed_conversions)} conversions on empty paths (value {_num(self.unattributed_value)})",
            f"channels     {len(self.channels)}: {', '.join(self.channels)}",
            f"path length  mean {self.mean_length:.2f}; " + _length_histogram(self.length_distribution)
            if self.journeys
            else "path length  no journeys",
            f"touch times  {'yes' if self.has_times else 'no'}",
        ]
        return "\n".join(lines)


def _percent(x: float) -> str:
    return "n/a" if np.isnan(x) else f"{x:.2%}"


def _num(x: float) -> str:
    return f"{x:,.0f}" if float(x).is_integer() else f"{x:,.2f}"


def _length_histogram(dist: pd.Series) -> str:
    total = float(dist.sum())
    if not total:
        return "no journeys"
    shown = [f"{k}: {v / total:.1%}" for k, v in dist.items() if int(k) < 10]  # type: ignore[call-overload]
    tail = float(dist[dist.index >= 10].sum())
    if tail:
        shown.append(f"10+: {tail / total:.1%}")
    return ", ".join(shown)


def summarize(journeys: Journeys) -> JourneysSummary:
    """Build the :class:`JourneysSummary` of ``journeys``."""
    weight = journeys.conversions + journeys.nulls
    lengths = journeys.lengths
    dist = np.bincount(lengths, weights=weight) if len(lengths) else np.zeros(0)
    distribution = pd.Series(dist, index=pd.RangeIndex(len(dist), name="length"), name="journeys")
    distribution = distribution[distribution > 0]
    total = float(weight.sum())
    return JourneysSummary(
        rows=journeys.n_rows,
        journeys=total,
        conversions=journeys.total_conversions,
        nulls=float(journeys.nulls.sum()),
        value=journeys.total_value,
        unattributed_conversions=journeys.unattributed_conversions,
        unattributed_value=journeys.unattributed_value,
        touches=journeys.n_touches,
        channels=journeys.channels,
        mean_length=float(lengths @ weight / total) if total else float("nan"),
        length_distribution=distribution,
        has_times=journeys.has_times,
    )


def _headline(journeys: Journeys) -> str:
    return (
        f"Journeys: {journeys.n_rows:,} rows, {_num(journeys.n_journeys)} journeys, "
        f"{_num(journeys.total_conversions)} conversions (value {_num(journeys.total_value)}), "
        f"{len(journeys.channels)} channels, times: {'yes' if journeys.has_times else 'no'}"
    )


def _preview(journeys: Journeys) -> pd.DataFrame:
    return journeys[:_PREVIEW_ROWS].to_frame()  # lists where a label contains ' > '


def render_text(journeys: Journeys) -> str:
    """The terminal repr: a headline and the first rows."""
    if journeys.n_rows == 0:
        return _headline(journeys)
    text = _headline(journeys) + "\n" + _preview(journeys).to_string(max_colwidth=60)
    if journeys.n_rows > _PREVIEW_ROWS:
        text += f"\n... {journeys.n_rows - _PREVIEW_ROWS:,} more rows"
    return text


def render_html(journeys: Journeys) -> str:
    """The notebook repr: the same headline and preview as HTML."""
    body = "" if journeys.n_rows == 0 else _preview(journeys).to_html(max_cols=8, border=0)
    more = f"<p>... {journeys.n_rows - _PREVIEW_ROWS:,} more rows</p>" if journeys.n_rows > _PREVIEW_ROWS else ""
    return f"<div><p><b>{html.escape(_headline(journeys))}</b></p>{body}{more}</div>"
