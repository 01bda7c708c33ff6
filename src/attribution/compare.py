"""Run several models on one :class:`~attribution.Journeys` and compare their credits."""

from __future__ import annotations

import importlib
from collections.abc import Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import pandas as pd

from attribution._display import Report, counted, format_money, frame_columns, share_cells
from attribution.errors import ParameterError
from attribution.journeys import Journeys
from attribution.models.base import Attribution, Model
from attribution.models.grouping import GroupedAttribution, attribute_by
from attribution.models.logistic import LogisticShapley
from attribution.models.markov import MarkovChain
from attribution.models.probabilistic import ShaoLi
from attribution.models.registry import resolve_models
from attribution.models.rules import FirstTouch, LastNonDirect, LastTouch, Linear, PositionBased, TimeDecay
from attribution.models.shapley import Shapley

if TYPE_CHECKING:
    from matplotlib.axes import Axes

__all__ = ["Comparison", "compare", "default_models", "default_selection"]


def default_models(journeys: Journeys) -> list[Model]:
    """The models :func:`compare` runs by default on ``journeys`` (see :func:`default_selection`)."""
    return default_selection(journeys)[0]


def default_selection(journeys: Journeys) -> tuple[list[Model], dict[str, str]]:
    """The default models for ``journeys``, and those left out with the reason.

    The default comparison holds the models that behave well on long, varied paths: the
    rule-based models, time decay (when the journeys carry touch times), Shapley values of
    the conversions game (subset sums: every observed path shares its conversions among
    its channels), and the first-order Markov chain. Two models are opt-in, by name or
    object: the exact-set conversion-rate Shapley game (``"shapley_rate"``), whose value of
    a set of channels is the conversion rate of journeys that touched exactly that set — on
    long, varied paths most sets are seen rarely or never, so channels that mostly appear
    in long paths get no credit (4 of the bundled sample's 11 channels get 0); and the
    counterfactual model (``"counterfactual"``), which likewise needs every path and its
    sub-paths to be observed.

    Examples
    --------
    >>> j = Journeys.from_sequences([["A", "B"], ["B"]], conversions=[1, 1], nulls=[1, 1])
    >>> models, skipped = default_selection(j)
    >>> [m.name for m in models][-2:], skipped
    (['Shao & Li', 'Logistic Shapley'], {'Time decay (7D)': 'the journeys have no touch times'})
    """
    models: list[Model] = [
        FirstTouch(),
        LastTouch(),
        LastNonDirect(),
        Linear(),
        PositionBased.u_shaped(),
        PositionBased.j_curve(),
        PositionBased.inverse_j(),
    ]
    skipped: dict[str, str] = {}
    if journeys.has_times:
        models.append(TimeDecay())
    else:
        skipped[TimeDecay().name] = "the journeys have no touch times"
    models += [Shapley(), MarkovChain(), ShaoLi()]
    if journeys.total_conversions > 0 and not float(journeys.nulls.sum()) > 0:
        skipped[LogisticShapley().name] = "the journeys have no non-converting counts, so its intercept is unbounded"
    else:
        models.append(LogisticShapley())
    return models, skipped


