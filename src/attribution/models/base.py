"""What every model shares: the :class:`Model` protocol and the :class:`Attribution` result."""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import MISSING, dataclass, field, fields
from typing import TYPE_CHECKING, Any, ClassVar, Literal, NamedTuple, Protocol, runtime_checkable

import numpy as np
import numpy.typing as npt
import pandas as pd

from attribution._display import (
    Column,
    Report,
    count_cells,
    counted,
    format_money,
    frame_columns,
    money_cells,
    share_cells,
)
from attribution.errors import AttributionError, ParameterError
from attribution.journeys import Journeys

if TYPE_CHECKING:
    import scipy.sparse as sp

__all__ = [
    "Attribution",
    "Model",
    "ModelSpec",
    "Unattributed",
    "attributable_totals",
    "attribution_from_touch_weights",
    "credit_by_position",
]

FloatArray = npt.NDArray[np.float64]

# How each column of a credits table reads (see :mod:`attribution._display`).
CREDIT_FORMATS = {"conversions": count_cells, "value": money_cells, "share": share_cells}


@runtime_checkable
class Model(Protocol):
    """Anything with a ``name`` and ``attribute(journeys) -> Attribution`` is a model.

    Outside models that satisfy this protocol plug into :func:`attribution.compare`
    and can be checked with :func:`attribution.testing.check_model`.
    """

    @property
    def name(self) -> str:
        """A short, human-readable label, unique among the models compared."""
        ...

    def attribute(self, journeys: Journeys) -> Attribution:
        """Share the conversions (and value) of ``journeys`` among their channels."""
        ...


@dataclass(frozen=True)
class ModelSpec:
    """Which model produced a result: its label and its parameters."""

    name: str
    params: Mapping[str, Any] = field(default_factory=dict)

    def __str__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.params.items())
        return f"{self.name} ({args})" if args else self.name


class Configured:
    """Identity derived from a frozen dataclass's fields, never written by hand.

    As scikit-learn derives ``get_params`` from the constructor's signature, a model's
    :meth:`params` are its init fields (private ``_fields`` excepted), and its ``name`` is
    its ``label`` plus every parameter that differs from its default — so two models
    configured differently never look alike. A class whose label already says some of
    its parameters (``"Markov (order 2)"``) lists them in ``named_params`` and overrides
    :meth:`base_name`.

    Examples
    --------
    >>> from attribution import MarkovChain
    >>> MarkovChain(order=2, collapse_repeats=False).name
    'Markov (order 2, collapse_repeats=False)'
    >>> MarkovChain().params()["max_states"]
    200000
    """

    label: ClassVar[str]
    named_params: ClassVar[tuple[str, ...]] = ()

    def params(self) -> dict[str, Any]:
        """Every constructor parameter and its value."""
        return {f.name: getattr(self, f.name) for f in fields(self) if f.init and not f.name.startswith("_")}  # type: ignore[arg-type]

    def changed_params(self) -> dict[str, Any]:
        """The parameters that differ from their defaults."""
        changed = {}
        for f in fields(self):  # type: ignore[arg-type]
            if not f.init or f.name.startswith("_"):
                continue
            if f.default is not MISSING:
                default = f.default
            elif f.default_factory is not MISSING:
                default = f.default_factory()
            else:
                changed[f.name] = getattr(self, f.name)
                continue
            value = getattr(self, f.name)
            try:
                same = bool(value == default)
            except (TypeError, ValueError):
                same = value is default
            if not same:
                changed[f.name] = value
        return changed

    def base_name(self) -> str:
        """The label, with the parameters of ``named_params`` said in words (override)."""
        return self.label

    @property
    def name(self) -> str:
        """The label plus every non-default parameter not already in it."""
        extra = {k: v for k, v in self.changed_params().items() if k not in self.named_params}
        base = self.base_name()
        if not extra:
            return base
        shown = ", ".join(f"{k}={_shown(v)}" for k, v in extra.items())
        return f"{base[:-1]}, {shown})" if base.endswith(")") else f"{base} ({shown})"

    def spec(self) -> ModelSpec:
        """The :class:`ModelSpec` a result carries."""
        return ModelSpec(self.name, self.params())


def _shown(value: Any) -> str:
    if callable(value) and hasattr(value, "__name__"):
        return str(value.__name__)
    return repr(value)


