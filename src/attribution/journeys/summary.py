"""Tables and text views of :class:`Journeys`: ``to_frame``, ``summary()``, reprs."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from attribution._display import (
    Report,
    count_cells,
    counted,
    format_count,
    format_money,
    format_rate,
    frame_columns,
    listed,
    money_cells,
    share_cells,
)
from attribution.errors import JourneyError
from attribution.journeys import ragged

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
    distinct_paths
        Distinct channel sequences among the rows (the empty path included).
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
    distinct_paths: int

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
            "distinct_paths": self.distinct_paths,
        }

    def to_frame(self) -> pd.DataFrame:
        """The scalar totals as a one-column table (``metric`` → ``value``)."""
        scalars = {k: v for k, v in self.to_dict().items() if k not in ("channels", "length_distribution")}
        scalars["channels"] = len(self.channels)
        return pd.DataFrame({"value": pd.Series(scalars, dtype=object)}).rename_axis("metric")

    def _report(self) -> Report:
        if self.journeys:
            lengths = f"mean {self.mean_length:.2f} touches; {_length_histogram(self.length_distribution)}"
        else:
            lengths = "no journeys"
        return Report(
            "Journeys summary",
            [
                (
                    "journeys",
                    f"{format_count(self.journeys)} in {counted(self.distinct_paths, 'distinct path')} "
                    f"({counted(self.touches, 'touch', 'touches')})",
                ),
                ("conversions", f"{format_count(self.conversions)} ({format_rate(self.conversion_rate)} of journeys)"),
                ("value", format_money(self.value)),
                (
                    "unattributed",
                    f"{counted(self.unattributed_conversions, 'conversion')} "
                    f"(value {format_money(self.unattributed_value)}) on empty paths",
                ),
                ("channels", f"{len(self.channels):,}: {listed(list(self.channels))}" if self.channels else "none"),
                ("path length", lengths),
                ("touch times", "yes" if self.has_times else "no"),
            ],
        )

    def __str__(self) -> str:
        return self._report().text()

    def __repr__(self) -> str:
        return self._report().text()

    def _repr_html_(self) -> str:
        return self._report().html()


def _length_histogram(dist: pd.Series) -> str:
    """``1: 29.7%, 2: 19.9%, …, 10+: 5.4%``: journeys by path length."""
    total = float(dist.sum())
    short = dist[dist.index < 10]
    labels = [str(length) for length in short.index.tolist()]
    journeys = short.tolist()
    if (dist.index >= 10).any():
        labels.append("10+")
        journeys.append(float(dist[dist.index >= 10].sum()))
    shares = share_cells([count / total for count in journeys])
    return ", ".join(f"{label}: {share}" for label, share in zip(labels, shares, strict=True))


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
        distinct_paths=len(np.unique(ragged.path_ids(journeys.codes, journeys.offsets)[0])) if journeys.n_rows else 0,
    )


def _report(journeys: Journeys) -> Report:
    """The headline and the first rows (paths as lists where a label contains ' > ')."""
    title = (
        f"Journeys: {counted(journeys.n_journeys, 'journey')} in {counted(journeys.n_rows, 'row')}, "
        f"{counted(journeys.total_conversions, 'conversion')} (value {format_money(journeys.total_value)}), "
        f"{counted(len(journeys.channels), 'channel')}, touch times: {'yes' if journeys.has_times else 'no'}"
    )
    if journeys.n_rows == 0:
        return Report(title)
    preview = journeys[:_PREVIEW_ROWS].to_frame().rename_axis("row")
    # strings, or lists where a label holds the separator: either way, the empty path is named
    preview["path"] = [path if len(path) else "(empty)" for path in preview["path"]]
    formats = {"conversions": count_cells, "nulls": count_cells, "value": money_cells}
    left = journeys.n_rows - _PREVIEW_ROWS
    more = f"... {left:,} more rows" if left > 0 else ""
    return Report(title, table=frame_columns(preview, formats, missing=""), footer=more)


def render_text(journeys: Journeys) -> str:
    """The terminal repr: a headline and the first rows."""
    return _report(journeys).text()


def render_html(journeys: Journeys) -> str:
    """The notebook repr: the same headline and preview as HTML."""
    return _report(journeys).html()
