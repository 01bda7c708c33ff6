"""Attribution by journey attributes (segments, period, conversion goal): one model fit per group.

``model.attribute(journeys, by=["country", "period"])`` splits the journeys into the groups
of those keys, attributes each group on its own (global models — Markov chains, Shapley
games — are fitted per group), and returns one :class:`GroupedAttribution` whose tables
carry the keys as index levels. Every group's credits plus its unattributed conversions
equal that group's totals.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from attribution._display import counted
from attribution.errors import ParameterError
from attribution.journeys import Journeys
from attribution.journeys.attributes import CONVERSION_TYPE, group_keys, require_one_goal
from attribution.models.base import (
    TOUCHES_PER_BLOCK,
    Attribution,
    Model,
    ModelSpec,
    Unattributed,
    attributable_totals,
    plain,
)

__all__ = [
    "MIN_GROUP_CONVERSIONS",
    "GroupedAttribution",
    "SmallGroupWarning",
    "attribute_by",
    "attribute_by_touch_weights",
    "group_rows",
    "normalise_by",
    "require_one_goal",
]

# A global model fitted on fewer conversions than this is noise; say so rather than stay silent.
MIN_GROUP_CONVERSIONS = 20

_GLOBAL_MODELS = ("Markov", "Shapley", "Counterfactual")


class SmallGroupWarning(UserWarning):
    """A group has no conversions, or too few (or no non-converting journeys) for a global model."""


def normalise_by(by: str | Sequence[str]) -> tuple[str, ...]:
    """``by`` as a tuple of distinct key names (a string is one key)."""
    keys = (by,) if isinstance(by, str) else tuple(by)
    if not keys or not all(isinstance(k, str) and k for k in keys) or len(set(keys)) != len(keys):
        raise ParameterError(
            f"parameter 'by' must be an attribute name or a list of distinct names; got {by!r}. "
            "Fix: pass e.g. by='country' or by=['country', 'period']."
        )
    return keys


class GroupedAttribution(Attribution):
    """The credits of one model per group of journeys (see :func:`attribute_by`).

    ``credits`` is indexed by the group keys and ``channel``; ``share`` is each channel's part
    of its group's attributed conversions. Totals (``total_conversions``,
    ``unattributed``) add over the groups. ``groups`` gives each group's own result (a
    :class:`~attribution.models.markov.MarkovAttribution` for a Markov chain, and so on).
    """

    __slots__ = ("_by", "_groups")

    _by: tuple[str, ...]
    _groups: dict[tuple[Any, ...], Attribution]

    def __init__(self, model: ModelSpec, by: tuple[str, ...], groups: Mapping[tuple[Any, ...], Attribution]) -> None:
        channels = tuple(sorted(set().union(*(g.channels for g in groups.values())))) if groups else ()
        conversions = np.zeros(len(channels))
        value = np.zeros(len(channels))
        position = {c: i for i, c in enumerate(channels)}
        for result in groups.values():
            where = [position[c] for c in result.channels]
            credits = result.credits
            conversions[where] += credits["conversions"].to_numpy()
            value[where] += credits["value"].to_numpy()
        unattributed = Unattributed(
            float(sum(g.unattributed.conversions for g in groups.values())),
            float(sum(g.unattributed.value for g in groups.values())),
        )
        super().__init__(model, channels, conversions, value, unattributed)
        self._by = by
        self._groups = dict(groups)

    @property
    def by(self) -> tuple[str, ...]:
        """The group keys, in the order given."""
        return self._by

    @property
    def groups(self) -> dict[tuple[Any, ...], Attribution]:
        """Each group's own result, by its key values (a tuple, one value per key)."""
        return dict(self._groups)

    def group(self, *key: Any) -> Attribution:
        """One group's result: ``result.group("ID", pd.Period("2024-01"))``."""
        for candidate, result in self._groups.items():
            if len(candidate) == len(key) and all(_same_key(a, b) for a, b in zip(candidate, key, strict=True)):
                return result
        raise KeyError(f"no group {key!r}; groups: {list(self._groups)[:10]}")

    @property
    def credits(self) -> pd.DataFrame:
        """Per group and channel: ``conversions``, ``value``, ``share`` (of the group's attributed conversions)."""
        channels = pd.Index(self.channels, name="channel")
        frames = [r.credits.reindex(channels, fill_value=0.0) for r in self._groups.values()]
        # index built from tuples, not concat's keys, so a missing key value (NaN) stays a group of its own
        tuples = [(*key, channel) for key in self._groups for channel in self.channels]
        index = pd.MultiIndex.from_tuples(tuples, names=[*self._by, "channel"])
        if not frames:
            return pd.DataFrame({"conversions": [], "value": [], "share": []}, index=index)
        stacked = pd.concat(frames, ignore_index=True)
        stacked.index = index
        return stacked

    @property
    def unattributed_by_group(self) -> pd.DataFrame:
        """Per group: conversions and value on empty paths."""
        index = pd.MultiIndex.from_tuples(list(self._groups), names=list(self._by))
        return pd.DataFrame(
            {
                "conversions": [g.unattributed.conversions for g in self._groups.values()],
                "value": [g.unattributed.value for g in self._groups.values()],
            },
            index=index,
        )

    def with_spend(self, spend: Any) -> pd.DataFrame:
        """Credits with ``spend``, ``share_of_spend``, ``cpa`` and ``roas`` per group and channel.

        ``spend`` is given per group and channel: a Series indexed by the group keys and
        ``channel``, or a table with those columns and ``spend``. Shares of spend are
        within each group. See :meth:`Attribution.with_spend` for the rules at the edges.
        """
        from attribution.models.spend import spend_metrics

        return spend_metrics(self.credits, spend, self._by)

    def to_frame(self) -> pd.DataFrame:
        """A tidy table: ``model``, the group keys, ``channel``, ``conversions``, ``value``, ``share``."""
        frame = self.credits.reset_index()
        frame.insert(0, "model", self.model.name)
        return frame

    def to_dict(self) -> dict[str, Any]:
        """Plain Python values (for JSON), shaped like :meth:`Attribution.to_dict` plus the groups.

        Returns
        -------
        dict
            ``model``, ``params``, ``credits`` and ``unattributed`` as for an ungrouped
            result, summed over the groups (shares of all the attributed conversions); ``by``
            (the keys) and ``groups``: one entry per group with its ``key`` (``{key: value}``;
            a missing value is None, a period its text) and its own ``credits`` and
            ``unattributed``.

        Examples
        --------
        >>> from attribution import Journeys, Linear
        >>> j = Journeys.from_sequences([["A", "B"], ["B"]], conversions=[1, 2], attributes={"country": ["ID", "SG"]})
        >>> document = Linear().attribute(j, by="country").to_dict()
        >>> document["by"], document["credits"]["B"]["conversions"]
        (['country'], 2.5)
        >>> document["groups"][1]  # doctest: +NORMALIZE_WHITESPACE
        {'key': {'country': 'SG'},
         'credits': {'A': {'conversions': 0.0, 'value': 0.0, 'share': 0.0},
                     'B': {'conversions': 2.0, 'value': 0.0, 'share': 1.0}},
         'unattributed': {'conversions': 0.0, 'value': 0.0}}
        """
        document = super().to_dict()
        document["by"] = list(self._by)
        document["groups"] = [
            {
                "key": {name: plain(value) for name, value in zip(self._by, key, strict=True)},
                "credits": result.to_dict()["credits"],
                "unattributed": result.to_dict()["unattributed"],
            }
            for key, result in self._groups.items()
        ]
        return document

    def _title(self) -> str:
        return f"Attribution: {self.model.name} by {', '.join(self._by)} ({counted(len(self._groups), 'group')})"

    def _facts(self) -> list[tuple[str, str]]:
        label, credited = super()._facts()[0]
        return [(label, f"{credited}, over {counted(len(self._groups), 'group')}"), *super()._facts()[1:]]