class Unattributed(NamedTuple):
    """Conversions and value on empty paths: there is no touch to give them to.

    Attributes
    ----------
    conversions
        Conversions on paths with no touch (e.g. every touch fell outside the lookback).
    value
        The value of those conversions.
    """

    conversions: float
    value: float


class Attribution:
    """The credits a model gives each channel; the result type shared by every model.

    Parameters
    ----------
    model
        Which model, with its parameters.
    channels
        Channel labels, in the order of ``conversions`` and ``value``.
    conversions, value
        Credit per channel.
    unattributed
        Conversions and value on empty paths.
    path_credits
        Optional ``(conversions, value)`` sparse matrices, rows × channels.

    Notes
    -----
    Credits plus unattributed equal the journeys' total conversions (and value).
    ``share`` is each channel's part of the attributed conversions, so shares sum to 1
    whenever anything was attributed.
    """

    __slots__ = ("_channels", "_conversions", "_model", "_path_credits", "_positions", "_unattributed", "_value")

    def __init__(
        self,
        model: ModelSpec,
        channels: tuple[str, ...],
        conversions: FloatArray,
        value: FloatArray,
        unattributed: Unattributed,
        path_credits: tuple[sp.csr_array, sp.csr_array] | None = None,
        positions: pd.DataFrame | None = None,
    ) -> None:
        self._model = model
        self._channels = tuple(channels)
        self._conversions = np.array(conversions, dtype=np.float64)
        self._value = np.array(value, dtype=np.float64)
        self._conversions.setflags(write=False)
        self._value.setflags(write=False)
        self._unattributed = unattributed
        self._path_credits = path_credits
        self._positions = positions

    @property
    def model(self) -> ModelSpec:
        """The model's name and parameters."""
        return self._model

    @property
    def channels(self) -> tuple[str, ...]:
        """Channel labels, as in the journeys."""
        return self._channels

    @property
    def credits(self) -> pd.DataFrame:
        """Per channel: ``conversions`` and ``value`` credited, ``share`` of conversions (a copy)."""
        attributed = float(self._conversions.sum())
        share = self._conversions / attributed if attributed > 0 else np.zeros_like(self._conversions)
        return pd.DataFrame(
            {"conversions": self._conversions, "value": self._value, "share": share},
            index=pd.Index(self._channels, name="channel"),
        )

    @property
    def shares(self) -> pd.Series:
        """Each channel's share of the attributed conversions (sums to 1 when anything was attributed)."""
        return self.credits["share"]

    @property
    def unattributed(self) -> Unattributed:
        """Conversions and value on empty paths (never dropped silently)."""
        return self._unattributed

    @property
    def total_conversions(self) -> float:
        """Credited plus unattributed conversions: the journeys' total."""
        return float(self._conversions.sum()) + self._unattributed.conversions

    @property
    def total_value(self) -> float:
        """Credited plus unattributed value: the journeys' total."""
        return float(self._value.sum()) + self._unattributed.value

    def with_spend(self, spend: Any) -> pd.DataFrame:
        """The credits with spend beside them: ``spend``, ``share_of_spend``, ``cpa``, ``roas``.

        Parameters
        ----------
        spend
            Spend per channel: a ``pandas.Series`` (or dict) indexed by channel. A channel
            with credit but no spend has spend NaN (unknown), and so do its ratios.

        Returns
        -------
        pandas.DataFrame
            ``conversions``, ``value``, ``share`` (of credit), ``spend``,
            ``share_of_spend``, ``cpa`` (spend per credited conversion; +inf for spend
            that earned nothing, NaN for 0/0) and ``roas`` (credited value per unit of
            spend; +inf for value at no spend, NaN for 0/0), per channel.

        Examples
        --------
        >>> import pandas as pd
        >>> from attribution import Journeys, Linear
        >>> j = Journeys.from_sequences([["Search", "Email"], ["Email"]], conversions=[1, 1], value=[100, 50])
        >>> Linear().attribute(j).with_spend(pd.Series({"Search": 60.0, "Email": 20.0}))[["spend", "cpa", "roas"]]
                 spend   cpa      roas
        channel
        Email     20.0  13.333333  5.000000
        Search    60.0  120.000000  0.833333
        """
        from attribution.models.spend import spend_metrics

        return spend_metrics(self.credits, spend)

    def to_frame(self) -> pd.DataFrame:
        """A tidy table: ``model``, ``channel``, ``conversions``, ``value``, ``share``."""
        frame = self.credits.reset_index()
        frame.insert(0, "model", self._model.name)
        return frame

    def path_credits(self, kind: Literal["conversions", "value"] = "conversions") -> sp.csr_array:
        """Each path row's credit per channel: a sparse rows × channels matrix.

        Available when the result was computed with ``per_path=True``; row ``i`` is row
        ``i`` of the journeys, column ``j`` is ``channels[j]``.
        """
        if self._path_credits is None:
            raise AttributionError(
                "path-level credits were not computed. Fix: call model.attribute(journeys, per_path=True)."
            )
        if kind not in ("conversions", "value"):
            raise ParameterError(f"parameter 'kind' must be 'conversions' or 'value'; got {kind!r}.")
        return self._path_credits[0 if kind == "conversions" else 1]

    def by_position(self) -> pd.DataFrame:
        """Credit by touch position, counted from the start and from the end of each path.

        Rows ``("from start", "1")`` (first touches), ``"2"``, … ``"10"``, ``"11+"``, then the
        same ``"from end"`` (``"1"``: last touches); columns ``conversions``, ``value`` and
        ``share`` (of the credited conversions; each side sums to 1). The upper- vs
        lower-funnel view of a model; for subset-sum Shapley values it is the "ordered
        Shapley" breakdown of Zhao et al. (2018). Available from per-path models attributed
        with ``per_path=True``.

        Examples
        --------
        >>> from attribution import Journeys, PositionBased
        >>> j = Journeys.from_sequences([["A", "B", "C"], ["B"]], conversions=[10, 5])
        >>> table = PositionBased.u_shaped().attribute(j, per_path=True).by_position()
        >>> table.loc["from start", "conversions"].head(3).tolist()
        [9.0, 2.0, 4.0]
        """
        if self._positions is None:
            raise AttributionError(
                "credit by position was not computed: it needs each touch's credit. "
                "Fix: call model.attribute(journeys, per_path=True) with a per-path model (rule-based, Shapley "
                "subset sums, counterfactual, Shao & Li per path, the logistic model)."
            )
        return self._positions.copy()

    def path_credits_frame(self) -> pd.DataFrame:
        """Path-level credits as a long table: ``row``, ``channel``, ``conversions``, ``value``.

        Join it back to the journeys by ``row`` (the position in ``Journeys``).
        """
        conversions = self.path_credits("conversions").tocoo()
        value = np.asarray(self.path_credits("value")[conversions.row, conversions.col]).ravel()
        frame = pd.DataFrame(
            {
                "row": conversions.row.astype(np.int64),
                "channel": np.asarray(self._channels, dtype=object)[conversions.col],
                "conversions": conversions.data,
                "value": value,
            }
        )
        return frame.sort_values(["row", "channel"], kind="stable").reset_index(drop=True)

    def to_dict(self) -> dict[str, Any]:
        """Plain Python values (for JSON): the model, its parameters, credits per channel, unattributed.

        Returns
        -------
        dict
            ``model`` (the name), ``params`` (numbers, strings, lists; a callable by its
            name), ``credits`` (``{channel: {"conversions", "value", "share"}}``, in channel
            order) and ``unattributed`` (``{"conversions", "value"}``).

        Examples
        --------
        >>> from attribution import Journeys, Linear
        >>> j = Journeys.from_sequences([["A", "B"], ["B"]], conversions=[1, 2], value=[1000.5, 2000])
        >>> Linear().attribute(j).to_dict()  # doctest: +NORMALIZE_WHITESPACE
        {'model': 'Linear', 'params': {},
         'credits': {'A': {'conversions': 0.5, 'value': 500.25, 'share': 0.16666666666666666},
                     'B': {'conversions': 2.5, 'value': 2500.25, 'share': 0.8333333333333334}},
         'unattributed': {'conversions': 0.0, 'value': 0.0}}
        """
        return {
            "model": self._model.name,
            "params": plain(dict(self._model.params)),
            "credits": _credits_dict(self._channels, self._conversions, self._value),
            "unattributed": {
                "conversions": float(self._unattributed.conversions),
                "value": float(self._unattributed.value),
            },
        }

    # ------------------------------------------------------------------ display
    def _title(self) -> str:
        return f"Attribution: {self._model.name}"

    def _facts(self) -> list[tuple[str, str]]:
        """Labelled lines above the table; subclasses add what their family knows."""
        unattributed = self._unattributed
        return [
            (
                "credited",
                f"{counted(float(self._conversions.sum()), 'conversion')} "
                f"(value {format_money(float(self._value.sum()))}) to {counted(len(self._channels), 'channel')}",
            ),
            (
                "unattributed",
                f"{counted(unattributed.conversions, 'conversion')} "
                f"(value {format_money(unattributed.value)}) on empty paths",
            ),
        ]

    def _table(self) -> list[Column]:
        """The credits table; subclasses add columns."""
        return frame_columns(self.credits, CREDIT_FORMATS)

    def _report(self) -> Report:
        return Report(self._title(), self._facts(), self._table())

    def __repr__(self) -> str:
        return self._report().text()

    def _repr_html_(self) -> str:
        return self._report().html()

    def __getstate__(self) -> dict[str, Any]:
        """Every slot of the result and of its subclasses (and a subclass's ``__dict__``), for pickling."""
        names = [name for cls in type(self).__mro__ for name in getattr(cls, "__slots__", ()) if hasattr(self, name)]
        state = {name: getattr(self, name) for name in names if name not in ("__dict__", "__weakref__")}
        state.update(getattr(self, "__dict__", {}))
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        for name, item in state.items():
            object.__setattr__(self, name, item)
        for name in ("_conversions", "_value"):  # unpickled arrays come back writeable: freeze private copies
            frozen = np.array(getattr(self, name), dtype=np.float64)
            frozen.setflags(write=False)
            object.__setattr__(self, name, frozen)


