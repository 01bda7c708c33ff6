"""Bootstrap confidence intervals for any model's credits, on aggregated rows."""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from attribution._display import Column, Report, count_cells, frame_columns, money_cells, share_cells
from attribution.errors import AttributionError, JourneyError, ParameterError
from attribution.journeys import Journeys
from attribution.journeys.attributes import require_one_goal
from attribution.models.base import Model, attributable_totals

__all__ = ["QUANTITIES", "BootstrapResult", "FailedReplicatesWarning", "bootstrap"]

QUANTITIES = ("conversions", "value", "share")  # the quantities ``intervals`` holds, in its order


class FailedReplicatesWarning(UserWarning):
    """Some bootstrap replicates were skipped because the model could not run on them."""


@dataclass(frozen=True)
class BootstrapResult:
    """Per-channel intervals from the bootstrap replicates the model could run on.

    Attributes
    ----------
    estimate
        The model's credits on the full data (``conversions``, ``value``, ``share``).
    intervals
        Per quantity (``conversions``, ``value``, ``share``) and channel: the full-data
        ``estimate``, the replicates' ``mean`` and ``std``, and the ``low`` / ``high``
        percentile bounds.
    rank_stability
        Per channel: the share of replicates in which it holds its full-data rank.
    replicates
        Replicates × channels table of conversions credited, indexed by replicate number
        (the numbers of failed replicates are missing).
    level
        Confidence level of the intervals.
    replicate_values
        Replicates × channels table of value credited, indexed like ``replicates``.
    failed
        How many replicates were skipped because the model raised an
        :class:`~attribution.errors.AttributionError` on them (e.g. a Markov chain on a
        replicate that drew no conversions).
    failure_reasons
        Each distinct error message of the skipped replicates, with how many replicates
        raised it.
    model
        The name of the model bootstrapped.
    seed
        The seed of the resampling (None: not reproducible).
    """

    estimate: pd.DataFrame
    intervals: pd.DataFrame
    rank_stability: pd.Series
    replicates: pd.DataFrame
    level: float
    replicate_values: pd.DataFrame
    failed: int = 0
    failure_reasons: Mapping[str, int] = field(default_factory=dict)
    model: str = ""
    seed: int | None = None

    def _report(self) -> Report:
        kept = len(self.replicates)
        n = kept + self.failed
        seed = "none (not reproducible)" if self.seed is None else f"{self.seed}"
        failed = (
            "none" if not self.failed else f"{self.failed:,} of {n:,} (the model could not run; see failure_reasons)"
        )
        level = f"{100 * self.level:g}%"
        columns = frame_columns(self.estimate[[]], {})  # the channel labels
        for quantity, cells in (("conversions", count_cells), ("value", money_cells), ("share", share_cells)):
            block = self.intervals.xs(quantity, level="quantity")
            rows = len(block)
            # one format for the estimate and both bounds, so their decimals agree
            shown = cells([*block["estimate"].tolist(), *block["low"].tolist(), *block["high"].tolist()])
            estimate, low, high = shown[:rows], shown[rows : 2 * rows], shown[2 * rows :]
            columns.append(Column(quantity, estimate))
            columns.append(Column(f"{level} interval", [f"{a} to {b}" for a, b in zip(low, high, strict=True)]))
        columns.append(Column("same rank", share_cells(self.rank_stability.tolist())))
        return Report(
            f"Bootstrap of {self.model or 'a model'}: {n:,} replicates, {level} intervals",
            [("seed", seed), ("failed replicates", failed)],
            columns,
            footer="same rank: the share of replicates in which the channel keeps its full-data rank",
        )

    def __repr__(self) -> str:
        return self._report().text()

    def _repr_html_(self) -> str:
        return self._report().html()


def _resampled(journeys: Journeys, rng: np.random.Generator) -> Journeys:
    """The same paths with Poisson-resampled counts: journeys drawn with replacement.

    Each journey appears Poisson(1) times, so a row of k converting journeys gets
    Poisson(k) of them (likewise nulls); value follows the row's value per conversion.
    """
    return journeys.with_outcomes(rng.poisson(journeys.conversions), rng.poisson(journeys.nulls))