def _same_key(a: Any, b: Any) -> bool:
    if pd.isna(a) if not isinstance(a, (list, tuple)) else False:
        return bool(pd.isna(b))
    return bool(a == b)


def attribute_by(
    model: Model, journeys: Journeys, by: str | Sequence[str], *, period: str | None = None, **options: Any
) -> GroupedAttribution:
    """Attribute each group of ``journeys`` (by the attribute keys ``by``) with ``model`` on its own.

    Parameters
    ----------
    model
        Any model.
    journeys
        Journeys with the attributes named in ``by``.
    by
        Attribute names (segments, ``"conversion_type"``), and ``"period"``: the calendar
        period of each journey's end (frequency ``period``; default ``"M"``), unless the
        journeys have an attribute of that name.
    period
        The period frequency for the ``"period"`` key: ``"D"``, ``"W"``, ``"M"``, ``"Q"``,
        ``"Y"`` or any pandas period alias.
    **options
        Passed to ``model.attribute`` for every group.

    Warns
    -----
    SmallGroupWarning
        A group has no conversions (its credits are zero); or a global model (Markov,
        Shapley, counterfactual) is fitted on a group with fewer than
        ``MIN_GROUP_CONVERSIONS`` (20) conversions or with no non-converting journeys.

    Examples
    --------
    >>> from attribution import Journeys, Linear
    >>> j = Journeys.from_sequences([["A", "B"], ["B"], ["A"]], conversions=[1, 1, 1],
    ...                             attributes={"country": ["ID", "SG", "ID"]})
    >>> Linear().attribute(j, by="country").credits["conversions"].to_dict()
    {('ID', 'A'): 1.5, ('ID', 'B'): 0.5, ('SG', 'A'): 0.0, ('SG', 'B'): 1.0}
    """
    keys, group_of, labels = group_rows(journeys, by, period)
    order = np.argsort(group_of, kind="stable")
    bounds = np.searchsorted(group_of[order], np.arange(len(labels) + 1))
    is_global = any(model.name.startswith(prefix) for prefix in _GLOBAL_MODELS)
    name = model.name
    groups: dict[tuple[Any, ...], Attribution] = {}
    spec: ModelSpec | None = None
    for g, key in enumerate(labels):
        rows = order[bounds[g] : bounds[g + 1]]
        part = journeys[rows]
        if attributable_totals(part)[0] <= 0:
            _warn_no_conversions(key, name, part.unattributed_conversions)
            groups[key] = Attribution(
                spec or ModelSpec(name),
                part.channels,
                np.zeros(len(part.channels)),
                np.zeros(len(part.channels)),
                Unattributed(part.unattributed_conversions, part.unattributed_value),
            )
            continue
        if is_global and (part.total_conversions < MIN_GROUP_CONVERSIONS or float(part.nulls.sum()) == 0):
            warnings.warn(
                f"{name} is fitted on group {key!r} alone, which has {part.total_conversions:,.6g} conversions "
                f"and {float(part.nulls.sum()):,.6g} non-converting journeys; a global model needs at least "
                f"{MIN_GROUP_CONVERSIONS} conversions and some non-converting journeys per group to be more "
                "than noise. Fix: group by fewer or coarser keys.",
                SmallGroupWarning,
                stacklevel=3,
            )
        result = model.attribute(part, **options)
        spec = result.model
        groups[key] = result
    return GroupedAttribution(spec or ModelSpec(name), keys, groups)