def plain(item: Any) -> Any:
    """``item`` as JSON-ready Python: numbers, strings, booleans, None, lists and str-keyed dicts.

    numpy scalars become Python numbers, tuples and arrays lists, a callable its name,
    a missing value (NaN, NaT) or an infinity None (which JSON knows), anything else its text.
    """
    if item is None or isinstance(item, (bool, str, int)):
        return item
    if isinstance(item, float):
        return item if math.isfinite(item) else None
    if isinstance(item, np.generic):
        return plain(item.item())
    if isinstance(item, Mapping):
        return {str(plain(key)): plain(value) for key, value in item.items()}
    if isinstance(item, (list, tuple, np.ndarray)):
        return [plain(value) for value in item]
    if callable(item) and hasattr(item, "__name__"):
        return str(item.__name__)
    try:
        if pd.isna(item):
            return None
    except (TypeError, ValueError):
        pass
    return str(item)


def _credits_dict(channels: tuple[str, ...], conversions: FloatArray, value: FloatArray) -> dict[str, dict[str, float]]:
    """``{channel: {"conversions", "value", "share"}}``, shares of the attributed conversions."""
    attributed = float(conversions.sum())
    return {
        channel: {
            "conversions": float(c),
            "value": float(v),
            "share": float(c / attributed) if attributed > 0 else 0.0,
        }
        for channel, c, v in zip(channels, conversions.tolist(), value.tolist(), strict=True)
    }