def _check_arguments(journeys: Any, model: Any, n: Any, level: Any, seed: Any, progress: Any) -> None:
    from attribution.compare import Comparison

    if not isinstance(journeys, Journeys):
        raise ParameterError(
            f"parameter 'journeys' of bootstrap must be a Journeys object; got {type(journeys).__name__}. "
            "Fix: build one with Journeys.from_events, from_paths or from_sequences."
        )
    require_one_goal(journeys, "resampling them together")
    if isinstance(model, Comparison) or (
        not isinstance(model, Model) and isinstance(model, (list, tuple, set, frozenset, Mapping))
    ):
        raise ParameterError(
            f"parameter 'model' of bootstrap takes one model; got a {type(model).__name__}. "
            "Fix: bootstrap each model on its own, e.g. "
            "{m.name: bootstrap(journeys, m, seed=0) for m in [LastTouch(), MarkovChain()]}."
        )
    if isinstance(model, type):
        raise ParameterError(
            f"parameter 'model' of bootstrap must be a model object; got the class {model.__name__}. "
            f"Fix: create one, e.g. {model.__name__}()."
        )
    if not isinstance(model, Model):
        raise ParameterError(
            f"parameter 'model' of bootstrap must be a model (an object with name and attribute(journeys)); "
            f"got {model!r}. Fix: pass e.g. MarkovChain() or Linear()."
        )
    if isinstance(n, (bool, np.bool_)) or not isinstance(n, (int, np.integer)) or n < 2:
        raise ParameterError(
            f"parameter 'n' of bootstrap must be an integer >= 2; got {n!r}. Fix: ask for e.g. n=200 replicates."
        )
    if isinstance(level, (bool, np.bool_)) or not isinstance(level, (float, np.floating)) or not 0 < level < 1:
        raise ParameterError(
            f"parameter 'level' of bootstrap must be a float in (0, 1); got {level!r}. Fix: e.g. level=0.95."
        )
    if seed is not None and (isinstance(seed, (bool, np.bool_)) or not isinstance(seed, (int, np.integer)) or seed < 0):
        raise ParameterError(
            f"parameter 'seed' of bootstrap must be a non-negative integer or None; got {seed!r}. Fix: e.g. seed=0."
        )
    if not isinstance(progress, (bool, np.bool_)):
        raise ParameterError(f"parameter 'progress' of bootstrap must be True or False; got {progress!r}.")