def _warn_no_conversions(key: tuple[Any, ...], name: str, unattributed: float) -> None:
    warnings.warn(
        f"group {key!r} of {name} has no conversions on a path with touches; its credits are zero "
        f"({unattributed:,.6g} conversions on empty paths are reported as unattributed).",
        SmallGroupWarning,
        stacklevel=4,
    )


def group_rows(
    journeys: Journeys, by: str | Sequence[str], period: str | None
) -> tuple[tuple[str, ...], npt.NDArray[np.int64], list[tuple[Any, ...]]]:
    """The group keys, each row's group number, and each group's key values (sorted; missing last)."""
    keys = normalise_by(by)
    if period is not None and "period" not in keys:
        raise ParameterError(
            f"parameter 'period' ({period!r}) is used only when grouping by 'period'; by is {keys!r}. "
            "Fix: add 'period' to by, or drop period=."
        )
    if CONVERSION_TYPE not in keys:
        require_one_goal(journeys)
    table = group_keys(journeys.attribute_set(), keys, period=period)
    # one integer per row from the categorical codes (missing: one past the last code of each key)
    columns = [table[key] for key in keys]
    sizes = [len(column.categories) + 1 for column in columns]
    combined = np.zeros(journeys.n_rows, dtype=np.int64)
    for column, size in zip(columns, sizes, strict=True):
        codes = np.asarray(column.codes)
        combined *= size
        combined += np.where(codes < 0, size - 1, codes) if (codes < 0).any() else codes
    if math.prod(sizes) <= 4 * journeys.n_rows + 1024:  # small key space: count instead of sorting
        present = np.flatnonzero(np.bincount(combined, minlength=math.prod(sizes)))
        remap = np.full(math.prod(sizes), -1, dtype=np.int64)
        remap[present] = np.arange(len(present))
        distinct, group_of = present, remap[combined]
    else:
        distinct, group_of = np.unique(combined, return_inverse=True)
    # each group's key values, decoded from its number (the order is the keys' sorted order, missing last)
    labels: list[tuple[Any, ...]] = []
    for number in distinct.tolist():
        values = []
        for column, size in zip(reversed(columns), reversed(sizes), strict=True):
            code = number % size
            number //= size
            values.append(column.categories[code] if code < size - 1 else np.nan)
        labels.append(tuple(reversed(values)))
    return keys, group_of.reshape(-1).astype(np.int64), labels