class Comparison(Mapping[str, Attribution]):
    """Credits of several models on the same journeys, side by side; a mapping of model name → result.

    ``comparison["Linear"]`` is that model's :class:`~attribution.models.Attribution`;
    ``len``, iteration (over model names, in the order they were run), ``in``,
    ``keys()``, ``values()``, ``items()`` and ``get`` work as on a dict.

    Attributes
    ----------
    results
        Each model's :class:`~attribution.models.Attribution`, by model name.
    skipped
        Default models that were not run on these journeys, with the reason (e.g. time
        decay on journeys without touch times); empty when the models were given.

    Examples
    --------
    >>> j = Journeys.from_sequences([["A", "B"], ["B"]], conversions=[1, 2], value=[1000.5, 2000])
    >>> comparison = compare(j, [FirstTouch(), Linear()])
    >>> len(comparison), list(comparison), "Linear" in comparison
    (2, ['First touch', 'Linear'], True)
    >>> comparison["Linear"].credits["conversions"].tolist()
    [0.5, 2.5]
    >>> comparison["Markov"]
    Traceback (most recent call last):
    ...
    KeyError: "no model 'Markov' in this comparison; its models are 'First touch', 'Linear'."
    >>> comparison
    Comparison of 2 models: share of conversions
    channel  First touch  Linear
    A              33.3%   16.7%
    B              66.7%   83.3%
    """

    __slots__ = ("_by", "_long", "results", "skipped")

    def __init__(self, results: Mapping[str, Attribution], skipped: Mapping[str, str] | None = None) -> None:
        self.results: dict[str, Attribution] = dict(results)
        self.skipped: dict[str, str] = dict(skipped or {})
        keys = {r.by if isinstance(r, GroupedAttribution) else () for r in self.results.values()}
        if len(keys) > 1:
            raise ParameterError(
                f"results grouped differently cannot be compared side by side: {sorted(keys)}. "
                "Fix: attribute every model with the same by=."
            )
        self._by: tuple[str, ...] = keys.pop() if keys else ()
        frames = [r.to_frame() for r in self.results.values()]
        columns = ["model", *self._by, "channel", "conversions", "value", "share"]
        self._long = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=columns)

    # ------------------------------------------------------------------ mapping
    def __getitem__(self, name: str) -> Attribution:
        try:
            return self.results[name]
        except (KeyError, TypeError):
            models = ", ".join(map(repr, self.results))
            raise KeyError(f"no model {name!r} in this comparison; its models are {models}.") from None

    def __iter__(self) -> Iterator[str]:
        return iter(self.results)

    def __len__(self) -> int:
        return len(self.results)

    def __contains__(self, name: object) -> bool:
        try:
            return name in self.results
        except TypeError:  # an unhashable key is no model name
            return False

    @property
    def by(self) -> tuple[str, ...]:
        """The group keys of the results (empty when they are not grouped)."""
        return self._by

    def with_spend(self, spend: Any) -> pd.DataFrame:
        """Every model's credits with spend, share of spend, cpa and roas (see :meth:`Attribution.with_spend`).

        One table indexed by ``model`` (then the group keys) and ``channel``, plus
        ``roas_rank``: the channel's rank by ROAS under that model (1 = best return; within
        each group), so a budget decision can be read under every model at once.

        Examples
        --------
        >>> j = Journeys.from_sequences([["A", "B"], ["B"]], conversions=[1, 1], value=[10, 10])
        >>> table = compare(j, [FirstTouch(), LastTouch()]).with_spend(pd.Series({"A": 5.0, "B": 5.0}))
        >>> table["roas"].unstack("model")
        model    First touch  Last touch
        channel
        A                2.0         0.0
        B                2.0         4.0
        """
        frames = {name: result.with_spend(spend) for name, result in self.results.items()}
        table = pd.concat(frames, names=["model"])
        levels = ["model", *self._by]
        ranks = (
            table["roas"]
            .groupby(level=levels, sort=False, dropna=False, observed=True)
            .rank(ascending=False, method="min")
        )
        table["roas_rank"] = ranks
        return table

    @classmethod
    def of(cls, results: Any, *, caller: str = "Comparison.of") -> Comparison:
        """A comparison of results given as a Comparison, one Attribution, or a mapping or list of them.

        Every function that takes "results" (``score``, the plots) goes through this one
        check; anything but attribution results is refused with the fix.

        Examples
        --------
        >>> j = Journeys.from_sequences([["A", "B"]], conversions=[1])
        >>> Comparison.of([FirstTouch().attribute(j), LastTouch().attribute(j)]).models
        ['First touch', 'Last touch']
        """
        if isinstance(results, Comparison):
            return results
        by_name: dict[str, Any]
        if isinstance(results, Attribution):
            by_name = {results.model.name: results}
        elif isinstance(results, Mapping):
            by_name = dict(results)
        elif isinstance(results, (list, tuple)):
            by_name = {}
            for result in results:
                name = result.model.name if isinstance(result, Attribution) else repr(result)
                if name in by_name:
                    raise ParameterError(
                        f"parameter 'results' of {caller} holds two results of the model {name!r}. "
                        "Fix: pass a mapping {label: result} with distinct labels."
                    )
                by_name[name] = result
        else:
            raise ParameterError(
                f"parameter 'results' of {caller} must be a Comparison, an Attribution, or a mapping or list of them; "
                f"got {type(results).__name__}. Fix: pass compare(journeys, models) or model.attribute(journeys)."
            )
        if not by_name:
            raise ParameterError(
                f"parameter 'results' of {caller} holds no result. Fix: pass at least one, e.g. compare(journeys)."
            )
        for name, result in by_name.items():
            if not isinstance(result, Attribution):
                raise ParameterError(
                    f"parameter 'results' of {caller} must hold attribution results; {name!r} is of type "
                    f"{type(result).__name__}. Fix: pass what model.attribute(journeys) or compare(journeys, models) "
                    "returns, not the models."
                )
        return cls(by_name)

    @property
    def models(self) -> list[str]:
        """Model names, in the order they were run."""
        return list(self.results)

    def to_frame(self) -> pd.DataFrame:
        """Tidy table: one row per model and channel (``model``, ``channel``, ``conversions``, ``value``, ``share``).

        With grouped results, the group keys come between ``model`` and ``channel``.

        Examples
        --------
        >>> j = Journeys.from_sequences([["A", "B"], ["B"]], conversions=[1, 1])
        >>> compare(j, [FirstTouch(), LastTouch()]).to_frame()
                 model channel  conversions  value  share
        0  First touch       A          1.0    0.0    0.5
        1  First touch       B          1.0    0.0    0.5
        2   Last touch       A          0.0    0.0    0.0
        3   Last touch       B          2.0    0.0    1.0
        """
        return self._long.copy()

    def long(self) -> pd.DataFrame:
        """The tidy table of :meth:`to_frame` (the same, under its earlier name)."""
        return self.to_frame()

    @property
    def shares(self) -> pd.DataFrame:
        """Models × channels table of each model's shares of conversions (0 where a model credits nothing).

        With grouped results, the index is the model then the group keys.

        Examples
        --------
        >>> j = Journeys.from_sequences([["A", "B"], ["B"]], conversions=[1, 1])
        >>> compare(j, [FirstTouch(), LastTouch()]).shares
        channel        A    B
        model
        First touch  0.5  0.5
        Last touch   0.0  1.0
        """
        index = ["model", *self._by]
        table = self._long.pivot_table(
            index=index, columns="channel", values="share", aggfunc="sum", sort=False, observed=True, dropna=False
        )
        table = table.fillna(0.0)
        if not self._by:
            table = table.reindex(self.models)
        return table

    def wide(self, values: Literal["conversions", "value", "share"] = "conversions") -> pd.DataFrame:
        """Channels × models table of ``values``.

        Examples
        --------
        >>> j = Journeys.from_sequences([["A", "B"], ["B"]], conversions=[1, 1])
        >>> compare(j, [FirstTouch(), LastTouch()]).wide()
        model    First touch  Last touch
        channel
        A                1.0         0.0
        B                1.0         2.0
        """
        if values not in ("conversions", "value", "share"):
            raise ParameterError(f"parameter 'values' must be 'conversions', 'value' or 'share'; got {values!r}.")
        index = [*self._by, "channel"]
        table = self._long.pivot_table(
            index=index, columns="model", values=values, aggfunc="sum", sort=False, observed=True, dropna=False
        )
        return table.reindex(columns=self.models)

    def rank_agreement(self, method: Literal["spearman", "kendall"] = "spearman") -> pd.DataFrame:
        """Models × models rank correlation of their channel credits (Spearman's ρ or Kendall's τ).

        Channels a model cannot rank (all credits equal) give NaN.
        """
        if method not in ("spearman", "kendall"):
            raise ParameterError(f"parameter 'method' must be 'spearman' or 'kendall'; got {method!r}.")
        table = self.wide("conversions").fillna(0.0)
        names = self.models
        out = pd.DataFrame(np.eye(len(names)), index=pd.Index(names, name="model"), columns=names)
        from scipy import stats  # imported here: scipy.stats is slow to import

        correlate: Any = stats.spearmanr if method == "spearman" else stats.kendalltau
        for i, a in enumerate(names):
            for b in names[i + 1 :]:
                x, y = table[a].to_numpy(), table[b].to_numpy()
                rho = float("nan") if np.ptp(x) == 0 or np.ptp(y) == 0 else float(correlate(x, y)[0])
                out.loc[a, b] = out.loc[b, a] = rho
        return out

    def plot(
        self,
        values: Literal["conversions", "value", "share"] = "share",
        ax: Axes | None = None,
        *,
        kind: Literal["heatmap", "dots"] = "heatmap",
    ) -> Axes:
        """Channels × models heatmap of ``values``, annotated, models ordered by agreement; ``kind="dots"``
        draws each channel's values across models as a dot plot (needs the ``plot`` extra: matplotlib)."""
        # plotting sits above this module (it draws comparisons); it is loaded by name, like
        # matplotlib itself, so the layers keep one direction
        plotting: Any = importlib.import_module("attribution.plotting")
        axes: Axes = plotting.plot_comparison(self, values=values, kind=kind, ax=ax)
        return axes

    def _report(self) -> Report:
        names = self.models
        columns = frame_columns(self.wide("share"), dict.fromkeys(names, share_cells))
        facts = []
        unattributed = {result.unattributed for result in self.results.values()}
        if len(unattributed) == 1:
            (lost,) = unattributed
            if lost.conversions or lost.value:
                facts.append(
                    (
                        "unattributed",
                        f"{counted(lost.conversions, 'conversion')} (value {format_money(lost.value)}) "
                        "on empty paths, by every model",
                    )
                )
        for name, reason in self.skipped.items():
            facts.append(("not run", f"{name}: {reason}"))
        count = counted(len(names), "model")
        by = f" by {', '.join(self._by)}" if self._by else ""
        return Report(f"Comparison of {count}{by}: share of conversions", facts, columns)

    def __repr__(self) -> str:
        return self._report().text()

    def _repr_html_(self) -> str:
        return self._report().html()