def attributable_totals(journeys: Journeys) -> tuple[float, float]:
    """Conversions and value on non-empty paths: what a model shares among channels.

    Summed directly over those rows, never as total minus unattributed, which loses every
    digit when the empty paths carry most of the conversions.
    """
    non_empty = journeys.lengths > 0
    return float(journeys.conversions[non_empty].sum()), float(journeys.value[non_empty].sum())


def attribution_from_touch_weights(
    journeys: Journeys, weights: FloatArray, model: ModelSpec, *, per_path: bool = False
) -> Attribution:
    """Credit channels from per-touch weights that sum to 1 on every non-empty path.

    A channel's credit is the sum over rows of ``conversions`` times the weights of its
    touches (value likewise); conversions on empty paths are reported as unattributed.
    """
    n_channels = len(journeys.channels)
    lengths = journeys.lengths
    # repeating each row's counts over its touches streams memory; a gather by row would not
    conversion_weight = weights * np.repeat(journeys.conversions, lengths)
    value_weight = weights * np.repeat(journeys.value, lengths)
    conversions: FloatArray = np.bincount(journeys.codes, weights=conversion_weight, minlength=n_channels).astype(float)
    value: FloatArray = np.bincount(journeys.codes, weights=value_weight, minlength=n_channels).astype(float)
    unattributed = Unattributed(journeys.unattributed_conversions, journeys.unattributed_value)
    path_credits = None
    if per_path:
        import scipy.sparse as sp

        rows = journeys.touch_rows()
        shape = (journeys.n_rows, n_channels)
        path_credits = (
            sp.csr_array((conversion_weight, (rows, journeys.codes)), shape=shape),
            sp.csr_array((value_weight, (rows, journeys.codes)), shape=shape),
        )
        positions = credit_by_position(journeys, conversion_weight, value_weight)
        return Attribution(model, journeys.channels, conversions, value, unattributed, path_credits, positions)
    return Attribution(model, journeys.channels, conversions, value, unattributed, path_credits)