def bootstrap(
    journeys: Journeys,
    model: Model,
    n: int = 200,
    *,
    level: float = 0.95,
    seed: int | None = None,
    progress: bool = False,
) -> BootstrapResult:
    """Percentile bootstrap of ``model``'s credits over journeys.

    Journeys are resampled with replacement through Poisson weights on the rows' counts
    (vectorised: aggregated rows are never expanded into single journeys), the model is
    refitted on each replicate, and each channel's credited conversions, value and share
    give percentile intervals. Paths are held fixed, so a path that no journey took is
    never invented.

    Parameters
    ----------
    journeys
        The data.
    model
        One model of the library (or one following its protocol). To bootstrap several,
        call ``bootstrap`` once per model: a list of models or a
        :class:`~attribution.Comparison` is refused with that fix.
    n
        Number of replicates.
    level
        Confidence level of the intervals (default 0.95).
    seed
        Seed of the resampling; the same seed gives the same result.
    progress
        Show a progress bar (needs ``tqdm``).

    Returns
    -------
    BootstrapResult
        Intervals over the replicates the model could run on.

    Raises
    ------
    ParameterError
        A bad argument (including several models in place of one).
    JourneyError
        The model could not run on more than half of the replicates (or on all but
        one), so there are too few to give intervals: typically too few conversions.

    Warns
    -----
    FailedReplicatesWarning
        Once, when some replicates were skipped because the model raised an
        :class:`~attribution.errors.AttributionError` on them (e.g. a Markov chain on a
        replicate that drew no conversions). Their count and messages are kept in
        ``failed`` and ``failure_reasons``; the random draws of every replicate are made
        regardless, so the result stays the same for a seed.

    Examples
    --------
    >>> from attribution import Journeys, Linear
    >>> j = Journeys.from_sequences([["A", "B"], ["B"], ["A"]], conversions=[30, 20, 10], nulls=[70, 80, 90])
    >>> result = bootstrap(j, Linear(), n=50, seed=0)
    >>> list(result.intervals.columns)
    ['estimate', 'mean', 'std', 'low', 'high']
    >>> list(result.intervals.index.unique("quantity")), result.failed
    (['conversions', 'value', 'share'], 0)
    """
    _check_arguments(journeys, model, n, level, seed, progress)
    n = int(n)
    rng = np.random.default_rng(None if seed is None else int(seed))
    full = model.attribute(journeys).credits
    channels = full.index
    rounds: Any = range(n)
    if progress:
        try:
            from tqdm.auto import tqdm

            rounds = tqdm(rounds, desc=f"bootstrap {model.name}")
        except ImportError:
            raise ParameterError("progress=True needs tqdm. Fix: pip install tqdm, or leave progress off.") from None
    draws = {quantity: np.zeros((n, len(channels))) for quantity in QUANTITIES}
    succeeded = np.ones(n, dtype=bool)
    reasons: dict[str, int] = {}
    for i in rounds:
        replicate = _resampled(journeys, rng)  # drawn even if the model then fails
        if not attributable_totals(replicate)[0] > 0:  # every model gives 0: no share to estimate
            succeeded[i] = False
            reasons[_NOTHING_TO_ATTRIBUTE] = reasons.get(_NOTHING_TO_ATTRIBUTE, 0) + 1
            continue
        try:
            credits = model.attribute(replicate).credits.reindex(channels, fill_value=0.0)
        except AttributionError as error:
            succeeded[i] = False
            reasons[str(error)] = reasons.get(str(error), 0) + 1
            continue
        for quantity in QUANTITIES:
            draws[quantity][i] = credits[quantity].to_numpy(dtype=np.float64)
    failed = int(n - succeeded.sum())
    _report_failures(model.name, n, failed, reasons)
    kept = np.flatnonzero(succeeded)
    draws = {quantity: table[kept] for quantity, table in draws.items()}
    alpha = (1 - level) / 2
    blocks = {
        quantity: pd.DataFrame(
            {
                "estimate": full[quantity].to_numpy(dtype=np.float64),
                "mean": table.mean(axis=0),
                "std": table.std(axis=0, ddof=1),
                "low": np.quantile(table, alpha, axis=0),
                "high": np.quantile(table, 1 - alpha, axis=0),
            },
            index=channels,
        )
        for quantity, table in draws.items()
    }
    intervals = pd.concat(blocks, names=["quantity", "channel"])
    full_rank = pd.Series(full["conversions"]).rank(ascending=False, method="min").to_numpy()
    replicate_rank = pd.DataFrame(draws["conversions"]).rank(axis=1, ascending=False, method="min").to_numpy()
    stability = pd.Series((replicate_rank == full_rank).mean(axis=0), index=channels, name="rank_stability")
    replicate_index = pd.Index(kept, name="replicate")
    return BootstrapResult(
        estimate=full,
        intervals=intervals,
        rank_stability=stability,
        replicates=pd.DataFrame(draws["conversions"], index=replicate_index, columns=channels),
        level=float(level),
        replicate_values=pd.DataFrame(draws["value"], index=replicate_index, columns=channels),
        failed=failed,
        failure_reasons=reasons,
        model=model.name,
        seed=None if seed is None else int(seed),
    )


_NOTHING_TO_ATTRIBUTE = "the resample has no conversions on a path with touches: nothing to attribute"


def _report_failures(model: str, n: int, failed: int, reasons: Mapping[str, int]) -> None:
    """Raise when too few replicates are left for intervals; else warn once about the skipped ones."""
    if not failed:
        return
    first = next(iter(reasons)).split(" Fix:")[0]  # the model's own fix is about its data, not the replicates
    if failed > n / 2 or n - failed < 2:
        raise JourneyError(
            f"bootstrap: the model {model!r} could not run on {failed} of {n} replicates, too many to give "
            f"intervals (more than half, or all but one); the first reason: {first!r}. "
            "Fix: bootstrap on more journeys (enough conversions that resampling keeps some), "
            "or use a model that runs on sparse data."
        )
    warnings.warn(
        f"bootstrap: skipped {failed} of {n} replicates on which the model {model!r} could not run; "
        f"the intervals come from the other {n - failed}. The first reason: {first!r} "
        "(the result's failure_reasons holds every reason).",
        FailedReplicatesWarning,
        stacklevel=3,
    )