def attribute_by_touch_weights(
    model: Model,
    journeys: Journeys,
    by: str | Sequence[str],
    period: str | None,
    weigh: Callable[[Journeys], npt.NDArray[np.float64]] | None,
    spec: ModelSpec,
    *,
    chosen: Callable[[Journeys], npt.NDArray[np.int64]] | None = None,
) -> GroupedAttribution:
    """Grouped credits of a per-touch model in one pass: every touch's weight is computed once,
    then credits are summed by (group, channel) — the same numbers as attributing each group
    alone, since a touch's weight depends only on its own path. ``chosen`` (single-touch
    models: the credited touch of every non-empty row) works per row instead of per touch."""
    keys, group_of, labels = group_rows(journeys, by, period)
    n_groups, n_channels = len(labels), len(journeys.channels)
    conversions = np.zeros(n_groups * n_channels)
    value = np.zeros(n_groups * n_channels)
    start = 0
    empty = journeys.lengths == 0
    if chosen is not None:
        cell = group_of[~empty] * n_channels + journeys.codes[chosen(journeys)]
        conversions = np.bincount(cell, journeys.conversions[~empty], n_groups * n_channels).astype(float)
        value = np.bincount(cell, journeys.value[~empty], n_groups * n_channels).astype(float)
    for block in journeys._row_blocks(TOUCHES_PER_BLOCK) if chosen is None else iter(()):
        lengths = block.lengths
        weights = weigh(block) if weigh is not None else np.ones(block.n_touches)
        cell = np.repeat(group_of[start : start + block.n_rows] * n_channels, lengths) + block.codes
        conversions += np.bincount(cell, weights * np.repeat(block.conversions, lengths), n_groups * n_channels)
        value += np.bincount(cell, weights * np.repeat(block.value, lengths), n_groups * n_channels)
        start += block.n_rows
    lost = np.bincount(group_of[empty], journeys.conversions[empty], n_groups)
    lost_value = np.bincount(group_of[empty], journeys.value[empty], n_groups)
    credited = conversions.reshape(n_groups, n_channels)
    credited_value = value.reshape(n_groups, n_channels)
    attributable = np.bincount(group_of[~empty], journeys.conversions[~empty], n_groups)
    groups: dict[tuple[Any, ...], Attribution] = {}
    for g, key in enumerate(labels):
        if attributable[g] <= 0:
            _warn_no_conversions(key, model.name, float(lost[g]))
        groups[key] = Attribution(
            spec, journeys.channels, credited[g], credited_value[g], Unattributed(float(lost[g]), float(lost_value[g]))
        )
    return GroupedAttribution(spec, keys, groups)