POSITIONS = 10  # positions shown one by one in by_position(); the rest are summed in "11+"


def credit_by_position(journeys: Journeys, touch_conversions: FloatArray, touch_value: FloatArray) -> pd.DataFrame:
    """Touch credits summed by position from the start and from the end of each path (see ``by_position``)."""
    rows = journeys.touch_rows()
    from_start = np.arange(journeys.n_touches, dtype=np.int64) - journeys.offsets[rows]
    from_end = journeys.lengths[rows] - 1 - from_start
    labels = [str(k) for k in range(1, POSITIONS + 1)] + [f"{POSITIONS + 1}+"]
    frames = []
    for side, position in (("from start", from_start), ("from end", from_end)):
        bucket = np.minimum(position, POSITIONS)
        conversions = np.bincount(bucket, touch_conversions, POSITIONS + 1)
        value = np.bincount(bucket, touch_value, POSITIONS + 1)
        total = conversions.sum()
        share = conversions / total if total > 0 else np.zeros_like(conversions)
        index = pd.MultiIndex.from_product([[side], labels], names=["from", "position"])
        frames.append(pd.DataFrame({"conversions": conversions, "value": value, "share": share}, index=index))
    return pd.concat(frames)


# Touches per block when credits are summed block by block: temporaries of a few MB stay
# in cache and are reused by the allocator instead of being mapped and faulted in anew.
TOUCHES_PER_BLOCK = 1 << 17


def attribution_from_weigher(
    journeys: Journeys, weigh: Callable[[Journeys], FloatArray], model: ModelSpec
) -> Attribution:
    """Like :func:`attribution_from_touch_weights`, with weights computed block by block.

    ``weigh`` maps a block of whole rows to its touches' weights; credits are summed over
    blocks, so no per-touch array of the whole table is ever allocated.
    """
    n_channels = len(journeys.channels)
    conversions = np.zeros(n_channels)
    value = np.zeros(n_channels)
    for block in journeys._row_blocks(TOUCHES_PER_BLOCK):
        weights = weigh(block)
        lengths = block.lengths
        conversions += np.bincount(block.codes, weights * np.repeat(block.conversions, lengths), n_channels)
        value += np.bincount(block.codes, weights * np.repeat(block.value, lengths), n_channels)
    unattributed = Unattributed(journeys.unattributed_conversions, journeys.unattributed_value)
    return Attribution(model, journeys.channels, conversions, value, unattributed)


def attribution_from_chosen_touches(journeys: Journeys, chosen: npt.NDArray[np.int64], model: ModelSpec) -> Attribution:
    """Credit from one touch per non-empty row taking all of it (``chosen``: touch index per such row).

    Row-level work only, for first touch, last touch and last non-direct.
    """
    non_empty = journeys.lengths > 0
    n_channels = len(journeys.channels)
    codes = journeys.codes[chosen]
    conversions = np.bincount(codes, weights=journeys.conversions[non_empty], minlength=n_channels).astype(float)
    value = np.bincount(codes, weights=journeys.value[non_empty], minlength=n_channels).astype(float)
    unattributed = Unattributed(journeys.unattributed_conversions, journeys.unattributed_value)
    return Attribution(model, journeys.channels, conversions, value, unattributed)