def compare(
    journeys: Journeys,
    models: Sequence[Model | str] | str | None = None,
    *,
    by: str | Sequence[str] | None = None,
    period: str | None = None,
    **attribute_options: Any,
) -> Comparison:
    """Run ``models`` (default: :func:`default_models`) on ``journeys`` and collect the results.

    Parameters
    ----------
    journeys
        The paths every model attributes.
    models
        Objects with ``name`` and ``attribute(journeys)`` (the :class:`Model` protocol),
        or registered names as the command line's ``--models`` takes them (``"linear"``,
        ``"markov"``, …: see :data:`attribution.models.registry.MODELS`); names must be
        distinct.
    by, period
        Attribute every group of these journey attributes on its own, for every model
        (see :func:`attribution.models.grouping.attribute_by`); ``period`` is the
        frequency of the ``"period"`` key.
    **attribute_options
        Passed to every model's ``attribute``.

    Examples
    --------
    >>> j = Journeys.from_sequences([["A", "B", "C"], ["B", "C"], ["A"]], conversions=[1, 1, 0], nulls=[0, 0, 1])
    >>> result = compare(j)
    >>> result.models[:4]
    ['First touch', 'Last touch', 'Last non-direct', 'Linear']
    >>> result.wide()[["First touch", "Linear", "Markov (order 1)"]].round(3)
    model    First touch  Linear  Markov (order 1)
    channel
    A                1.0   0.333               0.4
    B                1.0   0.833               0.8
    C                0.0   0.833               0.8
    """
    if isinstance(models, str):
        models = [models]
    skipped: dict[str, str] = {}
    if models is None:
        chosen, skipped = default_selection(journeys)
    else:
        chosen = resolve_models(models)
    not_models = [m for m in chosen if not isinstance(m, Model)]
    if not_models:
        raise ParameterError(
            f"parameter 'models' must hold models (objects with name and attribute(journeys)); got {not_models[0]!r}."
        )
    names = [m.name for m in chosen]
    duplicated = sorted({n for n in names if names.count(n) > 1})
    if duplicated:
        raise ParameterError(
            f"parameter 'models' must have distinct names; {duplicated[0]!r} appears more than once. "
            "Fix: compare each configuration once, or give your own models distinct names."
        )
    if by is not None:
        grouped = {m.name: attribute_by(m, journeys, by, period=period, **attribute_options) for m in chosen}
        return Comparison(grouped, skipped)
    if period is not None:
        raise ParameterError("parameter 'period' of compare needs by= with 'period'. Fix: pass by='period'.")
    return Comparison({m.name: m.attribute(journeys, **attribute_options) for m in chosen}, skipped)
