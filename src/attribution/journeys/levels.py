"""Channel levels: a hierarchy of touch labels (channel → campaign → ...), coarse to fine.

Journeys built with ``channel=["channel", "campaign"]`` keep every touch's label at the
finest level (``fine`` codes) and the label of each fine label at every level; their
visible ``codes`` are those of the current level. :meth:`Journeys.at_level` switches
level: the same rows and touches, other labels. Because a coarse label is a function of
the fine one, credits of any per-touch model at the fine level add up exactly to its
credits at the coarse level.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from attribution.errors import JourneyError, ParameterError

__all__ = ["ChannelLevels"]

CodeArray = npt.NDArray[np.int32]


@dataclass(frozen=True)
class ChannelLevels:
    """The label hierarchy of journeys' touches.

    Attributes
    ----------
    names
        Level names, coarse to fine (the columns they were read from).
    fine
        The labels of the finest level, in code order.
    labels
        Per level: the label at that level of each fine label (aligned with ``fine``).
    current
        The level the journeys' ``codes`` and ``channels`` are at.
    """

    names: tuple[str, ...]
    fine: tuple[str, ...]
    labels: dict[str, tuple[str, ...]]
    current: str

    def codes_at(self, name: str, fine_codes: CodeArray) -> tuple[CodeArray, list[str]]:
        """Touch codes and channel labels at level ``name``, from the fine codes."""
        self.check(name)
        at_level = self.labels[name]
        distinct = sorted(set(at_level))
        position = {label: i for i, label in enumerate(distinct)}
        remap = np.array([position[label] for label in at_level] or [0], dtype=np.int32)
        codes: CodeArray = remap[fine_codes] if len(fine_codes) else np.zeros(0, dtype=np.int32)
        return codes, distinct

    def at(self, name: str) -> ChannelLevels:
        self.check(name)
        return ChannelLevels(self.names, self.fine, self.labels, name)

    def check(self, name: Any) -> None:
        if name not in self.names:
            raise ParameterError(
                f"level {name!r} is not a channel level of these journeys; their levels are {list(self.names)}. "
                "Fix: pass one of them."
            )

    def hierarchy(self) -> pd.DataFrame:
        """One row per fine label: its label at every level (columns coarse to fine)."""
        return pd.DataFrame({name: list(self.labels[name]) for name in self.names})

    def parents(self, fine_level: str, coarse_level: str) -> dict[str, str]:
        """Each label at ``fine_level`` mapped to its label at ``coarse_level``."""
        self.check(fine_level)
        self.check(coarse_level)
        return dict(zip(self.labels[fine_level], self.labels[coarse_level], strict=True))

    def union(self, other: ChannelLevels) -> tuple[ChannelLevels, CodeArray, CodeArray]:
        """Both hierarchies over one fine table, and each side's fine-code remap into it."""
        if self.names != other.names:
            raise JourneyError(
                f"journeys at channel levels {list(self.names)} and {list(other.names)} cannot be stacked. "
                "Fix: build every part with the same channel levels."
            )
        rows = {**_rows(other), **_rows(self)}
        for label, path in _rows(other).items():
            if rows[label] != path:
                raise JourneyError(
                    f"label {label!r} sits under {rows[label]} in one part and {path} in another. "
                    "Fix: build every part from the same hierarchy."
                )
        fine = tuple(sorted(rows))
        position = {label: i for i, label in enumerate(fine)}
        labels = {name: tuple(rows[label][k] for label in fine) for k, name in enumerate(self.names)}
        merged = ChannelLevels(self.names, fine, labels, self.current)
        mine = np.array([position[label] for label in self.fine] or [0], dtype=np.int32)
        theirs = np.array([position[label] for label in other.fine] or [0], dtype=np.int32)
        return merged, mine, theirs


def _rows(levels: ChannelLevels) -> dict[str, tuple[str, ...]]:
    return {label: tuple(levels.labels[name][i] for name in levels.names) for i, label in enumerate(levels.fine)}


def read_levels(
    coarse: list[str], coarse_codes: npt.NDArray[np.int32], finer: list[tuple[str, pd.Series]], channel: str
) -> tuple[CodeArray, ChannelLevels]:
    """Fine codes per event and the hierarchy, from the coarse codes and the finer level columns.

    A missing value at a finer level takes the label of the level above (a Direct touch
    with no campaign is "Direct" at the campaign level). Every label must sit under one
    label of the level above; otherwise the error names it and the fix.
    """
    from attribution.journeys.rules import encode_labels

    is_touch = coarse_codes >= 0
    current = np.full(len(coarse_codes), None, dtype=object)  # no channel (a bare conversion): no label
    current[is_touch] = np.asarray(coarse, dtype=object)[coarse_codes[is_touch]]
    paths: list[npt.NDArray[Any]] = [current]
    names = [channel]
    for name, column in finer:
        values = pd.Series(column.to_numpy(dtype=object), dtype=object)
        given = values.notna().to_numpy() & is_touch
        text = values.where(given, "").astype(str).str.strip().to_numpy(dtype=object)
        level = np.where(given & (text != ""), text, paths[-1])
        level[~is_touch] = None
        _check_one_parent(level[is_touch], paths[-1][is_touch], name, names[-1])
        paths.append(level)
        names.append(name)
    fine_values = paths[-1]
    codes, fine = encode_labels([str(v) for v in fine_values[is_touch]])
    fine_codes = np.full(len(fine_values), -1, dtype=np.int32)
    fine_codes[is_touch] = codes
    first = pd.Series(np.flatnonzero(is_touch)).groupby(codes, sort=True).first().to_numpy()
    labels = {name: tuple(str(path[i]).strip() for i in first) for name, path in zip(names, paths, strict=True)}
    return fine_codes, ChannelLevels(tuple(names), tuple(fine), labels, channel)


def _check_one_parent(child: npt.NDArray[Any], parent: npt.NDArray[Any], name: str, parent_name: str) -> None:
    pairs = pd.DataFrame({"child": child, "parent": parent}).drop_duplicates()
    shared = pairs["child"].duplicated(keep=False)
    if shared.any():
        label = pairs.loc[shared, "child"].iloc[0]
        under = sorted(pairs.loc[pairs["child"] == label, "parent"].astype(str))
        raise JourneyError(
            f"level {name!r}: label {label!r} appears under {len(under)} {parent_name!r} labels ({', '.join(under)}); "
            f"each {name} must belong to one {parent_name}. Fix: make the labels unique, e.g. "
            f"events[{name!r}] = events[{parent_name!r}] + ' / ' + events[{name!r}]."
        )
